"""The server's background worker: scheduled identification runs on its period, off never."""

from __future__ import annotations

import time


def identified(sim) -> int:
    return int(sim.admin("GET", "/state")["identified_vtj"])


def test_scheduled_identification_runs_on_its_period(fresh_simulator):
    sim = fresh_simulator(population=200, identification="scheduled",
                          identification_interval=0.2)
    start = identified(sim)
    deadline = time.monotonic() + 20
    while identified(sim) == start:  # the seeded population has unidentified persons
        assert time.monotonic() < deadline, "the scheduled job never identified anyone"
        time.sleep(0.1)
    assert sim.admin("GET", "/state")["identification"] == "scheduled"


def test_identification_off_never_identifies(fresh_simulator):
    sim = fresh_simulator(population=200, identification="off", identification_interval=0.2)
    start = identified(sim)
    time.sleep(0.8)
    assert identified(sim) == start
    assert sim.admin("POST", "/identify") == {"identified": 0}
