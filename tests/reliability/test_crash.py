"""Crash runs: the pipeline SIGKILLed at seeded random moments, then run again.

The pipeline runs as its own process (`python -m tests.reliability.driver`, the notebooks'
code); the simulator runs in this test process and survives the kill. After each kill the same
run id runs again to the end (as `onr run` resumes a run id); the end state must equal the
clean run's and the ledger must verify (`onr audit verify`).

Fast: one run killed 3 times in a row before it may finish. Slow: 20 independent trials, one
kill each at a seeded moment spread over the whole run.
"""

from __future__ import annotations

import os
import random
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from .conftest import (
    CALLER_ID,
    REGISTER_ROWS,
    REPO,
    RUN_PARAMETERS,
    end_state,
    import_journal,
    scan_run,
    start_simulator,
    verify_ledger_cli,
)
from .driver import CORE_STEPS


def _span(calibration: float) -> tuple[float, float]:
    """Seconds after the start between which the pipeline process is at work: from its
    imports to just before a whole run (timed just now, on this machine's current load) ends."""
    return min(1.0, calibration * 0.1), calibration * 0.95


@pytest.fixture(scope="module")
def calibration(tmp_path_factory: pytest.TempPathFactory, register: Path) -> float:
    """Wall seconds of one whole pipeline process against a fresh simulator, nothing killed."""
    work = tmp_path_factory.mktemp("calibration")
    password = "Cal-" + secrets.token_urlsafe(12)
    sim = start_simulator(work / "sim", password)
    try:
        started = time.monotonic()
        run_to_end(work, register, _env(sim.base_url, password), "calibration")
        return time.monotonic() - started
    finally:
        sim.stop()
CRASH_REPORT: list[dict[str, Any]] = []


def _command(work: Path, register: Path, run_id: str) -> list[str]:
    params = [f"{k}={v}" for k, v in {**RUN_PARAMETERS, "register_file": str(register)}.items()]
    return [sys.executable, "-m", "tests.reliability.driver", "--run-id", run_id,
            "--workspace", str(work / "workspace"), "--reports-dir", str(work / "reports"),
            "--steps", ",".join(CORE_STEPS), *[a for p in params for a in ("-p", p)]]


def _env(base_url: str, password: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONR_")}
    env.update(ONR_BASE_URL=base_url, ONR_USERNAME="palvelu-kk1", ONR_PASSWORD=password,
               ONR_CALLER_ID=CALLER_ID, PYTHONPATH=str(REPO))
    return env


def _progress(work: Path, run_id: str) -> str:
    marker = work / "workspace" / "runs" / run_id / "driver-steps.txt"
    done = marker.read_text().split() if marker.is_file() else []
    running = next((s for s in CORE_STEPS if s not in done), "finished")
    return running


def run_killed(work: Path, register: Path, env: dict[str, str], run_id: str,
               after_s: float) -> dict[str, Any]:
    """Start the pipeline, SIGKILL it (and its process group) after `after_s` seconds."""
    log = (work / "driver.log").open("ab")
    proc = subprocess.Popen(_command(work, register, run_id), cwd=REPO, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        proc.wait(timeout=after_s)
        killed = False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # our own child's session: nothing else
        proc.wait(timeout=30)
        killed = True
    finally:
        log.close()
    return {"after_s": round(after_s, 2), "killed": killed, "in_step": _progress(work, run_id),
            "returncode": proc.returncode}


def run_to_end(work: Path, register: Path, env: dict[str, str], run_id: str) -> None:
    proc = subprocess.run(_command(work, register, run_id), cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    tail = (proc.stdout + proc.stderr)[-3000:]
    assert proc.returncode == 0, tail
    assert "Traceback" not in proc.stderr, tail


def crash_trial(work: Path, register: Path, moments: list[float],
                run_id: str = "crash-run") -> dict[str, Any]:
    """Kill at each moment (successive restarts of one run), then finish; the end state."""
    from onrtools.rundir import RunDir

    password = "Crs-" + secrets.token_urlsafe(12)
    sim = start_simulator(work / "sim", password)
    try:
        env = _env(sim.base_url, password)
        kills = [run_killed(work, register, env, run_id, m) for m in moments]
        run_to_end(work, register, env, run_id)
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


def _moments(seed: int, n: int, span: tuple[float, float]) -> list[float]:
    rng = random.Random(seed)
    return [rng.uniform(*span) for _ in range(n)]


@pytest.mark.long(45)  # a crash run: out of make test-fast
def test_three_kills_in_one_run_end_in_the_clean_state(
    tmp_path: Path, register: Path, clean: dict[str, Any], calibration: float,
) -> None:
    moments = sorted(_moments(20261127, 3, _span(calibration)))
    trial = crash_trial(tmp_path, register, moments)
    CRASH_REPORT.append(_report("3 kills in a row", clean, trial))
    print(CRASH_REPORT[-1])
    assert sum(k["killed"] for k in trial["kills"]) >= 1, "the moments must fall inside a run"
    check_trial(clean, trial)


@pytest.mark.slow
@pytest.mark.parametrize("n", range(20))
def test_killed_at_a_seeded_moment_then_rerun_ends_in_the_clean_state(
    n: int, tmp_path: Path, register: Path, clean: dict[str, Any], calibration: float,
) -> None:
    low, high = _span(calibration)
    # 20 moments spread evenly over the run, each jittered by a seeded draw
    moment = low + (high - low) * (n + random.Random(n).random()) / 20
    for attempt in range(3):  # the machine got faster than the calibration: kill earlier
        trial = crash_trial(tmp_path / f"try{attempt}", register, [moment])
        if trial["kills"][0]["killed"]:
            break
        moment *= 0.6
    CRASH_REPORT.append(_report(f"trial {n}", clean, trial))
    print(CRASH_REPORT[-1])
    assert trial["kills"][0]["killed"], "every moment fell after the run: nothing was proven"
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
    """Deterministic: step 30 completes its feed read, the run dies before the step is marked
    done (as a SIGKILL anywhere in step 30 after the cursor is saved), the run id runs again."""
    from onrtools.rundir import RunDir

    from . import driver

    password = "Crs-" + secrets.token_urlsafe(12)
    sim = start_simulator(tmp_path / "sim", password)
    mp = pytest.MonkeyPatch()
    try:
        for key, value in _env(sim.base_url, password).items():
            if key.startswith("ONR_"):
                mp.setenv(key, value)
        params = {**RUN_PARAMETERS, "register_file": str(register)}
        ws, reports = tmp_path / "workspace", tmp_path / "reports"
        driver.run("crash-run", ws, reports, params, steps=CORE_STEPS[:3])
        marker = ws / "runs" / "crash-run" / "driver-steps.txt"
        marker.write_text("".join(s + "\n" for s in CORE_STEPS[:2]))  # 30 never marked done
        driver.run("crash-run", ws, reports, params, steps=CORE_STEPS)
        run = RunDir.open("crash-run", workspace=ws, reports_dir=reports)
        state = end_state(sim, run)
    finally:
        mp.undo()
        sim.stop()
    assert state["feed_rows"] == clean["state"]["feed_rows"]
    assert state["feed_hetus"] == clean["state"]["feed_hetus"]
