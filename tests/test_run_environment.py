"""One environment per run: decided once from the settings, recorded, and only confirmed by a
notebook parameter (issue: rows validated for a test environment sent to production)."""

from __future__ import annotations

from pathlib import Path

import pytest

from onrtools.errors import ConfigError
from onrtools.onr.config import Settings
from onrtools.pipeline.rundir import RunDir
from onrtools.pipeline.steps import run_environment, target_environment

CALLER = "1.2.246.562.10.00000000101.tests"


def settings(**values: str) -> Settings:
    return Settings.from_env(environ={"ONR_CALLER_ID": CALLER, "ONR_USERNAME": "u",
                                      "ONR_PASSWORD": "p", **values}, env_files=())


def new_run(tmp_path: Path) -> RunDir:
    return RunDir.open("env-1", workspace=tmp_path / "ws", reports_dir=tmp_path / "rep")


def test_target_environment_from_the_settings() -> None:
    assert target_environment(settings(ONR_ENV="testi")) == "testi"
    assert target_environment(settings(ONR_BASE_URL="http://127.0.0.1:8123")) == "local"
    with pytest.raises(ConfigError, match="set ONR_ENV"):
        target_environment(settings(ONR_BASE_URL="https://onr.example.org"))


def test_decided_once_recorded_and_kept(tmp_path: Path) -> None:
    run = new_run(tmp_path)
    assert run_environment(run, settings(ONR_ENV="testi")) == "testi"
    assert run.read_facts()["run"]["environment"] == "testi"
    assert run_environment(run, settings(ONR_ENV="testi"), confirm="TESTI") == "testi"
    with pytest.raises(ConfigError, match="validated for 'testi'.*now point to 'prod'"):
        run_environment(run, settings(ONR_ENV="prod", ONR_ALLOW_PRODUCTION="yes"))


def test_a_parameter_that_differs_is_refused(tmp_path: Path) -> None:
    run = new_run(tmp_path)
    with pytest.raises(ConfigError, match="target_env='prod'.*point to 'local'"):
        run_environment(run, settings(ONR_BASE_URL="http://127.0.0.1:8123"), confirm="prod")
    assert "run" not in run.read_facts()  # nothing was decided by the refused call
