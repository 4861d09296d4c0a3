"""Pairs -> groups, each with a suggested master by ONR's link rules.

ONR links a group under one master (REST.md §6.5, SEMANTICS.md §3.2): a person counts as
"identified" if identified by any method **or has a hetu**; more than one identified person in a
group is refused (403). If exactly one is identified it becomes the master. If none is, the
caller's main OID is the master: we suggest the record that already has an ONR oid, then the
most complete one. Groups with two or more identified people get no master and the note
"OPH must decide".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

OPH_MUST_DECIDE = "OPH must decide: more than one hetu-bearing or identified person"
NO_IDENTIFIED = "no identified person: any may be master; suggested the most complete record"
ONE_IDENTIFIED = "the only hetu-bearing or identified person is master (ONR rule)"


# one row per record of a group, in this order
COLUMNS = (
    "group",
    "tunniste",
    "oid",
    "identified",
    "is_master",
    "suggested_master",
    "suggested_master_oid",
    "note",
)


def connected_components(left: np.ndarray, right: np.ndarray, n: int) -> np.ndarray:
    """Component label (smallest member index) per node 0..n-1; vectorised label propagation."""
    labels = np.arange(n)
    if len(left) == 0:
        return labels
    while True:
        low = np.minimum(labels[left], labels[right])
        new = labels.copy()
        np.minimum.at(new, left, low)
        np.minimum.at(new, right, low)
        new = new[new]  # pointer jumping: follow labels to their roots
        if np.array_equal(new, labels):
            return labels
        labels = new


def _flag(records: pd.DataFrame, column: str) -> pd.Series:
    if column not in records:
        return pd.Series(False, index=records.index)
    s = records[column]
    if s.dtype == bool:
        return s
    return s.astype(object).map(lambda v: str(v).strip().lower() in {"true", "1", "yes"})


def _present(records: pd.DataFrame, column: str) -> pd.Series:
    if column not in records:
        return pd.Series(False, index=records.index)
    s = records[column]
    return s.notna() & (s.astype(object).map(lambda v: str(v).strip()) != "")


def cluster(
    pairs: pd.DataFrame,
    records: pd.DataFrame,
    *,
    decisions: tuple[str, ...] = ("match",),
) -> pd.DataFrame:
    """One row per record in a group of two or more, with the group's suggested master.

    Columns: ``group`` (1..), ``tunniste``, ``oid``, ``identified``, ``is_master``,
    ``suggested_master`` (tunniste or ""), ``suggested_master_oid``, ``note``.
    """
    chosen = pairs[pairs["decision"].isin(decisions)]
    ids = records["tunniste"].astype(str).reset_index(drop=True)
    position = pd.Series(np.arange(len(ids)), index=ids)
    left = position.reindex(chosen["tunniste_l"].astype(str)).to_numpy()
    right = position.reindex(chosen["tunniste_r"].astype(str)).to_numpy()
    ok = ~(np.isnan(left.astype(float)) | np.isnan(right.astype(float)))
    labels = connected_components(left[ok].astype(np.int64), right[ok].astype(np.int64), len(ids))
    sizes = np.bincount(labels, minlength=len(ids))
    members = np.flatnonzero(sizes[labels] > 1)
    if len(members) == 0:
        return pd.DataFrame(columns=list(COLUMNS))
    recs = records.reset_index(drop=True)
    identified = (
        _present(recs, "hetu")
        | _flag(recs, "yksiloityVTJ")
        | _flag(recs, "yksiloity")
        | _flag(recs, "yksiloityEidas")
    )
    completeness = recs.notna().sum(axis=1) + _present(recs, "oid").astype(int) * 100
    frame = pd.DataFrame(
        {
            "label": labels[members],
            "tunniste": ids.iloc[members].to_numpy(),
            "oid": recs["oid"].iloc[members].to_numpy() if "oid" in recs else "",
            "identified": identified.iloc[members].to_numpy(dtype=bool),
            "score": completeness.iloc[members].to_numpy(),
        }
    )
    frame["group"] = pd.factorize(frame["label"], sort=True)[0] + 1
    n_identified = frame.groupby("group")["identified"].transform("sum")
    frame["rank"] = (
        frame.sort_values(["identified", "score", "tunniste"], ascending=[False, False, True])
        .groupby("group")
        .cumcount()
    )
    frame["is_master"] = (frame["rank"] == 0) & (n_identified <= 1)
    frame["note"] = np.select(
        [n_identified > 1, n_identified == 1], [OPH_MUST_DECIDE, ONE_IDENTIFIED], NO_IDENTIFIED
    )
    masters = frame[frame["is_master"]].set_index("group")
    frame["suggested_master"] = frame["group"].map(masters["tunniste"]).fillna("")
    frame["suggested_master_oid"] = frame["group"].map(masters["oid"]).fillna("")
    frame = frame.sort_values(["group", "rank"]).reset_index(drop=True)
    return frame[list(COLUMNS)]
