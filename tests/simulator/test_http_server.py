"""The server's background worker: scheduled identification runs on its period, off never."""

from __future__ import annotations

import time


def identified(sim) -> int:
    return int(sim.admin("GET", "/state")["identified_vtj"])


def test_scheduled_identification_runs_on_its_period(fresh_simulator):
    # the same seed gives the same population, with persons waiting for identification
    off = fresh_simulator(population=200, seed=5, identification="off",
                          identification_interval=0.2)
    scheduled = fresh_simulator(population=200, seed=5, identification="scheduled",
                                identification_interval=0.2)
    baseline = identified(off)
    deadline = time.monotonic() + 20
    while identified(scheduled) <= baseline:
        assert time.monotonic() < deadline, "the scheduled job never identified anyone"
        time.sleep(0.1)
    time.sleep(0.5)
    assert identified(off) == baseline  # off: several periods passed, nothing happened
    assert off.admin("POST", "/identify") == {"identified": 0}
