"""Merge/unlink request packages: content, formula neutralisation, the XLSX opens."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pandas as pd

from onrtools.duplicates.request_packages import (
    MERGE_COLUMNS,
    UNLINK_COLUMNS,
    neutralise,
    write_merge_requests,
    write_templates,
    write_unlink_requests,
)

TEMPLATES = Path(__file__).resolve().parents[2] / "data_templates" / "requests"


def _records() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "tunniste": "r1",
                "oid": "1.2.246.562.24.100",
                "etunimet": "Anna",
                "sukunimi": "Laine",
                "syntymaaika": "1990-01-01",
                "hetu": "010190-9046",
            },
            {
                "tunniste": "r2",
                "oid": "1.2.246.562.24.200",
                "etunimet": '=HYPERLINK("x")',
                "sukunimi": "+Laine",
                "syntymaaika": "1990-01-01",
                "hetu": None,
            },
            {
                "tunniste": "r3",
                "oid": "1.2.246.562.24.300",
                "etunimet": "Pekka",
                "sukunimi": "Aho",
                "syntymaaika": "1980-01-01",
                "hetu": None,
            },
        ]
    )


def _reviewed() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "tunniste_l": ["r1", "r1"],
            "tunniste_r": ["r2", "r3"],
            "review_decision": ["same", "different"],
            "explanation": ["same birth date; same surname", "different birth date"],
            "reviewer": ["maija", "maija"],
            "decided_at": ["2026-11-27T10:00:00+00:00"] * 2,
            "note": ["@checked passport", ""],
        }
    )


def test_neutralise() -> None:
    for bad in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(bad) == "'" + bad
    assert neutralise("Anna") == "Anna" and neutralise(5) == 5


def test_merge_package(tmp_path: Path) -> None:
    paths = write_merge_requests(tmp_path, _reviewed(), _records(), institution="Test University")
    book = openpyxl.load_workbook(paths["xlsx"])
    sheet = book["requests"]
    header = [c.value for c in sheet[1]]
    assert header == list(MERGE_COLUMNS)
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    assert row["suggested_master_oid"] == "1.2.246.562.24.100"  # the hetu-bearing record
    assert row["other_oids"] == "1.2.246.562.24.200"
    assert row["hetu_masked"] == "010190-**** | "
    assert row["etunimet"].startswith("Anna | =HYPERLINK")  # joined text starts safely
    assert row["note"] == "'@checked passport"
    assert row["reviewer"] == "maija"
    for cell in sheet[2]:
        assert cell.data_type == "s" or cell.value is None or isinstance(cell.value, int)
    with paths["csv"].open(encoding="utf-8-sig") as handle:
        csv_rows = list(csv.DictReader(handle))
    assert csv_rows[0]["note"] == "'@checked passport"
    assert "010190-9046" not in paths["csv"].read_text(encoding="utf-8-sig")
    summary = paths["summary"].read_text(encoding="utf-8")
    assert "rivejä: 1" in summary and "korkeakoulu: Test University" in summary  # Finnish
    english = write_merge_requests(tmp_path / "en", _reviewed(), _records(),
                                   institution="Test University", language="en")
    assert "rows: 1" in english["summary"].read_text(encoding="utf-8")
    swedish = write_merge_requests(tmp_path / "sv", _reviewed(), _records(), language="sv")
    assert swedish["summary"].read_text(encoding="utf-8").startswith(
        "# Begäran om sammanslagning till Utbildningsstyrelsen (OPH)\n")
    assert "summary" in book.sheetnames


def test_formula_cells_in_single_values(tmp_path: Path) -> None:
    records = _records()
    reviewed = _reviewed().iloc[:1].assign(note="=cmd|' /C calc'!A0")
    paths = write_merge_requests(tmp_path, reviewed, records)
    sheet = openpyxl.load_workbook(paths["xlsx"])["requests"]
    values = [c.value for c in sheet[2]]
    assert "'=cmd|' /C calc'!A0" in values
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)


def _unlink_row(tmp_path: Path, reason: str, explanation: str) -> tuple[list, dict]:
    """The header and first row of the unlink package written for one flagged link."""
    persons = _records().drop(columns=["tunniste"])
    flagged = pd.DataFrame(
        {
            "masterOid": ["1.2.246.562.24.100"],
            "henkiloOid": ["1.2.246.562.24.300"],
            "reason": [reason],
            "explanation": [explanation],
            "reviewer": ["pekka"],
            "decided_at": ["2026-11-27T11:00:00+00:00"],
            "note": [""],
        }
    )
    paths = write_unlink_requests(tmp_path, flagged, persons)
    sheet = openpyxl.load_workbook(paths["xlsx"])["requests"]
    header = [c.value for c in sheet[1]]
    first = next(sheet.iter_rows(min_row=2, values_only=True))
    return header, dict(zip(header, first, strict=True))


def test_unlink_package(tmp_path: Path) -> None:
    header, row = _unlink_row(tmp_path, "different birth dates", "-")
    assert header == list(UNLINK_COLUMNS)
    assert row["slaveOid"] == "1.2.246.562.24.300"
    assert row["hetu_masked"] == "010190-**** | "
    assert row["evidence"] == "different birth dates; -"


def test_templates_match_the_code(tmp_path: Path) -> None:
    write_templates(tmp_path)
    for stem, columns in (("merge_request", MERGE_COLUMNS), ("unlink_request", UNLINK_COLUMNS)):
        shipped = openpyxl.load_workbook(TEMPLATES / f"{stem}.xlsx")["requests"]
        assert [c.value for c in shipped[1]] == list(columns)
        assert (TEMPLATES / f"{stem}.csv").read_text(encoding="utf-8-sig").strip() == ",".join(
            columns
        )


class FakeLinker:
    def __init__(self) -> None:
        self.calls: list[tuple[str, list[str], bool]] = []

    def link(self, master: str, oids: list[str], *, execute: bool = False) -> tuple:
        self.calls.append((master, oids, execute))
        return (master, oids, execute)


def test_apply_merge_requests_is_a_dry_run_by_default() -> None:
    from onrtools.duplicates.request_packages import apply_merge_requests, merge_request_rows

    rows = merge_request_rows(_reviewed(), _records())
    rows = pd.concat([rows, rows.assign(group=2, suggested_master_oid="")], ignore_index=True)
    client = FakeLinker()
    apply_merge_requests(client, rows)
    assert client.calls == [("1.2.246.562.24.100", ["1.2.246.562.24.200"], False)]
    apply_merge_requests(client, rows, execute=True)
    assert client.calls[-1][2] is True and len(client.calls) == 2


def test_only_groups_of_two_onr_persons_become_merge_requests(tmp_path: Path) -> None:
    records = _records()
    records.loc[records["tunniste"] == "r2", "oid"] = "1.2.246.562.24.100"  # one ONR person
    paths = write_merge_requests(tmp_path, _reviewed(), records)
    assert len(pd.read_csv(paths["csv"], encoding="utf-8-sig")) == 0  # a local duplicate
    records.loc[records["tunniste"] == "r2", "oid"] = None  # not in ONR yet
    paths = write_merge_requests(tmp_path, _reviewed(), records)
    assert len(pd.read_csv(paths["csv"], encoding="utf-8-sig")) == 0
    paths = write_merge_requests(tmp_path, _reviewed(), _records())  # two persons: a request
    assert len(pd.read_csv(paths["csv"], encoding="utf-8-sig")) == 1


def test_unlink_evidence_says_each_thing_once(tmp_path: Path) -> None:
    _, row = _unlink_row(
        tmp_path, "olika födelsedatum; olika kön", "olika födelsedatum; samma efternamn"
    )
    assert row["evidence"] == "olika födelsedatum; olika kön; samma efternamn"
