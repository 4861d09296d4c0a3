"""Figures show as pictures in a kernel that never imported pyplot (a papermill audit run)."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
from IPython.core.formatters import DisplayFormatter
import pandas as pd
from onrtools.pipeline import display
from onrtools.evidence.trend import plot_trends, trend_frame
assert "matplotlib.pyplot" not in sys.modules
formatter = DisplayFormatter()
for fig in (plot_trends(trend_frame(sys.argv[1])), display.plot_counts(pd.Series({"a": 2}))):
    data, _ = formatter.format(fig)
    png = data.get("image/png", b"")
    assert isinstance(png, bytes) and png.startswith(b"\\x89PNG") and len(png) > 2000, data.keys()
print("ok")
"""


def test_figures_carry_their_own_png(tmp_path) -> None:  # noqa: ANN001
    """In a fresh interpreter (no inline backend, no pyplot), IPython's own formatter finds a
    PNG for the KPI trend and a count chart; a plain matplotlib Figure gives none there."""
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


def test_a_plain_figure_has_no_picture_there() -> None:
    """The control: what the audit report showed before (its text repr only)."""
    code = ("from IPython.core.formatters import DisplayFormatter\n"
            "from matplotlib.figure import Figure\n"
            "data, _ = DisplayFormatter().format(Figure())\n"
            "print(sorted(data))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    assert done.stdout.strip() == "['text/plain']"
