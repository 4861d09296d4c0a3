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
            assert text.strip(), f"{key} is empty in {language}"
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
