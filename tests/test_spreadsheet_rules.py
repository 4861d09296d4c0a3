"""One formula guard and one hetu masker for every CSV/XLSX writer (issue 15, point 3).

Each writer is fed the same hostile cells; before the guard had one home, the action lists
(display) missed a leading tab/CR, every writer missed formulas after leading spaces, and the
reconcile masker missed upper-case hetu column names.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from onrtools.duplicates import request_packages
from onrtools.pipeline import display
from onrtools.reconcile import mask_hetu_columns
from onrtools.register import hetu, spreadsheet, validation

# what a spreadsheet may run: the strictest rule (OWASP CSV injection, plus Excel's trimming)
RISKY = ["=1+1", "+1", "-1+1", "@SUM(1)", "\t=1+1", "\r=1+1", "  =1+1", " @SUM(1)", "   +cmd",
         " \t=1"]
HARMLESS = ["Virtanen", "a=1", "1-2", "", " x", "'=1"]
HETU = "010190-9732"  # synthetic (individual number 973)


def _cells(path: Path) -> list[str]:
    if path.suffix == ".csv":
        text = path.read_text(encoding="utf-8-sig")
        sep = ";" if text.count(";") > text.count(",") else ","
        return [c for row in csv.reader(io.StringIO(text, newline=""), delimiter=sep) for c in row]
    book = openpyxl.load_workbook(path)
    return [str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row
            if c.value is not None]


def _risky(cells: list[str]) -> list[str]:
    # independent of the code under test: first non-space character, or a leading tab/CR
    return [c for c in cells if re.match(r"^ *[=+\-@\t\r]", c)]


def test_the_rule_is_the_strictest_one() -> None:
    for value in RISKY:
        assert spreadsheet.is_formula(value), repr(value)
        assert spreadsheet.neutralise(value) == "'" + value
    for value in [*HARMLESS, None, 5, -1.5]:
        assert not spreadsheet.is_formula(value), repr(value)
        assert spreadsheet.neutralise(value) == value


def test_neutralise_frame_keeps_numbers_and_missing_values() -> None:
    frame = pd.DataFrame({"a": ["-1", -1, None, " =x"], "=head": [1, 2, 3, 4]})
    out = spreadsheet.neutralise_frame(frame)
    assert out["a"].tolist()[:2] == ["'-1", -1] and out["a"].isna().tolist()[2]
    assert out["a"].tolist()[3] == "' =x"
    assert list(out.columns) == ["a", "'=head"]


def test_action_list_files_neutralise_every_formula_start(tmp_path: Path) -> None:
    frame = pd.DataFrame({"tunniste": [f"t{i}" for i in range(len(RISKY))], "detail": RISKY})
    files = [display.write_csv(frame, tmp_path / "a.csv"),
             display.write_xlsx({"a": frame}, tmp_path / "a.xlsx")]
    for path in files:
        cells = _cells(path)
        assert _risky(cells) == [], path.name
        assert "'\t=1+1" in cells and "'  =1+1" in cells  # kept, only made inert


def test_request_packages_neutralise_formulas_after_spaces(tmp_path: Path) -> None:
    flagged = pd.DataFrame({"masterOid": ["1.2.246.562.98.10000000017"],
                            "henkiloOid": ["1.2.246.562.98.10000000033"],
                            "reason": ["  =1+1"], "note": [" @SUM(1)"]})
    persons = pd.DataFrame({"oid": ["1.2.246.562.98.10000000017"], "hetu": [""],
                            "etunimet": ["   +cmd"], "sukunimi": ["V"], "syntymaaika": [""]})
    paths = request_packages.write_unlink_requests(tmp_path, flagged, persons)
    for kind in ("csv", "xlsx"):
        assert _risky(_cells(paths[kind])) == [], kind


def test_validation_problem_list_neutralises_formulas_after_spaces(tmp_path: Path) -> None:
    problems = pd.DataFrame({c: ["  =1+1"] * 2 for c in validation.PROBLEM_COLUMNS})
    result = type("R", (), {"problems": problems})()
    path = tmp_path / "problems.csv"
    validation.write_problems(result, path)  # type: ignore[arg-type]
    cells = _cells(path)
    assert _risky(cells) == [] and "'  =1+1" in cells


@pytest.mark.parametrize("column", ["hetu", "HETU", "local_Hetu", "candidate_hetu"])
def test_every_masker_matches_hetu_columns_in_any_case(column: str) -> None:
    frame = pd.DataFrame({column: [HETU, None], "other": ["x", "y"]})
    for masked in (display.masked(frame), mask_hetu_columns(frame),
                   hetu.mask_columns(frame)):
        assert masked[column].tolist()[0] == "010190-****", (column, masked)
        assert masked["other"].tolist() == ["x", "y"]


def test_writers_use_the_one_guard() -> None:
    assert request_packages.neutralise is spreadsheet.neutralise
    assert request_packages.neutralise_frame is spreadsheet.neutralise_frame


PACKAGE = Path(spreadsheet.__file__).parents[1]  # onrtools/
# a tuple or character class of formula starts, the shapes the old copies had
FORMULA_COPY = re.compile(r"""["']=["'],\s*["']\+["']|\[=\+\\?-@|"=\+-@"|startswith\(\(?["']=""")


def test_no_other_module_defines_a_formula_guard() -> None:
    """Grep guard: the formula-start rule is written down in onrtools/register/spreadsheet.py only.

    validation's input check ("value.formula": a register cell that looks like a formula)
    uses it too (spreadsheet.FORMULA_START and is_formula).
    """
    allowed = {"spreadsheet.py"}
    copies = [f"{p.relative_to(PACKAGE)}:{n}" for p in sorted(PACKAGE.rglob("*.py"))
              if p.name not in allowed
              for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
              if FORMULA_COPY.search(line)]
    assert copies == []
    assert FORMULA_COPY.search('PREFIXES = ("=", "+", "-", "@")')  # the guard sees the old shape
