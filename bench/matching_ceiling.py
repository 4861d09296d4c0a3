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

A supervised model over the same evidence that does no better than the unsupervised matcher
says the remaining misses are namesakes the evidence cannot tell apart, not a fault of the
model. Usage::

    python bench/matching_ceiling.py --size 100000
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


def ceiling(size: int, seed: int, train_seed: int, review_per_1000: float) -> dict:
    train, _, _ = patterns(size, train_seed)
    test, true_pairs, blocked = patterns(size, seed)
    table = train.groupby("code")["true"].agg(["size", "sum"])
    # a pattern never seen in training gets the overall share; light smoothing toward it
    overall = float(train["true"].mean())
    share = (table["sum"] + overall) / (table["size"] + 1)
    score = test["code"].map(share).fillna(overall).to_numpy()
    order = np.argsort(-score, kind="stable")
    hits = np.cumsum(test["true"].to_numpy()[order])
    k = np.arange(1, len(hits) + 1)
    precision, recall = hits / k, hits / true_pairs
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    best = int(f1.argmax())
    queue = min(len(hits) - 1, best + int(review_per_1000 * size / 1000))
    return {
        "records": size,
        "true_pairs": true_pairs,
        "blocked_true_pairs": blocked,
        "patterns_trained": len(table),
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
    args = parser.parse_args()
    row = ceiling(args.size, args.seed, args.train_seed, args.review)
    json.dump(row, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
