"""ONR's code sets for nationality, language and sex, derived without copying the koodisto.

* ``maatjavaltiot2`` (kansalaisuus): ISO 3166-1 numeric codes (pycountry) plus ONR's extras
  (former states, Kosovo, "unknown" codes) in :data:`NATIONALITY_EXTRAS`.
* ``kieli`` (aidinkieli): ISO 639-1 codes upper-cased (pycountry) plus ONR's extras (withdrawn
  ISO codes still in the koodisto, Karelian, Romani, sign language, "unknown"...).
* ``sukupuoli``: "1" male, "2" female.

tests/test_codes.py compares these sets with tests/data/onr/koodisto/*.json.

Names for people (:func:`nationality_name`, :func:`language_name`) in Finnish, Swedish and
English, the ``language`` resolved as everywhere (:func:`onrtools.i18n.resolve_language`):
English is pycountry's; Finnish and Swedish come from pycountry's own gettext catalogues
(``iso3166-1``, ``iso639-3``), except where ONR's koodisto calls a code otherwise
(:data:`ONR_NATIONALITY_NAMES`, :data:`ONR_LANGUAGE_NAMES`: "Venäjä", not "Venäjän
federaatio"); the extras carry all three names. They are names of koodisto entries, data,
not messages of ours, so they are not in the message catalogues.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Callable
from functools import lru_cache

import pycountry

SEX_CODES: frozenset[str] = frozenset({"1", "2"})


def sex_name(code: str, language: str | None = None) -> str | None:
    """``mies``/``man``/``male`` for "1", ``nainen``/``kvinna``/``female`` for "2" (from the
    message catalogues, :mod:`onrtools.i18n`); None for any other code."""
    from onrtools.i18n import translate

    return translate(f"codes.sex.{code}", language) if code in SEX_CODES else None


# code -> (Finnish, Swedish, English) names as the koodisto metadata gives them; Swedish where
# the koodisto has a Finnish copy (KE karjala, IM mansaari, IW) or a misspelling (810, 98)
# has the Swedish word (tests/test_codes.py lists these)
NATIONALITY_EXTRAS: dict[str, tuple[str, str, str]] = {
    "530": ("Alankomaiden Antillit", "Det forna Nederländska Antillerna",
            "Former Netherlands Antilles"),
    "736": ("Entinen Sudan", "Det forna Sudan", "Former Sudan"),
    "810": ("Entinen Neuvostoliitto", "Det forna Sovjetunionen", "Former Soviet Union"),
    "891": ("Entinen Serbia ja Montenegro", "Det forna Serbien och Montenegro",
            "Former Serbia and Montenegro"),
    "907": ("Kosovo", "Kosovo", "Kosovo"),
    "990": ("Muu epäitsenäinen alue", "Annat icke-suveränt område", "Other dependent country"),
    "991": ("Ilman kansalaisuutta", "Utan medborgarskap", "Without nationality"),
    "997": ("Kosovo", "Kosovo", "Kosovo"),
    "998": ("Ulkomaa tuntematon", "Okänd till utländska", "Unknown to foreign"),
    "999": ("Tuntematon", "Okänt land", "Unknown"),
}
LANGUAGE_EXTRAS: dict[str, tuple[str, str, str]] = {
    "98": ("ei virallinen kieli", "inte officiellt språk", "not an official language"),
    "99": ("tuntematon", "okänt", "unknown"),
    "BH": ("bihari", "bihari", "Bihari"),  # withdrawn from ISO 639-1, still in the koodisto
    "GG": ("guernsey", "guernsey", "Guernsey"),
    "IM": ("mansaari", "manx", "Isle of Man"),
    "IW": ("heprea (vanha)", "hebreiska (gammal kod)", "Hebrew (old code)"),
    "JE": ("jersey", "jersey", "Jersey"),
    "KE": ("karjala", "karelska", "Karelian"),
    "MO": ("moldova", "moldaviska", "Moldavian"),
    "RI": ("romani", "romani", "Romani"),
    "VK": ("viittomakieli", "teckenspråk", "sign language"),
    "XX": ("muu kieli", "övrigt språk", "other language"),
}
_EXTRA_INDEX = {"fi": 0, "sv": 1, "en": 2}
# pycountry's Finnish and Swedish names (its gettext catalogues) where they are what ONR calls
# the code; where ONR's koodisto says otherwise (the short name, "Venäjä" for "Venäjän
# federaatio", "kreikka" for an untranslated "Modern Greek (1453-)"), ONR's name. A test
# compares every name with the koodisto files. Sichuan Yi (II) keeps a Finnish name of its
# own: the koodisto's ("inupiaq, inupiatun") belongs to another language.
ONR_NATIONALITY_NAMES: dict[str, dict[str, str]] = {  # where ONR names a country otherwise
    "fi": {
        "068": "Bolivia",
        "074": "Bouvet’nsaari",
        "092": "Brittiläiset Neitsytsaaret",
        "096": "Brunei",
        "158": "Taiwan",
        "178": "Kongo (Kongo-Brazzaville)",
        "180": "Kongo (Kongo-Kinshasa)",
        "239": "Etelä-Georgia ja Eteläiset Sandwichsaaret",
        "275": "Palestiinan valtio",
        "336": "Vatikaani",
        "364": "Iran",
        "408": "Korean demokraattinen kansantasavalta (Pohjois-Korea)",
        "410": "Korean Tasavalta (Etelä-Korea)",
        "498": "Moldova",
        "534": "Sint Maarten (Alankomaiden osa)",
        "583": "Mikronesia",
        "643": "Venäjä",
        "654": "Saint Helena",
        "663": "Saint Martin (Ranskan osa)",
        "748": "Eswatini",
        "760": "Syyria",
        "784": "Arabiemiirikunnat",
        "834": "Tansania",
        "840": "Yhdysvallat (USA)",
        "850": "Yhdysvaltain Neitsytsaaret",
        "862": "Venezuela",
    },
    "sv": {
        "068": "Bolivia",
        "070": "Bosnien och Hercegovina",
        "086": "Brittiska territoriet i Indiska Oceanen",
        "092": "Brittiska Jungfruöarna",
        "158": "Taiwan",
        "166": "Cocosöarna",
        "174": "Komorerna",
        "178": "Kongo (Kongo-Brazzaville)",
        "180": "Kongo (Kongo-Kinshasa)",
        "238": "Falklandsöarna",
        "239": "Sydgeorgien och Sydsandwichöarna",
        "260": "De franska territorierna i södra Indiska Oceanen",
        "364": "Iran",
        "408": "Demokratiska folkrepubliken Korea (Nordkorea)",
        "410": "Republiken Korea (Sydkorea)",
        "418": "Laos",
        "498": "Moldavien",
        "534": "Sint Maarten (Nederländsk del)",
        "574": "Norfolkön",
        "581": "Förenta Staternas mindre öar i Oceanien och Västindien",
        "583": "Mikronesien",
        "643": "Ryssland",
        "652": "Saint Barthélemy",
        "654": "Saint Helena",
        "659": "Saint Kitts och Nevis",
        "662": "Saint Lucia",
        "663": "Saint Martin (Fransk del)",
        "666": "Saint Pierre och Miquelon",
        "670": "Saint Vincent och Grenadinerna",
        "748": "Eswatini",
        "760": "Syrien",
        "834": "Tanzania",
        "840": "Förenta Staterna (USA)",
        "850": "Amerikanska Jungfruöarna",
        "862": "Venezuela",
    },
}
ONR_LANGUAGE_NAMES: dict[str, dict[str, str]] = {  # where ONR names a language otherwise
    "fi": {
        "AE": "avesta",
        "AS": "assami",
        "AY": "aimara",
        "BO": "tiibet",
        "CH": "tšamorro",
        "CU": "kirkkoslaavi",
        "EL": "kreikka",
        "EU": "baski, euskara",
        "FA": "persia, farsi",
        "FY": "länsifriisi",
        "GD": "gaeli",
        "GL": "galicia",
        "GU": "gudžarati",
        "HT": "haiti",
        "IE": "interlingue, occidental",
        "II": "sichuanin yi",
        "IK": "inupiaq",
        "KI": "kikuju",
        "KL": "kalaallisut, grönlanti",
        "KM": "keskikhmer",
        "KS": "kašmiri",
        "LB": "luxemburg, myös: letzeburg",
        "LI": "limburg",
        "LU": "katanganluba",
        "MG": "malagasi",
        "MH": "marshall",
        "ML": "malajalam",
        "MS": "malaiji",
        "NB": "norjan bokmål",
        "ND": "pohjoisndebele",
        "NE": "nepali",
        "NN": "norjan nynorsk",
        "NR": "etelä-ndebele",
        "NY": "njandža, myös: tšitšewa, tšewa",
        "OC": "oksitaani, provensaali",
        "OR": "orija",
        "OS": "osseetti",
        "PA": "pandžabi",
        "PS": "paštu, myös: afgaani",
        "RM": "retoromaani",
        "SE": "pohjoissaame",
        "SH": "serbokroatia",
        "SN": "šona",
        "ST": "eteläsotho",
        "SW": "suahili",
        "TI": "tigrinja",
        "TO": "tongantonga",
        "YO": "joruba",
    },
    "sv": {
        "AV": "avariskt språk",
        "AY": "aymará",
        "CU": "kyrkoslaviska",
        "EL": "grekiska",
        "FJ": "fiji",
        "FO": "färiska",
        "GD": "skotsk gäliska",
        "HA": "hausa",
        "HO": "hirimotu",
        "HT": "haitiska, haitisk kreol",
        "IA": "interlingua",
        "IG": "ibo",
        "II": "sichuan yi",
        "IK": "inupiak",
        "IU": "eskimåiska",
        "JV": "javanesiska",
        "KI": "kikuyu",
        "KJ": "kuanyama",
        "KM": "khmeriska, kambodjanska",
        "KN": "kannada",
        "LB": "letzebuergesch (luxemburgiska)",
        "LO": "lao",
        "LU": "luba-katanga",
        "MG": "malagassiska",
        "MH": "marshall",
        "MS": "malajiska",
        "MY": "burmanska",
        "ND": "ndebele (nord)",
        "NL": "holländska",
        "NR": "ndebele (syd)",
        "NY": "nyanja",
        "OC": "occitanska, provensalska",
        "OJ": "ojibwa",
        "QU": "kechua",
        "RN": "rundi, kirundi",
        "RW": "kinyarwanda",
        "SE": "samiska",
        "SO": "somaliska",
        "TA": "tamili",
        "TH": "thai",
        "TO": "tonga",
        "VO": "volapyk",
        "YO": "joruba",
        "ZA": "tšuang",
    },
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


@lru_cache(maxsize=8)
def _gettext(domain: str, language: str) -> Callable[[str], str]:
    """pycountry's translation of ``domain`` (``iso3166-1``, ``iso639-3``) into ``language``."""
    return gettext.translation(domain, pycountry.LOCALES_DIR, languages=[language],
                               fallback=True).gettext


def _language(language: str | None) -> str:
    from onrtools.i18n import LANGUAGES, resolve_language

    return language if language in LANGUAGES else resolve_language(language)


def nationality_name(code: str, language: str | None = None) -> str | None:
    """Name of a ``maatjavaltiot2`` code in ``language`` (fi, sv or en; None or empty:
    ``ONR_LANGUAGE``, else fi) as ONR names it: ``246`` Suomi, Finland (sv), Finland (en);
    None for a code not in the koodisto."""
    language = _language(language)
    if code in NATIONALITY_EXTRAS:
        return NATIONALITY_EXTRAS[code][_EXTRA_INDEX[language]]
    country = pycountry.countries.get(numeric=code)
    if country is None:
        return None
    if language == "en":
        return str(country.name)
    return ONR_NATIONALITY_NAMES[language].get(code) or _gettext("iso3166-1", language)(
        country.name)


def language_name(code: str, language: str | None = None) -> str | None:
    """Name of a ``kieli`` code in ``language`` (fi, sv or en; None or empty: ``ONR_LANGUAGE``,
    else fi) as ONR names it: ``FI`` suomi, finska (sv), Finnish (en); in Finnish and Swedish
    in lower case, as the languages write them. None for a code not in the koodisto."""
    language = _language(language)
    code = code.upper()
    if code in LANGUAGE_EXTRAS:
        return LANGUAGE_EXTRAS[code][_EXTRA_INDEX[language]]
    lang = pycountry.languages.get(alpha_2=code.lower())
    if lang is None:
        return None
    if language == "en":
        return str(lang.name)
    name = ONR_LANGUAGE_NAMES[language].get(code) or _gettext("iso639-3", language)(lang.name)
    return name[:1].lower() + name[1:]


def __getattr__(name: str) -> frozenset[str]:
    """``SEXES``, ``LANGUAGES`` (upper case) and ``NATIONALITIES`` as sets, built on first use."""
    if name == "SEXES":
        return SEX_CODES
    if name == "LANGUAGES":
        return language_codes()
    if name == "NATIONALITIES":
        return nationality_codes()
    raise AttributeError(f"module 'onrtools.register.codes' has no attribute {name!r}")
