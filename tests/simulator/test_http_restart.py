"""A killed simulator restarted on the same database keeps everything (and does not re-seed)."""

from __future__ import annotations

import time
from contextlib import closing

import httpx

SERVICE = "/oppijanumerorekisteri-service"


def wait_processed(client: httpx.Client, tuonti_id: int) -> None:
    deadline = time.monotonic() + 30
    while not client.get(f"{SERVICE}/oppija/tuonti={tuonti_id}/perustiedot").json()["kasitelty"]:
        assert time.monotonic() < deadline, "import not processed"
        time.sleep(0.05)


def snapshot(client: httpx.Client, tuonti_id: int) -> dict:
    tuonti = client.get(f"{SERVICE}/oppija/tuonti={tuonti_id}").json()
    feed = client.get(f"{SERVICE}/oppija/muuttuneet", params={"count": 10000}).json()
    oid = tuonti["henkilot"][0]["henkilo"]["oid"]
    return {
        "tuonti": tuonti,
        "feed": feed["results"],
        "henkilo": client.get(f"{SERVICE}/henkilo/{oid}").json(),
        "kooste": client.get(f"{SERVICE}/oppija/tuontikooste").json()["content"],
    }


def test_kill_and_restart_keeps_state(fresh_simulator):
    # faults given on the command line (`--fault-…` flags) reach the process
    faults = {"error_next": 1, "error_statuses": [503], "match": ["GET /cas/prequel"]}
    sim = fresh_simulator(population=30, subprocess=True, faults=faults)
    rows = [{"tunniste": f"r{i}", "henkilo": {
        "passinumero": f"RESTART{i}", "etunimet": "Riku", "kutsumanimi": "Riku",
        "sukunimi": f"Restartti{i}", "kansalaisuus": [{"koodi": "752"}]}} for i in range(5)]
    assert sim.admin("GET", "/faults")["config"]["match"] == ["GET /cas/prequel"]
    with closing(sim.login("palvelu-kk1")) as kk1:
        assert kk1.get(SERVICE + "/cas/prequel").status_code == 503
        assert kk1.get(SERVICE + "/cas/prequel").status_code == 200
        tuonti_id = kk1.put(SERVICE + "/oppija", json={"henkilot": rows}).json()["id"]
        wait_processed(kk1, tuonti_id)
        before = snapshot(kk1, tuonti_id)
        state_before = sim.admin("GET", "/state")
        sim.kill()  # SIGKILL: nothing is flushed on the way out
        sim.start()
        # sessions are in memory: the old cookie is no session any more → CAS login page
        assert kk1.get(SERVICE + "/oppija/yhteenveto").status_code == 302
    with closing(sim.login("palvelu-kk1")) as kk1:
        after = snapshot(kk1, tuonti_id)
    assert after == before
    assert len(before["feed"]) >= 5
    state_after = sim.admin("GET", "/state")
    assert state_after.pop("clock_ms") >= state_before.pop("clock_ms")  # the clock moves on
    assert state_after == state_before  # and the population was not seeded again
    assert state_after["imported"] >= 5
