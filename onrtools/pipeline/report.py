"""``index.html`` of a run: one screen that says what happened and links everything.

Built only from ``run.json`` (steps) and ``facts.json`` (counts the steps recorded), so it holds
no personal data by construction: counts, file names, tuonti ids, status.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any

from onrtools.pipeline.rundir import RunDir
from onrtools.reconcile import CATEGORIES

STATUS_COLOURS = {"ok": "#1a7f37", "skipped": "#1a7f37", "failed": "#cf222e",
                  "not run": "#6e7781", "pending": "#6e7781", "running": "#9a6700"}
STEP_TITLES = {
    "10-validate-register": "Validate the local register against ONR's import rules",
    "20-import-tuonti": "Import the valid rows into ONR (PUT /oppija), follow to the end",
    "30-reconcile": "Reconcile: the register against what ONR says now",
    "40-change-feed": "Change feed: what changed in ONR since the last run",
    "50-duplicates": "Duplicates: suspected duplicate people",
    "90-audit-report": "Audit: evidence ledger, KPIs and their trend",
}
CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:1.5rem auto;max-width:70rem;
color:#1f2328;padding:0 1rem}
h1{font-size:1.4rem;margin:0 0 .3rem}h2{font-size:1.05rem;margin:1.2rem 0 .4rem}
table{border-collapse:collapse;font-size:.9rem}td,th{padding:.25rem .6rem;text-align:left;
border-bottom:1px solid #d0d7de}th{background:#f6f8fa}td.n{text-align:right}
.badge{color:#fff;border-radius:.6rem;padding:.05rem .5rem;font-size:.8rem}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:0 2rem}.muted{color:#6e7781}
.err{color:#cf222e;font-size:.85rem}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _badge(status: str) -> str:
    colour = STATUS_COLOURS.get(status, "#6e7781")
    label = "done earlier" if status == "skipped" else status
    return f'<span class="badge" style="background:{colour}">{_e(label)}</span>'


def _link(report_dir: Path, rel: str | None, text: str) -> str:
    if not rel or not (report_dir / rel).is_file():
        return f'<span class="muted">{_e(text)}</span>'
    return f'<a href="{_e(rel)}">{_e(text)}</a>'


def _steps_table(report_dir: Path, steps: list[dict[str, Any]]) -> str:
    rows = []
    for s in steps:
        duration = f"{s['duration_s']:.1f} s" if s.get("duration_s") is not None else ""
        error = f'<div class="err">{_e(s["error"])}</div>' if s.get("error") else ""
        rows.append(
            f"<tr><td>{_badge(s['status'])}</td><td>{_e(s['name'])}<div class=muted>"
            f"{_e(STEP_TITLES.get(s['name'], ''))}</div>{error}</td><td class=n>{duration}</td>"
            f"<td>{_link(report_dir, s.get('html'), 'report')} · "
            f"{_link(report_dir, s.get('notebook'), 'notebook')}</td></tr>")
    return ("<table><tr><th>status</th><th>step</th><th>time</th><th>open</th></tr>"
            + "".join(rows) + "</table>")


def _number(value: Any) -> Any:
    """12.0 → 12, 0.96875 → 0.969; anything else as it is."""
    if isinstance(value, float) and value == value:
        return int(value) if value.is_integer() else round(value, 3)
    return value


def _kv(rows: list[tuple[str, Any]]) -> str:
    body = "".join(f"<tr><td>{_e(k)}</td><td class=n>{_e(_number(v))}</td></tr>"
                   for k, v in rows if v is not None)
    return f"<table>{body}</table>" if body else '<p class="muted">not run</p>'


def _actions_table(report_dir: Path, counts: dict[str, int], folder: str) -> str:
    if not counts:
        return '<p class="muted">not run</p>'
    rows = []
    for c in CATEGORIES:
        n = int(counts.get(c.code, 0))
        rel = f"{folder}/{c.code}.csv"
        name = _link(report_dir, rel, c.title) if n else _e(c.title)
        style = "" if n else ' class="muted"'
        rows.append(f"<tr{style}><td>{name}<div class=muted>{_e(c.action)}</div></td>"
                    f"<td class=n>{n}</td></tr>")
    xlsx = _link(report_dir, f"{folder}/actions.xlsx", "all lists as one XLSX")
    return f"<table><tr><th>action list</th><th>rows</th></tr>{''.join(rows)}</table><p>{xlsx}</p>"


def render_index(report_dir: Path, run: dict[str, Any], facts: dict[str, Any]) -> str:
    """The page as a string."""
    steps = run.get("steps", [])
    ok = run.get("status") == "ok"
    failed = [s["name"] for s in steps if s["status"] == "failed"]
    headline = ("All steps succeeded." if ok else
                f"Failed at {', '.join(failed)}." if failed else f"Status: {run.get('status')}.")
    v, imp = facts.get("validate", {}), facts.get("import", {})
    rec, ch = facts.get("reconcile", {}), facts.get("changes", {})
    dup, audit = facts.get("duplicates", {}), facts.get("audit", {})
    validation = _kv([
        ("register file", v.get("register_file")), ("rows read", v.get("rows_read")),
        ("rows valid (to send)", v.get("rows_to_send")),
        ("rows rejected", v.get("rows_rejected")),
        ("errors / warnings", f"{v['errors']} / {v['warnings']}" if "errors" in v else None),
    ])
    top_codes = sorted(v.get("by_code", {}).items(), key=lambda kv: -kv[1])[:6]
    codes = (_kv(top_codes) + _link(report_dir, "validation/problems.csv", "all problems (CSV)")
             if top_codes else "")
    importing = _kv([
        ("rows sent in this run", imp.get("rows_sent")),
        ("unchanged rows not sent again", imp.get("rows_skipped")),
        ("tuonti ids", ", ".join(map(str, imp.get("tuonti_ids", []))) or None),
        ("rows with an ONR result", imp.get("rows with an import result")),
        ("with oppijanumero", imp.get("with oppijanumero")),
        ("conflicts", imp.get("conflicts")),
    ])
    changes = _kv([("persons changed since the last run", ch.get("persons_changed")),
                   ("merged into another person", ch.get("merged"))])
    links, requests = facts.get("links", {}), facts.get("requests", {})
    duplicates = _kv([("people checked against ONR's candidates", dup.get("people_checked")),
                      ("ONR candidates", dup.get("onr_candidates")),
                      ("suspected pairs in the register", dup.get("register_pairs")),
                      ("ONR links checked / looking wrong",
                       f"{links['links_checked']} / {links['flagged']}"
                       if "links_checked" in links else None),
                      ("merge requests for OPH", requests.get("merge_requests")),
                      ("unlink requests for OPH", requests.get("unlink_requests"))])
    if requests:
        duplicates += (_link(report_dir, "requests/merge_request.xlsx", "merge requests (XLSX)")
                       + " · " + _link(report_dir, "requests/unlink_request.xlsx",
                                       "unlink requests (XLSX)"))
    kpis = audit.get("kpis", {})
    share = kpis.get("share_with_oppijanumero")
    auditing = _kv([
        ("evidence ledger", audit.get("ledger")),
        ("manifest entry", audit.get("manifest_seq")),
        ("runs in the ledger", audit.get("runs_in_ledger")),
        ("people with an oppijanumero",
         f"{share:.1%}" if isinstance(share, (int, float)) else None),
        ("waiting for identification", kpis.get("unidentified_open")),
        ("of them without hetu", kpis.get("hetuless_open")),
        ("row conflicts", kpis.get("conflicts")),
        ("validation errors", kpis.get("validation_errors")),
        ("duplicate pairs open", kpis.get("duplicates_open")),
    ])
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>onrtools run {_e(run.get('run_id'))}</title><style>{CSS}</style></head><body>
<h1>Run {_e(run.get('run_id'))} {_badge('ok' if ok else 'failed')}</h1>
<p>{_e(headline)} Started {_e(run.get('started_at'))}, finished {_e(run.get('finished_at'))}.
The local register was checked, sent to ONR, and compared with what ONR now says; each list
below is something to do in the local register or in ONR. Hetus are masked everywhere.</p>
<h2>Steps</h2>{_steps_table(report_dir, steps)}
<div class="grid"><div><h2>Register</h2>{validation}{codes}
<h2>Import</h2>{importing}</div>
<div><h2>Action lists (this run)</h2>{_actions_table(report_dir, rec.get('by_category', {}),
                                                     'actions')}</div></div>
<div class="grid"><div><h2>Change feed</h2>{changes}
{_link(report_dir, 'actions/changes/actions.xlsx', 'what the changes mean for us (XLSX)')}
<h2>Duplicates</h2>{duplicates}</div><div><h2>Audit</h2>{auditing}</div></div>
<p class="muted">Written by onrtools. Files: {_link(report_dir, 'run.json', 'run.json')} ·
{_link(report_dir, 'facts.json', 'facts.json')}</p>
</body></html>
"""


def write_index(run: RunDir, pipeline: dict[str, Any]) -> Path:
    """Write ``<report>/index.html`` (atomically) and return its path."""
    path = run.report_dir / "index.html"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(render_index(run.report_dir, pipeline, run.read_facts()), encoding="utf-8")
    os.replace(tmp, path)
    return path
