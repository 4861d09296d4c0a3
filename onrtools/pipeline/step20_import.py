"""Step 20 (notebook ``20-import-tuonti``): send the validated rows in batches (resumable:
the import journal), hold back rows without a hetu that look like a person ONR already has, and
keep every row's result for the later steps and runs."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import pandas as pd

from onrtools.i18n import Messages, resolve_language
from onrtools.pipeline.rundir import RunDir
from onrtools.pipeline.step_common import SEND_COLUMNS, client_for

if TYPE_CHECKING:
    from onrtools.onr.batch_import import ImportOutcome
    from onrtools.onr.client import OnrClient
    from onrtools.onr.config import Settings

def row_fingerprint(rows: pd.DataFrame) -> pd.Series:
    """A short hash of each row's sendable fields: a changed row is sent again."""
    cols = [c for c in SEND_COLUMNS if c in rows.columns]
    if rows.empty:
        return pd.Series([], index=rows.index, dtype=object)
    text = rows[cols].astype("object").where(rows[cols].notna(), "").astype(str).agg("\x1f".join,
                                                                                     axis=1)
    return text.map(lambda t: hashlib.sha256(t.encode()).hexdigest()[:16])


BATCH_COLUMNS = ("batch", "rows", "state", "tuonti_id", "sends", "restarts", "resolved")


@dataclass
class ImportStep:
    """What step 20 produced: the rows sent now, every known result, the ONR outcome."""

    sent: pd.DataFrame
    results: pd.DataFrame
    outcome: ImportOutcome | None = None
    skipped: int = 0
    held: pd.DataFrame | None = None  # hetu-less rows the pre-import check kept back, and why
    language: str = "fi"

    def batches(self) -> pd.DataFrame:
        """One row per batch: rows, tuonti id, state, sends, restarts; for the page, so the
        headers and the states are in the step's language (the journal keeps the codes; its
        ``resolved`` note stays as the journal wrote it)."""
        if self.outcome is None:
            return pd.DataFrame()
        t = Messages(self.language)
        frame = self.outcome.summary_frame()
        if "state" in frame:
            frame["state"] = frame["state"].map(
                lambda state: t.get(f"steps.batch.state.{state}", str(state)))
        return frame.rename(columns={c: t(f"steps.batch.column.{c}") for c in BATCH_COLUMNS
                                     if c in frame})

    def refused(self) -> pd.DataFrame:
        """Rows left out before sending because they break the yleistunniste rules: row,
        tunniste, field, code, message (never the value)."""
        rows = self.outcome.refused if self.outcome is not None else []
        return pd.DataFrame(rows, columns=["row", "tunniste", "field", "code", "message"])

    def counts(self) -> dict[str, int]:
        """The summary's counts under stable keys (the run's facts keep these names)."""
        r = self.results
        refused = self.refused()["tunniste"].nunique()
        return {
            "rows sent in this run": len(self.sent) - refused,
            "rows refused before sending (yleistunniste rules)": refused,
            "rows skipped (already imported, unchanged)": self.skipped,
            "rows held back (possibly in ONR already)": 0 if self.held is None else len(self.held),
            "rows with an import result": len(r),
            "with oppijanumero": int(r["oppijanumero"].fillna("").astype(str).ne("").sum())
            if len(r) else 0,
            "conflicts": int(r["conflict"].fillna(False).astype(bool).sum()) if len(r) else 0,
            "passivated": int(r["passivoitu"].fillna(False).astype(bool).sum()) if len(r) else 0,
        }

    def summary(self) -> pd.DataFrame:
        """Counts a person reads at a glance, labelled in the step's language."""
        t = Messages(self.language)
        keys = ("sent", "refused", "skipped", "held", "with_result", "with_oppijanumero",
                "conflicts", "passivated")
        counts = self.counts()
        return pd.DataFrame({t("steps.column.count"): {
            t(f"steps.import.{key}"): value
            for key, value in zip(keys, counts.values(), strict=True)}})


def rows_to_import(run: RunDir, *, only_new: bool = True) -> tuple[pd.DataFrame, int]:
    """The validated rows to send now: all, or only those without an unchanged earlier result."""
    to_send = run.load_frame("to_send")
    to_send = to_send.assign(fingerprint=row_fingerprint(to_send))
    previous = run.load_state("import_results")
    if not only_new or previous is None or previous.empty:
        return to_send, 0
    known = previous.set_index("tunniste")["fingerprint"] if "fingerprint" in previous else None
    if known is None:
        return to_send, 0
    same = to_send["tunniste"].map(known).eq(to_send["fingerprint"])
    return to_send[~same].reset_index(drop=True), int(same.sum())


RESULT_COLUMNS = ("tunniste", "oid", "oppijanumero", "conflict", "linked", "passivoitu")


def _results_frame(outcome: ImportOutcome) -> pd.DataFrame:
    results = outcome.results
    if "tunniste" not in results.columns:
        results = results.reset_index().rename(columns={"index": "tunniste"})
    for c in RESULT_COLUMNS:
        if c not in results.columns:
            results[c] = None
    return results


HELD_COLUMNS = ("tunniste", "action", "proposed_oid", "probability", "candidates", "explanation")


def hold_possible_duplicates(client: OnrClient, rows: pd.DataFrame
                             ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(rows to send, rows held back)``: the pre-import check for people without a hetu.

    A hetu-less row becomes a new person in ONR unless its OID, passport or e-mail matches, so
    a person already in ONR under another identifier would be created twice. Before such a row
    (no hetu, no OID) is sent, ONR's own criteria search (``GET /henkilo/duplikaatit``) and our
    matcher decide: a confident match is held back with the existing OID proposed, a possible
    match waits for review, no match is sent (onrtools.duplicates.preimport).
    """
    from onrtools.duplicates.preimport import check_hetuless_rows

    blank = {c: rows[c].fillna("").astype(str).str.strip().eq("") if c in rows else
             pd.Series(True, index=rows.index) for c in ("hetu", "oid")}
    needs_check = blank["hetu"] & blank["oid"]
    if not needs_check.any():
        return rows, pd.DataFrame(columns=list(HELD_COLUMNS))
    checked = check_hetuless_rows(client, rows[needs_check])
    held = checked[checked["action"] != "send"].reset_index(drop=True)
    keep = ~rows["tunniste"].astype(str).isin(set(held["tunniste"].astype(str)))
    return rows[keep].reset_index(drop=True), held


def import_rows(
    run: RunDir, settings_: Settings, *, batch_size: int = 5000, only_new: bool = True,
    progress: bool = True, poll_interval: float = 2.0, check_hetuless: bool = True,
    api: Literal["oppija", "yleistunniste"] = "oppija", language: str | None = None,
) -> ImportStep:
    """Send the validated rows in batches (resumable: the client keeps a journal) and keep the
    results per tunniste, merged with earlier runs' results. With ``check_hetuless`` rows
    without a hetu that look like a person already in ONR are held back, not sent.
    ``api="yleistunniste"`` sends ``PUT /yleistunniste``; rows breaking that API's rules are
    left out and listed in ``ImportStep.outcome.refused``."""
    from onrtools.onr.batch_import import import_register

    rows, skipped = rows_to_import(run, only_new=only_new)
    outcome = None
    held = pd.DataFrame(columns=list(HELD_COLUMNS))
    fresh = pd.DataFrame(columns=[*RESULT_COLUMNS, "fingerprint"])
    if len(rows):
        with client_for(run, "import", settings_) as client:
            if run.has_frame("held_back"):  # decided by an earlier attempt of this run: keep
                held = run.load_frame("held_back")  # it, or a resumed import would differ
                rows = rows[~rows["tunniste"].astype(str).isin(
                    set(held["tunniste"].astype(str)))].reset_index(drop=True)
            elif check_hetuless:
                rows, held = hold_possible_duplicates(client, rows)
            run.save_frame("held_back", held)  # before anything is sent
            if len(rows):
                outcome = import_register(
                    client, rows.drop(columns=["fingerprint"]), workspace=run.workspace,
                    batch_size=batch_size, run_id=f"{run.run_id}-import", progress=progress,
                    interval=poll_interval, api=api)
    if outcome is not None:
        fresh = _results_frame(outcome)
        fresh = fresh.merge(rows[["tunniste", "fingerprint"]], on="tunniste", how="left")
    previous = run.load_state("import_results")
    combined = fresh if previous is None else pd.concat(
        [previous[~previous["tunniste"].isin(fresh["tunniste"])], fresh], ignore_index=True)
    combined = combined.reset_index(drop=True)
    run.save_state("import_results", combined)
    # this run's view: results of rows in this register only
    register = run.load_frame("register")
    results = combined[combined["tunniste"].isin(register["tunniste"])].reset_index(drop=True)
    run.save_frame("results", results)
    step = ImportStep(sent=rows, results=results, outcome=outcome, skipped=skipped, held=held,
                      language=resolve_language(language))
    tuonti_ids = [int(t) for t in outcome.tuonti_ids] if outcome is not None else []
    run.write_facts("import", {
        "rows_sent": len(rows), "rows_skipped": skipped, "tuonti_ids": tuonti_ids,
        **{k: int(v) for k, v in step.counts().items()},
    })
    return step
