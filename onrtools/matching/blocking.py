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
==========================  ===============================================================

Blocks larger than ``max_block`` (default 2,000) are skipped and counted: such a block means a
degenerate value (a placeholder date, say) and would otherwise dominate the run time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

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
    }


KEYS: tuple[str, ...] = (
    "hetu",
    "birth_surname2",
    "birth_first2",
    "swapped_date_initials",
    "surname_first_year",
    "surname_first_monthday",
    "email",
    "passport",
)


def pairs_within_blocks(
    key: np.ndarray, max_block: int = MAX_BLOCK
) -> tuple[np.ndarray, np.ndarray, int]:
    """All (i, j), i < j, of rows sharing a key value (>= 0); returns (i, j, skipped blocks)."""
    idx = np.flatnonzero(key >= 0)
    if len(idx) < 2:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, 0
    k = key[idx]
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
    builders = _keys(p)
    n = len(p)
    codes = []
    per_key: dict[str, int] = {}
    skipped: dict[str, int] = {}
    for name in keys:
        i, j, skip = pairs_within_blocks(builders[name](), max_block)
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
    i, j, _ = pairs_within_blocks(_keys(p)[name](), max_block)
    return i * len(p) + j
