"""Data-quality KPIs of one run: what each KPI means (:data:`KPIS`) and how it is computed.

One run::

    items = track_open_items(workspace, actions)          # evidence.open_items
    kpis = compute_kpis(people=register, actions=actions, imports=results,
                        reviews=decisions, validation=problems, changes=changed,
                        open_items=items)
    evidence.add_kpis(kpis)                               # into this run's manifest

Over runs, the audit report reads them back with :mod:`onrtools.evidence.trend`
(``trend_frame``, ``compare_last``, ``compare_in_words``, ``plot_trends``), and open items by
age with :mod:`onrtools.evidence.open_items`.
Every input is optional and every column is optional: a KPI whose inputs are missing is NaN
(stored as null in the ledger), never a guess. Input frames (extra columns are ignored):

``people``      the local register after this run, one row per person: ``oppijanumero``
                (empty/null when the person has none). Without it, ``imports`` is used.
``actions``     the reconciliation action lists in one long frame
                (:attr:`onrtools.reconcile.Reconciliation.actions`): ``category`` (required),
                ``tunniste``, ``oid``, ``local_hetu`` (masked is fine: only emptiness counts).
``imports``     import results per row: ``oppijanumero``; ``conflict`` (bool);
                ``imported_at`` and ``identified_at`` (datetimes; NaT = not yet identified)
                for the time from import to identification. Without them that KPI comes
                from ``open_items`` history: people listed for manual identification in an
                earlier run and identified since (resolution: one run interval).
``reviews``     duplicate candidates with the reviewer's ``decision``: empty/null, ``unsure``
                or ``review`` = still open; anything else (``same``, ``different``...) = decided.
``validation``  validation problems, one row per problem: ``code`` and optional ``severity``
                (only ``error`` rows count when the column is there); or a mapping code -> count.
``changes``     change-feed entries read in this run: ``muokattu`` (ONR's modification time,
                datetime, ISO text or epoch milliseconds); lag = ``now`` - ``muokattu``.
``open_items``  the frame :func:`track_open_items` returned (ages of open items).

KPI keys (stable; the trend plots use them): ``people``, ``with_oppijanumero``,
``share_with_oppijanumero`` (0-1), ``unidentified_open``, ``hetuless_open``,
``unidentified_oldest_days``, ``hetuless_oldest_days``, ``conflicts``, ``duplicates_open``,
``duplicates_decided``, ``validation_errors``, ``validation.<code>``, ``reconcile.<category>``,
``import_to_identification_hours_median``, ``change_feed_lag_hours_median``,
``change_feed_lag_hours_max``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from onrtools.evidence.store import utc_now
from onrtools.i18n import resolve_language, translate, translate_count

NAN = float("nan")

# reconciliation categories (onrtools.reconcile.CATEGORIES codes) behind the KPIs
UNIDENTIFIED_CATEGORIES: tuple[str, ...] = ("manual_identification",)
CONFLICT_CATEGORIES: tuple[str, ...] = ("row_conflict",)
OPEN_CATEGORIES: tuple[str, ...] = (
    "manual_identification",
    "row_conflict",
    "identified_local_only",
    "missing_locally",
    "never_sent",
    "passivated",
    "hetu_changed",
    "replace_merged_oid",
    "local_duplicate",
)
OPEN_DECISIONS = frozenset({"", "unsure", "review", "open", "none", "nan"})

@dataclass(frozen=True)
class KpiSpec:
    """How a KPI reads: its label, unit and format, which way is better, and how large a change
    must be before the report calls it better or worse (smaller ones are "unchanged").

    The words come from the message catalogues (:mod:`onrtools.i18n`): the label is
    ``kpi.<key>.label``, the unit ``kpi.unit.<unit>.one|.other``; numbers are formatted the way the
    language writes them (Babel: ``96,8 %`` in Finnish and Swedish, ``96.8 %`` in English)."""

    key: str
    unit: str  # people | rows | pairs | problems | days | hours | percent
    higher_is_better: bool
    tolerance: float = 0.0  # in the stored unit (a share: 0.001 = 0.1 percentage points)
    kind: str = "count"  # count | percent | days | hours

    def label(self, language: str | None = None) -> str:
        return translate(f"kpi.{self.key}.label", language)

    def unit_text(self, language: str | None = None, *, signed: bool = False,
                  count: float = 2) -> str:
        """The unit's word (``count`` 1 takes the singular: ``1 row``, ``1 rivi``)."""
        unit = ("points" if signed else "percent") if self.kind == "percent" else self.unit
        return translate_count(f"kpi.unit.{unit}", count, language)

    def format(self, value: float, *, signed: bool = False, language: str | None = None) -> str:
        """``96.8 %``, ``12 people``, ``30.0 days``; ``+0.4 pp`` for a change of a share (in
        English; ``96,8 %``, ``30,0 päivää``, ``+0,4 %-yks.`` in Finnish)."""
        from babel.numbers import format_decimal

        if value != value:  # NaN
            return "–"
        lang = resolve_language(language)
        shown = value * 100 if self.kind == "percent" else value
        decimals = 0 if self.kind == "count" else 1
        shown = round(shown, decimals) + 0.0  # no "-0.0" for a change that rounds to nothing
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        number = format_decimal(shown, format=pattern, locale=lang)
        sign = "+" if signed and shown > 0 else ""
        count = abs(shown) if self.kind == "count" else 2  # "1,0 päivää", "1.0 days"
        return f"{sign}{number} {self.unit_text(lang, signed=signed, count=count)}"

    def tolerance_text(self, language: str | None = None) -> str:
        """The change below which the report says "unchanged" (a share's in points)."""
        if not self.tolerance:
            return translate("kpi.any_change", language)
        return self.format(self.tolerance, signed=True, language=language).lstrip("+")


# the KPIs the report plots and compares, in the report's order
KPIS: dict[str, KpiSpec] = {spec.key: spec for spec in (
    KpiSpec("share_with_oppijanumero", "percent", True, 0.001, "percent"),
    KpiSpec("unidentified_open", "people", False),
    KpiSpec("hetuless_open", "people", False),
    KpiSpec("unidentified_oldest_days", "days", False, 1.0, "days"),
    KpiSpec("conflicts", "rows", False),
    KpiSpec("duplicates_open", "pairs", False),
    KpiSpec("duplicates_decided", "pairs", True),
    KpiSpec("validation_errors", "problems", False),
    KpiSpec("import_to_identification_hours_median", "hours", False, 1.0, "hours"),
    KpiSpec("change_feed_lag_hours_median", "hours", False, 1.0, "hours"),
)}
# True = higher is better (kept for callers that only need the direction)
HEADLINE: dict[str, bool] = {name: spec.higher_is_better for name, spec in KPIS.items()}
AGE_BANDS: tuple[float, ...] = (0, 7, 30, 90, math.inf)


# --- helpers ----------------------------------------------------------------------------------


def _present(s: pd.Series) -> pd.Series:
    """True where a value is there: not null and not blank text."""
    text = s.astype("object").where(s.notna(), "").astype(str).str.strip()
    return text.ne("") & text.str.lower().ne("nan") & text.str.lower().ne("none")


def _col(df: pd.DataFrame | None, name: str) -> pd.Series | None:
    if df is None or name not in df.columns:
        return None
    return df[name]


def _times(s: pd.Series) -> pd.Series:
    """Datetimes (UTC) from datetimes, ISO text or epoch milliseconds."""
    if pd.api.types.is_numeric_dtype(s):
        return pd.to_datetime(s, unit="ms", utc=True, errors="coerce")
    return pd.to_datetime(s, utc=True, errors="coerce", format="mixed")


def _ts(now: datetime | None) -> pd.Timestamp:
    moment = pd.Timestamp(now or utc_now())
    return moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")


def _num(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return NAN
    return number


# --- KPIs of one run --------------------------------------------------------------------------


def compute_kpis(
    *,
    people: pd.DataFrame | None = None,
    actions: pd.DataFrame | None = None,
    imports: pd.DataFrame | None = None,
    reviews: pd.DataFrame | None = None,
    validation: pd.DataFrame | Mapping[str, int] | None = None,
    changes: pd.DataFrame | None = None,
    open_items: pd.DataFrame | None = None,
    now: datetime | None = None,
) -> dict[str, float]:
    """This run's KPIs as a flat ``{name: number}`` (NaN where the inputs are missing).

    The inputs and the keys are described in the module docstring.
    """
    moment = _ts(now)
    kpis: dict[str, float] = {}

    # share of people with an oppijanumero
    source = people if _col(people, "oppijanumero") is not None else imports
    numbers = _col(source, "oppijanumero")
    if numbers is not None:
        total = int(len(numbers))
        have = int(_present(numbers).sum())
        kpis["people"] = float(total)
        kpis["with_oppijanumero"] = float(have)
        kpis["share_with_oppijanumero"] = have / total if total else NAN
    else:
        kpis.update(people=NAN, with_oppijanumero=NAN, share_with_oppijanumero=NAN)

    # open action-list items
    categories = _col(actions, "category")
    if categories is not None and actions is not None:
        cats = categories.astype(str)
        unidentified = cats.isin(UNIDENTIFIED_CATEGORIES)
        kpis["unidentified_open"] = float(unidentified.sum())
        hetu = _col(actions, "local_hetu")
        kpis["hetuless_open"] = (
            float((unidentified & ~_present(hetu)).sum()) if hetu is not None else NAN
        )
        kpis["conflicts"] = float(cats.isin(CONFLICT_CATEGORIES).sum())
        for category, n in cats.value_counts().sort_index().items():
            kpis[f"reconcile.{category}"] = float(n)
    else:
        kpis.update(unidentified_open=NAN, hetuless_open=NAN, conflicts=NAN)
    conflict_flags = _col(imports, "conflict")
    if math.isnan(kpis["conflicts"]) and conflict_flags is not None:
        kpis["conflicts"] = float(conflict_flags.fillna(False).astype(bool).sum())

    # how long the open ones have waited
    kpis["unidentified_oldest_days"] = NAN
    kpis["hetuless_oldest_days"] = NAN
    if open_items is not None and {"category", "age_days"} <= set(open_items.columns):
        waiting = open_items[open_items["category"].isin(UNIDENTIFIED_CATEGORIES)]
        if len(waiting):
            kpis["unidentified_oldest_days"] = float(waiting["age_days"].max())
            if "hetuless" in waiting.columns:
                hetuless = waiting[waiting["hetuless"].fillna(False).astype(bool)]
                kpis["hetuless_oldest_days"] = (
                    float(hetuless["age_days"].max()) if len(hetuless) else 0.0
                )
        else:
            kpis["unidentified_oldest_days"] = 0.0
            kpis["hetuless_oldest_days"] = 0.0

    # suspected duplicates
    decisions = _col(reviews, "decision")
    if decisions is not None:
        text = decisions.astype("object").where(decisions.notna(), "").astype(str)
        is_open = text.str.strip().str.lower().isin(OPEN_DECISIONS)
        kpis["duplicates_open"] = float(is_open.sum())
        kpis["duplicates_decided"] = float((~is_open).sum())
    else:
        kpis.update(duplicates_open=NAN, duplicates_decided=NAN)

    # validation errors by code
    by_code: dict[str, int] | None = None
    if isinstance(validation, Mapping):
        by_code = {str(k): int(v) for k, v in validation.items()}
    elif _col(validation, "code") is not None and isinstance(validation, pd.DataFrame):
        rows = validation
        if "severity" in rows.columns:
            rows = rows[rows["severity"].astype(str).str.lower().eq("error")]
        by_code = {str(k): int(v) for k, v in rows["code"].value_counts().sort_index().items()}
    if by_code is not None:
        kpis["validation_errors"] = float(sum(by_code.values()))
        for code, n in sorted(by_code.items()):
            kpis[f"validation.{code}"] = float(n)
    else:
        kpis["validation_errors"] = NAN

    # time from import to identification: from the import's timestamps when given, else
    # from the action-list history (listed for manual identification since run A, gone in
    # this run B: B - A, one run interval of resolution)
    imported, identified = _col(imports, "imported_at"), _col(imports, "identified_at")
    kpis["import_to_identification_hours_median"] = NAN
    if imported is not None and identified is not None:
        waited = (_times(identified) - _times(imported)).dt.total_seconds() / 3600
        waited = waited[waited.notna() & (waited >= 0)]
        if len(waited):
            kpis["import_to_identification_hours_median"] = float(waited.median())
    elif open_items is not None and "closed" in open_items.attrs:
        waits = [
            float(c["days_open"]) * 24
            for c in open_items.attrs["closed"]
            if c.get("category") in UNIDENTIFIED_CATEGORIES
        ]
        if waits:
            kpis["import_to_identification_hours_median"] = float(np.median(waits))

    # change-feed lag
    modified = _col(changes, "muokattu")
    kpis["change_feed_lag_hours_median"] = NAN
    kpis["change_feed_lag_hours_max"] = NAN
    if modified is not None:
        lag = (moment - _times(modified)).dt.total_seconds() / 3600
        # ``now`` is ONR's clock (pipeline.audit_report.onr_now); a change stamped within the
        # Date header's one-second resolution after it has waited no time, not minus some
        lag = lag[lag.notna()].clip(lower=0)
        if len(lag):
            kpis["change_feed_lag_hours_median"] = float(lag.median())
            kpis["change_feed_lag_hours_max"] = float(lag.max())
        else:
            kpis["change_feed_lag_hours_median"] = 0.0
            kpis["change_feed_lag_hours_max"] = 0.0
    return kpis


def kpi_table(kpis: Mapping[str, Any]) -> pd.DataFrame:
    """A KPI dict as a two-column frame (``kpi``, ``value``) for display."""
    return pd.DataFrame({"kpi": list(kpis), "value": [_num(v) for v in kpis.values()]})
