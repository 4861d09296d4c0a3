"""Fellegi-Sunter weights learned without labels, with term-frequency adjustment.

* ``u`` (how often a level occurs between two *different* people) comes from random record
  pairs, which are almost all non-matches; additive smoothing keeps rare levels finite.
* ``m`` (how often a level occurs for the *same* person) comes from expectation maximisation on
  the candidate pairs with ``u`` held fixed, in two sessions as Splink does: pairs with the same
  birth date train every field but the birth date; pairs with the same names train the birth
  date. A field that defines a session's pairs is left out of that session.
* The prior ``lambda`` (probability that two random records are one person) follows from the
  first session: expected matches there divided by m(same birth date), over all pairs.
* Names get term-frequency adjustment: agreeing on "Virtanen" is weaker evidence than agreeing
  on "Pihlajaoja"; the u of an exact agreement is the value's frequency in the fitted data.

The probability is the posterior ``lambda*BF / (lambda*BF + 1 - lambda)`` with BF the product of
the fields' m/u; missing fields contribute nothing. A fitted model predicts a pair from the pair
alone (frequencies are the model's, not the data's), so adding an unrelated record to the data
never changes another pair's probability under the same model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from onrtools.duplicates.matching.compare import (
    FIELDS,
    FIRST_SKELETON,
    N_LEVELS,
    SURNAME_SKELETON,
    Comparison,
    cached_token_table,
    compare,
)
from onrtools.duplicates.matching.normalise import Prepared

DEFAULT_MODEL_PATH = Path(__file__).with_name("default_model.json")
M_FLOOR = 1e-3
# m held fixed during EM: two different valid hetus are two people (ONR: hetu is unique), so
# the "same person" class cannot absorb twins and namesakes that differ there
FIXED_M: dict[str, dict[int, float]] = {"hetu": {1: M_FLOOR}}
SAME_SURNAME = (4, 5, SURNAME_SKELETON)  # levels that count as "same name" for EM's session b
SAME_FIRST = (5, 6, FIRST_SKELETON)
TF_FIELDS = {"sukunimi": (4, 5), "etunimet": (5, 6)}  # levels whose u is the value's frequency
# first names that share a name (3) or where one list holds the other (4): the u of the level
# is replaced by the frequency of the rarest name the two share ("Maria" in common is weaker
# evidence than "Eveliina"); the table is "etunimi_token", one frequency per single name
TF_SHARED_FIRST = (3, 4)
TF_TOKEN_TABLE = "etunimi_token"


@dataclass
class Model:
    """Fitted m/u per field and level (index = level; level 0 is unused), prior and TFs."""

    m: dict[str, list[float]]
    u: dict[str, list[float]]
    prior: float
    tf: dict[str, dict[str, float]] = field(default_factory=dict)
    tf_floor: float = 1e-5
    match_threshold: float = 0.5  # calibrated: "more likely one person than two"
    review_threshold: float = 0.01
    fitted_on: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "m": self.m,
            "u": self.u,
            "prior": self.prior,
            "tf": self.tf,
            "tf_floor": self.tf_floor,
            "match_threshold": self.match_threshold,
            "review_threshold": self.review_threshold,
            "fitted_on": self.fitted_on,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Model:
        return cls(**data)

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Model:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    def weights(self, name: str) -> np.ndarray:
        """log2(m/u) per level of one field (0 for level 0)."""
        m, u = np.asarray(self.m[name]), np.asarray(self.u[name])
        w = np.log2(np.maximum(m, 1e-12) / np.maximum(u, 1e-12))
        w[0] = 0.0
        return w


def _tf_lookup(model: Model, name: str, values: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Frequency of each row's value under the model (floor for unseen values)."""
    table = model.tf.get(name, {})
    per_value = np.array([table.get(v, model.tf_floor) for v in values], dtype=float)
    if len(per_value) == 0:
        return np.full(len(codes), model.tf_floor)
    return np.where(codes >= 0, per_value[np.maximum(codes, 0)], model.tf_floor)


def match_weight(
    model: Model,
    p: Prepared,
    left: np.ndarray,
    comp: Comparison,
    right: np.ndarray | None = None,
) -> np.ndarray:
    """Total log2 Bayes factor per pair (prior not included); ``right`` (the pairs' other
    rows) lets shared first names weigh by their frequency."""
    total = np.zeros(len(comp))
    for name in FIELDS:
        total += model.weights(name)[comp.levels[name]]
    v = p.values
    for name, codes, values in (
        ("sukunimi", p.suku_fold, v["suku_fold"]),
        ("etunimet", p.etu_fold, v["etu_fold"]),
    ):
        lv = comp.levels[name]
        hit = np.isin(lv, TF_FIELDS[name])
        if hit.any():
            tf = _tf_lookup(model, name, values, codes[left[hit]])
            u = np.asarray(model.u[name])[lv[hit]]
            # replace the average u of an exact agreement by this value's frequency
            total[hit] += np.log2(u) - np.log2(np.maximum(tf, 1e-12))
    if right is not None and TF_TOKEN_TABLE in model.tf:  # older models go without
        total += _shared_first_adjustment(model, p, left, right, comp)
    return total


def _shared_first_adjustment(
    model: Model,
    p: Prepared,
    left: np.ndarray,
    right: np.ndarray,
    comp: Comparison,
    chunk: int = 2_000_000,
) -> np.ndarray:
    """log2(u of the level) - log2(frequency of the rarest shared first name), for pairs whose
    first names share a name or contain each other; 0 elsewhere."""
    out = np.zeros(len(comp))
    lv = comp.levels["etunimet"]
    hit = np.flatnonzero(np.isin(lv, TF_SHARED_FIRST))
    if len(hit) == 0:
        return out
    matrix, _, vocab = cached_token_table(p, "etu_fold", 4)
    key = ("tf:etunimi_token", id(model))
    if key not in p.cache:
        table = model.tf[TF_TOKEN_TABLE]
        p.cache[key] = np.array([table.get(t, model.tf_floor) for t in vocab] or [1.0])
    freq = p.cache[key]
    u = np.asarray(model.u["etunimet"])
    for i in range(0, len(hit), chunk):
        rows = hit[i : i + chunk]
        tl = matrix[np.maximum(p.etu_fold[left[rows]], 0)]
        tr = matrix[np.maximum(p.etu_fold[right[rows]], 0)]
        shared = ((tl[:, :, None] == tr[:, None, :]) & (tl[:, :, None] >= 0)).any(axis=2)
        rarest = np.where(shared, freq[np.maximum(tl, 0)], np.inf).min(axis=1)
        ok = np.isfinite(rarest)
        adj = np.log2(u[lv[rows]]) - np.log2(np.maximum(rarest, 1e-12))
        out[rows[ok]] = adj[ok]
    return out


def posterior_thresholds(
    prob: np.ndarray,
    *,
    lost_share: float = 0.0001,
    match_bounds: tuple[float, float] = (0.3, 0.8),
    review_bounds: tuple[float, float] = (0.01, 0.2),
) -> tuple[float, float]:
    """(match, review) thresholds read off the posterior of the candidate pairs themselves.

    A calibrated posterior says how many true pairs to expect: ``sum(prob)``. ``match`` is the
    threshold with the best expected F1 (expected true positives ``sum(p)`` above it, expected
    misses ``sum(p)`` below it); ``review`` is the highest threshold below which at most
    ``lost_share`` (0.01 %) of the expected true pairs fall. Both are clipped to bounds so
    that a register with almost no duplicates (an unstable estimate) keeps sensible values.
    """
    total = float(np.sum(prob))
    if len(prob) == 0 or total < 1.0:
        return 0.5, 0.01
    # only pairs that could carry a threshold are sorted (millions of near-zero pairs at 1M
    # records would cost memory and change nothing: both thresholds are clipped above them)
    p = np.sort(prob[prob >= review_bounds[0] / 10])[::-1]
    if len(p) == 0:
        return 0.5, 0.01
    found = np.cumsum(p)
    f1 = 2 * found / (np.arange(1, len(p) + 1) + total)
    match = float(np.clip(p[int(f1.argmax())], *match_bounds))
    below = total - found  # expected true pairs under p[k]
    enough = np.flatnonzero(below <= lost_share * total)
    review = float(p[int(enough[0])]) if len(enough) else review_bounds[0]
    return match, float(np.clip(review, review_bounds[0], min(review_bounds[1], match)))


def probability(model: Model, weight: np.ndarray) -> np.ndarray:
    """Posterior match probability from a log2 Bayes factor."""
    prior_w = np.log2(model.prior / (1 - model.prior))
    return 1.0 / (1.0 + np.exp2(-(weight + prior_w)))


# --- fitting --------------------------------------------------------------------------------


def _level_counts(
    levels: np.ndarray, n_levels: int, weights: np.ndarray | None = None
) -> np.ndarray:
    return np.bincount(levels.astype(np.int64), weights=weights, minlength=n_levels)[:n_levels]


def estimate_u(
    p: Prepared,
    rng: np.random.Generator,
    *,
    max_pairs: int = 1_000_000,
    side: np.ndarray | None = None,
) -> dict[str, list[float]]:
    """u per field and level from random record pairs (across sides when ``side`` is given)."""
    n = len(p)
    if side is None:
        left = rng.integers(0, n, max_pairs)
        right = rng.integers(0, n, max_pairs)
    else:
        li, ri = np.flatnonzero(side == 0), np.flatnonzero(side == 1)
        left = li[rng.integers(0, len(li), max_pairs)]
        right = ri[rng.integers(0, len(ri), max_pairs)]
    keep = left != right
    comp = compare(p, left[keep], right[keep])
    u: dict[str, list[float]] = {}
    for name in FIELDS:
        counts = _level_counts(comp.levels[name], N_LEVELS[name])[1:] + 0.5
        u[name] = [1.0] + list(counts / counts.sum())
    return u


def _em(
    levels: dict[str, np.ndarray],
    fields: list[str],
    u: dict[str, list[float]],
    m_init: dict[str, list[float]],
    prior: float,
    iterations: int = 40,
) -> tuple[dict[str, list[float]], float]:
    """EM for m and the in-sample match share, u fixed; runs on distinct level patterns."""
    # one int64 pattern code per pair (no pairs x fields int64 matrix: gigabytes at 1M)
    code = np.zeros(len(levels[fields[0]]), dtype=np.int64)
    for f in fields:
        code *= N_LEVELS[f]
        code += levels[f]
    uniq, first, counts = np.unique(code, return_index=True, return_counts=True)
    del code
    patterns = np.stack([levels[f][first].astype(np.int64) for f in fields], axis=1)
    counts = counts.astype(float)
    m = {f: np.asarray(m_init[f], dtype=float) for f in fields}
    fixed = {f: levels_ for f, levels_ in FIXED_M.items() if f in fields}
    log_u = {f: np.log(np.maximum(np.asarray(u[f]), 1e-12)) for f in fields}
    lam = prior
    for _ in range(iterations):
        score = np.full(len(patterns), np.log(lam) - np.log(1 - lam))
        for k, f in enumerate(fields):
            lv = patterns[:, k]
            contrib = np.log(np.maximum(m[f][lv], 1e-12)) - log_u[f][lv]
            score += np.where(lv == 0, 0.0, contrib)
        post = 1.0 / (1.0 + np.exp(-np.clip(score, -700, 700)))
        w = post * counts
        new_lam = float(np.clip(w.sum() / counts.sum(), 1e-6, 1 - 1e-6))
        for k, f in enumerate(fields):
            c = _level_counts(patterns[:, k], N_LEVELS[f], w)[1:] + 1e-3
            c = c / c.sum()
            for level, value in fixed.get(f, {}).items():
                # ONR's rule, not a parameter: one person has one hetu
                c = c * (1 - value) / (1 - c[level - 1])
                c[level - 1] = value
            m[f] = np.r_[1.0, c]
        if abs(new_lam - lam) < 1e-7:
            lam = new_lam
            break
        lam = new_lam
    return {f: list(map(float, m[f])) for f in fields}, lam


def _m_init() -> dict[str, list[float]]:
    out = {}
    for f in FIELDS:
        k = N_LEVELS[f] - 1
        weights = np.exp2(np.arange(k) * 1.5)
        out[f] = [1.0] + list(weights / weights.sum())
    return out


def _tf_tables(p: Prepared, min_count: int = 2) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    n = max(len(p), 1)
    for name, codes, values in (
        ("sukunimi", p.suku_fold, p.values["suku_fold"]),
        ("etunimet", p.etu_fold, p.values["etu_fold"]),
    ):
        counts = np.bincount(codes[codes >= 0], minlength=len(values))
        keep = counts >= min_count
        out[name] = {str(v): float(c) / n for v, c in zip(values[keep], counts[keep], strict=True)}
    # single first names: the share of records whose first names include the name
    matrix, _, vocab = cached_token_table(p, "etu_fold", 4)
    rows = matrix[p.etu_fold[p.etu_fold >= 0]]
    counts = np.bincount(rows[rows >= 0], minlength=len(vocab))
    out[TF_TOKEN_TABLE] = {
        t: float(c) / n for t, c in zip(vocab, counts, strict=True) if c >= min_count
    }
    return out


def fit(
    p: Prepared,
    comp: Comparison,
    *,
    seed: int = 0,
    side: np.ndarray | None = None,
    u_pairs: int = 300_000,
    base: Model | None = None,
) -> Model:
    """Fit u (random pairs), m (two EM sessions) and the prior on one register."""
    rng = np.random.default_rng(seed)
    n = len(p)
    u = estimate_u(p, rng, max_pairs=u_pairs, side=side)
    m = _m_init() if base is None else {k: list(v) for k, v in base.m.items()}
    lv = comp.levels
    session_a = lv["syntymaaika"] == 4
    # the address is left out too: twins share birth date, surname and address, and EM would
    # otherwise call them one person; the address m comes from the names session
    fields_a = [f for f in FIELDS if f not in {"syntymaaika", "osoite"}]
    m_a, lam_a = _em({f: lv[f][session_a] for f in fields_a}, fields_a, u, m, 0.2)
    session_b = np.isin(lv["sukunimi"], SAME_SURNAME) & np.isin(lv["etunimet"], SAME_FIRST)
    fields_b = [f for f in FIELDS if f not in {"sukunimi", "etunimet"}]
    m_b, _ = _em({f: lv[f][session_b] for f in fields_b}, fields_b, u, {**m, **m_a}, 0.5)
    fitted = dict(m)
    for f in FIELDS:
        if f in m_a and f in m_b:
            values = (np.asarray(m_a[f]) + np.asarray(m_b[f])) / 2
        else:
            values = np.asarray(m_a.get(f) or m_b[f])
        # records carry errors EM never saw (a mistyped sex): no level is impossible
        tail = np.maximum(values[1:], M_FLOOR)
        fitted[f] = [1.0] + list(tail / tail.sum())
    total_pairs = n * (n - 1) / 2 if side is None else float((side == 0).sum() * (side == 1).sum())
    expected_matches = lam_a * session_a.sum() / max(fitted["syntymaaika"][4], 1e-6)
    prior = float(np.clip(expected_matches / max(total_pairs, 1.0), 1e-12, 0.5))
    model = Model(
        m=fitted, u=u, prior=prior, tf=_tf_tables(p), tf_floor=1.0 / max(n, 1), fitted_on=n
    )
    if base is not None:
        model.match_threshold, model.review_threshold = base.match_threshold, base.review_threshold
    return model


@lru_cache(maxsize=1)
def default_model() -> Model:
    """The model shipped with onrtools: fitted on the seeded synthetic register (see
    :func:`build_default_model`); used when a register is too small to fit its own."""
    if DEFAULT_MODEL_PATH.exists():
        return Model.load(DEFAULT_MODEL_PATH)
    return build_default_model(save=False)


def build_default_model(*, n: int = 50_000, seed: int = 7, save: bool = True) -> Model:
    """Fit the default model on ``generate_register(n, seed)`` and (optionally) save it."""
    from onrtools.duplicates.matching import blocking, normalise, synthetic

    records = synthetic.generate_register(n, seed=seed)
    p = normalise.prepare(records)
    cand = blocking.candidate_pairs(p)
    model = fit(p, compare(p, cand.left, cand.right), seed=seed)
    if save:
        model.save(DEFAULT_MODEL_PATH)
    return model
