"""Issue #12: missing is neutral, swaps/initials/spellings are comparison levels, and blocking
survives two errors. Hand-made pairs; each assertion is one of the issue's failure modes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from onrtools.duplicates.matching import default_model, score_pairs
from onrtools.duplicates.matching.blocking import candidate_pairs
from onrtools.duplicates.matching.compare import (
    FIRST_INITIAL,
    FIRST_SKELETON,
    SURNAME_PART,
    SURNAME_SKELETON,
    SURNAME_SWAPPED,
    compare,
)
from onrtools.duplicates.matching.normalise import prepare, skeleton_form

BASE = {
    "etunimet": "Aino Maria",
    "kutsumanimi": "Aino",
    "sukunimi": "Mäkelä",
    "syntymaaika": "1998-04-23",
    "sukupuoli": "2",
    "passinumero": "",
    "sahkoposti": "",
}


def _pair(left: dict, right: dict) -> pd.DataFrame:
    return pd.DataFrame([{**BASE, "tunniste": "a", **left}, {**BASE, "tunniste": "b", **right}])


def _levels(left: dict, right: dict) -> dict[str, int]:
    p = prepare(_pair(left, right))
    comp = compare(p, np.array([0]), np.array([1]))
    return {name: int(values[0]) for name, values in comp.levels.items()}


def _score(left: dict, right: dict) -> pd.Series:
    pairs = pd.DataFrame({"tunniste_l": ["a"], "tunniste_r": ["b"]})
    return score_pairs(_pair(left, right), pairs, language="en").iloc[0]


@pytest.mark.parametrize(
    ("right", "field", "level"),
    [
        ({"etunimet": "Maria Mäkelä", "sukunimi": "Aino"}, "sukunimi", SURNAME_SWAPPED),
        ({"sukunimi": "Maekelae"}, "sukunimi", SURNAME_SKELETON),
        ({"sukunimi": "Mäkelä-Korhonen"}, "sukunimi", SURNAME_PART),
        ({"etunimet": "A."}, "etunimet", FIRST_INITIAL),
        ({"etunimet": "Ainno Marria"}, "etunimet", FIRST_SKELETON),
    ],
    ids=["swap", "ae-spelling", "double-surname", "initial", "doubled-letters"],
)
def test_variants_are_levels(right: dict, field: str, level: int) -> None:
    assert _levels({}, right)[field] == level


def test_a_swap_is_weighed_once() -> None:
    levels = _levels({}, {"etunimet": "Mäkelä", "sukunimi": "Aino Maria", "kutsumanimi": ""})
    assert levels["sukunimi"] == SURNAME_SWAPPED
    assert levels["etunimet"] == 0  # no second helping of the same evidence


def test_skeleton_folds_spellings_alike() -> None:
    assert skeleton_form("Mäkinen") == skeleton_form("Maekinen") == skeleton_form("Makinen")
    assert skeleton_form("Åkerblom") == skeleton_form("Aakerblom")
    assert skeleton_form("Al-Hassan") == skeleton_form("Alhassan")
    assert skeleton_form("Sergei") == skeleton_form("Sergey")
    assert skeleton_form("Virtanen") != skeleton_form("Virtala")


@pytest.mark.parametrize("field", ["etunimet", "sukunimi", "syntymaaika", "sukupuoli"])
def test_missing_on_one_side_is_level_zero_with_weight_zero(field: str) -> None:
    blank = {field: ""} if field != "etunimet" else {"etunimet": "", "kutsumanimi": ""}
    assert _levels({}, blank)[field] == 0
    assert default_model().weights(field)[0] == 0.0


def test_missing_first_names_fire_no_rule() -> None:
    row = _score(
        {"passinumero": "X1234567"}, {"etunimet": "", "kutsumanimi": "", "passinumero": "X1234567"}
    )
    assert row["decision"] == "match", row["explanation"]
    assert "must confirm" not in row["explanation"]


def test_a_typo_in_the_first_name_is_not_capped_when_the_passport_agrees() -> None:
    row = _score({"passinumero": "X1234567"}, {"etunimet": "Aimo Maria", "passinumero": "X1234567"})
    assert row["decision"] == "match", row["explanation"]


def test_twins_without_shared_identifiers_still_need_a_person() -> None:
    row = _score({}, {"etunimet": "Sofia Helena", "kutsumanimi": "Sofia"})
    assert row["decision"] == "review", row["explanation"]


def test_swapped_names_match() -> None:
    row = _score({}, {"etunimet": "Mäkelä", "sukunimi": "Aino Maria", "kutsumanimi": ""})
    assert row["decision"] == "match", row["explanation"]
    assert "swapped" in row["explanation"]


def _candidates(records: pd.DataFrame) -> set[tuple[str, str]]:
    p = prepare(records)
    cand = candidate_pairs(p)
    return {
        tuple(sorted((p.tunniste[i], p.tunniste[j])))
        for i, j in zip(cand.left, cand.right, strict=True)
    }


@pytest.mark.parametrize(
    "right",
    [
        # a typo in the surname and one in the birth date (day)
        {"sukunimi": "Mäkelå", "syntymaaika": "1998-04-28"},
        # a typo in the first name and the year
        {"etunimet": "Aimo Maria", "syntymaaika": "1999-04-23"},
        # names swapped and day/month... 04-23 cannot swap, so a month typo instead
        {"etunimet": "Mäkelä", "sukunimi": "Aino", "syntymaaika": "1998-05-23"},
        # the first letter of the surname mistyped and the day and month swapped
        {"sukunimi": "Näkelä", "syntymaaika": "1998-23-04".replace("23-04", "04-23")},
        # no first names and a year typo
        {"etunimet": "", "kutsumanimi": "", "syntymaaika": "1988-04-23"},
        # kutsumanimi alone is the second given name, and a month typo
        {"etunimet": "Maria", "syntymaaika": "1998-06-23"},
        # no birth date and a surname typo
        {"syntymaaika": "", "sukunimi": "Mäkala"},
    ],
    ids=[
        "surname+day",
        "first+year",
        "swap+month",
        "initial+date",
        "blank+year",
        "second-given+month",
        "undated+surname",
    ],
)
def test_blocking_survives_two_errors(right: dict) -> None:
    others = [
        {
            **BASE,
            "tunniste": f"o{i}",
            "etunimet": name,
            "sukunimi": surname,
            "syntymaaika": f"19{70 + i % 30}-0{1 + i % 9}-1{i % 10}",
        }
        for i, (name, surname) in enumerate(
            [("Matti", "Korhonen"), ("Liisa", "Virtanen"), ("Juha", "Nieminen")] * 20
        )
    ]
    records = pd.DataFrame([{**BASE, "tunniste": "a"}, {**BASE, "tunniste": "b", **right}, *others])
    assert ("a", "b") in _candidates(records)


def test_a_strong_identifier_alone_makes_a_candidate() -> None:
    right = {"etunimet": "Ina", "sukunimi": "Lahtinen", "syntymaaika": "1989-12-01"}
    for field, value in (
        ("passinumero", "X7654321"),
        ("sahkoposti", "aino@example.fi"),
        ("oid", "1.2.246.562.24.00000000001"),
    ):
        records = _pair({field: value}, {**right, field: value})
        assert ("a", "b") in _candidates(records), field


def _crowd() -> list[dict]:
    return [
        {
            **BASE,
            "tunniste": f"o{i}",
            "etunimet": name,
            "sukunimi": surname,
            "syntymaaika": f"19{70 + i % 30}-0{1 + i % 9}-1{i % 10}",
            "katuosoite": f"Kuja {i}",
            "postinumero": "00100",
        }
        for i, (name, surname) in enumerate(
            [("Matti", "Korhonen"), ("Liisa", "Virtanen"), ("Juha", "Nieminen")] * 20
        )
    ]


@pytest.mark.parametrize(
    "left,right",
    [
        # two hetu digits transposed (not one edit apart), no first names, and the birth date
        # typed with two parts unlike the hetu's: only the hetu's date part is right
        (
            {"hetu": "230498-9026"},
            {
                "hetu": "230498-9206",
                "syntymaaika": "1989-04-28",
                "etunimet": "",
                "kutsumanimi": "",
            },
        ),
        # the same address, no first-name typo but a surname typo at its first letters and a
        # year typo and a month typo: the given name, surname initial and address still meet
        (
            {"katuosoite": "Rantatie 14", "postinumero": "90100", "sukunimi": "Mäkelä"},
            {
                "katuosoite": "Rantatie 14",
                "postinumero": "90100",
                "sukunimi": "Mökelä",
                "syntymaaika": "1997-06-23",
            },
        ),
        # the same address and surname, a first-name typo and the month mistyped
        (
            {"katuosoite": "Myllytie 9", "postinumero": "65100"},
            {
                "katuosoite": "Myllytie 9",
                "postinumero": "65100",
                "etunimet": "Zino",
                "kutsumanimi": "",
                "syntymaaika": "1998-02-23",
            },
        ),
    ],
    ids=["hetu-transposed+date", "address+given+surname+date", "address+surname+first+month"],
)
def test_blocking_survives_three_errors(left: dict, right: dict) -> None:
    records = pd.DataFrame(
        [{**BASE, "tunniste": "a", **left}, {**BASE, "tunniste": "b", **right}, *_crowd()]
    )
    assert ("a", "b") in _candidates(records)


def test_household_members_at_one_address_are_not_all_candidates() -> None:
    """A surname at an address pairs only people born in the same year (siblings and parents
    otherwise meet every time), and a given name at an address needs the surname's initial."""
    home = {"katuosoite": "Koulukatu 2", "postinumero": "33100", "sukunimi": "Virta"}
    family = [
        {**BASE, **home, "tunniste": "m", "etunimet": "Sari", "syntymaaika": "1970-02-11"},
        {**BASE, **home, "tunniste": "c", "etunimet": "Eino", "syntymaaika": "2001-09-30"},
        {
            **BASE,
            **home,
            "tunniste": "x",
            "etunimet": "Eino",
            "sukunimi": "Lahti",
            "syntymaaika": "1985-07-07",
        },
    ]
    pairs = _candidates(pd.DataFrame(family))
    assert ("c", "m") not in pairs and ("c", "x") not in pairs


def test_candidates_are_each_keys_pairs_once() -> None:
    """Pairs are deduplicated key by key as they are made: the result is the plain union."""
    from onrtools.duplicates.matching.blocking import KEYS, key_pairs

    records = pd.DataFrame([{**BASE, "tunniste": "a"}, {**BASE, "tunniste": "b"}, *_crowd()])
    p = prepare(records)
    cand = candidate_pairs(p)
    union = np.unique(np.concatenate([key_pairs(p, k) for k in KEYS]))
    codes = cand.left.astype(np.int64) * len(p) + cand.right
    assert np.array_equal(codes, union)
    assert cand.left.dtype == np.int32 and (cand.left < cand.right).all()
