"""The simulator's shared context: store connection, clock, random source, settings, events.

Behaviour modules are functions over a `World`; the `Registry` facade owns one and its lock.
"""

from __future__ import annotations

import random
import re
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from onrtools.register.hetu import CHECK_CHARS, CHECK_CLASS, SIGN_CLASS
from onrtools.register.oid import generate_person_oid

from .clock import Clock
from .store import placeholders, select_in
from .trigram import search_keys

# the shape's classes from onrtools.register.hetu (one home); groups for the fast path below
_HETU_RE = re.compile(rf"^(\d\d)(\d\d)(\d\d)([{SIGN_CLASS}])(\d\d\d)([{CHECK_CLASS}])$")
_CENTURY = {"+": 1800, **dict.fromkeys("-YXWVU", 1900), **dict.fromkeys("ABCDEF", 2000)}
_CHECK = CHECK_CHARS


@lru_cache(maxsize=65536)
def _hetu_info(value: str) -> tuple[str, str] | None:
    """(syntymaaika, sukupuoli) of a valid hetu in ONR's exact form, else None.

    Same acceptance as onrtools.register.hetu.is_valid for upper-case, trimmed input (a test
    compares them); a fast path because every import row and every save re-derives from the hetu.
    """
    m = _HETU_RE.match(value)
    if m is None:
        return None
    dd, mm, yy, sign, nnn, check = m.groups()
    if int(nnn) < 2 or _CHECK[int(dd + mm + yy + nnn) % 31] != check:
        return None
    try:
        born = date(_CENTURY[sign] + int(yy), int(mm), int(dd))
    except ValueError:
        return None
    return born.isoformat(), "1" if int(nnn) % 2 else "2"


def hetu_valid(value: object) -> bool:
    """ONR's @ValidateHetu for a non-empty value: exact upper-case form, test range allowed."""
    return isinstance(value, str) and len(value) == 11 and _hetu_info(value) is not None


def hetu_derived(value: str | None) -> tuple[str, str] | None:
    """(syntymaaika ISO, sukupuoli) from a valid hetu (§0: they override supplied values)."""
    if not value or len(value) != 11:
        return None
    return _hetu_info(value)


@dataclass
class World:
    conn: sqlite3.Connection
    clock: Clock
    rng: random.Random
    oid_node: int = 98
    identification: str = "immediate"
    vtj_accepts_test_hetus: bool = True
    org_children: Mapping[str, Sequence[str]] = field(default_factory=dict)
    generation: int = 0  # bumped on every committed write transaction (caches key on it)
    counts: dict[tuple[Any, ...], int] = field(default_factory=dict)
    page_ends: dict[tuple[Any, ...], tuple[int, int]] = field(default_factory=dict)

    def cached_count(self, sql: str, params: Sequence[Any]) -> int:
        """COUNT(*) result, reused while nothing was written (feed paging repeats it)."""
        key = (self.generation, sql, tuple(params))
        found = self.counts.get(key)
        if found is None:
            if len(self.counts) > 64 or any(k[0] != self.generation for k in self.counts):
                self.counts.clear()
            found = self.counts[key] = int(self.conn.execute(sql, params).fetchone()[0])
        return found

    # -- organisations -----------------------------------------------------------------------
    def with_children(self, orgs: Iterable[str]) -> set[str]:
        """Organisations plus all their (transitive) children from the configured tree."""
        out: set[str] = set()
        stack = list(orgs)
        while stack:
            org = stack.pop()
            if org in out:
                continue
            out.add(org)
            stack.extend(self.org_children.get(org, ()))
        return out

    # -- ids and oids ------------------------------------------------------------------------
    def new_oid(self) -> str:
        while True:
            oid = generate_person_oid(self.rng, node=self.oid_node)
            if self.conn.execute("SELECT 1 FROM henkilo WHERE oid = ?", (oid,)).fetchone() is None:
                return oid

    def person(self, oid: str) -> sqlite3.Row | None:
        return self.conn.execute("SELECT * FROM henkilo WHERE oid = ?", (oid,)).fetchone()

    def person_by_id(self, henkilo_id: int) -> sqlite3.Row | None:
        return self.conn.execute("SELECT * FROM henkilo WHERE id = ?", (henkilo_id,)).fetchone()

    def persons_by_ids(self, ids: Sequence[int]) -> dict[int, sqlite3.Row]:
        rows = select_in(self.conn, "SELECT * FROM henkilo WHERE id IN ({in})", list(set(ids)))
        return {int(r["id"]): r for r in rows}

    # -- links -------------------------------------------------------------------------------
    def master_id(self, henkilo_id: int) -> int | None:
        row = self.conn.execute(
            "SELECT master_id FROM henkiloviite WHERE slave_id = ?", (henkilo_id,)
        ).fetchone()
        return None if row is None else int(row[0])

    def slave_ids(self, master_id: int) -> list[int]:
        return [
            int(r[0])
            for r in self.conn.execute(
                "SELECT slave_id FROM henkiloviite WHERE master_id = ? ORDER BY slave_id",
                (master_id,),
            )
        ]

    def linked_oids(self, henkilo_id: int) -> list[str]:
        """§1.12 `linked`: master → slaves; slave → master + sibling slaves; else []."""
        master = self.master_id(henkilo_id)
        if master is not None:
            ids = [master] + [s for s in self.slave_ids(master) if s != henkilo_id]
        else:
            ids = self.slave_ids(henkilo_id)
        return self.oids_of(ids)

    def oids_of(self, ids: Sequence[int]) -> list[str]:
        if not ids:
            return []
        found = {
            int(r["id"]): str(r["oid"])
            for r in select_in(self.conn, "SELECT id, oid FROM henkilo WHERE id IN ({in})", ids)
        }
        return [found[i] for i in ids if i in found]

    # -- saves -------------------------------------------------------------------------------
    def touch(self, ids: Iterable[int], kasittelija: str | None, *, now: int | None = None) -> int:
        """The standard update path: bump `modified` of these persons and all their slaves (§4.2).

        Returns the timestamp used. Publishes one "modified" event per touched person.
        """
        ids = list(dict.fromkeys(int(i) for i in ids))
        if not ids:
            return now or self.clock.now_ms()
        now = now or self.clock.now_ms()
        all_ids: list[int] = list(ids)
        for part in _parts(ids):
            all_ids.extend(
                int(r[0])
                for r in self.conn.execute(
                    "SELECT slave_id FROM henkiloviite "
                    f"WHERE master_id IN ({placeholders(len(part))})",
                    part,
                )
            )
        all_ids = list(dict.fromkeys(all_ids))
        for part in _parts(all_ids):
            self.conn.execute(
                f"UPDATE henkilo SET modified = ?, kasittelija = COALESCE(?, kasittelija) "
                f"WHERE id IN ({placeholders(len(part))})",
                (now, kasittelija, *part),
            )
            self.conn.execute(
                f"UPDATE feed_org SET modified = ? WHERE henkilo_id IN ({placeholders(len(part))})",
                (now, *part),
            )
        self.events_for(all_ids, "update", now)
        return now

    def events_for(self, ids: Sequence[int], kind: str, now: int) -> None:
        oids = self.oids_of(list(ids))
        self.conn.executemany(
            "INSERT INTO event(aikaleima, kind, oid) VALUES (?, ?, ?)",
            [(now, kind, o) for o in oids],
        )

    def rederive(self, henkilo_id: int) -> None:
        """§0: a valid current hetu overrides syntymaaika and sukupuoli on every save."""
        row = self.conn.execute("SELECT hetu FROM henkilo WHERE id = ?", (henkilo_id,)).fetchone()
        derived = hetu_derived(row["hetu"]) if row else None
        if derived:
            self.conn.execute(
                "UPDATE henkilo SET syntymaaika = ?, sukupuoli = ? WHERE id = ?",
                (*derived, henkilo_id),
            )
            self.refresh_search(henkilo_id)

    def refresh_search(self, henkilo_id: int) -> None:

        row = self.person_by_id(henkilo_id)
        if row is None:
            return
        s, sk, ek = search_keys(
            row["etunimet"], row["kutsumanimi"], row["sukunimi"], row["syntymaaika"]
        )
        self.conn.execute(
            "UPDATE henkilo SET search_str = ?, sukunimi_key = ?, etunimi_key = ? WHERE id = ?",
            (s, sk, ek, henkilo_id),
        )

    def sync_feed(self, ids: Iterable[int]) -> None:
        """Rebuild the feed_org rows of these persons (imported ones, one per organisation)."""
        ids = sorted(set(int(i) for i in ids))
        for part in _parts(ids):
            q = placeholders(len(part))
            self.conn.execute(f"DELETE FROM feed_org WHERE henkilo_id IN ({q})", part)
            self.conn.execute(
                "INSERT INTO feed_org(henkilo_id, org, modified) "
                "SELECT h.id, o.org, h.modified FROM henkilo h "
                "JOIN henkilo_organisaatio o ON o.henkilo_id = h.id "
                f"WHERE h.imported = 1 AND h.id IN ({q})",
                part,
            )

    def add_orgs(self, ids: Iterable[int], orgs: Iterable[str]) -> None:
        orgs = list(orgs)
        self.conn.executemany(
            "INSERT OR IGNORE INTO henkilo_organisaatio(henkilo_id, org) VALUES (?, ?)",
            [(i, o) for i in ids for o in orgs],
        )

    def insert_person(self, **fields: Any) -> int:
        """Create one person (no validation here: callers validate as their ONR path does)."""
        return self.insert_people([fields], now=fields.pop("now", None))[0]

    def insert_people(
        self, people: Sequence[Mapping[str, Any]], *, now: int | None = None
    ) -> list[int]:
        """Create persons in bulk; each mapping takes the keyword fields of `insert_person`.

        Fields: etunimet, kutsumanimi, sukunimi (required); hetu, syntymaaika, sukupuoli,
        aidinkieli, asiointikieli, kansalaisuus, passinumerot, emails, orgs, kasittelija, oid,
        yksiloity, yksiloity_vtj, yksilointi_yritetty, turvakielto, kotikunta.
        """

        if not people:
            return []
        now = now or self.clock.now_ms()
        first_id = (
            int(self.conn.execute("SELECT COALESCE(MAX(id), 0) FROM henkilo").fetchone()[0]) + 1
        )
        oids = self._fresh_oids(sum(1 for p in people if not p.get("oid")))
        rows: list[tuple[Any, ...]] = []
        passports: list[tuple[str, int]] = []
        emails: list[tuple[int, str]] = []
        orgs: list[tuple[int, str]] = []
        events: list[tuple[int, str, str]] = []
        ids: list[int] = []
        for n, p in enumerate(people):
            hid = first_id + n
            ids.append(hid)
            hetu = p.get("hetu") or None  # empty string is always normalised to null (§0)
            syntymaaika, sukupuoli = p.get("syntymaaika"), p.get("sukupuoli")
            derived = hetu_derived(hetu)
            if derived:
                syntymaaika, sukupuoli = derived
            etunimet = p["etunimet"]
            kutsumanimi = p.get("kutsumanimi") or etunimet  # empty copies etunimet (§0)
            oid = p.get("oid") or oids.pop()
            s, sk, ek = search_keys(etunimet, kutsumanimi, p["sukunimi"], syntymaaika)
            rows.append(
                (
                    hid,
                    oid,
                    hetu,
                    etunimet,
                    kutsumanimi,
                    p["sukunimi"],
                    syntymaaika,
                    sukupuoli,
                    p.get("aidinkieli"),
                    p.get("asiointikieli"),
                    ",".join(dict.fromkeys(p.get("kansalaisuus") or ())),
                    p.get("kotikunta"),
                    int(bool(p.get("turvakielto"))),
                    int(bool(p.get("yksiloity"))),
                    int(bool(p.get("yksiloity_vtj"))),
                    int(bool(p.get("yksilointi_yritetty"))),
                    p.get("kasittelija"),
                    now,
                    now,
                    s,
                    sk,
                    ek,
                )
            )
            passports.extend((x, hid) for x in p.get("passinumerot") or () if x and x.strip())
            emails.extend((hid, e) for e in p.get("emails") or ())
            orgs.extend((hid, o) for o in p.get("orgs") or ())
            events.append((now, "create", oid))
        self.conn.executemany(
            "INSERT INTO henkilo(id, oid, hetu, etunimet, kutsumanimi, sukunimi, syntymaaika, "
            "sukupuoli, aidinkieli, asiointikieli, kansalaisuus, kotikunta, turvakielto, "
            "yksiloity, yksiloity_vtj, yksilointi_yritetty, kasittelija, created, modified, "
            "search_str, sukunimi_key, etunimi_key) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        self.conn.executemany(
            "INSERT INTO passinumero(passinumero, henkilo_id) VALUES (?, ?)", passports
        )
        self.conn.executemany(
            "INSERT INTO identification(henkilo_id, idp, identifier) VALUES (?, 'email', ?)", emails
        )
        self.conn.executemany(
            "INSERT OR IGNORE INTO henkilo_organisaatio(henkilo_id, org) VALUES (?, ?)", orgs
        )
        self.conn.executemany("INSERT INTO event(aikaleima, kind, oid) VALUES (?, ?, ?)", events)
        return ids

    def _fresh_oids(self, n: int) -> list[str]:
        """n new OIDs, none already stored; a collision is regenerated (as ONR does)."""
        out: list[str] = []
        while len(out) < n:
            wanted = [
                generate_person_oid(self.rng, node=self.oid_node) for _ in range(n - len(out))
            ]
            taken = {
                r[0]
                for r in select_in(self.conn, "SELECT oid FROM henkilo WHERE oid IN ({in})", wanted)
            }
            for oid in wanted:
                if oid not in taken and oid not in out:
                    out.append(oid)
        out.reverse()  # pop() hands them out in generation order
        return out


def _parts(values: Sequence[int], size: int = 900) -> Iterable[Sequence[int]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def iso_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()
