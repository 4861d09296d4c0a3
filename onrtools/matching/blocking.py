"""Blocking: which record pairs are compared at all.

Several keys, each cheap and each catching what the others miss; a pair is a candidate when
any key agrees. All keys use the folded forms, so a lost ä does not split a block.

==========================  ===============================================================
key                         catches
==========================  ===============================================================
``hetu``                    same hetu, whatever the names say
``birth_surname2``          same birth date, surname starts alike (first-name changes)
``birth_first2``            same birth date, first name starts alike (a changed surname)
``swapped_date_initials``   day and month in either order, same initials (swapped date)
``surname_first_year``      same surname and first name, same year (day/month typos)
``surname_first_monthday``  same surname and first name, same day and month (year typo)
``email``, ``passport``     the same address or passport, whatever else differs
``oid``, ``hetu_body``      the same OID; the same hetu apart from the century sign and the
                            check character (a typo there)
``name_year_month``         a name, the other name's initial, birth year and month: a typo in
                            the day and in one name (either name: each record emits a key
                            for its first given name and for each part of its surname, so
                            swapped given/surname and double surnames meet too)
``name_year_day``           the same with year and day (a typo in the month)
``name_monthday``           the same with day and month in either order (a year typo, or
                            day and month swapped)
``birth_initial``           same birth date and the initial of either name (typos in both)
``name_birth``              one name and the birth date, day and month in either order (the
                            other name mistyped from its first letter, swapped or changed)
``names_no_date``           a name and the other's initial where one side has no birth date
``birth_address``           same birth date and address (both names mistyped or missing)
==========================  ===============================================================

Skeleton forms (``normalise.skeleton_form``) are used for the name keys, so ae/ä/a, doubled
letters and common transliterations do not split a block.

Blocks larger than ``max_block`` (default 2,000) are skipped and counted: such a block means a
degenerate value (a placeholder date, say) and would otherwise dominate the run time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from onrtools.matching.normalise import NO_DATE, Prepared

MAX_BLOCK = 2000


def _prefix_codes(codes: np.ndarray, uniques: np.ndarray, length: int) -> np.ndarray:
    """Code of the first ``length`` characters of each value (-1 where missing)."""
    if len(uniques) == 0:
        return np.full(len(codes), -1, dtype=np.int64)
    prefixes = np.array([u.replace(" ", "")[:length] for u in uniques], dtype=object)
    _, inverse = np.unique(prefixes, return_inverse=True)
    return np.where(codes >= 0, inverse[np.maximum(codes, 0)], -1).astype(np.int64)


def _date_parts(birth: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ok = birth != NO_DATE
    d = np.where(ok, birth, 0).astype("datetime64[D]")
    year = d.astype("datetime64[Y]").astype(np.int64) + 1970
    month = (d.astype("datetime64[M]").astype(np.int64) % 12) + 1
    day = (d - d.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    return np.where(ok, year, -1), np.where(ok, month, -1), np.where(ok, day, -1)


def _combine(*parts: np.ndarray) -> np.ndarray:
    """Mixed-radix key of non-negative parts; -1 when any part is missing."""
    key = np.zeros(len(parts[0]), dtype=np.int64)
    missing = np.zeros(len(parts[0]), dtype=bool)
    for part in parts:
        radix = int(part.max(initial=0)) + 1
        key = key * radix + np.maximum(part, 0)
        missing |= part < 0
    return np.where(missing, -1, key)


def _fixed(parts: Sequence[np.ndarray], radices: Sequence[int]) -> np.ndarray:
    """Mixed-radix key with fixed radices (comparable across emissions); -1 if any part is."""
    key = np.zeros(len(parts[0]), dtype=np.int64)
    missing = np.zeros(len(parts[0]), dtype=bool)
    for part, radix in zip(parts, radices, strict=True):
        key = key * radix + np.maximum(part, 0)
        missing |= part < 0
    return np.where(missing, -1, key)


Emitted = tuple[np.ndarray, np.ndarray]  # (row index, key) with several keys per row


def _initials(p: Prepared) -> np.ndarray:
    """Code (0-based) of the first letter of each name skeleton in the shared vocabulary."""
    if "initials" not in p.cache:
        vocab = p.values["name_skel"]
        firsts = np.array([v[:1] for v in vocab], dtype=object)
        p.cache["initials"] = pd.factorize(pd.Series(firsts, dtype=object))[0].astype(np.int64)
    return p.cache["initials"]


def _name_keys(p: Prepared) -> dict[str, Callable[[], Emitted]]:
    """Keys where a record emits one key per name it has (first given name, surname parts)."""
    year, month, day = _date_parts(p.birth)
    low, high = np.minimum(month, day), np.maximum(month, day)
    vocab = max(len(p.values["name_skel"]), 1)
    init = _initials(p)
    n_init = int(init.max(initial=0)) + 1

    def init_of(codes: np.ndarray) -> np.ndarray:
        return np.where(codes >= 0, init[np.maximum(codes, 0)], -1) if len(init) else codes

    first, tok1, tok2 = p.first_skel, p.suku_tok1, p.suku_tok2
    # (name, initial of the other name): each of the first three given names with the
    # surname's initial (kutsumanimi is often not the first), each surname part with the first
    # given name's initial
    sur_init, first_init = init_of(tok1), init_of(first)
    emitted = (
        (first, sur_init),
        (p.given2_skel, sur_init),
        (p.given3_skel, sur_init),
        (tok1, first_init),
        (tok2, first_init),
    )
    rows = np.arange(len(p), dtype=np.int64)

    def emit(*date_parts: np.ndarray, radices: tuple[int, ...], only: np.ndarray | None = None
             ) -> Emitted:
        rows_out, keys = [], []
        for name, other in emitted:
            ok = name >= 0 if only is None else (name >= 0) & only
            known = ok & (other >= 0)
            parts = [part[known] for part in (name, other, *date_parts)]
            rows_out.append(rows[known])
            keys.append(_fixed(parts, (vocab, n_init, *radices)))
            # the other name missing: no evidence against any initial, so the record
            # meets every initial (a wildcard; such records are few)
            blank = np.flatnonzero(ok & (other < 0))
            if len(blank):
                wild = np.repeat(np.arange(n_init, dtype=np.int64), len(blank))
                spread = [np.tile(part[blank], n_init) for part in (name, *date_parts)]
                rows_out.append(np.tile(rows[blank], n_init))
                keys.append(_fixed([spread[0], wild, *spread[1:]], (vocab, n_init, *radices)))
        return np.concatenate(rows_out), np.concatenate(keys)

    birth = np.where(p.birth != NO_DATE, p.birth - p.birth.min(initial=0), -1)
    b_radix = int(birth.max(initial=0)) + 1

    def name_birth() -> Emitted:
        """Each name with the birth date (day and month in either order), any other name."""
        keys = [
            _fixed([name, year, low, high], (vocab, 3000, 32, 32))
            for name in (first, p.given2_skel, p.given3_skel, tok1, tok2)
        ]
        return np.tile(rows, len(keys)), np.concatenate(keys)

    def birth_initial() -> Emitted:
        keys = [_fixed([birth, init_of(c)], (b_radix, n_init)) for c in (first, tok1)]
        return np.tile(rows, 2), np.concatenate(keys)

    def names_no_date() -> Emitted:
        undated = p.birth == NO_DATE
        rows_out, keys = emit(radices=())
        # only keys that some undated record carries: the rest cannot form such a pair
        wanted = np.isin(keys, keys[undated[rows_out]])
        return rows_out[wanted], keys[wanted]

    return {
        "name_year_month": lambda: emit(year, month, radices=(3000, 13)),
        "name_year_day": lambda: emit(year, day, radices=(3000, 32)),
        "name_monthday": lambda: emit(low, high, radices=(32, 32)),
        "birth_initial": birth_initial,
        "name_birth": name_birth,
        "names_no_date": names_no_date,
    }


def _keys(p: Prepared) -> dict[str, Callable[[], np.ndarray]]:
    year, month, day = _date_parts(p.birth)
    birth = np.where(p.birth != NO_DATE, p.birth - p.birth.min(initial=0), -1)
    v = p.values
    suku2 = _prefix_codes(p.suku_fold, v["suku_fold"], 2)
    suku1 = _prefix_codes(p.suku_fold, v["suku_fold"], 1)
    first2 = _prefix_codes(p.first1, v["first1"], 2)
    first1 = _prefix_codes(p.first1, v["first1"], 1)
    low, high = np.minimum(month, day), np.maximum(month, day)
    return {
        "hetu": lambda: p.hetu,
        "birth_surname2": lambda: _combine(birth, suku2),
        "birth_first2": lambda: _combine(birth, first2),
        "swapped_date_initials": lambda: _combine(year, low, high, suku1, first1),
        "surname_first_year": lambda: _combine(p.suku_fold, p.first1, year),
        "surname_first_monthday": lambda: _combine(p.suku_fold, p.first1, month, day),
        "email": lambda: p.email,
        "passport": lambda: p.passport,
        "oid": lambda: pd.factorize(pd.Series(p.oid, dtype=object).replace("", None))[0],
        "hetu_body": lambda: _hetu_body(p),
        "birth_address": lambda: _combine(birth, p.address),
    }


def _hetu_body(p: Prepared) -> np.ndarray:
    """Hetu without the century sign and check character: a typo there still meets."""
    values = pd.Series(p.values["hetu"], dtype=object)
    body = values.str.slice(0, 6) + values.str.slice(7, 10)
    codes = pd.factorize(body.where(body.str.len() == 9))[0].astype(np.int64)
    return np.where(p.hetu >= 0, codes[np.maximum(p.hetu, 0)], -1) if len(codes) else p.hetu


KEYS: tuple[str, ...] = (
    "hetu",
    "birth_surname2",
    "birth_first2",
    "swapped_date_initials",
    "surname_first_year",
    "surname_first_monthday",
    "email",
    "passport",
    "oid",
    "hetu_body",
    "name_year_month",
    "name_year_day",
    "name_monthday",
    "birth_initial",
    "name_birth",
    "names_no_date",
    "birth_address",
)


def pairs_within_blocks(
    key: np.ndarray, max_block: int = MAX_BLOCK, rows: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, int]:
    """All (i, j), i < j, of rows sharing a key value (>= 0); returns (i, j, skipped blocks).

    ``rows`` (same length as ``key``) names the row of each key when rows emit several keys;
    a row meeting itself is dropped."""
    sel = np.flatnonzero(key >= 0)
    idx = sel if rows is None else rows[sel]
    if len(idx) < 2:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, 0
    k = key[sel]
    order = np.argsort(k, kind="stable")
    idx, k = idx[order], k[order]
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    sizes = np.diff(np.r_[starts, len(k)])
    skipped = int((sizes > max_block).sum())
    keep = (sizes > 1) & (sizes <= max_block)
    starts, sizes = starts[keep], sizes[keep]
    if len(starts) == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, skipped
    # every position in a kept block, with how many later members it pairs with
    group_of = np.repeat(np.arange(len(starts)), sizes)
    pos = np.repeat(starts, sizes) + (
        np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    )
    ends = (starts + sizes)[group_of]
    counts = ends - pos - 1
    total = int(counts.sum())
    left_pos = np.repeat(pos, counts)
    offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    right_pos = left_pos + 1 + offsets
    i, j = idx[left_pos], idx[right_pos]
    if rows is not None:
        other = i != j
        i, j = i[other], j[other]
    return np.minimum(i, j), np.maximum(i, j), skipped


@dataclass
class Candidates:
    """Candidate pairs (row indices into the prepared table) and what each key produced."""

    left: np.ndarray
    right: np.ndarray
    per_key: dict[str, int]
    skipped_blocks: dict[str, int]


def candidate_pairs(
    p: Prepared,
    keys: Sequence[str] = KEYS,
    *,
    max_block: int = MAX_BLOCK,
    side: np.ndarray | None = None,
) -> Candidates:
    """The union of all keys' pairs; with ``side`` (0/1 per row) only pairs across sides."""
    n = len(p)
    codes = []
    per_key: dict[str, int] = {}
    skipped: dict[str, int] = {}
    for name in keys:
        i, j, skip = _key_pairs(p, name, max_block)
        if name == "names_no_date":
            undated = (p.birth[i] == NO_DATE) | (p.birth[j] == NO_DATE)
            i, j = i[undated], j[undated]
        if side is not None:
            cross = side[i] != side[j]
            i, j = i[cross], j[cross]
        per_key[name] = len(i)
        skipped[name] = skip
        codes.append(i * n + j)
    all_codes = np.unique(np.concatenate(codes)) if codes else np.empty(0, dtype=np.int64)
    return Candidates(all_codes // max(n, 1), all_codes % max(n, 1), per_key, skipped)


def key_pairs(p: Prepared, name: str, *, max_block: int = MAX_BLOCK) -> np.ndarray:
    """Pair codes ``i * n + j`` that one key produces (for measuring its blocking recall)."""
    i, j, _ = _key_pairs(p, name, max_block)
    return i * len(p) + j


def _key_pairs(p: Prepared, name: str, max_block: int) -> tuple[np.ndarray, np.ndarray, int]:
    if "blocking_keys" not in p.cache:  # built once per prepared table, not once per key
        p.cache["blocking_keys"] = (_keys(p), _name_keys(p))
    single, multi = p.cache["blocking_keys"]
    if name in single:
        return pairs_within_blocks(single[name](), max_block)
    rows, key = multi[name]()
    return pairs_within_blocks(key, max_block, rows=rows)
