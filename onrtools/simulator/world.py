"""The simulator's shared context: store connection, clock, random source, settings, events.

Behaviour modules are functions over a `World`; the `Registry` facade owns one and its lock.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from onrtools import hetu as hetu_mod
from onrtools.oid import generate_person_oid

from .clock import Clock
from .store import placeholders, select_in


def hetu_valid(value: object) -> bool:
    """ONR's @ValidateHetu for a non-empty value: exact upper-case form, test range allowed.

    Uses onrtools.hetu (stdnum-compatible); on top of it ONR compares exact strings, so a value
    that only becomes valid after trimming or upper-casing is rejected here.
    """
    if not isinstance(value, str) or len(value) != 11:
        return False
    if not hetu_mod.is_valid(value, allow_temporary=True):
        return False
    return hetu_mod.parse(value, allow_temporary=True).hetu == value


def hetu_derived(value: str | None) -> tuple[str, str] | None:
    """(syntymaaika ISO, sukupuoli) from a valid hetu (§0: they override supplied values)."""
    if not value or not hetu_valid(value):
        return None
    info = hetu_mod.parse(value)
    return info.birth_date.isoformat(), info.sex


@dataclass
class World:
    conn: sqlite3.Connection
    clock: Clock
    rng: random.Random
    oid_node: int = 98
    identification: str = "immediate"
    vtj_accepts_test_hetus: bool = True
    org_children: Mapping[str, Sequence[str]] = field(default_factory=dict)

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
                    f"SELECT slave_id FROM henkiloviite WHERE master_id IN ({placeholders(len(part))})",
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
        from .duplicates import search_keys  # local: duplicates imports world

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

    def add_orgs(self, ids: Iterable[int], orgs: Iterable[str]) -> None:
        orgs = list(orgs)
        self.conn.executemany(
            "INSERT OR IGNORE INTO henkilo_organisaatio(henkilo_id, org) VALUES (?, ?)",
            [(i, o) for i in ids for o in orgs],
        )

    def insert_person(
        self,
        *,
        etunimet: str,
        kutsumanimi: str | None,
        sukunimi: str,
        hetu: str | None = None,
        syntymaaika: str | None = None,
        sukupuoli: str | None = None,
        aidinkieli: str | None = None,
        kansalaisuus: Sequence[str] = (),
        passinumerot: Sequence[str] = (),
        emails: Sequence[str] = (),
        orgs: Iterable[str] = (),
        kasittelija: str | None = None,
        now: int | None = None,
        oid: str | None = None,
        yksiloity: bool = False,
        yksiloity_vtj: bool = False,
        yksilointi_yritetty: bool = False,
        turvakielto: bool = False,
        kotikunta: str | None = None,
        asiointikieli: str | None = None,
    ) -> int:
        """Create a person (no validation here: callers validate as their ONR path does)."""
        from .duplicates import search_keys

        now = now or self.clock.now_ms()
        hetu = hetu or None  # empty string is always normalised to null (§0)
        derived = hetu_derived(hetu)
        if derived:
            syntymaaika, sukupuoli = derived
        kutsumanimi = kutsumanimi or etunimet  # empty kutsumanimi copies etunimet (§0)
        s, sk, ek = search_keys(etunimet, kutsumanimi, sukunimi, syntymaaika)
        cur = self.conn.execute(
            "INSERT INTO henkilo(oid, hetu, etunimet, kutsumanimi, sukunimi, syntymaaika, "
            "sukupuoli, aidinkieli, asiointikieli, kansalaisuus, kotikunta, turvakielto, "
            "yksiloity, yksiloity_vtj, yksilointi_yritetty, kasittelija, created, modified, "
            "search_str, sukunimi_key, etunimi_key) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                oid or self.new_oid(), hetu, etunimet, kutsumanimi, sukunimi, syntymaaika,
                sukupuoli, aidinkieli, asiointikieli, ",".join(dict.fromkeys(kansalaisuus)),
                kotikunta, int(turvakielto), int(yksiloity), int(yksiloity_vtj),
                int(yksilointi_yritetty), kasittelija, now, now, s, sk, ek,
            ),
        )
        henkilo_id = int(cur.lastrowid or 0)
        for p in passinumerot:
            if p and p.strip():
                self.conn.execute(
                    "INSERT INTO passinumero(passinumero, henkilo_id) VALUES (?, ?)",
                    (p, henkilo_id),
                )
        for e in emails:
            self.conn.execute(
                "INSERT INTO identification(henkilo_id, idp, identifier) VALUES (?, 'email', ?)",
                (henkilo_id, e),
            )
        self.add_orgs([henkilo_id], orgs)
        self.events_for([henkilo_id], "create", now)
        return henkilo_id


def _parts(values: Sequence[int], size: int = 900) -> Iterable[Sequence[int]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def iso_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()
