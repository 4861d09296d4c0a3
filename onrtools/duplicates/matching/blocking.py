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
``oid``                     the same OID
``hetu_one_off``            hetus one digit apart, century sign and check character ignored
                            (a typo anywhere in the hetu)
``name_year_month``         a name, the other name's first two letters, birth year and month:
                            a typo in the day and in one name (either name: each record emits
                            a key for its first three given names and each part of its
                            surname, so swapped given/surname and double surnames meet too)
``name_year_day``           the same with year and day (a typo in the month)
``name_monthday``           the same with day and month in either order (a year typo, or
                            day and month swapped)
``name_birth``              one name and the birth date, day and month in either order (the
                            other name mistyped from its first letter, swapped or changed)
``given_names_year``,        all given names (two or more) with the birth year, or with day
``given_names_monthday``    and month in either order: the surname mistyped anywhere and a
                            typo in the date
``names_no_date``           a name and the other's first letters where one side has no date
``birth_address``           same birth date and address (both names mistyped or missing)
``hetu_birth_names``        the birth date read off a hetu (checksum or not) where it differs
                            from the stated date, with either name's first two letters (a hetu
                            typo and a birth date typed differently from the hetu)
``address_name``            the same address and a given name with the surname's initial, or
                            a surname part with the birth year: several errors at once
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

from onrtools.duplicates.matching.normalise import NO_DATE, Prepared
from onrtools.register.hetu import CENTURY_SIGNS

MAX_BLOCK = 2000


def sorted_unique(codes: np.ndarray) -> np.ndarray:
    """``np.unique(codes)`` for int64 pair codes: numpy 2.4's ``np.unique`` takes a hash path
    for integers that was 15x slower than this sort (36 s vs 2.2 s for 10 M codes)."""
    if len(codes) == 0:
        return codes
    out = np.sort(codes)
    return out[np.r_[True, out[1:] != out[:-1]]]


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


def _prefixes(p: Prepared, length: int) -> np.ndarray:
    """Code of the first ``length`` letters of each name skeleton in the shared vocabulary."""
    key = f"prefix{length}"
    if key not in p.cache:
        vocab = p.values["name_skel"]
        heads = pd.Series([v[:length] for v in vocab], dtype=object)
        p.cache[key] = pd.factorize(heads)[0].astype(np.int64)
    return p.cache[key]


Pairs = tuple[np.ndarray, np.ndarray, int]  # (i, j, skipped blocks)


def _concat(parts: Sequence[Pairs]) -> Pairs:
    parts = [x for x in parts if len(x[0])] or [(np.empty(0, np.int32), np.empty(0, np.int32), 0)]
    return (
        np.concatenate([x[0] for x in parts]),
        np.concatenate([x[1] for x in parts]),
        sum(x[2] for x in parts),
    )


def _name_keys(p: Prepared) -> dict[str, Callable[[], Pairs]]:
    """Keys where a record emits one key per name it has (given names, surname parts).

    Each emission is (a name, the first two letters of the other name, parts of the date). A
    record that lacks the other name (or, for ``names_no_date``, the date) has no evidence
    against any value there, so it is joined with every record sharing the rest of the key
    (a one-sided join: the cost grows with such records, not with the square of the block).
    """
    year, month, day = _date_parts(p.birth)
    low, high = np.minimum(month, day), np.maximum(month, day)
    vocab = max(len(p.values["name_skel"]), 1)
    pre = _prefixes(p, 2)
    n_pre = int(pre.max(initial=0)) + 1

    # an initial ("K.") says nothing about the second letter: it counts as missing here and
    # meets every head that begins with it through the one-sided join below
    short = np.array([len(v) < 2 for v in p.values["name_skel"]], dtype=bool)

    def head(codes: np.ndarray) -> np.ndarray:
        if not len(pre):
            return codes
        safe = np.maximum(codes, 0)
        return np.where((codes >= 0) & ~short[safe], pre[safe], -1)

    first, tok1 = p.first_skel, p.suku_tok1
    tok2 = np.where(p.suku_tok2 != tok1, p.suku_tok2, -1)  # a one-part surname emits once
    # each of the first three given names with the surname's head (kutsumanimi is often not
    # the first given name), each surname part with the first given name's head
    sur_head, first_head = head(tok1), head(first)
    emitted = (
        (first, sur_head),
        (p.given2_skel, sur_head),
        (p.given3_skel, sur_head),
        (tok1, first_head),
        (tok2, first_head),
    )
    rows = np.arange(len(p), dtype=np.int64)
    undated = p.birth == NO_DATE

    def emit(
        *date_parts: np.ndarray, radices: tuple[int, ...], probe_undated: bool = False
    ) -> Pairs:
        full, full_rows, loose, loose_rows, probe = [], [], [], [], []
        for name, other in emitted:
            has = name >= 0
            full.append(
                _fixed(
                    [name[has], other[has], *(d[has] for d in date_parts)], (vocab, n_pre, *radices)
                )
            )
            full_rows.append(rows[has])
            loose.append(_fixed([name[has], *(d[has] for d in date_parts)], (vocab, *radices)))
            loose_rows.append(rows[has])
            probe.append((other[has] < 0) | (undated[has] if probe_undated else False))
        rows_all = np.concatenate(full_rows)
        if probe_undated:  # only pairs with an undated record: all of them are one-sided
            both = _fixed([np.concatenate(full), np.zeros(len(rows_all), np.int64)], (1 << 40, 1))
            return pairs_one_sided(both, rows_all, undated[rows_all], MAX_BLOCK)
        return _concat(
            [
                pairs_within_blocks(np.concatenate(full), MAX_BLOCK, rows=rows_all),
                pairs_one_sided(
                    np.concatenate(loose),
                    np.concatenate(loose_rows),
                    np.concatenate(probe),
                    MAX_BLOCK,
                ),
            ]
        )

    def name_birth() -> Pairs:
        """Each name with the birth date (day and month in either order), any other name."""
        keys = [
            _fixed([name, year, low, high], (vocab, 3000, 32, 32))
            for name in (first, p.given2_skel, p.given3_skel, tok1, tok2)
        ]
        return pairs_within_blocks(np.concatenate(keys), MAX_BLOCK, rows=np.tile(rows, len(keys)))

    def address_name() -> Pairs:
        """The same address and a given name with the surname's initial, or a surname part with
        the birth year: several errors at once in the names and the date. A surname alone at an
        address would pair a household's members (the year keeps those apart), and a given
        name alone every namesake where addresses repeat (the initial keeps those apart)."""
        radix = int(p.address.max(initial=0)) + 1
        pre1 = _prefixes(p, 1)
        initial = np.where(tok1 >= 0, pre1[np.maximum(tok1, 0)], -1) if len(pre1) else tok1
        families = (
            ((first, p.given2_skel, p.given3_skel), initial, max(len(pre1), 1)),
            ((tok1, tok2), year, 3000),
        )
        out = []
        for names, extra, extra_radix in families:
            keys = [_fixed([p.address, name, extra], (radix, vocab, extra_radix)) for name in names]
            out.append(
                pairs_within_blocks(np.concatenate(keys), MAX_BLOCK, rows=np.tile(rows, len(keys)))
            )
        return _concat(out)

    several = np.where(p.given2_skel >= 0, p.etu_skel, -1)  # two or more given names

    return {
        "given_names_year": lambda: pairs_within_blocks(
            _fixed([several, year], (vocab, 3000)), MAX_BLOCK
        ),
        "given_names_monthday": lambda: pairs_within_blocks(
            _fixed([several, low, high], (vocab, 32, 32)), MAX_BLOCK
        ),
        "name_year_month": lambda: emit(year, month, radices=(3000, 13)),
        "name_year_day": lambda: emit(year, day, radices=(3000, 32)),
        "name_monthday": lambda: emit(low, high, radices=(32, 32)),
        "name_birth": name_birth,
        "hetu_one_off": lambda: _hetu_one_off(p),
        "names_no_date": lambda: emit(radices=(), probe_undated=True),
        "hetu_birth_names": lambda: _hetu_birth_names(p),
        "address_name": address_name,
    }


def _hetu_birth(p: Prepared) -> np.ndarray:
    """Birth date (days since 1970) read off each row's hetu whether its checksum holds or not
    (``NO_DATE`` where the first seven characters are no date)."""
    values = pd.Series(p.values["hetu"], dtype=object)
    if not len(values):
        return np.full(len(p), NO_DATE, dtype=np.int64)
    parts = pd.DataFrame(
        {
            "year": values.str.slice(6, 7).map(CENTURY_SIGNS)
            + pd.to_numeric(values.str.slice(4, 6), errors="coerce"),
            "month": pd.to_numeric(values.str.slice(2, 4), errors="coerce"),
            "day": pd.to_numeric(values.str.slice(0, 2), errors="coerce"),
        }
    )
    ok = parts.notna().all(axis=1)
    dates = pd.to_datetime(parts[ok].astype(int), errors="coerce")
    days = np.full(len(values), NO_DATE, dtype=np.int64)
    parsed = dates.notna().to_numpy()
    stamp = dates[parsed].to_numpy().astype("datetime64[D]").astype(np.int64)
    days[np.flatnonzero(ok.to_numpy())[parsed]] = stamp
    return np.where(p.hetu >= 0, days[np.maximum(p.hetu, 0)], NO_DATE)


def _hetu_birth_names(p: Prepared) -> Pairs:
    """The birth date read off a hetu (even one with a typo) where it differs from the stated
    one, with the surname's or the first name's first two letters: a hetu typo together with a
    birth date typed differently from the hetu still meets the right record."""
    from_hetu = _hetu_birth(p)
    probe_rows = np.flatnonzero((from_hetu != NO_DATE) & (from_hetu != p.birth))
    if not len(probe_rows):
        empty = np.empty(0, dtype=np.int32)
        return empty, empty, 0
    v = p.values
    rows = np.arange(len(p), dtype=np.int64)

    def shift(days: np.ndarray) -> np.ndarray:
        return np.where(days != NO_DATE, days + 200_000, -1)  # 1422-2517 as non-negative

    stated, read = shift(p.birth), shift(from_hetu[probe_rows])
    keys, key_rows, probe = [], [], []
    for tag, head in enumerate(
        (_prefix_codes(p.suku_fold, v["suku_fold"], 2), _prefix_codes(p.first1, v["first1"], 2))
    ):
        radix = int(head.max(initial=0)) + 1
        tags = np.full(len(p), tag, dtype=np.int64)
        keys += [
            _fixed([tags, stated, head], (2, 400_000, radix)),
            _fixed([tags[probe_rows], read, head[probe_rows]], (2, 400_000, radix)),
        ]
        key_rows += [rows, probe_rows]
        probe += [np.zeros(len(p), dtype=bool), np.ones(len(probe_rows), dtype=bool)]
    return pairs_one_sided(
        np.concatenate(keys), np.concatenate(key_rows), np.concatenate(probe), MAX_BLOCK
    )


def pairs_one_sided(
    key: np.ndarray, rows: np.ndarray, probe: np.ndarray, max_block: int = MAX_BLOCK
) -> Pairs:
    """Pairs of a ``probe`` entry with every other entry sharing its key (>= 0).

    For records that lack part of a key (no other name, no date): they meet a whole block,
    but the block's other members do not meet each other here."""
    sel = key >= 0
    if not (probe & sel).any():
        empty = np.empty(0, dtype=np.int32)
        return empty, empty, 0
    k, r, pr = key[sel], rows[sel], probe[sel]
    order = np.argsort(k, kind="stable")
    k, r, pr = k[order], r[order], pr[order]
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    sizes = np.diff(np.r_[starts, len(k)])
    block = np.repeat(np.arange(len(starts)), sizes)
    skipped = int(((sizes > max_block) & (np.bincount(block, weights=pr) > 0)).sum())
    pos = np.flatnonzero(pr & (sizes[block] <= max_block) & (sizes[block] > 1))
    counts = sizes[block[pos]]
    left = np.repeat(r[pos], counts)
    offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    right = r[np.repeat(starts[block[pos]], counts) + offsets]
    other = left != right
    left, right = left[other], right[other]
    return (
        np.minimum(left, right).astype(np.int32),
        np.maximum(left, right).astype(np.int32),
        skipped,
    )


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
        "birth_address": lambda: _combine(birth, p.address),
    }


def _hetu_one_off(p: Prepared) -> Pairs:
    """Hetus one digit apart (the century sign and check character ignored): each distinct hetu
    emits its nine digits with one masked, so a typo anywhere still meets the right hetu."""
    values = pd.Series(p.values["hetu"], dtype=object)
    body = (values.str.slice(0, 6) + values.str.slice(7, 10)).where(values.str.len() == 11)
    ok = body.notna().to_numpy()
    has = (p.hetu >= 0) & ok[np.maximum(p.hetu, 0)] if len(values) else p.hetu >= 0
    rows = np.flatnonzero(has)
    masked = [body.str.slice(0, k) + "*" + body.str.slice(k + 1) for k in range(9)]
    keys, rows_all = [], []
    for variant in masked:
        codes = pd.factorize(variant)[0].astype(np.int64)  # per distinct hetu
        keys.append(codes[p.hetu[rows]] + len(keys) * (len(values) + 1))
        rows_all.append(rows)
    if not keys:
        empty = np.empty(0, dtype=np.int32)
        return empty, empty, 0
    return pairs_within_blocks(np.concatenate(keys), MAX_BLOCK, rows=np.concatenate(rows_all))


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
    "hetu_one_off",
    "name_year_month",
    "name_year_day",
    "name_monthday",
    "name_birth",
    "given_names_year",
    "given_names_monthday",
    "names_no_date",
    "birth_address",
    "hetu_birth_names",
    "address_name",
)


PAIR_BUDGET = 4_000_000  # pairs made at once: a key's intermediate arrays stay this size


def pairs_within_blocks(
    key: np.ndarray, max_block: int = MAX_BLOCK, rows: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, int]:
    """All (i, j), i < j, of rows sharing a key value (>= 0); returns (i, j, skipped blocks).

    ``rows`` (same length as ``key``) names the row of each key when rows emit several keys;
    a row meeting itself is dropped, and a pair met through several emissions is kept once.
    Blocks are expanded a few million pairs at a time and the pairs kept as int32: at a
    million records a key's int64 position arrays would otherwise take gigabytes."""
    sel = np.flatnonzero(key >= 0)
    idx = sel if rows is None else rows[sel]
    empty = np.empty(0, dtype=np.int32)
    if len(idx) < 2:
        return empty, empty, 0
    k = key[sel]
    order = np.argsort(k, kind="stable")
    idx, k = idx[order].astype(np.int64), k[order]
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    sizes = np.diff(np.r_[starts, len(k)])
    skipped = int((sizes > max_block).sum())
    keep = (sizes > 1) & (sizes <= max_block)
    starts, sizes = starts[keep], sizes[keep]
    if len(starts) == 0:
        return empty, empty, skipped
    n_rows = int(idx.max()) + 1
    made = np.cumsum(sizes * (sizes - 1) // 2)
    group = made // PAIR_BUDGET  # blocks expanded together, each group about the budget
    bounds = np.r_[0, np.flatnonzero(np.diff(group)) + 1, len(starts)]
    out_i, out_j = [], []
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        i, j = _expand(idx, starts[a:b], sizes[a:b])
        if rows is not None:
            other = i != j
            code = sorted_unique(np.minimum(i[other], j[other]) * n_rows + np.maximum(i, j)[other])
            i, j = code // n_rows, code % n_rows
        else:
            i, j = np.minimum(i, j), np.maximum(i, j)
        out_i.append(i.astype(np.int32))
        out_j.append(j.astype(np.int32))
    return np.concatenate(out_i), np.concatenate(out_j), skipped


def _expand(idx: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, ...]:
    """Every (earlier, later) pair of positions within each block, as rows of ``idx``."""
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
    return idx[left_pos], idx[right_pos]


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
    found = np.empty(0, dtype=np.int64)  # sorted, distinct pair codes i * n + j so far
    per_key: dict[str, int] = {}
    skipped: dict[str, int] = {}
    for name in keys:
        i, j, skip = _key_pairs(p, name, max_block)
        if side is not None:
            cross = side[i] != side[j]
            i, j = i[cross], j[cross]
        per_key[name] = len(i)
        skipped[name] = skip
        # deduplicated as produced: the keys overlap heavily, and holding every key's pairs
        # until one final union took gigabytes at a million records
        found = _union(found, sorted_unique(i.astype(np.int64) * n + j))
        del i, j
    dtype = np.int32 if n < 2**31 else np.int64
    return Candidates(
        (found // max(n, 1)).astype(dtype), (found % max(n, 1)).astype(dtype), per_key, skipped
    )


def _union(found: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Merge sorted distinct ``codes`` into sorted distinct ``found`` (no full re-sort)."""
    if len(found) == 0:
        return codes
    pos = np.searchsorted(found, codes)
    new = codes[(pos == len(found)) | (found[np.minimum(pos, len(found) - 1)] != codes)]
    return np.insert(found, np.searchsorted(found, new), new)


def key_pairs(p: Prepared, name: str, *, max_block: int = MAX_BLOCK) -> np.ndarray:
    """Pair codes ``i * n + j`` that one key produces (for measuring its blocking recall)."""
    i, j, _ = _key_pairs(p, name, max_block)
    return i.astype(np.int64) * len(p) + j


def _key_pairs(p: Prepared, name: str, max_block: int) -> tuple[np.ndarray, np.ndarray, int]:
    if "blocking_keys" not in p.cache:  # built once per prepared table, not once per key
        p.cache["blocking_keys"] = (_keys(p), _name_keys(p))
    single, multi = p.cache["blocking_keys"]
    if name in single:
        return pairs_within_blocks(single[name](), max_block)
    return multi[name]()
