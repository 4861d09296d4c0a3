"""onrtools.pipeline.demo_register: the planted-defect register and its truth (no simulator)."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from onrtools.pipeline.demo_checks import check_truth
from onrtools.pipeline.demo_register import (
    EXPECTED,
    RATES,
    expected_lists,
    finish,
    plan,
    write_register,
)
from onrtools.register import hetu
from onrtools.register.oid import generate_person_oid
from onrtools.register.read import read_register
from onrtools.register.validation import validate_register


@pytest.fixture(scope="module")
def demo():
    return plan(400, seed=7)


def test_every_kind_is_planted_at_its_rate(demo) -> None:
    kinds = Counter(demo.truth["kind"])
    for kind, rate in RATES.items():
        assert kinds[kind] == max(1, round(400 * rate)), kind
    assert kinds["duplicate_copy"] == kinds["duplicate_in_file"]
    assert len(demo.rows) == 400 == len(demo.truth)
    assert demo.truth["tunniste"].is_unique


def test_people_are_synthetic_and_unique(demo) -> None:
    hetus = [r["hetu"] for r in demo.rows if r["hetu"]]
    assert all(h[7:10] >= "900" for h in hetus)  # test range only
    kinds = dict(zip(demo.truth["tunniste"], demo.truth["kind"], strict=True))
    valid = [r["hetu"] for r in demo.rows if r["hetu"] and kinds[r["tunniste"]] != "hetu_typo"]
    assert all(hetu.is_valid(h) for h in valid)
    originals = [r["hetu"] for r in demo.rows
                 if r["hetu"] and kinds[r["tunniste"]] not in ("hetu_typo", "duplicate_copy")]
    assert len(originals) == len(set(originals))
    vtj_hetus = [v["hetu"] for v in demo.vtj]
    assert len(vtj_hetus) == len(set(vtj_hetus))


def test_taken_hetus_are_avoided() -> None:
    first = plan(60, seed=3)
    taken = {r["hetu"] for r in first.rows if r["hetu"]}
    again = plan(60, seed=3, taken=taken)
    assert not taken & {r["hetu"] for r in again.rows if r["hetu"]}


def test_same_seed_same_register() -> None:
    assert plan(80, seed=5).rows == plan(80, seed=5).rows
    assert plan(80, seed=5).rows != plan(80, seed=6).rows


def test_too_small_register_is_refused() -> None:
    with pytest.raises(ValueError, match="too small"):
        plan(5)


def test_validation_finds_exactly_the_planted_codes(demo, tmp_path: Path) -> None:
    """The register as written and read back: errors only where planted, with the right code."""
    rng = random.Random(1)
    prior = {slave: generate_person_oid(rng) for _, slave in demo.merges}
    frame = finish(demo, prior)
    path = write_register(frame, tmp_path / "register.csv")
    result = validate_register(read_register(path), target_env="local")
    problems = result.problems
    errors = problems[problems["severity"] == "error"]
    planted = demo.truth[demo.truth["code"] != ""]
    want = set(zip(planted["tunniste"], planted["code"], strict=True))
    got = set(zip(problems["tunniste"], problems["code"], strict=True))
    assert want <= got
    never_sent = set(demo.truth.loc[demo.truth["expected"] == "never_sent", "tunniste"])
    assert set(errors["tunniste"]) == never_sent
    warned = set(problems.loc[problems["severity"] == "warning", "tunniste"])
    # a kutsumanimi outside the first names is a warning: ONR's PUT /oppija accepts it
    assert warned == set(demo.truth.loc[demo.truth["kind"].isin(["duplicate_copy", "kutsumanimi"]),
                                        "tunniste"])
    assert len(result.valid_rows) == len(frame) - len(never_sent)


def test_merged_rows_carry_the_old_oid(demo) -> None:
    prior = {f"{t}-old": f"1.2.246.562.98.{i:011d}" for i, t in enumerate(demo.slave_of_row)}
    frame = finish(demo, prior).set_index("tunniste")
    for i, t in enumerate(demo.slave_of_row):
        assert frame.loc[t, "oid"] == f"1.2.246.562.98.{i:011d}"
        assert frame.loc[t, "hetu"] == ""
    with pytest.raises(ValueError, match="no OID"):
        finish(demo, {})


def test_expected_lists_and_the_truth_check(demo) -> None:
    elsewhere = {r["tunniste"]: f"1.2.246.562.98.9{i:010d}"
                 for i, r in enumerate(demo.ours_elsewhere)}
    expected = expected_lists(demo, elsewhere)
    clean = demo.truth.loc[demo.truth["kind"] == "clean", "tunniste"].iloc[0]
    assert set(expected.loc[expected["tunniste"] == clean, "category"]) == set(EXPECTED["clean"])
    assert (expected["category"] == "missing_locally").sum() == len(demo.ours_elsewhere)

    actions = expected.copy()  # a perfect run
    actions.loc[len(actions)] = {"tunniste": "", "oid": "1.2.246.562.98.12345678901",
                                 "category": "missing_locally"}  # ONR's own history: allowed
    assert check_truth(actions, expected).empty

    wrong = actions[actions["tunniste"] != clean]  # a clean row found nowhere
    extra = pd.DataFrame([{"tunniste": demo.truth["tunniste"].iloc[1], "oid": "",
                           "category": "row_conflict"}])  # and a row in a list it must not be
    lost = actions[actions["oid"] != next(iter(elsewhere.values()))]
    bad = check_truth(pd.concat([wrong, extra, lost.iloc[:0]]), expected)
    assert clean in set(bad["tunniste"]) and demo.truth["tunniste"].iloc[1] in set(bad["tunniste"])
    assert set(check_truth(lost, expected)["oid"]) == {next(iter(elsewhere.values()))}
