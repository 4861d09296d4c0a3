"""seed_population: synthetic Finnish people in VTJ and ONR with planted history (issue 3 item 6).

Everyone is synthetic: hetus are in the test range 900–999 (old and new century signs), names
come from `population`. Planted history: VTJ-identified and pending persons, foreign students
without hetu (passport / e-mail), unlinked duplicate twins, merged (linked) twins, passivated
persons, hetu changes (VTJ successor hetus, ONR hetu history), former surnames, turvakielto,
and extra VTJ-only people an institution can import. Persons attached to the default
institutions are imported through historical seed tuontis of ≤ 5,000 rows.
"""

from __future__ import annotations

import json
import random
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from onrtools.register import hetu as hetu_mod

from . import population as pop
from .dto import encode_vtj_address
from .store import dumps, select_in
from .trigram import search_keys
from .world import World

DAY = 86_400_000
FALLBACK_ORGS = {
    "1.2.246.562.10.00000000101": None,
    "1.2.246.562.10.00000000102": None,
}
USERS_FILE = Path(__file__).with_name("users.toml")


def default_institutions(users_file: Path = USERS_FILE) -> dict[str, dict[str, Any] | None]:
    """org OID → service user {oid, etunimet, sukunimi} importing for it (from users.toml)."""
    out: dict[str, dict[str, Any] | None] = {}
    try:
        users = tomllib.loads(users_file.read_text(encoding="utf-8")).get("users", {})
    except (OSError, tomllib.TOMLDecodeError):
        return dict(FALLBACK_ORGS)
    for name, user in sorted(users.items()):
        for org in user.get("roles", {}).get("OPPIJOIDENTUONTI", []):
            if org.startswith("1.2.246.562.10") and org != "1.2.246.562.10.00000000001":
                out.setdefault(org, {"username": name, **user})
    return out or dict(FALLBACK_ORGS)


@dataclass
class Batch:
    """Rows collected for executemany."""

    henkilo: list[tuple[Any, ...]] = field(default_factory=list)
    hetu_history: list[tuple[str, int]] = field(default_factory=list)
    passports: list[tuple[str, int]] = field(default_factory=list)
    idents: list[tuple[int, str, str]] = field(default_factory=list)
    orgs: list[tuple[int, str]] = field(default_factory=list)
    links: list[tuple[int, int]] = field(default_factory=list)
    vtj: list[tuple[str, str]] = field(default_factory=list)
    imported: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)


class Seeder:
    def __init__(self, world: World, rng_seed: int) -> None:
        self.world = world
        self.rng = random.Random(rng_seed)
        self.now = world.clock.now_ms()
        self.next_id = (
            int(world.conn.execute("SELECT COALESCE(MAX(id), 0) FROM henkilo").fetchone()[0]) + 1
        )
        self.used_hetus: set[str] = set()
        self.used_oids: set[str] = set()
        self.batch = Batch()
        self.institutions = default_institutions()
        self.org_list = sorted(self.institutions)
        self.passport_counter = 0

    # -- unique identifiers ------------------------------------------------------------------
    def hetu(self, born: date, sex: str) -> str:
        while True:
            h = hetu_mod.generate(self.rng, birth_date=born, sex=sex, test=True)
            if h not in self.used_hetus:
                self.used_hetus.add(h)
                return h

    def oid(self) -> str:
        from onrtools.register.oid import generate_person_oid

        while True:
            o = generate_person_oid(self.rng, node=self.world.oid_node)
            if o not in self.used_oids:
                self.used_oids.add(o)
                return o

    # -- records -----------------------------------------------------------------------------
    def vtj_record(
        self, h: str, names: dict[str, Any], sex: str, kunta: str, **extra: Any
    ) -> dict[str, Any]:
        return {
            "hetu": h,
            "etunimet": names["etunimet"],
            "sukunimi": names["sukunimi"],
            "kutsumanimi": names["kutsumanimi"],
            "sukupuoli": sex,
            "aidinkieli": names.get("aidinkieli", "FI"),
            "kansalaisuus": names.get("kansalaisuus", ["246"]),
            "turvakielto": extra.pop("turvakielto", False),
            "kotikunta": kunta,
            "entisetSukunimet": extra.pop("entisetSukunimet", []),
            "korvaavaHetu": extra.pop("korvaavaHetu", None),
            "passivoitu": False,
            "osoite": pop.address(self.rng, kunta),
            **extra,
        }

    def person(
        self,
        *,
        names: dict[str, Any],
        hetu: str | None,
        born: date,
        sex: str,
        vtj_ok: bool = False,
        yksiloity: bool = False,
        kunta: str | None = None,
        turvakielto: bool = False,
        record: dict[str, Any] | None = None,
        history: list[str] | None = None,
        passport: str | None = None,
        email: str | None = None,
        duplicate: bool = False,
        passive: bool = False,
        orgs: list[str] | None = None,
    ) -> int:
        hid = self.next_id
        self.next_id += 1
        created = self.now - self.rng.randint(30, 900) * DAY - self.rng.randint(0, DAY)
        modified = min(self.now - 1000, created + self.rng.randint(0, 400) * DAY)
        syntymaaika = born.isoformat()
        s, sk, ek = search_keys(
            names["etunimet"], names["kutsumanimi"], names["sukunimi"], syntymaaika
        )
        yhteys = None
        if vtj_ok and record is not None:
            yhteys = encode_vtj_address(hid * 10 + 4, record.get("osoite"))
        lang = names.get("aidinkieli")
        self.batch.henkilo.append(
            (
                hid,
                self.oid(),
                hetu,
                names["etunimet"],
                names["kutsumanimi"],
                names["sukunimi"],
                syntymaaika,
                sex,
                lang.lower() if lang else None,
                ",".join(names.get("kansalaisuus", ["246"])),
                kunta if vtj_ok else None,
                int(turvakielto and vtj_ok),
                int(passive or duplicate),
                int(duplicate),
                int(yksiloity),
                int(vtj_ok),
                int(vtj_ok),
                "seed",
                created,
                modified,
                modified if vtj_ok else None,
                s,
                sk,
                ek,
                yhteys,
            )
        )
        for h in history or ([hetu] if vtj_ok and hetu else []):
            self.batch.hetu_history.append((h, hid))
        if passport:
            self.batch.passports.append((passport, hid))
        if email:
            self.batch.idents.append((hid, "email", email))
        for org in orgs or []:
            self.batch.orgs.append((hid, org))
        return hid

    def pick_orgs(self) -> list[str]:
        if not self.org_list:
            return []
        roll = self.rng.random()
        if roll < 0.08 and len(self.org_list) > 1:
            return self.org_list[:2]
        if roll < 0.78:
            return [self.rng.choice(self.org_list)]
        return []

    def import_row(self, hid: int, orgs: list[str], row: dict[str, Any]) -> None:
        for org in orgs:
            self.batch.imported.setdefault(org, []).append((hid, row))

    # -- people --------------------------------------------------------------------------------
    def resident(self) -> None:
        rng = self.rng
        sex = rng.choice("12")
        born = pop.birth_date(rng)
        names = pop.finnish_names(rng, sex)
        kunta = rng.choice(pop.MUNICIPALITIES)
        h = self.hetu(born, sex)
        roll = rng.random()
        turvakielto = rng.random() < 0.01
        extra: dict[str, Any] = {"turvakielto": turvakielto}
        onr_names = dict(names)
        if rng.random() < 0.04:  # surname changed in VTJ; ONR may still hold the former one
            extra["entisetSukunimet"] = [names["sukunimi"]]
            names = {**names, "sukunimi": rng.choice(pop.FI_SURNAMES)}
            if roll < 0.80:
                onr_names = dict(names)
        record = self.vtj_record(h, names, sex, kunta, **extra)
        if roll >= 0.92:  # in VTJ only: a future student an institution can import
            self.batch.vtj.append((h, dumps(record)))
            return
        orgs = self.pick_orgs()
        history = None
        if roll < 0.80 and rng.random() < 0.015:  # planted hetu change, already applied in ONR
            old = self.hetu(born, sex)
            self.batch.vtj.append((old, dumps({**record, "hetu": old, "korvaavaHetu": h})))
            history = [old, h]
        elif roll >= 0.80 and rng.random() < 0.05:  # hetu change not yet seen by ONR
            old = self.hetu(born, sex)
            self.batch.vtj.append((old, dumps({**record, "hetu": old, "korvaavaHetu": h})))
            self.batch.vtj.append((h, dumps(record)))
            hid = self.person(names=onr_names, hetu=old, born=born, sex=sex, orgs=orgs)
            self.import_row(hid, orgs, self._row(onr_names, old, born, sex))
            return
        self.batch.vtj.append((h, dumps(record)))
        identified = roll < 0.80
        if not identified and rng.random() < 0.06:  # will mismatch VTJ on identification
            onr_names = {
                **onr_names,
                "etunimet": rng.choice(pop.FI_MALE if sex == "1" else pop.FI_FEMALE),
            }
            onr_names["kutsumanimi"] = onr_names["etunimet"]
            onr_names["sukunimi"] = rng.choice(pop.FI_SURNAMES)
        hid = self.person(
            names=onr_names if not identified else names,
            hetu=h,
            born=born,
            sex=sex,
            vtj_ok=identified,
            kunta=kunta,
            turvakielto=turvakielto,
            record=record,
            history=history,
            orgs=orgs,
            passive=rng.random() < 0.005,
        )
        self.import_row(hid, orgs, self._row(onr_names, h, born, sex))
        if identified and rng.random() < 0.05:  # a hetu-less twin: a duplicate candidate
            twin_orgs = self.pick_orgs() or orgs
            twin_names = dict(names)
            if rng.random() < 0.4:
                twin_names["etunimet"] = names["etunimet"].split()[0]
                twin_names["kutsumanimi"] = twin_names["etunimet"]
            merged = rng.random() < 0.4
            email = f"{twin_names['kutsumanimi'].lower()}.{hid}@example.org"
            tid = self.person(
                names={**twin_names, "kansalaisuus": ["999"]},
                hetu=None,
                born=born,
                sex=sex,
                email=email,
                orgs=twin_orgs,
                duplicate=merged,
            )
            if merged:
                self.batch.links.append((tid, hid))
            self.import_row(
                tid,
                twin_orgs,
                self._row(twin_names, None, born, sex, email=email, kansalaisuus="999"),
            )

    def foreigner(self) -> None:
        rng = self.rng
        sex = rng.choice("12")
        born = pop.birth_date(rng)
        names = pop.foreign_names(rng, sex)
        self.passport_counter += 1
        passport = (
            f"{names['kansalaisuus'][0]}P{rng.randint(1000000, 9999999)}{self.passport_counter}"
        )
        email = None
        if rng.random() < 0.5:
            local = f"{names['etunimet']}.{names['sukunimi']}{self.passport_counter}".lower()
            email = f"{local}@example.com"
        use_passport = email is None or rng.random() < 0.6
        orgs = self.pick_orgs() or [self.rng.choice(self.org_list)] if self.org_list else []
        hid = self.person(
            names=names,
            hetu=None,
            born=born,
            sex=sex,
            yksiloity=rng.random() < 0.3,
            passport=passport if use_passport else None,
            email=email,
            orgs=orgs,
            passive=rng.random() < 0.005,
        )
        self.import_row(
            hid,
            orgs,
            self._row(
                names,
                None,
                born,
                sex,
                passport=passport if use_passport else None,
                email=email,
                kansalaisuus=names["kansalaisuus"][0],
            ),
        )

    @staticmethod
    def _row(
        names: dict[str, Any],
        hetu: str | None,
        born: date,
        sex: str,
        *,
        passport: str | None = None,
        email: str | None = None,
        kansalaisuus: str = "246",
    ) -> dict[str, Any]:
        h: dict[str, Any] = {
            "hetu": hetu,
            "passinumero": passport,
            "sahkoposti": email,
            "etunimet": names["etunimet"],
            "kutsumanimi": names["kutsumanimi"],
            "sukunimi": names["sukunimi"],
            "syntymaaika": born.isoformat(),
            "sukupuoli": {"koodi": sex},
            "kansalaisuus": [{"koodi": kansalaisuus}],
        }
        return {"henkilo": {k: v for k, v in h.items() if v is not None}}

    # -- flush ---------------------------------------------------------------------------------
    def flush(self) -> None:
        conn = self.world.conn
        b = self.batch
        self._dedupe_against_store()
        conn.executemany(
            "INSERT INTO henkilo(id, oid, hetu, etunimet, kutsumanimi, sukunimi, syntymaaika, "
            "sukupuoli, aidinkieli, kansalaisuus, kotikunta, turvakielto, passivoitu, duplicate, "
            "yksiloity, yksiloity_vtj, yksilointi_yritetty, kasittelija, created, modified, "
            "vtjsynced, search_str, sukunimi_key, etunimi_key, yhteystiedot) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            b.henkilo,
        )
        conn.executemany(
            "INSERT OR IGNORE INTO henkilo_hetu(hetu, henkilo_id) VALUES (?, ?)", b.hetu_history
        )
        conn.executemany(
            "INSERT OR IGNORE INTO passinumero(passinumero, henkilo_id) VALUES (?, ?)", b.passports
        )
        conn.executemany(
            "INSERT INTO identification(henkilo_id, idp, identifier) VALUES (?, ?, ?)", b.idents
        )
        conn.executemany(
            "INSERT OR IGNORE INTO henkilo_organisaatio(henkilo_id, org) VALUES (?, ?)", b.orgs
        )
        conn.executemany(
            "INSERT OR REPLACE INTO henkiloviite(slave_id, master_id) VALUES (?, ?)", b.links
        )
        conn.executemany("INSERT OR IGNORE INTO vtj(hetu, data) VALUES (?, ?)", b.vtj)
        self._seed_tuontis()

    def _dedupe_against_store(self) -> None:
        """Re-roll OIDs/hetus that an earlier seeding already used (a re-seeded store)."""
        conn = self.world.conn
        oids = [r[1] for r in self.batch.henkilo]
        taken = {r[0] for r in select_in(conn, "SELECT oid FROM henkilo WHERE oid IN ({in})", oids)}
        hetus = [r[2] for r in self.batch.henkilo if r[2]]
        taken_h = {
            r[0] for r in select_in(conn, "SELECT hetu FROM henkilo WHERE hetu IN ({in})", hetus)
        }
        taken_h |= {
            r[0]
            for r in select_in(conn, "SELECT hetu FROM henkilo_hetu WHERE hetu IN ({in})", hetus)
        }
        if not taken and not taken_h:
            return
        rows = []
        for r in self.batch.henkilo:
            r = list(r)
            if r[1] in taken:
                r[1] = self.world.new_oid()
            if r[2] in taken_h:
                r[2] = None  # keep the store consistent: this seeded person loses its hetu
            rows.append(tuple(r))
        self.batch.henkilo = rows
        self.batch.hetu_history = [(h, i) for h, i in self.batch.hetu_history if h not in taken_h]

    def _seed_tuontis(self) -> None:
        conn = self.world.conn
        for org, rows in sorted(self.batch.imported.items()):
            user = self.institutions.get(org) or {}
            kasittelija = user.get("oid")
            for start in range(0, len(rows), 5000):
                part = rows[start : start + 5000]
                stamp = self.now - (len(rows) - start) // 50 * DAY // 10 - 30 * DAY
                henkilot = []
                for n, (_, row) in enumerate(part):
                    henkilot.append({"tunniste": f"seed-{org[-3:]}-{start + n + 1}", **row})
                data = json.dumps({"sahkoposti": None, "henkilot": henkilot}, ensure_ascii=False)
                cur = conn.execute(
                    "INSERT INTO tuonti(kasittelija_oid, sahkoposti, kasiteltavia, kasiteltyja, "
                    "api, aikaleima, ilmoitustarve_kasitelty, runnable, data) "
                    "VALUES (?, NULL, ?, ?, 'OPPIJA', ?, 1, 1, ?)",
                    (kasittelija, len(part), len(part), stamp, data.encode()),
                )
                tid = int(cur.lastrowid or 0)
                conn.execute(
                    "INSERT INTO tuonti_organisaatio(tuonti_id, org) VALUES (?, ?)", (tid, org)
                )
                conn.executemany(
                    "INSERT INTO tuonti_rivi(tuonti_id, henkilo_id, tunniste, conflict) "
                    "VALUES (?, ?, ?, 0)",
                    [(tid, hid, h["tunniste"]) for (hid, _), h in zip(part, henkilot, strict=True)],
                )
                ids = [hid for hid, _ in part]
                for s in range(0, len(ids), 900):
                    sub = ids[s : s + 900]
                    conn.execute(
                        "UPDATE henkilo SET imported = 1, "
                        "first_importer = COALESCE(first_importer, ?) "
                        f"WHERE id IN ({','.join('?' * len(sub))})",
                        (kasittelija, *sub),
                    )
        if self.batch.henkilo:
            first, last = self.batch.henkilo[0][0], self.batch.henkilo[-1][0]
            conn.execute(
                "INSERT OR REPLACE INTO feed_org(henkilo_id, org, modified) "
                "SELECT h.id, o.org, h.modified FROM henkilo h "
                "JOIN henkilo_organisaatio o ON o.henkilo_id = h.id "
                "WHERE h.imported = 1 AND h.id BETWEEN ? AND ?",
                (first, last),
            )
        self.batch.imported = {}

    def service_users(self) -> None:
        """The default service users exist as (official) persons, so kooste shows an author."""
        conn = self.world.conn
        for user in self.institutions.values():
            if not user or not user.get("oid"):
                continue
            if conn.execute("SELECT 1 FROM henkilo WHERE oid = ?", (user["oid"],)).fetchone():
                continue
            etu, suku = user.get("etunimet", "Palvelu"), user.get("sukunimi", "Käyttäjä")
            s, sk, ek = search_keys(etu, etu, suku, None)
            conn.execute(
                "INSERT INTO henkilo(oid, etunimet, kutsumanimi, sukunimi, kansalaisuus, created, "
                "modified, kasittelija, search_str, sukunimi_key, etunimi_key) "
                "VALUES (?, ?, ?, ?, '', ?, ?, 'seed', ?, ?, ?)",
                (user["oid"], etu, etu, suku, self.now, self.now, s, sk, ek),
            )


def seed_population(world: World, n: int, *, rng_seed: int) -> None:
    """About n ONR persons (plus their VTJ records and ~9 % VTJ-only people)."""
    seeder = Seeder(world, rng_seed)
    seeder.service_users()
    seeder.next_id = (
        int(world.conn.execute("SELECT COALESCE(MAX(id), 0) FROM henkilo").fetchone()[0]) + 1
    )
    made = 0
    while made < n:
        before = len(seeder.batch.henkilo)
        if seeder.rng.random() < 0.12:
            seeder.foreigner()
        else:
            seeder.resident()
        made += len(seeder.batch.henkilo) - before
        if len(seeder.batch.henkilo) >= 20000:
            seeder.flush()
            seeder.batch = Batch()
    seeder.flush()
