"""The batch e-mail notification step at the end of each identification job run (§1.11)."""

from __future__ import annotations

from .store import dumps
from .world import World

SUBJECT = "Virkailijan opintopolku: oppijoiden tuonti suoritettu"
BODY = (
    "<p>Hei,</p><p>käynnistämäsi oppijoiden tuonnin oppijat on käsitelty, mutta kaikkia ei "
    "pystytty yksilöimään.</p><p>Virheet voi korjata osoitteessa "
    '<a href="{base}/henkilo-ui/oppijoidentuonti">{base}/henkilo-ui/oppijoidentuonti</a>.</p>'
)
FAILED = (
    "h.yksilointi_yritetty = 1 AND h.yksiloity = 0 AND h.yksiloity_vtj = 0 "
    "AND h.yksiloity_eidas = 0"
)


def run(world: World, base_url: str = "https://virkailija.testiopintopolku.fi") -> int:
    """Queue at most one message for every finished tuonti needing one; returns recipients."""
    conn = world.conn
    done = "t.kasiteltyja >= t.kasiteltavia AND t.ilmoitustarve_kasitelty = 0"
    needing = conn.execute(
        f"SELECT t.id, t.sahkoposti FROM tuonti t WHERE {done} AND t.sahkoposti IS NOT NULL "
        f"AND EXISTS (SELECT 1 FROM tuonti_rivi r JOIN henkilo h ON h.id = r.henkilo_id "
        f"WHERE r.tuonti_id = t.id AND {FAILED})"
    ).fetchall()
    recipients = sorted({r["sahkoposti"] for r in needing})
    if recipients:
        conn.execute(
            "INSERT INTO ilmoitus(aikaleima, recipients, subject, body) VALUES (?, ?, ?, ?)",
            (world.clock.now_ms(), dumps(recipients), SUBJECT, BODY.format(base=base_url)),
        )
    also = conn.execute(
        f"SELECT t.id FROM tuonti t WHERE {done} AND EXISTS (SELECT 1 FROM tuonti_rivi r "
        "JOIN henkilo h ON h.id = r.henkilo_id WHERE r.tuonti_id = t.id "
        "AND h.yksilointi_yritetty = 1 AND (h.yksiloity = 1 OR h.yksiloity_vtj = 1 "
        "OR h.yksiloity_eidas = 1 OR t.sahkoposti IS NULL))"
    ).fetchall()
    ids = {int(r["id"]) for r in needing} | {int(r["id"]) for r in also}
    conn.executemany(
        "UPDATE tuonti SET ilmoitustarve_kasitelty = 1 WHERE id = ?", [(i,) for i in ids]
    )
    return len(recipients)
