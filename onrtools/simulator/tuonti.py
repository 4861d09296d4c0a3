"""Batch import ("oppijoiden tuonti"): creation, chunked processing, reads (§1)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from onrtools.register import names

from .core import IMPORT_ROWS_ROLES, ROW_ROLES, Caller, SimError
from .dto import oppija_dto, oppijanumero
from .store import select_in
from .world import World

CHUNK = 100
# every column but the raw request (read only by tuontidata and the row cache)
TUONTI_COLUMNS = (
    "id, kasittelija_oid, sahkoposti, kasiteltavia, kasiteltyja, api, aikaleima, "
    "ilmoitustarve_kasitelty, runnable"
)


def perustiedot(row: sqlite3.Row) -> dict[str, Any]:
    """OppijaTuontiPerustiedotReadDto."""
    return {
        "id": row["id"],
        "kasiteltavia": row["kasiteltavia"],
        "kasiteltyja": row["kasiteltyja"],
        "kasitelty": row["kasiteltyja"] >= row["kasiteltavia"],
    }


def import_orgs(caller: Caller) -> list[str]:
    """Direct organisations of OPPIJOIDENTUONTI and YLEISTUNNISTE_LUONTI (§1.4)."""
    return sorted(caller.orgs(*IMPORT_ROWS_ROLES))


def create(
    world: World, caller: Caller, rows: list[dict[str, Any]], sahkoposti: str | None, api: str
) -> dict[str, Any]:
    orgs = import_orgs(caller)
    if not orgs:
        raise SimError(400, "Käyttäjällä ei ole organisaatioita joihin oppijat liitetään")
    data = json.dumps({"sahkoposti": sahkoposti, "henkilot": rows}, ensure_ascii=False).encode()
    now = world.clock.now_ms()
    cur = world.conn.execute(
        "INSERT INTO tuonti(kasittelija_oid, sahkoposti, kasiteltavia, kasiteltyja, api, "
        "aikaleima, data) VALUES (?, ?, ?, 0, ?, ?, ?)",
        (caller.oid, sahkoposti, len(rows), api, now, data),
    )
    tuonti_id = int(cur.lastrowid or 0)
    world.conn.executemany(
        "INSERT INTO tuonti_organisaatio(tuonti_id, org) VALUES (?, ?)",
        [(tuonti_id, o) for o in orgs],
    )
    return {"id": tuonti_id, "kasiteltavia": len(rows), "kasiteltyja": 0, "kasitelty": False}


class RowCache:
    """Parsed request rows of unfinished tuontis (the raw JSON is parsed once, not per chunk)."""

    def __init__(self) -> None:
        self._rows: dict[int, list[dict[str, Any]]] = {}

    def rows(self, world: World, tuonti_id: int) -> list[dict[str, Any]]:
        cached = self._rows.get(tuonti_id)
        if cached is None:
            raw = world.conn.execute(
                "SELECT data FROM tuonti WHERE id = ?", (tuonti_id,)
            ).fetchone()
            cached = json.loads(bytes(raw[0]))["henkilot"]
            self._rows[tuonti_id] = cached
        return cached

    def drop(self, tuonti_id: int) -> None:
        self._rows.pop(tuonti_id, None)


def _lookup(world: World, rows: Sequence[dict[str, Any]]) -> dict[tuple[str, str], int]:
    """Bulk candidate lookup for a chunk: key (kind, value) → henkilo id (§1.2 table)."""
    oids, hetus, passit, emails = set(), set(), set(), set()
    for r in rows:
        h = r["henkilo"]
        if h.get("oid"):
            oids.add(h["oid"])
        if h.get("hetu"):
            hetus.add(h["hetu"])
        if h.get("passinumero"):
            passit.add(h["passinumero"])
        if h.get("sahkoposti"):
            emails.add(h["sahkoposti"])
    conn = world.conn
    found: dict[tuple[str, str], int] = {}
    for r in select_in(conn, "SELECT id, oid FROM henkilo WHERE oid IN ({in})", sorted(oids)):
        found[("oid", r["oid"])] = int(r["id"])
    for r in select_in(conn, "SELECT id, hetu FROM henkilo WHERE hetu IN ({in})", sorted(hetus)):
        found[("hetu", r["hetu"])] = int(r["id"])
    for r in select_in(  # a historical holder wins over a current one
        conn, "SELECT henkilo_id, hetu FROM henkilo_hetu WHERE hetu IN ({in})", sorted(hetus)
    ):
        found[("hetu", r["hetu"])] = int(r["henkilo_id"])
    for r in select_in(
        conn,
        "SELECT henkilo_id, passinumero FROM passinumero WHERE passinumero IN ({in})",
        sorted(passit),
    ):
        found[("passinumero", r["passinumero"])] = int(r["henkilo_id"])
    for r in select_in(
        conn,
        "SELECT MIN(henkilo_id) AS hid, identifier FROM identification "
        "WHERE idp = 'email' AND identifier IN ({in}) GROUP BY identifier",
        sorted(emails),
    ):
        found[("sahkoposti", r["identifier"])] = int(r["hid"])
    return found


KEYS = ("oid", "hetu", "passinumero", "sahkoposti")


@lru_cache(maxsize=65536)
def _names_match(etunimet: str | None, sukunimi: str | None, etu: str, suku: str) -> bool:
    return names.names_match(etunimet, sukunimi, etu, suku)


def process_chunk(world: World, cache: RowCache, tuonti: sqlite3.Row) -> list[int]:
    """Process rows [kasiteltyja, kasiteltyja+100) in one transaction; returns the row persons."""
    tuonti_id = int(tuonti["id"])
    all_rows = cache.rows(world, tuonti_id)
    start = int(tuonti["kasiteltyja"])
    end = min(start + CHUNK, int(tuonti["kasiteltavia"]))
    chunk = all_rows[start:end]
    conn = world.conn
    orgs = [
        r[0]
        for r in conn.execute(
            "SELECT org FROM tuonti_organisaatio WHERE tuonti_id = ?", (tuonti_id,)
        )
    ]
    kasittelija = tuonti["kasittelija_oid"]
    memo = _lookup(world, chunk)
    stored_names: dict[int, tuple[str, str]] = {
        int(r["id"]): (r["etunimet"], r["sukunimi"])
        for r in select_in(
            conn,
            "SELECT id, etunimet, sukunimi FROM henkilo WHERE id IN ({in})",
            sorted(set(memo.values())),
        )
    }
    now = world.clock.now_ms()
    next_id = int(conn.execute("SELECT COALESCE(MAX(id), 0) FROM henkilo").fetchone()[0]) + 1
    new_people: list[dict[str, Any]] = []
    existing: list[int] = []
    rivit: list[tuple[int, int, str | None, int]] = []
    row_persons: list[int] = []
    for row in chunk:
        h = row["henkilo"]
        person: int | None = None
        for key in KEYS:  # precedence OID → hetu → passport → e-mail; first hit wins
            value = h.get(key)
            if value and (key, value) in memo:
                person = memo[(key, value)]
                break
        if person is None:
            lang = (h.get("aidinkieli") or {}).get("koodi")
            person = next_id + len(new_people)
            new_people.append(
                {
                    "hetu": h.get("hetu") or None,
                    "etunimet": h["etunimet"],
                    "kutsumanimi": h["kutsumanimi"],
                    "sukunimi": h["sukunimi"],
                    "syntymaaika": (str(h["syntymaaika"]).strip() or None)
                    if h.get("syntymaaika")
                    else None,
                    "sukupuoli": (h.get("sukupuoli") or {}).get("koodi"),
                    "aidinkieli": lang.lower() if lang else None,
                    "kansalaisuus": [k["koodi"] for k in h.get("kansalaisuus") or []],
                    "passinumerot": [h["passinumero"]] if h.get("passinumero") else [],
                    "emails": [h["sahkoposti"]] if h.get("sahkoposti") else [],
                    "orgs": orgs,
                    "kasittelija": kasittelija,
                }
            )
            stored_names[person] = (h["etunimet"], h["sukunimi"])
            conflict = False  # a person created from this very row has the row's names
        else:
            existing.append(person)
            etu, suku = stored_names[person]
            conflict = not _names_match(h.get("etunimet"), h.get("sukunimi"), etu, suku)
        for key in KEYS:  # in-chunk memo (§1.2 step 5, quirk reproduced)
            value = h.get(key)
            if value:
                memo[(key, value)] = person
        rivit.append((tuonti_id, person, row.get("tunniste"), int(conflict)))
        row_persons.append(person)
    created = world.insert_people(new_people, now=now)
    assert not created or created[0] == next_id
    touched_new = [p for p in existing if p >= next_id]  # matched a person new in this chunk
    existing = [p for p in existing if p < next_id]
    if existing:
        world.add_orgs(set(existing), orgs)
        world.touch(existing, kasittelija, now=now)
    if touched_new:  # a later row of the chunk matched a person created earlier in it
        world.events_for(touched_new, "update", now)
    conn.executemany(
        "INSERT INTO tuonti_rivi(tuonti_id, henkilo_id, tunniste, conflict) VALUES (?, ?, ?, ?)",
        rivit,
    )
    ids = sorted(set(row_persons))
    for part_start in range(0, len(ids), 900):
        part = ids[part_start : part_start + 900]
        conn.execute(
            f"UPDATE henkilo SET imported = 1, first_importer = COALESCE(first_importer, ?) "
            f"WHERE id IN ({','.join('?' * len(part))})",
            (kasittelija, *part),
        )
    world.sync_feed(ids)
    conn.execute("UPDATE tuonti SET kasiteltyja = ? WHERE id = ?", (end, tuonti_id))
    if end >= int(tuonti["kasiteltavia"]):
        cache.drop(tuonti_id)
    return row_persons


def get_tuonti_row(world: World, tuonti_id: int) -> sqlite3.Row:
    row = world.conn.execute(
        f"SELECT {TUONTI_COLUMNS} FROM tuonti WHERE id = ?", (tuonti_id,)
    ).fetchone()
    if row is None:
        raise SimError(404, f"Tuonti not found: {tuonti_id}")
    return row


def _visible(world: World, caller: Caller, tuonti_id: int) -> bool:
    """§1.12: at least one row whose person is attached to a direct row-role organisation."""
    if caller.is_read_all:
        return (
            world.conn.execute(
                "SELECT 1 FROM tuonti_rivi WHERE tuonti_id = ? LIMIT 1", (tuonti_id,)
            ).fetchone()
            is not None
        )
    orgs = sorted(caller.orgs(*ROW_ROLES))
    if not orgs:
        return False
    return (
        world.conn.execute(
            "SELECT 1 FROM tuonti_rivi r "
            "JOIN henkilo_organisaatio o ON o.henkilo_id = r.henkilo_id "
            f"WHERE r.tuonti_id = ? AND o.org IN ({','.join('?' * len(orgs))}) LIMIT 1",
            (tuonti_id, *orgs),
        ).fetchone()
        is not None
    )


def read_tuonti(world: World, caller: Caller, tuonti_id: int, api: str) -> dict[str, Any]:
    """GET /oppija/tuonti={id} (OppijaTuontiReadDto) or /yleistunniste/… (FilteredResult)."""
    tuonti = get_tuonti_row(world, tuonti_id)
    if not _visible(world, caller, tuonti_id):
        raise SimError(403, "Ei oikeuksia tuonnin tietoihin")
    rivit = world.conn.execute(
        "SELECT henkilo_id, tunniste, conflict FROM tuonti_rivi WHERE tuonti_id = ? "
        "ORDER BY henkilo_id, id",  # not the input order (ONR holds rows in an unordered set)
        (tuonti_id,),
    ).fetchall()
    persons = world.persons_by_ids([int(r["henkilo_id"]) for r in rivit])
    links = _link_info(world, list(persons))
    henkilot = []
    for r in rivit:
        p = persons[int(r["henkilo_id"])]
        master_oid, linked = links.get(int(p["id"]), (None, []))
        num = oppijanumero(p) or master_oid  # §1.12 link-based filling
        if api == "YLEISTUNNISTE":
            henkilo: dict[str, Any] = {
                "oid": p["oid"],
                "oppijanumero": num,
                "passivoitu": bool(p["passivoitu"]),
                "linked": linked,
            }
        else:
            henkilo = oppija_dto(p, oppijanumero_value=num, linked=linked)
        item: dict[str, Any] = {"tunniste": r["tunniste"], "henkilo": henkilo}
        if r["conflict"] is not None:  # quirk §9.9: false for current rows, absent when null
            item["conflict"] = bool(r["conflict"])
        henkilot.append(item)
    return {**perustiedot(tuonti), "henkilot": henkilot}


def _link_info(world: World, ids: list[int]) -> dict[int, tuple[str | None, list[str]]]:
    """id → (oid of the link's master or None, linked OIDs) for persons taking part in links."""
    out: dict[int, tuple[str | None, list[str]]] = {}
    if not ids:
        return out
    rows = _link_rows_big(world, ids)
    masters = {int(r["master_id"]) for r in rows} | {int(r["slave_id"]) for r in rows}
    for i in ids:
        if i in masters:
            m = world.master_id(i)
            master = m if m is not None else i
            out[i] = (world.oids_of([master])[0], world.linked_oids(i))
    return out


def _link_rows_big(world: World, ids: list[int]) -> list[sqlite3.Row]:
    out: list[sqlite3.Row] = []
    for s in range(0, len(ids), 400):
        part = ids[s : s + 400]
        q = ",".join("?" * len(part))
        out.extend(
            world.conn.execute(
                "SELECT slave_id, master_id FROM henkiloviite "
                f"WHERE slave_id IN ({q}) OR master_id IN ({q})",
                (*part, *part),
            )
        )
    return out


def tuontidata(world: World, caller: Caller, tuonti_id: int) -> list[dict[str, Any]]:
    """GET /oppija/tuontidata/{id}: raw rows, hetu masked, joined by tunniste (§1.3)."""
    get_tuonti_row(world, tuonti_id)  # 404 first
    if not caller.is_read_all:
        mine = world.with_children(caller.orgs("TUONTIDATA_READ"))
        theirs = {
            r[0]
            for r in world.conn.execute(
                "SELECT org FROM tuonti_organisaatio WHERE tuonti_id = ?", (tuonti_id,)
            )
        }
        if not mine & theirs or not _visible(world, caller, tuonti_id):
            raise SimError(403, "Ei oikeuksia tuonnin tietoihin")
    data = world.conn.execute("SELECT data FROM tuonti WHERE id = ?", (tuonti_id,)).fetchone()[0]
    raw = json.loads(bytes(data))["henkilot"]
    first: dict[str | None, sqlite3.Row] = {}
    for r in world.conn.execute(
        "SELECT r.tunniste, r.conflict, h.oid, h.etunimet, h.sukunimi FROM tuonti_rivi r "
        "JOIN henkilo h ON h.id = r.henkilo_id WHERE r.tuonti_id = ? ORDER BY r.id",
        (tuonti_id,),
    ):
        first.setdefault(r["tunniste"], r)
    out = []
    for row in raw:
        henkilo = {k: v for k, v in row["henkilo"].items() if v is not None}
        if henkilo.get("hetu"):
            henkilo["hetu"] = henkilo["hetu"][:-4] + "****"
        item: dict[str, Any] = {k: v for k, v in row.items() if v is not None and k != "henkilo"}
        item["henkilo"] = henkilo
        match = first.get(row.get("tunniste"))
        if match is not None:
            item["henkiloOid"] = match["oid"]
            item["henkiloNimi"] = f"{match['sukunimi']}, {match['etunimet']}"
            item["conflict"] = bool(match["conflict"])
        out.append(item)
    return out
