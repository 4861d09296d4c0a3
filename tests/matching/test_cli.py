"""`onr duplicates FILE` prints the suspected pairs of a register file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from onrtools.cli import main


def test_onr_duplicates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    register = tmp_path / "register.csv"
    pd.DataFrame([
        {"tunniste": "1", "etunimet": "Anna-Liisa", "sukunimi": "Meikäläinen",
         "syntymaaika": "1995-03-07"},
        {"tunniste": "2", "etunimet": "Anna Liisa", "sukunimi": "Meikalainen",
         "syntymaaika": "1995-03-07"},
        {"tunniste": "3", "etunimet": "Pekka", "sukunimi": "Aho", "syntymaaika": "1980-01-01"},
    ]).to_csv(register, index=False)
    assert main(["duplicates", str(register)]) == 0
    out, err = capsys.readouterr()
    lines = out.strip().splitlines()
    assert lines[0] == "tunniste_l,tunniste_r,probability,decision,explanation"
    assert len(lines) == 2 and lines[1].startswith("1,2,") and ",match," in lines[1]
    assert "3 records: 1 match" in err

    out_file = tmp_path / "pairs.csv"
    assert main(["duplicates", str(register), "--out", str(out_file), "--keep", "all"]) == 0
    assert len(pd.read_csv(out_file)) == 1
