"""Validate a register against ONR's import rules before anything is sent.

``validate_register(read_register(path), target_env="local")`` checks every row with ONR's rules
for ``PUT /oppija`` (REST.md §4.3, §9; SEMANTICS.md §1.8–1.9) plus our own data-quality rules,
vectorised over the whole frame. The result holds a problem table (file row, tunniste, field,
ONR-style code, severity, message) and the rows without errors, ready to send.

Codes reuse ONR's where ONR has one (``invalid.hetu``, ``hetu.required.for.finnish``,
``invalid.kansalaisuus``, ``invalid.aidinkieli``, ``invalid.sukupuoli``,
``kutsumanimi.must.exist.in.etunimet``); ours are English and dotted (``tunniste.duplicate``).

The environment guard (the seed rule: no real people in test environments, no test people in
production): target ``prod`` refuses test-range hetus (900–999), the test targets (``local``,
``testi``, ``untuva``, ``hahtuva``) refuse other hetus. ``override_reason`` turns those errors
into warnings and is recorded in the result.

``onr validate FILE`` prints the report; exit 0 without errors, 1 with errors, 2 when the file
cannot be read.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from onrtools import i18n
from onrtools.errors import EnvironmentGuardError, RegisterReadError, ValidationFailed
from onrtools.register import codes, hetu, names, oid
from onrtools.register.messages import render_message
from onrtools.register.read import (
    COLUMNS,
    NO_DATE,
    PROBLEM_COLUMNS,
    RegisterFrame,
    date_days,
    parse_column_mapping,
    read_register,
    string_buffers,
)
from onrtools.register.spreadsheet import FORMULA_START, is_formula
from onrtools.register.tuonti_row import tuonti_rows

TEST_ENVIRONMENTS = ("local", "testi", "untuva", "hahtuva")
PRODUCTION = "prod"
MAX_LENGTH = 255  # ONR's person columns are short varchars; longer is a broken cell anyway
_EMAIL_ATOM = r"(?:[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]|[^\x00-\x7f])+"
_EMAIL_LABEL = (
    r"(?:[a-zA-Z0-9]|[^\x00-\x7f])(?:(?:[a-zA-Z0-9-]|[^\x00-\x7f])*(?:[a-zA-Z0-9]|[^\x00-\x7f]))?"
)
EMAIL_RE = rf"{_EMAIL_ATOM}(?:\.{_EMAIL_ATOM})*@{_EMAIL_LABEL}(?:\.{_EMAIL_LABEL})*"
# control characters (line breaks and tabs too: no ONR field holds one), U+FFFD from a broken
# decode, and the invisible bidirectional controls that make a name display as another
_BAD_CHARS = "[\x00-\x1f\x7f\ufffd\u200e\u200f\u202a-\u202e\u2066-\u2069]"

@dataclass
class ValidationResult:
    """Problems of every row, the rows without errors and what will be sent."""

    problems: pd.DataFrame
    valid_rows: pd.DataFrame  # ONR-ready values (canonical hetu, codes, ISO dates)
    rows_total: int
    target_env: str
    language: str
    override_reason: str | None = None
    source: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when no row has an error."""
        return not (self.problems["severity"] == "error").any()

    @property
    def error_rows(self) -> int:
        errors = self.problems[self.problems["severity"] == "error"]
        return int(errors["row_number"].nunique())

    def summary(self) -> pd.DataFrame:
        """Problem counts per code and severity, most frequent first."""
        if self.problems.empty:
            return pd.DataFrame({"code": [], "severity": [], "count": []})
        counts = self.problems.groupby(["code", "severity"]).size().rename("count").reset_index()
        return counts.sort_values(["count", "code"], ascending=[False, True]).reset_index(drop=True)

    def raise_for_errors(self) -> None:
        """``ValidationFailed`` (with every problem) when any row has an error."""
        if not self.ok:
            errors = int((self.problems["severity"] == "error").sum())
            raise ValidationFailed(
                f"{self.error_rows} of {self.rows_total} rows have errors ({errors} in all)",
                problems=self.problems,
            )

    def rows_to_send(self) -> list[dict[str, Any]]:
        """Valid rows as ONR ``PUT /oppija`` rows: ``{"tunniste": ..., "henkilo": {...}}``."""
        return rows_to_send(self.valid_rows)

    def problems_masked(self) -> pd.DataFrame:
        """The problem table as safe to show (hetu never appears in it; copy for symmetry)."""
        return self.problems.copy()


def rows_to_send(valid: pd.DataFrame) -> list[dict[str, Any]]:
    """ONR row dicts (REST.md §4.3) from ONR-ready values, by the import's own builder
    (:mod:`onrtools.register.tuonti_row`): the preview is what the import sends."""
    return tuonti_rows(valid)


class _Problems:
    """Collects problems as row positions plus details; one vectorised append per rule."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame_ = frame
        self.parts: list[tuple[np.ndarray, str, str, str, Any]] = []

    def add(
        self, mask: Any, field_name: str, code: str, severity: str = "error", detail: Any = ""
    ) -> None:
        positions = np.flatnonzero(np.asarray(mask, dtype=bool))
        if not len(positions):
            return
        if isinstance(detail, pd.Series):
            values: Any = detail.iloc[positions].to_numpy(dtype=object)
        elif isinstance(detail, np.ndarray):
            values = detail[positions]
        else:
            values = detail
        self.parts.append((positions, field_name, code, severity, values))

    def error_positions(self) -> np.ndarray:
        chunks = [pos for pos, _, _, severity, _ in self.parts if severity == "error"]
        return np.unique(np.concatenate(chunks)) if chunks else np.empty(0, dtype=np.int64)

    def table(self, register_problems: pd.DataFrame, language: str) -> pd.DataFrame:
        pieces: list[pd.DataFrame] = []
        if len(register_problems):
            pieces.append(
                register_problems[["row_number", "tunniste", "field", "code", "severity", "detail"]]
            )
        if self.parts:
            positions = np.concatenate([pos for pos, *_ in self.parts])
            lengths = [len(pos) for pos, *_ in self.parts]
            details = np.empty(len(positions), dtype=object)
            at = 0
            for (_, *_, values), n in zip(self.parts, lengths, strict=True):
                details[at : at + n] = values
                at += n
            pieces.append(
                pd.DataFrame(
                    {
                        "row_number": self.frame_["row_number"].to_numpy()[positions],
                        "tunniste": self.frame_["tunniste"].iloc[positions].to_numpy(dtype=object),
                        "field": np.repeat([f for _, f, _, _, _ in self.parts], lengths),
                        "code": np.repeat([c for _, _, c, _, _ in self.parts], lengths),
                        "severity": np.repeat([s for _, _, _, s, _ in self.parts], lengths),
                        "detail": details,
                    }
                )
            )
        if not pieces:
            return pd.DataFrame(
                {
                    c: pd.Series([], dtype="int64" if c == "row_number" else "str")
                    for c in (*PROBLEM_COLUMNS, "detail")
                }
            )
        out = pd.concat(pieces, ignore_index=True)
        out["detail"] = _mask_hetus(out["detail"].astype("str").fillna(""))
        out["message"] = _render_many(out, language)
        out = out.sort_values(["row_number"], kind="stable").reset_index(drop=True)
        return out[[*PROBLEM_COLUMNS, "detail"]].astype({"row_number": "int64"})


def _mask_hetus(s: pd.Series) -> pd.Series:
    """Hetu-shaped text in free-form cells (a shifted column, say) masked as 131052-****."""
    hit = s.str.contains(hetu.HETU_IN_TEXT, regex=True).to_numpy(dtype=bool, na_value=False)
    if not hit.any():
        return s
    out = s.copy()
    out[hit] = s[hit].map(hetu.mask_in_text)
    return out


def _render_many(problems: pd.DataFrame, language: str) -> pd.Series:
    messages = pd.Series("", index=problems.index, dtype="str")
    for (code, field_name), group in problems.groupby(["code", "field"], sort=False):
        template = render_message(str(code), "\x00", str(field_name), language)
        head, _, tail = template.partition("\x00")
        if "\x00" in template:
            messages.loc[group.index] = head + group["detail"] + tail
        else:
            messages.loc[group.index] = template
    return messages


def _duplicates(
    values: Any, present: np.ndarray, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Later occurrences of a non-empty value, and the file row of each one's first occurrence.

    ``pd.factorize`` numbers values in order of first appearance, so a row repeats an earlier
    value exactly when its code is not above every code before it: no sorting needed.
    """
    n = len(values)
    if present.sum() < 2:
        return np.zeros(n, dtype=bool), np.empty(n, dtype=object)
    codes_, _ = pd.factorize(values)
    running = np.maximum.accumulate(codes_)
    first = np.empty(n, dtype=bool)
    first[0] = True
    first[1:] = codes_[1:] > running[:-1]
    dup = ~first & present
    detail = np.empty(n, dtype=object)
    if dup.any():
        first_index = np.flatnonzero(first)  # position of code c's first row is first_index[c]
        detail[dup] = rows[first_index[codes_[dup]]].astype(str)
    return dup, detail


def _kutsumanimi_ok(kutsumanimi: pd.Series, etunimet: pd.Series, both: np.ndarray) -> np.ndarray:
    """Vectorised :func:`names.kutsumanimi_valid`: common cases in Arrow, the rest per row."""
    k = pa.array(kutsumanimi, type=pa.string())
    e = pa.array(etunimet, type=pa.string())
    first = pc.list_element(pc.split_pattern(e, " ", max_splits=1), 0)
    ok = pc.or_(pc.equal(k, e), pc.equal(k, first))
    result = np.asarray(ok.to_numpy(zero_copy_only=False), dtype=bool) | ~both
    rest = np.flatnonzero(~result)
    if len(rest):
        kv = kutsumanimi.iloc[rest].tolist()
        ev = etunimet.iloc[rest].tolist()
        cache: dict[tuple[str, str], bool] = {}
        for i, pair in zip(rest.tolist(), zip(kv, ev, strict=True), strict=True):
            if pair not in cache:
                cache[pair] = names.kutsumanimi_valid(*pair)
            result[i] = cache[pair]
    return result


def _per_value(s: pd.Series, fn: Any) -> tuple[np.ndarray, list[Any]]:
    """(code of each row, ``fn`` of each distinct value); code -1 never occurs."""
    codes_, uniques = pd.factorize(s, use_na_sentinel=False)
    return codes_, [fn(str(u) if u is not None else "") for u in uniques]


def _column(results: list[Any], codes_: np.ndarray, item: int, dtype: Any = object) -> np.ndarray:
    table = np.array([r[item] for r in results], dtype=dtype) if results else np.empty(0, dtype)
    return table[codes_] if len(table) else np.empty(len(codes_), dtype)


def _text_column(results: list[Any], codes_: np.ndarray, item: int) -> pa.Array:
    """Like :func:`_column` for text, built in Arrow (no Python objects per row)."""
    table = pa.array([r[item] for r in results], type=pa.large_string())
    return pc.take(table, pa.array(codes_, type=pa.int64()))


def _nationality_cell(cell: str) -> tuple[str, str, str, bool]:
    """(codes joined by ";", unknown tokens, conversions, has 246) for one kansalaisuus cell."""
    if cell in codes.nationality_codes():
        return cell, "", "", cell == codes.FINLAND
    tokens = codes.split_nationalities(cell)
    mapped = [codes.normalize_nationality(t) for t in tokens]
    unknown = ", ".join(t for t, m in zip(tokens, mapped, strict=True) if m is None)
    good = list(dict.fromkeys(m for m in mapped if m is not None))
    changed = ", ".join(
        f"{t}→{m}" for t, m in zip(tokens, mapped, strict=True) if m is not None and m != t
    )
    return ";".join(good), unknown, changed, codes.FINLAND in good


def _language_cell(cell: str) -> tuple[str, str]:
    """(kieli code or "", "ok" | "bad" | "converted" | "empty") for one aidinkieli cell."""
    if not cell:
        return "", "empty"
    code = codes.normalize_language(cell)
    if code is None:
        return "", "bad"
    return code, "ok" if code == cell.upper() else "converted"


def _check_target(target_env: str) -> str:
    env = target_env.strip().lower()
    if env in {"production", "tuotanto"}:
        env = PRODUCTION
    if env != PRODUCTION and env not in TEST_ENVIRONMENTS:
        raise ValueError(
            f"unknown target environment {target_env!r}; use one of prod, "
            + ", ".join(TEST_ENVIRONMENTS)
        )
    return env


# the formula starts of register.spreadsheet (one rule): cells are trimmed, so the first byte
# tells; the few rows flagged here are checked exactly with spreadsheet.is_formula
_FORMULA_BYTES = np.zeros(256, dtype=bool)
_FORMULA_BYTES[[ord(c) for c in FORMULA_START]] = True
_CONTROL_BYTES = np.zeros(256, dtype=bool)
_CONTROL_BYTES[[*range(0x00, 0x20), 0x7F]] = True


def _suspicious_rows(s: pd.Series) -> np.ndarray:
    """Rows that may start like a formula, be too long or hold control/replacement characters.

    A scan of the column's Arrow bytes; the few rows it returns are checked exactly later.
    """
    buffers = string_buffers(s)
    if buffers is None:
        return np.flatnonzero(
            s.str.contains(rf"^ *[{re.escape(''.join(FORMULA_START))}]|{_BAD_CHARS}"
                           rf"|^.{{{MAX_LENGTH + 1}}}", regex=True).to_numpy(
                dtype=bool, na_value=False
            )
        )
    offsets, data = buffers
    starts, lengths = offsets[:-1], offsets[1:] - offsets[:-1]
    flagged = lengths > MAX_LENGTH  # bytes ≥ characters: a superset, checked exactly later
    nonempty = lengths > 0
    flagged[nonempty] |= _FORMULA_BYTES[data[starts[nonempty]]]
    window = data[offsets[0] : offsets[-1]]
    bad = _CONTROL_BYTES[window]
    lead = np.flatnonzero(window[:-2] == 0xEF)  # U+FFFD is EF BF BD in UTF-8
    if len(lead):
        bad[lead[(window[lead + 1] == 0xBF) & (window[lead + 2] == 0xBD)]] = True
    lead = np.flatnonzero(window[:-2] == 0xE2)  # bidi controls are E2 80 xx / E2 81 xx
    if len(lead):
        bad[lead[(window[lead + 1] == 0x80) | (window[lead + 1] == 0x81)]] = True
    positions = np.flatnonzero(bad) + offsets[0]
    if len(positions):
        flagged[np.searchsorted(offsets, positions, side="right") - 1] = True
    return np.flatnonzero(flagged)


def _hygiene(f: pd.DataFrame, p: _Problems) -> None:
    """Formula-like, too long and control-character cells (any column)."""
    rows = np.unique(np.concatenate([_suspicious_rows(f[c]) for c in COLUMNS]))
    if not len(rows):
        return
    bad_char = re.compile(_BAD_CHARS)
    n = len(f)
    for column in COLUMNS:  # few flagged rows: plain Python over them
        values = f[column].iloc[rows].tolist()
        kinds: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for position, value in zip(rows.tolist(), values, strict=True):
            found = []
            if is_formula(value):
                found.append(("value.formula", value.lstrip(" ")[:1]))
            if len(value) > MAX_LENGTH:
                found.append(("value.too.long", str(len(value))))
            if bad_char.search(value):
                found.append(("invalid.character", ""))
            for code, detail in found:
                if code not in kinds:
                    kinds[code] = (np.zeros(n, dtype=bool), np.full(n, "", dtype=object))
                kinds[code][0][position] = True
                kinds[code][1][position] = detail
        for code, (mask, detail) in kinds.items():
            p.add(mask, column, code, detail=detail)


APIS = ("oppija", "yleistunniste")
EXISTENCE_FIELDS = ("hetu", "etunimet", "kutsumanimi", "sukunimi")


def existence_check_problems(henkilo: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(field, code)`` for each rule of ONR's ``HenkiloExistenceCheckDto`` a row breaks.

    ``PUT /yleistunniste`` bean-validates every row before anything is stored, and one bad row
    answers 400 to the whole request (up to 5,000 rows): rows are checked here first so the
    good ones can still be sent. Rules: hetu required and valid; etunimet and sukunimi
    visible words separated by single spaces; kutsumanimi one visible word (``^\\p{Graph}+$``)
    equal, ignoring case, to one first name or one hyphen part of one.
    """
    out: list[tuple[str, str]] = []
    for key in EXISTENCE_FIELDS:
        value = henkilo.get(key)
        if value is None or (isinstance(value, str) and not value):
            out.append((key, f"{key}.required"))
        elif not isinstance(value, str):
            out.append((key, "invalid.name.format" if key != "hetu" else "invalid.hetu"))
    present = {k for k in EXISTENCE_FIELDS if isinstance(henkilo.get(k), str) and henkilo[k]}
    if "hetu" in present and not hetu.is_valid(henkilo["hetu"]):
        out.append(("hetu", "invalid.hetu"))
    for key in ("etunimet", "sukunimi"):
        if key in present and not names.name_format_valid(henkilo[key]):
            out.append((key, "invalid.name.format"))
    if "kutsumanimi" in present:
        kutsumanimi = henkilo["kutsumanimi"]
        if " " in kutsumanimi or not names.name_format_valid(kutsumanimi):
            out.append(("kutsumanimi", "kutsumanimi.single.word"))
        elif "etunimet" in present and not names.kutsumanimi_valid_single(
            kutsumanimi, henkilo["etunimet"]
        ):
            out.append(("kutsumanimi", "kutsumanimi.not.a.first.name"))
    return out


def split_existence_rows(
    rows: Sequence[Mapping[str, Any]], *, language: str | None = "en"
) -> tuple[list[Mapping[str, Any]], list[dict[str, Any]]]:
    """``(rows to send, refused)`` for ``PUT /yleistunniste`` rows ``{tunniste, henkilo}``.

    A refused entry names the row (0-based position), tunniste, field, code and a message; it
    never holds the rejected value, so it can be shown and stored as is.
    """
    good: list[Mapping[str, Any]] = []
    refused: list[dict[str, Any]] = []
    for position, row in enumerate(rows):
        henkilo = row.get("henkilo")
        problems = existence_check_problems(henkilo if isinstance(henkilo, Mapping) else {})
        if not problems:
            good.append(row)
            continue
        for field_name, code in problems:
            refused.append({
                "row": position, "tunniste": row.get("tunniste"), "field": field_name,
                "code": code, "message": render_message(code, "", field_name, language),
            })
    return good, refused


def validate_register(
    reg: RegisterFrame,
    *,
    target_env: str = "local",
    override_reason: str | None = None,
    language: str | None = None,
    api: str = "oppija",
    strict: bool = False,
) -> ValidationResult:
    """Check every row; see the module docstring. ``language`` is fi, sv or en (the messages;
    empty: ``ONR_LANGUAGE``, else fi).

    ``api="yleistunniste"`` checks the rows by that API's rules (``HenkiloExistenceCheckDto``:
    hetu required, single-spaced names, a one-word kutsumanimi that is one first name) instead
    of ``PUT /oppija``'s. ``strict`` keeps two of our rules errors that ONR itself does not
    enforce on ``PUT /oppija`` (kutsumanimi not among the first names; birth date differing
    from the hetu, which ONR takes from the hetu): by default they are warnings.
    """
    env = _check_target(target_env)
    if api not in APIS:
        raise ValueError(f"api must be one of {APIS}")
    yleistunniste = api == "yleistunniste"
    language = i18n.resolve_language(language)
    if override_reason is not None and not override_reason.strip():
        raise ValueError("an override needs a reason")
    f = reg.frame
    n = len(f)
    rows = f["row_number"].to_numpy()
    p = _Problems(f)
    present = {
        c: np.asarray(
            pc.greater(pc.binary_length(pa.array(f[c])), 0).to_numpy(zero_copy_only=False),
            dtype=bool,
        )
        for c in COLUMNS
    }
    normalized: dict[str, Any] = {}
    _hygiene(f, p)

    p.add(~present["tunniste"], "tunniste", "tunniste.required")
    dup, first = _duplicates(f["tunniste"], present["tunniste"], rows)
    p.add(dup, "tunniste", "tunniste.duplicate", detail=first)
    required = ("etunimet", "kutsumanimi", "sukunimi")
    for column in required if yleistunniste else (*required, "kansalaisuus"):
        p.add(~present[column], column, f"{column}.required")
    if yleistunniste:  # the existence check needs a hetu; ONR sets nationality 999 itself
        p.add(~present["hetu"], "hetu", "hetu.required")
    else:
        no_identifier = ~(
            present["oid"] | present["hetu"] | present["passinumero"] | present["sahkoposti"]
        )
        p.add(no_identifier, "oid/hetu/passinumero/sahkoposti", "identifier.required")

    # hetu
    col = hetu.analyse_series(f["hetu"])
    bad_hetu = present["hetu"] & ~col.valid
    reasons = np.full(n, "", dtype=object)
    for i in np.flatnonzero(bad_hetu)[:10_000]:
        reasons[i] = hetu.invalid_reason(f["hetu"].iat[i], language=language) or ""
    p.add(bad_hetu, "hetu", "invalid.hetu", detail=reasons)
    p.add(col.changed, "hetu", "hetu.normalized", severity="warning")
    normalized["hetu"] = col.canonical
    is_test = col.valid & (col.individual >= 900)
    guard_severity = "warning" if override_reason else "error"
    guard_detail = ""
    if override_reason:
        guard_detail = i18n.translate("validation.overridden", language, reason=override_reason)
    if env == PRODUCTION:
        p.add(is_test, "hetu", "hetu.test.in.production", guard_severity, guard_detail)
    else:
        p.add(
            col.valid & ~is_test,
            "hetu",
            "hetu.real.in.test.environment",
            guard_severity,
            guard_detail,
        )
    dup, first = _duplicates(col.key, col.valid, rows)
    p.add(dup, "hetu", "hetu.duplicate", "warning", first)
    for column in ("passinumero", "sahkoposti"):
        dup, first = _duplicates(f[column], present[column], rows)
        p.add(dup, column, f"{column}.duplicate", "warning", first)

    # nationality and language: each distinct cell is looked at once
    nat_codes, nat_results = _per_value(f["kansalaisuus"], _nationality_cell)
    for item, code, severity in (
        (1, "invalid.kansalaisuus", "error"),
        (2, "kansalaisuus.normalized", "warning"),
    ):
        hit = np.array([r[item] != "" for r in nat_results], dtype=bool)[nat_codes]
        if hit.any():
            p.add(hit, "kansalaisuus", code, severity, _column(nat_results, nat_codes, item))
    normalized["kansalaisuus"] = _text_column(nat_results, nat_codes, 0)
    finnish = _column(nat_results, nat_codes, 3, bool)
    if not yleistunniste:  # there hetu.required covers every row
        p.add(finnish & ~present["hetu"], "hetu", "hetu.required.for.finnish")
    lang_codes, lang_results = _per_value(f["aidinkieli"], _language_cell)
    status = np.array([r[1] for r in lang_results], dtype=object)
    p.add((status == "bad")[lang_codes], "aidinkieli", "invalid.aidinkieli", detail=f["aidinkieli"])
    conv = (status == "converted")[lang_codes]
    if conv.any():
        pairs = np.array(
            [
                f"{u}→{r[0]}"
                for u, r in zip(
                    pd.factorize(f["aidinkieli"], use_na_sentinel=False)[1],
                    lang_results,
                    strict=True,
                )
            ],
            dtype=object,
        )
        p.add(conv, "aidinkieli", "aidinkieli.normalized", "warning", pairs[lang_codes])
    normalized["aidinkieli"] = _text_column(lang_results, lang_codes, 0)

    # sukupuoli
    sex = f["sukupuoli"]
    male = (sex == "1").to_numpy(dtype=bool, na_value=False)
    female = (sex == "2").to_numpy(dtype=bool, na_value=False)
    p.add(present["sukupuoli"] & ~male & ~female, "sukupuoli", "invalid.sukupuoli", detail=sex)
    hetu_male = col.individual % 2 == 1
    p.add(
        col.valid & ((male & ~hetu_male) | (female & hetu_male)),
        "sukupuoli",
        "sukupuoli.differs.from.hetu",
        "warning",
    )

    # syntymaaika
    date_codes, date_uniques = pd.factorize(f["syntymaaika"], use_na_sentinel=False)
    unique_text = pa.array(np.asarray(date_uniques, dtype=object), type=pa.large_string())
    unique_days = date_days(unique_text)
    unique_ok = unique_days != NO_DATE
    unique_iso = pc.if_else(
        pa.array(unique_ok),
        pc.cast(
            pc.cast(pa.array(np.where(unique_ok, unique_days, 0), type=pa.int32()), pa.date32()),
            pa.large_string(),
        ),
        unique_text,
    )
    born = np.where(unique_ok, unique_days, 0).astype("timedelta64[D]")[date_codes] + np.datetime64(
        "1970-01-01", "D"
    )
    born[~unique_ok[date_codes]] = np.datetime64("NaT")
    born_ok = ~np.isnat(born)
    p.add(
        present["syntymaaika"] & ~born_ok,
        "syntymaaika",
        "invalid.syntymaaika",
        detail=f["syntymaaika"],
    )
    normalized["syntymaaika"] = pc.take(unique_iso, pa.array(date_codes, type=pa.int64()))
    differs = col.valid & born_ok & (col.birth_date != born)
    # ONR accepts the row and takes the birth date from the hetu: an error only when strict
    p.add(differs, "syntymaaika", "syntymaaika.differs.from.hetu", _strictly(strict),
          detail=f["syntymaaika"])
    no_date, no_sex = ~present["syntymaaika"], ~present["sukupuoli"]
    date_word = i18n.translate("validation.word.syntymaaika", language)
    sex_word = i18n.translate("validation.word.sukupuoli", language)
    both_words = i18n.translate("validation.word.both", language, first=date_word,
                                second=sex_word)
    hetuless = ~present["hetu"] & (no_date | no_sex)
    detail = np.empty(n, dtype=object)
    detail[hetuless & no_date & no_sex] = both_words
    detail[hetuless & no_date & ~no_sex] = date_word
    detail[hetuless & ~no_date] = sex_word
    if not yleistunniste:
        p.add(hetuless, "hetu", "hetuless.details.missing", "warning", detail)

    # names, e-mail, oid
    both = present["kutsumanimi"] & present["etunimet"]
    if yleistunniste:
        _existence_names(f, present, p)
    else:
        kutsu_ok = _kutsumanimi_ok(f["kutsumanimi"], f["etunimet"], both)
        # ONR's PUT /oppija stores such a row: told, held back only when strict
        p.add(both & ~kutsu_ok, "kutsumanimi", "kutsumanimi.must.exist.in.etunimet",
              _strictly(strict))
    if present["sahkoposti"].any():
        email_ok = f["sahkoposti"].str.fullmatch(EMAIL_RE).to_numpy(dtype=bool, na_value=False)
        p.add(present["sahkoposti"] & ~email_ok, "sahkoposti", "invalid.sahkoposti")
    if present["oid"].any():
        oid_ok = oid.valid_person_oid_series(f["oid"]).to_numpy()
        p.add(present["oid"] & ~oid_ok, "oid", "invalid.oid")
        if env != "local":
            node_env = np.array(
                [
                    oid.environment_of(v) or "?"
                    for v in f["oid"].iloc[np.flatnonzero(oid_ok)].tolist()
                ],
                dtype=object,
            )
            env_of = np.full(n, "", dtype=object)
            env_of[oid_ok] = node_env
            p.add(oid_ok & (env_of != env), "oid", "oid.environment.mismatch", "warning", env_of)

    problems = p.table(reg.problems, language)
    keep = np.ones(n, dtype=bool)
    keep[p.error_positions()] = False
    columns: dict[str, Any] = {}
    keep_arrow = pa.array(keep)
    for column in ("row_number", *COLUMNS):
        values = normalized.get(column, f[column])
        array = values if isinstance(values, pa.Array | pa.ChunkedArray) else pa.array(values)
        if array.type == pa.string():
            array = array.cast(pa.large_string())
        columns[column] = array if keep.all() else pc.filter(array, keep_arrow)
    valid = pa.table(columns).to_pandas()
    return ValidationResult(
        problems=problems,
        valid_rows=valid,
        rows_total=reg.source.rows,
        target_env=env,
        language=language,
        override_reason=override_reason,
        source=reg.source,
    )


def _strictly(strict: bool) -> str:
    """Severity of a rule of ours that ONR itself does not enforce."""
    return "error" if strict else "warning"


def _existence_names(f: pd.DataFrame, present: dict[str, np.ndarray], p: _Problems) -> None:
    """The yleistunniste name rules (``existence_check_problems``) over the frame; each
    distinct (etunimet, kutsumanimi, sukunimi) triple is checked once."""
    triples = pd.MultiIndex.from_arrays(
        [f["etunimet"].fillna(""), f["kutsumanimi"].fillna(""), f["sukunimi"].fillna("")]
    )
    codes_, uniques = pd.factorize(triples)
    found: dict[str, np.ndarray] = {}
    for index, (etunimet, kutsumanimi, sukunimi) in enumerate(uniques):
        row = {"hetu": "", "etunimet": etunimet, "kutsumanimi": kutsumanimi,
               "sukunimi": sukunimi}
        for field_name, code in existence_check_problems(row):
            if field_name == "hetu" or code.endswith(".required"):
                continue  # reported by the common rules
            hits = found.setdefault(f"{field_name}|{code}", np.zeros(len(uniques), dtype=bool))
            hits[index] = True
    for key, hits in found.items():
        field_name, code = key.split("|")
        p.add(hits[codes_] & present[field_name], field_name, code)


def guard_rows(
    rows: list[dict[str, Any]], target_env: str, *, override_reason: str | None = None
) -> None:
    """Last check before sending ONR rows: the seed rule, independent of earlier validation.

    ``EnvironmentGuardError`` when a test-range hetu goes to production or another hetu to a
    test environment, unless ``override_reason`` names why. The message counts rows and shows
    tunnisteet, never hetus.
    """
    env = _check_target(target_env)
    if override_reason is not None and override_reason.strip():
        return
    wrong: list[str] = []
    for index, row in enumerate(rows):
        value = (row.get("henkilo") or {}).get("hetu")
        if not value:
            continue
        test = hetu.is_test(value)
        if (env == PRODUCTION and test) or (env != PRODUCTION and not test):
            wrong.append(str(row.get("tunniste") or f"#{index + 1}"))
    if wrong:
        kind = (
            "test-range hetus to production"
            if env == PRODUCTION
            else (f"non-test hetus to the test environment {env}")
        )
        shown = ", ".join(wrong[:5]) + (" …" if len(wrong) > 5 else "")
        raise EnvironmentGuardError(
            f"refusing to send {len(wrong)} rows with {kind} (tunniste {shown}); "
            "give an override reason to proceed"
        )


# --- command line -----------------------------------------------------------------------------


def write_problems(result: ValidationResult, path: str | Path) -> None:
    """Write the problem table as CSV UTF-8 with BOM (Excel opens it right), formulas defused."""
    from onrtools.register.spreadsheet import write_csv

    write_csv(result.problems[list(PROBLEM_COLUMNS)], Path(path), sep=";")


def format_report(result: ValidationResult, *, limit: int = 20) -> str:
    """A readable plain-text report in the result's language: totals, counts per code, the
    first problems."""
    t = i18n.Messages(result.language)
    errors = int((result.problems["severity"] == "error").sum())
    warnings = int((result.problems["severity"] == "warning").sum())
    src = result.source
    lines = [
        t("validation.report.file", path=src.path, format=src.format,
          encoding=src.encoding or "-", sha256=src.sha256[:12]),
        t("validation.report.target", target=result.target_env)
        + (t("validation.report.override", reason=result.override_reason)
           if result.override_reason else ""),
        t("validation.report.totals", **{  # 10 000 in fi and sv, 10,000 in en
            name: i18n.format_number(value, t.language) for name, value in (
                ("rows", result.rows_total), ("ready", len(result.valid_rows)),
                ("error_rows", result.error_rows), ("errors", errors),
                ("warnings", warnings))}),
    ]
    summary = result.summary()
    if len(summary):
        lines += ["", t("validation.report.per_code")]
        lines += [f"  {r.code:<40} {r.severity:<8} {r.count:>8}" for r in summary.itertuples()]
        lines += ["", t("validation.report.first", n=min(limit, len(result.problems)))]
        shown = result.problems.head(limit).assign(
            tunniste=lambda frame: _mask_hetus(frame["tunniste"].astype("str").fillna(""))
        )
        row_word = t("validation.report.row")
        for r in shown.itertuples():
            lines.append(
                f"  {row_word} {r.row_number:>6}  {str(r.tunniste)[:20]:<20} {r.field:<12} "
                f"{r.severity:<7} {r.code}: {r.message}"
            )
    else:
        lines += ["", t("validation.report.none")]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``onr validate FILE``: 0 no errors, 1 errors found, 2 file unreadable or bad usage."""
    parser = argparse.ArgumentParser(prog="onr validate", description=__doc__.splitlines()[0])
    parser.add_argument("file", help="register file: CSV (UTF-8/Windows-1252, , or ;) or XLSX")
    parser.add_argument("--sheet", help="XLSX sheet name (default: the first sheet whose "
                        "columns map)")
    parser.add_argument("--column", action="append", default=[], metavar="'FILE COLUMN=field'",
                        help="which file column is which ONR field, e.g. "
                        "--column \"Employee ID=tunniste\" (repeatable)")
    parser.add_argument(
        "--target",
        default="local",
        help="target environment: local, testi, untuva, hahtuva or prod",
    )
    parser.add_argument("--override-reason", help="allow guarded hetus, recording this reason")
    parser.add_argument("--language", "--lang", dest="language",
                        choices=list(i18n.LANGUAGES), default=None,
                        help="language of the messages, unreadable-file ones included: fi, sv "
                        "or en (default: ONR_LANGUAGE, else fi)")
    parser.add_argument("--api", default="oppija", choices=list(APIS),
                        help="the import API whose rules apply (default oppija)")
    parser.add_argument("--strict", action="store_true",
                        help="kutsumanimi outside the first names and a birth date differing "
                        "from the hetu are errors (ONR itself accepts both)")
    parser.add_argument("--problems-out", help="also write the problem table to this CSV file")
    parser.add_argument("--limit", type=int, default=20, help="problems to print (default 20)")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0) and 2
    try:
        language = i18n.resolve_language(args.language)
        reg = read_register(args.file, sheet=args.sheet,
                            columns=parse_column_mapping(args.column), language=language)
        print("\n".join([i18n.translate("validation.report.columns_read", language),
                         *("  " + line for line in reg.source.describe(language)), ""]))
        result = validate_register(
            reg, target_env=args.target, override_reason=args.override_reason,
            language=language, api=args.api, strict=args.strict,
        )
    except RegisterReadError as exc:  # what is wrong with the file, in the chosen language
        print(f"onr validate: {exc.render(language)}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"onr validate: {exc}", file=sys.stderr)
        return 2
    try:
        print(format_report(result, limit=args.limit))
    except BrokenPipeError:  # `onr validate x | head`: the reader left; the verdict stands
        sys.stderr.close()
    if args.problems_out:
        write_problems(result, args.problems_out)
    return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
