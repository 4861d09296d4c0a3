"""SEMANTICS §8 scenarios 1–23: batch import matching, creation, validation, processing."""

from __future__ import annotations

from typing import Any

import pytest

from onrtools.simulator.state import Registry, SimError

from . import registry_fixtures
from .registry_fixtures import (
    KK1,
    KK1_USER,
    NOBODY,
    SUPER,
    person_of,
    row,
    run_import,
)

make_registry = registry_fixtures.make_registry  # fixtures
reg = registry_fixtures.reg


def _events(reg: Registry, kind: str | None = None) -> list[dict[str, Any]]:
    return [e for e in reg.events() if kind is None or e["kind"] == kind]


def test_s01_unknown_oid_creates_new_person_with_fresh_oid(reg: Registry) -> None:
    tid = run_import(
        reg,
        KK1_USER,
        [
            row(
                "tunniste1",
                oid="oid1",
                hetu="180897-945K",
                etunimet="etu",
                kutsumanimi="etu",
                sukunimi="suku",
            )
        ],
    )
    item = person_of(reg, KK1_USER, tid, "tunniste1")
    oid = item["henkilo"]["oid"]
    assert oid != "oid1" and oid.startswith("1.2.246.562.98.")
    assert reg.admin_state()["persons"] == 1
    person = reg.get_henkilo(SUPER, oid)
    assert (person["hetu"], person["etunimet"], person["sukunimi"]) == (
        "180897-945K",
        "etu",
        "suku",
    )
    assert person["syntymaaika"] == "1997-08-18" and person["sukupuoli"] == "1"
    assert [e["oid"] for e in _events(reg)] == [oid]


def test_s02_same_hetu_twice_in_a_batch_is_one_person(reg: Registry) -> None:
    tid = run_import(reg, KK1_USER, [row("1", hetu="180897-945K"), row("2", hetu="180897-945K")])
    rows = reg.get_tuonti(KK1_USER, tid)["henkilot"]
    assert sorted(r["tunniste"] for r in rows) == ["1", "2"]
    assert len({r["henkilo"]["oid"] for r in rows}) == 1
    assert reg.admin_state()["persons"] == 1
    assert [e["kind"] for e in _events(reg)] == ["create", "update"]


def test_s03_s04_passport_and_email_only_rows(reg: Registry) -> None:
    tid = run_import(
        reg,
        KK1_USER,
        [row("p", passinumero="passi123"), row("e", sahkoposti="example@example.com")],
    )
    p = person_of(reg, KK1_USER, tid, "p")["henkilo"]["oid"]
    e = person_of(reg, KK1_USER, tid, "e")["henkilo"]["oid"]
    assert reg.get_henkilo(SUPER, p)["passinumerot"] == ["passi123"]
    assert reg.get_identifications(SUPER, e) == [
        {"idpEntityId": "email", "identifier": "example@example.com"}
    ]
    assert reg.get_identifications(SUPER, p) == []


def test_s05_s06_s07_codes_are_stored(reg: Registry) -> None:
    tid = run_import(
        reg,
        KK1_USER,
        [
            row(
                "x",
                passinumero="P1",
                sukupuoli={"koodi": "1"},
                aidinkieli={"koodi": "SV"},
                kansalaisuus=[{"koodi": "752"}, {"koodi": "233"}],
            )
        ],
    )
    person = reg.get_henkilo(SUPER, person_of(reg, KK1_USER, tid, "x")["henkilo"]["oid"])
    assert person["sukupuoli"] == "1"
    assert person["aidinkieli"]["kieliKoodi"] == "sv"
    assert [k["kansalaisuusKoodi"] for k in person["kansalaisuus"]] == ["752", "233"]


def test_s08_row_oid_matches_existing_person(reg: Registry) -> None:
    first = run_import(reg, KK1_USER, [row("a", passinumero="X1")])
    oid = person_of(reg, KK1_USER, first, "a")["henkilo"]["oid"]
    before = len(reg.events())
    second = run_import(reg, KK1_USER, [row("b", oid=oid, hetu="180897-945K")])
    assert person_of(reg, KK1_USER, second, "b")["henkilo"]["oid"] == oid
    assert reg.admin_state()["persons"] == 1
    assert [e["kind"] for e in reg.events()[before:]] == ["update"]
    assert reg.get_henkilo(SUPER, oid)["hetu"] is None  # nothing from the row is written


def test_s09_s10_current_and_historical_hetu_match(reg: Registry) -> None:
    first = run_import(reg, KK1_USER, [row("a", hetu="180897-945K")])
    oid = person_of(reg, KK1_USER, first, "a")["henkilo"]["oid"]
    reg.world.conn.execute(
        "INSERT INTO henkilo_hetu(hetu, henkilo_id) "
        "SELECT '180897-987X', id FROM henkilo WHERE oid = ?",
        (oid,),
    )
    second = run_import(reg, KK1_USER, [row("b", hetu="180897-945K"), row("c", hetu="180897-987X")])
    assert person_of(reg, KK1_USER, second, "b")["henkilo"]["oid"] == oid
    assert person_of(reg, KK1_USER, second, "c")["henkilo"]["oid"] == oid
    assert reg.admin_state()["persons"] == 1


def test_s11_s12_passport_and_email_match(reg: Registry) -> None:
    first = run_import(
        reg,
        KK1_USER,
        [row("p", passinumero="passi123"), row("e", sahkoposti="example@example.com")],
    )
    second = run_import(
        reg,
        KK1_USER,
        [row("p2", passinumero="passi123"), row("e2", sahkoposti="example@example.com")],
    )
    for a, b in (("p", "p2"), ("e", "e2")):
        assert (
            person_of(reg, KK1_USER, first, a)["henkilo"]["oid"]
            == person_of(reg, KK1_USER, second, b)["henkilo"]["oid"]
        )
    assert reg.admin_state()["persons"] == 2


def test_precedence_oid_over_hetu_and_memo_within_chunk(reg: Registry) -> None:
    """§1.2: OID wins; the row's other hetu then sticks to the OID's person in the same chunk."""
    first = run_import(reg, KK1_USER, [row("a", passinumero="A"), row("b", hetu="180897-945K")])
    a = person_of(reg, KK1_USER, first, "a")["henkilo"]["oid"]
    b = person_of(reg, KK1_USER, first, "b")["henkilo"]["oid"]
    second = run_import(
        reg, KK1_USER, [row("x", oid=a, hetu="180897-945K"), row("y", hetu="180897-945K")]
    )
    assert person_of(reg, KK1_USER, second, "x")["henkilo"]["oid"] == a
    assert person_of(reg, KK1_USER, second, "y")["henkilo"]["oid"] == a  # memo, quirk §9.3
    # the next chunk looks at the database again
    rows = [row(f"f{i}", passinumero=f"F{i}") for i in range(99)]
    third = run_import(
        reg, KK1_USER, [row("x", oid=a, hetu="180897-945K"), *rows, row("z", hetu="180897-945K")]
    )
    assert person_of(reg, KK1_USER, third, "z")["henkilo"]["oid"] == b


def test_s13_finnish_nationality_requires_hetu(reg: Registry) -> None:
    body = {"henkilot": [row("1", passinumero="P", kansalaisuus=[{"koodi": "246"}])]}
    with pytest.raises(SimError) as err:
        reg.put_oppija(KK1_USER, body)
    assert err.value.status == 400
    assert err.value.field_errors[0]["field"] == "henkilot[0].henkilo.hetu"
    assert err.value.field_errors[0]["code"] == "hetu.required.for.finnish"
    assert reg.admin_state()["tuontis"] == 0


def test_s14_finnish_with_hetu_is_accepted(reg: Registry) -> None:
    created = reg.put_oppija(KK1_USER, {"henkilot": [row("1", hetu="180897-945K")]})
    assert created == {"id": created["id"], "kasiteltavia": 1, "kasiteltyja": 0, "kasitelty": False}


@pytest.mark.parametrize("sahkoposti", ["", "makkara"])
def test_s15_notification_address(reg: Registry, sahkoposti: str) -> None:
    with pytest.raises(SimError) as err:
        reg.put_oppija(
            KK1_USER, {"sahkoposti": sahkoposti, "henkilot": [row("1", passinumero="P")]}
        )
    assert err.value.status == 400 and err.value.field_errors[0]["field"] == "sahkoposti"
    assert reg.put_oppija(KK1_USER, {"henkilot": [row("1", passinumero="P")]})["kasiteltavia"] == 1


@pytest.mark.parametrize("henkilot", [None, []])
def test_s16_henkilot_missing_or_empty(reg: Registry, henkilot: Any) -> None:
    with pytest.raises(SimError) as err:
        reg.put_oppija(KK1_USER, {"henkilot": henkilot})
    assert err.value.status == 400


@pytest.mark.parametrize(
    ("henkilo", "field"),
    [
        ({}, "henkilot[0].henkilo"),
        ({"oid": ""}, "henkilot[0].henkilo.oid"),
        ({"passinumero": ""}, "henkilot[0].henkilo.passinumero"),
        ({"sahkoposti": ""}, "henkilot[0].henkilo.sahkoposti"),
        ({"passinumero": "P", "etunimet": ""}, "henkilot[0].henkilo.etunimet"),
        ({"passinumero": "P", "sukunimi": None}, "henkilot[0].henkilo.sukunimi"),
        ({"passinumero": "P", "kansalaisuus": None}, "henkilot[0].henkilo.kansalaisuus"),
        ({"passinumero": "P", "kansalaisuus": []}, "henkilot[0].henkilo.kansalaisuus"),
        ({"passinumero": "P", "kansalaisuus": [None]}, "henkilot[0].henkilo.kansalaisuus[0]"),
        ({"passinumero": "P", "kansalaisuus": [{}]}, "henkilot[0].henkilo.kansalaisuus[0].koodi"),
        ({"hetu": "hetu1"}, "henkilot[0].henkilo.hetu"),
    ],
)
def test_s17_s18_row_validation(reg: Registry, henkilo: dict[str, Any], field: str) -> None:
    r = row("1", **henkilo)
    for key, value in henkilo.items():
        r["henkilo"][key] = value
    with pytest.raises(SimError) as err:
        reg.put_oppija(KK1_USER, {"henkilot": [r]})
    assert err.value.status == 400
    assert field in [e["field"] for e in err.value.field_errors]


def test_s19_email_only_foreign_row_is_processed(reg: Registry) -> None:
    tid = run_import(reg, KK1_USER, [row("1", sahkoposti="a@b", kansalaisuus=[{"koodi": "616"}])])
    assert reg.get_perustiedot(KK1_USER, tid)["kasitelty"] is True


def test_validation_before_roles_and_orgs_required(reg: Registry) -> None:
    with pytest.raises(SimError) as err:  # bean validation runs before method security
        reg.put_oppija(NOBODY, {"henkilot": []})
    assert err.value.status == 400
    with pytest.raises(SimError) as err:
        reg.put_oppija(NOBODY, {"henkilot": [row("1", passinumero="P")]})
    assert err.value.status == 401
    with pytest.raises(SimError) as err:  # a registrar without import organisations
        reg.put_oppija(SUPER, {"henkilot": [row("1", passinumero="P")]})
    assert err.value.status == 400


def test_s20_chunks_of_100_with_counters(reg: Registry) -> None:
    created = reg.put_oppija(
        KK1_USER, {"henkilot": [row(str(i), passinumero=f"P{i}") for i in range(250)]}
    )
    tid = created["id"]
    progress = []
    while reg.process_next_chunk():
        progress.append(reg.get_perustiedot(KK1_USER, tid)["kasiteltyja"])
    assert progress == [100, 200, 250]
    assert reg.get_perustiedot(KK1_USER, tid)["kasitelty"] is True
    assert reg.restart_tuonti(KK1_USER, tid)["kasiteltyja"] == 250
    assert reg.process_next_chunk() is False  # complete: restart is a no-op


def test_s21_failure_stops_and_restart_resumes(
    reg: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A non-retryable failure rolls the chunk back and stops the tuonti until restarted."""
    from onrtools.simulator import tuonti as tuonti_mod

    tid = reg.put_oppija(
        KK1_USER, {"henkilot": [row(str(i), passinumero=f"P{i}") for i in range(150)]}
    )["id"]
    assert reg.process_next_chunk()
    real = tuonti_mod.process_chunk

    def boom(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)  # writes, then fails: everything of the chunk must roll back
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(tuonti_mod, "process_chunk", boom)
    with pytest.raises(RuntimeError):
        reg.process_next_chunk()
    monkeypatch.setattr(tuonti_mod, "process_chunk", real)
    assert reg.process_next_chunk() is False  # stopped
    assert reg.get_perustiedot(KK1_USER, tid)["kasiteltyja"] == 100
    assert reg.admin_state()["persons"] == 100
    assert reg.restart_tuonti(KK1_USER, tid)["kasiteltyja"] == 100
    assert reg.process_all() == 1
    assert reg.get_perustiedot(KK1_USER, tid)["kasitelty"] is True
    assert reg.admin_state()["persons"] == 150


def test_s22_conflict_flag(reg: Registry) -> None:
    first = run_import(
        reg, KK1_USER, [row("a", hetu="180897-945K", etunimet="Matti Juhani", sukunimi="Virtanen")]
    )
    second = run_import(
        reg,
        KK1_USER,
        [
            row("same", hetu="180897-945K", etunimet="Juhani", sukunimi="Virtanen"),
            row("other", hetu="180897-945K", etunimet="Pekka", sukunimi="Korhonen"),
        ],
    )
    assert person_of(reg, KK1_USER, first, "a")["conflict"] is False  # quirk §9.9
    assert person_of(reg, KK1_USER, second, "same")["conflict"] is False
    assert person_of(reg, KK1_USER, second, "other")["conflict"] is True
    # nothing else changes: the stored names stay
    oid = person_of(reg, KK1_USER, second, "other")["henkilo"]["oid"]
    assert reg.get_henkilo(SUPER, oid)["sukunimi"] == "Virtanen"
    kooste = reg.tuontikooste(SUPER, {"id": second})["content"][0]
    assert kooste["conflicts"] == 1


def test_s23_conflict_property_omitted_for_old_null_rows(reg: Registry) -> None:
    tid = run_import(
        reg,
        KK1_USER,
        [row("old", passinumero="A"), row("new", passinumero="B", etunimet="Zz", sukunimi="Yy")],
    )
    reg.world.conn.execute("UPDATE tuonti_rivi SET conflict = NULL WHERE tunniste = 'old'")
    reg.world.conn.execute("UPDATE tuonti_rivi SET conflict = 1 WHERE tunniste = 'new'")
    assert "conflict" not in person_of(reg, KK1_USER, tid, "old")
    assert person_of(reg, KK1_USER, tid, "new")["conflict"] is True


def test_s43_unknown_tuonti_is_404(reg: Registry) -> None:
    for call in (reg.get_perustiedot, reg.restart_tuonti, reg.get_tuonti):
        with pytest.raises(SimError) as err:
            call(KK1_USER, 4)
        assert err.value.status == 404


def test_quirk_403_before_any_row_and_restart_sets_api(reg: Registry) -> None:
    tid = reg.put_oppija(KK1_USER, {"henkilot": [row("1", passinumero="P")]})["id"]
    for caller in (KK1_USER, SUPER):
        with pytest.raises(SimError) as err:
            reg.get_tuonti(caller, tid)
        assert err.value.status == 403
    reg.process_all()
    assert reg.get_tuonti(SUPER, tid)["kasitelty"] is True
    kk1_yt = KK1_USER
    reg.restart_tuonti(kk1_yt, tid, api="YLEISTUNNISTE")
    assert reg.tuontikooste(SUPER, {"id": tid})["content"][0]["api"] == "YLEISTUNNISTE"


def test_new_person_attached_to_caller_orgs_existing_gets_them_added(reg: Registry) -> None:
    from .registry_fixtures import KK2, KK2_USER

    tid = run_import(reg, KK1_USER, [row("a", passinumero="P")])
    oid = person_of(reg, KK1_USER, tid, "a")["henkilo"]["oid"]
    run_import(reg, KK2_USER, [row("b", passinumero="P")])
    orgs = {
        r[0]
        for r in reg.world.conn.execute(
            "SELECT org FROM henkilo_organisaatio o JOIN henkilo h ON h.id = o.henkilo_id "
            "WHERE h.oid = ?",
            (oid,),
        )
    }
    assert orgs == {KK1, KK2}
