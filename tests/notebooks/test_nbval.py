"""nbval runs every notebook, top to bottom in a fresh kernel, against a simulator.

nbval cells get no fixtures: the run is a pytest of its own (a subprocess) with
``-p tests.conftest``, whose ``pytest_sessionstart`` starts one simulator and exports
``ONR_BASE_URL``/``ONR_USERNAME``/``ONR_PASSWORD``. Workspace and reports go to a temporary
folder through ``ONR_WORKSPACE``/``ONR_REPORTS_DIR`` (the notebooks' empty defaults read them);
the register is the committed synthetic example (the notebooks' default).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.kernel
@pytest.mark.long(22)
def test_every_notebook_runs_under_nbval(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONR_")}
    env.update(ONR_WORKSPACE=str(tmp_path / "workspace"), ONR_REPORTS_DIR=str(tmp_path / "reports"),
               ONR_CALLER_ID="1.2.246.562.10.00000000101.onrtools-nbval",
               ONRTOOLS_NOTEBOOK_POPULATION="50", PYTHONDONTWRITEBYTECODE="1")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.conftest", "--nbval-lax",
         "--nbval-current-env", "--nbval-sanitize-with", "tests/nbval_sanitize.cfg",
         "-p", "no:cacheprovider", "-q", "notebooks/"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=280, check=False)
    tail = (result.stdout + result.stderr)[-4000:]
    assert result.returncode == 0, tail
    assert "failed" not in result.stdout.splitlines()[-1], tail
    notebooks = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert len(notebooks) == 6
    # the notebooks passed data along through the workspace: the last one saw the first's
    facts = tmp_path / "reports" / "manual" / "facts.json"
    assert facts.is_file()
    text = facts.read_text(encoding="utf-8")
    assert '"validate"' in text and '"reconcile"' in text and '"audit"' in text
