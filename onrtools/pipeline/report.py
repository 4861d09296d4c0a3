"""``index.html`` of a run: one screen that says what happened and links everything.

Built only from ``run.json`` (steps) and ``facts.json`` (counts the steps recorded), so it holds
no personal data by construction: counts, file names, tuonti ids, status. It reads in the run's
language (the ``language`` parameter ``run.json`` records; :mod:`onrtools.i18n`).
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any

from onrtools.evidence.kpi import KPIS
from onrtools.i18n import Messages, format_number
from onrtools.pipeline.rundir import RunDir
from onrtools.reconcile import CATEGORIES

STATUS_COLOURS = {"ok": "#1a7f37", "skipped": "#1a7f37", "failed": "#cf222e",
                  "not run": "#6e7781", "pending": "#6e7781", "running": "#9a6700"}
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


def _badge(status: str, t: Messages) -> str:
    colour = STATUS_COLOURS.get(status, "#6e7781")
    label = t.get(f"index.status.{status}", status)
    return f'<span class="badge" style="background:{colour}">{_e(label)}</span>'


def _link(report_dir: Path, rel: str | None, text: str) -> str:
    if not rel or not (report_dir / rel).is_file():
        return f'<span class="muted">{_e(text)}</span>'
    return f'<a href="{_e(rel)}">{_e(text)}</a>'


def _steps_table(report_dir: Path, steps: list[dict[str, Any]], t: Messages) -> str:
    rows = []
    for s in steps:
        duration = (f"{format_number(s['duration_s'], t.language, decimals=1)} s"
                    if s.get("duration_s") is not None else "")
        error = f'<div class="err">{_e(s["error"])}</div>' if s.get("error") else ""
        rows.append(
            f"<tr><td>{_badge(s['status'], t)}</td><td>{_e(s['name'])}<div class=muted>"
            f"{_e(t.get('index.step.' + s['name'], ''))}</div>"
            f"{error}</td><td class=n>{duration}</td>"
            f"<td>{_link(report_dir, s.get('html'), t('index.report'))} · "
            f"{_link(report_dir, s.get('notebook'), t('index.notebook'))}</td></tr>")
    head = "".join(f"<th>{_e(t(f'index.col.{c}'))}</th>" for c in ("status", "step", "time",
                                                                  "open"))
    return f"<table><tr>{head}</tr>" + "".join(rows) + "</table>"


def _number(value: Any, language: str = "en") -> Any:
    """A count or measure as ``language`` writes it: 10000 → ``10 000`` (fi, sv) or ``10,000``
    (en), 0.96875 → ``0,969``; anything else (a file name, a text) as it is."""
    from babel.numbers import format_decimal

    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return value
    return format_decimal(round(value, 3), format="#,##0.###", locale=language)


def _pair(first: Any, second: Any, language: str) -> str:
    """``150 / 200``, each number as ``language`` writes it."""
    return f"{_number(first, language)} / {_number(second, language)}"


def _kv(rows: list[tuple[str, Any]], t: Messages) -> str:
    body = "".join(f"<tr><td>{_e(k)}</td><td class=n>{_e(_number(v, t.language))}</td></tr>"
                   for k, v in rows if v is not None)
    return f"<table>{body}</table>" if body else f'<p class="muted">{_e(t("index.not_run"))}</p>'


def _actions_table(report_dir: Path, counts: dict[str, int], folder: str, t: Messages) -> str:
    if not counts:
        return f'<p class="muted">{_e(t("index.not_run"))}</p>'
    rows = []
    for c in CATEGORIES:
        n = int(counts.get(c.code, 0))
        rel = f"{folder}/{c.code}.csv"
        title = c.title(t.language)
        name = _link(report_dir, rel, title) if n else _e(title)
        style = "" if n else ' class="muted"'
        rows.append(f"<tr{style}><td>{name}<div class=muted>{_e(c.action(t.language))}</div>"
                    f"</td><td class=n>{_e(_number(n, t.language))}</td></tr>")
    xlsx = _link(report_dir, f"{folder}/actions.xlsx", t("index.all_lists"))
    return (f"<table><tr><th>{_e(t('index.col.list'))}</th><th>{_e(t('index.col.rows'))}</th>"
            f"</tr>{''.join(rows)}</table><p>{xlsx}</p>")


def render_index(report_dir: Path, run: dict[str, Any], facts: dict[str, Any]) -> str:
    """The page as a string, in the run's language (``run["parameters"]["language"]``; else
    ``ONR_LANGUAGE``, else fi)."""
    t = Messages(str((run.get("parameters") or {}).get("language") or "") or None)
    steps = run.get("steps", [])
    ok = run.get("status") == "ok"
    failed = [s["name"] for s in steps if s["status"] == "failed"]
    headline = (t("index.all_ok") if ok else
                t("index.failed_at", steps=", ".join(failed)) if failed
                else t("index.status", status=run.get("status")))
    v, imp = facts.get("validate", {}), facts.get("import", {})
    rec, ch = facts.get("reconcile", {}), facts.get("changes", {})
    dup, audit = facts.get("duplicates", {}), facts.get("audit", {})
    validation = _kv([
        (t("index.register_file"), v.get("register_file")),
        (t("index.rows_read"), v.get("rows_read")),
        (t("index.rows_valid"), v.get("rows_to_send")),
        (t("index.rows_rejected"), v.get("rows_rejected")),
        (t("index.errors_warnings"),
         _pair(v["errors"], v["warnings"], t.language) if "errors" in v else None),
    ], t)
    top_codes = sorted(v.get("by_code", {}).items(), key=lambda kv: -kv[1])[:6]
    codes = (_kv(top_codes, t)
             + _link(report_dir, "validation/problems.csv", t("index.all_problems"))
             if top_codes else "")
    importing = _kv([
        (t("index.rows_sent"), imp.get("rows_sent")),
        (t("index.rows_skipped"), imp.get("rows_skipped")),
        (t("index.tuonti_ids"), ", ".join(map(str, imp.get("tuonti_ids", []))) or None),
        (t("index.with_result"), imp.get("rows with an import result")),
        (t("index.with_oppijanumero"), imp.get("with oppijanumero")),
        (t("index.conflicts"), imp.get("conflicts")),
    ], t)
    changes = _kv([(t("index.persons_changed"), ch.get("persons_changed")),
                   (t("index.merged"), ch.get("merged"))], t)
    links, requests = facts.get("links", {}), facts.get("requests", {})
    duplicates = _kv([(t("index.people_checked"), dup.get("people_checked")),
                      (t("index.onr_candidates"), dup.get("onr_candidates")),
                      (t("index.register_pairs"), dup.get("register_pairs")),
                      (t("index.links"),
                       _pair(links["links_checked"], links["flagged"], t.language)
                       if "links_checked" in links else None),
                      (t("index.merge_requests"), requests.get("merge_requests")),
                      (t("index.unlink_requests"), requests.get("unlink_requests"))], t)
    if requests:
        duplicates += (_link(report_dir, "requests/merge_request.xlsx", t("index.merge_xlsx"))
                       + " · " + _link(report_dir, "requests/unlink_request.xlsx",
                                       t("index.unlink_xlsx")))
    kpis = audit.get("kpis", {})
    share = kpis.get("share_with_oppijanumero")
    auditing = _kv([
        (t("index.ledger"),  # facts.json keeps the code (verified, BROKEN); the page says it
         t.get(f"index.ledger.{str(audit['ledger']).lower()}", str(audit["ledger"]))
         if audit.get("ledger") else None),
        (t("index.manifest"), audit.get("manifest_seq")),
        (t("index.runs"), audit.get("runs_in_ledger")),
        (t("index.share"),
         KPIS["share_with_oppijanumero"].format(share, language=t.language)
         if isinstance(share, (int, float)) else None),
        (t("index.unidentified"), kpis.get("unidentified_open")),
        (t("index.hetuless"), kpis.get("hetuless_open")),
        (t("index.row_conflicts"), kpis.get("conflicts")),
        (t("index.validation_errors"), kpis.get("validation_errors")),
        (t("index.duplicates_open"), kpis.get("duplicates_open")),
    ], t)
    run_id = run.get("run_id")
    return f"""<!doctype html><html lang="{t.language}"><head><meta charset="utf-8">
<title>{_e(t("index.title", run_id=run_id))}</title><style>{CSS}</style></head><body>
<h1>{_e(t("index.heading", run_id=run_id))} {_badge('ok' if ok else 'failed', t)}</h1>
<p>{_e(headline)} {_e(t("index.intro", started=run.get('started_at'),
                          finished=run.get('finished_at')))}</p>
<h2>{_e(t("index.steps"))}</h2>{_steps_table(report_dir, steps, t)}
<div class="grid"><div><h2>{_e(t("index.register"))}</h2>{validation}{codes}
<h2>{_e(t("index.import"))}</h2>{importing}</div>
<div><h2>{_e(t("index.actions"))}</h2>{_actions_table(report_dir, rec.get('by_category', {}),
                                                       'actions', t)}</div></div>
<div class="grid"><div><h2>{_e(t("index.changes"))}</h2>{changes}
{_link(report_dir, 'actions/changes/actions.xlsx', t("index.changes_xlsx"))}
<h2>{_e(t("index.duplicates"))}</h2>{duplicates}</div><div><h2>{_e(t("index.audit"))}</h2>
{auditing}</div></div>
<p class="muted">{_e(t("index.written_by"))} {_link(report_dir, 'run.json', 'run.json')} ·
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
