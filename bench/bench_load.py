"""Load: a 200,000-person register through validate, import, reconcile and change feed in one
run, peak memory under 2 GB (issue 8).

    .venv/bin/python bench/bench_load.py                 # 200,000 rows
    .venv/bin/python bench/bench_load.py --rows 20000    # a modest size while developing

The pipeline's notebooks (their code cells, exactly as written, with the parameters `onr run`
would give) run one after another in *this* process, so its peak resident memory
(``resource.getrusage``, ``ru_maxrss``) is the whole pipeline's. The simulator runs as its own
process (its memory is printed separately; it is not the pipeline's). Per step: wall seconds,
resident memory after the step, peak so far. Synthetic people only (test hetus, a tenth of them
without a hetu); state in a temporary directory unless ``--keep``.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from onrtools.simulator.testing import running_simulator  # noqa: E402
from tests.reliability.conftest import write_register  # noqa: E402
from tests.reliability.driver import CORE_STEPS, NOTEBOOKS, run_notebook  # noqa: E402

LIMIT_BYTES = 2 * 1024**3
STEP_LABELS = {"10-validate-register": "validate", "20-import-tuonti": "import",
               "30-reconcile": "reconcile", "40-change-feed": "change feed",
               "50-duplicates": "duplicates", "90-audit-report": "audit"}


def peak_rss() -> int:
    """Peak resident set size of this process in bytes (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def mib(n: float) -> str:
    return f"{n / 1024**2:,.0f} MiB"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=200_000)
    p.add_argument("--population", type=int, default=1000, help="simulator's own persons")
    p.add_argument("--batch-size", type=int, default=5000, help="rows per PUT /oppija")
    p.add_argument("--poll-interval", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=8)
    p.add_argument("--keep", type=Path, help="keep workspace, reports and simulator here")
    args = p.parse_args()

    import matplotlib

    matplotlib.use("Agg")
    me = psutil.Process()
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        register = write_register(root / "register.csv", args.rows, args.seed)
        print(f"load benchmark: {args.rows:,} rows ({mib(register.stat().st_size)} CSV, "
              f"written in {time.perf_counter() - t0:.1f} s), batches of {args.batch_size:,}, "
              f"simulator population {args.population:,}")
        with running_simulator(root / "sim", seed=args.seed, population=args.population,
                               subprocess=True, ready_timeout=300) as sim:
            os.environ.update(ONR_BASE_URL=sim.base_url, ONR_USERNAME="palvelu-kk1",
                              ONR_PASSWORD="simulator",  # the simulator's synthetic password
                              ONR_CALLER_ID="1.2.246.562.10.00000000101.bench-load")
            params = {"register_file": str(register), "batch_size": args.batch_size,
                      "poll_interval": args.poll_interval, "interactive": False,
                      "run_id": "bench-load", "workspace": str(root / "workspace"),
                      "reports_dir": str(root / "reports"), "read_persons": "feed"}
            os.chdir(REPO)
            print(f"  {'step':<12} {'seconds':>9} {'RSS after':>12} {'peak so far':>12}")
            started = time.perf_counter()
            for step in CORE_STEPS:
                t = time.perf_counter()
                namespace = run_notebook(NOTEBOOKS / f"{step}.ipynb", params)
                took = time.perf_counter() - t
                del namespace
                print(f"  {STEP_LABELS[step]:<12} {took:9.1f} {mib(me.memory_info().rss):>12} "
                      f"{mib(peak_rss()):>12}", flush=True)
            total = time.perf_counter() - started
            sim_rss = psutil.Process(sim.pid).memory_info().rss
        peak = peak_rss()
        print(f"  total {total:.1f} s; pipeline peak memory {mib(peak)} "
              f"(limit {mib(LIMIT_BYTES)}): {'met' if peak < LIMIT_BYTES else 'MISSED'}; "
              f"simulator process {mib(sim_rss)} at the end")
    return 0 if peak < LIMIT_BYTES else 1


if __name__ == "__main__":
    raise SystemExit(main())
