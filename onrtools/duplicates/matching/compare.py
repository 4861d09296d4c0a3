"""Field comparisons: one discrete level per field and pair, plus a 0-1 similarity to show.

Level 0 always means "missing on either side" (no evidence either way); higher levels mean more
agreement. String similarities are computed once per distinct pair of normalised values with
rapidfuzz's ``process.cpdist`` (element-wise, in C++), never in a Python loop per pair.

=========== ======================================================================================
field       levels (high to low)
=========== ======================================================================================
hetu        3 same · 2 one edit apart and one side fails the checksum (typo) · 1 different
syntymaaika 4 same · 3 day and month swapped · 2 one of day/month/year differs · 1 different
sukunimi    5 same · 4 same without accents · 6 same skeleton (ae/oe/aa, doubled letters,
            transliteration, hyphen or space) · 8 swapped with the first names · 3 Jaro-Winkler
            >= 0.92 · 7 one part of a double surname · 2 JW >= 0.80 · 1 different
etunimet    6 same · 5 same without accents (hyphen = space) · 8 same skeleton · 4 one list
            contains the other (kutsumanimi alone, only the first names, another order) · 3 share
            a name · 0 swapped with the surname (weighed once, in the surname) · 7 an initial or
            short form of the first name ("A." or "Lau" ~ "Aino"/"Laura") · 2 JW >= 0.88 · 1
            different
sukupuoli, sahkoposti, passinumero, osoite, kansalaisuus: 2 same · 1 different
=========== ======================================================================================

Levels are numbered in the order they were added (the order of the list above is the order of
precedence); the numbers mean nothing else: each level's weight is learned by EM. A level that
needs a value on both sides is never reached when one side is blank: missing stays level 0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from rapidfuzz import process
from rapidfuzz.distance import OSA, JaroWinkler

from onrtools.duplicates.matching.normalise import NO_DATE, Prepared

FIELDS: tuple[str, ...] = (
    "hetu",
    "syntymaaika",
    "sukunimi",
    "etunimet",
    "sukupuoli",
    "sahkoposti",
    "passinumero",
    "osoite",
    "kansalaisuus",
)
N_LEVELS: dict[str, int] = {
    "hetu": 4,
    "syntymaaika": 5,
    "sukunimi": 9,
    "etunimet": 9,
    "sukupuoli": 3,
    "sahkoposti": 3,
    "passinumero": 3,
    "osoite": 3,
    "kansalaisuus": 3,
}
SURNAME_SKELETON, SURNAME_PART, SURNAME_SWAPPED = 6, 7, 8
FIRST_INITIAL, FIRST_SKELETON = 7, 8
WORKERS = -1  # rapidfuzz threads: all cores
# a first given name that at least this many records of the register carry (and that is more
# than an initial) is a name in its own right: "Juha" next to "Juhani", or "Leo" next to
# "Leevi", is then two names, not a short form or a typo of one (typos make rare strings)
NAME_SEEN = 3


@dataclass
class Comparison:
    """Levels (int8, one column per field) and similarities (float, NaN when missing)."""

    levels: dict[str, np.ndarray]
    similarity: dict[str, np.ndarray]
    hetu_conflict: np.ndarray  # both hetus valid and different
    vtj_conflict: np.ndarray  # both VTJ-identified with different hetus
    shared_first: np.ndarray  # how many first names the two share
    first_counts: tuple[np.ndarray, np.ndarray]
    same_first_given: np.ndarray  # first given names agree (or JW >= 0.88), or one is missing

    def __len__(self) -> int:
        return len(self.hetu_conflict)


def _jw(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if len(a) == 0:
        return np.empty(0)
    return process.cpdist(
        list(a), list(b), scorer=JaroWinkler.normalized_similarity, workers=WORKERS
    ).astype(float)


def _osa(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if len(a) == 0:
        return np.empty(0, dtype=np.int64)
    return process.cpdist(list(a), list(b), scorer=OSA.distance, workers=WORKERS).astype(np.int64)


def per_distinct_pair(
    a: np.ndarray,
    b: np.ndarray,
    values: np.ndarray,
    func: Callable[[np.ndarray, np.ndarray], np.ndarray],
    fill: float = np.nan,
    *,
    directed: bool = False,
) -> np.ndarray:
    """``func`` over the distinct (value_a, value_b) pairs, spread back to every pair.

    Codes are ordered (low, high) first, so a symmetric ``func`` gives symmetric results;
    ``directed`` keeps a's value first, for comparing one field of the left record with
    another field of the right one.
    """
    out = np.full(len(a), fill, dtype=float)
    ok = (a >= 0) & (b >= 0)
    if not ok.any():
        return out
    lo, hi = a[ok], b[ok]
    if not directed:
        lo, hi = np.minimum(lo, hi), np.maximum(lo, hi)
    size = max(len(values), 1)
    inverse, uniq = pd.factorize(lo * size + hi)  # hashing: faster than np.unique's sort
    result = np.asarray(func(values[uniq // size], values[uniq % size]), dtype=float)
    out[ok] = result[inverse]
    return out


def _abbreviates(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """1 where one name is an initial or a short form (>= 1 letter) the other begins with."""
    return np.array(
        [
            float(x != y and (y.startswith(x) if len(x) < len(y) else x.startswith(y)))
            for x, y in zip(a, b, strict=True)
        ]
    )


def _token_matrix(values: np.ndarray, width: int = 4) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Per distinct first-names value: up to ``width`` token codes (-1 pad), token counts and
    the token vocabulary (code -> token)."""
    tokens = [v.split()[:width] for v in values]
    vocab: dict[str, int] = {}
    matrix = np.full((max(len(values), 1), width), -1, dtype=np.int64)
    counts = np.zeros(max(len(values), 1), dtype=np.int64)
    for row, toks in enumerate(tokens):
        unique_toks = list(dict.fromkeys(toks))
        counts[row] = len(unique_toks)
        for col, tok in enumerate(unique_toks):
            matrix[row, col] = vocab.setdefault(tok, len(vocab))
    return matrix, counts, list(vocab)


def _cached_tokens(p: Prepared, name: str, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Token matrix of one column's distinct values, computed once per prepared table."""
    return cached_token_table(p, name, width)[:2]


def cached_token_table(
    p: Prepared, name: str, width: int
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """:func:`_token_matrix` of one column's distinct values, computed once per table."""
    key = f"tokens:{name}:{width}"
    if key not in p.cache:
        p.cache[key] = _token_matrix(p.values[name], width)
    return p.cache[key]


def _names_in_own_right(p: Prepared) -> np.ndarray:
    """Per first-given-name code: carried by >= NAME_SEEN records and longer than an initial."""
    key = "first1:own_right"
    if key not in p.cache:
        values = p.values["first1"]
        count = np.bincount(p.first1[p.first1 >= 0], minlength=len(values))
        long_enough = np.array([len(v.rstrip(".")) >= 3 for v in values], dtype=bool)
        p.cache[key] = (count >= NAME_SEEN) & long_enough
    return p.cache[key]


def _first_len(p: Prepared) -> np.ndarray:
    """Per first-given-name code: its length in letters."""
    if "first1:len" not in p.cache:
        p.cache["first1:len"] = np.array([len(v) for v in p.values["first1"]] or [0])
    return p.cache["first1:len"]


def _same(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(level 0/1/2, similarity) for exact-only fields coded as ints (-1 missing)."""
    missing = (a < 0) | (b < 0)
    same = a == b
    level = np.where(missing, 0, np.where(same, 2, 1)).astype(np.int8)
    sim = np.where(missing, np.nan, same.astype(float))
    return level, sim


def compare(p: Prepared, left: np.ndarray, right: np.ndarray) -> Comparison:
    """Compare rows ``left[k]`` and ``right[k]`` of ``p`` for every k."""
    v = p.values
    levels: dict[str, np.ndarray] = {}
    sim: dict[str, np.ndarray] = {}

    # hetu
    hl, hr = p.hetu[left], p.hetu[right]
    h_missing = (hl < 0) | (hr < 0)
    h_same = (hl == hr) & ~h_missing
    valid_l, valid_r = p.hetu_valid[left], p.hetu_valid[right]
    h_edit = per_distinct_pair(hl, hr, v["hetu"], _osa, fill=99)
    h_typo = ~h_same & ~h_missing & (h_edit <= 1) & ~(valid_l & valid_r)
    levels["hetu"] = np.select([h_missing, h_same, h_typo], [0, 3, 2], 1).astype(np.int8)
    sim["hetu"] = np.select([h_missing, h_same, h_typo], [np.nan, 1.0, 0.9], 0.0)
    hetu_conflict = ~h_missing & ~h_same & valid_l & valid_r
    vtj_conflict = hetu_conflict & p.vtj[left] & p.vtj[right]

    # birth date: where a record's valid hetu tells another date than its syntymaaika, the
    # better agreeing of the two counts (one of them was mistyped)
    bl, br = p.birth[left], p.birth[right]
    date_level = _date_levels(bl, br)
    hl_date, hr_date = p.birth_hetu[left], p.birth_hetu[right]
    other = np.flatnonzero((hl_date != NO_DATE) | (hr_date != NO_DATE))
    if len(other):
        for lo, ro in ((hl_date[other], br[other]), (bl[other], hr_date[other])):
            known = (lo != NO_DATE) & (ro != NO_DATE)
            alt = np.where(known, _date_levels(np.where(known, lo, 0), np.where(known, ro, 0)), 0)
            date_level[other] = np.maximum(date_level[other], alt.astype(np.int8))
    levels["syntymaaika"] = date_level
    sim["syntymaaika"] = np.select(
        [date_level == 0, date_level == 4, date_level == 3, date_level == 2],
        [np.nan, 1.0, 0.9, 0.7],
        0.0,
    )

    # names swapped between the fields: compared across, in the shared skeleton vocabulary
    skel = v["name_skel"]
    el_k, er_k = p.etu_skel[left], p.etu_skel[right]
    sl_k, sr_k = p.suku_skel[left], p.suku_skel[right]
    fl_k, fr_k = p.first_skel[left], p.first_skel[right]
    t1l, t1r = p.suku_tok1[left], p.suku_tok1[right]
    t2l, t2r = p.suku_tok2[left], p.suku_tok2[right]

    def first_in_surname(first: np.ndarray, tok1: np.ndarray, tok2: np.ndarray) -> np.ndarray:
        """The first given name is (up to a typo) a part of the other record's surname."""
        near = np.maximum(
            per_distinct_pair(first, tok1, skel, _jw, fill=0.0, directed=True),
            per_distinct_pair(first, tok2, skel, _jw, fill=0.0, directed=True),
        )
        return near >= 0.92

    whole = np.minimum(
        per_distinct_pair(el_k, sr_k, skel, _jw, fill=0.0, directed=True),
        per_distinct_pair(sl_k, er_k, skel, _jw, fill=0.0, directed=True),
    )
    all_l, all_r = p.all_names[left], p.all_names[right]
    names_swapped = (
        (whole >= 0.96)
        | (first_in_surname(fl_k, t1r, t2r) & first_in_surname(fr_k, t1l, t2l))
        | ((all_l == all_r) & (all_l >= 0))  # the same name parts, split otherwise
    )

    # surname
    sl, sr = p.suku_fold[left], p.suku_fold[right]
    s_missing = (sl < 0) | (sr < 0)
    s_exact = (p.suku_exact[left] == p.suku_exact[right]) & ~s_missing
    s_fold = (sl == sr) & ~s_missing
    s_skel = (sl_k == sr_k) & ~s_missing
    s_jw = per_distinct_pair(sl, sr, v["suku_fold"], _jw)
    s_matrix, _ = _cached_tokens(p, "suku_fold", 3)
    sml, smr = s_matrix[np.maximum(sl, 0)], s_matrix[np.maximum(sr, 0)]
    s_part = ((sml[:, :, None] == smr[:, None, :]) & (sml[:, :, None] >= 0)).any(axis=2).sum(axis=1)
    s_part_skel = (
        ((t1l == t1r) | (t1l == t2r) | (t2l == t1r) | (t2l == t2r)) & (t1l >= 0) & (t1r >= 0)
    )
    levels["sukunimi"] = np.select(
        [
            s_missing,
            s_exact,
            s_fold,
            s_skel,
            names_swapped,
            s_jw >= 0.92,
            (s_part > 0) | s_part_skel,
            s_jw >= 0.80,
        ],
        [0, 5, 4, SURNAME_SKELETON, SURNAME_SWAPPED, 3, SURNAME_PART, 2],
        1,
    ).astype(np.int8)
    sim["sukunimi"] = np.where(s_missing, np.nan, np.where(names_swapped & ~s_fold, whole, s_jw))

    # first names
    el, er = p.etu_fold[left], p.etu_fold[right]
    e_missing = (el < 0) | (er < 0)
    e_exact = (p.etu_exact[left] == p.etu_exact[right]) & ~e_missing
    e_fold = (el == er) & ~e_missing
    e_skel = (el_k == er_k) & ~e_missing
    matrix, counts = _cached_tokens(p, "etu_fold", 4)
    safe_l, safe_r = np.maximum(el, 0), np.maximum(er, 0)
    tl, tr = matrix[safe_l], matrix[safe_r]
    shared = ((tl[:, :, None] == tr[:, None, :]) & (tl[:, :, None] >= 0)).any(axis=2).sum(axis=1)
    shared = np.where(e_missing, 0, shared)
    nl, nr = counts[safe_l], counts[safe_r]
    contained = (shared >= 1) & (shared == np.minimum(nl, nr))
    e_jw = per_distinct_pair(el, er, v["etu_fold"], _jw)
    f1l, f1r = p.first1[left], p.first1[right]
    f_jw = per_distinct_pair(f1l, f1r, v["first1"], _jw)
    # one keyboard slip in a first given name of four letters or more ("Jtlia" for "Julia")
    first_len = _first_len(p)
    f_typo = (per_distinct_pair(f1l, f1r, v["first1"], _osa, fill=99) <= 1) & (
        np.maximum(first_len[np.maximum(f1l, 0)], first_len[np.maximum(f1r, 0)]) >= 4
    )
    own = _names_in_own_right(p)
    two_names = (f1l != f1r) & (f1l >= 0) & (f1r >= 0) & own[np.maximum(f1l, 0)]
    two_names &= own[np.maximum(f1r, 0)]
    initial = (per_distinct_pair(fl_k, fr_k, skel, _abbreviates, fill=0.0) > 0) & ~two_names
    near_first = ((f_jw >= 0.88) | f_typo) & ~two_names
    fuzzy = (e_jw >= 0.88) & ~two_names | near_first
    levels["etunimet"] = np.select(
        # swapped names are one piece of evidence, weighed once, in the surname's level
        [e_missing, e_exact, e_fold, e_skel, contained, shared >= 1, names_swapped, initial, fuzzy],
        [0, 6, 5, FIRST_SKELETON, 4, 3, 0, FIRST_INITIAL, 2],
        1,
    ).astype(np.int8)
    share_ratio = shared / np.maximum(np.maximum(nl, nr), 1)
    sim["etunimet"] = np.where(e_missing, np.nan, np.maximum(e_jw, share_ratio))

    for field, codes in (
        ("sukupuoli", p.sex),
        ("sahkoposti", p.email),
        ("passinumero", p.passport),
        ("osoite", p.address),
        ("kansalaisuus", p.nationality),
    ):
        levels[field], sim[field] = _same(codes[left], codes[right])
    first_missing = (p.first1[left] < 0) | (p.first1[right] < 0)
    same_first = (
        first_missing
        | (p.first1[left] == p.first1[right])
        | near_first
        | initial
        | ((fl_k == fr_k) & (fl_k >= 0))
        | names_swapped
    )
    return Comparison(levels, sim, hetu_conflict, vtj_conflict, shared, (nl, nr), same_first)


def compare_levels(
    p: Prepared, left: np.ndarray, right: np.ndarray, *, chunk: int = 1_000_000
) -> Comparison:
    """:func:`compare` in chunks, keeping only levels and flags (int8/bool), written into
    arrays allocated once: memory stays flat for millions of candidate pairs (no per-chunk
    parts concatenated at the end); similarities are recomputed for the pairs kept."""
    n = len(left)
    levels = {f: np.zeros(n, dtype=np.int8) for f in FIELDS}
    hetu_conflict, vtj_conflict, same_first = (np.zeros(n, dtype=bool) for _ in range(3))
    shared, count_l, count_r = (np.zeros(n, dtype=np.int8) for _ in range(3))
    for i in range(0, n, chunk):
        part = slice(i, min(i + chunk, n))
        full = compare(p, left[part], right[part])
        for f in FIELDS:
            levels[f][part] = full.levels[f]
        hetu_conflict[part] = full.hetu_conflict
        vtj_conflict[part] = full.vtj_conflict
        same_first[part] = full.same_first_given
        shared[part] = full.shared_first
        count_l[part], count_r[part] = full.first_counts
        del full
    return Comparison(
        levels, {}, hetu_conflict, vtj_conflict, shared, (count_l, count_r), same_first
    )


def _date_levels(bl: np.ndarray, br: np.ndarray) -> np.ndarray:
    """syntymaaika levels of two arrays of days: 4 same, 3 day and month swapped, 2 one of
    day/month/year differs, 1 different, 0 either missing (NO_DATE)."""
    b_missing = (bl == NO_DATE) | (br == NO_DATE)
    dl = np.where(b_missing, 0, bl).astype("datetime64[D]")
    dr = np.where(b_missing, 0, br).astype("datetime64[D]")
    yl, yr = dl.astype("datetime64[Y]"), dr.astype("datetime64[Y]")
    ml, mr = dl.astype("datetime64[M]"), dr.astype("datetime64[M]")
    mon_l = ml.astype(np.int64) % 12 + 1
    mon_r = mr.astype(np.int64) % 12 + 1
    day_l = (dl - ml.astype("datetime64[D]")).astype(np.int64) + 1
    day_r = (dr - mr.astype("datetime64[D]")).astype(np.int64) + 1
    b_same = (bl == br) & ~b_missing
    swapped = (yl == yr) & (day_l == mon_r) & (mon_l == day_r) & ~b_same & ~b_missing
    parts_same = (yl == yr).astype(int) + (mon_l == mon_r) + (day_l == day_r)
    close = (parts_same == 2) & ~b_missing
    return np.select([b_missing, b_same, swapped, close], [0, 4, 3, 2], 1).astype(np.int8)
