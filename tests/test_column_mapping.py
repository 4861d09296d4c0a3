"""Registers as institutions export them: the user says which column is which ONR field, and
an XLSX whose first sheet is a guide is read from the sheet that holds the register."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import Workbook

from onrtools.errors import RegisterReadError
from onrtools.pipeline.run import load_config
from onrtools.register.read import column_mapping, parse_column_mapping, read_register

HR_HEADER = "Employee ID;Henkilötunnus;Etunimet;Kutsumanimi;Sukunimi;Kansalaisuus"
HR_ROW = "E-17;111111-985K;Matti Juhani;Matti;Meikäläinen;246"


def hr_export(tmp_path: Path) -> Path:
    path = tmp_path / "hr.csv"
    path.write_text(f"{HR_HEADER}\n{HR_ROW}\n", encoding="utf-8")
    return path


def test_an_unknown_id_column_is_refused_with_the_mapping_to_write(tmp_path: Path) -> None:
    with pytest.raises(RegisterReadError) as err:
        read_register(hr_export(tmp_path))
    message = str(err.value)
    assert "missing required columns: tunniste" in message
    assert '--column "Employee ID=tunniste"' in message  # the nearest header, in the syntax
    assert "[columns]" in message and err.value.field == "tunniste"


def test_the_users_mapping_reads_it(tmp_path: Path) -> None:
    reg = read_register(hr_export(tmp_path), columns={"Employee ID": "tunniste"})
    assert reg.frame["tunniste"].tolist() == ["E-17"]
    assert reg.source.column_map["Employee ID"] == "tunniste"
    assert "'Employee ID' -> tunniste" in reg.source.describe()
    # the header is matched as the known names are: case and spacing do not matter
    again = read_register(hr_export(tmp_path), columns={"employee id": "tunniste"})
    assert again.frame["tunniste"].tolist() == ["E-17"]


def test_the_users_mapping_wins_over_a_known_name(tmp_path: Path) -> None:
    path = tmp_path / "two.csv"
    path.write_text("Tunniste;Employee ID;Henkilötunnus;Etunimet;Kutsumanimi;Sukunimi;"
                    "Kansalaisuus\nold-1;E-17;111111-985K;Matti;Matti;Meikäläinen;246\n",
                    encoding="utf-8")
    reg = read_register(path, columns={"Employee ID": "tunniste"})
    assert reg.frame["tunniste"].tolist() == ["E-17"]
    assert "Tunniste" in reg.source.ignored_columns


@pytest.mark.parametrize(("columns", "message"), [
    ({"Employee ID": "tunnus"}, "'tunnus' is not an ONR field"),
    ({"Staff number": "tunniste"}, "the file has no column 'Staff number'"),
])
def test_a_wrong_mapping_says_what_is_wrong(tmp_path: Path, columns: dict[str, str],
                                            message: str) -> None:
    with pytest.raises(RegisterReadError, match=message):
        read_register(hr_export(tmp_path), columns=columns)


def test_parse_column_mapping() -> None:
    assert parse_column_mapping(["Employee ID=tunniste", "a=b=etunimet"]) == \
        {"Employee ID": "tunniste", "a=b": "etunimet"}
    with pytest.raises(ValueError, match="FILE COLUMN=onr_field"):
        parse_column_mapping(["Employee ID"])


def guided_workbook(tmp_path: Path, *, register_sheet: bool = True) -> Path:
    book = Workbook()
    guide = book.active
    guide.title = "Ohje"
    guide.append(["Tämä välilehti on ohje."])
    guide.append(["Henkilöt ovat välilehdellä Henkilöt."])
    people = book.create_sheet("Henkilöt")
    header = HR_HEADER.split(";")
    if register_sheet:
        header[0] = "Tunniste"
    people.append(header)
    people.append(HR_ROW.split(";"))
    book.create_sheet("Muistiinpanot").append(["muistiinpano"])
    path = tmp_path / "register.xlsx"
    book.save(path)
    return path


def test_xlsx_reads_the_first_sheet_whose_columns_map(tmp_path: Path) -> None:
    reg = read_register(guided_workbook(tmp_path))
    assert reg.source.sheet == "Henkilöt"
    assert reg.source.other_sheets == ("Ohje", "Muistiinpanot")
    assert reg.frame["tunniste"].tolist() == ["E-17"]
    assert reg.source.describe("en")[0] == \
        "sheet 'Henkilöt' (not read: 'Ohje', 'Muistiinpanot')"
    assert reg.source.describe()[0] == "välilehti 'Henkilöt' (ei luettu: 'Ohje', 'Muistiinpanot')"
    assert reg.source.describe("sv")[0].startswith("flik 'Henkilöt' (inte inläst: ")


def test_xlsx_without_a_mapping_sheet_names_the_sheets_and_sheet(tmp_path: Path) -> None:
    path = guided_workbook(tmp_path, register_sheet=False)
    with pytest.raises(RegisterReadError) as err:
        read_register(path)
    message = str(err.value)
    assert "'Ohje'" in message and "'Henkilöt'" in message and "--sheet" in message
    reg = read_register(path, columns={"Employee ID": "tunniste"})  # the mapping finds it
    assert reg.source.sheet == "Henkilöt"


def test_onr_validate_takes_column_and_prints_the_mapping(tmp_path: Path) -> None:
    path = hr_export(tmp_path)
    done = subprocess.run([sys.executable, "-m", "onrtools.cli", "validate", str(path),
                           "--column", "Employee ID=tunniste", "--lang", "en"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode in (0, 1), done.stderr
    assert "'Employee ID' -> tunniste" in done.stdout
    assert "'Henkilötunnus' -> hetu" in done.stdout
    refused = subprocess.run([sys.executable, "-m", "onrtools.cli", "validate", str(path)],
                             capture_output=True, text=True, timeout=120, check=False)
    assert refused.returncode == 2 and '--column "Employee ID=tunniste"' in refused.stderr


def test_run_config_columns_table(tmp_path: Path) -> None:
    config = tmp_path / "run.toml"
    config.write_text('register_file = "hr.csv"\n[columns]\n"Employee ID" = "tunniste"\n',
                      encoding="utf-8")
    common, _ = load_config(config)
    assert common == {"register_file": "hr.csv", "columns": "Employee ID=tunniste"}
    assert column_mapping(common["columns"]) == {"Employee ID": "tunniste"}
    assert column_mapping("Employee ID=tunniste;\n Nro = oid ") == \
        {"Employee ID": "tunniste", "Nro": "oid"}
    assert column_mapping("") == {} and column_mapping({"a ": " oid"}) == {"a": "oid"}
