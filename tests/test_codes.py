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
        for code, (fi_name, _) in extras.items():
            fi = [m["nimi"] for m in by_code[code]["metadata"] if m["kieli"] == "FI"]
            assert fi and fi[0].lower() == fi_name.lower(), code


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
