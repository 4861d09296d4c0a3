"""The request packages open in a real spreadsheet program (LibreOffice Calc, headless).

OPH's staff open what we send in a spreadsheet program, not in openpyxl. LibreOffice reads
each package here: the XLSX is exported sheet by sheet to CSV (a formula cell would export
its computed value, so equal text proves nothing was evaluated), and the CSV is imported the
way a person opens it and saved as XLSX, whose cells must be text and hold our values, with a
line break inside a cell kept inside that cell. Debian's libreoffice-calc is installed by
``.ci/run``, like chromium for the browser test; elsewhere these tests skip when it is missing
(tests/programs.py).
"""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from onrtools.duplicates.request_packages import write_merge_requests, write_unlink_requests
from tests.programs import require

# UTF-8 (76), comma, double quote; export every sheet (-1) to its own file
CSV_EXPORT = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
CSV_IMPORT = "CSV:44,34,76,1"
TRICKY = ["=1+1", "+358 40 000", "-2", "@SUM(A1)", "=cmd|' /C calc'!A0",
          "rivi yksi\nrivi kaksi =1+1", "Åsa Müller-Öhman"]


@pytest.fixture(scope="module")
def soffice() -> str:
    return require("soffice", "libreoffice", package="--no-install-recommends libreoffice-calc")


def _run(soffice: str, profile: Path, *args: str) -> None:
    done = subprocess.run(
        [soffice, "--headless", "--norestore", f"-env:UserInstallation={profile.as_uri()}",
         *args], capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr


def _records() -> pd.DataFrame:
    return pd.DataFrame([
        {"tunniste": "r1", "oid": "1.2.246.562.24.100", "etunimet": "Anna",
         "sukunimi": "Laine", "syntymaaika": "1990-01-01", "hetu": "010190-9046"},
        {"tunniste": "r2", "oid": "1.2.246.562.24.200", "etunimet": '=HYPERLINK("x")',
         "sukunimi": "Åsa Müller-Öhman", "syntymaaika": "1990-01-01", "hetu": None},
        {"tunniste": "r3", "oid": "1.2.246.562.24.300", "etunimet": "Pekka",
         "sukunimi": "Aho", "syntymaaika": "1980-01-01", "hetu": None},
        {"tunniste": "r4", "oid": "1.2.246.562.24.400", "etunimet": "Pekka",
         "sukunimi": "Aho", "syntymaaika": "1980-01-01", "hetu": None},
    ])


def _packages(out: Path) -> list[dict[str, Path]]:
    reviewed = pd.DataFrame({
        "tunniste_l": ["r1", "r3"], "tunniste_r": ["r2", "r4"],
        "review_decision": ["same", "same"],
        "explanation": ["same birth date; surname Jaro-Winkler 0.96", "@ same names"],
        "reviewer": ["maija", "-pekka"], "decided_at": ["2026-11-27T10:00:00+00:00"] * 2,
        "note": [TRICKY[4], TRICKY[5]],
    })
    flagged = pd.DataFrame({
        "masterOid": ["1.2.246.562.24.100"] * 2,
        "henkiloOid": ["1.2.246.562.24.300", "1.2.246.562.24.400"],
        "reason": ["different birth dates", TRICKY[0]], "explanation": [TRICKY[1], TRICKY[2]],
        "reviewer": ["pekka", "pekka"], "decided_at": ["2026-11-27T11:00:00+00:00"] * 2,
        "note": [TRICKY[3], TRICKY[6]],
    })
    persons = _records().drop(columns=["tunniste"])
    return [write_merge_requests(out / "merge", reviewed, _records(), institution="Testi AMK"),
            write_unlink_requests(out / "unlink", flagged, persons, institution="Testi AMK")]


def _text(value: object) -> str:
    return "" if value is None else str(value)


def test_xlsx_packages_open_with_every_cell_as_written(soffice: str, tmp_path: Path) -> None:
    for paths in _packages(tmp_path):
        xlsx = paths["xlsx"]
        out = tmp_path / f"{xlsx.stem}-lo"
        _run(soffice, tmp_path / "profile", "--convert-to", CSV_EXPORT, "--outdir", str(out),
             str(xlsx))
        book = openpyxl.load_workbook(xlsx)
        for name in ("requests", "summary"):
            written = [[_text(v) for v in row]
                       for row in book[name].iter_rows(values_only=True)]
            exported = out / f"{xlsx.stem}-{name}.csv"
            assert exported.is_file(), f"LibreOffice wrote no {name} sheet for {xlsx.name}"
            with exported.open(encoding="utf-8", newline="") as handle:
                seen = [row + [""] * (len(written[0]) - len(row)) for row in csv.reader(handle)]
            assert seen == written, f"{xlsx.name}:{name} reads differently in LibreOffice"
        summary = [_text(r[0]) for r in book["summary"].iter_rows(values_only=True)]
        assert "korkeakoulu: Testi AMK" in summary  # read as plain text, no apostrophe
        requests = book["requests"]
        assert requests.max_row == 3  # header and two requests
        assert not any(isinstance(v, str) and v.startswith(("=", "+", "-", "@"))
                       for row in requests.iter_rows(values_only=True) for v in row)


def test_csv_packages_open_as_text_rows(soffice: str, tmp_path: Path) -> None:
    for paths in _packages(tmp_path):
        ours = paths["csv"]
        out = tmp_path / f"{ours.stem}-lo"
        _run(soffice, tmp_path / "profile", f"--infilter={CSV_IMPORT}", "--convert-to", "xlsx",
             "--outdir", str(out), str(ours))
        with ours.open(encoding="utf-8-sig", newline="") as handle:
            written = list(csv.reader(handle))
        sheet = openpyxl.load_workbook(out / f"{ours.stem}.xlsx").active
        seen = [[_text(c.value) for c in row] for row in sheet.iter_rows()]
        assert len(seen) == len(written) == 3  # a line break inside a cell is no new row
        assert [r[:len(written[0])] for r in seen] == written
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                assert cell.data_type in ("s", "n"), (cell.coordinate, cell.data_type)
                if cell.data_type == "n":  # only the group number may be a number
                    assert sheet.cell(1, cell.column).value == "group"
        assert any("\n" in v for r in seen for v in r) or ours.stem.startswith("unlink")
