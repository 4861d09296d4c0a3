"""ONR's code sets for nationality, language and sex, derived without copying the koodisto.

* ``maatjavaltiot2`` (kansalaisuus): ISO 3166-1 numeric codes (pycountry) plus ONR's extras
  (former states, Kosovo, "unknown" codes) in :data:`NATIONALITY_EXTRAS`.
* ``kieli`` (aidinkieli): ISO 639-1 codes upper-cased (pycountry) plus ONR's extras (withdrawn
  ISO codes still in the koodisto, Karelian, Romani, sign language, "unknown"...).
* ``sukupuoli``: "1" male, "2" female.

tests/test_codes.py compares these sets with tests/data/onr/koodisto/*.json. Display names
are English from pycountry; Finnish for the extras and the most common codes only.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pycountry

SEX_CODES: frozenset[str] = frozenset({"1", "2"})


def sex_name(code: str, language: str | None = None) -> str | None:
    """``mies``/``man``/``male`` for "1", ``nainen``/``kvinna``/``female`` for "2" (from the
    message catalogues, :mod:`onrtools.i18n`); None for any other code."""
    from onrtools.i18n import translate

    return translate(f"codes.sex.{code}", language) if code in SEX_CODES else None


# code -> (Finnish, English) names as the koodisto metadata gives them
NATIONALITY_EXTRAS: dict[str, tuple[str, str]] = {
    "530": ("Alankomaiden Antillit", "Former Netherlands Antilles"),
    "736": ("Entinen Sudan", "Former Sudan"),
    "810": ("Entinen Neuvostoliitto", "Former Soviet Union"),
    "891": ("Entinen Serbia ja Montenegro", "Former Serbia and Montenegro"),
    "907": ("Kosovo", "Kosovo"),
    "990": ("Muu epäitsenäinen alue", "Other dependent country"),
    "991": ("Ilman kansalaisuutta", "Without nationality"),
    "997": ("Kosovo", "Kosovo"),
    "998": ("Ulkomaa tuntematon", "Unknown to foreign"),
    "999": ("Tuntematon", "Unknown"),
}
LANGUAGE_EXTRAS: dict[str, tuple[str, str]] = {
    "98": ("ei virallinen kieli", "not an official language"),
    "99": ("tuntematon", "unknown"),
    "BH": ("bihari", "Bihari"),  # withdrawn from ISO 639-1, still in the koodisto
    "GG": ("guernsey", "Guernsey"),
    "IM": ("mansaari", "Isle of Man"),
    "IW": ("heprea (vanha)", "Hebrew (old code)"),
    "JE": ("jersey", "Jersey"),
    "KE": ("karjala", "Karelian"),
    "MO": ("moldova", "Moldavian"),
    "RI": ("romani", "Romani"),
    "VK": ("viittomakieli", "sign language"),
    "XX": ("muu kieli", "other language"),
}
FINNISH_NAMES: dict[str, str] = {  # a few common ones; the koodisto has them all
    "246": "Suomi",
    "752": "Ruotsi",
    "233": "Viro",
    "643": "Venäjä",
    "578": "Norja",
    "208": "Tanska",
    "276": "Saksa",
    "826": "Yhdistynyt kuningaskunta",
    "840": "Yhdysvallat (USA)",
    "156": "Kiina",
    "356": "Intia",
    "FI": "suomi",
    "SV": "ruotsi",
    "EN": "englanti",
    "SE": "saame",
    "RU": "venäjä",
    "ET": "viro",
    "DE": "saksa",
    "FR": "ranska",
    "ES": "espanja",
    "ZH": "kiina",
}
FINLAND = "246"
UNKNOWN_NATIONALITY = "999"
_SPLIT = re.compile(r"[\s,;/|]+")


@lru_cache(maxsize=1)
def nationality_codes() -> frozenset[str]:
    """Every code of ``maatjavaltiot2``."""
    return frozenset(c.numeric for c in pycountry.countries) | frozenset(NATIONALITY_EXTRAS)


@lru_cache(maxsize=1)
def language_codes() -> frozenset[str]:
    """Every code of ``kieli`` (upper case, as the koodisto spells them)."""
    iso = {lang.alpha_2.upper() for lang in pycountry.languages if hasattr(lang, "alpha_2")}
    return frozenset(iso) | frozenset(LANGUAGE_EXTRAS)


@lru_cache(maxsize=1)
def _alpha_to_numeric() -> dict[str, str]:
    table: dict[str, str] = {}
    for country in pycountry.countries:
        table[country.alpha_2] = country.numeric
        table[country.alpha_3] = country.numeric
    return table


@lru_cache(maxsize=1)
def _alpha3_to_alpha2() -> dict[str, str]:
    table: dict[str, str] = {}
    for lang in pycountry.languages:
        if hasattr(lang, "alpha_2"):
            table[lang.alpha_3.upper()] = lang.alpha_2.upper()
            if hasattr(lang, "bibliographic"):
                table[lang.bibliographic.upper()] = lang.alpha_2.upper()
    return table


def is_nationality(code: str) -> bool:
    """True when ``code`` is in ``maatjavaltiot2`` exactly as given."""
    return code in nationality_codes()


def is_language(code: str) -> bool:
    """True when ``code`` is in ``kieli`` exactly as given (upper case)."""
    return code in language_codes()


def is_sex(code: str) -> bool:
    """True for "1" and "2"."""
    return code in SEX_CODES


def normalize_nationality(value: str) -> str | None:
    """The ``maatjavaltiot2`` code for one token, or None.

    Accepts the code itself, a code that lost its leading zeros in a spreadsheet (``4`` →
    ``004``) and ISO alpha-2/alpha-3 codes (``FI``/``FIN`` → ``246``).
    """
    token = value.strip().upper()
    if token.isascii() and token.isdigit() and len(token) <= 3:
        token = token.zfill(3)
        return token if token in nationality_codes() else None
    return _alpha_to_numeric().get(token)


def split_nationalities(cell: str) -> list[str]:
    """Tokens of a cell holding one or more nationalities (``246;752``, ``246, 752``...)."""
    return [token for token in _SPLIT.split(cell.strip()) if token]


def normalize_language(value: str) -> str | None:
    """The ``kieli`` code (upper case) for ``fi``/``FI``/``fin``/``swe``…, or None."""
    token = value.strip().upper()
    if token in language_codes():
        return token
    return _alpha3_to_alpha2().get(token)


def nationality_name(code: str, language: str = "fi") -> str | None:
    """Display name of a nationality code: Finnish when known, else English (pycountry)."""
    if code in NATIONALITY_EXTRAS:
        fi, en = NATIONALITY_EXTRAS[code]
        return fi if language == "fi" else en
    if language == "fi" and code in FINNISH_NAMES:
        return FINNISH_NAMES[code]
    country = pycountry.countries.get(numeric=code)
    return country.name if country is not None else None


def language_name(code: str, language: str = "fi") -> str | None:
    """Display name of a ``kieli`` code: Finnish when known, else English (pycountry)."""
    code = code.upper()
    if code in LANGUAGE_EXTRAS:
        fi, en = LANGUAGE_EXTRAS[code]
        return fi if language == "fi" else en
    if language == "fi" and code in FINNISH_NAMES:
        return FINNISH_NAMES[code]
    lang = pycountry.languages.get(alpha_2=code.lower())
    return lang.name if lang is not None else None


def __getattr__(name: str) -> frozenset[str]:
    """``SEXES``, ``LANGUAGES`` (upper case) and ``NATIONALITIES`` as sets, built on first use."""
    if name == "SEXES":
        return SEX_CODES
    if name == "LANGUAGES":
        return language_codes()
    if name == "NATIONALITIES":
        return nationality_codes()
    raise AttributeError(f"module 'onrtools.register.codes' has no attribute {name!r}")
