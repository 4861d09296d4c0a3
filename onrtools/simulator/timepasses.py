"""time_passes: the clock moves on and the world changes realistically (issue 3 item 6).

Per simulated day, among the stored persons: surname changes in VTJ reach VTJ-identified
persons (ONR's VTJ change feed), some move (home municipality), some get a new hetu (VTJ
successor; ONR keeps the old one in history), some pending persons get identified by the job
(unless identification is off), and some hetu-less twins are merged into their identified
counterpart by an official. Every change goes through the update path, so it bumps `modified`
and shows in the change feed.
"""

from __future__ import annotations

import random
import sqlite3

from . import duplicates, identification, vtj
from . import population as pop
from .store import select_in
from .world import World

DAY = 86_400_000
OFFICIAL = "1.2.246.562.98.10000000033"  # the simulated registrar acting in merges


def _sample(world: World, rng: random.Random, k: int, where: str) -> list[sqlite3.Row]:
    """Up to k random persons matching `where`, reproducibly (random ids, not ORDER BY random())."""
    max_id = int(world.conn.execute("SELECT COALESCE(MAX(id), 0) FROM henkilo").fetchone()[0])
    if max_id == 0 or k <= 0:
        return []
    ids = sorted({rng.randint(1, max_id) for _ in range(k * 4)})
    rows = select_in(world.conn, f"SELECT * FROM henkilo WHERE id IN ({{in}}) AND {where}", ids)
    rng.shuffle(rows)
    return rows[:k]


def _count(n_persons: int, days: float, per_day: float, rng: random.Random) -> int:
    expected = n_persons * per_day * days
    whole = int(expected)
    return whole + (1 if rng.random() < expected - whole else 0)


def time_passes(world: World, days: float = 1.0, *, rng_seed: int | None = None) -> dict[str, int]:
    rng = random.Random(rng_seed if rng_seed is not None else world.rng.random())
    world.clock.advance(int(days * DAY))
    conn = world.conn
    n = int(conn.execute("SELECT COUNT(*) FROM henkilo").fetchone()[0])
    counts = {"name_changes": 0, "moves": 0, "hetu_changes": 0, "identifications": 0, "merges": 0}
    live_vtj = "yksiloity_vtj = 1 AND duplicate = 0 AND passivoitu = 0 AND hetu IS NOT NULL"

    for row in _sample(world, rng, _count(n, days, 0.0015, rng), live_vtj):
        record = vtj.get_raw(world, row["hetu"])
        if record is None:
            continue
        new_surname = rng.choice(pop.FI_SURNAMES + pop.SV_SURNAMES)
        if new_surname == record["sukunimi"]:
            continue
        record["entisetSukunimet"] = [*record.get("entisetSukunimet", []), record["sukunimi"]]
        record["sukunimi"] = new_surname
        vtj.put(world, [record])
        conn.execute(
            "UPDATE henkilo SET sukunimi = ?, vtjsynced = ? WHERE id = ?",
            (new_surname, world.clock.now_ms(), row["id"]),
        )
        world.refresh_search(int(row["id"]))
        world.touch([int(row["id"])], None)
        counts["name_changes"] += 1

    for row in _sample(world, rng, _count(n, days, 0.002, rng), live_vtj):
        record = vtj.get_raw(world, row["hetu"])
        if record is None:
            continue
        kunta = rng.choice(pop.MUNICIPALITIES)
        record["kotikunta"] = kunta
        record["osoite"] = pop.address(rng, kunta)
        vtj.put(world, [record])
        conn.execute(
            "UPDATE henkilo SET kotikunta = ?, vtjsynced = ? WHERE id = ?",
            (kunta, world.clock.now_ms(), row["id"]),
        )
        world.touch([int(row["id"])], None)
        counts["moves"] += 1

    for row in _sample(world, rng, _count(n, days, 0.0002, rng), live_vtj):
        counts["hetu_changes"] += _hetu_change(world, rng, row)

    if world.identification != "off":
        pending = _sample(
            world,
            rng,
            _count(n, days, 0.01, rng),
            "yksiloity_vtj = 0 AND hetu IS NOT NULL AND yksilointi_yritetty = 0",
        )
        ids = identification.candidates(world, [int(r["id"]) for r in pending])
        counts["identifications"] = identification.identify_many(world, ids, None)

    for twin in _sample(
        world,
        rng,
        _count(n, days, 0.0005, rng),
        "hetu IS NULL AND duplicate = 0 AND passivoitu = 0 AND yksiloity = 0",
    ):
        found = duplicates.find_candidates(
            world, twin["etunimet"], twin["kutsumanimi"], twin["sukunimi"], twin["syntymaaika"]
        )
        target = next(
            (
                c
                for _, c in found
                if c["id"] != twin["id"]
                and c["yksiloity_vtj"]
                and c["syntymaaika"] == twin["syntymaaika"]
            ),
            None,
        )
        if target is None:
            continue
        duplicates.link(world, str(target["oid"]), [str(twin["oid"])], OFFICIAL)
        counts["merges"] += 1
    return counts


def _hetu_change(world: World, rng: random.Random, row: sqlite3.Row) -> int:
    """VTJ issues a new hetu; ONR (VTJ change feed) takes it and keeps the old one in history."""
    from datetime import date

    from onrtools.register import hetu as hetu_mod

    old = row["hetu"]
    record = vtj.get_raw(world, old)
    if record is None or not row["syntymaaika"]:
        return 0
    born = date.fromisoformat(row["syntymaaika"])
    for _ in range(20):
        new = hetu_mod.generate(rng, birth_date=born, sex=row["sukupuoli"] or None, test=True)
        taken = world.conn.execute(
            "SELECT 1 FROM vtj WHERE hetu = ? UNION SELECT 1 FROM henkilo WHERE hetu = ? "
            "UNION SELECT 1 FROM henkilo_hetu WHERE hetu = ?",
            (new, new, new),
        ).fetchone()
        if not taken:
            break
    else:
        return 0
    vtj.put(
        world,
        [
            {**record, "hetu": new, "korvaavaHetu": None},
            {**record, "hetu": old, "korvaavaHetu": new},
        ],
    )
    world.conn.execute("UPDATE henkilo SET hetu = ? WHERE id = ?", (new, row["id"]))
    world.conn.executemany(
        "INSERT OR IGNORE INTO henkilo_hetu(hetu, henkilo_id) VALUES (?, ?)",
        [(old, row["id"]), (new, row["id"])],
    )
    world.rederive(int(row["id"]))
    world.touch([int(row["id"])], None)
    return 1
