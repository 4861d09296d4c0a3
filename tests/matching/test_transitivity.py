"""Issue #12: what the pairs around a pair say about it (transitivity), and a hetu's own date.

If record A is one person with B and also with C, then B is one person with C. So
P(A~C) <= P(B~C) + 1 - P(A~B): a namesake of someone whose duplicate is already found is
unlikely to be them too, however alike the two look. Where B and C have two different valid
hetus (ONR: two people) that needs no model at all, and such a pair is never a match.

A record whose valid hetu tells another date than its typed birth date is compared on
whichever of the two agrees better.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from onrtools.duplicates.matching import (
    MATCH,
    NON_MATCH,
    REVIEW,
    RULE_OTHER_HETU,
    RULES,
    _transitive_bound,
    find_duplicates,
    link,
)
from onrtools.duplicates.matching.compare import compare
from onrtools.duplicates.matching.normalise import prepare

PERSON = {
    "etunimet": "Aino Maria",
    "kutsumanimi": "Aino",
    "sukunimi": "Korhonen",
    "syntymaaika": "1999-02-03",
    "sukupuoli": "2",
}


def _records(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([{**PERSON, **row} for row in rows])


def test_bound_from_a_confident_match_elsewhere() -> None:
    p = prepare(_records([{"tunniste": t} for t in ("a", "b", "c", "d")]))
    left, right = np.array([0, 0, 1]), np.array([1, 2, 3])
    prob = np.array([0.99, 0.30, 0.02])
    decision = np.array([MATCH, REVIEW, REVIEW], dtype=np.int8)
    soft, hard = _transitive_bound(
        prob, decision, np.zeros(3, np.int8), left, right, p, 1e-4, np.arange(3)
    )
    # a~c: a is surely b, and b~c is no candidate at all: at most 1 - 0.99 + 0
    assert soft[1] == np.float64(1 - 0.99)
    # b~d: b is surely a, a~d no candidate
    assert abs(soft[2] - 0.01) < 1e-12
    assert soft[0] == 1.0  # a~b is the best match of both: nothing bounds it
    assert (hard == 1.0).all()  # no hetus: nothing is known without the model


def test_bound_uses_the_probability_of_the_third_pair() -> None:
    p = prepare(_records([{"tunniste": t} for t in ("a", "b", "c")]))
    left, right = np.array([0, 0, 1]), np.array([1, 2, 2])
    prob = np.array([0.99, 0.30, 0.25])
    decision = np.array([MATCH, REVIEW, REVIEW], dtype=np.int8)
    soft, _ = _transitive_bound(
        prob, decision, np.zeros(3, np.int8), left, right, p, 1e-4, np.arange(3)
    )
    assert abs(soft[1] - (0.01 + 0.25)) < 1e-12  # b~c is likely too: the bound stays loose


def test_only_the_pairs_asked_for_are_bounded() -> None:
    p = prepare(_records([{"tunniste": t} for t in ("a", "b", "c")]))
    left, right = np.array([0, 0, 1]), np.array([1, 2, 2])
    prob = np.array([0.99, 0.30, 0.25])
    decision = np.array([MATCH, REVIEW, REVIEW], dtype=np.int8)
    soft, hard = _transitive_bound(
        prob, decision, np.zeros(3, np.int8), left, right, p, 1e-4, np.array([1])
    )
    assert len(soft) == len(hard) == 1
    assert abs(soft[0] - (0.01 + 0.25)) < 1e-12


def test_a_rule_non_match_counts_as_zero() -> None:
    p = prepare(_records([{"tunniste": t} for t in ("a", "b", "c")]))
    left, right = np.array([0, 0, 1]), np.array([1, 2, 2])
    prob = np.array([0.99, 0.30, 0.25])
    decision = np.array([MATCH, REVIEW, NON_MATCH], dtype=np.int8)
    rule = np.array([0, 0, RULES.index(RULE_OTHER_HETU)], dtype=np.int8)
    soft, _ = _transitive_bound(prob, decision, rule, left, right, p, 1e-4, np.arange(3))
    assert abs(soft[1] - 0.01) < 1e-12


def test_a_namesake_of_someone_already_found_is_not_matched() -> None:
    alone = _records(
        [
            {
                "tunniste": "dup",
                "passinumero": "P12345678",
                "katuosoite": "Rantatie 4",
                "postinumero": "00100",
            },
            {
                "tunniste": "namesake",
                "hetu": "030299-9945",
                "katuosoite": "Koulukatu 9",
                "postinumero": "33100",
            },
        ]
    )
    pairs = find_duplicates(alone, keep="all", language="en")
    assert pairs["decision"].tolist() == ["match"]  # on its own the pair looks like one person

    found = pd.concat(
        [
            alone,
            _records(
                [
                    {
                        "tunniste": "original",
                        "hetu": "030299U9048",
                        "sahkoposti": "aino@example.fi",
                        "katuosoite": "Rantatie 4",
                        "postinumero": "00100",
                    }
                ]
            ),
        ]
    )
    found.loc[found["tunniste"] == "dup", "sahkoposti"] = "aino@example.fi"
    pairs = find_duplicates(found, keep="all", language="en").set_index(
        ["tunniste_l", "tunniste_r"]
    )
    decision = {frozenset(k): v for k, v in pairs["decision"].items()}
    explanation = {frozenset(k): v for k, v in pairs["explanation"].items()}
    assert decision[frozenset({"dup", "original"})] == "match"
    assert decision[frozenset({"dup", "namesake"})] == "review"
    assert "whose valid hetu differs" in explanation[frozenset({"dup", "namesake"})]


def test_a_hetu_date_that_agrees_counts_over_a_mistyped_birth_date() -> None:
    records = _records(
        [
            {"tunniste": "a", "hetu": "030299-9945", "syntymaaika": "1999-03-03"},  # typed wrong
            {"tunniste": "b", "syntymaaika": "1999-02-03"},
            {"tunniste": "c", "syntymaaika": "1999-03-03"},
        ]
    )
    p = prepare(records)
    comp = compare(p, np.array([0, 0]), np.array([1, 2]))
    assert comp.levels["syntymaaika"].tolist() == [4, 4]  # either date may be the right one


def test_without_a_hetu_date_the_typed_date_alone_counts() -> None:
    records = _records(
        [
            {"tunniste": "a", "syntymaaika": "1999-03-03"},
            {"tunniste": "b", "syntymaaika": "1999-02-03"},
        ]
    )
    p = prepare(records)
    comp = compare(p, np.array([0]), np.array([1]))
    assert comp.levels["syntymaaika"].tolist() == [2]  # one part differs


def test_link_sends_a_match_to_review_when_the_record_is_someone_else_with_another_hetu() -> None:
    left = _records(
        [
            {
                "tunniste": "dup",
                "passinumero": "P12345678",
                "sahkoposti": "aino@example.fi",
                "katuosoite": "Rantatie 4",
                "postinumero": "00100",
            }
        ]
    )
    namesake = {
        "tunniste": "namesake",
        "hetu": "030299-9945",
        "katuosoite": "Koulukatu 9",
        "postinumero": "33100",
    }
    original = {
        "tunniste": "original",
        "hetu": "030299U9048",
        "sahkoposti": "aino@example.fi",
        "katuosoite": "Rantatie 4",
        "postinumero": "00100",
    }
    alone = link(left, _records([namesake]), keep="all", language="en")
    assert alone["decision"].tolist() == ["match"]
    both = link(left, _records([namesake, original]), keep="all", language="en")
    decision = dict(zip(both["tunniste_r"], both["decision"], strict=True))
    assert decision == {"original": "match", "namesake": "review"}
