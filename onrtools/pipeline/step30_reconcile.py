"""Step 30 (notebook ``30-reconcile``): bring ONR's view of our people up to date from the
change feed and sort the register into action lists (files for people, frames for later steps).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from onrtools.i18n import Messages, translate
from onrtools.pipeline import display
from onrtools.pipeline.rundir import RunDir
from onrtools.pipeline.step20_import import RESULT_COLUMNS
from onrtools.pipeline.step_common import client_for, onr_environment
from onrtools.reconcile import (
    CATEGORIES,
    Reconciliation,
    apply_problems,
    combine_persons,
    persons_from_changes,
    persons_from_masters,
    reconcile,
)

if TYPE_CHECKING:
    from onrtools.onr.client import OnrClient
    from onrtools.onr.config import Settings

def action_files(run: RunDir, rec: Reconciliation, *, prefix: str = "",
                 show_hetu: bool = False) -> list[Path]:
    """Every action list as CSV, all of them in one XLSX (a summary sheet first)."""
    folder = run.actions_dir / prefix if prefix else run.actions_dir
    lists = rec.lists()
    files = [display.write_csv(df, folder / f"{code}.csv", show_hetu=show_hetu)
             for code, df in lists.items()]
    sheets = {"summary": rec.counts(), **{code: df for code, df in lists.items() if len(df)}}
    files.append(display.write_xlsx(sheets, folder / "actions.xlsx", show_hetu=show_hetu))
    return files


PERSON_SOURCES = ("feed", "masters")


VIEW_STATE = "onr_view"  # state/onr_view.parquet; the cursor: changes/onr_view.json (Watermark)


@dataclass
class OnrView:
    """ONR's view of our organisation's people, kept up to date from the change feed."""

    ours: pd.DataFrame  # every person of ours ONR knows (PERSON_COLUMNS), latest state
    changes: pd.DataFrame  # the persons that changed since the previous read
    cursor: int | None  # the feed watermark (epoch ms) the next read starts from
    first_read: bool

    def persons(self, oids: Iterable[str]) -> pd.DataFrame:
        return self.ours[self.ours["oid"].isin(set(oids))].reset_index(drop=True)


def refresh_onr_view(run: RunDir, client: OnrClient, *, count: int = 10000) -> OnrView:
    """Bring the workspace's copy of ONR's view up to date and return it.

    The first read walks the whole change feed of our organisation (REST.md §4.10: import
    rights suffice); later reads start from the saved watermark (inclusive: repeats are
    harmless, the latest row wins). Failed identifications are not changes in ONR's sense
    (recording one does not bump ``modified``), so the ``vainVirheet`` view is read in full
    every time and decides VIRHE or KESKEN for everyone with a hetu and no oppijanumero.
    The copy is saved before the cursor: a crash in between only re-reads some changes.
    The first attempt of a run keeps the view and cursor it started from in the run's own
    data, so a rerun of the same run id (after a crash that came after the workspace cursor
    moved) reads from that start again and still reports every change of the run.
    """
    from onrtools.onr.changes import Watermark, iter_changes, watermark_path

    # both cursors are changes.Watermark files: the workspace's, in the one watermark store,
    # and the one this run started from, in the run's own data
    store = watermark_path(run.workspace, VIEW_STATE)
    start_file = run.space.run_file(run.run_id, f"{VIEW_STATE}-start.json")
    if start_file.is_file():  # a rerun of this run id: start where its first attempt started
        previous = (run.load_frame(f"{VIEW_STATE}-start")
                    if run.has_frame(f"{VIEW_STATE}-start") else None)
        cursor = Watermark.load(start_file).muokattu
    else:
        previous = run.load_state(VIEW_STATE)
        cursor = Watermark.load(store).muokattu if previous is not None else None
        if previous is not None:
            run.save_frame(f"{VIEW_STATE}-start", previous)
        Watermark(cursor).save(start_file)  # written whole, or not at all
    feed = iter_changes(client, since=cursor, count=count) if cursor is not None else \
        iter_changes(client, count=count)
    entries = list(feed)
    problems = {c.oid for c in iter_changes(client, count=count, vain_virheet=True)}
    changes = apply_problems(persons_from_changes(entries), problems)
    ours = apply_problems(combine_persons(previous, changes), problems)
    run.save_state(VIEW_STATE, ours)
    new_cursor = feed.watermark.muokattu if feed.watermark.muokattu is not None else cursor
    (feed.watermark if feed.watermark.muokattu is not None else Watermark(cursor)).save(store)
    return OnrView(ours, changes, new_cursor, previous is None)


@dataclass
class ReconcileStep:
    """What step 30 (or 40) produced."""

    reconciliation: Reconciliation
    files: list[Path]

    @property
    def actions(self) -> pd.DataFrame:
        return self.reconciliation.actions

    def counts(self) -> pd.DataFrame:
        """Rows per action list (``category``, ``title`` in the run's language, ``rows``)."""
        return self.reconciliation.counts()

    def counts_table(self) -> pd.DataFrame:
        """:meth:`counts` for the page, the column headers in the step's language too."""
        t = Messages(self.reconciliation.language)
        return self.counts().rename(columns={c: t(f"reconcile.column.{c}")
                                             for c in ("category", "title", "rows")})

    def plot(self, key: str = "page.30.plot") -> Any:
        """Rows per action list as a bar chart, titled and labelled in the step's language."""
        language = self.reconciliation.language
        return display.plot_counts(self.counts().set_index("title")["rows"],
                                   title=translate(key, language), language=language)


def reconcile_run(run: RunDir, settings_: Settings, *, show_hetu: bool = False,
                  read_persons: str = "feed", count: int = 10000,
                  language: str | None = None) -> ReconcileStep:
    """Bring ONR's view of our people up to date and sort the register into action lists.

    ``read_persons``: ``feed`` (the change feed: import rights suffice) or ``masters``
    (also a bulk read of every imported OID's master: registrar or read rights).
    ``count``: change-feed page size (1..10000). The persons that changed since the last
    run are kept for step 40.
    """
    if read_persons not in PERSON_SOURCES:
        raise ValueError(f"read_persons must be one of {PERSON_SOURCES}, got {read_persons!r}")
    register = run.load_frame("register")
    results = run.load_frame("results", default=pd.DataFrame(columns=list(RESULT_COLUMNS)))
    problems = run.load_frame("problems", default=pd.DataFrame())
    oids = sorted(set(results["oid"].dropna().astype(str)) - {""})
    with client_for(run, "reconcile", settings_) as client:
        view = refresh_onr_view(run, client, count=count)
        persons = view.persons(oids)
        if read_persons == "masters" and oids:
            persons = combine_persons(persons,
                                      persons_from_masters(client.masters_by_oids(oids)))
    run.save_frame("persons", persons)
    run.save_frame("feed", view.changes)
    environment, base_url = onr_environment(settings_)
    held = run.load_frame("held_back") if run.has_frame("held_back") else None
    rec = reconcile(register, results=results, persons=persons, problems=problems,
                    ours=view.ours, environment=environment, base_url=base_url, held=held,
                    language=language)
    run.save_frame("actions", rec.actions)
    files = action_files(run, rec, show_hetu=show_hetu)
    run.write_facts("reconcile", {
        "persons_read": len(persons), "persons_of_ours": len(view.ours),
        "by_category": {c: int(n) for c, n in zip(rec.counts()["category"],
                                                   rec.counts()["rows"], strict=True)},
    })
    run.write_facts("changes", {"persons_changed": len(view.changes),
                                "first_read": view.first_read})
    return ReconcileStep(rec, files)


def category_titles(language: str | None = None) -> pd.DataFrame:
    """Every action list: code, title and what to do (the legend of the reports), in
    ``language`` (fi, sv or en; empty: ``ONR_LANGUAGE``, else fi)."""
    t = Messages(language)
    return pd.DataFrame([{t("reconcile.column.category"): c.code,
                          t("reconcile.column.title"): c.title(t.language),
                          t("reconcile.column.action"): c.action(t.language)}
                         for c in CATEGORIES])
