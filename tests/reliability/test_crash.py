"""Crash runs: the pipeline SIGKILLed at counted points, then run again.

The pipeline runs as its own process (`python -m tests.reliability.driver`, the notebooks'
code) under the one SIGKILL harness (:mod:`tests.crash`): it dies right after the n-th time it
passes a point (the journal marks a batch as sending, a batch's PUT is answered, a step ends, a
ledger entry is written), so every kill lands where the test says, on any machine. The
simulator runs in this test process and survives the kill. After each kill the same run id runs
again to the end (as `onr run` resumes a run id); the end state must equal the clean run's and
the ledger must verify (`onr audit verify`).

Fast: one run killed 3 times in a row before it may finish. Slow: 20 independent trials, one
kill each, at points spread over the whole run.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest

from tests import crash

from .conftest import (
    CALLER_ID,
    REGISTER_ROWS,
    RUN_PARAMETERS,
    end_state,
    import_journal,
    scan_run,
    start_simulator,
    verify_ledger_cli,
)
from .driver import CORE_STEPS

CRASH_REPORT: list[dict[str, Any]] = []


def _driver_args(work: Path, register: Path, run_id: str) -> list[str]:
    params = [f"{k}={v}" for k, v in {**RUN_PARAMETERS, "register_file": str(register)}.items()]
    return ["tests.reliability.driver", "--run-id", run_id,
            "--workspace", str(work / "workspace"), "--reports-dir", str(work / "reports"),
            "--steps", ",".join(CORE_STEPS), *[a for p in params for a in ("-p", p)]]


def _env(base_url: str, password: str) -> dict[str, str]:
    return crash.child_env({"ONR_BASE_URL": base_url, "ONR_USERNAME": "palvelu-kk1",
                            "ONR_PASSWORD": password, "ONR_CALLER_ID": CALLER_ID})


def _progress(work: Path, run_id: str) -> str:
    marker = work / "workspace" / "runs" / run_id / "driver-steps.txt"
    done = marker.read_text().split() if marker.is_file() else []
    return next((s for s in CORE_STEPS if s not in done), "finished")


def crash_trial(work: Path, register: Path, points: list[str],
                run_id: str = "crash-run") -> dict[str, Any]:
    """Kill at each point (successive restarts of one run), then finish; the end state."""
    from onrtools.pipeline.rundir import RunDir

    password = "Crs-" + secrets.token_urlsafe(12)
    sim = start_simulator(work / "sim", password)
    try:
        env = _env(sim.base_url, password)
        args = _driver_args(work, register, run_id)
        kills = []
        for at in points:
            outcome = crash.run_killed(args, at, env=env, log=work / "driver.log")
            kills.append({"at": at, "killed": outcome.killed,
                          "in_step": _progress(work, run_id)})
        crash.run_to_end(args, env=env)
        run = RunDir.open(run_id, workspace=work / "workspace", reports_dir=work / "reports")
        return {"kills": kills, "state": end_state(sim, run),
                "journal": import_journal(work / "workspace", run_id),
                "feed_oids": list(run.load_frame("feed")["oid"].astype(str)),
                "ledger": verify_ledger_cli(work / "workspace"),
                "findings": scan_run(work / "reports", work / "workspace", password)}
    finally:
        sim.stop()


# The change list of a run (step 40) is what the feed brought since the saved cursor. Step 30
# saves the cursor as soon as it has read the feed; killed after that, the rerun of the same run
# id starts from the new cursor and the changes the killed attempt read appear in no run's list.
FEED_KEYS = ("feed_hetus", "feed_rows")


def check_trial(clean: dict[str, Any], trial: dict[str, Any], *, feed: bool = True) -> None:
    want, got = clean["state"], trial["state"]
    assert got["keys_distinct"], "a person was created twice"
    assert (got["tuontis"], got["tuonti_rows"]) == (want["tuontis"], want["tuonti_rows"]), \
        "a batch was sent twice (or not at all)"
    assert got["results_rows"] == REGISTER_ROWS
    assert len(set(trial["feed_oids"])) == len(trial["feed_oids"])
    for key in want:
        if feed or key not in FEED_KEYS:
            assert got[key] == want[key], f"{key} differs from the clean run"
    code, summary = trial["ledger"]
    assert code == 0, summary
    assert trial["findings"] == [], "\n".join(map(str, trial["findings"][:10]))


@pytest.mark.long(45)  # a crash run: out of make test-fast
def test_three_kills_in_one_run_end_in_the_clean_state(
    tmp_path: Path, register: Path, clean: dict[str, Any],
) -> None:
    # batch 2 marked sending, never sent; then step 30 done but not marked (its feed read is
    # saved); then the second ledger entry of the third attempt
    points = ["journal.sending:2", "step.done:2", "ledger.append:2"]
    trial = crash_trial(tmp_path, register, points)
    CRASH_REPORT.append(_report("3 kills in a row", clean, trial))
    print(CRASH_REPORT[-1])
    assert [k["killed"] for k in trial["kills"]] == [True, True, True], trial["kills"]
    check_trial(clean, trial)


def spread_points(ledger_entries: int) -> list[str]:
    """20 kill points over a whole run: each send point of both batches, after each step, and
    after 8 ledger entries spread evenly over the clean run's ``ledger_entries``."""
    points = [f"{p}:{n}" for p in ("journal.sending", "import.put", "journal.sent")
              for n in (1, 2)]
    points += [f"step.done:{n}" for n in range(1, len(CORE_STEPS) + 1)]
    points += [f"ledger.append:{1 + i * (ledger_entries - 1) // 7}" for i in range(8)]
    return points


@pytest.mark.slow
@pytest.mark.parametrize("n", range(20))
def test_killed_at_a_counted_point_then_rerun_ends_in_the_clean_state(
    n: int, tmp_path: Path, register: Path, clean: dict[str, Any],
) -> None:
    at = spread_points(clean["ledger_entries"])[n]
    trial = crash_trial(tmp_path, register, [at])
    CRASH_REPORT.append(_report(f"trial {n} ({at})", clean, trial))
    print(CRASH_REPORT[-1])
    assert trial["kills"][0]["killed"], f"the run never reached {at}"
    check_trial(clean, trial)


def _report(name: str, clean: dict[str, Any], trial: dict[str, Any]) -> dict[str, Any]:
    return {"trial": name, "kills": trial["kills"],
            "batches": [{k: b[k] for k in ("seq", "sends", "resolved")}
                        for b in trial["journal"]["batches"]],
            "feed_rows": trial["state"]["feed_rows"], "clean_feed_rows":
                clean["state"]["feed_rows"]}


@pytest.mark.long(15)
def test_changes_read_by_a_killed_attempt_are_still_reported(
    tmp_path: Path, register: Path, clean: dict[str, Any],
) -> None:
    """Step 30 completes its feed read and the run dies before the step is marked done (killed
    right after the third step), then the run id runs again."""
    trial = crash_trial(tmp_path, register, ["step.done:3"])
    assert trial["kills"] == [{"at": "step.done:3", "killed": True,
                               "in_step": "30-reconcile"}]
    assert trial["state"]["feed_rows"] == clean["state"]["feed_rows"]
    assert trial["state"]["feed_hetus"] == clean["state"]["feed_hetus"]
