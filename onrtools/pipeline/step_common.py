"""What every notebook step shares: the run's folders, the ONR settings and target
environment of a run, and a client whose calls land in the step's facts.

The steps themselves are one module each (:mod:`.step10_validate` ... :mod:`.step50_duplicates`,
:mod:`.audit_report` for step 90); :mod:`.steps` lists what the notebooks call.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from onrtools.pipeline.rundir import RunDir
from onrtools.register.read import COLUMNS

if TYPE_CHECKING:
    from onrtools.onr.client import OnrClient
    from onrtools.onr.config import Settings

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


SEND_COLUMNS = COLUMNS  # the register's ONR fields: rows stay flat until the request body


def open_run(run_id: str, workspace: str = "", reports_dir: str = "") -> RunDir:
    """The run's directories (created); relative paths hang off the project root.

    Empty ``workspace`` / ``reports_dir``: ``ONR_WORKSPACE`` / ``ONR_REPORTS_DIR``, else
    ``./workspace`` and ``./reports``.
    """
    workspace = workspace or os.environ.get("ONR_WORKSPACE") or "workspace"
    reports_dir = reports_dir or os.environ.get("ONR_REPORTS_DIR") or "reports"
    return RunDir.open(run_id, workspace=workspace, reports_dir=reports_dir)


def settings(base_url: str = "", **overrides: Any) -> Settings:
    """ONR settings from the environment (``ONR_*``, ``.env``, ``.secrets``).

    ``base_url`` (a notebook parameter, never a secret) overrides ``ONR_BASE_URL`` when given.
    """
    from onrtools.onr.config import Settings

    return Settings.from_env(base_url=base_url or None, **overrides)


def target_environment(settings_: Settings) -> str:
    """Where the settings send rows: ``local`` (the simulator), ``untuva``, ``hahtuva``,
    ``testi`` or ``prod``. An ``ONR_BASE_URL`` on loopback is the simulator; any other URL
    without ``ONR_ENV`` is refused: the hetu guard must know whether it is production."""
    from onrtools.errors import ConfigError

    env = str(settings_.env)
    if env != "custom":
        return env
    if str(settings_.base_url).startswith(("http://127.0.0.1", "http://localhost")):
        return "local"
    raise ConfigError("ONR_BASE_URL is not one of ONR's environments: set ONR_ENV (untuva, "
                      "hahtuva, testi or prod) so that the guard knows which data may go there")


def run_environment(run: RunDir, settings_: Settings, *, confirm: str = "") -> str:
    """The run's target environment, decided once from the settings (``ONR_ENV`` /
    ``ONR_BASE_URL``) by the first step that asks, recorded in the run's facts, and the same
    for every later step: rows validated for a test environment never go to production, or
    the other way round (OPH: no real data in test, no test data in production).

    ``confirm`` (a notebook parameter) may only confirm it: a different value is refused, as
    are settings that changed between the steps of one run.
    """
    from onrtools.errors import ConfigError

    decided = target_environment(settings_)
    recorded = run.read_facts().get("run", {}).get("environment")
    if recorded and recorded != decided:
        raise ConfigError(f"this run was validated for {recorded!r}, but the settings now point "
                          f"to {decided!r} (ONR_ENV/ONR_BASE_URL changed during the run); "
                          "start a new run")
    wanted = confirm.strip().lower()
    if wanted and {"production": "prod", "tuotanto": "prod"}.get(wanted, wanted) != decided:
        raise ConfigError(f"target_env={confirm!r}, but the settings (ONR_ENV/ONR_BASE_URL) "
                          f"point to {decided!r}; the parameter may only confirm the settings. "
                          "Change ONR_ENV, or leave the parameter empty")
    if not recorded:
        run.write_facts("run", {"environment": decided})
    return decided


@contextmanager
def client_for(run: RunDir, step: str, settings_: Settings) -> Iterator[OnrClient]:
    """An OnrClient whose call summary lands in the step's facts when the block ends; the
    settings must point where the run's rows were validated for (:func:`run_environment`)."""
    from onrtools.onr.calls import CallRecorder
    from onrtools.onr.client import OnrClient

    run_environment(run, settings_)
    recorder = CallRecorder()
    client = None
    try:
        with OnrClient.from_settings(settings_, recorder=recorder) as client:
            yield client
    finally:
        summary = recorder.summary()
        offset = client.onr_clock_offset if client is not None else None
        run.write_facts(step, {
            "api_calls": summary,
            "api_calls_total": sum(int(r["calls"]) for r in summary),
            "api_errors": sum(int(r["calls"]) for r in summary
                              if r["status"] is None or int(r["status"]) >= 400),
            **({"onr_clock_offset_s": round(offset, 1)} if offset is not None else {}),
        })


def onr_environment(settings_: Settings) -> tuple[str, str]:
    """``(environment name for links, base URL)``; ``local`` is the simulator."""
    env = str(settings_.env)
    base = str(settings_.base_url)
    return ("simulator" if env == "local" else env), base


def environment_of(settings_: Settings) -> dict[str, str]:
    """``{"environment": ..., "base_url": ...}`` for links to persons' pages."""
    environment, base_url = onr_environment(settings_)
    return {"environment": environment, "base_url": base_url}
