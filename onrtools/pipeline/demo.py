"""`onr demo` (`make demo`): the whole pipeline, twice, against a seeded simulator.

1. Start a simulator on a fresh database (seeded population), put the register's people into
   its population register (VTJ) so ONR can identify them, then restart it as a separate
   process on loopback (port 8765, or a free one when that is taken).
2. Prepare ONR's history through its API: another institution imported some of our students
   twice and a registrar merged them; our organisation imported a few people outside the
   register.
3. Write a synthetic register of 10,000 people with planted defects
   (:mod:`onrtools.pipeline.demo_register`), run the pipeline (`onr run`), let 30 days pass in the
   simulator (name changes, merges, identifications), run the pipeline again.
4. Stop the simulator and print where the reports are, and whether every planted defect
   landed in its list.

Credentials are the simulator's documented synthetic ones, handed to the notebooks through
``ONR_*`` variables of this process (never as parameters).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from onrtools.pipeline import demo_register
from onrtools.pipeline.demo_checks import (
    check_links,
    check_packages,
    check_truth,
    review_as_planted,
)
from onrtools.pipeline.rundir import RunDir, new_run_id, resolve
from onrtools.workspace import Workspace

if TYPE_CHECKING:
    from onrtools.onr.config import Settings
    from onrtools.pipeline.run import PipelineRun
    from onrtools.simulator.state import Registry

SIMULATOR_PASSWORD = "simulator"  # the simulator's documented synthetic password (README)
OUR_USER, OTHER_USER, REGISTRAR = "palvelu-kk1", "palvelu-kk2", "rekisterinpitaja"
CALLER_ID = "1.2.246.562.10.00000000101.onrtools-demo"


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def taken_hetus(registry: Registry) -> set[str]:
    """Every hetu the simulator already holds (ONR persons, hetu history, VTJ)."""
    conn = registry.world.conn
    rows = conn.execute("SELECT hetu FROM henkilo WHERE hetu IS NOT NULL "
                        "UNION SELECT hetu FROM henkilo_hetu UNION SELECT hetu FROM vtj")
    return {str(r[0]) for r in rows}


def settings_for(base_url: str, username: str) -> Settings:
    """Settings for one of the simulator's users, ignoring the caller's ONR_* environment."""
    from onrtools.onr.config import Settings

    return Settings.from_env(environ={}, env_files=[], base_url=base_url, username=username,
                             password=SIMULATOR_PASSWORD, caller_id=CALLER_ID)


def _import(base_url: str, username: str, rows: list[dict[str, Any]], workspace: Path,
            run_id: str) -> dict[str, str]:
    """Import rows as ``username``; returns ``{tunniste: oid}``."""
    from onrtools.onr.batch_import import import_register
    from onrtools.onr.client import OnrClient

    if not rows:
        return {}
    with OnrClient.from_settings(settings_for(base_url, username)) as client:
        outcome = import_register(client, pd.DataFrame(rows), workspace=workspace,
                                  run_id=run_id, progress=False, interval=0.2)
    results = outcome.results
    return dict(zip(results["tunniste"].astype(str), results["oid"].astype(str), strict=True))


@dataclass
class PreparedOnr:
    """OIDs of what the preparation put into ONR."""

    prior: dict[str, str]  # prior-import tunniste -> oid
    elsewhere: dict[str, str]  # ours-elsewhere tunniste -> oid


def prepare_onr(base_url: str, demo: demo_register.DemoPlan, workspace: Path) -> PreparedOnr:
    """ONR's history before the export: prior imports and merges, our imports elsewhere."""
    from onrtools.onr.client import OnrClient

    prep = Workspace(workspace).inner("demo-prep").root
    prior = _import(base_url, OTHER_USER, demo.prior_imports, prep, f"prior-{demo.seed}")
    if demo.merges:
        with OnrClient.from_settings(settings_for(base_url, REGISTRAR)) as client:
            for master, slave in demo.merges:
                client.link(prior[master], [prior[slave]], execute=True)
    elsewhere = _import(base_url, OUR_USER, demo.ours_elsewhere, prep, f"elsewhere-{demo.seed}")
    return PreparedOnr(prior, elsewhere)


@contextlib.contextmanager
def pipeline_environment(base_url: str, workspace: Path, reports: Path) -> Iterator[None]:
    """``ONR_*`` for the notebook kernels (the demo's own synthetic user), restored after."""
    values = {"ONR_BASE_URL": base_url, "ONR_USERNAME": OUR_USER,
              "ONR_PASSWORD": SIMULATOR_PASSWORD, "ONR_CALLER_ID": CALLER_ID,
              "ONR_WORKSPACE": str(workspace), "ONR_REPORTS_DIR": str(reports)}
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@dataclass
class DemoResult:
    """What the demo did: run ids, report folders, truth check, timings."""

    runs: list[PipelineRun]
    reports: list[Path]
    mismatches: pd.DataFrame
    timings: dict[str, float]
    workspace: Path | None = None  # the evidence ledger lives here

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.runs) and self.mismatches.empty


def run_demo(
    *,
    rows: int = 10_000,
    seed: int = 1,
    population: int = 500,
    workdir: Path | None = None,
    reports_dir: Path | None = None,
    days: float = 30,
    port: int = 8765,
    batch_size: int = 5000,
    echo: Callable[[str], None] = print,
) -> DemoResult:
    """The demo end to end (see the module doc); returns runs, report folders and timings."""
    from onrtools.pipeline.run import run_pipeline
    from onrtools.simulator.testing import SimHandle

    timings: dict[str, float] = {}
    started = time.monotonic()
    stamp = new_run_id()
    workdir = workdir or resolve("workspace") / f"demo-{stamp}"
    reports_dir = reports_dir or resolve("reports")
    workspace = workdir / "workspace"
    workdir.mkdir(parents=True, exist_ok=True)

    echo(f"1/5 simulator: seeding {population} people (seed {seed}) in {workdir}")
    sim = SimHandle(workdir, seed=seed, population=population, identification="immediate",
                    faults=None, strict_caller_id=False, subprocess=False)
    sim.start()
    try:
        demo = demo_register.plan(rows, seed, taken=taken_hetus(sim.registry))
        sim.registry.add_vtj(demo.vtj)
    finally:
        sim.stop()
    sim.subprocess = True
    if port and _port_free(port):  # 0 or taken: the free port the handle found
        sim.port = port
    sim.start()
    timings["simulator"] = round(time.monotonic() - started, 1)
    try:
        echo(f"    running at {sim.base_url} in its own process")
        mark = time.monotonic()
        echo("2/5 ONR's history: earlier imports and merges by others, our imports elsewhere")
        prepared = prepare_onr(sim.base_url, demo, workspace)
        register = demo_register.finish(demo, prepared.prior)
        register_file = demo_register.write_register(register, workdir / "register.csv")
        expected = demo_register.expected_lists(demo, prepared.elsewhere)
        timings["prepare"] = round(time.monotonic() - mark, 1)
        echo(f"    register of {len(register)} rows: {register_file}")

        parameters = {"register_file": str(register_file), "target_env": "local",
                      "poll_interval": 0.5, "batch_size": batch_size, "interactive": False,
                      "max_people": 50}
        runs = []
        with pipeline_environment(sim.base_url, workspace, reports_dir):
            for n, label in ((1, "3/5 first run"), (2, "5/5 second run")):
                if n == 2:
                    mark = time.monotonic()
                    echo(f"4/5 {days:g} days pass in the simulator")
                    changed = sim.admin("POST", "/time-passes", json={"days": days,
                                                                      "seed": seed})
                    echo(f"    {changed}")
                    timings["time_passes"] = round(time.monotonic() - mark, 1)
                    first = RunDir(runs[0].run_id, workspace, reports_dir)
                    decided = review_as_planted(first, demo, prepared.prior)
                    echo(f"    the demo's reviewer decided: {decided}")
                mark = time.monotonic()
                echo(f"{label} of the pipeline")
                run = run_pipeline(run_id=f"demo-{stamp}-{n}", parameters=parameters,
                                   workspace=str(workspace), reports_dir=str(reports_dir),
                                   echo=lambda line: echo("  " + line))
                timings[f"run{n}"] = round(time.monotonic() - mark, 1)
                runs.append(run)
                if not run.ok:
                    break
        first = RunDir(runs[0].run_id, workspace, reports_dir)
        actions = first.load_frame("actions", default=pd.DataFrame(
            columns=["category", "tunniste", "oid"]))
        checks = [check_truth(actions, expected),
                  check_links(first.load_frame("link_candidates", default=pd.DataFrame(
                      columns=["henkiloOid"])), demo, prepared.prior)]
        if len(runs) == 2 and runs[1].ok:
            second = RunDir(runs[1].run_id, workspace, reports_dir)
            checks.append(check_packages(second.read_facts(), demo))
        mismatches = pd.concat([c for c in checks if len(c)] or checks[:1], ignore_index=True)
    finally:
        sim.stop()
    timings["total"] = round(time.monotonic() - started, 1)
    return DemoResult(runs, [reports_dir / r.run_id for r in runs], mismatches, timings,
                      workspace)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="onr demo", description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=10_000, help="register rows (default 10000)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--population", type=int, default=500, help="simulator population")
    p.add_argument("--days", type=float, default=30, help="time that passes between the runs")
    p.add_argument("--port", type=int, default=8765, help="simulator port (a free one if taken)")
    p.add_argument("--reports-dir", type=Path, help="default: ./reports")
    p.add_argument("--workdir", type=Path, help="default: ./workspace/demo-<time>")
    args = p.parse_args(argv)
    result = run_demo(rows=args.rows, seed=args.seed, population=args.population,
                      days=args.days, port=args.port,
                      reports_dir=resolve(args.reports_dir) if args.reports_dir else None,
                      workdir=resolve(args.workdir) if args.workdir else None)
    print()
    for run, folder in zip(result.runs, result.reports, strict=True):
        state = "all steps green" if run.ok else "FAILED: " + ", ".join(
            s.name for s in run.steps if s.status == "failed")
        print(f"run {run.run_id}: {state}\n    open {folder / 'index.html'}")
    if result.mismatches.empty:
        print("every planted defect landed in its action list, and nothing else did; the "
              "wrong merges were flagged, and run 2's request packages hold the twins (merge) "
              "and the wrong merges (unlink) the reviewer decided")
    else:
        print(f"{len(result.mismatches)} rows not where the plant says:")
        print(result.mismatches.head(20).to_string(index=False))
    if result.workspace is not None:
        print(f"check the evidence: onr audit verify --workspace {result.workspace}")
    timing = ", ".join(f"{k} {v:.0f} s" for k, v in result.timings.items())
    print(f"time: {timing}")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
