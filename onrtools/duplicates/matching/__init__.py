"""Find the records that are one person: blocking, Finnish-aware comparisons, Fellegi-Sunter.

::

    pairs = find_duplicates(records)              # within one register
    pairs = link(register, onr_reads)             # between two tables
    groups = cluster(pairs, records)              # groups with a suggested master (ONR rules)
    flags = unlink_candidates(links, persons)     # existing ONR links that look wrong

Input: a DataFrame with ``tunniste`` (record id) and any of ``etunimet``, ``kutsumanimi``,
``sukunimi``, ``syntymaaika``, ``sukupuoli``, ``hetu``, ``passinumero``, ``sahkoposti``,
``kansalaisuus``, ``katuosoite``, ``postinumero``, ``kaupunki``, ``oid`` (and optionally
``yksiloityVTJ``/``yksiloity``/``yksiloityEidas``). Output: one row per candidate pair with
``probability`` (calibrated posterior), ``decision`` (match / review / non-match), one
``sim_<field>`` column per compared field and a one-line ``explanation``.

Hard rules on top of the probabilities (ONR's, or a person's first names):

* two VTJ-identified people with different hetus are never one person (non-match, p = 0);
* two different valid hetus: ONR cannot link them (403), so at most ``review``; with first
  names that disagree as well (twins, siblings), ``non-match``;
* the same valid hetu is one person in ONR (match);
* no first name in common, or different first given names: at most ``review`` (twins share
  birth date, surname, address and often a middle name), unless a passport number, e-mail
  address or OID agrees (twins never share those). A blank field is no evidence: these rules
  need first names on both sides, and every comparison of a blank is its own level, weight 0.

What the pairs around a pair say (transitivity, :func:`_transitive_bound`): if A is one person
with B and with C, then B is one person with C, so P(A~C) <= P(B~C) + 1 - P(A~B).

* a match whose record is more surely one person with someone whose valid hetu differs from
  the other record's: at most ``review`` (no model needed: ONR holds them two people);
* a review pair whose bound is under a tenth of the review threshold: ``non-match`` (the
  namesake of a person whose duplicate is already found); the review queue goes deeper, up
  to ``REVIEW_PER_1000`` pairs per 1,000 records, by the bounded posterior.

:func:`link` applies the first of these only (records of one table are not compared there).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from onrtools.duplicates.matching.blocking import KEYS, MAX_BLOCK, candidate_pairs
from onrtools.duplicates.matching.cluster import cluster
from onrtools.duplicates.matching.compare import FIELDS, Comparison, compare, compare_levels
from onrtools.duplicates.matching.explain import explain
from onrtools.duplicates.matching.model import (
    SAME_SURNAME,
    Model,
    default_model,
    fit,
    match_weight,
    posterior_thresholds,
    probability,
)
from onrtools.duplicates.matching.normalise import Prepared, prepare
from onrtools.i18n import Messages, format_number

__all__ = [
    "DECISIONS",
    "Model",
    "cluster",
    "default_model",
    "find_duplicates",
    "fit_model",
    "link",
    "main",
    "score_pairs",
    "unlink_candidates",
]

DECISIONS = ("match", "review", "non-match")
MIN_FIT_RECORDS = 5000  # below this the shipped default model is used (EM needs material)
# review pairs per 1,000 records a register's analysts are expected to take on: when the
# posterior puts true pairs below the 0.01 review floor, review goes deeper while the queue
# stays within this (bench/README: the target is at most 20 per 1,000)
REVIEW_PER_1000 = 19
RULE_VTJ = "both VTJ-identified with different hetus: never one person"
RULE_HETU = "two different valid hetus: ONR cannot link them"
RULE_SAME_HETU = "same valid hetu"
RULE_TWO_PEOPLE = "two different valid hetus and different first names: two people"
RULE_FIRST = "no first name in common: a person must confirm"
RULE_FIRST_GIVEN = "different first given names (twins share middle names): a person must confirm"
RULE_OTHER_MATCH = "one record is already one person with another record, and that one is not this"
RULE_OTHER_HETU = (
    "one record is more surely one person with another record, whose valid hetu differs from "
    "this one's: a person must confirm"
)
RULES = (
    "",
    RULE_VTJ,
    RULE_HETU,
    RULE_SAME_HETU,
    RULE_TWO_PEOPLE,
    RULE_FIRST,
    RULE_FIRST_GIVEN,
    RULE_OTHER_MATCH,
    RULE_OTHER_HETU,
)
# the same rules as people read them, in the catalogue (RULES stay the English reference)
RULE_KEYS = (
    "",
    "match.rule.vtj",
    "match.rule.hetu",
    "match.rule.same_hetu",
    "match.rule.two_people",
    "match.rule.first",
    "match.rule.first_given",
    "match.rule.other_match",
    "match.rule.other_hetu",
)
MATCH, REVIEW, NON_MATCH = (DECISIONS.index(d) for d in DECISIONS)


def _decide(
    model: Model,
    p: Prepared,
    left: np.ndarray,
    right: np.ndarray,
    comp: Comparison,
    match_threshold: float,
    review_threshold: float,
    weight: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    if weight is None:
        weight = match_weight(model, p, left, comp, right)
    prob = probability(model, weight)
    # decisions and rules as int8 codes into DECISIONS and RULES (strings, even shared ones,
    # cost 8 bytes a pair: half a gigabyte at tens of millions of candidate pairs); the kept
    # pairs get their words in _frame
    decision = np.full(len(prob), NON_MATCH, dtype=np.int8)
    decision[prob >= review_threshold] = REVIEW
    decision[prob >= match_threshold] = MATCH
    rule = np.zeros(len(prob), dtype=np.int8)
    # the first-name caps guard against twins, who never share a passport, an e-mail address
    # or an OID: where such an identifier agrees the evidence decides alone
    shared_id = (comp.levels["passinumero"] == 2) | (comp.levels["sahkoposti"] == 2)
    if "oid_codes" not in p.cache:  # integer codes: comparing millions of strings is slow
        p.cache["oid_codes"] = pd.factorize(pd.Series(p.oid, dtype=object).replace("", None))[0]
    oid = p.cache["oid_codes"]
    shared_id |= (oid[left] == oid[right]) & (oid[left] >= 0)
    capped = (comp.levels["etunimet"] == 1) & (decision == MATCH) & ~shared_id
    decision[capped], rule[capped] = REVIEW, RULES.index(RULE_FIRST)
    # twins and siblings often share a middle name: "Daniel Juhani" vs "Juhani"
    other_first = ~comp.same_first_given & (comp.levels["etunimet"] <= 4)
    capped = other_first & (comp.levels["etunimet"] >= 2) & (decision == MATCH) & ~shared_id
    # "Juho" vs "Mauno Juho": a sibling is the worry only if the register holds one; when
    # neither record has another of the same surname and birth date among the candidates,
    # and one list of first names contains the other, the evidence decides
    capped &= ~(_alone_in_family(p, left, right, comp) & (comp.levels["etunimet"] == 4))
    decision[capped], rule[capped] = REVIEW, RULES.index(RULE_FIRST_GIVEN)
    same_hetu = (comp.levels["hetu"] == 3) & p.hetu_valid[left] & p.hetu_valid[right]
    decision[same_hetu], rule[same_hetu] = MATCH, RULES.index(RULE_SAME_HETU)
    conflict = comp.hetu_conflict & (decision == MATCH)
    decision[conflict], rule[conflict] = REVIEW, RULES.index(RULE_HETU)
    # two valid hetus (ONR: two people) and first names that disagree: both pieces of evidence
    # say "twins or siblings", neither depends on the other, and ONR could not link them anyway
    names_differ = (comp.levels["etunimet"] == 1) | (other_first & (comp.levels["etunimet"] >= 2))
    two = comp.hetu_conflict & names_differ & (decision != NON_MATCH) & ~shared_id
    decision[two], rule[two] = NON_MATCH, RULES.index(RULE_TWO_PEOPLE)
    vtj = comp.vtj_conflict
    decision[vtj], rule[vtj], prob[vtj] = NON_MATCH, RULES.index(RULE_VTJ), 0.0
    return prob, weight, decision, rule


def _transitive_bound(
    prob: np.ndarray,
    decision: np.ndarray,
    rule: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    p: Prepared,
    floor: float,
    pairs: np.ndarray,
    *,
    model_part: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """An upper bound on the probability of each of ``pairs`` (indices into the candidate
    pairs) from the matches around it.

    If record A is one person with B, and A with C, then B is one person with C. So
    P(A~C) <= P(A~C and A~B) + P(not A~B) <= P(B~C) + 1 - P(A~B), where B is A's most probable
    match. A pair whose record is confidently matched elsewhere, with a record the model holds
    to be someone else, gets a bound near 0 however much the pair itself looks alike (the
    namesake of a person whose duplicate is already found). P(B~C) is the pair's posterior
    when it is a candidate at ``floor`` or above and no rule made it a non-match, else 0.

    Returns two bounds per pair (1 where neither record has another match): the one above,
    and the part of it that needs no model: where B and C have two different valid hetus
    (ONR: two people), P(A~C) <= 1 - P(A~B) whatever the model says of B and C. Only the
    pairs asked for are bounded: at a million records the candidates are tens of millions.
    ``model_part=False`` skips the first bound (left at 1): :func:`link` has no P(B~C)."""
    n = len(p)
    bound = np.ones(len(pairs))
    hard = np.ones(len(pairs))
    matched = np.flatnonzero(decision == MATCH)
    if not len(matched) or not len(pairs):
        return bound, hard
    rec = np.concatenate([left[matched], right[matched]]).astype(np.int64)
    other = np.concatenate([right[matched], left[matched]]).astype(np.int64)
    p_match = np.concatenate([prob[matched], prob[matched]])
    order = np.lexsort((-p_match, rec))  # per record, the most probable match first
    first = order[np.unique(rec[order], return_index=True)[1]]
    best = np.full(n, -1, dtype=np.int64)
    best_p = np.zeros(n)
    best[rec[first]], best_p[rec[first]] = other[first], p_match[first]

    known = np.empty(0, dtype=np.int64)
    if model_part:
        known = np.flatnonzero((prob >= floor) & ((decision != NON_MATCH) | (rule == 0)))
    lo = np.minimum(left[known], right[known]).astype(np.int64)
    codes = lo * n + np.maximum(left[known], right[known])
    by_code = np.argsort(codes, kind="stable")
    codes, known_p = codes[by_code], prob[known][by_code]

    def p_pair(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if not len(codes):
            return np.zeros(len(a))
        q = np.minimum(a, b) * n + np.maximum(a, b)
        at = np.minimum(np.searchsorted(codes, q), len(codes) - 1)
        return np.where(codes[at] == q, known_p[at], 0.0)

    sel_left, sel_right = left[pairs].astype(np.int64), right[pairs].astype(np.int64)
    for x, y in ((sel_left, sel_right), (sel_right, sel_left)):
        partner = best[x]
        has = np.flatnonzero((partner >= 0) & (partner != y))
        if len(has):
            b, c = partner[has], y[has]
            if model_part:
                elsewhere = 1.0 - best_p[x[has]] + p_pair(b, c)
                bound[has] = np.minimum(bound[has], elsewhere)
            two = p.hetu_valid[b] & p.hetu_valid[c] & (p.hetu[b] != p.hetu[c])
            hard[has[two]] = np.minimum(hard[has[two]], 1.0 - best_p[x[has[two]]])
    return np.minimum(bound, hard), hard


def _deepen_review(
    prob: np.ndarray,
    decision: np.ndarray,
    rule: np.ndarray,
    review_threshold: float,
    capacity: int,
    lost_share: float = 0.00001,
) -> float:
    """Review below the threshold while the queue has room; returns the threshold used.

    ``prob`` is the posterior under the transitive bound (:func:`_transitive_bound`). Where it
    expects more than ``lost_share`` of the true pairs under the review threshold, the most
    probable of those pairs (down to a tenth of the threshold, and never a pair a rule made a
    non-match) join the review queue until it holds ``capacity`` pairs. A register whose
    queue is full already keeps its threshold. ``decision`` is updated."""
    expected_below = float(prob[prob < review_threshold].sum())
    room = capacity - int((decision == REVIEW).sum())
    if room <= 0 or expected_below <= lost_share * float(prob.sum()):
        return review_threshold
    deeper = np.flatnonzero((decision == NON_MATCH) & (rule == 0) & (prob >= review_threshold / 10))
    if len(deeper) == 0:
        return review_threshold
    take = deeper[np.argsort(-prob[deeper], kind="stable")[:room]]
    decision[take] = REVIEW
    return float(prob[take].min())


def _alone_in_family(
    p: Prepared, left: np.ndarray, right: np.ndarray, comp: Comparison
) -> np.ndarray:
    """Pairs whose two records have no other candidate with the same birth date and surname."""
    family = (comp.levels["syntymaaika"] == 4) & np.isin(comp.levels["sukunimi"], SAME_SURNAME)
    n = len(p)
    count = np.bincount(left[family], minlength=n) + np.bincount(right[family], minlength=n)
    return (count[left] <= 1) & (count[right] <= 1)


def _frame(
    p: Prepared,
    left: np.ndarray,
    right: np.ndarray,
    comp: Comparison,
    prob: np.ndarray,
    weight: np.ndarray,
    decision: np.ndarray,
    rule: np.ndarray,
    keep: str,
    language: str | None = None,
) -> pd.DataFrame:
    wanted = {"all": DECISIONS, "review": ("match", "review"), "match": ("match",)}[keep]
    sel = np.flatnonzero(decision <= DECISIONS.index(wanted[-1]))
    sub = compare(p, left[sel], right[sel])  # similarities only for the pairs kept
    frame = pd.DataFrame(
        {
            "tunniste_l": p.tunniste[left[sel]],
            "tunniste_r": p.tunniste[right[sel]],
            "probability": prob[sel],
            "match_weight": weight[sel],
            "decision": np.asarray(DECISIONS, dtype=object)[decision[sel]],
        }
    )
    for name in FIELDS:
        frame[f"sim_{name}"] = sub.similarity[name]
    t = Messages(language)
    rule_texts = np.asarray([t(k) if k else "" for k in RULE_KEYS], dtype=object)
    frame["explanation"] = explain(sub, rule_texts[rule[sel]], t.language)
    frame = frame.sort_values(
        ["probability", "tunniste_l", "tunniste_r"], ascending=[False, True, True], kind="stable"
    )
    return frame.reset_index(drop=True)


def _thresholds(
    model: Model,
    weight: np.ndarray,
    fitted: bool,
    match_threshold: float | None,
    review_threshold: float | None,
) -> tuple[float, float]:
    """The caller's thresholds, else (for a model fitted on these records) the posterior's own
    (:func:`posterior_thresholds`), else the model's."""
    mt, rt = model.match_threshold, model.review_threshold
    if fitted:
        mt, rt = posterior_thresholds(probability(model, weight))
    mt = mt if match_threshold is None else match_threshold
    rt = rt if review_threshold is None else min(review_threshold, mt)
    return mt, rt


def fit_model(records: pd.DataFrame, *, seed: int = 0) -> Model:
    """Fit a model on one register (EM, no labels); small registers get the default model."""
    if len(records) < MIN_FIT_RECORDS:
        return default_model()
    p = prepare(records)
    cand = candidate_pairs(p)
    return fit(p, compare_levels(p, cand.left, cand.right), seed=seed, base=default_model())


def find_duplicates(
    records: pd.DataFrame,
    *,
    model: Model | None = None,
    match_threshold: float | None = None,
    review_threshold: float | None = None,
    keep: str = "review",
    blocking_keys: tuple[str, ...] = KEYS,
    max_block: int = MAX_BLOCK,
    seed: int = 0,
    language: str | None = None,
) -> pd.DataFrame:
    """Suspected duplicate pairs within one register (see the module doc for the columns).

    ``model``: a fitted :class:`Model`; by default one is fitted on ``records`` when there are
    at least 5,000 of them, else the shipped default is used. ``keep``: "review" (match and
    review pairs, the default), "match" or "all" (non-matches too).
    ``df.attrs["blocking"]`` holds pairs per blocking key and skipped oversized blocks.
    ``language``: of the explanations (fi, sv or en; else ONR_LANGUAGE, else fi).
    """
    p = prepare(records)
    cand = candidate_pairs(p, blocking_keys, max_block=max_block)
    comp = compare_levels(p, cand.left, cand.right)
    fitted = model is None and len(p) >= MIN_FIT_RECORDS
    if model is None:
        base = default_model()
        model = fit(p, comp, seed=seed, base=base) if fitted else base
    weight = match_weight(model, p, cand.left, comp, cand.right)
    mt, rt = _thresholds(model, weight, fitted, match_threshold, review_threshold)
    prob, weight, decision, rule = _decide(
        model, p, cand.left, cand.right, comp, mt, rt, weight=weight
    )
    # what the pairs around a pair say (_transitive_bound): a match whose record is more
    # surely one person with someone else, who has another valid hetu than this one, goes to
    # a person; a review pair whose record is surely one person with someone the model holds
    # to be another (its bound under a tenth of the review threshold) leaves the queue; the
    # queue goes deeper by the bounded posterior. Only pairs that could reach match or review
    # are bounded.
    sel = np.flatnonzero((rule == 0) & (prob >= rt / 10))
    soft, hard = _transitive_bound(prob, decision, rule, cand.left, cand.right, p, rt / 100, sel)
    other_hetu = sel[(decision[sel] == MATCH) & (hard < mt)]
    decision[other_hetu], rule[other_hetu] = REVIEW, RULES.index(RULE_OTHER_HETU)
    bounded = prob.copy()
    bounded[sel] = np.minimum(prob[sel], soft)
    elsewhere = sel[(decision[sel] == REVIEW) & (rule[sel] == 0) & (bounded[sel] < rt / 10)]
    decision[elsewhere], rule[elsewhere] = NON_MATCH, RULES.index(RULE_OTHER_MATCH)
    if fitted and review_threshold is None:
        rt = _deepen_review(bounded, decision, rule, rt, REVIEW_PER_1000 * len(p) // 1000)
    frame = _frame(p, cand.left, cand.right, comp, prob, weight, decision, rule, keep, language)
    frame.attrs["blocking"] = {
        "pairs_per_key": cand.per_key,
        "skipped_blocks": cand.skipped_blocks,
        "candidate_pairs": int(len(cand.left)),
        "records": len(p),
    }
    frame.attrs["prior"] = model.prior
    frame.attrs["thresholds"] = {"match": mt, "review": rt, "from_posterior": fitted}
    return frame


def link(
    left: pd.DataFrame,
    right: pd.DataFrame,
    *,
    model: Model | None = None,
    match_threshold: float | None = None,
    review_threshold: float | None = None,
    keep: str = "review",
    seed: int = 0,
    language: str | None = None,
) -> pd.DataFrame:
    """Pairs across two tables (``tunniste_l`` from ``left``, ``tunniste_r`` from ``right``).

    Of the bound by the matches around a pair (:func:`_transitive_bound`) only the part that
    needs no model applies: a match whose record is more surely one person with B, when B and
    the other record have two different valid hetus, goes to review. The rest would need
    P(B~C) for two records of the same table, which are not compared here; read as 0, it
    would leave each record one match at most, which holds only when neither table has
    duplicates of its own."""
    both = pd.concat(
        [
            left.assign(tunniste="L" + left["tunniste"].astype(str)),
            right.assign(tunniste="R" + right["tunniste"].astype(str)),
        ],
        ignore_index=True,
    )
    side = np.r_[np.zeros(len(left), dtype=np.int64), np.ones(len(right), dtype=np.int64)]
    p = prepare(both)
    cand = candidate_pairs(p, side=side)
    l_idx = np.where(side[cand.left] == 0, cand.left, cand.right)
    r_idx = np.where(side[cand.left] == 0, cand.right, cand.left)
    comp = compare_levels(p, l_idx, r_idx)
    fitted = model is None and min(len(left), len(right)) >= MIN_FIT_RECORDS
    if model is None:
        base = default_model()
        model = fit(p, comp, seed=seed, side=side, base=base) if fitted else base
    weight = match_weight(model, p, l_idx, comp, r_idx)
    mt, rt = _thresholds(model, weight, fitted, match_threshold, review_threshold)
    prob, weight, decision, rule = _decide(model, p, l_idx, r_idx, comp, mt, rt, weight=weight)
    # only the part of the transitive bound that needs no comparison within a table: a record
    # more surely one person with B is not also C when B and C have different valid hetus
    sel = np.flatnonzero((rule == 0) & (decision == MATCH))
    _, hard = _transitive_bound(
        prob, decision, rule, l_idx, r_idx, p, rt / 100, sel, model_part=False
    )
    other_hetu = sel[hard < mt]
    decision[other_hetu], rule[other_hetu] = REVIEW, RULES.index(RULE_OTHER_HETU)
    if fitted and review_threshold is None:
        capacity = REVIEW_PER_1000 * min(len(left), len(right)) // 1000
        rt = _deepen_review(prob, decision, rule, rt, capacity)
    frame = _frame(p, l_idx, r_idx, comp, prob, weight, decision, rule, keep, language)
    frame["tunniste_l"] = frame["tunniste_l"].str.slice(1)
    frame["tunniste_r"] = frame["tunniste_r"].str.slice(1)
    return frame


def score_pairs(
    records: pd.DataFrame,
    pairs: pd.DataFrame,
    *,
    model: Model | None = None,
    language: str | None = None,
) -> pd.DataFrame:
    """Score given pairs (``tunniste_l``, ``tunniste_r``) without blocking; all are returned."""
    model = model or default_model()
    p = prepare(records)
    position = pd.Series(np.arange(len(p)), index=p.tunniste)
    left = position.reindex(pairs["tunniste_l"].astype(str)).to_numpy()
    right = position.reindex(pairs["tunniste_r"].astype(str)).to_numpy()
    if np.isnan(left.astype(float)).any() or np.isnan(right.astype(float)).any():
        raise ValueError("every pair must name two tunniste values present in records")
    left, right = left.astype(np.int64), right.astype(np.int64)
    comp = compare(p, left, right)
    prob, weight, decision, rule = _decide(
        model, p, left, right, comp, model.match_threshold, model.review_threshold
    )
    return _frame(p, left, right, comp, prob, weight, decision, rule, "all", language)


def unlink_candidates(
    links: pd.DataFrame,
    persons: pd.DataFrame,
    *,
    model: Model | None = None,
    threshold: float = 0.5,
    language: str | None = None,
) -> pd.DataFrame:
    """Existing ONR links (``masterOid``, ``henkiloOid``) whose evidence says "two people".

    ``persons`` has one row per oid (column ``oid``) with the usual fields. Flags a link when
    the probability is below ``threshold`` or the birth dates, sexes or names clearly differ.
    Returns the scored pairs of the flagged links with ``masterOid``/``henkiloOid`` and
    ``reason``.
    """
    recs = persons.assign(tunniste=persons["oid"].astype(str))
    known = set(recs["tunniste"])
    ok = links["masterOid"].astype(str).isin(known) & links["henkiloOid"].astype(str).isin(known)
    pairs = pd.DataFrame(
        {
            "tunniste_l": links.loc[ok, "masterOid"].astype(str),
            "tunniste_r": links.loc[ok, "henkiloOid"].astype(str),
        }
    )
    if pairs.empty:
        return pd.DataFrame(columns=["masterOid", "henkiloOid", "probability", "reason"])
    t = Messages(language)
    scored = score_pairs(recs, pairs, model=model, language=t.language)
    reasons = []
    for row in scored.itertuples():  # flagged links are few; this loop builds their text
        why = []
        if row.probability < threshold:
            number = format_number(row.probability, t.language, decimals=2)
            why.append(t("match.unlink.probability", probability=number))
        if row.sim_syntymaaika == 0:
            why.append(t("match.unlink.birth"))
        if row.sim_sukupuoli == 0:
            why.append(t("match.unlink.sex"))
        if row.sim_sukunimi < 0.8 and row.sim_etunimet < 0.5:
            why.append(t("match.unlink.names"))
        reasons.append("; ".join(why))
    scored["reason"] = reasons
    flagged = scored[scored["reason"] != ""].rename(
        columns={"tunniste_l": "masterOid", "tunniste_r": "henkiloOid"}
    )
    return flagged.reset_index(drop=True)


def main(argv: list[str] | None = None) -> int:
    """``onr duplicates FILE``: print (or write) the suspected duplicate pairs of a register."""
    parser = argparse.ArgumentParser(prog="onr duplicates", description=main.__doc__)
    parser.add_argument("file", type=Path, help="register as CSV (UTF-8) or XLSX")
    parser.add_argument("--out", type=Path, help="write the pairs here (CSV) instead of stdout")
    parser.add_argument("--keep", choices=["match", "review", "all"], default="review")
    args = parser.parse_args(argv)
    if args.file.suffix.lower() in {".xlsx", ".xlsm"}:
        records = pd.read_excel(args.file, dtype=str)
    else:
        records = pd.read_csv(args.file, dtype=str, keep_default_na=False)
    pairs = find_duplicates(records, keep=args.keep)
    counts = pairs["decision"].value_counts().to_dict()
    summary = ", ".join(
        f"{counts.get(d, 0)} {d}" for d in DECISIONS if d in counts or d != "non-match"
    )
    print(f"{len(records)} records: {summary}", file=sys.stderr)
    columns = ["tunniste_l", "tunniste_r", "probability", "decision", "explanation"]
    if args.out:
        pairs.to_csv(args.out, index=False)
    else:
        pairs[columns].to_csv(sys.stdout, index=False)
    return 0
