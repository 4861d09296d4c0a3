"""A minimal, fast XLSX writer for plain tables (text, numbers, booleans; one sheet per frame).

openpyxl builds an element per cell and needs ~40 s for a million cells; the action lists of a
200,000-row register have six million. This writes the same Office Open XML directly: inline
strings (no shared-string table), a bold header row frozen at the top, nothing else. Excel,
LibreOffice and openpyxl read it. Cells that would start a formula are the caller's business
(:func:`onrtools.display.spreadsheet_safe`); here every string is written as text anyway.
"""

from __future__ import annotations

import math
import os
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pandas as pd

# characters XML 1.0 forbids (Excel refuses the file if one slips through)
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")

_OOXML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_OOXML}.sheet.main+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{_OOXML}.styles+xml"/>'
    "{sheets}</Types>"
)
_SHEET_TYPE = ('<Override PartName="/xl/worksheets/sheet{n}.xml" '
               f'ContentType="{_OOXML}.worksheet+xml"/>')
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _cell(ref: str, value: Any, style: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"{style}><v>{int(value)}</v></c>'
    if isinstance(value, int | float) and math.isfinite(value):
        return f'<c r="{ref}"{style}><v>{value!r}</v></c>'
    text = _ILLEGAL.sub("", str(value))
    if text == "":
        return ""
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c r="{ref}" t="inlineStr"{style}><is><t{space}>{escape(text)}</t></is></c>'


def _rows(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterable[str]:
    letters = [_column_letter(i) for i in range(len(header))]
    yield ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
           'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews><sheetData>')
    cells = "".join(_cell(f"{c}1", h, ' s="1"') for c, h in zip(letters, header, strict=True))
    yield f'<row r="1">{cells}</row>'
    for n, row in enumerate(rows, start=2):
        cells = "".join(_cell(f"{c}{n}", v) for c, v in zip(letters, row, strict=False))
        yield f'<row r="{n}">{cells}</row>'
    yield "</sheetData></worksheet>"


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


def write_frames(sheets: Mapping[str, pd.DataFrame], path: Path) -> Path:
    """Write each frame as a sheet (header + rows) into ``path`` (atomically)."""
    if not sheets:
        sheets = {"empty": pd.DataFrame()}
    taken: set[str] = set()
    names = [sheet_name(n, taken) for n in sheets]
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES.format(
            sheets="".join(_SHEET_TYPE.format(n=i + 1) for i in range(len(names)))))
        z.writestr("_rels/.rels", _ROOT_RELS)
        z.writestr("xl/styles.xml", _STYLES)
        z.writestr("xl/workbook.xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            "<sheets>" + "".join(
                f'<sheet name="{escape(n, {chr(34): "&quot;"})}" sheetId="{i + 1}" '
                f'r:id="rId{i + 1}"/>' for i, n in enumerate(names))
            + "</sheets></workbook>"))
        z.writestr("xl/_rels/workbook.xml.rels", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(
                f'<Relationship Id="rId{i + 1}" Type="http://schemas.openxmlformats.org/'
                f'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{i + 1}'
                '.xml"/>' for i in range(len(names)))
            + f'<Relationship Id="rId{len(names) + 1}" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>'))
        for i, frame in enumerate(sheets.values()):
            cells = frame.astype(object).where(frame.notna(), None)
            with z.open(f"xl/worksheets/sheet{i + 1}.xml", "w") as out:
                buffer: list[str] = []
                for part in _rows([str(c) for c in frame.columns],
                                  cells.itertuples(index=False, name=None)):
                    buffer.append(part)
                    if len(buffer) >= 2000:
                        out.write("".join(buffer).encode("utf-8"))
                        buffer.clear()
                out.write("".join(buffer).encode("utf-8"))
    os.replace(tmp, path)
    return path
