"""The matcher on the seeded synthetic register: quality gates at a small size, and link()."""

from __future__ import annotations

import pandas as pd

from onrtools.duplicates.matching import find_duplicates, link
from onrtools.duplicates.matching.synthetic import ERROR_RATES, generate_register, true_pairs


def _key(frame: pd.DataFrame) -> set[tuple[str, str]]:
    return {tuple(sorted(p)) for p in zip(frame["tunniste_l"], frame["tunniste_r"], strict=True)}


def test_generator_is_seeded_and_plants_duplicates() -> None:
    a, b = generate_register(2000, seed=3), generate_register(2000, seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 2000 and a["tunniste"].is_unique
    truth = true_pairs(a)
    assert 150 < len(truth) < 400
    assert a["hetu"].dropna().str.slice(7, 8).eq("9").all()  # test range 900-999 only
    assert set(ERROR_RATES) >= {"swap_day_month", "hetu_typo", "surname_change", "fold_accents"}


def test_quality_on_fitted_model() -> None:
    records = generate_register(8000, seed=11)
    truth = true_pairs(records)
    pairs = find_duplicates(records.drop(columns=["person_id"]))
    match = _key(pairs[pairs["decision"] == "match"])
    precision = len(match & truth) / len(match)
    recall = len(match & truth) / len(truth)
    assert precision >= 0.99, precision
    assert recall >= 0.97, recall
    assert len(_key(pairs) & truth) / len(truth) >= 0.99
    blocking = pairs.attrs["blocking"]
    assert blocking["records"] == 8000 and sum(blocking["skipped_blocks"].values()) == 0


def test_link_between_register_and_onr_reads() -> None:
    records = generate_register(3000, seed=5)
    truth = {pid for pid, n in records["person_id"].value_counts().items() if n == 2}
    dup = records[records["person_id"].isin(truth)].sort_values("tunniste")
    left = dup.drop_duplicates("person_id", keep="first")
    right = dup.drop_duplicates("person_id", keep="last")
    pairs = link(left.drop(columns=["person_id"]), right.drop(columns=["person_id"]))
    assert set(pairs["tunniste_l"]) <= set(left["tunniste"])
    assert set(pairs["tunniste_r"]) <= set(right["tunniste"])
    person = records.set_index("tunniste")["person_id"]
    match = pairs[pairs["decision"] == "match"]
    same = (match["tunniste_l"].map(person) == match["tunniste_r"].map(person)).mean()
    assert same >= 0.98 and len(match) >= 0.9 * len(truth)
