"""onrtools.i18n: one catalogue per language, every key in all three, the language chosen once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from onrtools import i18n

LANGUAGES = ("fi", "sv", "en")


def parsed(language: str):  # noqa: ANN201 - babel's Catalog
    with i18n.catalogue_path(language).open("rb") as handle:
        return read_po(handle, locale=language)


def test_there_are_three_catalogues_in_the_package() -> None:
    assert i18n.LANGUAGES == LANGUAGES and i18n.DEFAULT_LANGUAGE == "fi"
    for language in LANGUAGES:
        path = i18n.catalogue_path(language)
        assert path.is_file(), path
        assert path.is_relative_to(Path(i18n.__file__).parent)


def test_every_key_is_in_all_three_with_a_text_and_the_same_placeholders() -> None:
    keys = {language: set(i18n.catalogue(language)) for language in LANGUAGES}
    assert len(keys["fi"]) > 200
    for language in ("sv", "en"):
        assert keys[language] == keys["fi"], (
            f"only in fi: {sorted(keys['fi'] - keys[language])}; "
            f"only in {language}: {sorted(keys[language] - keys['fi'])}")
    for key in keys["fi"]:
        assert re.fullmatch(r"[a-z0-9_]+(\.[a-z0-9_ -]+)+", key), key
        fields = i18n.placeholders(i18n.catalogue("fi")[key])
        for language in LANGUAGES:
            text = i18n.catalogue(language)[key]
            assert text.strip() or (key.endswith(".thousands") and text), \
                f"{key} is empty in {language}"  # a thousands separator may be a space
            assert i18n.placeholders(text) == fields, (key, language)


def test_no_fuzzy_obsolete_or_duplicate_entries() -> None:
    for language in LANGUAGES:
        catalogue = parsed(language)
        assert not catalogue.fuzzy, f"{language}: the header is marked fuzzy"
        assert not catalogue.obsolete, f"{language}: obsolete entries {list(catalogue.obsolete)}"
        for message in catalogue:
            if message.id:
                assert not message.fuzzy, f"{language}: {message.id} is fuzzy"
        ids = re.findall(r'^msgid "(.+)"$', i18n.catalogue_path(language).read_text("utf-8"),
                         flags=re.M)
        assert len(ids) == len(set(ids)), f"{language}: a key twice"
        assert catalogue.locale is not None and str(catalogue.locale) == language


def test_the_swedish_catalogue_names_its_terms_and_uses_them() -> None:
    header = parsed("sv").header_comment
    assert "personbeteckning" in header and "studentnummer" in header
    swedish = " ".join(i18n.catalogue("sv").values()).lower()
    assert "personbeteckning" in swedish and "studentnummer" in swedish
    for word in ("henkilötunnus", "oppijanumeroa", "hetus", "social security"):
        assert word not in swedish, word


def test_translate_fills_placeholders_and_names_a_missing_key() -> None:
    assert i18n.translate("validation.required", "sv", field="sukunimi") == (
        "Det obligatoriska fältet sukunimi är tomt")
    assert i18n.Messages("en")("validation.report.first", n=3) == "First 3 problems:"
    with pytest.raises(KeyError, match="no message 'no.such.key' in the fi catalogue"):
        i18n.translate("no.such.key", "fi")
    assert i18n.translate_or("no.such.key", "fallback", "sv") == "fallback"


def test_a_message_is_rendered_late_with_its_fields_in_words_too() -> None:
    """A Message keeps a key and fields; fields that are Messages (or lists of them) are
    rendered in the same language, lists of data joined with ", "."""
    reason = i18n.Message("register.read.sheet_reason", sheet="'Ohje'",
                          reason=i18n.Message("register.read.sheet_no_header"))
    missing = i18n.Message("register.read.columns.missing", columns=["tunniste", "sukunimi"])
    assert missing.render("sv") == "obligatoriska kolumner saknas: tunniste, sukunimi"
    assert reason.render("fi") == "'Ohje': tyhjä (ei otsikkoriviä)"
    assert i18n.render_field([reason, missing], "en") == (
        "'Ohje': empty (no header row); missing required columns: tunniste, sukunimi")
    assert reason == i18n.Message("register.read.sheet_reason", sheet="'Ohje'",
                                  reason=i18n.Message("register.read.sheet_no_header"))
    assert "register.read.sheet_reason" in repr(reason)


def test_language_explicit_then_onr_language_then_finnish(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ONR_LANGUAGE", raising=False)
    assert i18n.resolve_language(None) == "fi" and i18n.resolve_language("") == "fi"
    assert i18n.resolve_language(" SV ") == "sv"
    monkeypatch.setenv("ONR_LANGUAGE", "en")
    assert i18n.resolve_language(None) == "en" and i18n.resolve_language("") == "en"
    assert i18n.resolve_language("sv") == "sv"  # the parameter wins
    assert i18n.Messages().language == "en"
    assert i18n.translate("kpi.verdict.better") == "better"
    assert i18n.resolve_language(None, environ={}) == "fi"


@pytest.mark.parametrize(("explicit", "environ", "named"), [
    ("de", {}, "language"), ("finnish", {}, "language"), ("", {"ONR_LANGUAGE": "se"},
                                                          "ONR_LANGUAGE"),
])
def test_a_bad_language_is_refused_naming_the_allowed_ones(
    explicit: str, environ: dict[str, str], named: str,
) -> None:
    with pytest.raises(i18n.LanguageError) as caught:
        i18n.resolve_language(explicit, environ=environ)
    message = str(caught.value)
    assert message.startswith(f"{named} must be one of fi, sv, en"), message
    assert repr(explicit or environ.get("ONR_LANGUAGE")) in message
    assert isinstance(caught.value, ValueError)


def test_the_catalogues_ship_as_package_data() -> None:
    """An installed package (a wheel, not this checkout) has every catalogue."""
    import fnmatch
    import tomllib

    root = Path(i18n.__file__).resolve().parents[1]
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["onrtools"]
    shipped = sorted(p.relative_to(root / "onrtools").as_posix()
                     for p in (root / "onrtools" / "locale").rglob("*.po"))
    assert len(shipped) == len(LANGUAGES)
    for rel in shipped:
        assert any(fnmatch.fnmatch(rel, pattern) for pattern in patterns), rel
    dependencies = " ".join(config["project"]["dependencies"])
    assert "babel" in dependencies


# --- guards: the words people read come from the catalogues -----------------------------------

PACKAGE = Path(i18n.__file__).resolve().parent
NOTEBOOKS = PACKAGE.parent / "notebooks"
# the modules whose output a person reads (pages, lists, packages, messages, the CLI)
USER_FACING = ("register/validation", "register/read", "register/columns", "register/hetu",
               "evidence/kpi", "evidence/trend", "evidence/open_items", "reconcile",
               "duplicates/request_packages", "pipeline/report",
               "pipeline/display", "pipeline/steps", "pipeline/step_common",
               "pipeline/step10_validate", "pipeline/step20_import", "pipeline/step30_reconcile",
               "pipeline/step40_changes", "pipeline/step50_duplicates", "pipeline/audit_report",
               "pipeline/run", "figures", "register/codes")
# codes.py names koodisto entries (nationality and language names in fi, sv and en, as ONR's
# koodisto and pycountry's catalogues give them): data, not messages of ours
DATA_NAMES = {"register/codes": {"nationality_name", "language_name"}}
LANGUAGE_NAMES = re.compile(r"(^|_)(language|lang)$")


def _compares_a_language_with_a_code(node: object) -> bool:
    import ast

    if not isinstance(node, ast.Compare):
        return False
    sides = [node.left, *node.comparators]
    named = any(
        (isinstance(s, ast.Name) and LANGUAGE_NAMES.search(s.id))
        or (isinstance(s, ast.Attribute) and LANGUAGE_NAMES.search(s.attr))
        for s in sides)
    codes = any(isinstance(s, ast.Constant) and s.value in LANGUAGES for s in sides) or any(
        isinstance(s, (ast.Set, ast.Tuple, ast.List))
        and any(isinstance(e, ast.Constant) and e.value in LANGUAGES for e in s.elts)
        for s in sides)
    return named and codes


def test_no_module_picks_its_words_by_language_itself() -> None:
    """A `language == "fi"` branch (or `language in {...}`) means words kept in the code, not in
    the catalogues; only i18n.py decides what a language is."""
    import ast

    found = []
    for name in USER_FACING:
        tree = ast.parse((PACKAGE / f"{name}.py").read_text(encoding="utf-8"))
        allowed = [range(f.lineno, (f.end_lineno or f.lineno) + 1) for f in ast.walk(tree)
                   if isinstance(f, ast.FunctionDef) and f.name in DATA_NAMES.get(name, set())]
        found += [f"{name}.py:{node.lineno}" for node in ast.walk(tree)
                  if _compares_a_language_with_a_code(node)
                  and not any(node.lineno in lines for lines in allowed)]
    assert not found, f"words chosen by language outside the catalogues: {sorted(set(found))}"


def test_every_key_the_code_names_is_in_the_catalogue() -> None:
    """Literal keys passed to translate(), a Messages object or display.heading()/text()."""
    call = re.compile(r"""\b(?:translate|translate_or|translate_count|t|words|heading|text|plot"""
                      r"""|get)\(\s*["']"""
                      r"""([a-z0-9_]+(?:\.[a-z0-9_ -]+)+)["']""")
    # the package's own modules (the simulator and the matcher name no words for people)
    sources = [*(p for p in PACKAGE.rglob("*.py")
                 if "simulator" not in p.parts and "matching" not in p.parts),
               *NOTEBOOKS.glob("*.ipynb")]
    named = {(path.name, key) for path in sources
             for key in call.findall(path.read_text(encoding="utf-8"))}
    assert len(named) > 100
    catalogue = i18n.catalogue("fi")
    missing = sorted((f, k) for f, k in named if k not in catalogue and
                     not any(c.startswith(k + ".") for c in catalogue))
    assert not missing, missing


def test_notebooks_take_their_headings_from_the_catalogue() -> None:
    """No Markdown cell in one language: each page's heading and explanation is a call of
    display.heading with the notebook's language parameter."""
    import nbformat

    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        assert [c for c in nb.cells if c.cell_type != "code"] == [], path.name
        params = nb.cells[0].source.splitlines()
        # empty: a notebook opened by hand follows ONR_LANGUAGE (onr run always passes one)
        assert 'language: str = ""  # fi, sv or en; when empty ONR_LANGUAGE, else fi' in params
        code = "\n".join(c.source for c in nb.cells[1:])
        assert f'display.heading("page.{path.stem[:2]}", language)' in code, path.name
        # every call that shows words passes the language on
        for line in code.splitlines():
            if re.search(r"display\.(table|datatable|plot_counts|download_links)\(", line):
                start = code.index(line)
                call = code[start:code.index(")\n", start) + 1] if ")\n" in code[start:] \
                    else code[start:]
                assert "language=language" in call, (path.name, line)


def test_an_empty_language_follows_onr_language(monkeypatch: pytest.MonkeyPatch) -> None:
    """A notebook opened by hand keeps its default ``language = ""``: its words then follow
    ONR_LANGUAGE, and Finnish without it; so do the matcher's explanations."""
    import pandas as pd

    from onrtools.duplicates.matching import score_pairs
    from onrtools.pipeline import display

    records = pd.DataFrame([
        {"tunniste": t, "etunimet": "Aino", "sukunimi": "Mäki", "syntymaaika": "1990-01-02"}
        for t in ("a", "b")
    ])
    pair = pd.DataFrame({"tunniste_l": ["a"], "tunniste_r": ["b"]})
    finnish = display.heading("page.10", "").data
    assert i18n.translate("page.10.title", "fi") in finnish
    assert "sama syntymäaika" in score_pairs(records, pair, language="").loc[0, "explanation"]
    monkeypatch.setenv("ONR_LANGUAGE", "sv")
    assert i18n.translate("page.10.title", "sv") in display.heading("page.10", "").data
    assert "samma födelsedatum" in score_pairs(records, pair, language="").loc[0, "explanation"]


def _calls(name: str) -> list[tuple[str, int, object]]:
    """Every call of ``name(...)`` (or ``something.name(...)``) in the package: (file, line,
    its first positional argument)."""
    import ast

    found = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and (
                    (isinstance(node.func, ast.Name) and node.func.id == name)
                    or (isinstance(node.func, ast.Attribute) and node.func.attr == name)):
                first = node.args[0] if node.args else None
                found.append((path.relative_to(PACKAGE).as_posix(), node.lineno, first))
    return found


@pytest.mark.parametrize("name", ["RegisterReadError", "Message"])
def test_every_register_read_error_names_a_catalogue_key(name: str) -> None:
    """A RegisterReadError (and each Message in its fields) is a key and its fields, never text:
    its first argument is a literal key the catalogues hold, so every raise can be shown in fi,
    sv or en (``exc.render(language)``). A text message, an f-string or a variable fails; an
    existing error's ``.key`` passed on is allowed."""
    import ast

    calls = _calls(name)
    assert len(calls) >= (15 if name == "RegisterReadError" else 5), calls
    catalogue = i18n.catalogue("fi")
    bad = [f"{path}:{line}" for path, line, first in calls
           if not (isinstance(first, ast.Constant) and isinstance(first.value, str)
                   and first.value in catalogue)
           # another error's own key passed on (in_language, a sheet's reason) is one too
           and not (isinstance(first, ast.Attribute) and first.attr == "key")]
    assert not bad, f"{name}( without a catalogue key: {bad}"
