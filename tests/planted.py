"""One pipeline run over a register with planted defects, for tests that need a whole run.

A simulator is started, the demo's plan plants its people in ONR and in the register, and
`onr run`'s notebooks run once (papermill, HTML pages), as `make demo` does at a smaller size.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

# the notebooks' parameters for a small unattended run
RUN_PARAMETERS = {"poll_interval": 0.2, "interactive": False, "max_people": 5}


@dataclass
class PlantedRun:
    sim: Any
    demo: Any
    prepared: Any
    register: pd.DataFrame
    register_file: Path
    workspace: Path
    reports: Path
    run: Any  # onrtools.pipeline.run.PipelineRun


@contextmanager
def planted_run(base: Path, *, rows: int, seed: int, run_id: str) -> Iterator[PlantedRun]:
    """The run, its simulator still up while the block runs."""
    from onrtools.pipeline.demo import pipeline_environment, prepare_onr, taken_hetus
    from onrtools.pipeline.demo_register import finish, plan, write_register
    from onrtools.pipeline.run import run_pipeline
    from onrtools.simulator.testing import running_simulator

    with running_simulator(base / "sim", seed=seed, population=60) as sim:
        demo = plan(rows, seed=seed, taken=taken_hetus(sim.registry))
        sim.registry.add_vtj(demo.vtj)
        workspace, reports = base / "workspace", base / "reports"
        prepared = prepare_onr(sim.base_url, demo, workspace)
        register = finish(demo, prepared.prior)
        register_file = write_register(register, base / "register.csv")
        with pipeline_environment(sim.base_url, workspace, reports):
            run = run_pipeline(run_id=run_id,
                               parameters={"register_file": str(register_file),
                                           **RUN_PARAMETERS},
                               workspace=str(workspace), reports_dir=str(reports),
                               echo=lambda _: None)
        yield PlantedRun(sim, demo, prepared, register, register_file, workspace, reports, run)
