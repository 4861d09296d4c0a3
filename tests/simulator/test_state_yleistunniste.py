"""SEMANTICS §8 scenarios 32–45: yleistunniste hae / batch / filtered views; exists."""

from __future__ import annotations

from typing import Any

import pytest

from onrtools.simulator.state import Caller, Registry, SimError

from . import registry_fixtures
from .registry_fixtures import (
    KK1_USER,
    SUPER,
    row,
    run_import,
    vtj_person,
)

make_registry = registry_fixtures.make_registry  # fixtures
reg = registry_fixtures.reg


def hae(
    reg: Registry, hetu: str, etunimet: str, sukunimi: str, kutsumanimi: str | None = None
) -> dict[str, Any]:
    return reg.yleistunniste_hae(
        KK1_USER,
        {
            "hetu": hetu,
            "etunimet": etunimet,
            "sukunimi": sukunimi,
            "kutsumanimi": kutsumanimi or etunimet.split()[0],
        },
    )


def _status(fn: Any, *args: Any) -> int:
    with pytest.raises(SimError) as err:
        fn(*args)
    return err.value.status


def test_s32_s33_existing_person_by_hetu(reg: Registry) -> None:
    tid = run_import(
        reg,
        KK1_USER,
        [
            row(
                "t",
                hetu="120963-969H",
                etunimet="tuonti1",
                kutsumanimi="tuonti1",
                sukunimi="tuonti1",
            )
        ],
    )
    oid = reg.get_tuonti(KK1_USER, tid)["henkilot"][0]["henkilo"]["oid"]
    assert hae(reg, "120963-969H", "tuonti1", "tuonti1") == {"oid": oid, "oppijanumero": None}
    assert _status(hae, reg, "120963-969H", "Mika Marko-Petteri", "Kalmasniemi", "Mika") == 409


def test_s34_unknown_everywhere_is_404(reg: Registry) -> None:
    assert _status(hae, reg, "011151-920B", "Testi", "Testaaja") == 404


def test_s35_s36_s37_vtj_names(reg: Registry) -> None:
    reg.add_vtj([vtj_person("100690-941V", "Seppo Matti", "Peipponen")])
    assert _status(hae, reg, "100690-941V", "Pertti", "Virtanen") == 409
    events = len(reg.events())
    first = hae(reg, "100690-941V", "Sepo", "Peipponen")
    assert first["oppijanumero"] == first["oid"]
    assert reg.get_henkilo(SUPER, first["oid"])["etunimet"] == "Sepo"  # the input names
    assert [e["kind"] for e in reg.events()[events:]] == ["create"]
    again = hae(reg, "100690-941V", "Sepo", "Peipponen")
    assert again == {"oid": first["oid"], "oppijanumero": None}


@pytest.mark.parametrize("name", ["Marja", "Terttu", "Karpalo"])
def test_s38_any_single_first_name(reg: Registry, name: str) -> None:
    reg.add_vtj([vtj_person("170654-998X", "Marja Terttu Karpalo", "Virtanen")])
    created = hae(reg, "170654-998X", name, "Virtanen")
    assert created["oppijanumero"] == created["oid"]
    assert hae(reg, "170654-998X", name, "Virtanen") == {
        "oid": created["oid"],
        "oppijanumero": None,
    }
    assert reg.admin_state()["persons"] == 1


def test_s39_created_with_all_names_found_with_one(reg: Registry) -> None:
    reg.add_vtj([vtj_person("230668-903B", "Anna Bea Cecilia", "Testi")])
    full = hae(reg, "230668-903B", "Anna Bea Cecilia", "Testi", "Bea")
    reg.world.conn.execute("DELETE FROM vtj")  # found without asking VTJ
    assert hae(reg, "230668-903B", "Cecilia", "Testi")["oid"] == full["oid"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"hetu": "100690-941V", "etunimet": "Seppo", "sukunimi": "P"},
        {"hetu": "100690-941V", "etunimet": "Seppo", "sukunimi": "P", "kutsumanimi": "Matti"},
        {"hetu": "100690-141", "etunimet": "Seppo", "sukunimi": "P", "kutsumanimi": "Seppo"},
        {"hetu": "100690-941V", "etunimet": " Seppo", "sukunimi": "P", "kutsumanimi": "Seppo"},
    ],
)
def test_s40_invalid_input_and_roles(reg: Registry, body: dict[str, Any]) -> None:
    assert _status(reg.yleistunniste_hae, KK1_USER, body) == 400
    assert (
        _status(
            reg.yleistunniste_hae,
            SUPER,
            {"hetu": "100690-941V", "etunimet": "S", "sukunimi": "P", "kutsumanimi": "S"},
        )
        == 401
    )


def _linked_trio(reg: Registry) -> dict[str, str]:
    tid = run_import(
        reg,
        KK1_USER,
        [
            row("master", passinumero="M"),
            row("d1", passinumero="D1"),
            row("d2", passinumero="D2"),
            row("alone", passinumero="A"),
            row("ident", passinumero="I"),
        ],
    )
    oids = {r["tunniste"]: r["henkilo"]["oid"] for r in reg.get_tuonti(KK1_USER, tid)["henkilot"]}
    reg.link(SUPER, oids["master"], [oids["d1"], oids["d2"]])
    oids["tuonti"] = str(tid)
    return oids


def test_s41_hae_oid(reg: Registry) -> None:
    o = _linked_trio(reg)
    reg.yksiloi_hetuton(SUPER, o["master"])
    reg.yksiloi_hetuton(SUPER, o["ident"])
    m = reg.yleistunniste_hae_oid(KK1_USER, o["master"])
    assert (m["oppijanumero"], m["passivoitu"], sorted(m["linked"])) == (
        o["master"],
        False,
        sorted([o["d1"], o["d2"]]),
    )
    d = reg.yleistunniste_hae_oid(KK1_USER, o["d1"])
    assert (d["oppijanumero"], d["passivoitu"], d["linked"]) == (
        o["master"],
        True,
        [o["master"], o["d2"]],
    )
    assert reg.yleistunniste_hae_oid(KK1_USER, o["alone"]) == {
        "oid": o["alone"],
        "oppijanumero": None,
        "passivoitu": False,
        "linked": [],
    }
    assert reg.yleistunniste_hae_oid(KK1_USER, o["ident"])["oppijanumero"] == o["ident"]
    assert _status(reg.yleistunniste_hae_oid, KK1_USER, "1.2.246.562.98.00000000000") == 404


def test_s42_filtered_tuonti_substitutes_master(reg: Registry) -> None:
    o = _linked_trio(reg)  # master is not identified
    rows = {
        r["tunniste"]: r["henkilo"]
        for r in reg.get_tuonti(KK1_USER, int(o["tuonti"]), api="YLEISTUNNISTE")["henkilot"]
    }
    assert rows["master"] == {
        "oid": o["master"],
        "oppijanumero": o["master"],
        "passivoitu": False,
        "linked": [o["d1"], o["d2"]],
    }
    assert rows["d1"]["oppijanumero"] == o["master"] and rows["d1"]["linked"] == [
        o["master"],
        o["d2"],
    ]
    assert rows["alone"]["oppijanumero"] is None and rows["alone"]["linked"] == []
    full = {
        r["tunniste"]: r["henkilo"] for r in reg.get_tuonti(KK1_USER, int(o["tuonti"]))["henkilot"]
    }
    assert full["d2"]["oppijanumero"] == o["master"]


def test_s43_restart_complete_yleistunniste(reg: Registry) -> None:
    t = reg.put_yleistunniste(
        KK1_USER,
        {
            "henkilot": [
                {
                    "tunniste": "1",
                    "henkilo": {
                        "hetu": "120963-969H",
                        "etunimet": "A",
                        "kutsumanimi": "A",
                        "sukunimi": "B",
                    },
                }
            ]
        },
    )
    reg.process_all()
    assert reg.restart_tuonti(KK1_USER, t["id"], api="YLEISTUNNISTE") == {
        "id": t["id"],
        "kasiteltavia": 1,
        "kasiteltyja": 1,
        "kasitelty": True,
    }


@pytest.mark.parametrize(
    "body",
    [
        {
            "sahkoposti": "makkara",
            "henkilot": [
                {
                    "tunniste": "1",
                    "henkilo": {
                        "hetu": "120963-969H",
                        "etunimet": "A",
                        "kutsumanimi": "A",
                        "sukunimi": "B",
                    },
                }
            ],
        },
        {"henkilot": None},
        {"henkilot": []},
        {
            "henkilot": [
                {"tunniste": "1", "henkilo": {"etunimet": "A", "kutsumanimi": "A", "sukunimi": "B"}}
            ]
        },
        {
            "henkilot": [
                {
                    "tunniste": "1",
                    "henkilo": {"hetu": "", "etunimet": "A", "kutsumanimi": "A", "sukunimi": "B"},
                }
            ]
        },
        {
            "henkilot": [
                {
                    "tunniste": "1",
                    "henkilo": {
                        "hetu": "120963-969X",
                        "etunimet": "A",
                        "kutsumanimi": "A",
                        "sukunimi": "B",
                    },
                }
            ]
        },
        {
            "henkilot": [
                {
                    "tunniste": " ",
                    "henkilo": {
                        "hetu": "120963-969H",
                        "etunimet": "A",
                        "kutsumanimi": "A",
                        "sukunimi": "B",
                    },
                }
            ]
        },
    ],
)
def test_s44_yleistunniste_batch_validation(reg: Registry, body: dict[str, Any]) -> None:
    assert _status(reg.put_yleistunniste, KK1_USER, body) == 400


@pytest.mark.parametrize("sahkoposti", [None, "", "a@b.fi"])
def test_s44_valid_yleistunniste_batch_is_processed(reg: Registry, sahkoposti: str | None) -> None:
    body: dict[str, Any] = {
        "henkilot": [
            {
                "tunniste": "1",
                "henkilo": {
                    "hetu": "120963-969H",
                    "etunimet": "A",
                    "kutsumanimi": "A",
                    "sukunimi": "B",
                },
            }
        ]
    }
    if sahkoposti is not None:
        body["sahkoposti"] = sahkoposti
    t = reg.put_yleistunniste(KK1_USER, body)
    reg.process_all()
    assert reg.get_perustiedot(KK1_USER, t["id"], api="YLEISTUNNISTE")["kasitelty"] is True
    oid = reg.get_tuonti(KK1_USER, t["id"], api="YLEISTUNNISTE")["henkilot"][0]["henkilo"]["oid"]
    assert reg.get_henkilo(SUPER, oid)["kansalaisuus"] == [{"kansalaisuusKoodi": "999"}]


def test_s45_exists_statuses(reg: Registry) -> None:
    reg.add_vtj([vtj_person("100690-941V", "Seppo Matti", "Peipponen")])
    run_import(reg, KK1_USER, [row("t", hetu="120963-969H", etunimet="Onr", sukunimi="Person")])
    found = reg.exists(
        KK1_USER,
        {"hetu": "120963-969H", "etunimet": "Onr", "kutsumanimi": "Onr", "sukunimi": "Person"},
    )
    assert found[0] == 200 and found[1] is not None and "oid" in found[1]
    assert reg.exists(
        KK1_USER,
        {
            "hetu": "100690-941V",
            "etunimet": "Seppo",
            "kutsumanimi": "Seppo",
            "sukunimi": "Peipponen",
        },
    ) == (204, None)
    assert reg.admin_state()["persons"] == 1  # exists never creates
    assert (
        _status(
            reg.exists,
            KK1_USER,
            {"hetu": "011151-920B", "etunimet": "A", "kutsumanimi": "A", "sukunimi": "B"},
        )
        == 404
    )
    assert (
        _status(
            reg.exists,
            KK1_USER,
            {"hetu": "100690-941V", "etunimet": "X", "kutsumanimi": "X", "sukunimi": "Y"},
        )
        == 409
    )


def test_quirk_historical_hetu_gives_400_on_creation(reg: Registry) -> None:
    reg.add_vtj([vtj_person("180897-987X", "Old", "Hetu")])
    tid = run_import(reg, KK1_USER, [row("a", hetu="180897-945K", etunimet="Old", sukunimi="Hetu")])
    oid = reg.get_tuonti(KK1_USER, tid)["henkilot"][0]["henkilo"]["oid"]
    reg.world.conn.execute(
        "INSERT INTO henkilo_hetu(hetu, henkilo_id) "
        "SELECT '180897-987X', id FROM henkilo WHERE oid = ?",
        (oid,),
    )
    assert _status(hae, reg, "180897-987X", "Old", "Hetu") == 400


def test_hae_attaches_to_yleistunniste_orgs_without_bumping_modified(reg: Registry) -> None:
    other = Caller("o", "o", {"OPPIJOIDENTUONTI": frozenset(["1.2.246.562.10.5"])})
    tid = run_import(reg, other, [row("t", hetu="120963-969H", etunimet="A", sukunimi="B")])
    oid = reg.get_tuonti(other, tid)["henkilot"][0]["henkilo"]["oid"]
    before = reg.get_henkilo(SUPER, oid)["modified"]
    with pytest.raises(SimError):
        reg.get_henkilo(KK1_USER, oid)
    hae(reg, "120963-969H", "A", "B")
    assert reg.get_henkilo(KK1_USER, oid)["modified"] == before  # now readable through KK1
