"""Step 90: finish the run's evidence, verify the ledger, this run's KPIs and their trend.

The notebooks run in separate kernels, so no step can hold the run's
:class:`~onrtools.evidence.EvidenceRecorder` for the others. Each step records its facts
(counts, tuonti ids, API call totals) in ``facts.json``; this step turns them into the run's
manifest: the register file (SHA-256, rows), the notebooks, every report file written so far
(SHA-256, re-checked by ``onr audit verify``), counts per validation code and action list, the
API calls, and the KPIs (:mod:`onrtools.evidence.kpi`). Files still being written while it runs
(``index.html``, ``run.json``, ``facts.json`` and this step's own notebook and page) are left
out. A run that fails before this step gets a ``failed`` manifest from the pipeline instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from onrtools.i18n import Messages, resolve_language
from onrtools.pipeline.rundir import RunDir, resolve
from onrtools.pipeline.step_common import onr_environment, run_environment, settings

if TYPE_CHECKING:
    from onrtools.evidence.verify import VerifyResult

# files the run is still writing while the audit step runs: never hashed into the manifest
_LIVE_FILES = ("index.html", "run.json", "facts.json", "90-audit-report.html",
               "notebooks/90-audit-report.ipynb")


@dataclass
class AuditStep:
    """What step 90 produced: the manifest, the ledger verification, KPIs and their trend."""

    manifest: dict[str, Any]
    verification: VerifyResult
    kpis: dict[str, float]
    trend: pd.DataFrame
    language: str = "fi"  # of the tables and the plot (fi, sv or en)

    def overview(self) -> pd.DataFrame:
        t = Messages(self.language)
        ok = bool(getattr(self.verification, "ok", False))
        return pd.DataFrame({t("steps.column.value"): {
            t("steps.audit.run"): self.manifest.get("run_id"),
            t("steps.audit.attempt"): self.manifest.get("attempt"),
            t("steps.audit.manifest"): self.manifest.get("seq"),
            t("steps.audit.inputs"): len(self.manifest.get("inputs", [])),
            t("steps.audit.outputs"): len(self.manifest.get("outputs", [])),
            t("steps.audit.tuonti_ids"): ", ".join(map(str, self.manifest.get("tuonti_ids", []))),
            t("steps.audit.api_calls"): self.manifest.get("api_calls_total"),
            t("steps.audit.verified"): t("steps.audit.yes") if ok
            else t("steps.audit.no", reason=self.verification),
            t("steps.audit.runs"): len(self.trend),
        }})

    def compare(self) -> pd.DataFrame:
        from onrtools.evidence.trend import compare_in_words

        return compare_in_words(self.trend, self.language)

    def plot_trends(self) -> Any:
        from onrtools.evidence.trend import plot_trends

        return plot_trends(self.trend, language=self.language)


def onr_now(facts: dict[str, Any]) -> datetime:
    """Now on ONR's clock: ours plus the offset the run's last ONR answer showed (its Date
    header, recorded per step as ``onr_clock_offset_s``); ours when no step talked to ONR.

    ONR's timestamps (a change's ``muokattu``) and the ages of open items are measured on it:
    against our clock a change made "later" on a server whose clock runs ahead gave a lag of
    -720 hours.
    """
    offsets = [facts.get(step, {}).get("onr_clock_offset_s")
               for step in ("duplicates", "reconcile", "import")]
    offset = next((float(o) for o in offsets if isinstance(o, int | float)), 0.0)
    return datetime.now(UTC) + timedelta(seconds=offset)


def _recorded_outputs(run: RunDir) -> list[Path]:
    live = {run.report_dir / rel for rel in _LIVE_FILES}
    return [p for p in sorted(run.report_dir.rglob("*"))
            if p.is_file() and p not in live and p.suffix != ".tmp"]


def finish_run(run: RunDir, *, environment: str = "", notebooks_dir: str = "notebooks",
               language: str | None = None) -> AuditStep:
    """Finish this run's evidence (manifest into the ledger), verify the ledger, KPIs + trend;
    the tables and plot of the result read in ``language`` (fi, sv or en; empty:
    ``ONR_LANGUAGE``, else fi)."""
    language = resolve_language(language)
    from onrtools.evidence import EvidenceRecorder, verify_ledger
    from onrtools.evidence.kpi import compute_kpis
    from onrtools.evidence.open_items import track_open_items
    from onrtools.evidence.trend import trend_frame

    facts = run.read_facts()
    state = run.report_dir / "run.json"
    parameters = (json.loads(state.read_text(encoding="utf-8")).get("parameters", {})
                  if state.is_file() else {})
    settings_ = None
    try:
        settings_ = settings()
    except Exception:  # noqa: BLE001 - evidence without ONR settings is still evidence
        settings_ = None
    if settings_ is not None:
        run_environment(run, settings_, confirm=environment)  # a parameter only confirms it
    env = onr_environment(settings_)[0] if settings_ is not None else environment
    evidence = EvidenceRecorder.for_run(
        run.run_id, run.workspace, parameters=parameters, environment=env,
        caller_id=getattr(settings_, "caller_id", None))
    validate_facts = facts.get("validate", {})
    register_path = validate_facts.get("register_path")
    if register_path and Path(register_path).is_file():
        evidence.add_input(register_path, rows=int(validate_facts.get("rows_read", 0)))
    for notebook in sorted(resolve(notebooks_dir).glob("[0-9][0-9]-*.ipynb")):
        evidence.add_notebook(notebook)
    for tid in facts.get("import", {}).get("tuonti_ids", []):
        evidence.add_tuonti(tid)
    for step, kind in (("validate", "by_code"), ("reconcile", "by_category"),
                       ("changes", "by_category")):
        counts = facts.get(step, {}).get(kind)
        if isinstance(counts, dict):
            evidence.add_counts(f"{step}.{kind}", counts)
    for step in ("import", "reconcile", "changes", "duplicates", "links"):
        evidence.add_api_calls(facts.get(step, {}).get("api_calls", []))
    for path in _recorded_outputs(run):
        evidence.add_output(path)
    for rel in facts.get("requests", {}).get("files", []):  # what OPH receives, by name
        if (run.report_dir / rel).is_file():
            evidence.add_request_package(run.report_dir / rel)

    actions = run.load_frame("actions", default=pd.DataFrame(columns=["category"]))
    now = onr_now(facts)
    items = track_open_items(run.workspace, actions, now=now)
    kpis = compute_kpis(
        now=now,
        people=None, actions=actions,
        imports=run.load_frame("results", default=pd.DataFrame()),
        validation=run.load_frame("problems", default=pd.DataFrame()),
        reviews=run.load_frame("reviews", default=pd.DataFrame(columns=["decision"])),
        changes=run.load_frame("feed", default=pd.DataFrame()),
        open_items=items,
    )
    evidence.add_kpis(kpis)
    manifest = evidence.finish("ok")
    verification = verify_ledger(run.workspace)
    trend = trend_frame(run.workspace)
    headline = {k: (None if v != v else round(float(v), 3)) for k, v in kpis.items()
                if "." not in k}
    run.write_facts("audit", {
        "manifest_seq": manifest.get("seq"),
        "ledger": "verified" if getattr(verification, "ok", False) else "BROKEN",
        "kpis": headline, "runs_in_ledger": len(trend),
    })
    return AuditStep(manifest, verification, kpis, trend, language)
