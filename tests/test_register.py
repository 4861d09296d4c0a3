"""onrtools.register.read: formats, encodings, header aliases, and every kind of bad input."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from onrtools.errors import RegisterReadError
from onrtools.register.read import _TRIM, COLUMNS, header_key, parse_date, read_register

BAD = Path(__file__).resolve().parent / "data" / "bad_register"
TEMPLATES = Path(__file__).resolve().parents[1] / "data_templates"
HEADER = "tunniste;hetu;etunimet;kutsumanimi;sukunimi;kansalaisuus"
ROW = "T1;111111-985K;Matti Juhani;Matti;Meikäläinen;246"


def write(tmp_path: Path, text: str, name: str = "r.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty.csv", "empty"),
        ("whitespace_only.csv", "empty"),
        ("header_only.csv", "no data rows"),
        ("pipe_separated.csv", "separator"),
        ("unknown_encoding.csv", "unknown text encoding"),
        ("missing_columns.csv", "missing required columns: kutsumanimi, sukunimi, kansalaisuus"),
        ("utf16_no_bom.csv", "NUL bytes"),
        ("doubled_column.csv", "both mean 'hetu'"),
    ],
)
def test_unreadable_files_raise_clear_errors(name: str, message: str) -> None:
    with pytest.raises(RegisterReadError, match=message) as info:
        read_register(BAD / name)
    assert info.value.path is not None
    assert "985K" not in str(info.value)  # no full hetu in messages


def test_missing_columns_lists_what_was_found() -> None:
    with pytest.raises(RegisterReadError) as info:
        read_register(BAD / "missing_columns.csv")
    assert "Found columns: 'tunniste', 'hetu', 'etunimet'" in str(info.value)


def test_no_such_file(tmp_path: Path) -> None:
    with pytest.raises(RegisterReadError, match="no such file"):
        read_register(tmp_path / "nope.csv")


def test_old_xls_refused(tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 10)
    with pytest.raises(RegisterReadError, match="xls"):
        read_register(path)


@pytest.mark.parametrize(
    ("name", "encoding", "separator"),
    [
        ("windows_1252.csv", "cp1252", ";"),
        ("utf8_bom_comma.csv", "utf-8-sig", ","),
        ("utf16_bom.csv", "utf-16", ";"),
        ("spaces_nbsp.csv", "utf-8", ";"),
    ],
)
def test_encodings_and_separators(name: str, encoding: str, separator: str) -> None:
    reg = read_register(BAD / name)
    assert reg.source.encoding == encoding and reg.source.separator == separator
    assert len(reg.frame) == 1 and reg.problems.empty
    row = reg.frame.iloc[0]
    assert row["hetu"] == "111111-985K" and row["tunniste"] == "T1"
    assert row["row_number"] == 2


def test_windows_1252_letters_survive() -> None:
    assert read_register(BAD / "windows_1252.csv").frame.at[0, "sukunimi"] == "Öhman-Åberg"


def test_spaces_and_nbsp_are_trimmed() -> None:
    row = read_register(BAD / "spaces_nbsp.csv").frame.iloc[0]
    assert row["tunniste"] == "T1"
    assert row["etunimet"] == "Matti Juhani"
    assert row["kutsumanimi"] == "Matti"  # zero-width space gone
    assert row["sukunimi"] == "Meikäläinen" and row["kansalaisuus"] == "246"


def test_ragged_rows_become_problems_with_file_rows() -> None:
    reg = read_register(BAD / "ragged_rows.csv")
    assert reg.frame["row_number"].tolist() == [2, 5]
    assert reg.frame["tunniste"].tolist() == ["T1", "T4"]
    assert reg.problems["row_number"].tolist() == [3, 4]
    assert set(reg.problems["code"]) == {"row.columns"}
    assert reg.source.rows == 4  # every data row accounted for


def test_blank_rows_are_warnings_not_silence(tmp_path: Path) -> None:
    path = write(tmp_path, f"{HEADER}\n{ROW}\n;;;;;\n\n{ROW.replace('T1', 'T2')}\n")
    reg = read_register(path)
    assert reg.frame["row_number"].tolist() == [2, 5]
    assert reg.problems[["row_number", "code", "severity"]].values.tolist() == [
        [3, "row.empty", "warning"],
        [4, "row.empty", "warning"],
    ]
    assert len(reg.frame) + len(reg.problems) == reg.source.rows


def test_quoted_newline_inside_a_cell(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f'{HEADER}\nT1;111111-985K;"Matti\nJuhani";Matti;Virtanen;246\n{ROW.replace("T1", "T2")}\n',
    )
    reg = read_register(path)
    assert reg.frame["etunimet"].tolist()[0] == "Matti\nJuhani"
    assert len(reg.frame) == 2


@pytest.mark.parametrize(
    "headers",
    [
        ["Tunniste", "Henkilötunnus", "Etunimet", "Kutsumanimi", "Sukunimi", "Kansalaisuus"],
        [
            "Student ID",
            "Personal identity code",
            "First names",
            "Preferred name",
            "Last name",
            "Nationality",
        ],
        [
            "  TUNNISTE ",
            "henkilo_tunnus",
            "ETU NIMET",
            "Kutsuma nimi",
            "Suku nimi",
            "kansalaisuudet",
        ],
    ],
)
def test_header_aliases(tmp_path: Path, headers: list[str]) -> None:
    path = write(tmp_path, ";".join(headers) + "\n" + ROW + "\n")
    reg = read_register(path)
    assert reg.frame.at[0, "hetu"] == "111111-985K"
    assert reg.frame.at[0, "kutsumanimi"] == "Matti"
    assert set(reg.source.column_map.values()) == {
        "tunniste",
        "hetu",
        "etunimet",
        "kutsumanimi",
        "sukunimi",
        "kansalaisuus",
    }


def test_unknown_columns_set_aside_and_missing_optional_filled(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + ";Ryhmä\n" + ROW + ";TKO-21\n")
    reg = read_register(path)
    assert reg.source.ignored_columns == ("Ryhmä",)
    assert list(reg.frame.columns) == ["row_number", *COLUMNS]
    assert reg.frame.at[0, "sahkoposti"] == "" and reg.frame.at[0, "syntymaaika"] == ""


def test_sha256_and_size_recorded(tmp_path: Path) -> None:
    import hashlib

    path = write(tmp_path, HEADER + "\n" + ROW + "\n")
    reg = read_register(path)
    assert reg.source.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert reg.source.size == path.stat().st_size and reg.source.format == "csv"


def xlsx(tmp_path: Path, rows: list[list[object]], *, sheet: str = "Sheet") -> Path:
    book = Workbook()
    ws = book.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    path = tmp_path / "r.xlsx"
    book.save(path)
    return path


def test_xlsx_first_and_named_sheet(tmp_path: Path) -> None:
    from datetime import datetime

    book = Workbook()
    first = book.active
    first.title = "muistiinpanot"
    first.append(["nothing here"])
    data = book.create_sheet("henkilot")
    data.append(
        [
            "Tunniste",
            "Henkilötunnus",
            "Etunimet",
            "Kutsumanimi",
            "Sukunimi",
            "Kansalaisuus",
            "Syntymäaika",
            "Sukupuoli",
        ]
    )
    data.append([101, "111111-985K", "Matti", "Matti", "Virtanen", 246, datetime(1911, 11, 11), 1])
    path = tmp_path / "book.xlsx"
    book.save(path)
    reg = read_register(path, sheet="henkilot")
    row = reg.frame.iloc[0]
    assert (row["tunniste"], row["kansalaisuus"], row["syntymaaika"], row["sukupuoli"]) == (
        "101",
        "246",
        "1911-11-11",
        "1",
    )
    assert reg.source.sheet == "henkilot" and reg.source.format == "xlsx"
    # unnamed, the first sheet whose columns map is read, and the others are named
    unnamed = read_register(path)
    assert unnamed.source.sheet == "henkilot" and unnamed.source.other_sheets == ("muistiinpanot",)
    with pytest.raises(
        RegisterReadError, match="no sheet 'x'; the workbook has muistiinpanot, henkilot"
    ):
        read_register(path, sheet="x")
    del book["henkilot"]
    book.save(path)
    with pytest.raises(RegisterReadError, match="missing required columns"):
        read_register(path)  # one sheet, not a register


def test_xlsx_merged_and_formula_cells_are_row_problems(tmp_path: Path) -> None:
    book = Workbook()
    ws = book.active
    ws.append(HEADER.split(";"))
    ws.append(ROW.split(";"))
    ws.append(["T2", "111111-985K", "Anna", "Anna", "Laine", "246"])
    ws.append(["T3", "111111-985K", "Anna", "Anna", "Laine", "246"])
    ws.append(["T4", "111111-985K", "Anna", "Anna", '=UPPER("laine")', "246"])
    ws.merge_cells("C3:C4")
    path = tmp_path / "merged.xlsx"
    book.save(path)
    reg = read_register(path)
    assert reg.frame["tunniste"].tolist() == ["T1"]
    problems = reg.problems[["row_number", "code"]].values.tolist()
    assert problems == [[3, "xlsx.merged.cell"], [4, "xlsx.merged.cell"], [5, "xlsx.formula"]]
    assert reg.source.rows == 4


def test_xlsx_broken_workbook(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not a workbook")
    with pytest.raises(RegisterReadError, match="not a readable XLSX"):
        read_register(path)


def test_empty_xlsx(tmp_path: Path) -> None:
    with pytest.raises(RegisterReadError, match="empty"):
        read_register(xlsx(tmp_path, []))
    with pytest.raises(RegisterReadError, match="no data rows"):
        read_register(xlsx(tmp_path, [HEADER.split(";")]))


def test_one_megabyte_cell_is_read(tmp_path: Path) -> None:
    big = "x" * 1_000_000
    path = write(
        tmp_path, f"{HEADER}\nT1;111111-985K;{big};Matti;Virtanen;246\n{ROW.replace('T1', 'T2')}\n"
    )
    reg = read_register(path)
    assert len(reg.frame.at[0, "etunimet"]) == 1_000_000 and len(reg.frame) == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.2.2003", "2003-02-01"),
        ("01.02.2003", "2003-02-01"),
        ("2003-02-01", "2003-02-01"),
        ("2003-02-01 00:00:00", "2003-02-01"),
        ("30.2.2003", None),
        ("2003/02/01", None),
        ("1.2.03", None),
        ("", None),
    ],
)
def test_parse_date(text: str, expected: str | None) -> None:
    parsed = parse_date(text)
    assert (parsed.isoformat() if parsed else None) == expected


def test_header_key() -> None:
    assert header_key(" Sähkö-posti ") == "sahkoposti"
    assert header_key("SYNTYMÄAIKA") == "syntymaaika"


def test_templates_have_every_onr_column() -> None:
    with pytest.raises(RegisterReadError, match="no data rows"):
        read_register(TEMPLATES / "henkilot.csv")
    header = (TEMPLATES / "henkilot.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.split(";") == list(COLUMNS)
    from openpyxl import load_workbook

    sheet = load_workbook(TEMPLATES / "henkilot.xlsx").worksheets[0]
    assert [c.value for c in sheet[1]] == list(COLUMNS)


def test_example_registers_agree(tmp_path: Path) -> None:
    csv_reg = read_register(TEMPLATES / "henkilot_example.csv")
    xlsx_reg = read_register(TEMPLATES / "henkilot_example.xlsx")
    assert len(csv_reg.frame) == 50
    left = csv_reg.frame.drop(columns="syntymaaika")
    right = xlsx_reg.frame.drop(columns="syntymaaika")
    pd.testing.assert_frame_equal(left, right)


def test_example_is_reproducible(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_examples", TEMPLATES / "make_examples.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = tmp_path / "again.csv"
    module.write_csv(path, module.example_rows())
    assert path.read_bytes() == (TEMPLATES / "henkilot_example.csv").read_bytes()


def test_trailing_separators_and_repeated_unknown_columns(tmp_path: Path) -> None:
    path = write(tmp_path, f"{HEADER};x;x;;\n{ROW};1;2;;\n")
    reg = read_register(path)
    assert reg.frame.at[0, "kansalaisuus"] == "246"
    assert reg.source.ignored_columns == ("x", "x (2)", "(column 9)", "(column 10)")
    with pytest.raises(RegisterReadError, match="both mean 'hetu'"):
        read_register(write(tmp_path, f"{HEADER};HETU\n{ROW};x\n", "two.csv"))


def test_xlsx_empty_and_repeated_headers(tmp_path: Path) -> None:
    reg = read_register(
        xlsx(tmp_path, [[*HEADER.split(";"), None, "x", "x"], [*ROW.split(";"), None, "1", "2"]])
    )
    assert reg.frame.at[0, "tunniste"] == "T1"
    assert reg.source.ignored_columns == ("(column 7)", "x", "x (2)")


def test_unterminated_quote_is_a_row_problem(tmp_path: Path) -> None:
    path = write(tmp_path, f'{HEADER}\n{ROW}\nT2;"unterminated;x;y;z;w\n')
    reg = read_register(path)
    assert reg.frame["tunniste"].tolist() == ["T1"]
    assert reg.problems[["row_number", "code"]].values.tolist() == [[3, "row.columns"]]


cell_text = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00\r"), max_size=12
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.lists(cell_text, min_size=6, max_size=6), min_size=1, max_size=8),
    st.sampled_from([";", ",", "\t"]),
    st.sampled_from(["utf-8", "utf-8-sig"]),
)
def test_round_trip_any_cells(tmp_path: Path, rows: list[list[str]], sep: str, enc: str) -> None:
    import csv

    path = tmp_path / "any.csv"
    with path.open("w", encoding=enc, newline="") as fh:
        writer = csv.writer(fh, delimiter=sep, quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writerow(HEADER.split(";"))
        writer.writerows(rows)
    reg = read_register(path)
    assert reg.source.separator == sep
    blank = [all(not c.strip(_TRIM) for c in row) for row in rows]
    assert reg.problems["code"].tolist() == ["row.empty"] * sum(blank)
    kept = [row for row, b in zip(rows, blank, strict=True) if not b]
    got = reg.frame[["tunniste", "hetu", "etunimet", "kutsumanimi", "sukunimi", "kansalaisuus"]]
    assert got.values.tolist() == [[c.strip(_TRIM) for c in row] for row in kept]
    assert reg.source.rows == len(rows)
