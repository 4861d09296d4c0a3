"""Turn a register DataFrame into the arrays the matcher compares.

Every text column is normalised once per distinct value (``pd.factorize``), so a million
records with ten thousand distinct surnames cost ten thousand normalisations. Two forms:

* ``exact``: lower case, hyphens and runs of whitespace become one space; å/ä/ö kept;
* ``fold``: ``exact`` with accents removed (what an ASCII export leaves: ä -> a, ö -> o, å -> a);
* ``skeleton``: ``fold`` with the spellings that vary between systems and transliterations
  made alike (ae/oe/ue -> a/o/u, doubled letters once, w/v, ph/f, c/k, y/j -> i, ...) and
  without spaces; used for one comparison level and for the blocking keys, never shown.

The birth date comes from ``syntymaaika`` or, when that is missing, from a valid hetu; where a
record has both and they disagree, the hetu's date is kept apart (``birth_hetu``) and the
comparison takes whichever of the two agrees better (one of them was mistyped, and the typed
date has no check character to tell which). The sex comes from ``sukupuoli`` or the hetu.
Missing values are -1 in code arrays, ``NO_DATE`` in ``birth`` and "" in text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from onrtools.register import hetu as hetu_mod

COLUMNS = (
    "tunniste",
    "etunimet",
    "kutsumanimi",
    "sukunimi",
    "syntymaaika",
    "sukupuoli",
    "hetu",
    "passinumero",
    "sahkoposti",
    "kansalaisuus",
    "katuosoite",
    "postinumero",
    "kaupunki",
    "oid",
)
IDENTIFIED_COLUMNS = ("yksiloityVTJ", "yksiloity", "yksiloityEidas")
NO_DATE = -(10**9)  # missing birth date (days since 1970 are negative before 1970)

_SEPARATORS = re.compile(r"[\s\-‐‑–—_.,]+")
_DROP = re.compile(r"['’`´\"()]")
_FOLD = str.maketrans({"ß": "ss", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "ı": "i"})


def exact_form(text: str) -> str:
    """Lower case; hyphens, dots and whitespace runs -> one space; apostrophes dropped."""
    text = unicodedata.normalize("NFC", str(text)).lower()
    return _SEPARATORS.sub(" ", _DROP.sub("", text)).strip()


_COMMON_ACCENTS = str.maketrans("äöåüéèáàóíúëïâêîôûçñ", "aoaueeaaoiueiaeiouçn".replace("ç", "c"))


def fold_form(text: str) -> str:
    """:func:`exact_form` without accents: ``Meikäläinen`` and ``Meikalainen`` agree."""
    base = exact_form(text)
    quick = base.translate(_COMMON_ACCENTS)
    if quick.isascii():  # the common case: Finnish/Swedish letters only
        return quick
    # Rare letters: NFKD may yield capitals (U+1D2C ᴬ -> A) or separators, which the next pass
    # would change again; repeat until nothing changes, so folding twice equals folding once.
    for _ in range(4):
        decomposed = unicodedata.normalize("NFKD", quick.translate(_FOLD))
        stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
        folded = exact_form(stripped).translate(_COMMON_ACCENTS)
        if folded == quick:
            break
        quick = folded
    return quick


_SKELETON_RULES = (
    ("ae", "a"),
    ("oe", "o"),
    ("ue", "u"),
    ("ph", "f"),
    ("th", "t"),
    ("ck", "k"),
    ("w", "v"),
    ("x", "ks"),
    ("q", "k"),
    ("c", "k"),
    ("z", "ts"),
    ("y", "i"),
    ("j", "i"),
    ("ou", "u"),
)
_DOUBLED = re.compile(r"(.)\1+")


def skeleton_token(token: str) -> str:
    """One folded token with its variable spellings made alike: ``maekinen`` -> ``makinen``,
    ``sergey`` -> ``sergei``, ``mohammed`` -> ``mohamed``; doubled letters count once."""
    for old, new in _SKELETON_RULES:
        token = token.replace(old, new)
    return _DOUBLED.sub(r"\1", token)


def skeleton_form(text: str) -> str:
    """The skeleton of a whole name, spaces and hyphens removed (``Al-Hassan`` = ``Alhassan``)."""
    return "".join(skeleton_token(t) for t in fold_form(text).split())


def _text(records: pd.DataFrame, column: str) -> pd.Series:
    """The column as stripped text, "" where missing (vectorised string ops, no Python loop)."""
    if column not in records:
        return pd.Series([""] * len(records), index=records.index, dtype="string")
    return records[column].astype("string").fillna("").str.strip()


def _codes(normalised: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(codes, uniques) of already normalised text; "" maps to code -1."""
    codes, uniques = pd.factorize(normalised, sort=False)
    uniques = np.asarray(pd.Series(uniques).to_numpy(dtype=object), dtype=object)
    empty = np.flatnonzero(uniques == "")
    codes = codes.astype(np.int64)
    if len(empty):
        codes = np.where(codes == empty[0], -1, codes)
    return codes, uniques


def _map_unique(s: pd.Series, func) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001
    """(codes, uniques) with ``func`` applied once per distinct value; "" maps to code -1."""
    codes, uniques = pd.factorize(s, sort=False)
    raw = pd.Series(uniques).to_numpy(dtype=object)
    mapped = np.array([func(u) if u else "" for u in raw], dtype=object)
    # merge distinct raw values that normalise alike
    new_codes, new_uniques = pd.factorize(mapped, sort=False)
    out = new_codes[codes] if len(codes) else np.empty(0, dtype=np.int64)
    out = np.where(codes < 0, -1, out)
    empty = np.flatnonzero(np.asarray(new_uniques, dtype=object) == "")
    if len(empty):
        out = np.where(out == empty[0], -1, out)
    return out.astype(np.int64), np.asarray(new_uniques, dtype=object)


@dataclass
class Prepared:
    """Normalised, integer-coded columns of one register; index i = row i of the input."""

    tunniste: np.ndarray
    etu_exact: np.ndarray
    etu_fold: np.ndarray
    kutsu_fold: np.ndarray
    first1: np.ndarray  # first folded first name (code into first1_values)
    suku_exact: np.ndarray
    suku_fold: np.ndarray
    # skeletons in one shared vocabulary (values["name_skel"]), so a given name can be compared
    # with a surname (swapped fields) and both can share blocking keys
    etu_skel: np.ndarray  # all first names
    first_skel: np.ndarray  # first given name
    given2_skel: np.ndarray  # second given name
    given3_skel: np.ndarray  # third given name
    suku_skel: np.ndarray  # whole surname
    suku_tok1: np.ndarray  # first part of the surname
    suku_tok2: np.ndarray  # last part of the surname (= tok1 for a one-part surname)
    all_names: np.ndarray  # every name part of both fields, sorted (order and field ignored)
    birth: np.ndarray  # days since 1970-01-01, NO_DATE missing
    birth_hetu: np.ndarray  # a valid hetu's date where it differs from syntymaaika, else NO_DATE
    sex: np.ndarray  # 1, 2 or -1
    hetu: np.ndarray  # code into hetu_values, -1 missing
    hetu_valid: np.ndarray  # bool
    passport: np.ndarray
    email: np.ndarray
    address: np.ndarray  # folded street + postinumero
    nationality: np.ndarray
    vtj: np.ndarray  # bool: VTJ-identified
    identified: np.ndarray  # bool: identified by any method or has a hetu (ONR link rule)
    oid: np.ndarray  # object array, "" missing
    values: dict[str, np.ndarray] = field(default_factory=dict)
    cache: dict[str, Any] = field(default_factory=dict)  # derived per-value tables (tokens)

    def __len__(self) -> int:
        return len(self.tunniste)


def _flag(records: pd.DataFrame, column: str) -> np.ndarray:
    if column not in records:
        return np.zeros(len(records), dtype=bool)
    s = records[column]
    if s.dtype == bool:
        return s.to_numpy()
    text = s.astype("string").fillna("").str.strip().str.lower()
    return text.isin({"true", "1", "yes", "kylla", "kyllä"}).to_numpy(dtype=bool)


def prepare(records: pd.DataFrame) -> Prepared:
    """Normalise ``records`` (see the module doc); ``tunniste`` must be present and unique."""
    if "tunniste" not in records:
        raise ValueError("records need a 'tunniste' column (the record id)")
    records = records.reset_index(drop=True)
    tunniste = records["tunniste"].astype(str).to_numpy(dtype=object)
    if len(set(tunniste)) != len(tunniste):
        raise ValueError("'tunniste' values must be unique")
    values: dict[str, np.ndarray] = {}

    etu_raw = _text(records, "etunimet")
    kutsu_raw = _text(records, "kutsumanimi")
    etu_raw = etu_raw.where(etu_raw != "", kutsu_raw)  # kutsumanimi alone is still a first name
    etu_exact, values["etu_exact"] = _map_unique(etu_raw, exact_form)
    etu_fold, values["etu_fold"] = _map_unique(etu_raw, fold_form)
    kutsu_fold, values["kutsu_fold"] = _map_unique(kutsu_raw, fold_form)
    first1, values["first1"] = _map_unique(etu_raw, lambda t: (fold_form(t).split() or [""])[0])
    suku_raw = _text(records, "sukunimi")
    suku_exact, values["suku_exact"] = _map_unique(suku_raw, exact_form)
    suku_fold, values["suku_fold"] = _map_unique(suku_raw, fold_form)

    skel = _skeletons(etu_raw, suku_raw)
    values["name_skel"] = skel.pop("values")

    hetu_raw = _text(records, "hetu").str.upper().str.replace(r"\s", "", regex=True)
    hetu_codes, values["hetu"] = _codes(hetu_raw)
    uniq = pd.Series(values["hetu"], dtype=object)
    uniq_valid = hetu_mod.valid_series(uniq).to_numpy(dtype=bool) if len(uniq) else uniq.to_numpy()
    uniq_birth = (
        hetu_mod.birth_date_series(uniq) if len(uniq) else pd.Series([], dtype="datetime64[s]")
    )
    uniq_birth_days = _days(uniq_birth)
    individual = pd.to_numeric(uniq.str.slice(7, 10), errors="coerce").fillna(0).to_numpy()
    uniq_sex = np.where(uniq_valid, np.where(individual % 2 == 1, 1, 2), -1).astype(np.int64)
    has_hetu = hetu_codes >= 0
    safe = np.where(has_hetu, hetu_codes, 0)
    hetu_valid = has_hetu & (uniq_valid[safe] if len(uniq) else False)

    birth_codes, birth_values = _codes(_text(records, "syntymaaika"))
    parsed = pd.to_datetime(
        pd.Series(birth_values, dtype=object), format="ISO8601", errors="coerce"
    )
    birth_days = _days(parsed) if len(birth_values) else np.empty(0, dtype=np.int64)
    birth = np.where(
        birth_codes >= 0,
        birth_days[np.maximum(birth_codes, 0)] if len(birth_days) else NO_DATE,
        NO_DATE,
    )
    if len(uniq):
        from_hetu = np.where(hetu_valid, uniq_birth_days[safe], NO_DATE)
        birth_hetu = np.where((birth != NO_DATE) & (from_hetu != birth), from_hetu, NO_DATE)
        birth = np.where(birth != NO_DATE, birth, from_hetu)
    else:
        birth_hetu = np.full(len(birth), NO_DATE, dtype=np.int64)

    sex_raw = (
        _text(records, "sukupuoli")
        .str.lower()
        .map({"1": 1, "2": 2, "mies": 1, "nainen": 2, "m": 1, "f": 2, "n": 2})
        .fillna(-1)
    )
    sex = sex_raw.to_numpy(dtype=np.int64)
    if len(uniq):
        sex = np.where(sex > 0, sex, np.where(hetu_valid, uniq_sex[safe], -1))

    passport, values["passport"] = _codes(
        _text(records, "passinumero").str.upper().str.replace(r"\W", "", regex=True)
    )
    email, values["email"] = _codes(_text(records, "sahkoposti").str.lower())
    street = _text(records, "katuosoite")
    postal = _text(records, "postinumero")
    address_raw = (street + "|" + postal).where((street != "") & (postal != ""), "")
    address, values["address"] = _map_unique(address_raw, fold_form)
    nationality, values["nationality"] = _codes(_text(records, "kansalaisuus").str.upper())
    vtj = _flag(records, "yksiloityVTJ")
    identified = has_hetu | vtj | _flag(records, "yksiloity") | _flag(records, "yksiloityEidas")
    return Prepared(
        tunniste=tunniste,
        etu_exact=etu_exact,
        etu_fold=etu_fold,
        kutsu_fold=kutsu_fold,
        first1=first1,
        suku_exact=suku_exact,
        suku_fold=suku_fold,
        **skel,
        birth=birth,
        birth_hetu=birth_hetu,
        sex=sex,
        hetu=hetu_codes,
        hetu_valid=hetu_valid,
        passport=passport,
        email=email,
        address=address,
        nationality=nationality,
        vtj=vtj,
        identified=identified,
        oid=_text(records, "oid").to_numpy(dtype=object),
        values=values,
    )


def _skeletons(etu_raw: pd.Series, suku_raw: pd.Series) -> dict[str, np.ndarray]:
    """Skeleton codes of first names and surnames in one vocabulary (once per distinct value)."""
    e_codes, e_uniq = pd.factorize(etu_raw, sort=False)
    s_codes, s_uniq = pd.factorize(suku_raw, sort=False)
    e_toks = [[skeleton_token(t) for t in fold_form(v).split()] for v in e_uniq]
    s_toks = [[skeleton_token(t) for t in fold_form(v).split()] for v in s_uniq]
    columns = {
        "etu_skel": (e_codes, ["".join(t) for t in e_toks]),
        "first_skel": (e_codes, [t[0] if t else "" for t in e_toks]),
        "given2_skel": (e_codes, [t[1] if len(t) > 1 else "" for t in e_toks]),
        "given3_skel": (e_codes, [t[2] if len(t) > 2 else "" for t in e_toks]),
        "suku_skel": (s_codes, ["".join(t) for t in s_toks]),
        "suku_tok1": (s_codes, [t[0] if t else "" for t in s_toks]),
        "suku_tok2": (s_codes, [t[-1] if t else "" for t in s_toks]),
    }
    # every part of both names, sorted: "Nguyen Thi Lan" in any order and any split between
    # the two fields (once per distinct combination of the two fields)
    width = len(s_uniq) + 1  # surname code + 1, so that a missing surname (-1) is 0
    combo = e_codes.astype(np.int64) * width + (s_codes + 1)
    combo_codes, combo_uniq = pd.factorize(combo, sort=False)
    no_name: list[str] = []
    both = [
        " ".join(
            sorted(
                (e_toks[c // width] if c >= 0 else no_name)
                + (s_toks[c % width - 1] if c % width else no_name)
            )
        )
        for c in combo_uniq.tolist()  # Python ints: numpy scalars made this loop 3x slower
    ]
    columns["all_names"] = (combo_codes, both)
    everything = np.concatenate([np.asarray(v, dtype=object) for _, v in columns.values()])
    codes_all, vocab = pd.factorize(pd.Series(everything, dtype=object), sort=False)
    vocab = np.asarray(vocab, dtype=object)
    empty = np.flatnonzero(vocab == "")
    out: dict[str, np.ndarray] = {"values": vocab}
    start = 0
    for name, (row_codes, per_value) in columns.items():
        local = codes_all[start : start + len(per_value)].astype(np.int64)
        start += len(per_value)
        if len(empty):
            local = np.where(local == empty[0], -1, local)
        mapped = local[np.maximum(row_codes, 0)] if len(local) else np.full(len(row_codes), -1)
        out[name] = np.where(row_codes < 0, -1, mapped).astype(np.int64)
    return out


def _days(s: pd.Series) -> np.ndarray:
    """Days since 1970-01-01 as int64, NO_DATE where missing."""
    arr = pd.Series(s).to_numpy(dtype="datetime64[D]")
    out = arr.astype(np.int64)
    return np.where(np.isnat(arr), NO_DATE, out)
