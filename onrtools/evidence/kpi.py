"""Data-quality KPIs per run, their trend over all runs, and open items by age.

One run::

    items = track_open_items(workspace, actions)          # first-seen dates kept in workspace
    kpis = compute_kpis(people=register, actions=actions, imports=results,
                        reviews=decisions, validation=problems, changes=changed,
                        open_items=items)
    evidence.add_kpis(kpis)                               # into this run's manifest

The audit report::

    frame = trend_frame(workspace)      # one row per run, from the ledger's manifests
    compare_last(frame)                 # this run against the previous one
    plot_trends(frame)                  # matplotlib Figure
    open_items_by_age(items)            # per category x age band

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

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from filelock import FileLock
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from onrtools.evidence import read_manifests
from onrtools.evidence.store import iso, utc_now
from onrtools.figures import ReportFigure
from onrtools.i18n import Messages, resolve_language, translate, translate_count
from onrtools.workspace import Workspace

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


# --- open items and their age ------------------------------------------------------------------


def _text(s: pd.Series | None, index: pd.Index) -> pd.Series:
    if s is None:
        return pd.Series("", index=index, dtype=object)
    return s.astype("object").where(s.notna(), "").astype(str).str.strip()


def track_open_items(
    workspace: Path | str,
    actions: pd.DataFrame,
    *,
    now: datetime | None = None,
    categories: Sequence[str] = OPEN_CATEGORIES,
) -> pd.DataFrame:
    """Open items of this run with the date each was first seen, kept across runs.

    State: ``<workspace>/kpi/open_items.json`` (``category|tunniste`` -> first seen; no names
    or hetus). An item missing from ``actions`` is closed and forgotten (if it comes back its
    age starts again); the closed ones are in ``frame.attrs["closed"]`` (``category``,
    ``days_open``), which :func:`compute_kpis` turns into the time to identification.
    Returns ``category``, ``tunniste``, ``oid``, ``hetuless``, ``first_seen``, ``age_days``.
    """
    moment = _ts(now)
    stamp = iso(moment.to_pydatetime())
    space = Workspace.at(workspace)
    space.kpi_dir.mkdir(parents=True, exist_ok=True)
    state_file = space.open_items_file
    if actions is not None and "category" in actions.columns:
        current = actions[actions["category"].astype(str).isin(categories)]
    else:
        current = pd.DataFrame({"category": pd.Series(dtype=object)})
    index = current.index
    hetu = _col(current, "local_hetu")
    frame = pd.DataFrame(
        {
            "category": current["category"].astype(str),
            "tunniste": _text(_col(current, "tunniste"), index),
            "oid": _text(_col(current, "oid"), index),
            "hetuless": ~_present(hetu) if hetu is not None else False,
        },
        index=index,
    ).reset_index(drop=True)
    ident = frame["tunniste"].where(frame["tunniste"].ne(""), frame["oid"])
    keys = (frame["category"] + "|" + ident).tolist()
    with FileLock(str(space.open_items_lock), timeout=60):
        seen: dict[str, str] = (
            json.loads(state_file.read_text(encoding="utf-8")) if state_file.is_file() else {}
        )
        fresh = {key: seen.get(key, stamp) for key in keys}
        tmp = state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(fresh, sort_keys=True, indent=0), encoding="utf-8")
        os.replace(tmp, state_file)
    first = pd.to_datetime(pd.Series([fresh[k] for k in keys], dtype=object), utc=True)
    frame["first_seen"] = first
    # never negative: a first-seen stamp from a clock ahead of this one (an older workspace
    # measured on ours, not ONR's) is an item seen just now
    frame["age_days"] = ((moment - first).dt.total_seconds() / 86400).astype(float).clip(lower=0)
    closed = [
        {
            "category": key.split("|", 1)[0],
            "days_open": max((moment - pd.Timestamp(since)).total_seconds() / 86400, 0.0),
        }
        for key, since in seen.items()
        if key not in fresh
    ]
    frame.attrs["closed"] = closed
    return frame


def open_items_by_age(items: pd.DataFrame, *, bands: Sequence[float] = AGE_BANDS) -> pd.DataFrame:
    """Open items per category and age band (days): rows = category, columns = bands.

    ``items`` is what :func:`track_open_items` returns (``category``, ``age_days``).
    A ``total`` column and the oldest item's age (``oldest_days``) close each row.
    """
    edges = list(bands)
    labels = [
        f"{edges[i]:g}-{edges[i + 1]:g} d" if math.isfinite(edges[i + 1]) else f">{edges[i]:g} d"
        for i in range(len(edges) - 1)
    ]
    if items is None or items.empty:
        return pd.DataFrame(columns=[*labels, "total", "oldest_days"]).rename_axis("category")
    band = pd.cut(items["age_days"], edges, labels=labels, right=False, include_lowest=True)
    table = pd.crosstab(items["category"], band).reindex(columns=labels, fill_value=0).astype(int)
    table["total"] = table.sum(axis=1)
    table["oldest_days"] = items.groupby("category")["age_days"].max().round(1)
    table.columns.name = None
    return table.sort_values("total", ascending=False)


# --- trend over runs --------------------------------------------------------------------------


def trend_frame(workspace: Path | str = "workspace") -> pd.DataFrame:
    """One row per run (its latest manifest), oldest first, from the ledger.

    Columns: ``run_id``, ``attempt``, ``status``, ``started_at``, ``finished_at`` (UTC),
    ``duration_s``, ``environment``, ``input_rows``, ``tuonti_count``, ``api_calls_total``,
    ``api_errors``, ``review_decisions``, ``seq``, every KPI the runs recorded (NaN where a
    run has none) and every count as ``counts.<kind>.<key>``.
    """
    latest: dict[str, dict[str, Any]] = {}
    for manifest in read_manifests(workspace):
        latest[str(manifest.get("run_id"))] = manifest  # later manifests of a run win
    rows = []
    for m in latest.values():
        row: dict[str, Any] = {
            "run_id": m.get("run_id"),
            "attempt": m.get("attempt"),
            "status": m.get("status"),
            "started_at": m.get("started_at"),
            "finished_at": m.get("finished_at"),
            "duration_s": _num(m.get("duration_s")),
            "environment": m.get("environment"),
            "input_rows": float(sum(int(i.get("rows") or 0) for i in m.get("inputs") or [])),
            "tuonti_count": float(len(m.get("tuonti_ids") or [])),
            "api_calls_total": _num(m.get("api_calls_total")),
            "api_errors": _num(m.get("api_errors")),
            "review_decisions": float(sum((m.get("review_decisions") or {}).values())),
            "seq": m.get("seq"),
        }
        for key, value in (m.get("kpis") or {}).items():
            row[key] = _num(value)
        for kind, counts in (m.get("counts") or {}).items():
            for key, value in (counts or {}).items():
                row[f"counts.{kind}.{key}"] = _num(value)
        rows.append(row)
    base = [
        "run_id",
        "attempt",
        "status",
        "started_at",
        "finished_at",
        "duration_s",
        "environment",
        "input_rows",
        "tuonti_count",
        "api_calls_total",
        "api_errors",
        "review_decisions",
        "seq",
    ]
    frame = pd.DataFrame(rows, columns=base if not rows else None)
    for column in ("started_at", "finished_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True, errors="coerce")
    kpi_cols = [k for k in HEADLINE if k not in frame.columns]
    for column in kpi_cols:
        frame[column] = NAN  # the headline KPIs always exist, NaN when never recorded
    return frame.sort_values(["started_at", "seq"]).reset_index(drop=True)


def compare_last(frame: pd.DataFrame, kpis: Sequence[str] | None = None) -> pd.DataFrame:
    """This run (the last row) against the previous one, per KPI.

    Columns: ``previous``, ``this_run``, ``change`` and ``verdict`` (``better``, ``worse``,
    ``same`` or ``n/a``), indexed by KPI; a single run gives NaN for ``previous``. A change
    within the KPI's tolerance (:data:`KPIS`) is ``same``.
    """
    names = list(kpis) if kpis is not None else [k for k in HEADLINE if k in frame.columns]
    this = frame.iloc[-1] if len(frame) else pd.Series(dtype=float)
    prev = frame.iloc[-2] if len(frame) > 1 else pd.Series(dtype=float)
    rows = []
    for name in names:
        now_v, before = _num(this.get(name)), _num(prev.get(name))
        change = now_v - before
        if math.isnan(change):
            verdict = "n/a"
        elif abs(change) <= (KPIS[name].tolerance if name in KPIS else 0.0) + 1e-12:
            verdict = "same"
        else:
            verdict = "better" if (change > 0) == HEADLINE.get(name, False) else "worse"
        rows.append(
            {
                "kpi": name,
                "previous": before,
                "this_run": now_v,
                "change": change,
                "verdict": verdict,
            }
        )
    table = pd.DataFrame(rows, columns=["kpi", "previous", "this_run", "change", "verdict"])
    return table.set_index("kpi")


def compare_in_words(frame: pd.DataFrame, language: str | None = None) -> pd.DataFrame:
    """:func:`compare_last` as a person reads it, in ``language`` (fi, sv or en; empty:
    ``ONR_LANGUAGE``, else fi): labels, units, formatted values, the verdict in words and the
    tolerance within which a change counts as none. Indexed by the KPI's label."""
    lang = resolve_language(language)
    t = Messages(lang)
    table = compare_last(frame, [k for k in KPIS if k in frame.columns])
    rows = []
    for name, row in table.iterrows():
        spec = KPIS[str(name)]
        verdict = str(row["verdict"])
        rows.append({
            t("kpi.column.kpi"): spec.label(lang),
            t("kpi.column.previous"): spec.format(row["previous"], language=lang),
            t("kpi.column.this"): spec.format(row["this_run"], language=lang),
            t("kpi.column.change"): spec.format(row["change"], signed=True, language=lang),
            t("kpi.column.verdict"): "–" if verdict == "n/a" else t(f"kpi.verdict.{verdict}"),
            t("kpi.column.tolerance"): spec.tolerance_text(lang),
        })
    columns = [t(f"kpi.column.{c}") for c in
               ("kpi", "previous", "this", "change", "verdict", "tolerance")]
    return pd.DataFrame(rows, columns=columns).set_index(columns[0])


def plot_trends(
    frame: pd.DataFrame, kpis: Sequence[str] | None = None, *, columns: int = 3,
    language: str | None = None,
) -> Figure:
    """Small multiples, one panel per KPI over the runs (x = run start, UTC).

    Returns a matplotlib ``Figure`` (a :class:`~onrtools.figures.ReportFigure`, no pyplot
    state: a notebook shows it once as a picture, a script saves it with ``fig.savefig(path)``).
    Runs without a value leave a gap; a single run is a dot. Titles in ``language``.
    """
    lang = resolve_language(language)
    names = list(kpis) if kpis is not None else [k for k in HEADLINE if k in frame.columns]
    names = names or ["share_with_oppijanumero"]
    rows = max(1, math.ceil(len(names) / columns))
    fig = ReportFigure(figsize=(4.2 * min(columns, len(names)), 2.8 * rows),
                       layout="constrained")
    axes = fig.subplots(rows, min(columns, len(names)), squeeze=False)
    started = (
        pd.to_datetime(frame["started_at"], utc=True)
        if "started_at" in frame.columns
        else pd.Series(pd.NaT, index=frame.index)
    )
    span = started.max() - started.min() if started.notna().any() else pd.Timedelta(0)
    by_date = span >= pd.Timedelta(days=2)  # daily runs: a date axis; a demo's runs: run ids
    x = started.dt.tz_localize(None) if by_date else pd.Series(range(len(frame)))
    labels = [str(r)[-16:] for r in frame.get("run_id", pd.Series(range(len(frame))))]
    for ax, name in zip(axes.flat, names, strict=False):
        values = (
            pd.to_numeric(frame[name], errors="coerce")
            if name in frame.columns
            else pd.Series(np.nan, index=frame.index)
        )
        ax.plot(
            x.to_numpy(), values.to_numpy(), marker="o" if len(frame) < 60 else None, linewidth=1.5
        )
        spec = KPIS.get(name)
        ax.set_title(f"{spec.label(lang)} ({spec.unit_text(lang)})"
                     if spec and spec.kind != "percent"
                     else spec.label(lang) if spec else name.replace("_", " "), fontsize=10)
        ax.grid(True, alpha=0.3)
        if by_date:
            locator = AutoDateLocator()
            ax.xaxis.set_major_locator(locator)
            ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
        else:
            ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
            ax.xaxis.set_major_formatter(
                FuncFormatter(
                    lambda v, _pos, labels=labels: (
                        labels[int(v)] if float(v).is_integer() and 0 <= v < len(labels) else ""
                    )
                )
            )
            ax.set_xlim(-0.5, max(len(frame) - 0.5, 0.5))
        if name.startswith("share_"):
            ax.set_ylim(0, 1.05)
            ax.yaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
        else:
            if values.notna().any() and values.min() >= 0:
                ax.set_ylim(bottom=0, top=max(float(values.max()) * 1.15, 1.0))
            if "hours" not in name and "days" not in name:
                ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        if values.notna().sum() == 0:
            ax.text(
                0.5, 0.5, translate("kpi.plot.no_data", lang), transform=ax.transAxes,
                ha="center", va="center", color="grey",
            )
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    for ax in list(axes.flat)[len(names) :]:
        ax.set_visible(False)
    fig.suptitle(translate_count("kpi.plot.title", len(frame), lang, runs=len(frame)))
    return fig
