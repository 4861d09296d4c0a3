"""Programs outside Python that a few tests drive, and what happens when one is missing.

`make test` does not install system packages (that needs root); `.ci/run` does, and sets
``CI=true``. So a missing program is a failure under CI, where it must be there, and elsewhere a
skip whose one-line reason names the program and the command that installs it (pytest's ``-ra``
summary lists it at the end of the run).
"""

from __future__ import annotations

import os
import shutil

import pytest


def require(*names: str, package: str) -> str:
    """The path of the first of ``names`` on PATH; skip (fail under CI) when none is."""
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    reason = f"{names[0]} is missing: install it with `sudo apt-get install {package}`"
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        pytest.fail(f"{reason} (CI=true: .ci/run installs it)")
    pytest.skip(reason)
