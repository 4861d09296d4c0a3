"""Restart keeps state, organisation scoping, DTO keys, the stall fault, seeding, time passing."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from onrtools.simulator.clock import FixedClock
from onrtools.simulator.state import Caller, Registry, SimError
from tests.paths import FIXTURES

from . import registry_fixtures
from .registry_fixtures import (
    KK1,
    KK1_USER,
    KK2,
    KK2_USER,
    SUPER,
    person_of,
    row,
    run_import,
)

make_registry = registry_fixtures.make_registry  # fixtures
reg = registry_fixtures.reg

HENKILO_FIXTURES = FIXTURES / "henkilo"


def test_restart_keeps_state_and_unfinished_tuontis_wait(tmp_path: Path) -> None:
    db = tmp_path / "onr.db"
    first = Registry(db, clock=FixedClock(step_ms=1), identification="off")
    done = run_import(first, KK1_USER, [row("a", passinumero="A", etunimet="Åsa Märta")])
    oid = person_of(first, KK1_USER, done, "a")["henkilo"]["oid"]
    pending = first.put_oppija(
        KK1_USER, {"henkilot": [row(str(i), passinumero=f"P{i}") for i in range(150)]}
    )["id"]
    assert first.process_next_chunk()  # 100 of 150, then the service "stops"
    first.close()

    second = Registry(
        db, clock=FixedClock(start_ms=1_800_000_000_000, step_ms=1), identification="off"
    )
    assert second.get_henkilo(SUPER, oid)["etunimet"] == "Åsa Märta"
    assert person_of(second, KK1_USER, done, "a")["henkilo"]["oid"] == oid
    assert second.get_perustiedot(KK1_USER, pending)["kasiteltyja"] == 100
    assert second.process_next_chunk() is False  # no automatic resume after a restart
    second.restart_tuonti(KK1_USER, pending)
    assert second.process_all() == 1
    assert second.get_perustiedot(KK1_USER, pending)["kasitelty"] is True
    assert second.admin_state()["persons"] == 151
    assert second.muuttuneet(KK1_USER, {}, 1, 200)["totalElements"] == 151
    second.close()


def test_stall_fault_stops_after_first_chunk(reg: Registry) -> None:
    reg.stall_imports = True
    tid = reg.put_oppija(
        KK1_USER, {"henkilot": [row(str(i), passinumero=f"P{i}") for i in range(250)]}
    )["id"]
    assert reg.process_all() == 1
    assert reg.get_perustiedot(KK1_USER, tid)["kasiteltyja"] == 100
    reg.restart_tuonti(KK1_USER, tid)
    assert reg.process_all() == 2
    assert reg.get_perustiedot(KK1_USER, tid)["kasitelty"] is True


def test_an_institution_never_sees_another_ones_people(reg: Registry) -> None:
    t1 = run_import(reg, KK1_USER, [row("a", hetu="180897-945K")])
    oid = person_of(reg, KK1_USER, t1, "a")["henkilo"]["oid"]
    for call, args in (
        (reg.get_henkilo, (oid,)),
        (reg.get_master, (oid,)),
        (reg.get_slaves, (oid,)),
        (reg.get_duplicates, (oid,)),
        (reg.get_yksilointitiedot, (oid,)),
        (reg.henkilo_by_hetu, ("180897-945K",)),
        (reg.henkilo_exists, (oid,)),
    ):
        with pytest.raises(SimError) as err:
            call(KK2_USER, *args)
        assert err.value.status == 401, call.__name__
    with pytest.raises(SimError) as err:
        reg.get_tuonti(KK2_USER, t1)
    assert err.value.status == 403
    assert reg.muuttuneet(KK2_USER, {}, 1, 20)["totalElements"] == 0
    assert reg.yhteenveto(KK2_USER, {})["yhteensa"] == 0
    assert reg.tuontikooste(KK2_USER, {})["totalElements"] == 0
    with pytest.raises(SimError) as err:  # unknown OIDs look the same to a non-registrar
        reg.get_henkilo(KK2_USER, "1.2.246.562.98.00000000000")
    assert err.value.status == 401
    with pytest.raises(SimError) as err:
        reg.get_henkilo(SUPER, "1.2.246.562.98.00000000000")
    assert err.value.status == 404
    assert reg.get_henkilo(KK1_USER, oid)["oidHenkilo"] == oid
    assert reg.henkilo_exists(KK1_USER, oid) is True


def test_person_dto_has_exactly_the_fixture_keys(reg: Registry) -> None:
    keys: set[str] = set()
    for path in HENKILO_FIXTURES.glob("*/GET.json"):
        keys |= set(json.loads(path.read_text(encoding="utf-8")))
    assert "oidHenkilo" in keys
    tid = run_import(reg, KK1_USER, [row("a", hetu="180897-945K")])
    oid = person_of(reg, KK1_USER, tid, "a")["henkilo"]["oid"]
    dto = reg.get_henkilo(SUPER, oid)
    assert set(dto) == keys
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0[23]:00", dto["modifiedAt"])
    assert set(reg.get_master(SUPER, oid)) == keys


def test_bulk_reads(reg: Registry) -> None:
    tid = run_import(reg, KK1_USER, [row("a", hetu="180897-945K"), row("b", passinumero="B")])
    a = person_of(reg, KK1_USER, tid, "a")["henkilo"]["oid"]
    b = person_of(reg, KK1_USER, tid, "b")["henkilo"]["oid"]
    assert [p["oidHenkilo"] for p in reg.perustiedot_by_oids(SUPER, [b, "unknown", a])] == [b, a]
    assert [p["oidHenkilo"] for p in reg.perustiedot_by_hetus(SUPER, ["180897-945K"])] == [a]
    assert set(reg.masters_by_oids(SUPER, [a, "x"])) == {a}
    assert [p["oidHenkilo"] for p in reg.henkilot_by_oids(SUPER, [a])] == [a]
    with pytest.raises(SimError) as err:
        reg.perustiedot_by_oids(SUPER, ["x"] * 5001)
    assert err.value.status == 400
    assert reg.changed_since(SUPER, 0) == [a, b]


def test_organisation_endpoints_bump_modified(reg: Registry) -> None:
    tid = run_import(reg, KK1_USER, [row("a", passinumero="A")])
    oid = person_of(reg, KK1_USER, tid, "a")["henkilo"]["oid"]
    before = reg.get_henkilo(SUPER, oid)["modified"]
    reg.put_organisation(SUPER, oid, KK2)
    assert reg.get_henkilo(KK2_USER, oid)["modified"] > before
    reg.delete_organisation(SUPER, oid, KK2)
    with pytest.raises(SimError):
        reg.get_henkilo(KK2_USER, oid)
    with pytest.raises(SimError) as err:
        reg.put_organisation(KK1_USER, oid, KK2)
    assert err.value.status == 401


def test_post_oppija_and_post_henkilo(reg: Registry) -> None:
    body = {
        "etunimet": "Anna-Liisa Milla",
        "kutsumanimi": "Liisa",
        "sukunimi": "Öhman",
        "syntymaaika": "2001-02-03",
        "sukupuoli": "2",
        "aidinkieli": {"kieliKoodi": "sv"},
        "kansalaisuus": [{"kansalaisuusKoodi": "752"}],
    }
    oid = reg.post_oppija(KK1_USER, body)
    assert reg.get_henkilo(KK1_USER, oid)["kutsumanimi"] == "Liisa"
    with pytest.raises(SimError) as err:
        reg.post_oppija(KK1_USER, {**body, "kutsumanimi": "Milla Anna"})
    assert err.value.status == 400
    assert err.value.field_errors[0]["code"] == "kutsumanimi.must.exist.in.etunimet"
    created = reg.create_henkilo(
        SUPER, {**body, "etunimet": "Zoë", "kutsumanimi": "Zoë", "sukunimi": "Ainutlaatuinen"}
    )
    assert reg.get_henkilo(SUPER, created)["yksiloity"] is True  # no duplicate candidates
    twin = reg.create_henkilo(
        SUPER, {**body, "etunimet": "Zoë", "kutsumanimi": "Zoë", "sukunimi": "Ainutlaatuinen"}
    )
    assert reg.get_henkilo(SUPER, twin)["yksiloity"] is False
    reg.create_henkilo(
        SUPER, {"etunimet": "A", "kutsumanimi": "A", "sukunimi": "B", "hetu": "180897-945K"}
    )
    with pytest.raises(SimError) as err:
        reg.create_henkilo(
            SUPER, {"etunimet": "A", "kutsumanimi": "A", "sukunimi": "B", "hetu": "180897-945K"}
        )
    assert err.value.status == 400


def test_identification_endpoint(reg: Registry) -> None:
    tid = run_import(reg, KK1_USER, [row("a", passinumero="A"), row("b", passinumero="B")])
    a = person_of(reg, KK1_USER, tid, "a")["henkilo"]["oid"]
    b = person_of(reg, KK1_USER, tid, "b")["henkilo"]["oid"]
    assert reg.post_identification(SUPER, a, {"idpEntityId": "google", "identifier": "g1"}) == [
        {"idpEntityId": "google", "identifier": "g1"}
    ]
    for oid, dto in (
        (b, {"idpEntityId": "google", "identifier": "g1"}),
        (a, {"idpEntityId": "eidas", "identifier": "e"}),
        (a, {"idpEntityId": "nope", "identifier": "e"}),
    ):
        with pytest.raises(SimError) as err:
            reg.post_identification(SUPER, oid, dto)
        assert err.value.status == 400


def test_seed_population_is_varied_and_reproducible(make_registry, tmp_path: Path) -> None:
    one = make_registry(db_path=tmp_path / "one.db")
    two = make_registry(db_path=tmp_path / "two.db")
    one.seed_population(3000, rng_seed=7)
    two.seed_population(3000, rng_seed=7)
    q = "SELECT oid, hetu, etunimet, sukunimi FROM henkilo ORDER BY id"
    rows = one.world.conn.execute(q).fetchall()
    assert [tuple(r) for r in rows] == [tuple(r) for r in two.world.conn.execute(q).fetchall()]
    state = one.admin_state()
    assert 3000 <= state["persons"] <= 3010 and state["hetu_duplicates"] == 0
    assert state["links"] > 0 and state["passive"] > 0 and state["identified_vtj"] > 1500
    hetus = [r["hetu"] for r in rows if r["hetu"]]
    assert all(h[7] == "9" for h in hetus)  # test range only
    assert {h[6] for h in hetus} & set("YXWVU") and {h[6] for h in hetus} & set("-A")
    names = " ".join(f"{r['etunimet']} {r['sukunimi']}" for r in rows)
    assert "-" in names and any(c in names for c in "åÅ") and "ö" in names and "ä" in names
    assert any(len(r["etunimet"].split()) >= 3 for r in rows)
    conn = one.world.conn
    assert (
        conn.execute(
            "SELECT COUNT(*) FROM henkilo WHERE hetu IS NULL AND kansalaisuus NOT LIKE "
            "'%246%' AND duplicate = 0"
        ).fetchone()[0]
        > 100
    )
    assert conn.execute("SELECT COUNT(*) FROM passinumero").fetchone()[0] > 50
    history = conn.execute(
        "SELECT henkilo_id FROM henkilo_hetu GROUP BY henkilo_id HAVING COUNT(*) > 1"
    ).fetchall()
    assert history, "planted hetu changes"
    assert one.muuttuneet(KK1_USER, {}, 1, 10)["totalElements"] > 500
    assert one.muuttuneet(KK2_USER, {}, 1, 10)["totalElements"] > 500
    some = one.muuttuneet(KK1_USER, {}, 1, 1)["results"][0]["oid"]
    assert one.get_henkilo(KK1_USER, some)["oidHenkilo"] == some
    assert one.tuontikooste(SUPER, {})["totalElements"] >= 2


def test_time_passes_changes_the_feed(make_registry) -> None:
    reg = make_registry(identification="scheduled")
    reg.seed_population(5000, rng_seed=3)
    mark = reg.clock.now_ms()
    counts = reg.time_passes(5, rng_seed=11)
    assert counts["name_changes"] > 0 and counts["moves"] > 0 and counts["identifications"] > 0
    assert reg.clock.now_ms() >= mark + 5 * 86_400_000
    changed = reg.muuttuneet(SUPER, {"muokattuJalkeen": mark}, 1, 10000)
    assert changed["totalElements"] > 0
    assert all(r["master"]["muokattu"] >= mark for r in changed["results"])


def test_caller_helpers() -> None:
    c = Caller(
        "o",
        "u",
        {
            "REKISTERINPITAJA_READ": frozenset(["1.2.246.562.10.00000000001"]),
            "OPPIJOIDENTUONTI": frozenset([KK1, "bogus"]),
        },
    )
    assert (c.is_superuser, c.is_read_all) == (False, True)
    assert c.orgs("OPPIJOIDENTUONTI") == frozenset([KK1])
    assert SUPER.is_superuser and not KK1_USER.is_read_all


def test_fast_hetu_check_agrees_with_onrtools_hetu() -> None:
    import random

    from onrtools.register import hetu
    from onrtools.simulator.world import hetu_derived, hetu_valid

    rng = random.Random(3)
    samples = [hetu.generate(rng, test=rng.random() < 0.5) for _ in range(2000)]
    samples += [
        "131052-9085",
        "131052-308t",
        " 131052-9085",
        "300223-9004",
        "010101-901T",
        "010101-902U",
        "hetu1",
        "",
        "310423A9001",
        "290200A900C",
    ]
    for s in samples:
        strict = hetu.is_valid(s) and hetu.canonical(s) == s
        assert hetu_valid(s) == strict, s
        if strict:
            info = hetu.parse(s)
            assert hetu_derived(s) == (info.birth_date.isoformat(), info.sex)


def test_sample_vtj_people_import_and_identify(make_registry) -> None:
    reg = make_registry(identification="immediate")
    reg.seed_population(1000, rng_seed=5)
    people = reg.sample_vtj_people(30, rng_seed=1)
    assert len(people) >= 20
    rows = [
        row(
            str(i),
            hetu=p["hetu"],
            etunimet=p["etunimet"],
            kutsumanimi=p["kutsumanimi"],
            sukunimi=p["sukunimi"],
        )
        for i, p in enumerate(people)
    ]
    tid = run_import(reg, KK1_USER, rows)
    result = reg.get_tuonti(KK1_USER, tid)["henkilot"]
    assert all(r["henkilo"]["oppijanumero"] == r["henkilo"]["oid"] for r in result)
    assert reg.yhteenveto(KK1_USER, {"tuontiId": tid})["onnistuneet"] == len(people)
