"""A clone stands alone: no code, test, benchmark or build file reads outside the repository.

A user's clone has no `../shared` beside it; data the tests compare against lives in
`tests/data/onr/` (see its README). The pattern catches a path built to a sibling folder named
`shared`, written as one string or joined with `/`.
"""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.paths import FIXTURES, KOODISTO, TESTS
from tests.programs import require

ROOT = TESTS.parent
OUTSIDE = re.compile(
    r"""\.\./shared"""  # the sibling folder written in one string
    r"""|["']\.\.["']\s*/\s*["']shared["']"""  # or joined from ".." and its name
    r"""|parents\[\d\]\s*/\s*["']\.\.["']"""  # Path(__file__).parents[1] / ".."
)
CODE = (".py", ".ipynb", ".toml", ".cfg", ".ini", ".yml", ".yaml", ".sh", "Makefile", "run")


def tracked_code() -> list[str]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    return [f for f in out.stdout.split() if f.endswith(CODE)]


def test_no_file_reads_outside_the_repository() -> None:
    files = tracked_code()
    assert "tests/conftest.py" in files and "Makefile" in files  # the listing itself works
    offenders = [f for f in files if f != "tests/test_standalone.py"
                 and OUTSIDE.search((ROOT / f).read_text(encoding="utf-8", errors="ignore"))]
    assert offenders == []


def test_the_pattern_catches_the_old_ways_of_reaching_shared() -> None:
    sibling = "sha" + "red"  # spelled apart: this file itself must not look like a reader
    for line in (f'SHARED = Path(__file__).resolve().parents[1] / ".." / "{sibling}"',
                 f'KOODISTO = Path("../{sibling}/onr-api/koodisto")'):
        assert OUTSIDE.search(line), line


def test_the_reference_data_is_inside() -> None:
    assert len(list(FIXTURES.rglob("*.json"))) >= 19
    assert {p.stem for p in KOODISTO.glob("*.json")} >= {"maatjavaltiot2", "kieli", "sukupuoli"}
    assert (FIXTURES.parent / "README.md").is_file()


def test_a_missing_program_skips_with_its_install_line_and_fails_under_ci(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"apt-get install no-such-package"):
        require("onr-no-such-program", package="no-such-package")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"onr-no-such-program is missing"):
        require("onr-no-such-program", package="no-such-package")
    assert require("onr-no-such-program", "git", package="git").endswith("git")
