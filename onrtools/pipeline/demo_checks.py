"""The demo's truth: what a pipeline run must find, checked against the plant.

:mod:`onrtools.pipeline.demo_register` plants defects in a synthetic register and knows where each
belongs; the functions here compare a run's lists with that plan (an empty frame: everything
as planted) and decide the review the way the plant says a careful reviewer would. ``onr demo``
prints their verdict; the pipeline tests assert it. Nothing here is used by a real run.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from onrtools.pipeline import demo_register
from onrtools.pipeline.rundir import RunDir


def check_truth(actions: pd.DataFrame, expected: pd.DataFrame) -> pd.DataFrame:
    """Rows where the action lists and the planted truth disagree (empty = all as planted).

    Register rows compare by tunniste (every list a row is in, exactly); persons outside the
    register (``missing_locally``) compare by OID: each planted one must be there.
    """
    found = actions[actions["tunniste"].fillna("").astype(str) != ""]
    got = found.groupby("tunniste")["category"].agg(lambda s: ";".join(sorted(set(s))))
    want_rows = expected[expected["tunniste"] != ""]
    want = want_rows.groupby("tunniste")["category"].agg(lambda s: ";".join(sorted(set(s))))
    both = pd.DataFrame({"expected": want, "found": got}).fillna("")
    bad = both[both["expected"] != both["found"]].reset_index(names="tunniste")
    bad["oid"] = ""
    missing_planted = set(expected.loc[expected["tunniste"] == "", "oid"])
    missing_found = set(actions.loc[actions["category"] == "missing_locally", "oid"])
    lost = sorted(missing_planted - missing_found)
    extra = pd.DataFrame([{"tunniste": "", "oid": o, "expected": "missing_locally",
                           "found": ""} for o in lost])
    return pd.concat([bad, extra], ignore_index=True) if len(extra) else bad


DEMO_REVIEWER = "demo-reviewer"


def check_links(flagged: pd.DataFrame, demo: demo_register.DemoPlan,
                prior: dict[str, str]) -> pd.DataFrame:
    """Flagged links against the plant: each wrong merge flagged (by our old OID), nothing
    else. Rows in :func:`check_truth`'s shape, category ``unlink_candidate``."""
    want = {prior[f"{t}-old"]: t for t in demo.wrong_links}
    got = set(flagged["henkiloOid"].astype(str)) if len(flagged) else set()
    rows = [{"tunniste": want[o], "expected": "unlink_candidate", "found": "", "oid": o}
            for o in sorted(set(want) - got)]
    rows += [{"tunniste": "", "expected": "", "found": "unlink_candidate", "oid": o}
             for o in sorted(got - set(want))]
    return pd.DataFrame(rows, columns=["tunniste", "expected", "found", "oid"])


def review_as_planted(run: RunDir, demo: demo_register.DemoPlan, prior: dict[str, str]
                      ) -> dict[str, int]:
    """The demo's reviewer decides every suggested pair and flagged link the way the plant
    says a careful person would (saved like any review), so that the next run's request
    packages hold the planted twins (merge) and wrong merges (unlink)."""
    from onrtools.duplicates.review import ReviewStore

    store = ReviewStore.for_workspace(run.workspace)
    kinds = dict(zip(demo.truth["tunniste"], demo.truth["kind"], strict=True))
    same = {frozenset(p) for p in demo.twins}
    same |= {frozenset((t, f"{t}-b")) for t, k in kinds.items() if k == "duplicate_in_file"}
    counts = {"pairs_same": 0, "pairs_different": 0, "links_different": 0, "links_same": 0}
    pairs = run.load_frame("register_duplicates", default=pd.DataFrame(
        columns=["tunniste_l", "tunniste_r", "probability"]))
    for left, right, p in pairs[["tunniste_l", "tunniste_r", "probability"]].itertuples(
            index=False):
        decision = "same" if frozenset((left, right)) in same else "different"
        store.record(left, right, decision, reviewer=DEMO_REVIEWER, probability=p,
                     note="demo: decided by the plant")
        counts[f"pairs_{decision}"] += 1
    wrong = {prior[f"{t}-old"] for t in demo.wrong_links}
    links = run.load_frame("link_candidates", default=pd.DataFrame(
        columns=["masterOid", "henkiloOid", "probability"]))
    for master, slave, p in links[["masterOid", "henkiloOid", "probability"]].itertuples(
            index=False):
        decision = "different" if slave in wrong else "same"
        store.record(master, slave, decision, reviewer=DEMO_REVIEWER, probability=p,
                     note="demo: decided by the plant")
        counts[f"links_{decision}"] += 1
    return counts


def check_packages(facts: dict[str, Any], demo: demo_register.DemoPlan) -> pd.DataFrame:
    """The second run's request packages hold one merge request per planted twin and one
    unlink request per planted wrong merge (the reviewer decided them after run 1)."""
    got = facts.get("requests", {})
    rows = []
    for kind, want in (("merge_requests", len(demo.twins)),
                       ("unlink_requests", len(demo.wrong_links))):
        if int(got.get(kind, -1)) != want:
            rows.append({"tunniste": "", "expected": f"{kind}={want}",
                         "found": f"{kind}={got.get(kind)}", "oid": ""})
    return pd.DataFrame(rows, columns=["tunniste", "expected", "found", "oid"])
