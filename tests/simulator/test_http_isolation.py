"""A caller of one institution never sees another institution's people, on any read endpoint."""

from __future__ import annotations

import json
import time
import uuid

import httpx
import pytest

SERVICE = "/oppijanumerorekisteri-service"
CHECKS = "0123456789ABCDEFHJKLMNPRSTUVWXY"


def make_hetu(day: int, month: int, year: int, individual: int) -> str:
    """A valid test hetu (individual number 900–999)."""
    sign = {18: "+", 19: "-", 20: "A"}[year // 100]
    digits = f"{day:02d}{month:02d}{year % 100:02d}"
    return f"{digits}{sign}{individual:03d}{CHECKS[int(digits + f'{individual:03d}') % 31]}"


def wait_processed(client: httpx.Client, tuonti_id: int, path: str = "/oppija") -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        progress = client.get(f"{SERVICE}{path}/tuonti={tuonti_id}/perustiedot").json()
        if progress["kasitelty"]:
            return
        time.sleep(0.05)
    raise AssertionError(f"tuonti {tuonti_id} not processed in 30 s")


@pytest.fixture(scope="module")
def imported(simulator):
    """kk1 imports one person with a unique surname; kk1 and kk2 sessions are returned."""
    kk1 = simulator.login("palvelu-kk1")
    kk2 = simulator.login("palvelu-kk2")
    sukunimi = "Eristetty" + uuid.uuid4().hex[:8]
    # born 1866: nobody in the seeded population has this hetu
    hetu = make_hetu(int(uuid.uuid4().int % 28) + 1, 3, 1866, 900 + uuid.uuid4().int % 99)
    body = {"henkilot": [{"tunniste": "iso-1", "henkilo": {
        "hetu": hetu, "etunimet": "Iida Isolde", "kutsumanimi": "Iida", "sukunimi": sukunimi,
        "kansalaisuus": [{"koodi": "246"}]}}]}
    put = kk1.put(SERVICE + "/oppija", json=body)
    assert put.status_code == 200, put.text
    tuonti_id = put.json()["id"]
    wait_processed(kk1, tuonti_id)
    oid = kk1.get(f"{SERVICE}/oppija/tuonti={tuonti_id}").json()["henkilot"][0]["henkilo"]["oid"]
    yield {"kk1": kk1, "kk2": kk2, "oid": oid, "hetu": hetu, "sukunimi": sukunimi,
           "tuonti": tuonti_id}
    kk1.close()
    kk2.close()


def reads(p: dict) -> list[tuple[str, str, object]]:
    """(method, path, json body) of every endpoint that could reveal the person."""
    oid, hetu, t = p["oid"], p["hetu"], p["tuonti"]
    return [
        ("GET", f"/henkilo/{oid}", None),
        ("GET", f"/henkilo/{oid}/master", None),
        ("GET", f"/henkilo/{oid}/slaves", None),
        ("GET", f"/henkilo/{oid}/duplicates", None),
        ("GET", f"/henkilo/{oid}/yksilointitiedot", None),
        ("GET", f"/henkilo/{oid}/identification", None),
        ("GET", f"/henkilo/hetu={hetu}", None),
        ("POST", "/henkilo/henkiloPerustietosByHenkiloOidList", [oid]),
        ("POST", "/henkilo/henkiloPerustietosByHenkiloHetuList", [hetu]),
        ("POST", "/henkilo/henkilotByHenkiloOidList", [oid]),
        ("POST", "/henkilo/masterHenkilosByOidList", [oid]),
        ("GET", f"/oppija/tuonti={t}", None),
        ("GET", f"/oppija/tuontidata/{t}", None),
        ("GET", f"/oppija/muuttuneet?tuontiId={t}&count=100", None),
        ("GET", f"/oppija/muuttuneet?nimiHaku={p['sukunimi']}&count=100", None),
        ("GET", f"/internal/oppijoidentuonti/virheet?tuontiId={t}", None),
        ("GET", f"/yleistunniste/tuonti={t}", None),
        ("GET", f"/yleistunniste/hae/{oid}", None),
    ]


def test_owner_sees_the_person(imported):
    """Positive control: the importing institution reads its person where ONR lets it."""
    kk1 = imported["kk1"]
    for path in (f"/henkilo/{imported['oid']}", f"/oppija/tuonti={imported['tuonti']}",
                 f"/oppija/tuontidata/{imported['tuonti']}",
                 f"/oppija/muuttuneet?tuontiId={imported['tuonti']}"):
        response = kk1.get(SERVICE + path)
        assert response.status_code == 200, path
        assert imported["sukunimi"] in response.text, path


@pytest.mark.parametrize("index", range(18))
def test_other_institution_sees_nothing(imported, index):
    method, path, body = reads(imported)[index]
    response = imported["kk2"].request(method, SERVICE + path, json=body)
    assert response.status_code in {200, 401, 403, 404}, (path, response.status_code)
    text = response.text
    if response.status_code >= 400:  # error bodies echo the requested path: not a leak
        text = json.dumps({k: v for k, v in response.json().items() if k != "path"})
    assert imported["sukunimi"] not in text, path
    assert imported["hetu"] not in text, path
    assert imported["hetu"][:6] + "-****" not in text, path


def test_other_institution_counts_nothing(imported):
    kk2, t = imported["kk2"], imported["tuonti"]
    yhteenveto = kk2.get(f"{SERVICE}/oppija/yhteenveto", params={"tuontiId": t}).json()
    assert yhteenveto["yhteensa"] == 0
    kooste = kk2.get(f"{SERVICE}/oppija/tuontikooste", params={"id": t}).json()
    assert kooste["content"] == []
    feed = kk2.get(f"{SERVICE}/oppija/muuttuneet", params={"tuontiId": t}).json()
    assert feed["totalElements"] == 0
    assert kk2.head(f"{SERVICE}/henkilo/{imported['oid']}").status_code in {401, 404}
