"""Reading the evidence back: manifests and a run's entries, as data and as text, and the
``onr audit`` command line (``verify``, ``show``, ``runs``, ``prune``) over them.

:mod:`.recorder` writes what a run did; this module only reads the ledger (and prunes it on
request).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from onrtools.evidence.store import Entry, Ledger
from onrtools.evidence.verify import verify_ledger

# --- reading ------------------------------------------------------------------------------


def read_manifests(workspace: Path | str = "workspace") -> list[dict[str, Any]]:
    """Every manifest in ledger order, each with ``seq`` and ``hash`` added."""
    return [
        {**e.record, "seq": e.seq, "hash": e.hash}
        for e in Ledger(workspace).entries()
        if e.kind == "manifest"
    ]


def run_entries(workspace: Path | str, run_id: str) -> list[Entry]:
    """Every entry of one run (run_started, events, manifests) in ledger order."""
    return [e for e in Ledger(workspace).entries() if e.record.get("run_id") == run_id]


def format_manifest(manifest: Mapping[str, Any], *, detail: Mapping[str, Any] | None = None) -> str:
    """A manifest as readable text (what ``onr audit show`` prints)."""
    m = manifest
    git = m.get("git") or {}
    commit = f"{git.get('commit', '')[:12]}{' (dirty)' if git.get('dirty') else ''}" or "-"
    out = [
        f"run {m.get('run_id')}  attempt {m.get('attempt')}  status {m.get('status')}"
        + (f"  error {m['error']}" if m.get("error") else ""),
        f"  ledger entry   seq {m.get('seq')}  hash {m.get('hash')}",
        f"  time (UTC)     {m.get('started_at')} -> {m.get('finished_at')} "
        f"({m.get('duration_s')} s)",
        f"  software       onrtools {m.get('package_version')}  git {commit}  "
        f"python {m.get('python')}  operator {m.get('operator')}",
        f"  ONR            environment {m.get('environment') or '-'}  "
        f"Caller-Id {m.get('caller_id') or '-'}",
    ]
    params = m.get("parameters") or {}
    if params:
        out.append("  parameters")
        out += [f"    {k} = {json.dumps(v, ensure_ascii=False)}" for k, v in sorted(params.items())]
    if m.get("parameters_dropped"):
        out.append(f"    (not recorded, secret-looking: {', '.join(m['parameters_dropped'])})")
    for title, key in (
        ("notebooks", "notebooks"),
        ("inputs", "inputs"),
        ("outputs", "outputs"),
        ("request packages", "request_packages"),
    ):
        items = m.get(key) or []
        if items:
            out.append(f"  {title}")
            for it in items:
                rows = f"  {it['rows']} rows" if "rows" in it else ""
                out.append(f"    {it.get('sha256', '')[:16]}  {it.get('path')}{rows}")
    if m.get("tuonti_ids"):
        out.append(f"  tuonti ids     {', '.join(map(str, m['tuonti_ids']))}")
    for kind, counts in sorted((m.get("counts") or {}).items()):
        out.append(f"  counts: {kind}")
        out += [f"    {k:<40} {v}" for k, v in sorted(counts.items())]
    if m.get("review_decisions"):
        out.append("  review decisions")
        out += [f"    {k:<40} {v}" for k, v in sorted(m["review_decisions"].items())]
    out.append(
        f"  API calls      {m.get('api_calls_total', 0)} "
        f"({m.get('api_errors', 0)} with status >= 400)  events {m.get('events', 0)}"
    )
    if m.get("kpis"):
        out.append("  KPIs")
        for k, v in sorted(m["kpis"].items()):
            shown = "n/a" if v is None else (f"{v:.4g}" if isinstance(v, float) else v)
            out.append(f"    {k:<40} {shown}")
    if detail is not None:
        calls = detail.get("api_calls") or []
        if calls:
            out.append("  API call summary (detail)")
            for row in calls:
                out.append("    " + "  ".join(f"{k}={row[k]}" for k in sorted(row)))
        for section, rows in sorted(detail.items()):
            if section != "api_calls" and rows:
                out.append(f"  {section} (detail): {len(rows)} rows")
    elif m.get("detail_sha256"):
        out.append("  detail         pruned (retention) - hash kept in the chain")
    return "\n".join(out)


# --- command line -------------------------------------------------------------------------


def _parse_anchor(text: str) -> tuple[int, str]:
    seq, _, digest = text.partition(":")
    if not seq.isdigit() or len(digest) != 64:
        raise argparse.ArgumentTypeError("anchor must be SEQ:HASH (64 hex digits)")
    return int(seq), digest.lower()


def main(argv: list[str] | None = None) -> int:
    """``onr audit verify|show|runs|prune``."""
    try:
        return _main(argv)
    except BrokenPipeError:  # `onr audit show RUN | head`: the reader left, not an error
        sys.stdout = open(os.devnull, "w")  # keeps the interpreter's exit quiet
        return 0


def _main(argv: list[str] | None) -> int:
    parser = argparse.ArgumentParser(prog="onr audit", description="the evidence ledger")
    sub = parser.add_subparsers(dest="command", required=True)
    verify = sub.add_parser("verify", help="recompute the chain and every output hash")
    show = sub.add_parser("show", help="print one run's manifest(s)")
    runs = sub.add_parser("runs", help="one line per run")
    prune = sub.add_parser("prune", help="delete details older than N days (chain kept)")
    for p in (verify, show, runs, prune):
        p.add_argument("--workspace", default="workspace", type=Path)
    verify.add_argument("--no-outputs", action="store_true", help="check the chain only")
    verify.add_argument(
        "--anchor",
        action="append",
        type=_parse_anchor,
        default=[],
        metavar="SEQ:HASH",
        help="a head hash written down earlier",
    )
    show.add_argument("run_id")
    show.add_argument("--json", action="store_true", help="raw JSON instead of text")
    prune.add_argument("--days", type=float, required=True)
    args = parser.parse_args(argv)

    if args.command == "verify":
        if not Ledger(args.workspace).path.is_file():
            print(f"onr audit: no ledger at {Ledger(args.workspace).path}", file=sys.stderr)
            return 1
        result = verify_ledger(
            args.workspace, check_outputs=not args.no_outputs, anchors=args.anchor
        )
        print(result.summary())
        return 0 if result.ok else 1
    if args.command == "show":
        ledger = Ledger(args.workspace)
        found = [e for e in ledger.entries() if e.record.get("run_id") == args.run_id]
        manifests = [e for e in found if e.kind == "manifest"]
        if not found:
            print(f"onr audit: no run {args.run_id!r} in {ledger.path}", file=sys.stderr)
            return 1
        if args.json:
            print(
                json.dumps(
                    [{**e.record, "seq": e.seq, "hash": e.hash} for e in found],
                    indent=2,
                    ensure_ascii=False,
                )
            )
            return 0
        for entry in manifests:
            print(
                format_manifest(
                    {**entry.record, "seq": entry.seq, "hash": entry.hash},
                    detail=ledger.detail(entry.record),
                )
            )
            print()
        started = [e for e in found if e.kind == "run_started"]
        if len(started) > len(manifests):
            print(
                f"note: {len(started) - len(manifests)} attempt(s) started without a "
                "manifest (still running, or killed)"
            )
        events = [e for e in found if e.kind in ("event", "step")]
        if events:
            print(f"steps and events ({len(events)})")
            for e in events:
                what = e.record.get("event") or f"step {e.record.get('step')}"
                extra = {
                    k: v
                    for k, v in e.record.items()
                    if k not in {"kind", "event", "step", "run_id", "time", "detail_sha256"}
                }
                print(
                    f"  seq {e.seq:<6} {e.record.get('time')}  {what}  "
                    + " ".join(f"{k}={v}" for k, v in extra.items())
                )
        return 0
    if args.command == "runs":
        for m in read_manifests(args.workspace):
            print(
                f"{m.get('run_id'):<28} attempt {m.get('attempt'):<3} {m.get('status'):<8} "
                f"{m.get('started_at')}  seq {m.get('seq')}"
            )
        return 0
    record = Ledger(args.workspace).prune(args.days)
    print(
        f"pruned details of {sum(b - a + 1 for a, b in record['pruned_seqs'])} entries "
        f"older than {record['cutoff']}; {record['details_removed']} files removed"
    )
    return 0
