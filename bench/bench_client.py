"""Benchmark of the onrtools client against a local simulator in a separate process.

1. Import N rows (default 100,000) in batches of 5,000 and collect every row's result:
   target — the client's own CPU time (time.process_time) at most 10 % of the wall time.
2. Read the change feed from the start, at least F entries (default 200,000): target ≥ 20,000
   entries per second.

    .venv/bin/python bench/bench_client.py                 # full size
    .venv/bin/python bench/bench_client.py --rows 10000 --population 20000   # quick look

The simulator's population adds imported persons to the feed; the default makes the feed at
least 200,000 entries long. Prints one line per figure and a JSON summary at the end.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from onrtools.onr.batch_import import import_register  # noqa: E402
from onrtools.onr.changes import iter_changes  # noqa: E402
from onrtools.onr.client import OnrClient  # noqa: E402
from onrtools.onr.config import Settings  # noqa: E402
from onrtools.simulator.testing import running_simulator  # noqa: E402

CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"


def synthetic_rows(n: int, seed: int) -> list[dict[str, Any]]:
    """n new synthetic people: test hetus (individual numbers 900–999) or passports."""
    rng = random.Random(seed)
    used: set[str] = set()
    rows: list[dict[str, Any]] = []
    while len(rows) < n:
        i = len(rows)
        row: dict[str, Any] = {"tunniste": f"bench-{seed}-{i}", "etunimet": "Testi Benchmark",
                               "kutsumanimi": "Testi", "sukunimi": f"Mittaus{i % 997}"}
        if i % 5 == 4:
            row.update(passinumero=f"BP{seed}X{i:07d}", kansalaisuus="752",
                       syntymaaika="1995-05-05")
        else:
            day, month, year = rng.randint(1, 28), rng.randint(1, 12), rng.randint(1940, 2007)
            number = rng.randint(900, 999)
            base = f"{day:02d}{month:02d}{year % 100:02d}"
            check = CHECK[int(base + str(number)) % 31]
            hetu = f"{base}{'-' if year < 2000 else 'A'}{number}{check}"
            if hetu in used:
                continue
            used.add(hetu)
            row.update(hetu=hetu, kansalaisuus="246", aidinkieli="fi")
        rows.append(row)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--population", type=int, default=150_000,
                        help="simulator population (its imported persons fill the feed)")
    parser.add_argument("--feed", type=int, default=200_000, help="feed entries to read")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
    parser.add_argument("--feed-user", default="rekisterinpitaja",
                        help="who reads the feed (the registrar sees every organisation's)")
    args = parser.parse_args()

    figures: dict[str, Any] = {"rows": args.rows, "batch_size": args.batch_size}
    with tempfile.TemporaryDirectory(prefix="onr-bench-client-") as tmp:
        work = Path(tmp)
        t = time.perf_counter()
        with running_simulator(work / "sim", population=args.population, seed=7,
                               subprocess=True, ready_timeout=1800.0) as sim:
            figures["simulator_start_s"] = round(time.perf_counter() - t, 1)
            print(f"simulator (separate process) up in {figures['simulator_start_s']} s, "
                  f"population {args.population}", flush=True)
            settings = Settings.from_env(environ={}, env_files=(), base_url=sim.base_url,
                                         caller_id="1.2.246.562.10.00000000101.bench",
                                         timeout=300.0)
            rows = synthetic_rows(args.rows, seed=7)
            with OnrClient.from_settings(settings) as client:
                client.tuontikooste()  # log in outside the measurement
                wall0, cpu0 = time.perf_counter(), time.process_time()
                outcome = import_register(client, rows, workspace=work / "ws",
                                          batch_size=args.batch_size, progress=False,
                                          interval=args.interval, timeout=1800.0)
                wall = time.perf_counter() - wall0
                cpu = time.process_time() - cpu0
                assert len(outcome.results) == args.rows, "results missing"
                figures.update(import_wall_s=round(wall, 2), import_cpu_s=round(cpu, 2),
                               import_cpu_share=round(cpu / wall, 4),
                               import_rows_per_s=round(args.rows / wall))
                print(f"import {args.rows} rows + results: wall {wall:.1f} s, client CPU "
                      f"{cpu:.2f} s = {100 * cpu / wall:.1f} % of wall (target ≤ 10 %)",
                      flush=True)

            reader = settings.model_copy(update={"username": args.feed_user})
            with OnrClient.from_settings(reader) as client:
                client.tuontikooste()
                wall0, cpu0 = time.perf_counter(), time.process_time()
                entries = 0
                feed = iter_changes(client, count=10000, workspace=work / "ws")
                for _ in feed:
                    entries += 1
                wall = time.perf_counter() - wall0
                cpu = time.process_time() - cpu0
                server_s = sum(c.duration_ms for c in client.recorder.calls
                               if c.path == "/oppija/muuttuneet") / 1000
                figures.update(feed_entries=entries, feed_wall_s=round(wall, 2),
                               feed_cpu_s=round(cpu, 2),
                               feed_entries_per_s=round(entries / wall),
                               feed_entries_per_client_cpu_s=round(entries / max(cpu, 1e-9)),
                               feed_http_s=round(server_s, 2),
                               feed_requests=feed.stats["requests"])
                print(f"change feed as {args.feed_user}: {entries} entries in {wall:.1f} s = "
                      f"{entries / wall:,.0f} entries/s (target ≥ 20,000); client CPU {cpu:.1f} s"
                      f" = {entries / max(cpu, 1e-9):,.0f} entries per CPU second; "
                      f"{feed.stats['requests']} requests spent {server_s:.1f} s waiting on "
                      "HTTP (simulator time, overlapped with parsing by prefetch)", flush=True)
                if entries < args.feed:
                    print(f"note: the feed held {entries} < {args.feed} entries; raise "
                          "--population", flush=True)
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
