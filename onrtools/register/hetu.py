"""The Finnish personal identity code (henkilötunnus, hetu): validate, parse, mask, generate.

Shape: ``DDMMYY`` + century sign + individual number ``NNN`` + check character, e.g.
``131052-9085``. Century signs: ``+`` 1800s; ``-`` and the 2023 additions ``Y X W V U`` 1900s;
``A`` and the 2023 additions ``B C D E F`` 2000s. The check character is
``"0123456789ABCDEFHJKLMNPRSTUVWXY"[int(DDMMYY + NNN) % 31]``. Individual numbers 900–999 are
temporary/test numbers: ONR's production rejects them (``allow-fake-ssn=false``), test
environments accept them, and our synthetic people always use them.

Acceptance rule: :func:`is_valid` agrees with ``stdnum.fi.hetu.is_valid(x, allow_temporary=True)``
on every input (a hypothesis test keeps it honest). That means:

* **Impossible dates are rejected.** ONR's Java "smart" resolver clamps a day beyond the month's
  length (``300223…`` is read as 28 February, REST.md §9.1); we are stricter and treat such a
  code as a typo, because a clamped birth date is certainly wrong and a person would be created
  with it.
* Individual numbers 000 and 001 are rejected (never issued; stdnum rejects them, ONR does not).
* Like stdnum, surrounding whitespace, lower case and Unicode dash/digit look-alikes are
  tolerated. ONR itself compares hetus as exact strings and rejects lower case, so send
  :func:`canonical` (the register validator does, and warns when the file's value differed).

Vectorised helpers (:func:`valid_series`, :func:`mask_series`, :func:`birth_date_series`) work on
a pandas Series with numpy byte arithmetic; values outside the plain-ASCII fast path fall back
to the scalar functions, so both paths give the same answers.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from stdnum.util import clean  # stdnum's own Unicode look-alike map: same compaction

CHECK_CHARS = "0123456789ABCDEFHJKLMNPRSTUVWXY"
CENTURY_SIGNS: dict[str, int] = {"+": 1800}
CENTURY_SIGNS.update(dict.fromkeys("-YXWVU", 1900))
CENTURY_SIGNS.update(dict.fromkeys("ABCDEF", 2000))
OLD_SIGNS: dict[int, str] = {1800: "+", 1900: "-", 2000: "A"}
NEW_SIGNS: dict[int, str] = {1900: "YXWVU", 2000: "BCDEF"}  # the 2023 reform; none for 1800s
TEST_RANGE = range(900, 1000)

# what stdnum accepts after compacting (\d is Unicode-aware on purpose: stdnum's is too)
_HETU_RE = re.compile(
    r"^(?P<day>[0123]\d)(?P<month>[01]\d)(?P<year>\d\d)(?P<sign>[-+ABCDEFYXWVU])"
    r"(?P<individual>\d\d\d)(?P<control>[0-9ABCDEFHJKLMNPRSTUVWXY])$"
)
# The one hetu shape (DDMMYY, century sign, NNN, check character) for every module: a guard
# test (tests/test_one_home.py) fails when another module writes its own hetu-shaped pattern.
SIGN_CLASS = "-+A-FU-Y"
CHECK_CLASS = "0-9A-FHJ-NPR-Y"
_DASHES = "\u2010-\u2015\u2212"  # Unicode dashes pasted for "-": still a hetu to hide
SHAPE = f"[0-9]{{6}}[{SIGN_CLASS}][0-9]{{3}}[{CHECK_CLASS}]"
_SHAPE_RE = re.compile(f"^{SHAPE}$")
# hetu-shaped inside other text (logs, messages, paths, evidence, file bytes): not glued to a
# longer digit run, any case, Unicode dashes too; what to mask and what the scanner checks
_IN_TEXT = f"(?<![0-9])[0-9]{{6}}[{SIGN_CLASS}{_DASHES}][0-9]{{3}}[{CHECK_CLASS}]"
HETU_IN_TEXT = re.compile(_IN_TEXT + "(?![0-9A-Za-z])", re.IGNORECASE)
# the same inside binary files (pickles, parquet pages): any byte may follow
HETU_IN_BYTES = re.compile(_IN_TEXT, re.IGNORECASE)
_ASCII_WS = " \t\n\r\x0b\x0c"


@dataclass(frozen=True)
class HetuInfo:
    """What a valid hetu tells: ``hetu`` is the canonical (upper-case, trimmed) form."""

    hetu: str
    birth_date: date
    century: int
    sign: str
    individual_number: int
    sex: str  # ONR koodisto sukupuoli: "1" male (odd), "2" female (even)
    is_test: bool

    def __repr__(self) -> str:  # a full hetu never lands in logs by accident
        return (
            f"HetuInfo(hetu={mask(self.hetu)!r}, birth_date={self.birth_date.isoformat()}, "
            f"sex={self.sex!r}, is_test={self.is_test})"
        )


def _compact(value: str) -> str:
    """stdnum's ``compact``: map Unicode look-alikes, upper-case, strip."""
    if value.isascii():  # the map changes no ASCII character that can matter here
        return value.upper().strip()
    return clean(value, "").upper().strip()


# why a hetu is invalid: catalogue keys "hetu.reason.<key>" (onrtools.i18n), "{date}" filled
_REASONS: tuple[str, ...] = ("type", "shape", "date", "individual", "temporary", "check")


def _check(value: object, allow_temporary: bool) -> tuple[HetuInfo | None, str, str]:
    """Parse ``value``; return (info, "", "") or (None, reason key, reason argument)."""
    if not isinstance(value, str):
        return None, "type", ""
    try:
        compacted = _compact(value)
    except Exception:  # noqa: BLE001 - stdnum's own clean() refuses some inputs
        return None, "type", ""
    match = _HETU_RE.match(compacted)
    if not match or len(compacted) != 11:
        return None, "shape", ""
    day, month, year = (int(match.group(k)) for k in ("day", "month", "year"))
    sign = match.group("sign")
    individual = int(match.group("individual"))
    century = CENTURY_SIGNS[sign]
    try:
        born = date(century + year, month, day)
    except ValueError:
        return None, "date", f"{day}.{month}.{century + year}"
    if individual < 2:
        return None, "individual", ""
    if individual >= 900 and not allow_temporary:
        return None, "temporary", ""
    number = f"{day:02d}{month:02d}{year:02d}{individual:03d}"
    control = CHECK_CHARS[int(number) % 31]
    if match.group("control") != control:
        return None, "check", ""
    canon = f"{number[:6]}{sign}{number[6:]}{control}"
    info = HetuInfo(
        hetu=canon,
        birth_date=born,
        century=century,
        sign=sign,
        individual_number=individual,
        sex="1" if individual % 2 else "2",
        is_test=individual >= 900,
    )
    return info, "", ""


def _reason(key: str, arg: str, language: str | None = "en") -> str:
    from onrtools.i18n import translate

    return translate(f"hetu.reason.{key}", language, date=arg)


def is_valid(hetu: str, *, allow_temporary: bool = True) -> bool:
    """True when ``hetu`` is a valid henkilötunnus (stdnum-compatible, see the module doc)."""
    return _check(hetu, allow_temporary)[0] is not None


def parse(hetu: str, *, allow_temporary: bool = True) -> HetuInfo:
    """Parse a hetu; ``ValueError`` says why it is invalid (without echoing the full hetu)."""
    info, key, arg = _check(hetu, allow_temporary)
    if info is None:
        shown = mask(hetu) if isinstance(hetu, str) else ""
        raise ValueError(f"invalid hetu {shown}: {_reason(key, arg)}")
    return info


def invalid_reason(
    hetu: str, *, allow_temporary: bool = True, language: str | None = "en"
) -> str | None:
    """Why ``hetu`` is invalid (in ``language``: fi, sv or en), or None when it is valid."""
    info, key, arg = _check(hetu, allow_temporary)
    return None if info is not None else _reason(key, arg, language)


def canonical(hetu: str) -> str:
    """The form ONR expects (ASCII, upper case, no whitespace); ``ValueError`` if invalid."""
    return parse(hetu).hetu


def is_test(hetu: str) -> bool:
    """True for a valid hetu whose individual number is 900–999."""
    info = _check(hetu, True)[0]
    return info is not None and info.is_test


def birth_date(hetu: str) -> date:
    """The birth date a valid hetu encodes; ``ValueError`` if invalid."""
    return parse(hetu).birth_date


def sex(hetu: str) -> str:
    """ONR's sukupuoli code from the individual number: odd "1" (male), even "2" (female)."""
    return parse(hetu).sex


def mask(hetu: object) -> str:
    """``131052-9085`` → ``131052-****``; anything not hetu-shaped → ``****`` (""/None → "")."""
    if hetu is None:
        return ""
    if not isinstance(hetu, str):
        return "****"
    text = hetu.strip(_ASCII_WS)
    if text == "":
        return ""
    if len(text) == 11 and _SHAPE_RE.match(text.upper()):
        return text[:7].upper() + "****"
    return "****"


def generate(
    rng: random.Random,
    *,
    birth_date: date | None = None,
    sex: str | None = None,
    test: bool = True,
    new_signs: bool | None = None,
) -> str:
    """A valid synthetic hetu; test range (900–999) unless ``test=False``.

    ``new_signs``: True uses the 2023 letters (Y X W V U / B–F), False the old ``-``/``A``,
    None picks either at random. The 1800s only have ``+``.
    """
    if birth_date is None:
        start = date(1930, 1, 1)
        birth_date = start + timedelta(days=rng.randrange((date(2009, 12, 31) - start).days))
    century = birth_date.year // 100 * 100
    if century not in OLD_SIGNS:
        raise ValueError(f"no century sign for year {birth_date.year}")
    use_new = rng.random() < 0.5 if new_signs is None else new_signs
    if use_new and century in NEW_SIGNS:
        sign = rng.choice(NEW_SIGNS[century])
    else:
        sign = OLD_SIGNS[century]
    if sex is None:
        sex = rng.choice("12")
    if sex not in {"1", "2"}:
        raise ValueError("sex must be '1' (male) or '2' (female)")
    low, high = (900, 999) if test else (2, 899)
    individual = rng.randrange(low, high + 1)
    if (individual % 2 == 1) != (sex == "1"):
        individual += 1 if individual < high else -1
    number = f"{birth_date:%d%m}{birth_date.year % 100:02d}{individual:03d}"
    return f"{number[:6]}{sign}{number[6:]}{CHECK_CHARS[int(number) % 31]}"


# --- vectorised -------------------------------------------------------------------------------

_SIGN_CENTURY = np.zeros(256, dtype=np.int16)
for _sign, _century in CENTURY_SIGNS.items():
    _SIGN_CENTURY[ord(_sign)] = _century
_CHECK_BYTES = np.frombuffer(CHECK_CHARS.encode(), dtype=np.uint8)
_MONTH_LEN = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int32)


def _as_object(s: pd.Series) -> pd.Series:
    return s.astype(object).where(s.notna(), None)


def _byte_matrix(text: pd.Series) -> np.ndarray:
    """(k, 11) uint8 matrix of k strings that are all 11 ASCII characters long."""
    if len(text) == 0:
        return np.empty((0, 11), dtype=np.uint8)
    try:  # zero-copy from Arrow's data buffer when the strings are Arrow-backed
        arr = pa.array(text)
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        wide = arr.type == pa.large_string()
        offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64 if wide else np.int32)
        first, last = offsets[arr.offset], offsets[arr.offset + len(arr)]
        if last - first == 11 * len(arr):
            data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)[first:last]
            return data.reshape(-1, 11)
    except (pa.ArrowException, TypeError, ValueError, IndexError):
        pass
    raw = np.array(text.tolist(), dtype="S11")
    return raw.view(np.uint8).reshape(-1, 11)


def _fast_parts(s: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split ``s`` into the ASCII fast path and the rest.

    Returns (fast: bool mask over ``s``, bytes matrix (k, 11) of the fast rows, upper-cased,
    and which of those k rows had lower case).
    Fast rows are exactly 11 printable, non-space ASCII characters: for them stdnum's
    compaction is just upper-casing. Everything else goes to the scalar path.
    """
    arr = pa.array(s.astype("str"))
    n = len(arr)
    candidate = pc.and_(pc.equal(pc.binary_length(arr), 11), pc.string_is_ascii(arr))
    fast = np.asarray(pc.fill_null(candidate, False).to_numpy(zero_copy_only=False), dtype=bool)
    if n and fast.any():
        matrix = _byte_matrix(pd.Series(pc.filter(arr, pa.array(fast)), dtype="str"))
        printable = ((matrix >= 0x21) & (matrix <= 0x7E)).all(axis=1)
        if not printable.all():
            positions = np.flatnonzero(fast)
            fast[positions[~printable]] = False
            matrix = matrix[printable]
    else:
        matrix = np.empty((0, 11), dtype=np.uint8)
    lower = (matrix >= 97) & (matrix <= 122)
    had_lower = lower.any(axis=1)
    if had_lower.any():
        matrix = np.where(lower, matrix - 32, matrix).astype(np.uint8)
    return fast, matrix, had_lower


def _fast_decode(
    b: np.ndarray, allow_temporary: bool, *, want_days: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Validate an (n, 11) uint8 matrix.

    Returns (ok, individual number, DDMMYYNNN as an integer, days since 1970 when asked).
    """
    d = b[:, [0, 1, 2, 3, 4, 5, 7, 8, 9]] - np.uint8(48)  # non-digits wrap to > 9
    ok = (d <= 9).all(axis=1)
    d = d.astype(np.int32)
    day = d[:, 0] * 10 + d[:, 1]
    month = d[:, 2] * 10 + d[:, 3]
    yy = d[:, 4] * 10 + d[:, 5]
    individual = d[:, 6] * 100 + d[:, 7] * 10 + d[:, 8]
    century = _SIGN_CENTURY[b[:, 6]].astype(np.int32)
    ok &= century > 0
    year = century + yy
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_ok = (month >= 1) & (month <= 12)
    mdays = _MONTH_LEN[np.where(month_ok, month, 0)] + ((month == 2) & leap)
    ok &= month_ok & (day >= 1) & (day <= mdays)
    ok &= individual >= 2
    if not allow_temporary:
        ok &= individual < 900
    number = (day.astype(np.int64) * 10000 + month * 100 + yy) * 1000 + individual
    ok &= _CHECK_BYTES[number % 31] == b[:, 10]
    if not want_days:
        return ok, individual, number, None
    # days since 1970-01-01 by integer arithmetic (H. Hinnant's days_from_civil)
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * np.where(month > 2, month - 3, month + 9) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    days = (era * 146097 + doe - 719468).astype("timedelta64[D]") + np.datetime64("1970-01-01")
    return ok, individual, number, days


@dataclass(frozen=True)
class HetuColumn:
    """Everything the register validator needs from a hetu column, computed in one pass."""

    valid: np.ndarray  # bool
    canonical: pd.Series  # ONR form where valid, the input elsewhere
    changed: np.ndarray  # bool: valid, but the canonical form differs from the input
    individual: np.ndarray  # int32 individual number, -1 where invalid
    birth_date: np.ndarray  # datetime64[D], NaT where invalid
    key: np.ndarray  # int64 identifying the canonical hetu (DDMMYYNNN * 256 + sign), -1 invalid


def analyse_series(s: pd.Series, *, allow_temporary: bool = True) -> HetuColumn:
    """Validate and decode a column at once (the fast path of :func:`valid_series` & co)."""
    fast, b, lowered = _fast_parts(s)
    n = len(s)
    valid = np.zeros(n, dtype=bool)
    individual = np.full(n, -1, dtype=np.int32)
    born = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    ok, fast_individual, number, days = _fast_decode(b, allow_temporary, want_days=True)
    assert days is not None
    good = np.flatnonzero(fast)[ok]
    valid[good] = True
    individual[good] = fast_individual[ok]
    born[good] = days[ok]
    key = np.full(n, -1, dtype=np.int64)
    key[good] = number[ok] * 256 + b[ok, 6]
    canonical = s.astype("str")
    changed = np.zeros(n, dtype=bool)
    updates: dict[int, str] = {}
    had_lower = lowered[ok]
    if had_lower.any():
        fixed = [bytes(row).decode("ascii") for row in b[ok][had_lower]]
        updates.update(zip(good[had_lower].tolist(), fixed, strict=True))
    slow = np.flatnonzero(~fast & s.notna().to_numpy(dtype=bool))
    if len(slow):
        values = _as_object(s).iloc[slow].tolist()
        for i, value in zip(slow.tolist(), values, strict=True):
            info = _check(value, allow_temporary)[0]
            if info is None:
                continue
            valid[i] = True
            individual[i] = info.individual_number
            born[i] = np.datetime64(info.birth_date, "D")
            key[i] = int(info.hetu[:6] + info.hetu[7:10]) * 256 + ord(info.sign)
            if info.hetu != value:
                updates[i] = info.hetu
    if updates:
        changed[list(updates)] = True
        canonical = canonical.copy()
        canonical.iloc[list(updates)] = list(updates.values())
    return HetuColumn(valid, canonical, changed, individual, born, key)


def valid_series(s: pd.Series, *, allow_temporary: bool = True) -> pd.Series:
    """Element-wise :func:`is_valid` as a bool Series (missing values are False)."""
    fast, b, _ = _fast_parts(s)
    out = np.zeros(len(s), dtype=bool)
    ok = _fast_decode(b, allow_temporary)[0]
    out[fast] = ok
    slow = ~fast & s.notna().to_numpy(dtype=bool)
    if slow.any():
        values = _as_object(s)[slow]
        out[slow] = [is_valid(v, allow_temporary=allow_temporary) for v in values]
    return pd.Series(out, index=s.index, name=s.name)


def birth_date_series(s: pd.Series) -> pd.Series:
    """Element-wise birth date (``datetime64``), NaT where the hetu is invalid."""
    fast, b, _ = _fast_parts(s)
    out = np.full(len(s), np.datetime64("NaT"), dtype="datetime64[D]")
    ok, _, _, days = _fast_decode(b, True, want_days=True)
    assert days is not None
    out[np.flatnonzero(fast)[ok]] = days[ok]
    slow = ~fast & s.notna().to_numpy(dtype=bool)
    if slow.any():
        values = _as_object(s)[slow]
        parsed = [_check(v, True)[0] for v in values]
        out[slow] = [
            np.datetime64(p.birth_date, "D") if p is not None else np.datetime64("NaT")
            for p in parsed
        ]
    return pd.Series(out.astype("datetime64[s]"), index=s.index, name=s.name)


def mask_series(s: pd.Series) -> pd.Series:
    """Element-wise :func:`mask`; missing values stay missing."""
    text = s.astype("str").str.strip(_ASCII_WS)
    upper = text.str.upper()
    shaped = upper.str.fullmatch(_SHAPE_RE.pattern[1:-1]).fillna(False).astype(bool)
    masked = upper.str.slice(0, 7) + "****"
    out = masked.where(shaped, "****").where(text != "", "")
    return out.where(s.notna())


def mask_in_text(text: str) -> str:
    """Every hetu-shaped substring masked: ``hetut 131052-9085 ja …`` → ``hetut 131052-**** ja …``.

    Shape only, not validity: a hetu with a typo in its check character is still one to hide.
    """
    return HETU_IN_TEXT.sub(lambda m: m.group(0)[:7].upper() + "****", text)


def looks_like_hetu(text: str) -> bool:
    """True for a value of the hetu shape (valid or not): such a value must not be used where
    it would be shown or kept as something else (a tunniste, say)."""
    return bool(_SHAPE_RE.match(text))


def has_hetu_in_text(text: str) -> bool:
    """True when ``text`` holds a hetu-shaped substring (see :func:`mask_in_text`)."""
    return HETU_IN_TEXT.search(text) is not None


def is_hetu_column(name: object) -> bool:
    """True for a column whose name ends in ``hetu``, in any case (``hetu``, ``local_HETU``)."""
    return str(name).lower().endswith("hetu")


def mask_columns(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with every hetu column (:func:`is_hetu_column`) masked by :func:`mask_series`.

    The one masker of frames: notebooks' tables, action lists, report files.
    """
    out = df.copy()
    for column in out.columns:
        if is_hetu_column(column):
            out[column] = mask_series(out[column].astype("object"))
    return out
