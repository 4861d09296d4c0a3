"""Fault injection does what it says, and only where it is asked to."""

from __future__ import annotations

import time
from contextlib import closing

import httpx
import pytest

from onrtools.simulator.faults import FaultConfig, FaultInjector

SERVICE = "/oppijanumerorekisteri-service"


def row(tunniste: str, passinumero: str) -> dict:
    return {"tunniste": tunniste, "henkilo": {
        "passinumero": passinumero, "etunimet": "Fia", "kutsumanimi": "Fia",
        "sukunimi": "Faultinen", "kansalaisuus": [{"koodi": "752"}]}}


def tuonti_ids(client: httpx.Client) -> list[int]:
    page = client.get(SERVICE + "/oppija/tuontikooste", params={"pageSize": 1000}).json()
    return sorted(item["id"] for item in page["content"])


@pytest.fixture
def sim(fresh_simulator):
    return fresh_simulator(population=0)


@pytest.fixture
def kk1(sim):
    with closing(sim.login("palvelu-kk1")) as client:
        yield client


def test_latency_is_added_to_matching_requests_only(sim, kk1):
    sim.admin("PUT", "/faults", json={"latency_ms": 300, "match": ["GET /oppija/yhteenveto"]})
    started = time.perf_counter()
    assert kk1.get(SERVICE + "/oppija/yhteenveto").status_code == 200
    slow = time.perf_counter() - started
    started = time.perf_counter()
    assert kk1.get(SERVICE + "/cas/prequel").status_code == 200
    fast = time.perf_counter() - started
    assert slow >= 0.3
    assert fast < 0.3
    assert sim.admin("GET", "/faults")["injected"]["delayed"] == 1


def test_error_share_is_seeded(sim, kk1):
    def statuses() -> list[int]:
        sim.admin("PUT", "/faults", json={"error_rate": 0.5, "seed": 7})
        return [kk1.get(SERVICE + "/cas/prequel").status_code for _ in range(30)]

    first = statuses()
    assert first == statuses()  # same seed, same requests → same answers
    assert {200, 500, 503} == set(first)
    failed = sum(s != 200 for s in first)
    assert 5 <= failed <= 25
    sim.admin("PUT", "/faults", json={"error_next": 1, "error_statuses": [500]})
    body = kk1.get(SERVICE + "/cas/prequel").json()
    assert body["status"] == 500 and body["path"] == SERVICE + "/cas/prequel"
    assert set(body) == {"timestamp", "status", "error", "exception", "message", "path"}


def test_drop_before_processing_stores_nothing(sim, kk1):
    sim.admin("PUT", "/faults", json={"drop_before_next": 1, "match": ["PUT /oppija"]})
    before = tuonti_ids(kk1)
    with pytest.raises(httpx.RemoteProtocolError):
        kk1.put(SERVICE + "/oppija", json={"henkilot": [row("d1", "DROPB1")]})
    assert tuonti_ids(kk1) == before
    assert sim.admin("GET", "/faults")["injected"]["drop_before"] == 1


def test_drop_after_processing_keeps_the_import(sim, kk1):
    sim.admin("PUT", "/faults", json={"drop_after_rate": 1.0, "match": ["PUT /oppija"]})
    before = tuonti_ids(kk1)
    with pytest.raises(httpx.RemoteProtocolError):
        kk1.put(SERVICE + "/oppija", json={"henkilot": [row("a1", "DROPA1")]})
    after = tuonti_ids(kk1)
    assert len(after) == len(before) + 1  # the import exists although no answer came
    # other requests are untouched
    assert kk1.get(SERVICE + "/oppija/tuonti=%d/perustiedot" % after[-1]).status_code == 200


def test_stalled_import_resumes_when_restarted(sim, kk1):
    sim.admin("PUT", "/faults", json={"stall_imports": True})
    put = kk1.put(SERVICE + "/oppija", json={"henkilot": [row(f"s{i}", f"STALL{i}")
                                                         for i in range(150)]})
    tuonti_id = put.json()["id"]
    time.sleep(0.5)
    progress = kk1.get(f"{SERVICE}/oppija/tuonti={tuonti_id}/perustiedot").json()
    assert progress["kasitelty"] is False
    assert progress["kasiteltyja"] < 150
    sim.admin("PUT", "/faults", json={})  # faults off; the job stays stopped until restarted
    restarted = kk1.post(f"{SERVICE}/oppija/tuonti={tuonti_id}")
    assert restarted.status_code == 200
    deadline = time.monotonic() + 20
    while not kk1.get(f"{SERVICE}/oppija/tuonti={tuonti_id}/perustiedot").json()["kasitelty"]:
        assert time.monotonic() < deadline, "restarted import did not finish"
        time.sleep(0.05)


def test_faults_leave_cas_and_admin_alone(sim, kk1):
    sim.admin("PUT", "/faults", json={"error_rate": 1.0})
    assert kk1.get(SERVICE + "/cas/prequel").status_code in {500, 503}
    assert kk1.get(SERVICE + "/v3/api-docs").status_code == 200  # public paths: no faults
    granted = kk1.post("/cas/v1/tickets", data={"username": "palvelu-kk2",
                                                "password": "simulator"})
    assert granted.status_code == 201  # CAS is another server
    assert sim.admin("GET", "/faults")["config"]["error_rate"] == 1.0


def test_admin_rejects_unknown_settings(sim):
    bad = httpx.put(sim.base_url + "/__admin/faults", json={"latency": 5})
    assert bad.status_code == 400
    assert "latency" in bad.json()["error"]
    bad = httpx.put(sim.base_url + "/__admin/faults", json={"error_rate": 2})
    assert bad.status_code == 400


def test_admin_world_controls(fresh_simulator):
    sim = fresh_simulator(population=40, identification="off")
    before = sim.admin("GET", "/state")
    changed = sim.admin("POST", "/time-passes", json={"days": 30, "seed": 3})
    assert all(isinstance(v, int) for v in changed.values()) and changed
    after = sim.admin("GET", "/state")
    assert after["clock_ms"] - before["clock_ms"] >= 30 * 86_400_000  # the registry's clock
    assert sim.admin("POST", "/identify") == {"identified": 0}  # identification off
    bad = httpx.post(sim.base_url + "/__admin/time-passes", json={"days": "many"})
    assert bad.status_code == 400
    with closing(sim.login("palvelu-kk1")) as client:
        client.get(SERVICE + "/oppija/yhteenveto", headers={"Caller-Id": "admin-test"})
    last = sim.admin("GET", "/requests?limit=1")["requests"][-1]
    assert (last["method"], last["path"], last["status"], last["callerId"], last["user"]) == (
        "GET", SERVICE + "/oppija/yhteenveto", 200, "admin-test", "palvelu-kk1")


@pytest.mark.parametrize(("pattern", "method", "path", "hit"), [
    ("PUT /oppija", "PUT", "/oppija", True),
    ("PUT /oppija", "GET", "/oppija", False),  # method must match
    ("PUT /oppija", "PUT", "/oppija/tuonti=1", True),  # prefix by path segment
    ("/oppija", "POST", "/oppijat", False),  # not a segment prefix
    ("GET *", "GET", "/henkilo/1.2.3", True),
    ("* /henkilo", "DELETE", "/henkilo/1.2.3", True),
])
def test_match_patterns(pattern, method, path, hit):
    injector = FaultInjector(FaultConfig(match=[pattern]))
    assert injector.matches(method, path) is hit
