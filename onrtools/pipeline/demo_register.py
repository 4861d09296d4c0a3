"""A synthetic local register with planted defects, and the truth of where each row belongs.

``plan(n, seed)`` draws the people of a korkeakoulu's register export and plants the defects
the issue names; every row carries the action lists (:data:`onrtools.reconcile.CATEGORIES`)
it must land in after a pipeline run, so a test can check "every planted defect lands in the
right list, nothing else does". What ONR must hold beforehand for the truth to come true is
part of the plan too:

* ``vtj``: population-register (VTJ) records of the people, so that ONR's identification
  succeeds for clean rows, follows a replaced hetu, and sees a changed surname;
* ``prior_imports``: rows another institution (``palvelu-kk2``) imported earlier, and the
  links a registrar then made (``merges``), for the people the local register still knows by
  their old, since merged OID;
* ``ours_elsewhere``: people our own organisation imported outside this register (they must
  show up as "missing from the local register").

:func:`finish` fills the local OIDs (known only after the prior imports ran) and returns the
register frame to write. Defect kinds and their lists (rows are otherwise clean, new to ONR):

=====================  =====================================================================
kind                   lands in
=====================  =====================================================================
clean                  store_oppijanumero
hetu_typo              never_sent (invalid.hetu)
kutsumanimi            sent_with_warnings (kutsumanimi.must.exist.in.etunimet: ONR's PUT /oppija
                       accepts it) + store_oppijanumero + name_differs (once identified, ONR
                       shows VTJ's kutsumanimi, not the planted one)
finnish_without_hetu   never_sent (hetu.required.for.finnish)
duplicate_in_file      local_duplicate + store_oppijanumero; the second copy also
                       sent_with_warnings (hetu.duplicate)
foreign_without_hetu   manual_identification (no hetu: identified by hand in ONR)
merged_in_onr          replace_merged_oid
twin_in_onr            store_oppijanumero; its twin row ``<t>-p`` (the same foreign student by
                       passport only, exported twice) manual_identification. ONR holds two
                       persons: the matcher pairs the rows, a reviewer's "same" makes a merge
                       request (``twins``)
wrong_merge_in_onr     replace_merged_oid + name_differs (the master is someone else); the
                       link is flagged as looking wrong: a registrar linked our student's old
                       OID under a different person (``wrong_links``)
name_changed           name_differs + store_oppijanumero (VTJ has a new surname)
hetu_changed           hetu_changed + store_oppijanumero (VTJ replaced the hetu)
(ours_elsewhere)       missing_locally (by OID; not a register row)
=====================  =====================================================================

Only synthetic people: every hetu is in the test range (individual number 900–999).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from onrtools.register import hetu as hetu_rules
from onrtools.register.hetu import CHECK_CHARS

REGISTER_COLUMNS: tuple[str, ...] = (
    "tunniste", "oid", "hetu", "passinumero", "sahkoposti", "etunimet", "kutsumanimi",
    "sukunimi", "syntymaaika", "sukupuoli", "aidinkieli", "kansalaisuus", "stored_oppijanumero",
)
# share of rows per defect kind (the rest are clean); at least one of each in any register
RATES: dict[str, float] = {
    "hetu_typo": 0.01,
    "kutsumanimi": 0.01,
    "finnish_without_hetu": 0.005,
    "duplicate_in_file": 0.01,
    "foreign_without_hetu": 0.03,
    "merged_in_onr": 0.005,
    "wrong_merge_in_onr": 0.001,
    "twin_in_onr": 0.001,
    "name_changed": 0.01,
    "hetu_changed": 0.005,
}
EXPECTED: dict[str, tuple[str, ...]] = {
    "clean": ("store_oppijanumero",),
    "hetu_typo": ("never_sent",),
    "kutsumanimi": ("name_differs", "sent_with_warnings", "store_oppijanumero"),
    "finnish_without_hetu": ("never_sent",),
    "duplicate_in_file": ("local_duplicate", "store_oppijanumero"),
    "duplicate_copy": ("local_duplicate", "sent_with_warnings", "store_oppijanumero"),
    "foreign_without_hetu": ("manual_identification",),
    "merged_in_onr": ("replace_merged_oid",),
    "wrong_merge_in_onr": ("name_differs", "replace_merged_oid"),
    "twin_in_onr": ("store_oppijanumero",),
    "twin_copy": ("manual_identification",),
    "name_changed": ("name_differs", "store_oppijanumero"),
    "hetu_changed": ("hetu_changed", "store_oppijanumero"),
    "ours_elsewhere": ("missing_locally",),
}
VALIDATION_CODES: dict[str, str] = {
    "hetu_typo": "invalid.hetu",
    "kutsumanimi": "kutsumanimi.must.exist.in.etunimet",
    "finnish_without_hetu": "hetu.required.for.finnish",
    "duplicate_copy": "hetu.duplicate",
}

FIRST_MALE = ["Juhani", "Mikael", "Matti", "Olavi", "Onni", "Eino", "Väinö", "Leevi", "Elias",
              "Aleksi", "Lauri", "Ville", "Tuomas", "Ilmari", "Oskari", "Eemeli", "Erik",
              "Johan", "Håkan", "Kristoffer", "Juha-Pekka", "Veli-Matti", "Niilo", "Sakari"]
FIRST_FEMALE = ["Maria", "Helena", "Johanna", "Aino", "Emilia", "Olivia", "Venla", "Iida",
                "Aada", "Pihla", "Liisa", "Elina", "Hanna", "Päivi", "Siiri", "Lumi", "Ebba",
                "Åsa", "Linnéa", "Anna-Liisa", "Marja-Leena", "Enni", "Noora", "Inkeri"]
SURNAMES = ["Korhonen", "Virtanen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine",
            "Heikkinen", "Koskinen", "Järvinen", "Lehtonen", "Saarinen", "Salminen", "Heinonen",
            "Kinnunen", "Turunen", "Rantanen", "Karjalainen", "Jokinen", "Pöllänen", "Äijälä",
            "Öhman", "Lindqvist", "Nyström", "Sjöberg", "Åberg", "Grönroos", "Björklund"]
# new surnames for name_changed: far from every surname above (ONR's surname rule fails)
NEW_SURNAMES = ["Ojala", "Bäckström", "Uotila", "Eskola", "Wahlroos", "Yli-Hannuksela"]
# (kansalaisuus, äidinkieli, female first names, male first names, surnames). Pools wide
# enough that two synthetic foreigners rarely share a name and a near birth date: a hetu-less
# row resembling someone already in ONR is held back for review by design (preimport), and
# the demo's plants must say what happens to each row.
FOREIGN = [
    ("233", "ET", ["Kadri", "Liis", "Triin", "Kertu", "Maarja", "Helen", "Piret", "Eha"],
     ["Mart", "Tarmo", "Rein", "Priit", "Indrek", "Margus", "Toomas", "Urmas"],
     ["Tamm", "Saar", "Sepp", "Mägi", "Kask", "Kukk", "Rebane", "Ilves", "Pärn", "Koppel"]),
    ("276", "DE", ["Lena", "Hanna", "Sophie", "Marie", "Lea", "Mia", "Clara", "Greta"],
     ["Jonas", "Felix", "Lukas", "Paul", "Maximilian", "Leon", "Moritz", "Jakob"],
     ["Müller", "Schäfer", "Schmidt", "Weber", "Becker", "Hoffmann", "Koch", "Richter",
      "Wolf", "Neumann"]),
    ("724", "ES", ["Lucía", "Inés", "Carmen", "Paula", "Elena", "Marta", "Sofía", "Alba"],
     ["Álvaro", "Javier", "Pablo", "Diego", "Sergio", "Andrés", "Mateo", "Hugo"],
     ["García", "Núñez", "López", "Martínez", "Sánchez", "Romero", "Ortega", "Castillo",
      "Navarro", "Molina"]),
    ("704", "VI", ["Lan", "Thao", "Hoa", "Linh", "Mai", "Huong", "Ngoc", "Trang"],
     ["Minh", "Duc", "Tuan", "Hieu", "Quang", "Long", "Khanh", "Phuc"],
     ["Nguyen", "Pham", "Tran", "Le", "Hoang", "Vu", "Dang", "Bui", "Do", "Ngo"]),
    ("356", "EN", ["Priya", "Ananya", "Kavya", "Diya", "Meera", "Aditi", "Isha", "Riya"],
     ["Arjun", "Rohan", "Vikram", "Aditya", "Karan", "Nikhil", "Rahul", "Siddharth"],
     ["Sharma", "Patel", "Reddy", "Iyer", "Nair", "Gupta", "Menon", "Rao", "Das", "Joshi"]),
]


@dataclass
class DemoPlan:
    """Everything a demo or test needs: rows, truth, and what ONR must hold beforehand."""

    rows: list[dict[str, Any]]
    truth: pd.DataFrame  # tunniste, kind, expected ("a;b" sorted), code
    vtj: list[dict[str, Any]]
    prior_imports: list[dict[str, Any]]  # rows for palvelu-kk2 to import first
    merges: list[tuple[str, str]]  # (master tunniste, slave tunniste) among prior_imports
    slave_of_row: dict[str, str]  # register tunniste -> prior-import tunniste of its old OID
    ours_elsewhere: list[dict[str, Any]]  # rows our organisation imports outside the register
    seed: int = 1
    taken: set[str] = field(default_factory=set)
    wrong_links: list[str] = field(default_factory=list)  # register tunnistes linked wrongly
    twins: list[tuple[str, str]] = field(default_factory=list)  # (hetu row, passport row)


class _People:
    """Draws unique synthetic people (hetus never in ``taken``)."""

    def __init__(self, rng: random.Random, taken: Iterable[str]) -> None:
        self.rng = rng
        self.used: set[str] = set(taken)
        self.passports = 0
        self.foreign_births: dict[tuple[str, str], list[date]] = {}

    def hetu(self, born: date, sex: str) -> str:
        for _ in range(1000):
            value = hetu_rules.generate(self.rng, birth_date=born, sex=sex, test=True)
            if value not in self.used:
                self.used.add(value)
                return value
        raise RuntimeError(f"no free test hetu left for {born}")

    def born(self) -> date:
        start = date(1975, 1, 1)
        return start + timedelta(days=self.rng.randrange((date(2007, 12, 31) - start).days))

    def passport(self) -> str:
        self.passports += 1
        return f"XD{self.rng.randrange(10**6):06d}{self.passports:05d}"

    def finnish(self) -> dict[str, Any]:
        sex = self.rng.choice("12")
        born = self.born()
        pool = FIRST_MALE if sex == "1" else FIRST_FEMALE
        first = self.rng.sample(pool, self.rng.choice([1, 2, 2, 3]))
        sv = any(ch in "".join(first) for ch in "åÅé") or first[0] in ("Erik", "Johan", "Ebba")
        return {"hetu": self.hetu(born, sex), "etunimet": " ".join(first),
                "kutsumanimi": first[0], "sukunimi": self.rng.choice(SURNAMES),
                "syntymaaika": born.isoformat(), "sukupuoli": sex,
                "aidinkieli": "SV" if sv else "FI", "kansalaisuus": "246"}

    def foreign(self) -> dict[str, Any]:
        nat, lang, female, male, surnames = self.rng.choice(FOREIGN)
        sex = self.rng.choice("12")  # ONR's sukupuoli: 1 male, 2 female
        first = self.rng.choice(male if sex == "1" else female)
        surname = self.rng.choice(surnames)
        # namesakes are born on dates that differ in day, month and year alike: a date one
        # part off would make a plausible duplicate, which the plant does not intend
        namesakes = self.foreign_births.setdefault((first, surname), [])
        for _ in range(1000):
            born = self.born()
            if all(born.day != b.day and born.month != b.month and born.year != b.year
                   for b in namesakes):
                break
        namesakes.append(born)
        return {"hetu": "", "passinumero": self.passport(), "etunimet": first,
                "kutsumanimi": first, "sukunimi": surname,
                "syntymaaika": born.isoformat(), "sukupuoli": sex,
                "aidinkieli": lang, "kansalaisuus": nat}


def _vtj_record(person: Mapping[str, Any], **changes: Any) -> dict[str, Any]:
    record = {"hetu": person["hetu"], "etunimet": person["etunimet"],
              "kutsumanimi": person["kutsumanimi"], "sukunimi": person["sukunimi"],
              "sukupuoli": person["sukupuoli"], "aidinkieli": person["aidinkieli"],
              "kansalaisuus": [person["kansalaisuus"]], "turvakielto": False,
              "kotikunta": "091", "entisetSukunimet": [], "korvaavaHetu": None,
              "passivoitu": False}
    record.update(changes)
    return record


def _typo(value: str) -> str:
    """The same hetu with a wrong check character (what a typing slip makes of it)."""
    right = value[-1]
    return value[:-1] + next(c for c in CHECK_CHARS if c != right)


def _row(tunniste: str, person: Mapping[str, Any], **changes: Any) -> dict[str, Any]:
    row = {c: "" for c in REGISTER_COLUMNS}
    row.update({k: v for k, v in person.items() if k in row})
    row["tunniste"] = tunniste
    row.update(changes)
    return row


def _kinds(n: int, rng: random.Random, rates: Mapping[str, float]) -> list[str]:
    """Defect kind per row: each kind's share (at least one), the rest clean, shuffled."""
    kinds: list[str] = []
    for kind, rate in rates.items():
        kinds += [kind] * max(1, round(n * rate))
    # each duplicate and twin adds its copy as a second row
    extra = kinds.count("duplicate_in_file") + kinds.count("twin_in_onr")
    if len(kinds) + extra > n:
        raise ValueError(f"a register of {n} rows is too small for the planted defects")
    kinds += ["clean"] * (n - len(kinds) - extra)
    rng.shuffle(kinds)
    return kinds


def plan(n: int = 10_000, seed: int = 1, *, taken: Iterable[str] = (),
         rates: Mapping[str, float] | None = None, ours_elsewhere: int = 3,
         prefix: str = "demo") -> DemoPlan:
    """Draw a register of ``n`` rows with planted defects; ``taken``: hetus ONR already has."""
    rng = random.Random(seed)
    people = _People(rng, taken)
    rows: list[dict[str, Any]] = []
    truth: list[dict[str, Any]] = []
    vtj: list[dict[str, Any]] = []
    prior: list[dict[str, Any]] = []
    merges: list[tuple[str, str]] = []
    slave_of_row: dict[str, str] = {}
    wrong_links: list[str] = []
    twins: list[tuple[str, str]] = []

    def add(kind: str, row: dict[str, Any]) -> None:
        rows.append(row)
        truth.append({"tunniste": row["tunniste"], "kind": kind,
                      "expected": ";".join(sorted(EXPECTED[kind])),
                      "code": VALIDATION_CODES.get(kind, "")})

    for i, kind in enumerate(_kinds(n, rng, rates or RATES)):
        t = f"{prefix}-{seed}-{i:06d}"
        if kind in ("foreign_without_hetu", "merged_in_onr", "wrong_merge_in_onr",
                    "twin_in_onr"):
            person = people.foreign()
        else:
            person = people.finnish()
        if kind == "clean":
            vtj.append(_vtj_record(person))
            add(kind, _row(t, person))
        elif kind == "hetu_typo":
            add(kind, _row(t, person, hetu=_typo(person["hetu"])))
        elif kind == "kutsumanimi":
            vtj.append(_vtj_record(person))
            nickname = rng.choice([n_ for n_ in ("Kalle", "Pate", "Jonna", "Mikke")
                                   if n_ not in person["etunimet"]])
            add(kind, _row(t, person, kutsumanimi=nickname))
        elif kind == "finnish_without_hetu":
            add(kind, _row(t, person, hetu="", passinumero=people.passport()))
        elif kind == "duplicate_in_file":
            vtj.append(_vtj_record(person))
            add(kind, _row(t, person))
            add("duplicate_copy", _row(f"{t}-b", person))
        elif kind == "foreign_without_hetu":
            add(kind, _row(t, person))
        elif kind in ("merged_in_onr", "wrong_merge_in_onr"):
            # earlier: another institution imported our student by passport only; a registrar
            # linked that OID under a master with a hetu. merged_in_onr: the same student, who
            # got the hetu later. wrong_merge_in_onr: a different person (another name and
            # birth date). Our export still holds the old, passport-only OID.
            other = person
            while kind == "wrong_merge_in_onr" and (
                    other["syntymaaika"] == person["syntymaaika"]
                    or other["sukunimi"] == person["sukunimi"]):
                other = people.foreign()
            master = dict(other, hetu=people.hetu(date.fromisoformat(other["syntymaaika"]),
                                                  other["sukupuoli"]), passinumero="")
            vtj.append(_vtj_record(master))
            prior.append(_row(f"{t}-old", person))
            prior.append(_row(f"{t}-master", master))
            merges.append((f"{t}-master", f"{t}-old"))
            slave_of_row[t] = f"{t}-old"
            if kind == "wrong_merge_in_onr":
                wrong_links.append(t)
            add(kind, _row(t, person))
        elif kind == "twin_in_onr":
            # a foreign student with a Finnish hetu, exported twice: with the hetu, and by
            # passport only (an older record); both reach ONR as two persons
            with_hetu = dict(person, hetu=people.hetu(date.fromisoformat(person["syntymaaika"]),
                                                      person["sukupuoli"]), passinumero="")
            vtj.append(_vtj_record(with_hetu))
            add(kind, _row(t, with_hetu))
            add("twin_copy", _row(f"{t}-p", person))
            twins.append((t, f"{t}-p"))
        elif kind == "name_changed":
            new = rng.choice([s for s in NEW_SURNAMES if s != person["sukunimi"]])
            vtj.append(_vtj_record(person, sukunimi=new, entisetSukunimet=[person["sukunimi"]]))
            add(kind, _row(t, person))
        elif kind == "hetu_changed":
            replaced = people.hetu(date.fromisoformat(person["syntymaaika"]),
                                   person["sukupuoli"])
            vtj.append(_vtj_record(person, korvaavaHetu=replaced))
            vtj.append(_vtj_record(person, hetu=replaced))
            add(kind, _row(t, person))
        else:  # pragma: no cover - _kinds only yields the kinds above
            raise ValueError(kind)

    elsewhere = []
    for j in range(ours_elsewhere):
        person = people.finnish()
        vtj.append(_vtj_record(person))
        elsewhere.append(_row(f"{prefix}-{seed}-elsewhere-{j:03d}", person))
    return DemoPlan(rows=rows, truth=pd.DataFrame(truth), vtj=vtj, prior_imports=prior,
                    merges=merges, slave_of_row=slave_of_row, ours_elsewhere=elsewhere,
                    seed=seed, taken=set(taken), wrong_links=wrong_links,
                    twins=twins)


def finish(demo: DemoPlan, prior_oids: Mapping[str, str]) -> pd.DataFrame:
    """The register frame: rows whose OID ONR merged get the old OID they were exported with."""
    frame = pd.DataFrame(demo.rows, columns=list(REGISTER_COLUMNS))
    for tunniste, prior_tunniste in demo.slave_of_row.items():
        oid = prior_oids.get(prior_tunniste)
        if not oid:
            raise ValueError(f"the prior import of {prior_tunniste} has no OID")
        frame.loc[frame["tunniste"] == tunniste, "oid"] = oid
    return frame


def write_register(frame: pd.DataFrame, path: Path) -> Path:
    """Write the register as an institution exports it: CSV, ``;``-separated, UTF-8."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, sep=";", index=False, encoding="utf-8")
    return path


def expected_lists(demo: DemoPlan, elsewhere_oids: Mapping[str, str]) -> pd.DataFrame:
    """Long truth: one row per (tunniste or OID, category) that must appear, nothing else."""
    rows = [{"tunniste": r.tunniste, "oid": "", "category": c}
            for r in demo.truth.itertuples() for c in r.expected.split(";")]
    rows += [{"tunniste": "", "oid": elsewhere_oids[row["tunniste"]],
              "category": "missing_locally"} for row in demo.ours_elsewhere]
    return pd.DataFrame(rows, columns=["tunniste", "oid", "category"])
