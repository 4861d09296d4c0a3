"""Data-quality KPIs over runs: the trend frame from the ledger's manifests, this run against
the last one (in numbers and in words), and the trend plots of the audit report.
The KPIs of one run are defined in :mod:`onrtools.evidence.kpi`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from onrtools.evidence import read_manifests
from onrtools.evidence.kpi import HEADLINE, KPIS, NAN, _num
from onrtools.figures import ReportFigure, number_formatter, percent_formatter
from onrtools.i18n import Messages, resolve_language, translate, translate_count


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
        rows.append(
            {
                t("kpi.column.kpi"): spec.label(lang),
                t("kpi.column.previous"): spec.format(row["previous"], language=lang),
                t("kpi.column.this"): spec.format(row["this_run"], language=lang),
                t("kpi.column.change"): spec.format(row["change"], signed=True, language=lang),
                t("kpi.column.verdict"): "–" if verdict == "n/a" else t(f"kpi.verdict.{verdict}"),
                t("kpi.column.tolerance"): spec.tolerance_text(lang),
            }
        )
    columns = [
        t(f"kpi.column.{c}") for c in ("kpi", "previous", "this", "change", "verdict", "tolerance")
    ]
    return pd.DataFrame(rows, columns=columns).set_index(columns[0])


# ConciseDateFormatter's levels (year, month, day, hour, minute, second) without month names
DATE_FORMATS = ["%Y", "%m", "%d", "%H:%M", "%H:%M", "%S.%f"]
DATE_OFFSET_FORMATS = ["", "%Y", "%Y-%m", "%Y-%m-%d", "%Y-%m-%d", "%Y-%m-%d %H:%M"]


def plot_trends(
    frame: pd.DataFrame,
    kpis: Sequence[str] | None = None,
    *,
    columns: int = 3,
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
    fig = ReportFigure(figsize=(4.2 * min(columns, len(names)), 2.8 * rows), layout="constrained")
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
        ax.set_title(
            f"{spec.label(lang)} ({spec.unit_text(lang)})"
            if spec and spec.kind != "percent"
            else spec.label(lang)
            if spec
            else name.replace("_", " "),
            fontsize=10,
        )
        ax.grid(True, alpha=0.3)
        if by_date:
            locator = AutoDateLocator()
            ax.xaxis.set_major_locator(locator)
            ax.xaxis.set_major_formatter(ConciseDateFormatter(  # numbers, not "Dec": any language
                locator, formats=DATE_FORMATS, offset_formats=DATE_OFFSET_FORMATS))
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
            ax.yaxis.set_major_formatter(percent_formatter(lang))
        else:
            if values.notna().any() and values.min() >= 0:
                ax.set_ylim(bottom=0, top=max(float(values.max()) * 1.15, 1.0))
            if "hours" not in name and "days" not in name:
                ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            ax.yaxis.set_major_formatter(number_formatter(lang))  # 0,5 h in fi and sv
        if values.notna().sum() == 0:
            ax.text(
                0.5,
                0.5,
                translate("kpi.plot.no_data", lang),
                transform=ax.transAxes,
                ha="center",
                va="center",
                color="grey",
            )
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    for ax in list(axes.flat)[len(names) :]:
        ax.set_visible(False)
    fig.suptitle(translate_count("kpi.plot.title", len(frame), lang, runs=len(frame)))
    return fig
