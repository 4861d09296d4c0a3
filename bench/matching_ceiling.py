"""How far could any matcher over onrtools' comparison levels get on the Finnish set?

The Finnish synthetic register plants namesakes and twins next to true duplicates whose surname,
address, passport and a birth-date part changed. Some of each look exactly alike to the
comparisons: same level on every field. This script measures the ceiling that leaves, with
the labels as help no real register has:

* it compares every candidate pair (onrtools' blocking) and codes each pair by its levels
  (every field's level, the hetu conflict, "same first given name", the count of shared
  first names): a *pattern*;
* it learns, on one register (``--train-seed``), the share of true pairs in each pattern, a
  supervised classifier with a separate parameter for each of thousands of patterns;
* on the benchmark's register (``--seed``), it ranks pairs by that share and reports the
  best F1 over all thresholds, and the share of true pairs a review queue of ``--review``
  pairs per 1,000 records on top of that match set would catch.

With ``--gbm`` the supervised model is a gradient-boosted classifier (scikit-learn's
``HistGradientBoostingClassifier``, in the ``bench`` extra) over more than the levels: each
field's level, the hetu conflict, the first-name flags, how common the surname and first names
are in the register, onrtools' own match weight, rule and transitive bound. Trained with labels
on another register, it can only do better than onrtools if the features hold more than
onrtools makes of them. Its scores are ranked the same way.

A supervised model over the same evidence that does no better than the unsupervised matcher
says the remaining misses are namesakes the evidence cannot tell apart, not a fault of the
model. Usage::

    python bench/matching_ceiling.py --size 100000 [--gbm]
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np
import pandas as pd

from onrtools.duplicates.matching import blocking, normalise, synthetic
from onrtools.duplicates.matching.compare import FIELDS, N_LEVELS, compare_levels


def patterns(n: int, seed: int) -> tuple[pd.DataFrame, int, int]:
    """Every candidate pair's pattern code and truth; the number of true pairs and of those
    blocking found."""
    records = synthetic.generate_register(n, seed=seed).reset_index(drop=True)
    p = normalise.prepare(records.drop(columns=["person_id"]).astype("string"))
    cand = blocking.candidate_pairs(p)
    comp = compare_levels(p, cand.left, cand.right)
    code = np.zeros(len(cand.left), dtype=np.int64)
    for f in FIELDS:
        code = code * N_LEVELS[f] + comp.levels[f]
    code = code * 2 + comp.hetu_conflict
    code = code * 2 + comp.same_first_given
    code = code * 5 + np.minimum(comp.shared_first, 4)
    person = records["person_id"].to_numpy()
    is_true = person[cand.left] == person[cand.right]
    sizes = records.groupby("person_id").size().to_numpy()
    true_pairs = int((sizes * (sizes - 1) // 2).sum())
    return pd.DataFrame({"code": code, "true": is_true}), true_pairs, int(is_true.sum())


def features(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Every candidate pair's features (see the module doc), its truth, and the true pairs."""
    from onrtools.duplicates.matching import _decide, _thresholds, _transitive_bound
    from onrtools.duplicates.matching.model import default_model, fit, match_weight

    records = synthetic.generate_register(n, seed=seed).reset_index(drop=True)
    person = records["person_id"].to_numpy()
    sizes = records.groupby("person_id").size().to_numpy()
    p = normalise.prepare(records.drop(columns=["person_id"]).astype("string"))
    cand = blocking.candidate_pairs(p)
    left, right = cand.left, cand.right
    comp = compare_levels(p, left, right)
    model = fit(p, comp, seed=0, base=default_model())
    weight = match_weight(model, p, left, comp, right)
    mt, rt = _thresholds(model, weight, True, None, None)
    prob, weight, decision, rule = _decide(model, p, left, right, comp, mt, rt, weight=weight)
    every = np.arange(len(prob))
    soft, hard = _transitive_bound(prob, decision, rule, left, right, p, rt / 100, every)

    def count(codes: np.ndarray) -> np.ndarray:  # how many records carry each one's value
        per_value = np.bincount(np.maximum(codes, 0))
        return np.where(codes >= 0, per_value[np.maximum(codes, 0)], 0)

    surname, first, names = count(p.suku_fold), count(p.first1), count(p.etu_fold)
    columns = [comp.levels[f] for f in FIELDS] + [
        comp.hetu_conflict,
        comp.same_first_given,
        np.asarray(comp.shared_first),
        weight,
        np.log(np.clip(np.minimum(prob, soft), 1e-9, 1.0)),
        hard,
        rule,
        surname[left],
        surname[right],
        np.minimum(first[left], first[right]),
        np.maximum(first[left], first[right]),
        np.minimum(names[left], names[right]),
    ]
    matrix = np.column_stack([np.asarray(c, dtype=np.float32) for c in columns])
    return matrix, person[left] == person[right], int((sizes * (sizes - 1) // 2).sum())


def gbm_scores(size: int, seed: int, train_seed: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Scores of a gradient-boosted classifier learnt with labels on ``train_seed``'s register
    (every true pair and 3 M others, weighted back), for ``seed``'s candidate pairs."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    x, y, _ = features(size, train_seed)
    rng = np.random.default_rng(0)
    others = np.flatnonzero(~y)
    sample = rng.choice(others, size=min(len(others), 3_000_000), replace=False)
    rows = np.concatenate([np.flatnonzero(y), sample])
    weights = np.where(y[rows], 1.0, len(others) / max(len(sample), 1))
    clf = HistGradientBoostingClassifier(max_iter=300, max_leaf_nodes=63, random_state=0)
    clf.fit(x[rows], y[rows], sample_weight=weights)
    del x, y
    x, y, true_pairs = features(size, seed)
    step = 4_000_000
    score = np.concatenate(
        [clf.predict_proba(x[i : i + step])[:, 1] for i in range(0, len(x), step)]
    )
    return score, y, true_pairs


def ceiling(
    size: int, seed: int, train_seed: int, review_per_1000: float, gbm: bool = False
) -> dict:
    if gbm:
        score, truth, true_pairs = gbm_scores(size, seed, train_seed)
        blocked, trained = int(truth.sum()), "gradient-boosted trees"
    else:
        train, _, _ = patterns(size, train_seed)
        test, true_pairs, blocked = patterns(size, seed)
        table = train.groupby("code")["true"].agg(["size", "sum"])
        # a pattern never seen in training gets the overall share; light smoothing toward it
        overall = float(train["true"].mean())
        share = (table["sum"] + overall) / (table["size"] + 1)
        score = test["code"].map(share).fillna(overall).to_numpy()
        truth, trained = test["true"].to_numpy(), len(table)
    order = np.argsort(-score, kind="stable")
    hits = np.cumsum(truth[order])
    k = np.arange(1, len(hits) + 1)
    precision, recall = hits / k, hits / true_pairs
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    best = int(f1.argmax())
    queue = min(len(hits) - 1, best + int(review_per_1000 * size / 1000))
    return {
        "records": size,
        "true_pairs": true_pairs,
        "blocked_true_pairs": blocked,
        "model": trained,
        "best_f1": float(f1[best]),
        "precision": float(precision[best]),
        "recall": float(recall[best]),
        "match_or_review": float(hits[queue] / true_pairs),
        "review_per_1000": review_per_1000,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20261127, help="the benchmark's register")
    parser.add_argument("--train-seed", type=int, default=7, help="the register learnt from")
    parser.add_argument("--review", type=float, default=20.0, help="review pairs per 1,000")
    parser.add_argument("--gbm", action="store_true", help="gradient-boosted trees (see above)")
    args = parser.parse_args()
    row = ceiling(args.size, args.seed, args.train_seed, args.review, args.gbm)
    json.dump(row, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
