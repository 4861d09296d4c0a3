"""SEMANTICS §8 scenarios 26–31 (kooste, tuontidata, error list, yhteenveto), 80–82 (feed)."""

from __future__ import annotations

import pytest

from onrtools.simulator.state import Caller, Registry, SimError

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
    vtj_person,
)

make_registry = registry_fixtures.make_registry  # fixtures
reg = registry_fixtures.reg


def _author(reg: Registry, caller: Caller, etunimet: str, sukunimi: str) -> None:
    reg.world.insert_person(
        etunimet=etunimet, kutsumanimi=etunimet, sukunimi=sukunimi, oid=caller.oid
    )


def test_s26_s27_kooste_counts_and_visibility(reg: Registry) -> None:
    _author(reg, KK1_USER, "Palvelu", "Yksi")
    done = run_import(reg, KK1_USER, [row("1", passinumero="P1")])
    yt = reg.put_yleistunniste(
        KK2_USER,
        {
            "henkilot": [
                {
                    "tunniste": "y",
                    "henkilo": {
                        "hetu": "120963-969H",
                        "etunimet": "Testi",
                        "kutsumanimi": "Testi",
                        "sukunimi": "Tuonti",
                    },
                }
            ]
        },
    )
    reg.process_all()
    pending = reg.put_oppija(KK1_USER, {"henkilot": [row("2", passinumero="P2")]})["id"]
    content = {c["id"]: c for c in reg.tuontikooste(SUPER, {})["content"]}
    assert set(content) == {done, yt["id"], pending}
    for c in content.values():
        assert (c["total"], c["successful"], c["failures"]) == (1, 0, 1)
    assert [content[i]["inProgress"] for i in (done, yt["id"], pending)] == [0, 0, 1]
    assert content[done]["author"] == "Yksi, Palvelu" and content[yt["id"]]["author"] is None
    assert content[yt["id"]]["api"] == "YLEISTUNNISTE" and content[done]["api"] == "OPPIJA"
    mine = reg.tuontikooste(KK1_USER, {})["content"]
    assert {c["id"] for c in mine} == {done, pending}
    stranger = Caller("x", "x", {"OPPIJOIDENTUONTI": frozenset(["1.2.246.562.10.99"])})
    assert reg.tuontikooste(stranger, {})["content"] == []


def test_s28_kooste_filters_and_paging(reg: Registry) -> None:
    _author(reg, KK1_USER, "Palvelu", "Yksi")
    a = run_import(reg, KK1_USER, [row("1", passinumero="P1")])
    b = run_import(
        reg,
        SUPER.__class__("unknown-author", "u", {"OPPIJOIDENTUONTI": frozenset([KK1])}),
        [row("2", passinumero="P2")],
    )
    assert [c["id"] for c in reg.tuontikooste(SUPER, {"author": "yKS"})["content"]] == [a]
    assert [c["id"] for c in reg.tuontikooste(SUPER, {"id": b})["content"]] == [b]
    page = reg.tuontikooste(SUPER, {"page": 1, "pageSize": 1, "field": "author", "sort": "ASC"})
    assert [c["id"] for c in page["content"]] == [a]  # null author sorts last ascending
    assert (page["totalElements"], page["totalPages"], page["number"], page["first"]) == (
        2,
        2,
        0,
        True,
    )
    page2 = reg.tuontikooste(SUPER, {"page": 2, "pageSize": 1, "field": "author", "sort": "ASC"})
    assert [c["id"] for c in page2["content"]] == [b] and page2["last"] is True
    desc = reg.tuontikooste(SUPER, {"field": "timestamp", "sort": "DESC"})["content"]
    assert [c["id"] for c in desc] == [b, a]


def test_s29_tuontidata_masks_hetu_and_checks_rights(reg: Registry) -> None:
    tid = run_import(
        reg, KK1_USER, [row("t1", hetu="240784-9105", etunimet="Anna", sukunimi="Testi")]
    )
    data = reg.tuontidata(KK1_USER, tid)
    assert data[0]["henkilo"]["hetu"] == "240784-****"
    assert data[0]["henkiloOid"] == person_of(reg, KK1_USER, tid, "t1")["henkilo"]["oid"]
    assert data[0]["henkiloNimi"] == "Testi, Anna" and data[0]["conflict"] is False
    with pytest.raises(SimError) as err:
        reg.tuontidata(KK2_USER, tid)
    assert err.value.status == 403
    with pytest.raises(SimError) as err:
        reg.tuontidata(Caller("z", "z", {"OPPIJOIDENTUONTI": frozenset([KK1])}), tid)
    assert err.value.status == 401


def _seven(reg: Registry) -> dict[str, str]:
    """Scenario 31's seven persons: returns tunniste → oid."""
    reg.add_vtj([vtj_person("010101-923F", "Ok", "Vtj")])
    tid = run_import(
        reg,
        KK1_USER,
        [
            row("hetuton", passinumero="A"),
            row("hetuton-yksiloity", passinumero="B"),
            row("hetu", hetu="180897-945K"),
            row("yritetty", hetu="111111-985K"),
            row("vtj", hetu="010101-923F", etunimet="Ok", sukunimi="Vtj"),
            row("passive", passinumero="C"),
            row("duplicate", passinumero="D"),
        ],
    )
    oids = {r["tunniste"]: r["henkilo"]["oid"] for r in reg.get_tuonti(KK1_USER, tid)["henkilot"]}
    reg.yksiloi_hetuton(SUPER, oids["hetuton-yksiloity"])
    reg.yksiloi(SUPER, oids["vtj"])  # VTJ knows this synthetic (test-range) person
    reg.vtj_accepts_test_hetus = False  # as production: the fake 111111-985K fails
    reg.yksiloi(SUPER, oids["yritetty"])
    reg.passivate(SUPER, oids["passive"])
    reg.forcelink(SUPER, oids["hetuton-yksiloity"], [oids["duplicate"]])
    reg.yksiloi_hetuton(SUPER, oids["hetuton-yksiloity"])
    return oids


def test_s30_error_list(reg: Registry) -> None:
    oids = _seven(reg)
    page = reg.virheet(KK1_USER, {}, 1, 20)
    got = [(r["oid"], r["yksilointiTila"]) for r in page["results"]]
    assert got == [(oids["yritetty"], "VIRHE"), (oids["hetuton"], "HETU_PUUTTUU")]  # newest first
    assert page["results"][0]["serviceUserOid"] == KK1_USER.oid
    assert reg.virheet(KK2_USER, {}, 1, 20)["totalElements"] == 0


def test_s31_yhteenveto(reg: Registry) -> None:
    _seven(reg)
    assert reg.yhteenveto(KK1_USER, {}) == {
        "onnistuneet": 4,
        "virheet": 2,
        "keskeneraiset": 1,
        "yhteensa": 7,
    }
    errors = reg.muuttuneet(KK1_USER, {"vainVirheet": "true"}, 1, 20)
    assert errors["totalElements"] == 2
    with pytest.raises(SimError) as err:
        reg.yhteenveto(Caller("x", "x", {"OPPIJOIDENTUONTI": frozenset(["not-an-org"])}), {})
    assert err.value.status == 400


def test_s80_feed_organisation_scope(reg: Registry) -> None:
    run_import(reg, KK1_USER, [row("1", passinumero="P1")])
    run_import(reg, KK2_USER, [row("2", passinumero="P2")])
    both = Caller("b", "b", {"OPPIJOIDENTUONTI": frozenset([KK1, "1.2.246.562.10.3"])})
    assert reg.muuttuneet(both, {}, 1, 20)["totalElements"] == 1
    assert reg.muuttuneet(both, {"organisaatioOids": [KK1, KK2]}, 1, 20)["totalElements"] == 1
    assert reg.muuttuneet(both, {"organisaatioOids": [KK2]}, 1, 20)["totalElements"] == 0
    assert reg.muuttuneet(SUPER, {}, 1, 20)["totalElements"] == 2
    assert reg.muuttuneet(SUPER, {"organisaatioOids": KK2}, 1, 20)["totalElements"] == 1
    with pytest.raises(SimError) as err:
        reg.muuttuneet(Caller("n", "n", {"OPPIJOIDENTUONTI": frozenset()}), {}, 1, 20)
    assert err.value.status == 401
    yt_only = Caller(
        "y", "y", {"OPPIJOIDENTUONTI": frozenset(["x"]), "YLEISTUNNISTE_LUONTI": frozenset([KK1])}
    )
    with pytest.raises(SimError) as err:  # quirk §9.7: the yleistunniste right never counts
        reg.muuttuneet(yt_only, {}, 1, 20)
    assert err.value.status == 400


def test_child_organisations_count_for_lists(make_registry) -> None:
    child = "1.2.246.562.10.00000000999"
    reg = make_registry(org_children={KK1: [child]})
    run_import(
        reg,
        Caller("c", "c", {"OPPIJOIDENTUONTI": frozenset([child])}),
        [row("1", passinumero="P1")],
    )
    assert reg.muuttuneet(KK1_USER, {}, 1, 20)["totalElements"] == 1


def test_s81_feed_maps_slaves_to_masters(reg: Registry) -> None:
    tid = run_import(
        reg,
        KK1_USER,
        [row("m", passinumero="M"), row("s", passinumero="S"), row("u", passinumero="U")],
    )
    oids = {r["tunniste"]: r["henkilo"]["oid"] for r in reg.get_tuonti(KK1_USER, tid)["henkilot"]}
    reg.link(SUPER, oids["m"], [oids["s"]])
    results = reg.muuttuneet(KK1_USER, {}, 1, 20)["results"]
    by_oid = {r["oid"]: r for r in results}
    assert by_oid[oids["s"]]["master"]["oid"] == oids["m"]
    assert by_oid[oids["u"]]["master"]["oid"] == oids["u"]
    assert by_oid[oids["m"]]["master"]["oppijanumero"] is None  # no substitution here
    assert "linked" not in by_oid[oids["m"]]["master"]
    assert by_oid[oids["s"]]["master"]["muokattu"] == by_oid[oids["m"]]["master"]["muokattu"]


def test_s82_feed_order_inclusive_bound_and_paging(reg: Registry) -> None:
    tid = run_import(reg, KK1_USER, [row(str(i), passinumero=f"P{i}") for i in range(5)])
    assert tid
    feed = reg.muuttuneet(KK1_USER, {}, 1, 20)["results"]
    stamps = [r["master"]["muokattu"] for r in feed]
    assert stamps == sorted(stamps)
    since = stamps[2]
    later = reg.muuttuneet(KK1_USER, {"muokattuJalkeen": since}, 1, 20)["results"]
    assert [r["oid"] for r in later] == [r["oid"] for r in feed if r["master"]["muokattu"] >= since]
    page2 = reg.muuttuneet(KK1_USER, {}, 2, 2)
    assert [r["oid"] for r in page2["results"]] == [r["oid"] for r in feed[2:4]]
    assert (page2["totalElements"], page2["totalPages"], page2["first"], page2["last"]) == (
        5,
        3,
        False,
        False,
    )
    empty = reg.muuttuneet(KK1_USER, {"muokattuJalkeen": stamps[-1] + 1}, 1, 20)
    assert (empty["totalPages"], empty["last"], empty["results"]) == (0, False, [])
    # a change moves the person to the end of the feed
    reg.put_organisation(SUPER, feed[0]["oid"], KK2)
    assert reg.muuttuneet(KK1_USER, {}, 1, 20)["results"][-1]["oid"] == feed[0]["oid"]
    with pytest.raises(SimError):
        reg.muuttuneet(KK1_USER, {}, 1, 10001)
    iso = reg.muuttuneet(KK1_USER, {"muokattuJalkeen": "2000-01-01T00:00:00Z"}, 1, 20)
    assert iso["totalElements"] == 5


def test_feed_excludes_persons_never_imported(reg: Registry) -> None:
    reg.post_oppija(
        KK1_USER,
        {
            "etunimet": "A",
            "kutsumanimi": "A",
            "sukunimi": "B",
            "syntymaaika": "2000-01-01",
            "sukupuoli": "1",
            "kansalaisuus": [{"kansalaisuusKoodi": "246"}],
        },
    )
    assert reg.muuttuneet(KK1_USER, {}, 1, 20)["totalElements"] == 0


def test_passivation_does_not_bump_modified(reg: Registry) -> None:
    tid = run_import(reg, KK1_USER, [row("1", passinumero="P1")])
    oid = person_of(reg, KK1_USER, tid, "1")["henkilo"]["oid"]
    before = reg.get_henkilo(SUPER, oid)["modified"]
    reg.passivate(SUPER, oid)
    after = reg.get_henkilo(SUPER, oid)
    assert after["passivoitu"] is True and after["modified"] == before


def test_sequential_pages_equal_offset_pages(reg: Registry) -> None:
    run_import(reg, KK1_USER, [row(str(i), passinumero=f"P{i}") for i in range(23)])
    walked = [r["oid"] for p in (1, 2, 3) for r in reg.muuttuneet(KK1_USER, {}, p, 10)["results"]]
    reg.world.page_ends.clear()  # the same pages read cold (OFFSET) give the same rows
    cold = {
        p: [r["oid"] for r in reg.muuttuneet(KK1_USER, {}, p, 10)["results"]] for p in (3, 2, 1)
    }
    assert walked == cold[1] + cold[2] + cold[3]
    assert len(set(walked)) == 23
