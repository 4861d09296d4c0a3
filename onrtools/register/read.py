"""Read a local person register (CSV or XLSX) into ONR's row fields (:mod:`.columns` maps the
headers).

``read_register(path)`` returns a :class:`RegisterFrame`: ``.frame`` holds one ``str`` column per
ONR row field (``tunniste``, ``oid``, ``hetu``, ``passinumero``, ``sahkoposti``, ``etunimet``,
``kutsumanimi``, ``sukunimi``, ``syntymaaika``, ``sukupuoli``, ``aidinkieli``,
``kansalaisuus``; ``""`` where the file has nothing) plus ``row_number``, the row as a person
counts it in the file (header = row 1). Rows that cannot become a frame row (wrong number of
fields, merged or formula cells in XLSX, blank rows) land in ``.problems`` instead, so every
input row is accounted for. A file that cannot be read at all raises
:class:`~onrtools.errors.RegisterReadError`: a catalogue key (``register.read.*``) and its
fields, shown to people with ``exc.render(language)`` in fi, sv or en (``str(exc)`` is English).

Accepted: CSV in UTF-8 (with or without BOM) or Windows-1252, separated by ``,``, ``;`` or tab;
XLSX (a named sheet, or else the first sheet whose headers map). Headers may be ONR's names or
common Finnish/English export names (``Henkilötunnus``, ``Syntymäaika``, ``Sähköposti``,
``First names``...), in any case and spacing; any other header is mapped by the user
(``columns={"Employee ID": "tunniste"}``, ``onr validate --column "Employee ID=tunniste"``, a
``[columns]`` table in the run config). Cells are trimmed, non-breaking spaces included.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from onrtools.errors import RegisterReadError
from onrtools.i18n import Message
from onrtools.register.columns import (  # noqa: F401 - importers take these from here too
    COLUMNS,
    MISSING_COLUMNS,
    PLAIN_FIELDS,
    column_mapping,
    header_key,
    map_headers,
    parse_column_mapping,
    unique_headers,
)
from onrtools.register.messages import render_message

PROBLEM_COLUMNS: tuple[str, ...] = (
    "row_number",
    "tunniste",
    "field",
    "code",
    "severity",
    "message",
)

_TRIM = (  # ASCII whitespace, no-break, Unicode and zero-width spaces, BOM
    " \t\r\n\x0b\x0c\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u200b\u202f\u205f\u3000\ufeff"
)
_DMY = re.compile(r"^([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})$")
_ISO = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[ T]00:00(?::00(?:\.0+)?)?)?$")
_MAX_FILE_PROBLEMS = 1000  # per kind, beyond which a summary row stands for the rest


@dataclass(frozen=True)
class RegisterSource:
    """Where the rows came from: enough to prove later which file was validated."""

    path: str
    sha256: str
    size: int
    format: str  # "csv" or "xlsx"
    encoding: str | None
    separator: str | None
    sheet: str | None
    rows: int  # data rows in the file (header excluded), problems included
    column_map: dict[str, str] = field(default_factory=dict)  # file header -> ONR field
    ignored_columns: tuple[str, ...] = ()
    other_sheets: tuple[str, ...] = ()  # XLSX: the sheets not read

    def describe(self, language: str | None = None) -> list[str]:
        """Which file column became which ONR field (and which sheet was read), for people, in
        ``language`` (fi, sv or en; empty: ``ONR_LANGUAGE``, else fi)."""
        from onrtools.i18n import Messages

        t = Messages(language)
        lines = []
        if self.sheet is not None:
            others = t("register.describe.not_read",
                       sheets=", ".join(map(repr, self.other_sheets))) \
                if self.other_sheets else ""
            lines.append(t("register.describe.sheet", sheet=repr(self.sheet), others=others))
        lines += [f"{header!r} -> {column}" for header, column in self.column_map.items()]
        if self.ignored_columns:
            lines.append(t("register.describe.not_used",
                           columns=", ".join(map(repr, self.ignored_columns))))
        return lines


@dataclass
class RegisterFrame:
    """A register read into ONR's fields; ``problems`` are rows that could not be read."""

    frame: pd.DataFrame
    problems: pd.DataFrame
    source: RegisterSource

    def __len__(self) -> int:
        return len(self.frame)


def _problem_frame(rows: list[dict[str, Any]], language: str | None) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame(
            {
                c: pd.Series([], dtype="int64" if c == "row_number" else "str")
                for c in (*PROBLEM_COLUMNS, "detail")
            }
        )
    for row in rows:
        row["message"] = render_message(row["code"], row["detail"], row["field"], language)
    frame = pd.DataFrame(rows, columns=[*PROBLEM_COLUMNS, "detail"])
    return frame.astype({"row_number": "int64"})


def _row_problem(
    row: int, code: str, detail: str = "", field_: str = "", severity: str = "error"
) -> dict[str, Any]:
    return {
        "row_number": row,
        "tunniste": "",
        "field": field_,
        "code": code,
        "severity": severity,
        "message": "",
        "detail": detail,
    }


# --- CSV --------------------------------------------------------------------------------------


# Ä, Ö, Å, é... encoded as UTF-8 (C3 xx); in Windows-1252 text "Ã" followed by one of
# 0x80-0xBF is practically never a real pair of letters
_MIXED_UTF8 = re.compile(rb"\xc3[\x80-\xbf]")


def _decode(data: bytes, path: str) -> tuple[bytes, str]:
    """UTF-8 bytes of the file (BOM removed) and the encoding it was in."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise RegisterReadError("register.read.utf16", path=path, reason=exc.reason) from None
        return text.encode("utf-8"), "utf-16"
    if data.startswith(b"\xef\xbb\xbf"):
        data, bom = data[3:], True
    else:
        bom = False
    try:
        data.decode("utf-8")
        return data, "utf-8-sig" if bom else "utf-8"
    except UnicodeDecodeError:
        pass
    mixed = _MIXED_UTF8.search(data)
    if mixed is not None:  # UTF-8 letters in a file that is not UTF-8: two encodings in one file
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad_line = data.count(b"\n", 0, exc.start) + 1
        utf8_line = data.count(b"\n", 0, mixed.start()) + 1
        raise RegisterReadError("register.read.mixed_encoding", path=path, row=bad_line,
                                utf8_line=utf8_line, other_line=bad_line)
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise RegisterReadError("register.read.unknown_encoding", path=path, row=line,
                                byte=f"0x{data[exc.start]:02x}", line=line) from None
    return text.encode("utf-8"), "cp1252"


def _sniff_separator(header_line: str) -> str:
    counts = {sep: header_line.count(sep) for sep in (";", ",", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _read_csv(
    data: bytes, path: str
) -> tuple[list[str], pd.DataFrame, list[dict[str, Any]], str, str]:
    utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff"))
    if not utf16 and data.count(b"\x00") > max(16, len(data) // 100):
        raise RegisterReadError("register.read.not_text", path=path)
    utf8, encoding = _decode(data, path)
    if not re.search(rb"[^\s\x00]", utf8):
        raise RegisterReadError("register.read.empty", path=path)
    end = utf8.find(b"\n")
    header_bytes = utf8 if end < 0 else utf8[:end]
    first_line = header_bytes.decode("utf-8").rstrip("\r")
    separator = _sniff_separator(first_line)
    invalid: list[tuple[int | None, int, str]] = []

    def on_invalid(row: Any) -> str:
        invalid.append((row.number, row.actual_columns, row.text or ""))
        return "skip"

    parse_options = pacsv.ParseOptions(
        delimiter=separator,
        newlines_in_values=True,
        ignore_empty_lines=False,
        invalid_row_handler=on_invalid,
    )
    try:
        header_table = pacsv.read_csv(
            io.BytesIO(header_bytes + b"\n"),
            parse_options=pacsv.ParseOptions(delimiter=separator),
        )
        raw_headers = [str(h).strip(_TRIM) for h in header_table.column_names]
        headers = unique_headers(raw_headers, str(path))
        convert = pacsv.ConvertOptions(
            column_types={h: pa.large_string() for h in headers},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        )
        read_options = pacsv.ReadOptions(
            use_threads=True, block_size=1 << 24, column_names=headers, skip_rows=1
        )
        table = pacsv.read_csv(
            io.BytesIO(utf8),
            read_options=read_options,
            parse_options=parse_options,
            convert_options=convert,
        )
        if invalid and any(number is None for number, _, _ in invalid):
            invalid.clear()  # read again on one thread: only then does Arrow number the rows
            table = pacsv.read_csv(
                io.BytesIO(utf8),
                read_options=pacsv.ReadOptions(
                    use_threads=False, block_size=1 << 24, column_names=headers, skip_rows=1
                ),
                parse_options=parse_options,
                convert_options=convert,
            )
    except pa.ArrowInvalid as exc:
        raise RegisterReadError("register.read.csv", path=path,
                                reason=_arrow_reason(exc)) from None
    frame = table.to_pandas()
    skipped = sorted(n for n, _, _ in invalid if n is not None)
    if skipped:  # record n is file row n+1 unless a row was skipped before it
        numbers = np.setdiff1d(np.arange(2, len(frame) + len(skipped) + 2), skipped)
    else:
        numbers = np.arange(2, len(frame) + 2)
    frame.insert(0, "row_number", numbers[: len(frame)].astype("int64"))
    problems: list[dict[str, Any]] = []
    for number, actual, text in invalid[:_MAX_FILE_PROBLEMS]:
        if actual <= 1 and not text.strip():
            problems.append(_row_problem(number or 0, "row.empty", "", severity="warning"))
        else:
            problems.append(_row_problem(number or 0, "row.columns", f"{actual}/{len(headers)}"))
    if len(invalid) > _MAX_FILE_PROBLEMS:
        problems.append(_row_problem(0, "row.columns", f"+{len(invalid) - _MAX_FILE_PROBLEMS}"))
    return headers, frame, problems, encoding, separator


def _arrow_reason(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


# --- XLSX -------------------------------------------------------------------------------------


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


_MERGE_RE = re.compile(rb'<mergeCell\s+ref="[A-Z]+([0-9]+)(?::[A-Z]+([0-9]+))?"')


def _merged_rows(data: bytes, sheet_path: str | None) -> set[int]:
    """Rows covered by merged ranges, read from the sheet's XML (read-only mode hides them)."""
    import zipfile

    if not sheet_path:
        return set()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            xml = archive.read(sheet_path.lstrip("/"))
    except (KeyError, zipfile.BadZipFile):
        return set()
    rows: set[int] = set()
    for match in _MERGE_RE.finditer(xml):
        first = int(match.group(1))
        last = int(match.group(2) or first)
        rows.update(range(first, last + 1))
    return rows


def _first_mapping_sheet(book: Any, path: str, columns: dict[str, str] | None) -> Any:
    """The first sheet whose header row maps to ONR's fields (a workbook often opens with a
    guide sheet); RegisterReadError naming every sheet and why, and ``--sheet``, if none does.
    Each reason is a :class:`~onrtools.i18n.Message` (``reasons``), so it is shown in the
    language of whoever reads the error; for missing columns only what is missing, not the hint
    (the hint names ``--sheet`` once for all)."""
    reasons: list[Message] = []
    for ws in book.worksheets:
        first = next(ws.iter_rows(max_row=1, values_only=True), ())
        headers = [_cell_text(v).strip(_TRIM) for v in first if v not in (None, "")]
        if not headers:
            reasons.append(Message("register.read.sheet_reason", sheet=repr(ws.title),
                                   reason=Message("register.read.sheet_no_header")))
            continue
        try:
            map_headers(unique_headers(headers, path), path, columns)
        except RegisterReadError as exc:
            reason = (exc.fields["problems"] if exc.key == MISSING_COLUMNS
                      else Message(exc.key, **exc.fields))
            reasons.append(Message("register.read.sheet_reason", sheet=repr(ws.title),
                                   reason=reason))
            continue
        return ws
    raise RegisterReadError("register.read.no_mapping_sheet", path=path, reasons=reasons,
                            sheets=", ".join(repr(ws.title) for ws in book.worksheets))


def _read_xlsx(
    data: bytes, path: str, sheet: str | None, columns: dict[str, str] | None = None,
) -> tuple[list[str], pd.DataFrame, list[dict[str, Any]], str, tuple[str, ...]]:
    import zipfile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:  # read-only streams rows: fast and small even for big sheets
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise RegisterReadError("register.read.xlsx", path=path, reason=str(exc)) from None
    try:
        if sheet is None:
            ws = (book.worksheets[0] if len(book.worksheets) == 1
                  else _first_mapping_sheet(book, path, columns))
        elif sheet in book.sheetnames:
            ws = book[sheet]
        else:
            raise RegisterReadError("register.read.no_sheet", path=path, sheet=repr(sheet),
                                    sheets=", ".join(book.sheetnames))
        title = ws.title
        others = tuple(name for name in book.sheetnames if name != title)
        merged = _merged_rows(data, getattr(ws, "_worksheet_path", None))
        rows = [
            (number, [(c.value, getattr(c, "data_type", "n")) for c in cells])
            for number, cells in enumerate(ws.iter_rows(min_row=1), start=1)
        ]
    finally:
        book.close()
    while rows and all(v in (None, "") for v, _ in rows[-1][1]):
        rows.pop()  # formatted but empty rows at the end are not data
    if not rows or all(v in (None, "") for v, _ in rows[0][1]):
        raise RegisterReadError("register.read.sheet_empty", path=path, sheet=repr(title))
    header_cells = [v for v, _ in rows[0][1]]
    while header_cells and header_cells[-1] in (None, ""):
        header_cells.pop()
    headers = unique_headers([_cell_text(v).strip(_TRIM) for v in header_cells], str(path))
    width = len(headers)
    problems: list[dict[str, Any]] = []
    records: list[list[str]] = []
    numbers: list[int] = []
    for number, cells in rows[1:]:
        cells = cells[:width]
        if number in merged:
            problems.append(_row_problem(number, "xlsx.merged.cell", ""))
            continue
        formula_fields = [headers[i] for i, (_, kind) in enumerate(cells) if kind == "f"]
        if formula_fields:
            problems.append(_row_problem(number, "xlsx.formula", ", ".join(formula_fields)))
            continue
        records.append([_cell_text(v) for v, _ in cells] + [""] * (width - len(cells)))
        numbers.append(number)
    frame = (
        pd.DataFrame(records, columns=headers, dtype="str")
        if records
        else pd.DataFrame({h: pd.Series([], dtype="str") for h in headers})
    )
    frame.insert(0, "row_number", np.asarray(numbers, dtype="int64"))
    return headers, frame, problems, title, others


# --- both -------------------------------------------------------------------------------------

_EDGE_BYTES = np.zeros(256, dtype=bool)
_EDGE_BYTES[[0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20]] = True
_EDGE_BYTES[0x80:] = True  # a multi-byte character might be a non-breaking or zero-width space


def string_buffers(s: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """(offsets, UTF-8 bytes) of an Arrow-backed text column without nulls, zero-copy; else None.

    Row i is ``data[offsets[i]:offsets[i + 1]]``.
    """
    arr = pa.array(s)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.null_count or not len(arr) or arr.type not in (pa.large_string(), pa.string()):
        return None
    width = np.int64 if arr.type == pa.large_string() else np.int32
    offsets = np.frombuffer(arr.buffers()[1], dtype=width)[arr.offset : arr.offset + len(arr) + 1]
    data = arr.buffers()[2]
    return offsets.astype(np.int64), (
        np.frombuffer(data, dtype=np.uint8) if data is not None else np.empty(0, dtype=np.uint8)
    )


def _trim(s: pd.Series) -> pd.Series:
    """Strip spaces (non-breaking and zero-width ones too); skips columns that need nothing."""
    buffers = string_buffers(s)
    if buffers is not None:
        offsets, data = buffers
        nonempty = offsets[1:] > offsets[:-1]
        starts, ends = offsets[:-1][nonempty], offsets[1:][nonempty] - 1
        if not (_EDGE_BYTES[data[starts]].any() or _EDGE_BYTES[data[ends]].any()):
            return s
    return s.str.strip(_TRIM)


def read_register(
    path: str | Path, *, sheet: str | None = None, language: str | None = None,
    columns: dict[str, str] | None = None,
) -> RegisterFrame:
    """Read a CSV or XLSX register; see the module docstring for what is accepted.

    ``columns`` maps file headers to ONR fields (``{"Employee ID": "tunniste"}``) where the
    known names do not; ``language`` (fi, sv or en; empty: ``ONR_LANGUAGE``, else fi) is for
    the messages of rows that could not be read.
    """
    path = Path(path)
    name = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise RegisterReadError("register.read.no_file", path=name) from None
    except OSError as exc:
        raise RegisterReadError("register.read.cannot_read", path=name,
                                reason=exc.strerror or type(exc).__name__) from None
    digest = hashlib.sha256(data).hexdigest()
    if not re.search(rb"[^\s\x00]", data):
        raise RegisterReadError("register.read.empty", path=name)
    is_zip = data.startswith(b"PK\x03\x04")
    if path.suffix.lower() in {".xlsx", ".xlsm"} or is_zip:
        headers, raw, problems, sheet_name, other_sheets = _read_xlsx(data, name, sheet, columns)
        fmt, encoding, separator = "xlsx", None, None
    elif path.suffix.lower() == ".xls" or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise RegisterReadError("register.read.xls", path=name)
    else:
        headers, raw, problems, encoding, separator = _read_csv(data, name)
        fmt, sheet_name, other_sheets = "csv", None, ()
    headers = [h.strip(_TRIM) for h in headers]
    raw.columns = ["row_number", *headers]
    mapping, ignored = map_headers(headers, name, columns)
    rows_in_file = len(raw) + len(problems)
    if rows_in_file == 0:
        raise RegisterReadError("register.read.no_rows", path=name)
    frame = pd.DataFrame({"row_number": raw["row_number"].to_numpy()})
    for header, column in mapping.items():
        frame[column] = _trim(raw[header].astype("str").fillna(""))
    for column in COLUMNS:
        if column not in frame:
            frame[column] = pd.Series([""] * len(frame), dtype="str")
    frame = frame[["row_number", *COLUMNS]]
    blank = (frame[list(COLUMNS)] == "").all(axis=1).to_numpy()
    if blank.any():
        for number in frame.loc[blank, "row_number"].tolist():
            problems.append(_row_problem(int(number), "row.empty", "", severity="warning"))
        frame = frame.loc[~blank]
    frame = frame.reset_index(drop=True)
    source = RegisterSource(
        path=name,
        sha256=digest,
        size=len(data),
        format=fmt,
        encoding=encoding,
        separator=separator,
        sheet=sheet_name,
        rows=rows_in_file,
        column_map=mapping,
        ignored_columns=ignored,
        other_sheets=other_sheets,
    )
    problem_frame = _problem_frame(problems, language).sort_values("row_number", kind="stable")
    return RegisterFrame(frame=frame, problems=problem_frame.reset_index(drop=True), source=source)


def parse_date(text: str) -> date | None:
    """``d.m.yyyy`` or ISO ``yyyy-mm-dd`` (a midnight time allowed) → date; else None."""
    match = _DMY.match(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
    else:
        match = _ISO.match(text)
        if not match:
            return None
        year, month, day = (int(g) for g in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_dates(s: pd.Series) -> pd.Series:
    """Element-wise :func:`parse_date` → ``datetime64[s]`` (NaT where not a date), in Arrow."""
    days = date_days(pa.array(s.astype("str")))
    out = np.where(
        days == NO_DATE,
        np.datetime64("NaT"),
        days.astype("timedelta64[D]") + np.datetime64("1970-01-01", "D"),
    )
    return pd.Series(out.astype("datetime64[s]"), index=s.index, name=s.name)


NO_DATE = np.iinfo(np.int64).min
_MONTH_DAYS = np.array([0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def date_days(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Days since 1970-01-01 of ``d.m.yyyy``/ISO texts (as :func:`parse_date`); else NO_DATE."""
    parts = []
    for pattern, names in ((_DMY.pattern, ("d", "m", "y")), (_ISO.pattern, ("y", "m", "d"))):
        parts.append(pc.extract_regex(values, _named(pattern, names)))
    fields = {}
    for name in ("d", "m", "y"):
        column = pc.coalesce(pc.struct_field(parts[0], name), pc.struct_field(parts[1], name))
        fields[name] = np.asarray(
            pc.fill_null(pc.cast(column, pa.int64()), 0).to_numpy(zero_copy_only=False),
            dtype=np.int64,
        )
    day, month, year = fields["d"], fields["m"], fields["y"]
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_ok = (month >= 1) & (month <= 12)
    limit = _MONTH_DAYS[np.where(month_ok, month, 0)] - ((month == 2) & ~leap)
    ok = month_ok & (day >= 1) & (day <= limit) & (year >= 1)
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * np.where(month > 2, month - 3, month + 9) + 2) // 5 + day - 1
    days = era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
    return np.where(ok, days, NO_DATE)


def _named(pattern: str, names: tuple[str, ...]) -> str:
    """Name the first capturing groups of ``pattern`` (RE2 wants named groups to extract)."""
    out, index, i = [], 0, 0
    while i < len(pattern):
        if pattern[i] == "(" and not pattern.startswith("(?", i) and index < len(names):
            out.append(f"(?P<{names[index]}>")
            index += 1
        else:
            out.append(pattern[i])
        i += 1
    return "".join(out)
