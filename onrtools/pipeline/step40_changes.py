"""Step 40 (notebook ``40-change-feed``): what the change feed brought since the last run
(step 30 read it), sorted into action lists."""

from __future__ import annotations

import pandas as pd

from onrtools.pipeline.rundir import RunDir
from onrtools.pipeline.step20_import import RESULT_COLUMNS
from onrtools.pipeline.step30_reconcile import ReconcileStep, action_files
from onrtools.reconcile import persons_from_masters, reconcile


def change_feed(run: RunDir, *, environment: str = "simulator", base_url: str = "",
                show_hetu: bool = False, language: str | None = None) -> ReconcileStep:
    """What the change feed brought since the last run (read by step 30), as action lists.

    Only the persons that changed are sorted, plus changed persons of ours the register does
    not know. On the first run of a workspace every person of ours counts as changed.
    """
    feed = run.load_frame("feed")
    register = run.load_frame("register")
    results = run.load_frame("results", default=pd.DataFrame(columns=list(RESULT_COLUMNS)))
    persons = run.load_frame("persons", default=persons_from_masters({}))
    rec = reconcile(register, results=results, persons=persons, feed=feed,
                    only_oids=set(feed["oid"].astype(str)), environment=environment,
                    base_url=base_url, language=language)
    run.save_frame("feed_actions", rec.actions)
    files = action_files(run, rec, prefix="changes", show_hetu=show_hetu)
    run.write_facts("changes", {
        "persons_changed": len(feed),
        "merged": int(feed["duplicate"].fillna(False).astype(bool).sum()) if len(feed) else 0,
        "by_category": {c: int(n) for c, n in zip(rec.counts()["category"],
                                                   rec.counts()["rows"], strict=True)},
    })
    return ReconcileStep(rec, files)
