"""The notebooks' work, one function per pipeline step.

Each notebook is a parameters cell and a few calls into this module; everything a cell would
otherwise do with a loop or a path lives here, tested. A step reads what the earlier steps left
in the run's workspace directory (:class:`onrtools.rundir.RunDir`), writes what later steps
need, writes masked files for people into the report directory, and records its facts
(counts, tuonti ids, API call totals) in ``facts.json`` for the index page and the evidence.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from onrtools import display
from onrtools.i18n import Messages, resolve_language, translate
from onrtools.reconcile import (
    CATEGORIES,
    Reconciliation,
    apply_problems,
    combine_persons,
    persons_from_changes,
    persons_from_masters,
    reconcile,
)
from onrtools.register import COLUMNS
from onrtools.rundir import RunDir, resolve

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
SEND_COLUMNS = COLUMNS  # the register's ONR fields: rows stay flat until the request body


def open_run(run_id: str, workspace: str = "", reports_dir: str = "") -> RunDir:
    """The run's directories (created); relative paths hang off the project root.

    Empty ``workspace`` / ``reports_dir``: ``ONR_WORKSPACE`` / ``ONR_REPORTS_DIR``, else
    ``./workspace`` and ``./reports``.
    """
    workspace = workspace or os.environ.get("ONR_WORKSPACE") or "workspace"
    reports_dir = reports_dir or os.environ.get("ONR_REPORTS_DIR") or "reports"
    return RunDir.open(run_id, workspace=workspace, reports_dir=reports_dir)


def settings(base_url: str = "", **overrides: Any) -> Any:
    """ONR settings from the environment (``ONR_*``, ``.env``, ``.secrets``).

    ``base_url`` (a notebook parameter, never a secret) overrides ``ONR_BASE_URL`` when given.
    """
    from onrtools.config import Settings

    return Settings.from_env(base_url=base_url or None, **overrides)


def target_environment(settings_: Any) -> str:
    """Where the settings send rows: ``local`` (the simulator), ``untuva``, ``hahtuva``,
    ``testi`` or ``prod``. An ``ONR_BASE_URL`` on loopback is the simulator; any other URL
    without ``ONR_ENV`` is refused: the hetu guard must know whether it is production."""
    from onrtools.errors import ConfigError

    env = str(getattr(settings_, "env", "local"))
    if env != "custom":
        return env
    if str(getattr(settings_, "base_url", "")).startswith(("http://127.0.0.1", "http://localhost")):
        return "local"
    raise ConfigError("ONR_BASE_URL is not one of ONR's environments: set ONR_ENV (untuva, "
                      "hahtuva, testi or prod) so that the guard knows which data may go there")


def run_environment(run: RunDir, settings_: Any, *, confirm: str = "") -> str:
    """The run's target environment, decided once from the settings (``ONR_ENV`` /
    ``ONR_BASE_URL``) by the first step that asks, recorded in the run's facts, and the same
    for every later step: rows validated for a test environment never go to production, or
    the other way round (OPH: no real data in test, no test data in production).

    ``confirm`` (a notebook parameter) may only confirm it: a different value is refused, as
    are settings that changed between the steps of one run.
    """
    from onrtools.errors import ConfigError

    decided = target_environment(settings_)
    recorded = run.read_facts().get("run", {}).get("environment")
    if recorded and recorded != decided:
        raise ConfigError(f"this run was validated for {recorded!r}, but the settings now point "
                          f"to {decided!r} (ONR_ENV/ONR_BASE_URL changed during the run); "
                          "start a new run")
    wanted = confirm.strip().lower()
    if wanted and {"production": "prod", "tuotanto": "prod"}.get(wanted, wanted) != decided:
        raise ConfigError(f"target_env={confirm!r}, but the settings (ONR_ENV/ONR_BASE_URL) "
                          f"point to {decided!r}; the parameter may only confirm the settings. "
                          "Change ONR_ENV, or leave the parameter empty")
    if not recorded:
        run.write_facts("run", {"environment": decided})
    return decided


@contextmanager
def client_for(run: RunDir, step: str, settings_: Any) -> Iterator[Any]:
    """An OnrClient whose call summary lands in the step's facts when the block ends; the
    settings must point where the run's rows were validated for (:func:`run_environment`)."""
    from onrtools.client import OnrClient
    from onrtools.recorder import CallRecorder

    run_environment(run, settings_)
    recorder = CallRecorder()
    client = None
    try:
        with OnrClient.from_settings(settings_, recorder=recorder) as client:
            yield client
    finally:
        summary = recorder.summary()
        offset = client.onr_clock_offset if client is not None else None
        run.write_facts(step, {
            "api_calls": summary,
            "api_calls_total": sum(int(r["calls"]) for r in summary),
            "api_errors": sum(int(r["calls"]) for r in summary
                              if r["status"] is None or int(r["status"]) >= 400),
            **({"onr_clock_offset_s": round(offset, 1)} if offset is not None else {}),
        })


def _frame_of(value: Any) -> pd.DataFrame:
    """A DataFrame from a frame, an object with ``.frame``/``.df``, or records."""
    if isinstance(value, pd.DataFrame):
        return value
    for attr in ("frame", "df", "rows", "data"):
        inner = getattr(value, attr, None)
        if isinstance(inner, pd.DataFrame):
            return inner
    return pd.DataFrame(value)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- 10: validate ----------------------------------------------------------------------------

# Columns a local register may carry beyond ONR's row fields: what the local system stored
# last time (header, folded as register.header_key does → the name reconciliation uses).
# read_register sets them aside (ignored_columns); reconciliation needs them. A plain
# "oppijanumero" header means the person's OID to read_register, hence "stored_".
LOCAL_EXTRAS: dict[str, str] = {
    "storedoppijanumero": "oppijanumero",
    "storedyksiloity": "yksiloity",
    "organisaatio": "organisaatio",
    "organisation": "organisaatio",
}


def local_extras(raw: Any, path: Path) -> pd.DataFrame | None:
    """The register's ``stored_oppijanumero``/``stored_yksiloity``/``organisaatio`` columns
    (as ``oppijanumero``/``yksiloity``/``organisaatio``), keyed by ``row_number``."""
    from onrtools.register import header_key

    source = getattr(raw, "source", None)
    wanted = {LOCAL_EXTRAS[header_key(h)]: h for h in getattr(source, "ignored_columns", ())
              if header_key(h) in LOCAL_EXTRAS}
    if not wanted:
        return None
    if source.format == "xlsx":
        table = pd.read_excel(path, sheet_name=source.sheet or 0, dtype=str)
    else:
        table = pd.read_csv(path, sep=source.separator or ",", encoding=source.encoding or "utf-8",
                            dtype=str, keep_default_na=False)
    table.columns = [str(c).strip() for c in table.columns]
    extras = pd.DataFrame({key: table[header].fillna("").astype(str).str.strip()
                           for key, header in wanted.items() if header in table.columns})
    extras["row_number"] = range(2, len(table) + 2)  # header is line 1, as read_register counts
    return extras


def _with_extras(register: pd.DataFrame, extras: pd.DataFrame | None) -> pd.DataFrame:
    if extras is None or "row_number" not in register.columns:
        return register
    keep = [c for c in extras.columns if c != "row_number" and c not in register.columns]
    return register.merge(extras[["row_number", *keep]], on="row_number", how="left")



@dataclass
class ValidationStep:
    """What step 10 produced: the validation result and the files written for people."""

    result: Any
    register: pd.DataFrame
    problems: pd.DataFrame
    to_send: pd.DataFrame
    files: list[Path] = field(default_factory=list)
    language: str = "fi"

    def overview(self) -> pd.DataFrame:
        """Rows read, to send, rejected; errors and warnings (labels in the step's language)."""
        t = Messages(self.language)
        sev = self.problems["severity"].value_counts() if len(self.problems) else {}
        return pd.DataFrame({t("steps.column.count"): {
            t("steps.validate.rows_read"): len(self.register),
            t("steps.validate.rows_valid"): len(self.to_send),
            t("steps.validate.rows_rejected"): len(self.register) - len(self.to_send),
            t("steps.validate.errors"): int(sev.get("error", 0)),
            t("steps.validate.warnings"): int(sev.get("warning", 0)),
        }})

    def counts(self) -> pd.DataFrame:
        """Problems per code and severity."""
        if self.problems.empty:
            return pd.DataFrame(columns=["code", "severity", "rows"])
        return (self.problems.groupby(["code", "severity"]).size().rename("rows")
                .reset_index().sort_values("rows", ascending=False, ignore_index=True))

    def counts_table(self) -> pd.DataFrame:
        """:meth:`counts` for the page: the column headers in the step's language (the codes
        and severities stay as ONR and the files name them)."""
        t = Messages(self.language)
        return self.counts().rename(columns={"code": t("steps.column.code"),
                                             "severity": t("steps.column.severity"),
                                             "rows": t("reconcile.column.rows")})


def validate(
    run: RunDir, register_file: str, *, sheet: str | None = None, target_env: str = "",
    override_reason: str | None = None, language: str | None = None, api: str = "oppija",
    strict: bool = False, columns: str | dict[str, str] | None = None,
) -> ValidationStep:
    """Read and validate the register; keep the rows to send and the problems for later steps.

    ``api`` names the import API whose rules apply; ``strict`` makes the two rules ONR does not
    enforce on ``PUT /oppija`` errors (see ``validation.validate_register``); ``columns`` maps
    file headers the reader does not know to ONR fields (``{"Employee ID": "tunniste"}`` or
    ``"Employee ID=tunniste; Nro=oid"``); ``language`` (fi, sv or en; empty: ``ONR_LANGUAGE``,
    else fi) is that of the messages and the overview."""
    from onrtools.register import column_mapping, read_register
    from onrtools.validation import validate_register

    language = resolve_language(language)
    target = run_environment(run, settings(), confirm=target_env)
    path = resolve(register_file)
    raw = read_register(path, sheet=sheet or None, columns=column_mapping(columns),
                        language=language)
    result = validate_register(raw, target_env=target, override_reason=override_reason or None,
                               language=language, api=api, strict=strict)
    register = _with_extras(_frame_of(raw), local_extras(raw, path))
    problems = _frame_of(result.problems)
    # flat, one column per ONR field, up to the request body (onrtools.tuonti_row builds it)
    to_send = result.valid_rows[list(SEND_COLUMNS)].reset_index(drop=True)
    run.save_frame("register", register)
    run.save_frame("problems", problems)
    run.save_frame("to_send", to_send)
    files = [
        display.write_csv(problems, run.report_dir / "validation" / "problems.csv"),
        display.write_xlsx({"problems": problems}, run.report_dir / "validation" / "problems.xlsx"),
    ]
    step = ValidationStep(result, register, problems, to_send, files, language)
    severities = problems["severity"].value_counts().to_dict() if len(problems) else {}
    run.write_facts("validate", {
        "register_file": path.name, "register_sha256": _sha256(path),
        "register_path": str(path),
        "rows_read": len(register), "rows_to_send": len(to_send),
        "rows_rejected": len(register) - len(to_send),
        "errors": int(severities.get("error", 0)), "warnings": int(severities.get("warning", 0)),
        "by_code": step.counts().groupby("code")["rows"].sum().to_dict() if len(problems) else {},
    })
    return step


# --- 20: import ------------------------------------------------------------------------------


def row_fingerprint(rows: pd.DataFrame) -> pd.Series:
    """A short hash of each row's sendable fields: a changed row is sent again."""
    cols = [c for c in SEND_COLUMNS if c in rows.columns]
    if rows.empty:
        return pd.Series([], index=rows.index, dtype=object)
    text = rows[cols].astype("object").where(rows[cols].notna(), "").astype(str).agg("\x1f".join,
                                                                                     axis=1)
    return text.map(lambda t: hashlib.sha256(t.encode()).hexdigest()[:16])


@dataclass
class ImportStep:
    """What step 20 produced: the rows sent now, every known result, the ONR outcome."""

    sent: pd.DataFrame
    results: pd.DataFrame
    outcome: Any = None
    skipped: int = 0
    held: pd.DataFrame | None = None  # hetu-less rows the pre-import check kept back, and why
    language: str = "fi"

    def batches(self) -> pd.DataFrame:
        """One row per batch: rows, tuonti id, state, sends, restarts."""
        frame = getattr(self.outcome, "summary_frame", None)
        return frame() if callable(frame) else pd.DataFrame()

    def refused(self) -> pd.DataFrame:
        """Rows left out before sending because they break the yleistunniste rules: row,
        tunniste, field, code, message (never the value)."""
        rows = getattr(self.outcome, "refused", None) or []
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


def _results_frame(outcome: Any) -> pd.DataFrame:
    results = _frame_of(getattr(outcome, "results", outcome))
    if "tunniste" not in results.columns:
        results = results.reset_index().rename(columns={"index": "tunniste"})
    for c in RESULT_COLUMNS:
        if c not in results.columns:
            results[c] = None
    return results


HELD_COLUMNS = ("tunniste", "action", "proposed_oid", "probability", "candidates", "explanation")


def hold_possible_duplicates(client: Any, rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(rows to send, rows held back)``: the pre-import check for people without a hetu.

    A hetu-less row becomes a new person in ONR unless its OID, passport or e-mail matches, so
    a person already in ONR under another identifier would be created twice. Before such a row
    (no hetu, no OID) is sent, ONR's own criteria search (``GET /henkilo/duplikaatit``) and our
    matcher decide: a confident match is held back with the existing OID proposed, a possible
    match waits for review, no match is sent (onrtools.preimport).
    """
    from onrtools.preimport import check_hetuless_rows

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
    run: RunDir, settings_: Any, *, batch_size: int = 5000, only_new: bool = True,
    progress: bool = True, poll_interval: float = 2.0, check_hetuless: bool = True,
    api: Literal["oppija", "yleistunniste"] = "oppija", language: str | None = None,
) -> ImportStep:
    """Send the validated rows in batches (resumable: the client keeps a journal) and keep the
    results per tunniste, merged with earlier runs' results. With ``check_hetuless`` rows
    without a hetu that look like a person already in ONR are held back, not sent.
    ``api="yleistunniste"`` sends ``PUT /yleistunniste``; rows breaking that API's rules are
    left out and listed in ``ImportStep.outcome.refused``."""
    from onrtools.batch_import import import_register

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
    tuonti_ids = [int(t) for t in _tuonti_ids(outcome)]
    run.write_facts("import", {
        "rows_sent": len(rows), "rows_skipped": skipped, "tuonti_ids": tuonti_ids,
        **{k: int(v) for k, v in step.counts().items()},
    })
    return step


def _tuonti_ids(outcome: Any) -> list[Any]:
    if outcome is None:
        return []
    for attr in ("tuonti_ids", "tuontis", "batches"):
        value = getattr(outcome, attr, None)
        if value is None:
            continue
        if isinstance(value, pd.DataFrame):
            col = "tuonti_id" if "tuonti_id" in value else None
            return list(value[col].dropna()) if col else []
        out = []
        for item in value:
            tid = item if isinstance(item, (int, str)) else getattr(item, "tuonti_id", None)
            if tid is None and isinstance(item, dict):
                tid = item.get("tuonti_id")
            if tid is not None:
                out.append(tid)
        return out
    return []


# --- 30: reconcile ---------------------------------------------------------------------------


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


def refresh_onr_view(run: RunDir, client: Any, *, count: int = 10000) -> OnrView:
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
    from onrtools.changes import Watermark, iter_changes, watermark_path

    # both cursors are changes.Watermark files: the workspace's, in the one watermark store,
    # and the one this run started from, in the run's own data
    store = watermark_path(run.workspace, VIEW_STATE)
    start_file = run.data_dir / f"{VIEW_STATE}-start.json"
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


def onr_environment(settings_: Any) -> tuple[str, str]:
    """``(environment name for links, base URL)``; ``local`` is the simulator."""
    env = str(getattr(settings_, "env", "local"))
    base = str(getattr(settings_, "base_url", ""))
    return ("simulator" if env == "local" else env), base


def reconcile_run(run: RunDir, settings_: Any, *, show_hetu: bool = False,
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


# --- 40: change feed -------------------------------------------------------------------------


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


def environment_of(settings_: Any) -> dict[str, str]:
    """``{"environment": ..., "base_url": ...}`` for links to persons' pages."""
    environment, base_url = onr_environment(settings_)
    return {"environment": environment, "base_url": base_url}


# --- 50: duplicates --------------------------------------------------------------------------


def onr_duplicate_candidates(
    run: RunDir, settings_: Any, *, max_people: int = 200,
    categories: tuple[str, ...] = ("manual_identification",),
) -> pd.DataFrame:
    """ONR's own duplicate candidates (``/henkilo/duplikaatit``) for our people that need them.

    Asked for the people in ``categories`` of this run's action lists (at most ``max_people``,
    one request each, several at a time); one row per (our row, candidate) with the candidate's
    OID and names.
    """
    actions = run.load_frame("actions", default=pd.DataFrame(columns=["category"]))
    people = actions[actions["category"].isin(categories)].drop_duplicates("tunniste")
    people = people.head(max_people)
    from onrtools.errors import ApiError

    asked: list[tuple[dict[str, Any], dict[str, str], str]] = []
    for rec in people.to_dict("records"):
        names = {n: str(rec.get(f"local_{n}") or "") for n in
                 ("etunimet", "kutsumanimi", "sukunimi")}
        if all(names.values()):
            birth = str(rec.get("local_syntymaaika") or "")
            asked.append((rec, names, birth))
    with client_for(run, "duplicates", settings_) as client:
        answers = client.duplikaatit_many([
            {**names, "syntymaaika": birth if ISO_DATE.fullmatch(birth) else None}  # yyyy-MM-dd
            for _, names, birth in asked])
    rows: list[dict[str, Any]] = []
    refused = 0
    for (rec, names, birth), found in zip(asked, answers, strict=True):
        if isinstance(found, ApiError):  # one person's search refused: the others still count
            refused += 1
            continue
        for cand in found:
            c = cand.model_dump() if hasattr(cand, "model_dump") else dict(cand)
            if c.get("oidHenkilo") == rec.get("oid"):
                continue
            rows.append({
                "tunniste": rec["tunniste"], "oid": rec.get("oid"),
                "candidate_oid": c.get("oidHenkilo"),
                "candidate_hetu": c.get("hetu"), "candidate_etunimet": c.get("etunimet"),
                "candidate_sukunimi": c.get("sukunimi"),
                "candidate_syntymaaika": c.get("syntymaaika"),
                "candidate_yksiloity": bool(c.get("yksiloity")),
                "local_etunimet": names["etunimet"], "local_sukunimi": names["sukunimi"],
                "local_syntymaaika": birth,
            })
    cols = ["tunniste", "oid", "candidate_oid", "candidate_hetu", "candidate_etunimet",
            "candidate_sukunimi", "candidate_syntymaaika", "candidate_yksiloity",
            "local_etunimet", "local_sukunimi", "local_syntymaaika"]
    frame = pd.DataFrame(rows, columns=cols)
    run.save_frame("onr_duplicates", frame)
    display.write_csv(frame, run.report_dir / "duplicates" / "onr_candidates.csv")
    run.write_facts("duplicates", {"people_checked": len(people),
                                   "onr_candidates": len(frame), "searches_refused": refused})
    return frame


def find_register_duplicates(run: RunDir, **options: Any) -> pd.DataFrame:
    """Suspected duplicates inside the local register (onrtools.matching), saved for review."""
    from onrtools.matching import find_duplicates

    register = run.load_frame("register")
    # the matcher keys records by tunniste: rows without one, or repeating one, are already
    # validation errors (tunniste.required / tunniste.duplicate) and stay out
    tunniste = register["tunniste"].astype("object").where(register["tunniste"].notna(), "")
    register = register[tunniste.astype(str).str.strip() != ""].drop_duplicates("tunniste")
    pairs = _frame_of(find_duplicates(register.reset_index(drop=True), **options))
    run.save_frame("register_duplicates", pairs)
    display.write_csv(pairs, run.report_dir / "duplicates" / "register_pairs.csv")
    decisions = pairs["decision"].value_counts().to_dict() if "decision" in pairs else {}
    run.write_facts("duplicates", {"register_pairs": len(pairs),
                                   "by_decision": {str(k): int(v) for k, v in decisions.items()}})
    return pairs


# --- shared views ----------------------------------------------------------------------------


def category_titles(language: str | None = None) -> pd.DataFrame:
    """Every action list: code, title and what to do (the legend of the reports), in
    ``language`` (fi, sv or en; empty: ``ONR_LANGUAGE``, else fi)."""
    t = Messages(language)
    return pd.DataFrame([{t("reconcile.column.category"): c.code,
                          t("reconcile.column.title"): c.title(t.language),
                          t("reconcile.column.action"): c.action(t.language)}
                         for c in CATEGORIES])


def register_duplicates(run: RunDir, *, enabled: bool = True) -> pd.DataFrame:
    """Suspected duplicate pairs inside the register (empty frame when ``enabled`` is False)."""
    if not enabled:
        run.write_facts("duplicates", {"register_pairs": None})
        return pd.DataFrame(columns=["tunniste_l", "tunniste_r", "probability", "decision"])
    return find_register_duplicates(run)


def review(run: RunDir, pairs: pd.DataFrame, *, interactive: bool = True,
           reviewer: str = "", language: str | None = None) -> Any:
    """Pair-by-pair review (decisions saved at once in the workspace) when interactive;
    otherwise the decisions taken so far, per decision. Either way the decisions are kept
    for the KPIs (open and decided duplicates)."""
    import getpass

    from onrtools.review import ReviewSession

    name = reviewer or getpass.getuser()
    if not len(pairs):
        pairs = pd.DataFrame(columns=["tunniste_l", "tunniste_r", "probability"])
    session = ReviewSession(run.workspace, pairs, run.load_frame("register"), reviewer=name,
                            language=language)
    decisions = session.decisions()
    run.save_frame("reviews", decisions.rename(columns={"review_decision": "decision"}))
    counts = decisions["review_decision"].replace("", "open").value_counts()
    run.write_facts("duplicates", {"review": {str(k): int(v) for k, v in counts.items()}})
    if interactive and len(pairs):
        return session.widget()
    return counts.rename_axis(translate("steps.column.decision", language)).rename(
        translate("steps.column.pairs", language)).to_frame()


# --- 50: links that look wrong, and the request packages for OPH -----------------------------

LINK_PERSON_FIELDS = ("oid", "hetu", "etunimet", "kutsumanimi", "sukunimi", "syntymaaika",
                      "sukupuoli")


def link_candidates(run: RunDir, *, threshold: float = 0.5) -> pd.DataFrame:
    """Links ONR holds for our people whose evidence says "two people".

    For every person of ours that ONR has linked under a master (step 30's reads), our
    register row (what we know of the person) is compared with the master as ONR has it, by
    the matcher (:func:`onrtools.matching.unlink_candidates`): different birth dates, sexes,
    names far apart, or a low probability flag the link. No extra ONR call is needed, so an
    import user's rights suffice. Returns ``masterOid``, ``henkiloOid``, ``probability``,
    ``reason`` and ``explanation``; both sides' rows are kept for the review and the package.
    """
    from onrtools.matching import unlink_candidates

    persons = run.load_frame("persons", default=pd.DataFrame(columns=["oid", "master_oid"]))
    linked = persons[persons["master_oid"].notna()
                     & (persons["master_oid"].astype(str) != persons["oid"].astype(str))]
    ours = _register_with_oids(run)
    ours = ours[ours["oid"].notna()].drop_duplicates("oid", keep="last")
    linked = linked[linked["oid"].astype(str).isin(set(ours["oid"].astype(str)))]
    links = pd.DataFrame({"masterOid": linked["master_oid"].astype(str),
                          "henkiloOid": linked["oid"].astype(str)}).drop_duplicates()
    fields = [f for f in LINK_PERSON_FIELDS if f != "oid"]
    masters = pd.DataFrame({"oid": linked["master_oid"].astype(str),
                            **{f: linked[f] for f in fields if f in linked}})
    slaves = ours.assign(oid=ours["oid"].astype(str))[
        ["oid", *[f for f in fields if f in ours]]]
    slaves = slaves[slaves["oid"].isin(set(links["henkiloOid"]))]
    people = pd.concat([masters, slaves], ignore_index=True).drop_duplicates("oid")
    if len(links):
        flagged = unlink_candidates(links, people, threshold=threshold)
    else:
        flagged = pd.DataFrame(columns=["masterOid", "henkiloOid", "probability", "reason"])
    if "explanation" not in flagged:
        flagged["explanation"] = ""
    run.save_frame("link_persons", people)
    run.save_frame("link_candidates", flagged)
    shown = ["masterOid", "henkiloOid", "probability", "reason", "explanation"]
    display.write_csv(flagged[shown], run.report_dir / "duplicates" / "unlink_candidates.csv")
    run.write_facts("links", {"links_checked": len(links), "flagged": len(flagged)})
    return flagged[shown]


def _register_with_oids(run: RunDir) -> pd.DataFrame:
    """The register's rows (one per tunniste) with the OID each row's import got (step 20),
    else the register's own ``oid``."""
    register = run.load_frame("register", default=pd.DataFrame(columns=["tunniste"]))
    results = run.load_frame("results", default=pd.DataFrame(columns=["tunniste", "oid"]))
    records = register.drop_duplicates("tunniste").copy()
    imported = results.dropna(subset=["oid"]).drop_duplicates("tunniste", keep="last")
    got = records["tunniste"].map(imported.set_index("tunniste")["oid"])
    own = records["oid"] if "oid" in records else pd.Series(None, index=records.index)
    records["oid"] = got.where(got.notna(), own)
    return records


def review_links(run: RunDir, flagged: pd.DataFrame, *, interactive: bool = True,
                 reviewer: str = "", language: str | None = None) -> Any:
    """The same pair-by-pair review for flagged links: "different" means the link is wrong
    (an unlink request), "same" that it stands. Decisions are saved at once, like pairs'."""
    import getpass

    from onrtools.review import ReviewSession

    people = run.load_frame("link_persons", default=pd.DataFrame(columns=["oid"]))
    pairs = flagged.rename(columns={"masterOid": "tunniste_l", "henkiloOid": "tunniste_r"})
    if not len(pairs):
        pairs = pd.DataFrame(columns=["tunniste_l", "tunniste_r", "probability"])
    session = ReviewSession(run.workspace, pairs, people.assign(tunniste=people["oid"]),
                            reviewer=reviewer or getpass.getuser(), language=language)
    decisions = session.decisions()
    counts = decisions["review_decision"].replace("", "open").value_counts()
    run.write_facts("links", {"review": {str(k): int(v) for k, v in counts.items()}})
    if interactive and len(pairs):
        return session.widget()
    return counts.rename_axis(translate("steps.column.decision", language)).rename(
        translate("steps.column.links", language)).to_frame()


def pairs_side_by_side(run: RunDir, pairs: pd.DataFrame, *,
                       show_hetu: bool = False, language: str | None = None) -> pd.DataFrame:
    """The register's suspected pairs for the report: both register rows side by side,
    differing fields highlighted, hetu masked unless ``show_hetu``, each pair with the
    matcher's verdict and the reviewer's latest decision ("open" when undecided)."""
    from onrtools.review import ReviewStore, side_by_side, with_decisions

    if not len(pairs):
        pairs = pd.DataFrame(columns=["tunniste_l", "tunniste_r", "probability"])
    decided = with_decisions(ReviewStore.for_workspace(run.workspace), pairs)
    register = run.load_frame("register", default=pd.DataFrame(columns=["tunniste"]))
    # a page shows at most display.DATATABLE_MAX_ROWS pairs; the files hold every one
    return side_by_side(decided.head(display.DATATABLE_MAX_ROWS), register, show_hetu=show_hetu,
                        language=language)


def links_side_by_side(run: RunDir, flagged: pd.DataFrame, *,
                       show_hetu: bool = False, language: str | None = None) -> pd.DataFrame:
    """Flagged links for the report: the master as ONR has it beside our person, differing
    fields highlighted, hetu masked unless ``show_hetu``, with the latest review decision."""
    from onrtools.review import ReviewStore, side_by_side, with_decisions

    people = run.load_frame("link_persons", default=pd.DataFrame(columns=["oid"]))
    pairs = flagged.rename(columns={"masterOid": "tunniste_l", "henkiloOid": "tunniste_r"})
    if not len(pairs):
        pairs = pd.DataFrame(columns=["tunniste_l", "tunniste_r", "probability"])
    decided = with_decisions(ReviewStore.for_workspace(run.workspace), pairs)
    return side_by_side(decided.head(display.DATATABLE_MAX_ROWS),
                        people.assign(tunniste=people["oid"]),
                        fields=[f for f in LINK_PERSON_FIELDS if f != "oid"],
                        labels=(translate("review.label.master", language),
                                translate("review.label.ours", language)),
                        show_hetu=show_hetu, language=language)


def request_packages(run: RunDir, *, institution: str = "",
                     language: str | None = None) -> pd.DataFrame:
    """Merge requests (register pairs reviewed "same") and unlink requests (links reviewed
    "different") for OPH, as XLSX, CSV and a summary in ``<report>/requests/``.

    The merge package names OIDs: a register row's OID is the one its import got (step 20),
    else the register's own (:func:`_register_with_oids`). Returns one row per package with
    its request count and files (the headers, and the summaries, in ``language``: fi, sv
    or en).
    """
    from onrtools.request_packages import (
        merge_request_rows,
        unlink_request_rows,
        write_requests,
    )
    from onrtools.review import ReviewStore, with_decisions

    store = ReviewStore.for_workspace(run.workspace)
    # decisions are read now, from the store: a reviewer may have decided after the review cell
    reviews = with_decisions(store, run.load_frame("register_duplicates", default=(
        pd.DataFrame(columns=["tunniste_l", "tunniste_r", "explanation"]))))
    flagged = run.load_frame("link_candidates", default=pd.DataFrame(
        columns=["masterOid", "henkiloOid", "reason", "explanation"]))
    links = with_decisions(store, flagged.rename(
        columns={"masterOid": "tunniste_l", "henkiloOid": "tunniste_r"})).rename(
        columns={"tunniste_l": "masterOid", "tunniste_r": "henkiloOid"})
    people = run.load_frame("link_persons", default=pd.DataFrame(columns=["oid"]))
    out = run.report_dir / "requests"
    rows = []
    for kind, requests in (("merge", merge_request_rows(reviews, _register_with_oids(run))),
                           ("unlink", unlink_request_rows(links, people))):
        paths = write_requests(kind, requests, out, institution=institution, language=language)
        rows.append({"package": kind, "requests": len(requests),
                     **{k: p.relative_to(run.report_dir).as_posix() for k, p in paths.items()}})
    frame = pd.DataFrame(rows)
    run.write_facts("requests", {
        "merge_requests": int(frame.loc[0, "requests"]),
        "unlink_requests": int(frame.loc[1, "requests"]),
        "files": [f for r in rows for f in (r["xlsx"], r["csv"], r["summary"])],
    })
    t = Messages(language)
    return frame.rename(columns={c: t(f"steps.column.{c}")
                                 for c in ("package", "requests", "summary")})
