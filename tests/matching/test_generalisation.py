"""Issue #12: missing is neutral, swaps/initials/spellings are comparison levels, and blocking
survives two errors. Hand-made pairs; each assertion is one of the issue's failure modes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from onrtools.matching import default_model, score_pairs
from onrtools.matching.blocking import candidate_pairs
from onrtools.matching.compare import (
    FIRST_INITIAL,
    FIRST_SKELETON,
    SURNAME_PART,
    SURNAME_SKELETON,
    SURNAME_SWAPPED,
    compare,
)
from onrtools.matching.normalise import prepare, skeleton_form

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
    return score_pairs(_pair(left, right), pairs).iloc[0]


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
