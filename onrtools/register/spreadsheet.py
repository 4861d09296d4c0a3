"""What every CSV/XLSX writer does to a cell first: the one formula guard.

A spreadsheet runs a cell as a formula (or a DDE command) when its text starts with
``= + - @``, and Excel and LibreOffice also when a tab or carriage return comes first, or when
any of these follows leading spaces (CSV import trims them). Such text gets a leading
apostrophe: the value is kept, only made inert. :data:`FORMULA_START` is the strictest rule
any copy of this guard ever had; action lists, request packages, problem lists and report
downloads all pass through :func:`neutralise_frame` (CSV files through :func:`write_csv`), and
a guard test keeps other modules from growing their own copy. Hetu columns are masked by
:func:`onrtools.register.hetu.mask_columns`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pandas as pd

FORMULA_START: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
# the same characters, also after any number of leading spaces
_FORMULA = re.compile("^ *[" + re.escape("".join(FORMULA_START)) + "]")


def is_formula(value: Any) -> bool:
    """True when ``value`` is text a spreadsheet could run as a formula."""
    return isinstance(value, str) and _FORMULA.match(value) is not None


def neutralise(value: Any) -> Any:
    """``value`` made inert: risky text gets a leading apostrophe, anything else is as given."""
    return "'" + value if is_formula(value) else value


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells and column names cannot start a formula."""
    out = df.copy()
    for column in out.columns:
        s = out[column]
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            text = s.astype("str")
            risky = text.str.match(_FORMULA.pattern).fillna(False).astype(bool) & s.notna()
            if risky.any():  # text only: a number such as -1 is no formula
                risky[risky] = s[risky].map(lambda v: isinstance(v, str)).astype(bool)
                out[column] = s.astype(object).where(~risky, "'" + text)
    out.columns = [neutralise(c) for c in out.columns]
    return out


def write_csv(df: pd.DataFrame, path: Path, *, sep: str = ",") -> Path:
    """``df`` neutralised, as CSV in UTF-8 with BOM (Excel opens it with the right letters).

    CRLF rows, as spreadsheets write them: the csv module then quotes any value holding a bare
    CR or LF, so a line break inside a cell can never start a new row (or a formula).
    Written atomically (a temporary file, then a rename).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    neutralise_frame(df).to_csv(tmp, index=False, encoding="utf-8-sig", sep=sep,
                                lineterminator="\r\n")
    os.replace(tmp, path)
    return path
