"""A year of daily runs in the evidence ledger: how long does verification take?

Simulates ``--days`` daily pipeline runs (default 365) through the real EvidenceRecorder, each
of realistic size: a 10,000-row register input, 6 notebooks, 20 output files (~10 KB each),
2 tuonti ids, 15 validation codes, 13 reconciliation categories, 15 API-call summary rows,
30 KPIs and 8 step events with OIDs (prunable details). The clock is simulated (one run a day).

Prints: entries, ledger size, append time, and the verification times (chain + details +
output re-hashing; chain + details only), then prunes at 90 days and verifies again.
Target (issue 7): a year verifies in under 2 s.

    .venv/bin/python bench/bench_ledger.py [--days 365] [--keep DIR]
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import onrtools.evidence.recorder as evidence_module
import onrtools.evidence.store as ledger_module
from onrtools.evidence import EvidenceRecorder
from onrtools.evidence.store import Ledger
from onrtools.evidence.trend import trend_frame
from onrtools.evidence.verify import verify_ledger
from onrtools.pipeline.run import STEPS

CODES = [f"code.{i}" for i in range(15)]
CATEGORIES = [f"category_{i}" for i in range(13)]
PATHS = [
    "/oppija",
    "/oppija/tuonti={id}",
    "/oppija/tuonti={id}/perustiedot",
    "/henkilo/{oid}",
    "/henkilo/{oid}/master",
    "/oppija/muuttuneet",
    "/henkilo/duplikaatit",
    "/cas/v1/tickets",
    "/cas/v1/tickets/{tgt}",
    "/henkilo/masterHenkilosByOidList",
    "/oppija/yleistunniste",
    "/henkilo/hae",
    "/s2s/oidByHetu/{hetu}",
    "/henkilo",
    "/j_spring_cas_security_check",
]


class Clock:
    """A settable UTC clock for the simulated year."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def simulate(root: Path, days: int, rng: random.Random) -> tuple[float, int]:
    clock = Clock(datetime(2025, 11, 27, 2, 0, tzinfo=UTC))
    evidence_module.utc_now = clock  # type: ignore[assignment]
    ledger_module.utc_now = clock  # type: ignore[assignment]
    workspace = root / "workspace"
    register = root / "data" / "register.csv"
    register.parent.mkdir(parents=True)
    register.write_text(
        "tunniste;hetu;etunimet\n"
        + "".join(f"{i};010594Y9{i % 100:02d}X;Nimi\n" for i in range(10_000))
    )
    notebooks = root / "notebooks"
    notebooks.mkdir()
    for name in STEPS:
        (notebooks / f"{name}.ipynb").write_text('{"cells": []}' + "x" * 20_000)
    appends = 0
    spent = 0.0
    for day in range(days):
        clock.now = datetime(2025, 11, 27, 2, 0, tzinfo=UTC) + timedelta(days=day)
        run_id = f"{clock.now:%Y%m%d}-0200"
        out = root / "reports" / run_id
        out.mkdir(parents=True)
        for j in range(20):
            (out / f"output-{j:02d}.csv").write_bytes(rng.randbytes(10_000))
        started = time.perf_counter()
        rec = EvidenceRecorder.for_run(
            run_id,
            workspace,
            parameters={
                "base_url": "http://127.0.0.1:8765",
                "dry_run": False,
                "rows_file": "data/register.csv",
                "batch_size": 5000,
                "organisaatio": "1.2.246.562.10.00000000001",
            },
            environment="simulator",
            caller_id="1.2.246.562.10.00000000001.onrtools",
        )
        for nb in sorted(notebooks.iterdir()):
            rec.add_notebook(nb)
        rec.add_input(register, rows=10_000)
        for t in range(2):
            rec.add_tuonti(day * 2 + t + 1)
        rec.add_counts("validation", {c: rng.randrange(50) for c in CODES})
        rec.add_counts("reconcile", {c: rng.randrange(500) for c in CATEGORIES})
        rec.add_api_calls(
            [
                {
                    "method": "GET",
                    "path": p,
                    "status": 200,
                    "calls": rng.randrange(1, 400),
                    "total_ms": rng.random() * 9e4,
                    "max_ms": rng.random() * 900,
                    "sent": 0,
                    "received": 50,
                    "retries": 0,
                }
                for p in PATHS
            ]
        )
        rec.add_review_decisions({"same": rng.randrange(20), "different": rng.randrange(20)})
        rec.add_kpis({f"kpi_{k}": rng.random() for k in range(30)})
        for e in range(8):
            rec.event(
                "step",
                step=e,
                rows=rng.randrange(10_000),
                status="ok",
                oids=[f"1.2.246.562.24.{rng.randrange(10**10, 10**11)}" for _ in range(25)],
            )
        rec.add_output_dir(out)
        rec.finish("ok")
        spent += time.perf_counter() - started
        appends += 10
    return spent, appends


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--keep", type=Path, help="build in DIR and keep it")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-ledger-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        t0 = time.perf_counter()
        spent, appends = simulate(root, args.days, random.Random(20261127))
        build = time.perf_counter() - t0
        ledger = Ledger(root / "workspace")
        size = ledger.path.stat().st_size
        details = len(list(ledger.details_dir.iterdir()))
        print(
            f"simulated {args.days} daily runs in {build:.1f} s "
            f"({spent / appends * 1000:.2f} ms per ledger append incl. hashing inputs/outputs)"
        )
        print(f"ledger: {appends} entries, {size / 1e6:.2f} MB, {details} detail files")

        t = time.perf_counter()
        result = verify_ledger(root / "workspace")
        full = time.perf_counter() - t
        assert result.ok, result.summary()
        t = time.perf_counter()
        chain = verify_ledger(root / "workspace", check_outputs=False)
        chain_only = time.perf_counter() - t
        assert chain.ok
        print(
            f"verify, chain + details + {result.outputs_checked} output files re-hashed: "
            f"{full:.2f} s  {'OK' if full < 2 else 'OVER'} (target < 2 s)"
        )
        print(f"verify, chain + details only: {chain_only:.2f} s")

        t = time.perf_counter()
        frame = trend_frame(root / "workspace")
        print(
            f"trend_frame: {len(frame)} runs x {frame.shape[1]} columns in "
            f"{time.perf_counter() - t:.2f} s"
        )

        t = time.perf_counter()
        record = ledger.prune(
            90, now=datetime(2025, 11, 27, tzinfo=UTC) + timedelta(days=args.days)
        )
        pruned = time.perf_counter() - t
        t = time.perf_counter()
        after = verify_ledger(root / "workspace")
        print(
            f"prune at 90 days: {record['details_removed']} detail files removed in "
            f"{pruned:.2f} s; verify after prune: {'OK' if after.ok else 'BROKEN'} in "
            f"{time.perf_counter() - t:.2f} s"
        )
        return 0 if result.ok and after.ok and full < 2 else 1
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
