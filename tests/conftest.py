"""Fixtures shared by the whole test suite.

- `_clear_onr_env` (autouse): no test sees the developer's ONR_* settings (or leaks its own).
- `simulator` (session): one in-process simulator, population 200, seed 1. Tests that only
  read, or that import rows under fresh `tunniste` values, share it. Do not change its faults
  or users; use `fresh_simulator` for that.
- `fresh_simulator` (function): a factory, `sim = fresh_simulator(population=20, faults={...})`,
  taking `running_simulator`'s keywords; every simulator it started is stopped after the test.
- Test tiers by cost (`pytest -m unit`, `-m sim`, `-m kernel`, `-m slow`): a test that asks for
  a simulator fixture is `sim`, one that asks for a planted pipeline run is `kernel`, modules
  that start their own servers or kernels say so with `pytestmark`; every other test that is
  not `slow` is `unit`.
- Notebook runs (`pytest --nbval…` or ONRTOOLS_NOTEBOOK_SIMULATOR=1): nbval cells get no
  fixtures, so `pytest_sessionstart` starts one simulator and exports ONR_BASE_URL,
  ONR_USERNAME and ONR_PASSWORD for the kernels (the autouse fixture still hides them from
  ordinary tests).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # imported lazily: collecting tests should not load FastAPI and uvicorn
    from onrtools.simulator.testing import SimHandle


@pytest.fixture(autouse=True)
def _clear_onr_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("ONR_"):
            monkeypatch.delenv(name)


@pytest.fixture(autouse=True)
def _unit_tests_start_no_simulator(request: pytest.FixtureRequest,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The `unit` tier holds: a unit test that starts a simulator fails, naming the tier."""
    if request.node.get_closest_marker("unit") is None:
        return
    from onrtools.simulator.testing import SimHandle

    def refuse(self: SimHandle) -> SimHandle:
        raise AssertionError("a `unit` test started a simulator: mark it `sim` (tests/conftest.py)")

    monkeypatch.setattr(SimHandle, "start", refuse)


@pytest.fixture(scope="session")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimHandle]:
    from onrtools.simulator.testing import running_simulator

    with running_simulator(tmp_path_factory.mktemp("simulator"), seed=1, population=200) as sim:
        yield sim


@pytest.fixture
def fresh_simulator(tmp_path: Path) -> Iterator[Callable[..., SimHandle]]:
    from onrtools.simulator.testing import running_simulator

    with contextlib.ExitStack() as stack:
        started = 0

        def start(**kwargs: Any) -> SimHandle:
            nonlocal started
            started += 1
            workdir = kwargs.pop("workdir", tmp_path / f"simulator-{started}")
            return stack.enter_context(running_simulator(workdir, **kwargs))

        yield start


# -- one simulator for notebook runs ---------------------------------------------------------------
_NOTEBOOK_SIM: contextlib.ExitStack | None = None


def _wants_notebook_simulator(config: pytest.Config) -> bool:
    nbval = any(config.getoption(opt, default=False) for opt in ("nbval", "nbval_lax"))
    return nbval or os.environ.get("ONRTOOLS_NOTEBOOK_SIMULATOR") == "1"


def pytest_sessionstart(session: pytest.Session) -> None:
    global _NOTEBOOK_SIM
    if not _wants_notebook_simulator(session.config):
        return
    from onrtools.simulator.testing import running_simulator

    _NOTEBOOK_SIM = contextlib.ExitStack()
    workdir = Path(_NOTEBOOK_SIM.enter_context(tempfile.TemporaryDirectory(prefix="onr-nb-")))
    population = int(os.environ.get("ONRTOOLS_NOTEBOOK_POPULATION", "500"))
    sim = _NOTEBOOK_SIM.enter_context(running_simulator(workdir, seed=1, population=population))
    os.environ.update(ONR_BASE_URL=sim.base_url, ONR_USERNAME="palvelu-kk1",
                      ONR_PASSWORD="simulator")  # the simulator's synthetic default user


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    global _NOTEBOOK_SIM
    if _NOTEBOOK_SIM is not None:
        _NOTEBOOK_SIM.close()
        _NOTEBOOK_SIM = None


# -- order for parallel runs -----------------------------------------------------------------------
def _long_seconds(item: pytest.Item) -> float:
    mark = item.get_closest_marker("long")
    return float(mark.args[0]) if mark and mark.args else 0.0


# fixtures that start a simulator server / run the notebooks: the test's tier follows
SIM_FIXTURES = frozenset({"simulator", "fresh_simulator", "module_simulator", "own_simulator",
                          "clean", "pipeline_run",
                          "kk1_person"})
KERNEL_FIXTURES = frozenset({"planted", "tiny", "report_dir"})


def _tier(item: pytest.Item) -> str | None:
    """The cost tier to add to a test that has none (None: it has one, or it is slow)."""
    if any(item.get_closest_marker(t) for t in ("unit", "sim", "kernel")):
        return None
    names = set(getattr(item, "fixturenames", ()))
    if names & KERNEL_FIXTURES:
        return "kernel"
    if names & SIM_FIXTURES:
        return "sim"
    return None if item.get_closest_marker("slow") else "unit"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        tier = _tier(item)
        if tier:
            item.add_marker(tier)
    _long_first(items)


def _long_first(items: list[pytest.Item]) -> None:
    """Tests marked `long(seconds)` first, longest first, so that `make test`'s workers
    (pytest-xdist, `--dist load --maxschedchunk 2`) finish together instead of one worker
    starting a minutes-long test at the end.

    xdist hands each worker two tests at a time; the second waits for the first. So the longest
    test is paired with a short one, not with the next long test. The order is the same on every
    worker (xdist requires that) and a serial run is unaffected apart from the order.
    """
    long = sorted((i for i in items if _long_seconds(i)), key=_long_seconds, reverse=True)
    if not long:
        return
    rest = [i for i in items if not _long_seconds(i)]
    short = next((i for i in rest if not any(i.iter_markers("slow")) and
                  not any(i.iter_markers("browser"))), None)
    rest = [i for i in rest if i is not short]
    items[:] = long[:1] + ([short] if short else []) + long[1:] + rest
