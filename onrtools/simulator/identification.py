"""VTJ identification ("yksilöinti", §2): the job, errors with retry, hetu-change linking."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from onrtools.register import names

from . import vtj
from .dto import encode_vtj_address
from .duplicates import link_rows
from .store import dumps, select_in
from .trigram import search_keys
from .world import World, hetu_derived

TERMINAL = {"HETU_EI_VTJ", "HETU_EI_OIKEA", "HETU_PASSIVOITU", "MUU"}
RETRYABLE = "MUU_UUDELLEENYRITETTAVA"
MINUTE = 60_000


def record_terminal_errors(world: World, items: Sequence[tuple[int, str, str]]) -> None:
    """Bulk version of record_error for terminal errors: (henkilo_id, tila, message)."""
    if not items:
        return
    now = world.clock.now_ms()
    exc = "fi.vm.sade.oppijanumerorekisteri.exceptions.SuspendableIdentificationException"
    world.conn.executemany(
        "INSERT OR REPLACE INTO yksilointivirhe(henkilo_id, tila, aikaleima, exception, message, "
        "retry_count, retry_time) VALUES (?, ?, ?, ?, ?, NULL, NULL)",
        [(hid, tila, now, exc, msg) for hid, tila, msg in items],
    )
    world.conn.executemany(
        "UPDATE henkilo SET yksilointi_yritetty = 1 WHERE id = ?", [(hid,) for hid, _, _ in items]
    )


def record_error(world: World, henkilo_id: int, tila: str, message: str) -> None:
    """§2.5: one record per person; sets yksilointiYritetty without bumping `modified`."""
    now = world.clock.now_ms()
    count: int | None = None
    retry: int | None = None
    if tila == RETRYABLE:
        prev = world.conn.execute(
            "SELECT retry_count FROM yksilointivirhe WHERE henkilo_id = ?", (henkilo_id,)
        ).fetchone()
        count = 0 if prev is None or prev[0] is None else int(prev[0]) + 1
        minutes = count**5 + 10 if count <= 9 else 30 * 24 * 60
        retry = now + minutes * MINUTE
    world.conn.execute(
        "INSERT OR REPLACE INTO yksilointivirhe(henkilo_id, tila, aikaleima, exception, message, "
        "retry_count, retry_time) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            henkilo_id,
            tila,
            now,
            "fi.vm.sade.oppijanumerorekisteri.exceptions.SuspendableIdentificationException"
            if tila in TERMINAL
            else "java.lang.RuntimeException",
            message,
            count,
            retry,
        ),
    )
    world.conn.execute("UPDATE henkilo SET yksilointi_yritetty = 1 WHERE id = ?", (henkilo_id,))


def names_ok(person: sqlite3.Row, record: dict[str, Any]) -> bool:
    """§2.3: lenient check (former surnames, swapped fields, blank ONR names match)."""
    if (
        person["hetu"]
        and not (person["sukunimi"] or "").strip()
        and not (person["etunimet"] or "").strip()
    ):
        return True
    surnames = [record.get("sukunimi") or ""] + list(record.get("entisetSukunimet") or [])
    vtj_first = record.get("etunimet") or ""

    def check(onr_suku: str, onr_etu: str) -> bool:
        return any(names.surname_matches(onr_suku, s) for s in surnames) and (
            names.first_names_match(onr_etu, vtj_first)
        )

    return check(person["sukunimi"], person["etunimet"]) or check(
        person["etunimet"], person["sukunimi"]
    )


def candidates(world: World, ids: Sequence[int] | None = None) -> list[int]:
    """§2.2 candidates: not VTJ-identified, has hetu, no pending mismatch, error retry due."""
    now = world.clock.now_ms()
    sql = (
        "SELECT h.id FROM henkilo h LEFT JOIN yksilointivirhe v ON v.henkilo_id = h.id "
        "WHERE h.yksiloity_vtj = 0 AND h.hetu IS NOT NULL AND h.hetu != '' "
        "AND NOT EXISTS (SELECT 1 FROM yksilointitieto t WHERE t.henkilo_id = h.id) "
        "AND (v.henkilo_id IS NULL OR (v.retry_time IS NOT NULL AND v.retry_time <= ?))"
    )
    if ids is None:
        return [int(r[0]) for r in world.conn.execute(sql + " ORDER BY h.id", (now,))]
    return _candidates_in(world, sql, ids, now)


def _candidates_in(world: World, sql: str, ids: Sequence[int], now: int) -> list[int]:
    out: list[int] = []
    ids = sorted(set(ids))
    for s in range(0, len(ids), 900):
        part = ids[s : s + 900]
        out.extend(
            int(r[0])
            for r in world.conn.execute(
                sql + f" AND h.id IN ({','.join('?' * len(part))})", (now, *part)
            )
        )
    return out


def identify_many(world: World, ids: Sequence[int], kasittelija: str | None = None) -> int:
    """Identify these persons (§2.2); returns how many became VTJ-identified.

    Bulk: errors, attempts, mismatch records and the common success (same hetu, nobody else
    holds it) are written with executemany; hetu changes and takeovers go one by one after
    them (order inside one batch can therefore differ from ONR's id order in rare cases).
    """
    if not ids:
        return 0
    persons = world.persons_by_ids(ids)
    hetus = sorted({p["hetu"] for p in persons.values() if p["hetu"]})
    records = vtj.get_many(world, hetus)
    errors: list[tuple[int, str, str]] = []
    matched: list[tuple[int, sqlite3.Row, dict[str, Any]]] = []
    mismatched: list[tuple[int, dict[str, Any]]] = []
    for hid in ids:
        p = persons.get(hid)
        if p is None or not p["hetu"]:
            continue
        record = _prepare(world, p, records.get(p["hetu"]), errors)
        if record is None:
            continue
        if names_ok(p, record):
            matched.append((hid, p, record))
        else:
            mismatched.append((hid, record))
    record_terminal_errors(world, errors)
    attempted = [(hid,) for hid, _, _ in matched] + [(hid,) for hid, _ in mismatched]
    conn = world.conn
    conn.executemany("DELETE FROM yksilointivirhe WHERE henkilo_id = ?", attempted)
    conn.executemany("UPDATE henkilo SET yksilointi_yritetty = 1 WHERE id = ?", attempted)
    if mismatched:  # step 5: keep VTJ's data, save the person, not identified
        conn.executemany(
            "INSERT OR REPLACE INTO yksilointitieto(henkilo_id, data) VALUES (?, ?)",
            [(hid, dumps(record)) for hid, record in mismatched],
        )
        world.touch([hid for hid, _ in mismatched], None)
    wanted = sorted({record["hetu"] for _, _, record in matched})
    holders: dict[str, set[int]] = {}
    for r in select_in(
        conn, "SELECT hetu, henkilo_id FROM henkilo_hetu WHERE hetu IN ({in})", wanted
    ):
        holders.setdefault(r["hetu"], set()).add(int(r["henkilo_id"]))
    for r in select_in(conn, "SELECT hetu, id FROM henkilo WHERE hetu IN ({in})", wanted):
        holders.setdefault(r["hetu"], set()).add(int(r["id"]))
    simple = [
        (hid, p, record)
        for hid, p, record in matched
        if record["hetu"] == p["hetu"] and not holders.get(record["hetu"], set()) - {hid}
    ]
    successes = _apply_simple(world, simple, kasittelija)
    done = {hid for hid, _, _ in simple}
    for hid, _, record in matched:
        if hid in done:
            continue
        fresh = world.person_by_id(hid)
        if fresh is not None and fresh["hetu"]:
            successes += identify_with_hetu_change(world, fresh, record, kasittelija)
    return successes


def _prepare(
    world: World,
    p: sqlite3.Row,
    raw: dict[str, Any] | None,
    errors: list[tuple[int, str, str]],
) -> dict[str, Any] | None:
    """Steps 1–3 of §2.2: the VTJ record, or None with a terminal error recorded."""
    hid = int(p["id"])
    if p["yksiloity_eidas"]:
        errors.append((hid, "MUU", "eIDAS-identified person"))
        return None
    if p["hetu"][7] == "9" and not world.vtj_accepts_test_hetus:
        errors.append((hid, "HETU_EI_OIKEA", "Hetu is not real"))
        return None
    try:
        return vtj.resolve(raw, world)
    except vtj.VtjNotFoundError:
        errors.append((hid, "HETU_EI_VTJ", "Hetu not found from VTJ"))
    except vtj.VtjPassivatedError:
        errors.append((hid, "HETU_PASSIVOITU", "Hetu passivated in VTJ"))
    return None


def _vtj_values(p: sqlite3.Row, record: dict[str, Any], now: int) -> dict[str, Any]:
    etunimet = record.get("etunimet") or p["etunimet"]
    kutsumanimi = p["kutsumanimi"]
    vk = record.get("kutsumanimi")
    if vk and vk.strip() and vk != kutsumanimi:  # blank counts as missing (decision)
        kutsumanimi = vk
    if not names.kutsumanimi_valid(kutsumanimi, etunimet):
        kutsumanimi = etunimet
    lang = record.get("aidinkieli")
    derived = hetu_derived(record["hetu"])
    return {
        "etunimet": etunimet,
        "kutsumanimi": kutsumanimi,
        "sukunimi": record.get("sukunimi") or p["sukunimi"],
        "aidinkieli": lang.lower() if lang else p["aidinkieli"],
        "turvakielto": int(bool(record.get("turvakielto"))),
        "kansalaisuus": ",".join(record.get("kansalaisuus") or []) or p["kansalaisuus"],
        "sukupuoli": derived[1] if derived else record.get("sukupuoli") or p["sukupuoli"],
        "syntymaaika": derived[0] if derived else p["syntymaaika"],
        "kotikunta": record.get("kotikunta") or p["kotikunta"],
        "yhteystiedot": encode_vtj_address(int(p["id"]) * 10 + 4, record.get("osoite"))
        or p["yhteystiedot"],
        "vtjsynced": now,
    }


def _apply_simple(
    world: World, items: list[tuple[int, sqlite3.Row, dict[str, Any]]], kasittelija: str | None
) -> int:
    """The common case in bulk: same hetu, nobody else holds it → overwrite and identify."""
    if not items:
        return 0

    now = world.clock.now_ms()
    updates = []
    for hid, p, record in items:
        v = _vtj_values(p, record, now)
        s, sk, ek = search_keys(v["etunimet"], v["kutsumanimi"], v["sukunimi"], v["syntymaaika"])
        updates.append(
            (
                v["etunimet"],
                v["kutsumanimi"],
                v["sukunimi"],
                v["aidinkieli"],
                v["turvakielto"],
                v["kansalaisuus"],
                v["sukupuoli"],
                v["syntymaaika"],
                v["kotikunta"],
                v["yhteystiedot"],
                now,
                s,
                sk,
                ek,
                hid,
            )
        )
    world.conn.executemany(
        "UPDATE henkilo SET etunimet=?, kutsumanimi=?, sukunimi=?, aidinkieli=?, turvakielto=?, "
        "kansalaisuus=?, sukupuoli=?, syntymaaika=?, kotikunta=?, yhteystiedot=?, vtjsynced=?, "
        "search_str=?, sukunimi_key=?, etunimi_key=?, yksiloity_vtj=1, yksiloity=0 WHERE id=?",
        updates,
    )
    world.conn.executemany(
        "INSERT OR IGNORE INTO henkilo_hetu(hetu, henkilo_id) VALUES (?, ?)",
        [(p["hetu"], hid) for hid, p, _ in items],
    )
    ids = [hid for hid, _, _ in items]
    for s in range(0, len(ids), 900):
        part = ids[s : s + 900]
        world.conn.execute(
            f"DELETE FROM yksilointitieto WHERE henkilo_id IN ({','.join('?' * len(part))})", part
        )
    world.touch(ids, kasittelija, now=now)
    return len(items)


def _holder(world: World, hetu: str, exclude: int) -> sqlite3.Row | None:
    """The other holder of a hetu: historical hetus first, then current (§2.4)."""
    row = world.conn.execute(
        "SELECT h.* FROM henkilo_hetu x JOIN henkilo h ON h.id = x.henkilo_id "
        "WHERE x.hetu = ? AND h.id != ?",
        (hetu, exclude),
    ).fetchone()
    if row is None:
        row = world.conn.execute(
            "SELECT * FROM henkilo WHERE hetu = ? AND id != ?", (hetu, exclude)
        ).fetchone()
    return row


def _identified(row: sqlite3.Row) -> bool:
    return bool(row["yksiloity"] or row["yksiloity_vtj"] or row["yksiloity_eidas"])


def identify_with_hetu_change(
    world: World, p: sqlite3.Row, record: dict[str, Any], kasittelija: str | None
) -> int:
    """§2.4: VTJ returned another hetu, or someone else holds it → automatic link."""
    conn = world.conn
    hid = int(p["id"])
    new, old = record["hetu"], p["hetu"]
    other = _holder(world, new, hid)
    if other is None:
        conn.execute("UPDATE henkilo SET hetu = ? WHERE id = ?", (new, hid))
        _apply_simple(world, [(hid, world.person_by_id(hid), record)], kasittelija)  # type: ignore[list-item]
        conn.execute(
            "INSERT OR IGNORE INTO henkilo_hetu(hetu, henkilo_id) VALUES (?, ?)", (old, hid)
        )
        return 1
    if other["yksiloity_vtj"] and _identified(p):
        record_error(world, hid, RETRYABLE, "Both persons are identified")
        return 0
    master, slave = (other, p) if other["yksiloity_vtj"] else (p, other)
    mid, sid = int(master["id"]), int(slave["id"])
    history = {h for h in (old, new, master["hetu"]) if h}
    history |= {
        r[0]
        for r in conn.execute(
            "SELECT hetu FROM henkilo_hetu WHERE henkilo_id IN (?, ?)", (mid, sid)
        )
    }
    conn.execute("DELETE FROM henkilo_hetu WHERE henkilo_id IN (?, ?)", (mid, sid))
    conn.execute("UPDATE henkilo SET hetu = NULL WHERE id = ?", (sid,))
    conn.execute("UPDATE henkilo SET hetu = ? WHERE id = ?", (new, mid))
    conn.executemany(
        "INSERT OR REPLACE INTO henkilo_hetu(hetu, henkilo_id) VALUES (?, ?)",
        [(h, mid) for h in sorted(history)],
    )
    fresh_master = world.person_by_id(mid)
    fresh_slave = world.person_by_id(sid)
    assert fresh_master is not None and fresh_slave is not None
    link_rows(world, fresh_master, [fresh_slave], kasittelija, clear_slave_hetu=True)
    if mid == hid:
        row = world.person_by_id(mid)
        assert row is not None
        _apply_simple(world, [(mid, row, record)], kasittelija)
        return 1
    conn.execute("UPDATE henkilo SET yksilointi_yritetty = 1 WHERE id = ?", (hid,))
    return 0


def run_job(world: World, ids: Sequence[int] | None = None, kasittelija: str | None = None) -> int:
    """One run of the identification job over candidates (all, or among `ids`)."""
    todo = candidates(world, ids)
    done = 0
    for s in range(0, len(todo), 300):
        done += identify_many(world, todo[s : s + 300], kasittelija)
    return done
