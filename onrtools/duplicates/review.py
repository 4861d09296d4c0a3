"""Human review of suspected duplicates: a SQLite decision store and an ipywidgets UI.

Every decision is written (and committed) the moment a button is pressed, with the reviewer and
the UTC time, so a kernel restart loses nothing; a new session over the same pairs opens at the
first pair still undecided. Decisions are appended, never updated: the latest one per pair
counts and the history stays for the audit trail.

    session = ReviewSession(workspace, pairs, records, reviewer="maija.m")
    session.widget()           # one pair at a time; same / different / unsure; note; band filter
    session.decisions()        # the pairs with their latest decision
"""

from __future__ import annotations

import html
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from onrtools.duplicates.matching.normalise import COLUMNS as MATCHER_COLUMNS
from onrtools.i18n import Messages, translate
from onrtools.register import hetu as hetu_mod
from onrtools.workspace import Workspace

DECISIONS = ("same", "different", "unsure")
BANDS: dict[str, tuple[float, float]] = {
    "all": (0.0, 1.0),
    "match (>= 0.5)": (0.5, 1.0),
    "review (0.01-0.5)": (0.01, 0.5),
    "low (< 0.01)": (0.0, 0.01),
}
SHOWN_FIELDS = MATCHER_COLUMNS[1:]  # every field the matcher compares, tunniste aside
_SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    pair_key TEXT NOT NULL,
    tunniste_l TEXT NOT NULL,
    tunniste_r TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('same', 'different', 'unsure')),
    note TEXT NOT NULL DEFAULT '',
    reviewer TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    probability REAL
);
CREATE INDEX IF NOT EXISTS decisions_pair ON decisions (pair_key, id);
"""


def pair_key(tunniste_l: str, tunniste_r: str) -> str:
    """Order-free key of a pair: (a, b) and (b, a) are the same question."""
    a, b = sorted((str(tunniste_l), str(tunniste_r)))
    return f"{a}\x1f{b}"


class ReviewStore:
    """Append-only SQLite log of review decisions (``workspace/review/decisions.sqlite``)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(_SCHEMA)

    @classmethod
    def for_workspace(cls, workspace: Path) -> ReviewStore:
        return cls(Workspace.at(workspace).reviews_file)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        return db

    def record(
        self,
        tunniste_l: str,
        tunniste_r: str,
        decision: str,
        *,
        reviewer: str,
        note: str = "",
        probability: float | None = None,
        at: datetime | None = None,
    ) -> None:
        """Save one decision now (committed before returning)."""
        if decision not in DECISIONS:
            raise ValueError(f"decision must be one of {DECISIONS}, not {decision!r}")
        if not reviewer or not reviewer.strip():
            raise ValueError("a decision needs a reviewer")
        when = (at or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
        db = self._connect()
        try:
            with db:
                db.execute(
                    "INSERT INTO decisions (pair_key, tunniste_l, tunniste_r, decision, note,"
                    " reviewer, decided_at, probability) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        pair_key(tunniste_l, tunniste_r),
                        str(tunniste_l),
                        str(tunniste_r),
                        decision,
                        note or "",
                        reviewer.strip(),
                        when,
                        None if probability is None else float(probability),
                    ),
                )
        finally:
            db.close()

    def latest(self) -> pd.DataFrame:
        """The latest decision per pair."""
        db = self._connect()
        try:
            return pd.read_sql_query(
                "SELECT d.pair_key, d.tunniste_l, d.tunniste_r, d.decision, d.note, d.reviewer,"
                " d.decided_at, d.probability FROM decisions d JOIN (SELECT pair_key,"
                " MAX(id) AS id FROM decisions GROUP BY pair_key) last ON d.id = last.id"
                " ORDER BY d.id",
                db,
            )
        finally:
            db.close()

    def history(self) -> pd.DataFrame:
        """Every decision ever made, oldest first."""
        db = self._connect()
        try:
            return pd.read_sql_query("SELECT * FROM decisions ORDER BY id", db)
        finally:
            db.close()


def _show(field: str, value: Any, *, show_hetu: bool = False) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, (list, tuple, set)):
        value = ", ".join(map(str, value))
    text = str(value)
    return hetu_mod.mask(text) if field == "hetu" and not show_hetu else text


def differing_fields(left: Mapping[str, Any], right: Mapping[str, Any],
                     fields: Sequence[str]) -> list[str]:
    """The ``fields`` whose shown values differ (case and outer spaces aside)."""
    return [f for f in fields
            if _show(f, left.get(f)).strip().lower() != _show(f, right.get(f)).strip().lower()]


def side_by_side_html(tunniste_l: str, tunniste_r: str, left: Mapping[str, Any],
                      right: Mapping[str, Any], fields: Sequence[str], *,
                      labels: tuple[str, str] | None = None,
                      show_hetu: bool = False, language: str | None = None) -> str:
    """Two records as one table, a field per row, the two values side by side; a row whose
    values differ has class ``onr-diff`` (highlighted); hetu masked unless ``show_hetu``.
    ``labels`` head the two columns (default: left and right in ``language``)."""
    labels = labels or (translate("review.label.left", language),
                        translate("review.label.right", language))
    differs = set(differing_fields(left, right, fields))
    rows = [f"<tr><th style='text-align:left'>tunniste</th><td>{html.escape(str(tunniste_l))}"
            f"</td><td>{html.escape(str(tunniste_r))}</td></tr>"]
    for field in fields:
        a = _show(field, left.get(field), show_hetu=show_hetu)
        b = _show(field, right.get(field), show_hetu=show_hetu)
        style = ' class="onr-diff" style="background:#ffe0e0"' if field in differs else ""
        rows.append(f"<tr{style}><th style='text-align:left'>{html.escape(field)}</th>"
                    f"<td>{html.escape(a)}</td><td>{html.escape(b)}</td></tr>")
    return (f"<table class='onr-pair'><tr><th></th><th>{html.escape(labels[0])}</th>"
            f"<th>{html.escape(labels[1])}</th></tr>{''.join(rows)}</table>")


def side_by_side(pairs: pd.DataFrame, records: pd.DataFrame, *,
                 fields: Sequence[str] = SHOWN_FIELDS, labels: tuple[str, str] | None = None,
                 show_hetu: bool = False, language: str | None = None) -> pd.DataFrame:
    """One row per pair for a report page: ``pair``, ``probability``, the matcher's and the
    reviewer's decision (when ``pairs`` has them), ``differs`` (the fields that differ),
    ``records`` (both records side by side as HTML, :func:`side_by_side_html`) and
    ``explanation``. ``records`` are keyed by ``tunniste``; hetu masked unless ``show_hetu``."""
    shown = [f for f in fields if f in records.columns and f != "tunniste"]
    # one dict per record, built once (a pandas row lookup per pair took minutes at 200,000
    # records); a tunniste given twice keeps its last row
    by_id = dict(zip(records["tunniste"].astype(str), records[shown].to_dict("records"),
                     strict=True))

    def record(tunniste: Any) -> dict[str, Any]:
        return by_id.get(str(tunniste), {})

    rows = []
    for pair in pairs.to_dict("records"):
        left, right = record(pair["tunniste_l"]), record(pair["tunniste_r"])
        probability = pair.get("probability")
        rows.append({
            "pair": f"{pair['tunniste_l']} / {pair['tunniste_r']}",
            "probability": None if probability is None or pd.isna(probability)
            else round(float(probability), 3),
            **({"matcher": pair["decision"]} if "decision" in pair else {}),
            **({"review": pair["review_decision"] or "open"} if "review_decision" in pair
               else {}),
            "differs": ", ".join(differing_fields(left, right, shown)),
            "records": side_by_side_html(pair["tunniste_l"], pair["tunniste_r"], left, right,
                                         shown, labels=labels, show_hetu=show_hetu,
                                         language=language),
            "explanation": pair.get("explanation", "") or "",
        })
    columns = ["pair", "probability", *(["matcher"] if "decision" in pairs else []),
               *(["review"] if "review_decision" in pairs else []), "differs", "records",
               "explanation"]
    return pd.DataFrame(rows, columns=columns)


def with_decisions(store: ReviewStore, pairs: pd.DataFrame) -> pd.DataFrame:
    """``pairs`` (``tunniste_l``, ``tunniste_r``, anything else) with each pair's latest
    decision from ``store`` as ``review_decision``, ``note``, ``reviewer`` and ``decided_at``
    ('' when undecided). Read at call time: a reviewer may have decided a moment ago."""
    latest = store.latest().set_index("pair_key")
    keys = pd.Series([pair_key(a, b) for a, b in zip(pairs["tunniste_l"], pairs["tunniste_r"],
                                                     strict=True)], index=pairs.index,
                     dtype=object)
    out = pairs.copy()
    for column, source in (("review_decision", "decision"), ("note", "note"),
                           ("reviewer", "reviewer"), ("decided_at", "decided_at")):
        out[column] = keys.map(latest[source]).fillna("").astype(object)
    return out


class ReviewSession:
    """One reviewer's pass over a set of pairs; resumes at the first undecided pair."""

    def __init__(
        self,
        workspace: Path,
        pairs: pd.DataFrame,
        records: pd.DataFrame | None = None,
        *,
        reviewer: str,
        band: str = "all",
        fields: Sequence[str] = SHOWN_FIELDS,
        language: str | None = None,
    ) -> None:
        if not reviewer or not reviewer.strip():
            raise ValueError("a review session needs a reviewer name")
        self.store = ReviewStore.for_workspace(workspace)
        self.reviewer = reviewer.strip()
        # the matcher's own verdict stays beside the reviewer's, under a name of its own
        self.pairs = pairs.reset_index(drop=True).rename(columns={"decision": "matcher_decision"})
        self.pairs["pair_key"] = pd.Series(  # object even when empty: merges on it must agree
            [pair_key(a, b) for a, b in zip(self.pairs["tunniste_l"], self.pairs["tunniste_r"],
                                            strict=True)],
            index=self.pairs.index, dtype=object,
        )
        self.records = (
            None
            if records is None
            else records.set_index(records["tunniste"].astype(str), drop=False)
        )
        self.fields = [f for f in fields if self.records is not None and f in self.records]
        self.band = band
        self.t = Messages(language)  # the widget's words: fi, sv or en
        self.position = 0
        self._widgets: dict[str, Any] = {}
        self.resume()

    # --- state -------------------------------------------------------------------------------

    def decided(self) -> dict[str, str]:
        latest = self.store.latest()
        return dict(zip(latest["pair_key"], latest["decision"], strict=True))

    def visible(self) -> pd.DataFrame:
        """The pairs in the current probability band, in order."""
        low, high = BANDS[self.band]
        if "probability" not in self.pairs:
            return self.pairs
        p = self.pairs["probability"]
        inside = (p >= low) & ((p < high) | (high >= 1.0))
        return self.pairs[inside].reset_index(drop=True)

    def resume(self) -> int:
        """Move to the first undecided pair of the band (or the last pair if all are done)."""
        visible, done = self.visible(), self.decided()
        undecided = [i for i, k in enumerate(visible["pair_key"]) if k not in done]
        self.position = undecided[0] if undecided else max(len(visible) - 1, 0)
        return self.position

    def set_band(self, band: str) -> None:
        if band not in BANDS:
            raise ValueError(f"band must be one of {list(BANDS)}")
        self.band = band
        self.resume()

    def current(self) -> pd.Series | None:
        visible = self.visible()
        return None if visible.empty else visible.iloc[self.position]

    def decide(self, decision: str, note: str = "") -> None:
        """Save a decision for the current pair at once, then go to the next undecided one."""
        pair = self.current()
        if pair is None:
            raise ValueError("no pair to decide in this band")
        self.store.record(
            pair["tunniste_l"],
            pair["tunniste_r"],
            decision,
            reviewer=self.reviewer,
            note=note,
            probability=pair.get("probability"),
        )
        visible, done = self.visible(), self.decided()
        later = [
            i for i, k in enumerate(visible["pair_key"]) if k not in done and i > self.position
        ]
        if later:
            self.position = later[0]
        else:
            self.resume()

    def progress(self) -> tuple[int, int, int]:
        """(position 1-based, pairs in band, decided in band)."""
        visible, done = self.visible(), self.decided()
        n_done = int(visible["pair_key"].isin(done.keys()).sum())
        return (self.position + 1 if len(visible) else 0), len(visible), n_done

    def decisions(self) -> pd.DataFrame:
        """All pairs with their latest decision, reviewer, time and note ('' when undecided)."""
        return with_decisions(self.store, self.pairs)

    # --- UI ----------------------------------------------------------------------------------

    def comparison_html(self) -> str:
        """Side-by-side table of the current pair; differing values highlighted; hetu masked."""
        pair = self.current()
        if pair is None:
            return f"<p>{html.escape(self.t('review.no_pairs'))}</p>"
        table = side_by_side_html(pair["tunniste_l"], pair["tunniste_r"],
                                  self._record(pair["tunniste_l"]),
                                  self._record(pair["tunniste_r"]),
                                  [f for f in self.fields if f != "tunniste"],
                                  language=self.t.language)
        prob = pair.get("probability")
        head = ("" if prob is None else
                f"<p>{html.escape(self.t('review.probability'))} <b>{float(prob):.3f}</b></p>")
        explanation = html.escape(str(pair.get("explanation", "")))
        saved = self.decided().get(pair["pair_key"])
        saved_text = (f"<p class='onr-saved'>{html.escape(self.t('review.saved_decision'))} "
                      f"<b>{saved}</b></p>" if saved else "")
        return (
            f"{head}{table}<p class='onr-explanation'>{explanation}</p>{saved_text}"
        )

    def _record(self, tunniste: str) -> dict[str, Any]:
        if self.records is None or str(tunniste) not in self.records.index:
            return {}
        return self.records.loc[str(tunniste)].to_dict()

    def _progress_text(self) -> str:
        n, total, done = self.progress()
        return self.t("review.progress", n=n, total=total, done=done)

    def _refresh(self) -> None:
        w = self._widgets
        w["progress"].value = self._progress_text()
        w["pair"].value = self.comparison_html()
        w["note"].value = ""

    def widget(self) -> Any:
        """The review UI (ipywidgets): pair, explanation, same/different/unsure, note, filter."""
        import ipywidgets as widgets

        progress = widgets.Label(self._progress_text())
        progress.add_class("onr-progress")
        band = widgets.Dropdown(options=list(BANDS), value=self.band,
                                description=self.t("review.band"))
        pair = widgets.HTML(self.comparison_html())
        pair.add_class("onr-pair-view")
        note = widgets.Textarea(placeholder=self.t("review.note"),
                                layout=widgets.Layout(width="60%"))
        note.add_class("onr-note")
        status = widgets.Label("")
        status.add_class("onr-status")
        buttons = []
        for decision, style in (
            ("same", "success"),
            ("different", "danger"),
            ("unsure", "warning"),
        ):
            button = widgets.Button(description=self.t(f"review.decision.{decision}"),
                                    button_style=style)
            button.add_class(f"onr-{decision}")

            def on_click(_: Any, decision: str = decision) -> None:
                pair_before = self.current()
                self.decide(decision, note.value)
                status.value = self.t(
                    "review.saved", decision=decision,
                    pair=f"{pair_before['tunniste_l']} / {pair_before['tunniste_r']}")
                self._refresh()

            button.on_click(on_click)
            buttons.append(button)
        back = widgets.Button(description=self.t("review.previous"))
        forward = widgets.Button(description=self.t("review.next"))

        def step(delta: int) -> None:
            total = len(self.visible())
            if total:
                self.position = min(max(self.position + delta, 0), total - 1)
            self._refresh()

        back.on_click(lambda _: step(-1))
        forward.on_click(lambda _: step(1))

        def on_band(change: dict[str, Any]) -> None:
            self.set_band(change["new"])
            self._refresh()

        band.observe(on_band, names="value")
        self._widgets = {"progress": progress, "pair": pair, "note": note}
        return widgets.VBox(
            [
                widgets.HBox([progress, band]),
                pair,
                note,
                widgets.HBox([*buttons, back, forward]),
                status,
            ]
        )
