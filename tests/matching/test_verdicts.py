"""Hand-written Finnish record pairs with the verdict a careful person would give, and why."""

from __future__ import annotations

import random
from datetime import date

import pandas as pd
import pytest

from onrtools.duplicates.matching import default_model, find_duplicates, score_pairs
from onrtools.register import hetu as hetu_mod

RNG = random.Random(42)
HETU_A = hetu_mod.generate(RNG, birth_date=date(1995, 3, 7), sex="2")
HETU_B = hetu_mod.generate(RNG, birth_date=date(1995, 3, 7), sex="2")
while HETU_B == HETU_A:
    HETU_B = hetu_mod.generate(RNG, birth_date=date(1995, 3, 7), sex="2")


def _typo(hetu: str) -> str:
    """Change one digit of the individual number so the checksum fails."""
    for d in "0123456789":
        candidate = hetu[:9] + d + hetu[10:]
        if candidate != hetu and not hetu_mod.is_valid(candidate):
            return candidate
    raise AssertionError("no typo found")


BASE = {
    "etunimet": "Anna-Liisa Maria",
    "kutsumanimi": "Anna-Liisa",
    "sukunimi": "Meikäläinen",
    "syntymaaika": "1995-03-07",
    "sukupuoli": "2",
}

# (changes to the left record, changes to the right record, expected decision, reason)
TABLE = [
    (
        {},
        {"etunimet": "Anna Liisa Maria"},
        "match",
        "Anna-Liisa vs Anna Liisa: a hyphen lost in an export is the same name",
    ),
    (
        {},
        {"sukunimi": "Meikalainen"},
        "match",
        "Meikäläinen vs Meikalainen: ä lost in an ASCII export, everything else agrees",
    ),
    (
        {"sahkoposti": "anna@example.fi"},
        {"syntymaaika": "1995-07-03", "sahkoposti": "anna@example.fi"},
        "match",
        "day and month swapped (07.03. vs 03.07.) and the same e-mail: one person",
    ),
    (
        {"hetu": HETU_A},
        {"hetu": _typo(HETU_A)},
        "match",
        "one-character hetu typo (checksum fails) with identical names and birth date",
    ),
    (
        {"etunimet": "Maria", "kutsumanimi": "Maria"},
        {"etunimet": "Maria", "kutsumanimi": "Maria", "sukunimi": "Virtanen"},
        "review",
        "changed surname, one common first name and the birth date: marriage or a namesake",
    ),
    (
        {},
        {"sukunimi": "Virtanen"},
        "match",
        "changed surname but three identical first names and the birth date: a name change is "
        "far likelier than a namesake",
    ),
    (
        {"hetu": HETU_A, "yksiloityVTJ": True},
        {"hetu": HETU_B, "yksiloityVTJ": True},
        "non-match",
        "two VTJ-identified people with different hetus are never one person (ONR)",
    ),
    (
        {"hetu": HETU_A},
        {"hetu": HETU_A, "etunimet": "Maija", "sukunimi": "Virtanen"},
        "match",
        "the same valid hetu is the same ONR person whatever the names say",
    ),
    (
        {},
        {"etunimet": "Sofia Helena", "kutsumanimi": "Sofia"},
        "review",
        "twins: same surname and birth date, no first name in common; a person must look",
    ),
    (
        {},
        {
            "etunimet": "Matti Juhani",
            "kutsumanimi": "Matti",
            "sukunimi": "Korhonen",
            "sukupuoli": "1",
        },
        "non-match",
        "only the birth date agrees: two different people",
    ),
    (
        {},
        {"etunimet": "Anna-Liisa", "kutsumanimi": "Anna-Liisa"},
        "match",
        "only the kutsumanimi given as first names, all else agrees",
    ),
    (
        {},
        {"syntymaaika": None},
        "match",
        "birth date missing on one side is no evidence against; names are rare enough",
    ),
]


@pytest.mark.parametrize(
    ("left", "right", "expected", "reason"), TABLE, ids=[row[3][:40] for row in TABLE]
)
def test_verdict(left: dict, right: dict, expected: str, reason: str) -> None:
    records = pd.DataFrame([{**BASE, "tunniste": "a", **left}, {**BASE, "tunniste": "b", **right}])
    scored = score_pairs(records, pd.DataFrame({"tunniste_l": ["a"], "tunniste_r": ["b"]}))
    row = scored.iloc[0]
    assert row["decision"] == expected, (reason, row["probability"], row["explanation"])
    assert 0.0 <= row["probability"] <= 1.0
    assert row["explanation"]


def test_explanation_names_the_evidence() -> None:
    records = pd.DataFrame(
        [
            {**BASE, "tunniste": "a"},
            {**BASE, "tunniste": "b", "sukunimi": "Meikäläinén", "etunimet": "Anna-Liisa"},
        ]
    )
    pair = pd.DataFrame({"tunniste_l": ["a"], "tunniste_r": ["b"]})
    row = score_pairs(records, pair, language="en").iloc[0]
    finnish = score_pairs(records, pair).iloc[0]["explanation"]
    assert "sama syntymäaika" in finnish and "etunimistä yhteisiä 2/3" in finnish
    assert "same birth date" in row["explanation"]
    assert "first names share 2 of 3" in row["explanation"]  # anna, liisa of anna, liisa, maria
    assert "same surname apart from å/ä/ö" in row["explanation"]


def test_vtj_rule_forces_probability_zero() -> None:
    records = pd.DataFrame(
        [
            {**BASE, "tunniste": "a", "hetu": HETU_A, "yksiloityVTJ": "true"},
            {**BASE, "tunniste": "b", "hetu": HETU_B, "yksiloityVTJ": "true"},
        ]
    )
    pairs = find_duplicates(records, keep="all")
    assert len(pairs) == 1
    assert pairs.loc[0, "probability"] == 0.0
    assert "VTJ" in pairs.loc[0, "explanation"]


def test_common_surname_weighs_less_than_rare() -> None:
    """Term-frequency adjustment: agreeing on Korhonen is weaker than on a rare surname."""
    model = default_model()
    rows = []
    for i, surname in enumerate(["Korhonen", "Pihlajaoja-Ylitalo"]):
        for side in "ab":
            rows.append(
                {
                    "tunniste": f"{side}{i}",
                    "etunimet": "Maria",
                    "sukunimi": surname,
                    "syntymaaika": "1990-01-01",
                }
            )
    records = pd.DataFrame(rows)
    pairs = pd.DataFrame({"tunniste_l": ["a0", "a1"], "tunniste_r": ["b0", "b1"]})
    scored = score_pairs(records, pairs, model=model).set_index("tunniste_l")
    assert scored.loc["a0", "match_weight"] < scored.loc["a1", "match_weight"]


def test_missing_columns_are_fine() -> None:
    records = pd.DataFrame(
        {
            "tunniste": ["1", "2", "3"],
            "sukunimi": ["Laine", "Laine", "Aho"],
            "etunimet": ["Eino", "Eino", "Eino"],
        }
    )
    pairs = find_duplicates(records, keep="all")
    assert set(pairs.columns) >= {
        "tunniste_l",
        "tunniste_r",
        "probability",
        "decision",
        "sim_sukunimi",
        "sim_etunimet",
        "explanation",
    }


def test_tunniste_required_and_unique() -> None:
    with pytest.raises(ValueError, match="tunniste"):
        find_duplicates(pd.DataFrame({"sukunimi": ["A"]}))
    with pytest.raises(ValueError, match="unique"):
        find_duplicates(pd.DataFrame({"tunniste": ["1", "1"], "sukunimi": ["A", "A"]}))
