"""Open items (people waiting for manual work) across runs, and their age.

``track_open_items`` keeps, in the workspace, the date each open item was first seen, so that
its age survives from run to run; ``open_items_by_age`` counts them per category and age band
for the audit report. The KPIs of one run are in :mod:`onrtools.evidence.kpi`.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import pandas as pd
from filelock import FileLock

from onrtools.evidence.kpi import AGE_BANDS, OPEN_CATEGORIES, _col, _present, _ts
from onrtools.evidence.store import iso
from onrtools.workspace import Workspace


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
