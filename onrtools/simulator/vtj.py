"""The simulated population register (VTJ): the "true" people, keyed by hetu.

A record: {hetu, etunimet, sukunimi, kutsumanimi, sukupuoli, aidinkieli, kansalaisuus[],
turvakielto, kotikunta, entisetSukunimet[], korvaavaHetu (successor hetu or null),
passivoitu (hetu passivated without successor), osoite{katuosoite, postinumero, kaupunki}}.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from .store import dumps, select_in
from .world import World


class VtjNotFoundError(Exception):
    """VTJ codes 0001/0006: no such hetu."""


class VtjPassivatedError(Exception):
    """VTJ code 0002 without an active successor."""


def put(world: World, records: Iterable[dict[str, Any]]) -> None:
    world.conn.executemany(
        "INSERT OR REPLACE INTO vtj(hetu, data) VALUES (?, ?)",
        [(r["hetu"], dumps(r)) for r in records],
    )


def get_raw(world: World, hetu: str) -> dict[str, Any] | None:
    row = world.conn.execute("SELECT data FROM vtj WHERE hetu = ?", (hetu,)).fetchone()
    return None if row is None else json.loads(row[0])


def get_many(world: World, hetus: Sequence[str]) -> dict[str, dict[str, Any]]:
    return {
        r["hetu"]: json.loads(r["data"])
        for r in select_in(world.conn, "SELECT hetu, data FROM vtj WHERE hetu IN ({in})", hetus)
    }


def resolve(record: dict[str, Any] | None, world: World) -> dict[str, Any]:
    """Follow one replacement (code 0002) as ONR does; raise for unknown/passivated hetus."""
    if record is None:
        raise VtjNotFoundError()
    successor = record.get("korvaavaHetu")
    if successor:
        newer = get_raw(world, successor)
        if newer is None:
            raise VtjPassivatedError()
        return newer
    if record.get("passivoitu"):
        raise VtjPassivatedError()
    return record


def query(world: World, hetu: str) -> dict[str, Any]:
    return resolve(get_raw(world, hetu), world)
