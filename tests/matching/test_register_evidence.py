"""Issue #12: evidence the matcher reads off the register at hand (not off a generator).

* a first given name many records carry is a name in its own right: "Juha" is not a short
  form or a typo of "Juhani" in a register where both are common (twins and siblings);
* one keyboard slip in a first name of four letters or more is a typo level;
* sharing a rare first name weighs more than sharing a common one (term frequencies);
* the review queue goes below the review floor only as far as its capacity allows, never
  takes a pair a rule made a non-match, and leaves a full queue alone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from onrtools.duplicates.matching import NON_MATCH, REVIEW, _deepen_review
from onrtools.duplicates.matching.compare import FIRST_INITIAL, compare
from onrtools.duplicates.matching.model import (
    TF_TOKEN_TABLE,
    _tf_tables,
    default_model,
    match_weight,
)
from onrtools.duplicates.matching.normalise import prepare

PERSON = {"sukunimi": "Mäkelä", "syntymaaika": "1998-04-23", "sukupuoli": "1"}


def _register(first_names: list[str]) -> pd.DataFrame:
    rows = [
        {**PERSON, "tunniste": f"r{i}", "etunimet": name, "syntymaaika": f"19{50 + i % 40}-01-01"}
        for i, name in enumerate(first_names)
    ]
    return pd.DataFrame(rows)


def _first_level(records: pd.DataFrame, a: int, b: int) -> tuple[int, bool]:
    p = prepare(records)
    comp = compare(p, np.array([a]), np.array([b]))
    return int(comp.levels["etunimet"][0]), bool(comp.same_first_given[0])


def test_a_common_name_is_not_a_short_form_of_another_common_name() -> None:
    common = _register(["Juha"] * 3 + ["Juhani"] * 3)
    level, same_first = _first_level(common, 0, 3)
    assert level == 1  # different names
    assert not same_first  # so the twin cap applies


def test_a_rare_prefix_is_still_a_short_form() -> None:
    rare = _register(["Juha", "Juhani", "Juhani", "Juhani"])  # "Juha" written once
    level, same_first = _first_level(rare, 0, 1)
    assert level == FIRST_INITIAL
    assert same_first


def test_an_initial_is_never_a_name_in_its_own_right() -> None:
    initials = _register(["A."] * 4 + ["Aino"] * 4)
    level, _ = _first_level(initials, 0, 4)
    assert level == FIRST_INITIAL


def test_one_keyboard_slip_is_a_typo_level() -> None:
    records = _register(["Julia", "Jtlia"])
    level, same_first = _first_level(records, 0, 1)
    assert level == 2  # the fuzzy level: JW of "julia"/"jtlia" is just under 0.88
    assert same_first


def test_two_short_names_one_letter_apart_are_not_a_typo() -> None:
    records = _register(["Eva", "Ava"])  # three letters: a different name as often as a slip
    level, _ = _first_level(records, 0, 1)
    assert level == 1


def test_sharing_a_rare_first_name_weighs_more_than_a_common_one() -> None:
    names = ["Maria Eveliina", "Maria Eveliina Kaisa"] + ["Maria"] * 40 + ["Eveliina"] * 2
    names += ["Maria Sofia", "Maria Ilona"]
    records = _register(names)
    p = prepare(records)
    model = default_model()
    model = type(model)(**{**model.to_dict(), "tf": {**model.tf, **_tf_tables(p)}})
    assert TF_TOKEN_TABLE in model.tf
    # pair 0-1 shares "Maria" and "Eveliina" (rarest: Eveliina); pair 42-43 shares "Maria"
    left, right = np.array([0, 44]), np.array([1, 45])
    comp = compare(p, left, right)
    assert list(comp.levels["etunimet"]) == [4, 3]
    with_tf = match_weight(model, p, left, comp, right)
    without = match_weight(model, p, left, comp)  # no right rows: no shared-name adjustment
    rare_gain, common_gain = with_tf - without
    assert rare_gain > common_gain
    assert common_gain < 0  # "Maria" is more common than the level's average shared name


def test_deepen_review_fills_the_queue_and_no_further() -> None:
    prob = np.array([0.9, 0.5, 0.009, 0.008, 0.007, 0.006, 0.0005, 0.008])
    decision = np.array(
        [0, REVIEW, NON_MATCH, NON_MATCH, NON_MATCH, NON_MATCH, NON_MATCH, NON_MATCH], dtype=np.int8
    )
    rule = np.zeros(len(prob), dtype=np.int8)
    rule[7] = 4  # a rule made this one a non-match (two people): it never joins the queue
    rt = _deepen_review(prob, decision, rule, 0.01, capacity=3)
    assert list(np.flatnonzero(decision == REVIEW)) == [1, 2, 3]  # the two most probable
    assert rt == 0.008
    assert decision[7] == NON_MATCH and decision[6] == NON_MATCH


def test_deepen_review_leaves_a_full_queue_alone() -> None:
    prob = np.array([0.5, 0.4, 0.009])
    decision = np.array([REVIEW, REVIEW, NON_MATCH], dtype=np.int8)
    rt = _deepen_review(prob, decision, np.zeros(3, dtype=np.int8), 0.01, capacity=2)
    assert rt == 0.01 and decision[2] == NON_MATCH


def test_deepen_review_stops_at_a_tenth_of_the_threshold() -> None:
    prob = np.array([0.6, 0.0009, 0.002])
    decision = np.array([0, NON_MATCH, NON_MATCH], dtype=np.int8)
    _deepen_review(prob, decision, np.zeros(3, dtype=np.int8), 0.01, capacity=10)
    assert decision[1] == NON_MATCH and decision[2] == REVIEW
