"""Write the bad-input corpus: malformed or hostile register files, one defect each.

    python tests/data/bad/make_corpus.py            # (re)writes the small files next to this script
    python tests/data/bad/make_corpus.py OUT --big  # also the big ones (1 MB cells, 100,000 rows)

The small files are committed; the big ones are written at test time into a temporary folder
(``tests/reliability/test_bad_input.py`` calls :func:`write_big`). ``CORPUS`` says, per file,
what it tests and how validation must end:

- ``("row", row, field, code)``: exit 1, the report names that file row and field with that code;
  every data row has an error, so nothing is sent.
- ``("file", fragment)``: exit 2, one line on stderr naming the file and what is wrong
  (``fragment`` is a piece of that reason, lower case).

Every person here is synthetic: test hetus only (individual numbers 900-999).
"""

from __future__ import annotations

import io
import json
import random
import re
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
HEADER = ["tunniste", "hetu", "etunimet", "kutsumanimi", "sukunimi", "kansalaisuus"]
# Valid synthetic rows (test hetus, computed check characters); each file breaks all of them.
GOOD = [
    ["bad-1", "010190-9732", "Aino Maria", "Aino", "Virtanen", "246"],
    ["bad-2", "020290-9337", "Eero Juhani", "Eero", "Korhonen", "246"],
    ["bad-3", "030390-963M", "Liisa", "Liisa", "Mäkinen", "246"],
]


def _check(rows: list[list[str]]) -> None:
    from onrtools.register import hetu

    for row in rows:
        assert hetu.is_valid(row[1]) and hetu.is_test(row[1]), row


def csv_text(rows: list[list[str]], sep: str = ",", header: list[str] | None = None,
             eol: str = "\n") -> str:
    lines = [sep.join(header or HEADER)] + [sep.join(r) for r in rows]
    return eol.join(lines) + eol


def with_cell(column: str, value: str) -> list[list[str]]:
    """GOOD with ``column`` set to ``value`` on every row."""
    i = HEADER.index(column)
    return [[*r[:i], value, *r[i + 1:]] for r in GOOD]


def xlsx_bytes(rows: list[list[Any]], *, header: list[str] | None = None,
               edit: Callable[[Any], None] | None = None, sheets: int = 1) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "register"
    ws.append(header or HEADER)
    for r in rows:
        ws.append(r)
    if edit is not None:
        edit(ws)
    for n in range(1, sheets):  # notes, not registers: the reader takes the first that maps
        extra = book.create_sheet(f"extra{n}")
        extra.append([f"muistiinpanot {n}"])
        extra.append(["Tämä välilehti ei ole rekisteri."])
    import datetime as dt

    book.properties.created = book.properties.modified = dt.datetime(2026, 1, 1)
    out = io.BytesIO()
    book.save(out)
    return _fixed_times(out.getvalue())


def _fixed_times(data: bytes) -> bytes:
    """The same zip with every member dated 2026-01-01, so the corpus is byte-reproducible."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2026, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2026-01-01T00:00:00Z",
                              body)
            dst.writestr(fixed, body)
    return out.getvalue()


def _merged(ws: Any) -> None:
    ws.merge_cells("C2:D2")
    ws.merge_cells("E3:E4")


def _formulas(ws: Any) -> None:
    for r in range(2, ws.max_row + 1):
        ws.cell(row=r, column=5, value=f'=HYPERLINK("http://127.0.0.1/x","S{r}")')


def _first_sheet_empty(ws: Any) -> None:
    ws.delete_rows(1, ws.max_row)


def corpus() -> dict[str, tuple[bytes, tuple[Any, ...], str]]:
    """name -> (content, expectation, what it tests). Deterministic."""
    _check(GOOD)
    good_csv = csv_text(GOOD)
    rng = random.Random(8)
    files: dict[str, tuple[bytes, tuple[Any, ...], str]] = {}

    def add(name: str, data: bytes | str, expect: tuple[Any, ...], what: str) -> None:
        files[name] = (data.encode("utf-8") if isinstance(data, str) else data, expect, what)

    # --- file level: nothing readable ---------------------------------------------------------
    add("empty.csv", b"", ("file", "empty"), "zero bytes")
    add("bom_only.csv", b"\xef\xbb\xbf", ("file", "empty"),
        "a UTF-8 byte order mark and nothing else")
    add("whitespace_only.csv", b"\r\n  \t\r\n\n", ("file", "empty"), "blank lines only")
    add("header_only.csv", csv_text([]), ("file", "no data rows"), "a header, no data")
    add("binary_garbage.csv", bytes(rng.randrange(256) for _ in range(4096)),
        ("file", ""), "4 KB of random bytes")
    add("nul_flood.csv", good_csv.encode() + b"\x00" * 2000, ("file", "nul"),
        "a register followed by 2,000 NUL bytes (a disk-image fragment)")
    as_json = {"henkilot": [dict(zip(HEADER, r, strict=True)) for r in GOOD]}
    add("json_instead.csv", json.dumps(as_json),
        ("file", "csv"), "JSON saved under a .csv name")
    add("html_table.xls", "<html><table><tr><td>tunniste</td></tr></table></html>",
        ("file", ".xls"), "an HTML page named .xls (what some systems 'export to Excel')")
    add("pipe_separated.csv", csv_text(GOOD, sep="|"), ("file", "separator"),
        "| as separator: one column only")
    add("no_header.csv", "\n".join(",".join(r) for r in GOOD) + "\n",
        ("file", "missing required columns"), "data rows without a header row")
    add("missing_sukunimi_column.csv",
        csv_text([r[:4] + r[5:] for r in GOOD], header=HEADER[:4] + HEADER[5:]),
        ("file", "sukunimi"), "a required column is absent")
    add("duplicated_header.csv",
        csv_text([[*r, r[4]] for r in GOOD], header=[*HEADER, "sukunimi"]),
        ("file", "sukunimi"), "the same header twice")
    add("duplicated_header_alias.csv",
        csv_text([[*r, r[1]] for r in GOOD], header=[*HEADER, "Henkilötunnus"]),
        ("file", "hetu"), "two headers meaning the same field (hetu and Henkilötunnus)")
    add("latin1_undecodable.csv", csv_text(GOOD).encode("utf-8").replace(
        "Mäkinen".encode(), b"M\x81kinen\x8d"), ("file", "encoding"),
        "bytes 0x81/0x8d: neither UTF-8 nor Windows-1252")
    add("utf16_broken.csv", b"\xff\xfe" + csv_text(GOOD).encode("utf-16-le") + b"\x00\xd8",
        ("file", "utf-16"), "UTF-16 with a BOM and a lone surrogate at the end")
    add("unbalanced_quote.csv", ",".join(HEADER) + '\nbad-4,"040490-9600,Pekka,Pekka,Nieminen,246\n'
        + "\n".join(",".join(r) for r in GOOD) + "\n", ("row", 2, "", "row.columns"),
        "a quote opened on the first data row and never closed swallows the rest of the file")
    # --- broken XLSX --------------------------------------------------------------------------
    valid_xlsx = xlsx_bytes(GOOD)
    add("truncated.xlsx", valid_xlsx[: len(valid_xlsx) // 2], ("file", "xlsx"),
        "an XLSX cut in half (broken zip)")
    add("csv_named.xlsx", good_csv, ("file", "xlsx"), "CSV text under an .xlsx name")
    add("password_protected.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
        + b"EncryptedPackage" + bytes(rng.randrange(256) for _ in range(1024)),
        ("file", "xlsx"), "an OLE2 container as Excel writes password-protected workbooks")
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as z:
        z.writestr(zipfile.ZipInfo("hello.txt", (2026, 1, 1, 0, 0, 0)), "not a workbook")
    add("zip_not_workbook.xlsx", zbuf.getvalue(), ("file", "xlsx"),
        "a zip without a workbook in it")
    add("merged_cells.xlsx", xlsx_bytes(GOOD, edit=_merged), ("row", 2, "", "xlsx.merged.cell"),
        "merged cells across names and rows")
    add("formula_cells.xlsx", xlsx_bytes(GOOD, edit=_formulas), ("row", 2, "", "xlsx.formula"),
        "=HYPERLINK(...) formulas in the sukunimi cells")
    add("many_sheets_first_empty.xlsx", xlsx_bytes(GOOD, edit=_first_sheet_empty, sheets=40),
        ("file", "empty"), "40 sheets, the first empty and none a register")
    # --- rows that parse but must not be sent -------------------------------------------------
    add("formula_hyperlink.csv",
        csv_text(with_cell("sukunimi", '=HYPERLINK("http://127.0.0.1/x";"Virtanen")'), sep=","),
        ("row", 2, "sukunimi", "value.formula"), "=HYPERLINK(...) in a CSV cell")
    add("formula_plus.csv", csv_text(with_cell("etunimet", "+cmd|' /C calc'!A0")),
        ("row", 2, "etunimet", "value.formula"), "DDE payload starting with +")
    add("formula_minus.csv", csv_text(with_cell("kutsumanimi", "-2+3+cmd|' /C calc'!A0")),
        ("row", 2, "kutsumanimi", "value.formula"), "formula starting with -")
    add("formula_at.csv", csv_text(with_cell("sukunimi", "@SUM(1+1)*cmd|'/C calc'!A0")),
        ("row", 2, "sukunimi", "value.formula"), "formula starting with @")
    add("control_chars.csv", csv_text(with_cell("sukunimi", "Virta\x07nen\x1b[31m")),
        ("row", 2, "sukunimi", "invalid.character"), "BEL and an ANSI escape inside a name")
    add("nul_in_cells.csv", csv_text(with_cell("etunimet", "Ai\x00no")),
        ("row", 2, "etunimet", "invalid.character"), "a NUL byte inside each first name")
    add("emoji_hetu.csv", csv_text(with_cell("hetu", "😀🎉🔥🙈💩👍🏽")),
        ("row", 2, "hetu", "invalid.hetu"), "a hetu column full of emoji")
    add("hetu_bad_check_char.csv",
        csv_text([[r[0], r[1][:-1] + ("X" if r[1][-1] != "X" else "Y"), *r[2:]] for r in GOOD]),
        ("row", 2, "hetu", "invalid.hetu"), "hetus with a wrong check character")
    add("utf16_with_bad_rows.csv",
        b"\xff\xfe" + csv_text(with_cell("kansalaisuus", "Mars")).encode("utf-16-le"),
        ("row", 2, "kansalaisuus", "invalid.kansalaisuus"),
        "UTF-16 (readable) carrying an unknown nationality")
    add("mixed_encoding.csv",
        csv_text(with_cell("kansalaisuus", "Mäkinen"))[:-1].encode("utf-8")
        + b"\nbad-4,040490-9600,P\xe4ivi,P\xe4ivi,M\xe4kinen,Mars\n",
        ("file", "encoding"),
        "UTF-8 lines and one Windows-1252 line in one file: refused as a whole, naming both lines")
    add("mixed_encoding_names.csv",
        csv_text(GOOD).encode("utf-8") + b"bad-4,040490-9600,P\xe4ivi,P\xe4ivi,Nieminen,246\n",
        ("file", "encoding"),
        "valid UTF-8 rows (M\u00e4kinen) and one Windows-1252 row: no single encoding reads "
        "every name right")
    add("mixed_separators.csv",
        ";".join(HEADER) + "\n" + "\n".join(",".join(r) for r in GOOD) + "\n",
        ("row", 2, "", "row.columns"), "header separated by ; and data rows by ,")
    add("wrong_field_count.csv", csv_text([[*r, "extra", "more"] for r in GOOD]),
        ("row", 2, "", "row.columns"), "two cells too many on every row")
    add("kutsumanimi_not_in_etunimet.csv", csv_text(with_cell("kutsumanimi", "Zorro")),
        ("row", 2, "kutsumanimi", "kutsumanimi.must.exist.in.etunimet"),
        "a call name that is none of the first names")
    add("missing_required_values.csv", csv_text(with_cell("sukunimi", "")),
        ("row", 2, "sukunimi", "required"), "empty required cells")
    add("newline_in_name.csv", csv_text(with_cell("sukunimi", '"Virta\nnen"')),
        ("row", 2, "sukunimi", "invalid.character"), "a quoted line break inside a surname")
    add("bidi_override.csv", csv_text(with_cell("sukunimi", "Virta\u202enen")),
        ("row", 2, "sukunimi", "invalid.character"),
        "U+202E RIGHT-TO-LEFT OVERRIDE inside a surname (spoofs what reports show)")
    add("tunniste_path_traversal.csv", csv_text(
        [[f"../../etc/passwd{i}\x00", *r[1:]] for i, r in enumerate(GOOD)]),
        ("row", 2, "tunniste", "invalid.character"), "a tunniste that is a path with a NUL byte")
    add("crlf_bare_cr.csv", csv_text(with_cell("hetu", "31.02.1990"), eol="\r"),
        ("row", 2, "hetu", "invalid.hetu"), "old-Mac bare CR line ends and a date as hetu")
    return files


def write_small(out: Path = HERE) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (data, _, _) in corpus().items():
        (out / name).write_bytes(data)
        written.append(out / name)
    return written


# --- big files: written at test time -------------------------------------------------------------
MB = 1 << 20


def big_corpus() -> dict[str, tuple[Callable[[Path], None], tuple[Any, ...], str]]:
    def huge_cell(path: Path) -> None:
        path.write_text(csv_text(with_cell("sukunimi", "V" * (2 * MB))), encoding="utf-8")

    def long_line(path: Path) -> None:
        path.write_text(csv_text([[*r, *(["x" * 1000] * 1100)] for r in GOOD]), encoding="utf-8")

    def empty_rows(path: Path) -> None:
        bad = csv_text(with_cell("hetu", "😀😀😀"))
        path.write_text(bad + ",,,,,\n" * 100_000, encoding="utf-8")

    def huge_cell_xlsx(path: Path) -> None:
        # Excel caps a cell at 32,767 characters; openpyxl writes more, a hostile tool might too
        path.write_bytes(xlsx_bytes(with_cell("etunimet", "A" * (MB + 1))))

    def many_columns_xlsx(path: Path) -> None:
        header = [*HEADER, *(f"c{i}" for i in range(2000))]
        rows = [[*r[:4], "=1+1", r[5], *(["z"] * 2000)] for r in GOOD]
        path.write_bytes(xlsx_bytes(rows, header=header))

    return {
        "huge_cell.csv": (huge_cell, ("row", 2, "sukunimi", "value.too.long"),
                          "a 2 MB surname cell on every row"),
        "very_long_lines.csv": (long_line, ("row", 2, "", "row.columns"),
                                "1.1 MB lines: 1,100 unnamed cells of 1,000 characters each"),
        "empty_rows_100k.csv": (empty_rows, ("row", 2, "hetu", "invalid.hetu"),
                                "three rows with emoji hetus, then 100,000 empty rows"),
        "huge_cell.xlsx": (huge_cell_xlsx, ("row", 2, "etunimet", "value.too.long"),
                           "a 1 MB first-names cell in XLSX"),
        "many_columns_formula.xlsx": (many_columns_xlsx, ("row", 2, "", "xlsx.formula"),
                                      "2,000 extra columns and a formula in sukunimi"),
    }


def write_big(out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, (make, _, _) in big_corpus().items():
        make(out / name)
        paths[name] = out / name
    return paths


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else HERE
    for p in write_small(target):
        print(p.name)
    if "--big" in sys.argv:
        for p in write_big(target).values():
            print(p.name)
