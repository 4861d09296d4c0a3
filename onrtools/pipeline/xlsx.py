"""Plain tables to XLSX, fast: one sheet per frame, a bold frozen header, values as given.

Written with XlsxWriter in ``constant_memory`` mode (rows streamed to disk): openpyxl builds an
object per cell and needed ~40 s for a million cells, and the action lists of a 200,000-row
register have six million. Strings are always written as text, never as formulas; cells that
would *start* a formula when pasted elsewhere are the caller's business
(:func:`onrtools.pipeline.display.spreadsheet_safe`).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter

# characters XML 1.0 forbids (Excel refuses the file if one slips through)
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")


def sheet_name(name: str, taken: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of ``[]:*?/\\``, unique (case-insensitive)."""
    base = _BAD_SHEET.sub("_", name)[:31] or "sheet"
    candidate, n = base, 1
    while candidate.lower() in taken:
        n += 1
        suffix = f"~{n}"
        candidate = base[: 31 - len(suffix)] + suffix
    taken.add(candidate.lower())
    return candidate


def _write_cell(sheet: Any, row: int, col: int, value: Any) -> None:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return
    if isinstance(value, bool):
        sheet.write_boolean(row, col, value)
    elif isinstance(value, int | float):
        sheet.write_number(row, col, value)
    else:
        text = _ILLEGAL.sub("", str(value))
        if text:
            sheet.write_string(row, col, text)


def write_frames(sheets: Mapping[str, pd.DataFrame], path: Path) -> Path:
    """Write each frame as a sheet (header + rows) into ``path`` (atomically)."""
    if not sheets:
        sheets = {"empty": pd.DataFrame()}
    taken: set[str] = set()
    tmp = path.with_name(path.name + ".tmp")
    book = xlsxwriter.Workbook(str(tmp), {"constant_memory": True, "strings_to_formulas": False,
                                          "strings_to_numbers": False, "strings_to_urls": False})
    bold = book.add_format({"bold": True})
    try:
        for name, frame in sheets.items():
            sheet = book.add_worksheet(sheet_name(name, taken))
            sheet.freeze_panes(1, 0)
            for col, header in enumerate(frame.columns):
                sheet.write_string(0, col, _ILLEGAL.sub("", str(header)), bold)
            cells = frame.astype(object).where(frame.notna(), None)
            for r, values in enumerate(cells.itertuples(index=False, name=None), start=1):
                for col, value in enumerate(values):
                    _write_cell(sheet, r, col, value)
    finally:
        book.close()
    os.replace(tmp, path)
    return path
