"""onrtools.pipeline.xlsx: what it writes, openpyxl reads back cell for cell."""

from __future__ import annotations

import warnings
from pathlib import Path

import openpyxl
import pandas as pd

from onrtools.pipeline.xlsx import sheet_name, write_frames


def test_round_trip_through_openpyxl(tmp_path: Path) -> None:
    frame = pd.DataFrame({
        "tunniste": ["t1", "t2", "t3"],
        "text": ["Äijälä & <Öhman>", "  spaced  ", "bad\x00char"],
        "n": [1, 2, None],
        "share": [0.5, float("nan"), 2.25],
        "flag": [True, False, True],
        "empty": ["", None, "x"],
    })
    path = write_frames({"lists/one": frame, "summary": frame.head(1)}, tmp_path / "a.xlsx")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a well-formed file: openpyxl has nothing to warn about
        book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["lists_one", "summary"]
    rows = list(book["lists_one"].iter_rows(values_only=True))
    assert rows[0] == tuple(frame.columns)
    assert rows[1] == ("t1", "Äijälä & <Öhman>", 1, 0.5, True, None)
    assert rows[2] == ("t2", "  spaced  ", 2, None, False, None)
    assert rows[3] == ("t3", "badchar", None, 2.25, True, "x")
    assert book["lists_one"]["A1"].font.b and book["lists_one"].freeze_panes == "A2"
    assert len(list(book["summary"].iter_rows())) == 2


def test_sheet_names_follow_excel_rules() -> None:
    taken: set[str] = set()
    assert sheet_name("a" * 40, taken) == "a" * 31
    assert sheet_name("A" * 40, taken) == "A" * 29 + "~2"  # unique regardless of case
    assert sheet_name("x[1]:*?/\\", taken) == "x_1______"
    assert sheet_name("", taken) == "sheet"


def test_no_sheets_still_makes_a_workbook(tmp_path: Path) -> None:
    book = openpyxl.load_workbook(write_frames({}, tmp_path / "e.xlsx"))
    assert book.sheetnames == ["empty"]
