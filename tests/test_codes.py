"""onrtools.register.codes against ONR's koodisto files (copied into tests/data/onr/koodisto)."""

from __future__ import annotations

import json

import pytest

from onrtools.register import codes
from tests.paths import KOODISTO

# Remaining differences between our derivation and the koodisto files: none today. A new
# pycountry release may add or drop codes; list any such code here with a reason.
NATIONALITY_ALLOWLIST: set[str] = set()
LANGUAGE_ALLOWLIST: set[str] = set()


# where our Swedish name is not the koodisto's: it holds the Finnish word (karjala, mansaari,
# Heprea (vanha)) or a misspelling (Sovietunionen, officielt)
SWEDISH_NOT_AS_ONR = {"810", "98", "IM", "IW", "KE"}
# where our Finnish name is not the koodisto's: its Finnish for Sichuan Yi names another language
FINNISH_NOT_AS_ONR = {"II"}


def koodi_values(name: str) -> set[str]:
    data = json.loads((KOODISTO / f"{name}.json").read_text(encoding="utf-8"))
    return {item["koodiArvo"] for item in data}


def test_nationalities_equal_koodisto() -> None:
    expected = koodi_values("maatjavaltiot2")
    assert codes.nationality_codes() ^ expected <= NATIONALITY_ALLOWLIST


def test_languages_equal_koodisto() -> None:
    expected = koodi_values("kieli")
    assert codes.language_codes() ^ expected <= LANGUAGE_ALLOWLIST


def test_sex_equals_koodisto() -> None:
    assert codes.SEX_CODES == koodi_values("sukupuoli")


def test_extra_names_match_koodisto_metadata() -> None:
    for koodisto, extras in (
        ("maatjavaltiot2", codes.NATIONALITY_EXTRAS),
        ("kieli", codes.LANGUAGE_EXTRAS),
    ):
        data = json.loads((KOODISTO / f"{koodisto}.json").read_text(encoding="utf-8"))
        by_code = {item["koodiArvo"]: item for item in data}
        for code, (fi_name, sv_name, _) in extras.items():
            names = {m["kieli"]: m["nimi"] for m in by_code[code]["metadata"]}
            assert names["FI"].lower() == fi_name.lower(), code
            if code not in SWEDISH_NOT_AS_ONR:
                assert names["SV"].lower() == sv_name.lower(), code


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("246", "246"),
        ("4", "004"),
        ("FI", "246"),
        ("fin", "246"),
        ("SWE", "752"),
        ("999", "999"),
        ("000", None),
        ("XYZ", None),
        ("2460", None),
        ("810", "810"),
    ],
)
def test_normalize_nationality(raw: str, expected: str | None) -> None:
    assert codes.normalize_nationality(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("fi", "FI"),
        ("SV", "SV"),
        ("fin", "FI"),
        ("swe", "SV"),
        ("ger", "DE"),
        ("vk", "VK"),
        ("zz", None),
        ("", None),
    ],
)
def test_normalize_language(raw: str, expected: str | None) -> None:
    assert codes.normalize_language(raw) == expected


def test_split_and_names() -> None:
    assert codes.split_nationalities(" 246; 752 ,233/578|840 ") == [
        "246",
        "752",
        "233",
        "578",
        "840",
    ]
    assert codes.nationality_name("246") == "Suomi"
    assert codes.nationality_name("246", "en") == "Finland"
    assert codes.nationality_name("999", "en") == "Unknown"
    assert codes.language_name("FI") == "suomi" and codes.language_name("fi", "en") == "Finnish"
    assert codes.is_sex("1") and not codes.is_sex("3")
    assert codes.is_language("SV") and not codes.is_language("sv")
    assert codes.is_nationality("246") and not codes.is_nationality("FI")


def test_set_aliases() -> None:
    assert codes.SEXES == {"1", "2"}
    assert "FI" in codes.LANGUAGES and "246" in codes.NATIONALITIES
    with pytest.raises(AttributeError):
        _ = codes.NOPE


def koodisto_names(name: str) -> dict[str, dict[str, str]]:
    data = json.loads((KOODISTO / f"{name}.json").read_text(encoding="utf-8"))
    return {item["koodiArvo"]: {m["kieli"].lower(): m["nimi"] for m in item["metadata"]}
            for item in data}


@pytest.mark.parametrize(("code", "fi", "sv", "en"), [
    ("246", "Suomi", "Finland", "Finland"),
    ("752", "Ruotsi", "Sverige", "Sweden"),
    ("810", "Entinen Neuvostoliitto", "Det forna Sovjetunionen", "Former Soviet Union"),
    ("250", "Ranska", "Frankrike", "France"),  # not in the old hand-written Finnish list
    ("643", "Venäjä", "Ryssland", "Russian Federation"),  # ONR's short names, not pycountry's
    ("999", "Tuntematon", "Okänt land", "Unknown"),
])
def test_nationality_names_in_three_languages(code: str, fi: str, sv: str, en: str) -> None:
    assert [codes.nationality_name(code, language) for language in ("fi", "sv", "en")] == \
        [fi, sv, en]


@pytest.mark.parametrize(("code", "fi", "sv", "en"), [
    ("FI", "suomi", "finska", "Finnish"),
    ("SV", "ruotsi", "svenska", "Swedish"),
    ("VK", "viittomakieli", "teckenspråk", "sign language"),
    ("KE", "karjala", "karelska", "Karelian"),
    ("EL", "kreikka", "grekiska", "Modern Greek (1453-)"),  # pycountry has no Finnish for it
    ("de", "saksa", "tyska", "German"),
])
def test_language_names_in_three_languages(code: str, fi: str, sv: str, en: str) -> None:
    assert [codes.language_name(code, language) for language in ("fi", "sv", "en")] == \
        [fi, sv, en]


def test_names_follow_onr_language_and_refuse_others(monkeypatch: pytest.MonkeyPatch) -> None:
    assert codes.nationality_name("752") == "Ruotsi"  # Finnish by default
    monkeypatch.setenv("ONR_LANGUAGE", "sv")
    assert codes.nationality_name("752") == "Sverige" and codes.language_name("FI") == "finska"
    assert codes.nationality_name("752", "en") == "Sweden"
    with pytest.raises(ValueError, match="language must be one of fi, sv, en"):
        codes.nationality_name("752", "de")
    assert codes.nationality_name("000", "sv") is None and codes.language_name("ZZ", "sv") is None


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_every_code_has_a_name_in_every_language(language: str) -> None:
    for code in codes.nationality_codes():
        assert (codes.nationality_name(code, language) or "").strip(), (code, language)
    for code in codes.language_codes():
        assert (codes.language_name(code, language) or "").strip(), (code, language)


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_finnish_and_swedish_names_are_onrs(language: str) -> None:
    """Every Finnish and Swedish name is what ONR's koodisto calls the code (languages in lower
    case, as ONR writes them), but for the few listed above."""
    exceptions = {"fi": FINNISH_NOT_AS_ONR, "sv": SWEDISH_NOT_AS_ONR}[language]
    for koodisto, name_of in (("maatjavaltiot2", codes.nationality_name),
                              ("kieli", codes.language_name)):
        differ = {}
        for code, names in koodisto_names(koodisto).items():
            onr = names[language]
            if koodisto == "kieli":
                onr = onr[:1].lower() + onr[1:]  # "Heprea (vanha)": a language name in lower case
            if code not in exceptions and name_of(code, language) != onr:
                differ[code] = (name_of(code, language), onr)
        assert differ == {}, (koodisto, differ)
