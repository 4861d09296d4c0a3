"""onrtools.register.names: SEMANTICS.md §1.7–1.8 and the name scenarios 46–53 of §8."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onrtools.register import names

# SEMANTICS.md §1.7 reference values (float32, Lucene JaroWinklerDistance)
JW_REFERENCE = [
    ("test", "te", 0.8667, True),
    ("test", "t", 0.7750, False),
    ("elias", "eelis", 0.8800, True),
    ("hurja", "kurja", 0.8667, True),
    ("karhu", "karju", 0.9067, True),
    ("sepo", "seppo", 0.9533, True),
    ("anna", "hanna", 0.9333, True),
    ("matti", "matias", 0.8756, True),
    ("mikko", "mika", 0.8483, False),
]


@pytest.mark.parametrize(("a", "b", "score", "passes"), JW_REFERENCE)
def test_jaro_winkler_reference_values(a: str, b: str, score: float, passes: bool) -> None:
    got = names.jaro_winkler(a, b)
    assert round(got, 4) == score
    assert (got >= 0.85) is passes


def test_jaro_winkler_edges() -> None:
    assert names.jaro_winkler("", "") == 0.0
    assert names.jaro_winkler("abc", "") == 0.0
    assert names.jaro_winkler(" ", " ") == 1.0
    assert names.jaro_winkler("a", "b") == 0.0


@given(st.text(max_size=12), st.text(max_size=12))
def test_jaro_winkler_bounds_and_identity(a: str, b: str) -> None:
    score = names.jaro_winkler(a, b)
    assert 0.0 <= score <= 1.0 + 1e-6
    if a:
        assert names.jaro_winkler(a, a) == pytest.approx(1.0)


@given(st.text(max_size=20))
def test_normalize_is_idempotent_and_ascii(name: str) -> None:
    once = names.normalize(name)
    assert names.normalize(once) == once
    assert once.isascii()


# scenario 50
@pytest.mark.parametrize(
    ("raw", "expected"),
    [("", ""), (" ", " "), ("A", "a"), ("ä", "a"), ("á", "a"), ("a.b,c!", "a.b,c!"), (None, "")],
)
def test_normalize_scenario_50(raw: str | None, expected: str) -> None:
    assert names.normalize(raw) == expected


def test_normalize_transliterates_scenario_50() -> None:
    assert names.normalize("Éva Nõmm Noël Hélène Ðông Bùi") == names.normalize(
        "Eva Nomm Noel Helene Dong Bui"
    )
    assert names.normalize("Søren Straße") == "soren strasse"


# (given etunimet, given sukunimi, expected etunimet, expected sukunimi, match, why)
NAMES_MATCH_TABLE = [
    (
        "Renée Nöel Zoë Søren",
        "Meikäläinen",
        "Renee Noel Zoe Soren",
        "Meikalainen",
        True,
        "46: accents and special letters normalise away",
    ),
    ("RENEE", "MEIKALAINEN", "Renee", "Meikalainen", True, "46: case"),
    (
        "eva kaarina",
        "Virtanen",
        "Eva-Kaarina",
        "Virtanen",
        True,
        "46: hyphen vs space (token parts)",
    ),
    ("Elias", "Virtanen", "Eelis", "Virtanen", True, "46: one first-name letter, JW 0.88"),
    ("Teppo", "Karhu", "Teppo", "Karju", True, "46: one surname letter, JW 0.9067"),
    ("a b c", "d", "x y z", "l", False, "46: nothing in common"),
    (
        "Krista Johanna",
        "Virtanen",
        "Liisa Johanna",
        "Virtanen",
        True,
        "51: one first name suffices",
    ),
    ("Mikko", "Virtanen", "Mika", "Virtanen", False, "mikko/mika JW 0.8483 < 0.85"),
    ("Matti", "Virtanen", "Matias", "Virtanen", True, "matti/matias JW 0.8756"),
    ("Matti", "Virtanen", "Matti", "Nieminen", False, "surname differs"),
]


@pytest.mark.parametrize(("ge", "gs", "ee", "es", "expected", "why"), NAMES_MATCH_TABLE)
def test_names_match_table(ge: str, gs: str, ee: str, es: str, expected: bool, why: str) -> None:
    assert names.names_match(ge, gs, ee, es) is expected, why


# scenario 48
@pytest.mark.parametrize(
    ("given_names", "expected_names", "expected"),
    [
        ("c", "a b c d", True),
        ("anna", "hanna", True),
        ("virhe", "luultavastivirhe", True),
        ("a", "b", False),
        ("a", "b c d e f", False),
        ("anna", "hanna-leena", True),
    ],
)
def test_first_names_scenario_48(given_names: str, expected_names: str, expected: bool) -> None:
    assert names.first_names_match(given_names, expected_names) is expected


# scenario 49
@pytest.mark.parametrize(
    ("given_surname", "expected_surname", "expected"),
    [
        ("test", "test", True),
        ("test", "tes", True),
        ("test", "te", True),
        (" ", " ", True),
        ("", "", False),
        ("test", "t", False),
        ("a", "b", False),
    ],
)
def test_surname_scenario_49(given_surname: str, expected_surname: str, expected: bool) -> None:
    assert names.surname_matches(given_surname, expected_surname) is expected


def test_threshold_keyword() -> None:
    assert names.names_match("Mikko", "X", "Mika", "X", threshold=0.8)
    assert not names.names_match("Mikko", "X", "Mika", "X")


# scenario 52 and REST.md §5.1 (yleistunniste, single token)
@pytest.mark.parametrize(
    ("kutsumanimi", "etunimet", "expected"),
    [
        ("Æ", "X Æ A-12", True),
        ("12", "X Æ A-12", True),
        ("A-12", "X Æ A-12", True),
        ("a", "X Æ A-12", True),
        ("B", "a b c", True),
        ("b", "aa bb cc", False),
        (" b", "a b c", False),
        ("b ", "a b c", False),
        ("a b", "a b c", False),
        ("", "a b c", False),
    ],
)
def test_kutsumanimi_single_scenario_52(kutsumanimi: str, etunimet: str, expected: bool) -> None:
    assert names.kutsumanimi_valid_single(kutsumanimi, etunimet) is expected


ANITRA = "Anna-Liisa Milla Karoliina Anitra Kristiina"


# scenario 53 and SEMANTICS.md §1.8 rule 3
@pytest.mark.parametrize(
    ("kutsumanimi", "etunimet", "expected"),
    [
        ("Anna", ANITRA, True),
        ("Liisa", ANITRA, True),
        ("Anna-Liisa", ANITRA, True),
        ("Anna Liisa", ANITRA, True),
        ("Liisa Milla", ANITRA, True),
        ("Milla Karoliina Anitra", ANITRA, True),
        ("anna-liisa milla", ANITRA, True),
        ("KRISTIINA", ANITRA, True),
        (ANITRA, ANITRA, True),
        (ANITRA + " ", ANITRA + " ", True),
        ("Karo", ANITRA, False),
        ("iisa", ANITRA, False),
        ("Anna Milla", ANITRA, False),
        ("Liisa Anna", ANITRA, False),
        ("Kristiina Anitra", ANITRA, False),
        ("", ANITRA, False),
        ("Anna", "", False),
    ],
)
def test_kutsumanimi_scenario_53(kutsumanimi: str, etunimet: str, expected: bool) -> None:
    assert names.kutsumanimi_valid(kutsumanimi, etunimet) is expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Anna Liisa", True),
        ("Anna  Liisa", False),
        (" Anna", False),
        ("Anna ", False),
        ("X Æ A-12", True),
        ("", False),
        ("Anna\tLiisa", False),
    ],
)
def test_name_format(name: str, expected: bool) -> None:
    assert names.name_format_valid(name) is expected
