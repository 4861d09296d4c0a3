"""A register file that cannot be read at all: RegisterReadError's message is a catalogue key and
its fields, shown in fi, sv or en by whoever shows it (`onr validate`, the pipeline's step 10);
str(exc) stays English for logs (issue #14, point 3)."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook

from onrtools import i18n
from onrtools.errors import RegisterReadError
from onrtools.register.columns import MISSING_COLUMNS, map_headers, parse_column_mapping
from onrtools.register.read import read_register
from onrtools.register.validation import main

CORPUS = Path(__file__).resolve().parent / "data" / "bad"
HR = ("Employee ID;Henkilötunnus;Etunimet;Kutsumanimi;Sukunimi;Kansalaisuus\n"
      "E-17;010190-9732;Aino Maria;Aino;Virtanen;246\n")


def _write(tmp_path: Path, name: str, data: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def _workbook(tmp_path: Path, sheets: dict[str, list[list[str]]]) -> Path:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        ws = book.create_sheet(title)
        for row in rows:
            ws.append(row)
    path = tmp_path / "book.xlsx"
    book.save(path)
    return path


# one way to reach each raise site: (the key raised, how to raise it)
CASES: dict[str, tuple[str, Callable[[Path], object]]] = {
    "no_file": ("register.read.no_file", lambda t: read_register(t / "nope.csv")),
    "directory": ("register.read.cannot_read", lambda t: read_register(t)),
    "empty": ("register.read.empty", lambda t: read_register(_write(t, "e.csv", " \n"))),
    "empty_utf16": ("register.read.empty", lambda t: read_register(
        _write(t, "e16.csv", b"\xff\xfe" + " \n x".encode("utf-16-le")[:-2]))),
    "header_only": ("register.read.no_rows", lambda t: read_register(
        _write(t, "h.csv", HR.splitlines()[0] + "\n"), columns={"Employee ID": "tunniste"})),
    "xls": ("register.read.xls", lambda t: read_register(
        _write(t, "old.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 10))),
    "utf16": ("register.read.utf16", lambda t: read_register(CORPUS / "utf16_broken.csv")),
    "mixed": ("register.read.mixed_encoding",
              lambda t: read_register(CORPUS / "mixed_encoding.csv")),
    "encoding": ("register.read.unknown_encoding",
                 lambda t: read_register(CORPUS / "latin1_undecodable.csv")),
    "nul": ("register.read.not_text", lambda t: read_register(CORPUS / "nul_flood.csv")),
    "csv": ("register.read.csv", lambda t: read_register(CORPUS / "json_instead.csv")),
    "xlsx": ("register.read.xlsx", lambda t: read_register(CORPUS / "truncated.xlsx")),
    "no_sheet": ("register.read.no_sheet", lambda t: read_register(
        _workbook(t, {"a": [["x"]], "b": [["y"]]}), sheet="x")),
    "sheet_empty": ("register.read.sheet_empty",
                    lambda t: read_register(_workbook(t, {"tyhjä": []}))),
    "no_mapping_sheet": ("register.read.no_mapping_sheet", lambda t: read_register(
        _workbook(t, {"Ohje": [], "Henkilöt": [["Nimi", "Numero"], ["Aino", "1"]]}))),
    "not_a_field": ("register.read.mapping.not_a_field", lambda t: read_register(
        _write(t, "hr.csv", HR), columns={"Employee ID": "tunnus"})),
    "no_column": ("register.read.mapping.no_column", lambda t: read_register(
        _write(t, "hr.csv", HR), columns={"Staff number": "tunniste"})),
    "mapping_syntax": ("register.read.mapping.syntax",
                       lambda t: parse_column_mapping(["Employee ID"])),
    "doubled": ("register.read.doubled", lambda t: read_register(
        _write(t, "hr.csv", HR), columns={"Employee ID": "tunniste", "Etunimet": "tunniste"})),
    "doubled_at": ("register.read.doubled_at",
                   lambda t: read_register(CORPUS / "duplicated_header_alias.csv")),
    "suggest": (MISSING_COLUMNS, lambda t: read_register(_write(t, "hr.csv", HR))),
    "one_column": (MISSING_COLUMNS, lambda t: read_register(CORPUS / "pipe_separated.csv")),
    "example": (MISSING_COLUMNS, lambda t: read_register(
        _write(t, "q.csv", "qqq;zzz;hetu\n1;2;010190-9732\n"))),
    "nothing": (MISSING_COLUMNS, lambda t: map_headers([], "x.csv")),
}


def _raised(case: str, tmp_path: Path) -> RegisterReadError:
    key, make = CASES[case]
    with pytest.raises(RegisterReadError) as caught:
        make(tmp_path)
    assert caught.value.key == key, (case, caught.value.key, str(caught.value))
    return caught.value


def _keys(value: object) -> set[str]:
    """Every catalogue key in an error's fields, nested Messages included."""
    if isinstance(value, i18n.Message):
        return {value.key} | _keys(list(value.fields.values()))
    if isinstance(value, (list, tuple)):
        return set().union(*map(_keys, value)) if value else set()
    return set()


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_raise_site_renders_in_all_three_languages(case: str, tmp_path: Path) -> None:
    error = _raised(case, tmp_path)
    texts = {language: error.render(language) for language in i18n.LANGUAGES}
    assert str(error) == texts["en"], "str() is the English text"
    for language, text in texts.items():
        assert text.strip() and "{" not in text.replace("{}", ""), (language, text)
        if error.path:
            assert text.startswith(f"{error.path}: "), text  # the file is named first
    assert texts["fi"] != texts["en"] and texts["sv"] != texts["en"] and \
        texts["fi"] != texts["sv"], texts
    again = pickle.loads(pickle.dumps(error))  # a worker process may send it back
    assert (again.key, again.fields, str(again), again.path, again.field) == (
        error.key, error.fields, str(error), error.path, error.field)


def test_the_cases_use_every_register_read_key(tmp_path: Path) -> None:
    used: set[str] = set()
    for case in CASES:
        error = _raised(case, tmp_path / case if case != "directory" else tmp_path)
        used |= {error.key} | _keys(list(error.fields.values()))
    defined = {k for k in i18n.catalogue("fi") if k.startswith("register.read.")}
    assert defined - used == set(), "keys no case shows (unused, or a case missing)"
    assert used <= defined


@pytest.fixture(autouse=True)
def _case_folders(tmp_path: Path) -> None:
    for case in CASES:
        (tmp_path / case).mkdir()


def test_default_language_is_finnish_then_onr_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    error = _raised("no_file", tmp_path)
    assert str(error).endswith("nope.csv: no such file")
    assert error.render().endswith(": tiedostoa ei ole")
    monkeypatch.setenv("ONR_LANGUAGE", "sv")
    assert error.render().endswith(": filen finns inte")
    assert error.render("en").endswith(": no such file")  # the parameter wins
    swedish = error.in_language("sv")
    assert isinstance(swedish, RegisterReadError) and str(swedish).endswith("filen finns inte")
    assert (swedish.key, swedish.path) == (error.key, error.path)


def test_missing_columns_in_three_languages(tmp_path: Path) -> None:
    error = _raised("suggest", tmp_path)
    assert error.field == "tunniste"
    fi, sv, en = (error.render(language) for language in ("fi", "sv", "en"))
    assert "puuttuvat pakolliset sarakkeet: tunniste" in fi
    assert 'Sarakkeen voi nimetä näin: --column "Employee ID=tunniste"' in fi
    assert "Tiedoston sarakkeet: 'Employee ID', 'Henkilötunnus'" in fi
    assert "obligatoriska kolumner saknas: tunniste" in sv
    assert '--column "Employee ID=tunniste"' in sv and "Kolumner i filen:" in sv
    assert "missing required columns: tunniste" in en and "Found columns:" in en
    example = _raised("example", tmp_path)
    assert '--column "TIEDOSTON SARAKE=tunniste"' in example.render("fi")
    assert '--column "KOLUMN I FILEN=tunniste"' in example.render("sv")
    assert '--column "FILE COLUMN=tunniste"' in str(example)


def test_every_sheet_and_why_in_the_readers_language(tmp_path: Path) -> None:
    """The per-sheet reasons are Messages too: a Swedish reader gets no Finnish or English."""
    error = _raised("no_mapping_sheet", tmp_path)
    reasons = error.fields["reasons"]
    assert [r.fields["sheet"] for r in reasons] == ["'Ohje'", "'Henkilöt'"]
    sv = error.render("sv")
    assert "'Ohje': tom (ingen rubrikrad)" in sv
    assert "'Henkilöt': obligatoriska kolumner saknas: tunniste, etunimet" in sv
    assert "Ange fliken med --sheet (flikarna: 'Ohje', 'Henkilöt')" in sv
    fi = error.render("fi")
    assert "'Ohje': tyhjä (ei otsikkoriviä)" in fi and "--sheet" in fi
    en = str(error)
    assert "'Ohje': empty (no header row); 'Henkilöt': missing required columns" in en
    assert "Found columns" not in en  # only what is missing per sheet, the hint once


# --- where a person reads it --------------------------------------------------------------------


def test_onr_validate_missing_file_in_the_chosen_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    missing = str(tmp_path / "nope.csv")
    assert main([missing]) == 2
    assert capsys.readouterr().err == f"onr validate: {missing}: tiedostoa ei ole\n"
    assert main([missing, "--language", "sv"]) == 2
    assert capsys.readouterr().err == f"onr validate: {missing}: filen finns inte\n"
    assert main([missing, "--lang", "en"]) == 2
    assert capsys.readouterr().err == f"onr validate: {missing}: no such file\n"
    monkeypatch.setenv("ONR_LANGUAGE", "sv")
    assert main([missing]) == 2
    assert "filen finns inte" in capsys.readouterr().err
    assert main([missing, "--language", "fi"]) == 2  # the option wins over ONR_LANGUAGE
    assert "tiedostoa ei ole" in capsys.readouterr().err


def test_onr_validate_missing_columns_in_the_chosen_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    path = str(_write(tmp_path, "hr.csv", HR))
    assert main([path]) == 2
    err = capsys.readouterr().err
    assert "puuttuvat pakolliset sarakkeet: tunniste" in err
    assert 'Sarakkeen voi nimetä näin: --column "Employee ID=tunniste"' in err
    assert len(err.strip().splitlines()) == 1
    assert main([path, "--language", "sv"]) == 2
    assert "obligatoriska kolumner saknas: tunniste" in capsys.readouterr().err
    monkeypatch.setenv("ONR_LANGUAGE", "sv")
    assert main([path]) == 2
    assert "obligatoriska kolumner saknas: tunniste" in capsys.readouterr().err


def _local_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str):  # noqa: ANN202
    """A run directory whose validation step needs no ONR settings (environment "local")."""
    from onrtools.pipeline import step10_validate
    from onrtools.pipeline.rundir import RunDir

    monkeypatch.setattr(step10_validate, "run_environment", lambda *a, **k: "local")
    monkeypatch.setattr(step10_validate, "settings", lambda *a, **k: None)
    return RunDir.open(name, workspace=tmp_path / "ws", reports_dir=tmp_path / "rep")


def test_the_pipeline_step_raises_it_in_the_runs_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Notebook 10's page shows the exception's own text, and so does the run summary."""
    from onrtools.pipeline import steps

    run = _local_run(tmp_path, monkeypatch, "read-error")
    missing = str(tmp_path / "nope.csv")
    with pytest.raises(RegisterReadError, match="filen finns inte$") as caught:
        steps.validate(run, missing, language="sv")
    assert caught.value.key == "register.read.no_file"
    assert caught.value.render("en").endswith("no such file")
    with pytest.raises(RegisterReadError, match="tiedostoa ei ole$"):
        steps.validate(run, missing)  # no language, no ONR_LANGUAGE: Finnish


def test_a_badly_written_column_mapping_is_a_keyed_message(tmp_path: Path) -> None:
    """`--column "X"` (no `=`): ColumnMappingError, a RegisterReadError (key, fields, render)
    and still a ValueError; English in str() for logs."""
    from onrtools.errors import ColumnMappingError
    from onrtools.register.columns import column_mapping

    with pytest.raises(ColumnMappingError) as caught:
        parse_column_mapping(["Employee ID"])
    exc = caught.value
    assert isinstance(exc, ValueError) and isinstance(exc, RegisterReadError)
    assert (exc.key, exc.fields) == ("register.read.mapping.syntax", {"given": "'Employee ID'"})
    assert str(exc).startswith("column mapping 'Employee ID': write it as")
    assert exc.render("sv").startswith("kolumnangivelsen 'Employee ID': skriv den som")
    assert exc.render("fi").startswith("sarakemääritys 'Employee ID': kirjoita se muodossa")
    assert pickle.loads(pickle.dumps(exc)).render("sv") == exc.render("sv")
    with pytest.raises(ColumnMappingError, match="=tunniste'"):
        column_mapping("Employee ID=tunniste; =tunniste")  # the `[columns]` / parameter form


def test_onr_validate_bad_column_option_in_the_chosen_language(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    path = str(_write(tmp_path, "hr.csv", HR))
    assert main([path, "--column", "Employee ID", "--language", "sv"]) == 2
    assert capsys.readouterr().err.startswith(
        "onr validate: kolumnangivelsen 'Employee ID': skriv den som")
    assert main([path, "--column", "Employee ID"]) == 2
    assert "sarakemääritys 'Employee ID': kirjoita se muodossa" in capsys.readouterr().err


def test_the_pipeline_step_says_a_bad_columns_parameter_in_the_runs_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Notebook 10's `columns` parameter (or the config's `[columns]`) written wrong."""
    from onrtools.pipeline import steps

    run = _local_run(tmp_path, monkeypatch, "mapping-error")
    path = str(_write(tmp_path, "hr.csv", HR))
    with pytest.raises(RegisterReadError, match="^kolumnangivelsen 'Employee ID': skriv"):
        steps.validate(run, path, language="sv", columns="Employee ID")
