"""The simulator's behaviour core: `Registry`, a thread-safe facade over the SQLite store.

Every public method takes the `Caller` first and returns JSON-ready values in ONR's DTO shapes;
errors are `SimError`s the HTTP layer renders as ONR's error bodies. Background work (chunks,
identification) is driven by `process_next_chunk()` / `run_identification()`.
"""

from __future__ import annotations

import contextlib
import random
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from . import duplicates, feed, identification, notify, persons, tuonti
from .clock import Clock
from .core import ROOT_ORG, Caller, SimError, require_role, unauthorized
from .dto import henkilo_dto, perustieto_dto
from .store import connect, get_meta, set_meta
from .validation import validate_oppija_tuonti, validate_yleistunniste_tuonti
from .world import World, hetu_derived

__all__ = ["Caller", "Clock", "Registry", "SimError", "ROOT_ORG"]

MODES = ("immediate", "scheduled", "off")


class Registry:
    """ONR's behaviour over one SQLite file (a new Registry on the same file sees everything)."""

    def __init__(
        self,
        db_path: Path | str,
        *,
        seed: int = 0,
        oid_node: int = 98,
        identification: str = "immediate",
        clock: Clock | None = None,
        vtj_accepts_test_hetus: bool = True,
        org_children: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        if identification not in MODES:
            raise ValueError(f"identification must be one of {MODES}")
        self._lock = threading.RLock()
        self.db_path = db_path
        self.seed = seed
        conn = connect(db_path)
        count = conn.execute("SELECT COUNT(*) FROM henkilo").fetchone()[0]
        self.clock = clock or Clock()
        offset = get_meta(conn, "clock_offset_ms")
        if clock is None and offset is not None:
            self.clock.set_offset(int(offset))
        self.world = World(
            conn=conn,
            clock=self.clock,
            rng=random.Random(f"{seed}:{count}"),
            oid_node=oid_node,
            identification=identification,
            vtj_accepts_test_hetus=vtj_accepts_test_hetus,
            org_children=dict(org_children or {}),
        )
        self._rows = tuonti.RowCache()
        self.stall_imports = False
        # ONR runs every import of the instance on one thread, oldest first (one shared queue,
        # process_next_chunk); the HTTP worker waits this long after each chunk
        self.import_chunk_s = 0.0
        self.vtj_fixed = False  # profile testi: the test VTJ knows only its seed people
        # ONR never resumes an interrupted tuonti by itself, also not after a restart (§1.1.5)
        conn.execute("UPDATE tuonti SET runnable = 0 WHERE kasiteltyja < kasiteltavia")

    # -- plumbing ----------------------------------------------------------------------------
    @property
    def identification(self) -> str:
        return self.world.identification

    @identification.setter
    def identification(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"identification must be one of {MODES}")
        self.world.identification = mode

    @property
    def vtj_accepts_test_hetus(self) -> bool:
        return self.world.vtj_accepts_test_hetus

    @vtj_accepts_test_hetus.setter
    def vtj_accepts_test_hetus(self, value: bool) -> None:
        self.world.vtj_accepts_test_hetus = bool(value)

    @contextlib.contextmanager
    def _tx(self) -> Iterator[World]:
        with self._lock:
            conn = self.world.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.world
            except sqlite3.IntegrityError:
                conn.execute("ROLLBACK")
                # a unique constraint (passport, hetu, identification): ONR's DB answers 400
                raise SimError(
                    400,
                    "could not execute statement; constraint violation",
                    exception="org.springframework.dao.DataIntegrityViolationException",
                ) from None
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            else:
                conn.execute("COMMIT")
                self.world.generation += 1

    def close(self) -> None:
        with self._lock:
            self.world.conn.close()

    # -- /oppija -----------------------------------------------------------------------------
    def put_oppija(self, caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
        rows = validate_oppija_tuonti(body)  # bean validation runs before method security
        require_role(caller, "REKISTERINPITAJA", "OPPIJOIDENTUONTI")
        with self._tx() as w:
            return tuonti.create(w, caller, rows, body.get("sahkoposti"), "OPPIJA")

    def put_yleistunniste(self, caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
        rows = validate_yleistunniste_tuonti(body)
        self._yleistunniste_gate(caller)
        with self._tx() as w:
            return tuonti.create(w, caller, rows, body.get("sahkoposti") or None, "YLEISTUNNISTE")

    def get_tuonti(self, caller: Caller, tuonti_id: int, *, api: str = "OPPIJA") -> dict[str, Any]:
        self._api_gate(caller, api, "REKISTERINPITAJA", "REKISTERINPITAJA_READ", "OPPIJOIDENTUONTI")
        with self._lock:
            return tuonti.read_tuonti(self.world, caller, int(tuonti_id), api)

    def restart_tuonti(
        self, caller: Caller, tuonti_id: int, *, api: str = "OPPIJA"
    ) -> dict[str, Any]:
        self._api_gate(caller, api, "REKISTERINPITAJA", "OPPIJOIDENTUONTI")
        with self._tx() as w:
            row = tuonti.get_tuonti_row(w, int(tuonti_id))
            snapshot = tuonti.perustiedot(row)
            # quirk §1.1.6: the api field takes the endpoint used for the restart
            w.conn.execute(
                "UPDATE tuonti SET runnable = 1, api = ? WHERE id = ?", (api, int(tuonti_id))
            )
            return snapshot

    def get_perustiedot(
        self, caller: Caller, tuonti_id: int, *, api: str = "OPPIJA"
    ) -> dict[str, Any]:
        self._api_gate(caller, api, "REKISTERINPITAJA", "REKISTERINPITAJA_READ", "OPPIJOIDENTUONTI")
        with self._lock:
            return tuonti.perustiedot(tuonti.get_tuonti_row(self.world, int(tuonti_id)))

    def yhteenveto(self, caller: Caller, criteria: Mapping[str, Any]) -> dict[str, Any]:
        require_role(caller, "REKISTERINPITAJA", "REKISTERINPITAJA_READ", "OPPIJOIDENTUONTI")
        with self._lock:
            return feed.yhteenveto(self.world, caller, criteria)

    def tuontikooste(self, caller: Caller, params: Mapping[str, Any]) -> dict[str, Any]:
        require_role(caller, "REKISTERINPITAJA", "REKISTERINPITAJA_READ", "OPPIJOIDENTUONTI")
        with self._lock:
            return feed.tuontikooste(self.world, caller, params)

    def tuontidata(self, caller: Caller, tuonti_id: int) -> list[dict[str, Any]]:
        require_role(caller, "REKISTERINPITAJA", "REKISTERINPITAJA_READ", "TUONTIDATA_READ")
        with self._lock:
            return tuonti.tuontidata(self.world, caller, int(tuonti_id))

    def muuttuneet(
        self, caller: Caller, criteria: Mapping[str, Any], page: int = 1, count: int = 20
    ) -> dict[str, Any]:
        require_role(caller, "REKISTERINPITAJA", "REKISTERINPITAJA_READ", "OPPIJOIDENTUONTI")
        with self._lock:
            return feed.muuttuneet(self.world, caller, criteria, page, count)

    def virheet(
        self, caller: Caller, criteria: Mapping[str, Any], page: int = 1, count: int = 20
    ) -> dict[str, Any]:
        require_role(caller, "REKISTERINPITAJA", "REKISTERINPITAJA_READ", "OPPIJOIDENTUONTI")
        with self._lock:
            return feed.virheet(self.world, caller, criteria, page, count)

    def post_oppija(self, caller: Caller, body: dict[str, Any]) -> str:
        require_role(caller, "REKISTERINPITAJA", "OPPIJOIDENTUONTI")
        with self._tx() as w:
            return persons.post_oppija(w, caller, body)

    def add_organisations(self, caller: Caller, oid: str) -> None:
        require_role(caller, "REKISTERINPITAJA")
        orgs = sorted(caller.orgs("OPPIJOIDENTUONTI", "YLEISTUNNISTE_LUONTI"))
        with self._tx() as w:
            row = persons.existing(w, oid)
            if not orgs:
                raise SimError(400, "Käyttäjällä ei ole organisaatioita")
            w.add_orgs([int(row["id"])], orgs)
            w.touch([int(row["id"])], caller.oid)
            w.sync_feed([int(row["id"])])

    def put_organisation(self, caller: Caller, oid: str, org: str) -> None:
        require_role(caller, "REKISTERINPITAJA")
        with self._tx() as w:
            row = persons.existing(w, oid)
            w.add_orgs([int(row["id"])], [org])
            w.touch([int(row["id"])], caller.oid)
            w.sync_feed([int(row["id"])])

    def delete_organisation(self, caller: Caller, oid: str, org: str) -> None:
        require_role(caller, "REKISTERINPITAJA")
        with self._tx() as w:
            row = persons.existing(w, oid)
            w.conn.execute(
                "DELETE FROM henkilo_organisaatio WHERE henkilo_id = ? AND org = ?",
                (row["id"], org),
            )
            w.touch([int(row["id"])], caller.oid)
            w.sync_feed([int(row["id"])])

    # -- /yleistunniste ----------------------------------------------------------------------
    @staticmethod
    def _yleistunniste_gate(caller: Caller) -> None:
        # class-level role; registrar roles alone are not enough (REST §5)
        if not caller.has("YLEISTUNNISTE_LUONTI"):
            raise unauthorized()

    def _api_gate(self, caller: Caller, api: str, *roles: str) -> None:
        if api == "YLEISTUNNISTE":
            self._yleistunniste_gate(caller)
        else:
            require_role(caller, *roles)

    def yleistunniste_hae(self, caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
        self._yleistunniste_gate(caller)
        with self._tx() as w:
            return persons.yleistunniste_hae(w, caller, body)

    def yleistunniste_hae_oid(self, caller: Caller, oid: str) -> dict[str, Any]:
        self._yleistunniste_gate(caller)
        with self._lock:
            return persons.filtered_student(self.world, oid)

    # -- /henkilo ----------------------------------------------------------------------------
    def get_henkilo(self, caller: Caller, oid: str) -> dict[str, Any]:
        with self._lock:
            return henkilo_dto(self.world, persons.readable(self.world, caller, oid))

    def henkilo_exists(self, caller: Caller, oid: str) -> bool:
        """HEAD /henkilo/{oid}: True = 200, False = 404 (401 raised when not permitted)."""
        with self._lock:
            row = self.world.person(oid)
            if not persons.can_read(self.world, caller, row):
                raise unauthorized()
            return row is not None

    def get_master(self, caller: Caller, oid: str) -> dict[str, Any]:
        with self._lock:
            row = persons.readable(self.world, caller, oid)
            return henkilo_dto(self.world, persons.master_row(self.world, row))

    def get_slaves(self, caller: Caller, oid: str) -> list[dict[str, Any]]:
        with self._lock:
            row = persons.readable(self.world, caller, oid)
            ids = self.world.slave_ids(int(row["id"]))
            found = self.world.persons_by_ids(ids)
            return [henkilo_dto(self.world, found[i]) for i in ids if i in found]

    def get_duplicates(self, caller: Caller, oid: str) -> list[dict[str, Any]]:
        with self._lock:
            row = persons.readable(self.world, caller, oid)
            rows = duplicates.candidates_for_person(self.world, row, caller.oid)
            return persons.duplicate_dtos(self.world, rows)

    def duplikaatit(self, caller: Caller, criteria: Mapping[str, Any]) -> list[dict[str, Any]]:
        require_role(caller, "REKISTERINPITAJA", "REKISTERINPITAJA_READ", "OPPIJOIDENTUONTI")
        missing = [k for k in ("etunimet", "kutsumanimi", "sukunimi") if not criteria.get(k)]
        if missing:
            raise SimError(400, f"Required parameter {missing[0]} is missing")
        with self._lock:
            found = duplicates.find_candidates(
                self.world,
                criteria.get("etunimet"),
                criteria.get("kutsumanimi"),
                criteria.get("sukunimi"),
                criteria.get("syntymaaika") or None,
            )
            rows = [r for _, r in found if r["oid"] != caller.oid]
            return persons.duplicate_dtos(self.world, rows)

    def _link_gate(self, w: World, caller: Caller, oid: str, oids: Sequence[str]) -> None:
        others = [o for o in dict.fromkeys(oids) if o != oid]
        main = w.person(oid)
        if persons.can_modify(w, caller, main):
            return
        if len(others) == 1 and persons.can_modify(w, caller, w.person(others[0])):
            return
        raise unauthorized()

    @staticmethod
    def _oid_list(oids: Any) -> list[str]:
        if not isinstance(oids, list) or not all(isinstance(o, str) for o in oids):
            raise SimError(400, "Body must be a JSON array of OIDs")
        return oids

    def link(self, caller: Caller, oid: str, oids: list[str]) -> list[str]:
        oids = self._oid_list(oids)
        with self._tx() as w:
            self._link_gate(w, caller, oid, oids)
            return duplicates.link(w, oid, [str(o) for o in oids], caller.oid)

    def forcelink(self, caller: Caller, oid: str, oids: list[str]) -> list[str]:
        oids = self._oid_list(oids)
        with self._tx() as w:
            self._link_gate(w, caller, oid, oids)
            return duplicates.forcelink(w, oid, [str(o) for o in oids], caller.oid)

    def unlink(self, caller: Caller, oid: str, slave_oid: str) -> None:
        require_role(caller, "REKISTERINPITAJA")
        with self._tx() as w:
            duplicates.unlink(w, oid, slave_oid, caller.oid)

    def get_yksilointitiedot(self, caller: Caller, oid: str) -> dict[str, Any]:
        with self._lock:
            return persons.yksilointitiedot(self.world, persons.readable(self.world, caller, oid))

    def get_identifications(self, caller: Caller, oid: str) -> list[dict[str, str]]:
        require_role(caller, "REKISTERINPITAJA", "REKISTERINPITAJA_READ")
        with self._lock:
            row = persons.existing(self.world, oid)
            from .dto import identifications

            return identifications(self.world, int(row["id"]))

    def post_identification(
        self, caller: Caller, oid: str, dto: dict[str, Any]
    ) -> list[dict[str, str]]:
        require_role(caller, "REKISTERINPITAJA")
        with self._tx() as w:
            return persons.post_identification(w, caller, oid, dto)

    def henkilo_by_hetu(self, caller: Caller, hetu: str) -> dict[str, Any]:
        with self._lock:
            row = persons.by_hetu(self.world, hetu)
            if row is None:
                raise SimError(404, "Henkilo not found")
            if not persons.can_read(self.world, caller, row):  # post-authorized
                raise unauthorized()
            return henkilo_dto(self.world, row)

    def perustiedot_by_oids(self, caller: Caller, oids: list[str]) -> list[dict[str, Any]]:
        require_role(caller, "REKISTERINPITAJA", "REKISTERINPITAJA_READ", "HENKILON_RU")
        wanted = persons.bulk_guard(oids)
        with self._lock:
            found = persons.rows_by_oids(self.world, wanted)
            rows = [found[o] for o in dict.fromkeys(wanted) if o in found]
            rows = [r for r in rows if persons.can_read(self.world, caller, r)]
            return [perustieto_dto(self.world, r) for r in rows]

    def perustiedot_by_hetus(self, caller: Caller, hetus: list[str]) -> list[dict[str, Any]]:
        require_role(caller, "REKISTERINPITAJA", "REKISTERINPITAJA_READ", "HENKILON_RU")
        wanted = persons.bulk_guard(hetus)
        with self._lock:
            from .store import select_in

            rows = select_in(self.world.conn, "SELECT * FROM henkilo WHERE hetu IN ({in})", wanted)
            rows = [r for r in rows if persons.can_read(self.world, caller, r)]
            return [perustieto_dto(self.world, r) for r in rows]

    def henkilot_by_oids(self, caller: Caller, oids: list[str]) -> list[dict[str, Any]]:
        require_role(caller, "READ", "REKISTERINPITAJA", "REKISTERINPITAJA_READ", "HENKILON_RU")
        wanted = persons.bulk_guard(oids)
        with self._lock:
            found = persons.rows_by_oids(self.world, wanted)
            rows = [found[o] for o in dict.fromkeys(wanted) if o in found]
            return [
                henkilo_dto(self.world, r) for r in rows if persons.can_read(self.world, caller, r)
            ]

    def masters_by_oids(self, caller: Caller, oids: list[str]) -> dict[str, Any]:
        require_role(caller, "REKISTERINPITAJA", "REKISTERINPITAJA_READ", "HENKILON_RU")
        wanted = persons.bulk_guard(oids)
        with self._lock:
            found = persons.rows_by_oids(self.world, wanted)
            out: dict[str, Any] = {}
            for oid in wanted:
                row = found.get(oid)
                if row is not None and persons.can_read(self.world, caller, row):
                    out[oid] = henkilo_dto(self.world, persons.master_row(self.world, row))
            return out

    def exists(self, caller: Caller, body: dict[str, Any]) -> tuple[int, dict[str, Any] | None]:
        if not (caller.has("REKISTERINPITAJA", "YLEISTUNNISTE_LUONTI") or caller.is_superuser):
            raise unauthorized()
        with self._lock:
            return persons.exists(self.world, caller, body)

    def create_henkilo(self, caller: Caller, body: dict[str, Any]) -> str:
        if not (caller.has("REKISTERINPITAJA", "YLEISTUNNISTE_LUONTI") or caller.is_superuser):
            raise unauthorized()
        with self._tx() as w:
            return persons.create_henkilo(w, caller, body)

    def update_henkilo(self, caller: Caller, body: dict[str, Any]) -> str:
        with self._tx() as w:
            return persons.update_henkilo(w, caller, body)

    def passivate(self, caller: Caller, oid: str) -> None:
        """DELETE /henkilo/{oid}: passivates; `modified` is not bumped (quirk §9.8)."""
        require_role(caller, "REKISTERINPITAJA", "HENKILON_RU")
        with self._tx() as w:
            row = persons.existing(w, oid)
            w.conn.execute("UPDATE henkilo SET passivoitu = 1 WHERE id = ?", (row["id"],))

    def yksiloi(self, caller: Caller, oid: str) -> None:
        with self._tx() as w:
            persons.yksiloi(w, caller, oid)

    def yksiloi_hetuton(self, caller: Caller, oid: str) -> None:
        with self._tx() as w:
            persons.yksiloi_hetuton(w, caller, oid)

    def pura_yksilointi(self, caller: Caller, oid: str) -> None:
        with self._tx() as w:
            persons.pura_yksilointi(w, caller, oid)

    def yliaja_yksiloimaton(self, caller: Caller, oid: str) -> None:
        with self._tx() as w:
            persons.yliaja_yksiloimaton(w, caller, oid)

    def changed_since(
        self, caller: Caller, at: Any, offset: int | None = None, amount: int | None = None
    ) -> list[str]:
        """GET /s2s/changedSince/{at}: all persons' OIDs with modified ≥ at (§4.5)."""
        require_role(caller, "REKISTERINPITAJA", "REKISTERINPITAJA_READ")
        since = feed.parse_datetime(at)
        with self._lock:
            rows = self.world.conn.execute(
                "SELECT oid FROM henkilo WHERE modified >= ? ORDER BY modified, id "
                "LIMIT ? OFFSET ?",
                (since, -1 if amount is None else int(amount), int(offset or 0)),
            ).fetchall()
            return [r[0] for r in rows]

    # -- background work ---------------------------------------------------------------------
    def process_next_chunk(self) -> bool:
        """Process one 100-row chunk of the oldest runnable unfinished tuonti (FIFO)."""
        with self._lock:
            conn = self.world.conn
            row = conn.execute(
                f"SELECT {tuonti.TUONTI_COLUMNS} FROM tuonti "
                "WHERE runnable = 1 AND kasiteltyja < kasiteltavia ORDER BY id LIMIT 1"
            ).fetchone()
            if row is None:
                return False
            try:
                with self._tx() as w:
                    ids = tuonti.process_chunk(w, self._rows, row)
                    if w.identification == "immediate":
                        identification.run_job(w, ids, None)
                    fresh = tuonti.get_tuonti_row(w, int(row["id"]))
                    unfinished = fresh["kasiteltyja"] < fresh["kasiteltavia"]
                    if self.stall_imports and int(row["kasiteltyja"]) == 0 and unfinished:
                        conn.execute("UPDATE tuonti SET runnable = 0 WHERE id = ?", (row["id"],))
            except Exception:
                # any non-retryable failure stops the tuonti until it is restarted (§1.1.5)
                self._rows.drop(int(row["id"]))
                conn.execute("UPDATE tuonti SET runnable = 0 WHERE id = ?", (row["id"],))
                raise
            return True

    def process_all(self, limit: int | None = None) -> int:
        """Run chunks until nothing is runnable (tests and benchmarks); returns chunk count."""
        n = 0
        while (limit is None or n < limit) and self.process_next_chunk():
            n += 1
        return n

    def run_identification(self) -> int:
        """One run of the production identification job (+ the e-mail step); modes immediate and
        scheduled. Returns how many persons became VTJ-identified."""
        if self.world.identification == "off":
            return 0
        with self._tx() as w:
            done = identification.run_job(w)
            notify.run(w)
            return done

    # -- world -------------------------------------------------------------------------------
    def seed_population(self, n: int, *, rng_seed: int) -> None:
        from . import seed

        with self._tx() as w:
            seed.seed_population(w, n, rng_seed=rng_seed)

    def time_passes(self, days: float = 1.0, *, rng_seed: int | None = None) -> dict[str, int]:
        from . import timepasses

        with self._tx() as w:
            counts = timepasses.time_passes(w, days, rng_seed=rng_seed)
            set_meta(w.conn, "clock_offset_ms", str(self.clock.offset_ms))
            return counts

    def add_vtj(self, records: Sequence[dict[str, Any]]) -> None:
        """Put people into the simulated population register (tests, seeding)."""
        from . import vtj

        if self.vtj_fixed:
            raise ValueError("the testi profile's VTJ knows only its seed people: run the "
                             "default profile to add people to it")
        with self._tx() as w:
            vtj.put(w, records)

    def sample_vtj_people(self, n: int, *, rng_seed: int = 0) -> list[dict[str, Any]]:
        """Up to n people VTJ knows but ONR does not (yet): material for a demo register.

        Each: {hetu, etunimet, kutsumanimi, sukunimi, syntymaaika, sukupuoli, aidinkieli,
        kansalaisuus[]}; importing them identifies them (modes immediate/scheduled).
        """
        import json

        with self._lock:
            rows = self.world.conn.execute(
                "SELECT v.hetu, v.data FROM vtj v WHERE NOT EXISTS (SELECT 1 FROM henkilo h "
                "WHERE h.hetu = v.hetu) AND NOT EXISTS (SELECT 1 FROM henkilo_hetu x "
                "WHERE x.hetu = v.hetu) ORDER BY v.hetu"
            ).fetchall()
        rng = random.Random(rng_seed)
        picked = rng.sample(rows, min(n, len(rows)))
        out = []
        for row in picked:
            d = json.loads(row["data"])
            if d.get("korvaavaHetu") or d.get("passivoitu"):
                continue
            derived = hetu_derived(row["hetu"])
            out.append(
                {
                    "hetu": row["hetu"],
                    "etunimet": d["etunimet"],
                    "kutsumanimi": d["kutsumanimi"],
                    "sukunimi": d["sukunimi"],
                    "syntymaaika": derived[0] if derived else None,
                    "sukupuoli": d.get("sukupuoli"),
                    "aidinkieli": d.get("aidinkieli"),
                    "kansalaisuus": list(d.get("kansalaisuus") or []),
                }
            )
        return out

    def events(self, since_id: int = 0) -> list[dict[str, Any]]:
        """The "person modified" event log (SNS topic in ONR): [{id, aikaleima, kind, oid}]."""
        with self._lock:
            return [
                dict(r)
                for r in self.world.conn.execute(
                    "SELECT * FROM event WHERE id > ? ORDER BY id", (since_id,)
                )
            ]

    def notifications(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(r) for r in self.world.conn.execute("SELECT * FROM ilmoitus ORDER BY id")]

    def admin_state(self) -> dict[str, Any]:
        with self._lock:
            q = self.world.conn.execute

            def one(sql: str) -> int:
                return int(q(sql).fetchone()[0] or 0)

            return {
                "persons": one("SELECT COUNT(*) FROM henkilo"),
                "imported": one("SELECT COUNT(*) FROM henkilo WHERE imported = 1"),
                "passive": one("SELECT COUNT(*) FROM henkilo WHERE passivoitu = 1"),
                "duplicates": one("SELECT COUNT(*) FROM henkilo WHERE duplicate = 1"),
                "identified_vtj": one("SELECT COUNT(*) FROM henkilo WHERE yksiloity_vtj = 1"),
                "links": one("SELECT COUNT(*) FROM henkiloviite"),
                # same hetu on two live persons: impossible (unique column) – kept as a check
                "hetu_duplicates": one(
                    "SELECT COUNT(*) FROM (SELECT hetu FROM henkilo WHERE hetu IS NOT NULL "
                    "AND passivoitu = 0 GROUP BY hetu HAVING COUNT(*) > 1)"
                ),
                "vtj": one("SELECT COUNT(*) FROM vtj"),
                "tuontis": one("SELECT COUNT(*) FROM tuonti"),
                "tuontis_unfinished": one(
                    "SELECT COUNT(*) FROM tuonti WHERE kasiteltyja < kasiteltavia"
                ),
                "rows": one("SELECT COUNT(*) FROM tuonti_rivi"),
                "events": one("SELECT COUNT(*) FROM event"),
                "identification": self.world.identification,
                "clock_ms": self.clock.now_ms(),
            }
