"""Duplicate candidates (pg_trgm similarity in Python) and link / forcelink / unlink (§3)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from .core import SimError
from .trigram import search_keys, search_string, trigrams
from .world import World

SIMILARITY_THRESHOLD = 0.5


def find_candidates(
    world: World,
    etunimet: str | None,
    kutsumanimi: str | None,
    sukunimi: str | None,
    syntymaaika: str | None,
) -> list[tuple[float, sqlite3.Row]]:
    """Live, non-duplicate persons with similarity ≥ 0.5, most similar first.

    The similarity is exact; the candidate set is prefiltered through indexed keys (same birth
    date, or same normalised surname and first first name) so that a store of a million
    persons answers fast. A pair sharing neither is not found (documented in BEHAVIOUR.md).
    """
    query = search_string(etunimet, kutsumanimi, sukunimi, syntymaaika)
    qt = trigrams(query)
    if not qt:
        return []
    _, sk, ek = search_keys(etunimet, kutsumanimi, sukunimi, syntymaaika)
    rows = world.conn.execute(
        "SELECT * FROM henkilo WHERE passivoitu = 0 AND duplicate = 0 AND "
        "((sukunimi_key = ? AND etunimi_key = ?) OR (? IS NOT NULL AND syntymaaika = ?))",
        (sk, ek, syntymaaika, syntymaaika),
    ).fetchall()
    scored: list[tuple[float, sqlite3.Row]] = []
    for r in rows:
        tt = trigrams(r["search_str"])
        if not tt:
            continue
        common = len(qt & tt)
        score = common / (len(qt) + len(tt) - common)
        if score >= SIMILARITY_THRESHOLD:
            scored.append((score, r))
    scored.sort(key=lambda x: (-x[0], x[1]["id"]))
    return scored


# --- linking --------------------------------------------------------------------------------


def _identified(row: sqlite3.Row) -> bool:
    return bool(row["yksiloity"] or row["yksiloity_vtj"] or row["yksiloity_eidas"])


def link(world: World, main_oid: str, oids: Sequence[str], kasittelija: str | None) -> list[str]:
    """§3.2 linkHenkilos; returns the slave OIDs of the operation."""
    main = world.person(main_oid)
    if main is None:
        raise SimError(404, f"Henkilo not found: {main_oid}")
    if main["duplicate"]:
        raise SimError(400, "Henkilo is a duplicate")
    wanted = [o for o in dict.fromkeys(oids) if o != main_oid]
    others: list[sqlite3.Row] = []
    for oid in wanted:
        row = world.person(oid)
        if row is None:
            raise SimError(404, f"Henkilo not found: {oid}")
        others.append(row)
    everyone = [main, *others]
    counted = [r for r in everyone if _identified(r) or r["hetu"]]
    if len(counted) > 1:
        raise SimError(403, "More than one identified Henkilo")
    identified_others = [r for r in others if _identified(r) or r["hetu"]]
    master = identified_others[0] if identified_others else main
    slaves = [r for r in everyone if r["id"] != master["id"]]
    return link_rows(world, master, slaves, kasittelija)


def link_rows(
    world: World,
    master: sqlite3.Row,
    slaves: list[sqlite3.Row],
    kasittelija: str | None,
    *,
    clear_slave_hetu: bool = False,
) -> list[str]:
    """Steps 4–8 of §3.2 with the master already chosen."""
    conn = world.conn
    master_id = int(master["id"])
    conn.execute("UPDATE henkilo SET passivoitu = 0, duplicate = 0 WHERE id = ?", (master_id,))
    slave_ids = [int(s["id"]) for s in slaves]
    previous = world.master_id(master_id)
    if previous is not None and previous not in slave_ids:
        # step 6: the new master takes its former master (and that one's slaves) along
        slave_ids.append(previous)
    conn.execute("DELETE FROM henkiloviite WHERE slave_id = ?", (master_id,))
    saved: list[int] = [master_id]
    master_row = world.person_by_id(master_id)
    assert master_row is not None
    for sid in list(slave_ids):
        old_master = world.master_id(sid)
        if old_master is not None and old_master != master_id:
            conn.execute("DELETE FROM henkiloviite WHERE slave_id = ?", (sid,))
            saved.append(old_master)
        conn.execute(
            "INSERT OR REPLACE INTO henkiloviite(slave_id, master_id) VALUES (?, ?)",
            (sid, master_id),
        )
        for grandchild in world.slave_ids(sid):  # re-point its own slaves
            conn.execute(
                "UPDATE henkiloviite SET master_id = ? WHERE slave_id = ?", (master_id, grandchild)
            )
            if grandchild not in slave_ids:
                slave_ids.append(grandchild)
        conn.execute("UPDATE henkilo SET duplicate = 1, passivoitu = 1 WHERE id = ?", (sid,))
        slave = world.person_by_id(sid)
        assert slave is not None
        if clear_slave_hetu:
            conn.execute("UPDATE henkilo SET hetu = NULL WHERE id = ?", (sid,))
            conn.execute("DELETE FROM henkilo_hetu WHERE henkilo_id = ?", (sid,))
        elif not master_row["hetu"] and not slave["hetu"]:
            _merge_hetuless(world, master_id, slave)
        saved.append(sid)
    world.touch(saved, kasittelija)
    return world.oids_of(
        [int(s["id"]) for s in slaves]
        + [s for s in slave_ids if s not in {int(x["id"]) for x in slaves}]
    )


def _merge_hetuless(world: World, master_id: int, slave: sqlite3.Row) -> None:
    """Identifications move, nationalities union, mother tongue if missing (§3.2 step 7)."""
    conn = world.conn
    sid = int(slave["id"])
    conn.execute("UPDATE identification SET henkilo_id = ? WHERE henkilo_id = ?", (master_id, sid))
    master = world.person_by_id(master_id)
    assert master is not None
    codes = [c for c in master["kansalaisuus"].split(",") if c]
    codes += [c for c in slave["kansalaisuus"].split(",") if c and c not in codes]
    aidinkieli = master["aidinkieli"] or slave["aidinkieli"]
    conn.execute(
        "UPDATE henkilo SET kansalaisuus = ?, aidinkieli = ? WHERE id = ?",
        (",".join(codes), aidinkieli, master_id),
    )


def forcelink(
    world: World, main_oid: str, oids: Sequence[str], kasittelija: str | None
) -> list[str]:
    """§3.3: every duplicate must be hetu-less and not VTJ/eIDAS identified, else 400."""
    for oid in dict.fromkeys(oids):
        if oid == main_oid:
            continue
        row = world.person(oid)
        if row is None:
            raise SimError(404, f"Henkilo not found: {oid}")
        if row["hetu"] or row["yksiloity_vtj"] or row["yksiloity_eidas"]:
            raise SimError(400, None)
    for oid in dict.fromkeys(oids):
        if oid != main_oid:
            world.conn.execute("UPDATE henkilo SET yksiloity = 0 WHERE oid = ?", (oid,))
    return link(world, main_oid, oids, kasittelija)


def unlink(world: World, master_oid: str, slave_oid: str, kasittelija: str | None) -> None:
    """§3.4: the link row goes, the slave becomes live again; both are saved."""
    master = world.person(master_oid)
    slave = world.person(slave_oid)
    if master is None or slave is None:
        raise SimError(404, "Henkilo not found")
    world.conn.execute(
        "DELETE FROM henkiloviite WHERE master_id = ? AND slave_id = ?", (master["id"], slave["id"])
    )
    world.conn.execute(
        "UPDATE henkilo SET duplicate = 0, passivoitu = 0 WHERE id = ?", (slave["id"],)
    )
    world.touch([int(master["id"]), int(slave["id"])], kasittelija)


def candidates_for_person(world: World, row: sqlite3.Row, caller_oid: str) -> list[sqlite3.Row]:
    """GET /henkilo/{oid}/duplicates filtering (§3.1)."""
    found = find_candidates(
        world, row["etunimet"], row["kutsumanimi"], row["sukunimi"], row["syntymaaika"]
    )
    master = world.master_id(int(row["id"]))
    out: list[sqlite3.Row] = []
    for _, cand in found:
        if cand["id"] == row["id"] or cand["id"] == master or cand["oid"] == caller_oid:
            continue
        if row["yksiloity_vtj"] and row["hetu"] and cand["yksiloity_vtj"]:
            continue
        out.append(cand)
    return out


def duplicate_dto_extra(row: sqlite3.Row) -> dict[str, Any]:
    return {}
