"""onrtools.register.validation: ONR's import rules, environment guard, results, `onr validate`."""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onrtools import i18n
from onrtools.register import hetu, names, oid
from onrtools.register.read import COLUMNS, read_register
from onrtools.register.validation import main, validate_register, write_problems

TEMPLATES = Path(__file__).resolve().parents[1] / "data_templates"
BAD = Path(__file__).resolve().parent / "data" / "bad_register"

BASE = {
    "tunniste": "T1",
    "oid": "",
    "hetu": "111111-985K",
    "passinumero": "",
    "sahkoposti": "",
    "etunimet": "Matti Juhani",
    "kutsumanimi": "Matti",
    "sukunimi": "Virtanen",
    "syntymaaika": "11.11.1911",
    "sukupuoli": "1",
    "aidinkieli": "fi",
    "kansalaisuus": "246",
}


def write_rows(tmp_path: Path, rows: list[dict[str, str]], name: str = "r.csv") -> Path:
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    path = tmp_path / name
    frame.to_csv(path, sep=";", index=False)
    return path


def validate_rows(tmp_path: Path, rows: list[dict[str, str]], **kwargs: object):
    return validate_register(read_register(write_rows(tmp_path, rows)), **kwargs)  # type: ignore[arg-type]


def codes_of(result) -> set[tuple[str, str, str]]:
    return set(
        zip(
            result.problems["field"],
            result.problems["code"],
            result.problems["severity"],
            strict=True,
        )
    )


def test_clean_row_has_no_problems_and_is_sent(tmp_path: Path) -> None:
    result = validate_rows(tmp_path, [BASE])
    assert result.problems.empty and result.ok
    assert result.rows_to_send() == [
        {
            "tunniste": "T1",
            "henkilo": {
                "hetu": "111111-985K",
                "etunimet": "Matti Juhani",
                "kutsumanimi": "Matti",
                "sukunimi": "Virtanen",
                "syntymaaika": "1911-11-11",
                "sukupuoli": {"koodi": "1"},
                "aidinkieli": {"koodi": "FI"},
                "kansalaisuus": [{"koodi": "246"}],
            },
        }
    ]


# (changes to BASE, expected (field, code, severity)); each row says why
RULES = [
    ({"tunniste": ""}, ("tunniste", "tunniste.required", "error")),
    ({"etunimet": "", "kutsumanimi": ""}, ("etunimet", "etunimet.required", "error")),
    ({"kutsumanimi": ""}, ("kutsumanimi", "kutsumanimi.required", "error")),
    ({"sukunimi": ""}, ("sukunimi", "sukunimi.required", "error")),
    ({"kansalaisuus": ""}, ("kansalaisuus", "kansalaisuus.required", "error")),
    (
        {"hetu": "", "kansalaisuus": "752"},
        ("oid/hetu/passinumero/sahkoposti", "identifier.required", "error"),
    ),
    ({"hetu": "111111-985L"}, ("hetu", "invalid.hetu", "error")),  # check character
    ({"hetu": "300223A9xxx"}, ("hetu", "invalid.hetu", "error")),
    ({"hetu": "111111-985k"}, ("hetu", "hetu.normalized", "warning")),  # lower case is fixed
    ({"hetu": "", "sahkoposti": "m@example.org"}, ("hetu", "hetu.required.for.finnish", "error")),
    (
        {"hetu": "", "sahkoposti": "m@example.org", "kansalaisuus": "752;246"},
        ("hetu", "hetu.required.for.finnish", "error"),
    ),  # 246 anywhere in the list
    ({"kansalaisuus": "246;123"}, ("kansalaisuus", "invalid.kansalaisuus", "error")),
    ({"kansalaisuus": "FIN"}, ("kansalaisuus", "kansalaisuus.normalized", "warning")),
    ({"aidinkieli": "zz"}, ("aidinkieli", "invalid.aidinkieli", "error")),
    ({"aidinkieli": "swe"}, ("aidinkieli", "aidinkieli.normalized", "warning")),
    ({"sukupuoli": "M"}, ("sukupuoli", "invalid.sukupuoli", "error")),
    ({"sukupuoli": "2"}, ("sukupuoli", "sukupuoli.differs.from.hetu", "warning")),
    ({"syntymaaika": "31.2.1911"}, ("syntymaaika", "invalid.syntymaaika", "error")),
    # ONR's PUT /oppija accepts these two (it takes the birth date from the hetu): warnings
    ({"syntymaaika": "12.11.1911"}, ("syntymaaika", "syntymaaika.differs.from.hetu", "warning")),
    ({"kutsumanimi": "Juha"}, ("kutsumanimi", "kutsumanimi.must.exist.in.etunimet", "warning")),
    (
        {"kutsumanimi": "Juhani Matti"},
        ("kutsumanimi", "kutsumanimi.must.exist.in.etunimet", "warning"),
    ),
    ({"sahkoposti": "matti.example.org"}, ("sahkoposti", "invalid.sahkoposti", "error")),
    ({"sahkoposti": "matti@@example.org"}, ("sahkoposti", "invalid.sahkoposti", "error")),
    ({"oid": "1.2.246.562.24.92212175392"}, ("oid", "invalid.oid", "error")),
    (
        {"hetu": "", "kansalaisuus": "752", "passinumero": "P1", "syntymaaika": ""},
        ("hetu", "hetuless.details.missing", "warning"),
    ),
    ({"sukunimi": "=HYPERLINK(1)"}, ("sukunimi", "value.formula", "error")),
    ({"etunimet": "@Matti", "kutsumanimi": "@Matti"}, ("etunimet", "value.formula", "error")),
    ({"sukunimi": "x" * 256}, ("sukunimi", "value.too.long", "error")),
    ({"sukunimi": "Virta\x07nen"}, ("sukunimi", "invalid.character", "error")),
]


@pytest.mark.parametrize(("changes", "expected"), RULES)
def test_rules(tmp_path: Path, changes: dict[str, str], expected: tuple[str, str, str]) -> None:
    result = validate_rows(tmp_path, [{**BASE, **changes}])
    assert expected in codes_of(result)
    assert (len(result.valid_rows) == 1) is (expected[2] == "warning")
    for message in result.problems["message"]:
        assert "985K" not in message and "{" not in message


def test_accepted_variants(tmp_path: Path) -> None:
    rows = [
        {
            **BASE,
            "tunniste": "A",
            "etunimet": "Anna-Liisa Maria",
            "kutsumanimi": "Liisa",
            "hetu": "120963-969H",
            "sukupuoli": "",
            "syntymaaika": "1963-09-12",
        },
        {
            **BASE,
            "tunniste": "B",
            "hetu": "",
            "kansalaisuus": "752, 233",
            "passinumero": "P9",
            "sukupuoli": "2",
            "syntymaaika": "1.1.2000",
            "aidinkieli": "SV",
        },
        {
            **BASE,
            "tunniste": "C",
            "hetu": "",
            "kansalaisuus": "999",
            "sahkoposti": "ä@exämple",
            "sukupuoli": "1",
            "syntymaaika": "2000-01-01",
            "aidinkieli": "",
        },
        {
            **BASE,
            "tunniste": "D",
            "hetu": "170897-935L",
            "oid": "1.2.246.562.98.24707445854",
            "syntymaaika": "",
            "kutsumanimi": "matti juhani",
        },
    ]
    result = validate_rows(tmp_path, rows)
    assert result.problems.empty, result.problems.to_dict("records")
    sent = {r["tunniste"]: r["henkilo"] for r in result.rows_to_send()}
    assert sent["B"]["kansalaisuus"] == [{"koodi": "752"}, {"koodi": "233"}]
    assert sent["B"]["aidinkieli"] == {"koodi": "SV"} and "hetu" not in sent["B"]
    assert sent["C"]["sahkoposti"] == "ä@exämple" and "aidinkieli" not in sent["C"]
    assert sent["D"]["oid"] == "1.2.246.562.98.24707445854" and "syntymaaika" not in sent["D"]


def test_duplicates_name_the_first_row(tmp_path: Path) -> None:
    rows = [
        BASE,
        {**BASE, "tunniste": "T1"},
        {
            **BASE,
            "tunniste": "T3",
            "hetu": "",
            "kansalaisuus": "752",
            "passinumero": "P1",
            "sahkoposti": "a@b.fi",
        },
        {
            **BASE,
            "tunniste": "T4",
            "hetu": "",
            "kansalaisuus": "752",
            "passinumero": "P1",
            "sahkoposti": "a@b.fi",
        },
    ]
    result = validate_rows(tmp_path, rows, language="en")
    p = result.problems.set_index("code")
    assert p.loc["tunniste.duplicate", "row_number"] == 3
    assert p.loc["tunniste.duplicate", "message"] == "Same tunniste as row 2"
    assert p.loc["hetu.duplicate", "severity"] == "warning"
    assert p.loc["passinumero.duplicate", "row_number"] == 5
    assert "row 4" in p.loc["sahkoposti.duplicate", "message"]


def test_environment_guard(tmp_path: Path) -> None:
    real = hetu.generate(random.Random(3), test=False)
    rows = [
        {**BASE, "tunniste": "test"},
        {**BASE, "tunniste": "real", "hetu": real, "syntymaaika": "", "sukupuoli": ""},
    ]
    path = write_rows(tmp_path, rows)
    reg = read_register(path)
    local = validate_register(reg, target_env="local")
    assert local.problems[["tunniste", "code"]].values.tolist() == [
        ["real", "hetu.real.in.test.environment"]
    ]
    for env in ("untuva", "hahtuva", "testi"):
        assert not validate_register(reg, target_env=env).ok
    prod = validate_register(reg, target_env="prod")
    assert prod.problems[["tunniste", "code"]].values.tolist() == [
        ["test", "hetu.test.in.production"]
    ]
    assert prod.valid_rows["tunniste"].tolist() == ["real"]
    overridden = validate_register(reg, target_env="prod", override_reason="OPH asked, ticket 42")
    assert overridden.ok and overridden.override_reason == "OPH asked, ticket 42"
    assert "ticket 42" in overridden.problems["message"].iloc[0]
    assert len(overridden.valid_rows) == 2
    with pytest.raises(ValueError, match="reason"):
        validate_register(reg, target_env="prod", override_reason=" ")
    with pytest.raises(ValueError, match="unknown target"):
        validate_register(reg, target_env="staging")


def test_oid_environment_mismatch(tmp_path: Path) -> None:
    rows = [{**BASE, "oid": oid.generate_person_oid(random.Random(1), 24)}]
    result = validate_rows(tmp_path, rows, target_env="testi")
    assert ("oid", "oid.environment.mismatch", "warning") in codes_of(result)
    assert result.problems["detail"].tolist()[-1] == "prod"


def test_messages_finnish_by_default_english_on_request(tmp_path: Path) -> None:
    rows = [{**BASE, "sukupuoli": "M"}]
    fi = validate_rows(tmp_path, rows)
    en = validate_rows(tmp_path, rows, language="en")
    assert fi.problems["message"].iloc[0] == "Sukupuolen koodi on 1 (mies) tai 2 (nainen), ei M"
    assert en.problems["message"].iloc[0] == "Sex code is 1 (male) or 2 (female), not M"
    keys = [k for k in i18n.catalogue("fi") if k.startswith("validation.")]
    assert all(i18n.translate(k, "fi") != i18n.translate(k, "en") for k in keys
               if not k.startswith("validation.report.columns")), "an untranslated message"


def test_messages_in_swedish(tmp_path: Path) -> None:
    rows = [{**BASE, "sukupuoli": "M"}, {**BASE, "tunniste": "T2", "hetu": "111111-985A"},
            {**BASE, "tunniste": "T3", "hetu": "", "kansalaisuus": "752",
             "syntymaaika": "", "sukupuoli": ""}]
    sv = validate_rows(tmp_path, rows, language="sv")
    messages = sv.problems.set_index("code")["message"]
    assert messages["invalid.sukupuoli"] == "Koden för kön är 1 (man) eller 2 (kvinna), inte M"
    assert messages["invalid.hetu"] == (
        "Personbeteckningen är ogiltig: kontrolltecknet stämmer inte")
    assert messages["hetuless.details.missing"].startswith(
        "Raden utan personbeteckning saknar födelsedatum och kön;")
    assert sv.language == "sv"


def test_language_from_onr_language_and_a_bad_one_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    rows = [{**BASE, "sukupuoli": "M"}]
    monkeypatch.setenv("ONR_LANGUAGE", "sv")
    assert validate_rows(tmp_path, rows).problems["message"].iloc[0].startswith("Koden för kön")
    # the explicit parameter wins over the variable
    assert validate_rows(tmp_path, rows, language="en").language == "en"
    path = write_rows(tmp_path, rows)
    assert main([str(path)]) == 1
    assert "Koden för kön är 1 (man)" in capsys.readouterr().out
    assert main([str(path), "--lang", "fi"]) == 1
    assert "Sukupuolen koodi" in capsys.readouterr().out
    monkeypatch.setenv("ONR_LANGUAGE", "de")
    with pytest.raises(ValueError, match="ONR_LANGUAGE must be one of fi, sv, en"):
        validate_rows(tmp_path, rows)
    assert main([str(path)]) == 2
    assert "ONR_LANGUAGE must be one of fi, sv, en" in capsys.readouterr().err
    monkeypatch.delenv("ONR_LANGUAGE")
    assert main([str(path), "--lang", "de"]) == 2


def test_example_register_finds_every_planted_problem() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_examples", TEMPLATES / "make_examples.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name in ("henkilot_example.csv", "henkilot_example.xlsx"):
        result = validate_register(read_register(TEMPLATES / name))
        found = set(zip(result.problems["row_number"], result.problems["code"], strict=True))
        for index, (_, code) in module.PLANTED.items():
            assert (index + 2, code) in found, (name, index, code)
        assert result.problems["row_number"].nunique() == len(module.PLANTED)


def test_every_row_is_valid_or_has_a_problem() -> None:
    reg = read_register(BAD / "ragged_rows.csv")
    result = validate_register(reg)
    accounted = set(result.valid_rows["row_number"]) | set(result.problems["row_number"])
    assert accounted == {2, 3, 4, 5}
    assert result.rows_total == 4


def test_one_megabyte_cell_is_a_row_problem(tmp_path: Path) -> None:
    rows = [
        {**BASE, "etunimet": "M" * 1_000_000},
        {**BASE, "tunniste": "T2", "hetu": "120963-969H", "syntymaaika": "", "sukupuoli": ""},
    ]
    result = validate_rows(tmp_path, rows)
    assert ("etunimet", "value.too.long", "error") in codes_of(result)
    assert result.problems["message"].str.len().max() < 200
    assert result.valid_rows["tunniste"].tolist() == ["T2"]


def test_nul_byte_file() -> None:
    result = validate_register(read_register(BAD / "nul_byte.csv"))
    assert ("etunimet", "invalid.character", "error") in codes_of(result)
    assert result.valid_rows["tunniste"].tolist() == ["T2"]


def test_formula_file_and_problems_out_defused(tmp_path: Path) -> None:
    result = validate_register(read_register(BAD / "formula_cells.csv"))
    assert {"value.formula"} <= set(result.problems["code"])
    assert len(result.valid_rows) == 0
    out = tmp_path / "p.csv"
    write_problems(result, out)
    text = out.read_text(encoding="utf-8-sig")
    assert "row_number;tunniste;field;code;severity;message" in text
    for line in text.splitlines()[1:]:
        for cell in line.split(";"):
            assert not cell.startswith(("=", "+", "-", "@"))


def test_summary_counts(tmp_path: Path) -> None:
    rows = [{**BASE, "tunniste": f"T{i}", "sukupuoli": "X"} for i in range(3)]
    summary = validate_rows(tmp_path, rows).summary()
    assert summary.to_dict("records")[0] == {
        "code": "invalid.sukupuoli",
        "severity": "error",
        "count": 3,
    }


# --- property: vectorised rules agree with the scalar ones, nothing is lost -------------------

name_parts = st.sampled_from(
    ["Anna", "Liisa", "Anna-Liisa", "Maria", "Kaisa", "anna", "Liisa Maria"]
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(st.lists(name_parts, min_size=1, max_size=3), name_parts, st.integers(0, 2**31)),
        min_size=1,
        max_size=25,
    )
)
def test_vectorised_rules_match_scalar(tmp_path: Path, rows_spec: list) -> None:
    rows = []
    for i, (firsts, kutsu, seed) in enumerate(rows_spec):
        rng = random.Random(seed)
        code = hetu.generate(rng)
        if seed % 3 == 0:
            code = code[:10] + ("A" if code[10] != "A" else "B")
        rows.append(
            {
                **BASE,
                "tunniste": f"T{i}",
                "hetu": code,
                "etunimet": " ".join(firsts),
                "kutsumanimi": kutsu,
                "syntymaaika": "",
                "sukupuoli": "",
            }
        )
    result = validate_rows(tmp_path, rows)
    problems = set(zip(result.problems["tunniste"], result.problems["code"], strict=True))
    for row in rows:
        t = row["tunniste"]
        assert ((t, "invalid.hetu") in problems) is (not hetu.is_valid(row["hetu"]))
        kutsu_ok = names.kutsumanimi_valid(row["kutsumanimi"], row["etunimet"])
        assert ((t, "kutsumanimi.must.exist.in.etunimet") in problems) is (not kutsu_ok)
    assert len(result.valid_rows) + result.error_rows == len(rows)


def test_large_generated_register_accounts_for_every_row(tmp_path: Path) -> None:
    rng = random.Random(11)
    rows = []
    for i in range(5000):
        row = {
            **BASE,
            "tunniste": f"T{i}",
            "hetu": hetu.generate(rng),
            "syntymaaika": "",
            "sukupuoli": "",
        }
        if i % 97 == 0:
            row["hetu"] = row["hetu"][:-1] + "Z"
        if i % 89 == 0:
            row["kansalaisuus"] = "246;000"
        rows.append(row)
    result = validate_rows(tmp_path, rows)
    error_rows = set(result.problems.loc[result.problems["severity"] == "error", "row_number"])
    assert error_rows.isdisjoint(set(result.valid_rows["row_number"]))
    assert len(error_rows) + len(result.valid_rows) == 5000
    assert (result.problems["code"] == "invalid.hetu").sum() == len(range(0, 5000, 97))


# --- command line ------------------------------------------------------------------------------


def test_cli_exit_codes_and_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clean = write_rows(tmp_path, [BASE], "clean.csv")
    assert main([str(clean)]) == 0
    assert "Ei ongelmia." in capsys.readouterr().out
    example = TEMPLATES / "henkilot_example.csv"
    out_file = tmp_path / "problems.csv"
    assert main([str(example), "--lang", "en", "--problems-out", str(out_file)]) == 1
    out = capsys.readouterr().out
    assert "Problems per code:" in out and "invalid.hetu" in out
    full_hetus = read_register(example).frame["hetu"]
    assert not any(h and h in out for h in full_hetus)
    assert out_file.exists()
    assert main([str(BAD / "empty.csv")]) == 2
    assert "empty.csv: tiedosto on tyhjä" in capsys.readouterr().err  # Finnish, the default
    assert main([str(clean), "--target", "nowhere"]) == 2
    assert main(["--lang", "xx", str(clean)]) == 2


@pytest.mark.parametrize("name", sorted(p.name for p in BAD.iterdir()))
def test_cli_never_tracebacks_on_bad_files(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main([str(BAD / name)])
    captured = capsys.readouterr()
    assert code in {0, 1, 2}
    assert "Traceback" not in captured.out + captured.err


def test_raise_for_errors_and_guard_rows(tmp_path: Path) -> None:
    from onrtools.errors import EnvironmentGuardError, ValidationFailed
    from onrtools.register.validation import guard_rows

    result = validate_rows(tmp_path, [BASE, {**BASE, "tunniste": "T2", "sukupuoli": "M"}])
    with pytest.raises(ValidationFailed, match="1 of 2 rows") as info:
        result.raise_for_errors()
    assert (info.value.problems["severity"] == "error").sum() == 1
    validate_rows(tmp_path, [BASE]).raise_for_errors()  # no errors: nothing raised
    rows = validate_rows(tmp_path, [BASE]).rows_to_send()
    guard_rows(rows, "local")
    with pytest.raises(EnvironmentGuardError, match="1 rows with test-range hetus") as guard:
        guard_rows(rows, "prod")
    assert "985K" not in str(guard.value) and "T1" in str(guard.value)
    guard_rows(rows, "prod", override_reason="rehearsal on a copy, ticket 7")
    real = [{"tunniste": "R", "henkilo": {"hetu": hetu.generate(random.Random(1), test=False)}}]
    with pytest.raises(EnvironmentGuardError, match="test environment untuva"):
        guard_rows(real, "untuva")
    guard_rows(real, "prod")
    guard_rows([{"tunniste": "P", "henkilo": {"passinumero": "X"}}], "prod")


def test_hetus_in_free_text_are_masked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # a shifted column: the hetu landed in sukupuoli and syntymaaika; tunniste is a hetu too
    row = {
        **BASE,
        "tunniste": "120963-969H",
        "sukupuoli": "111111-985K",
        "syntymaaika": "x 111111-985K",
    }
    path = write_rows(tmp_path, [row])
    result = validate_register(read_register(path))
    text = " ".join(result.problems["detail"]) + " ".join(result.problems["message"])
    assert "985K" not in text and "111111-****" in text
    assert result.problems["tunniste"].iloc[0] == "120963-969H"  # the join key stays intact
    main([str(path)])
    out = capsys.readouterr().out
    assert "985K" not in out and "969H" not in out and "120963-****" in out


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"syntymaaika": "12.11.1911"}, "syntymaaika.differs.from.hetu"),
        ({"kutsumanimi": "Juha"}, "kutsumanimi.must.exist.in.etunimet"),
    ],
)
def test_rules_onr_does_not_enforce_are_warnings_unless_strict(
    tmp_path: Path, changes: dict[str, str], code: str
) -> None:
    lenient = validate_rows(tmp_path, [{**BASE, **changes}], language="en")
    assert lenient.ok and len(lenient.valid_rows) == 1  # the row is sent
    assert list(lenient.problems["severity"]) == ["warning"]
    if code.startswith("syntymaaika"):
        assert "ONR takes the birth date from the hetu" in lenient.problems["message"].iat[0]
    strict = validate_rows(tmp_path, [{**BASE, **changes}], strict=True)
    assert not strict.ok and len(strict.valid_rows) == 0
    assert list(zip(strict.problems["code"], strict.problems["severity"], strict=True)) == [
        (code, "error")
    ]
    assert main([str(write_rows(tmp_path, [{**BASE, **changes}])), "--strict"]) == 1
    assert main([str(write_rows(tmp_path, [{**BASE, **changes}]))]) == 0


def test_yleistunniste_mode_checks_that_apis_rules(tmp_path: Path) -> None:
    rows = [
        {**BASE, "tunniste": "ok", "etunimet": "Anna-Liisa Milla", "kutsumanimi": "liisa",
         "kansalaisuus": ""},
        {**BASE, "tunniste": "two-words", "kutsumanimi": "Matti Juhani"},
        {**BASE, "tunniste": "no-hetu", "hetu": "", "passinumero": "XP123", "kansalaisuus": "752"},
        {**BASE, "tunniste": "spaces", "sukunimi": "Vir  tanen"},
        {**BASE, "tunniste": "part", "kutsumanimi": "Matt"},
    ]
    result = validate_rows(tmp_path, rows, api="yleistunniste")
    errors = result.problems[result.problems["severity"] == "error"]
    assert set(zip(errors["tunniste"], errors["field"], errors["code"], strict=True)) == {
        ("two-words", "kutsumanimi", "kutsumanimi.single.word"),
        ("no-hetu", "hetu", "hetu.required"),
        ("spaces", "sukunimi", "invalid.name.format"),
        ("part", "kutsumanimi", "kutsumanimi.not.a.first.name"),
    }
    assert list(result.valid_rows["tunniste"]) == ["ok"]
    # the same rows by PUT /oppija's rules: the passport row and the two-word name pass, the
    # row without a nationality does not
    oppija = validate_rows(tmp_path, rows)
    assert {"two-words", "no-hetu"} <= set(oppija.valid_rows["tunniste"])
    assert "ok" not in set(oppija.valid_rows["tunniste"])
