"""Simulator performance against issue 3's targets, over real HTTP to a simulator process.

1. 100,000 rows through PUT /oppija in batches of 5,000, until every import is processed
   (target <= 60 s wall time);
2. one /oppija/muuttuneet page of count=10000 (target <= 1 s);
3. resident memory of a simulator holding 1,000,000 persons (target < 1 GB), with the seeding
   time.

    .venv/bin/python bench/bench_simulator.py              # full size
    .venv/bin/python bench/bench_simulator.py --quick      # 10,000 rows, 100,000 persons

Plain httpx on purpose: this measures the simulator, not our client.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

from onrtools.simulator.testing import SimHandle, running_simulator

SERVICE = "/oppijanumerorekisteri-service"
CHECKS = "0123456789ABCDEFHJKLMNPRSTUVWXY"


def test_hetus(n: int) -> list[str]:
    """n distinct valid test hetus (individual numbers 900–999), born 1970–2005."""
    out: list[str] = []
    for year in range(1970, 2006):
        for month in range(1, 13):
            for day in range(1, 29):
                for individual in range(900, 1000):
                    digits = f"{day:02d}{month:02d}{year % 100:02d}"
                    sign = "-" if year < 2000 else "A"
                    check = CHECKS[int(f"{digits}{individual}") % 31]
                    out.append(f"{digits}{sign}{individual}{check}")
                    if len(out) == n:
                        return out
    raise ValueError("not enough test hetus")


def rows(hetus: list[str], start: int) -> list[dict]:
    return [{"tunniste": f"bench-{start + i}", "henkilo": {
        "hetu": hetu, "etunimet": "Bench Henkilö", "kutsumanimi": "Bench",
        "sukunimi": f"Mittari{(start + i) % 997}", "kansalaisuus": [{"koodi": "246"}]}}
        for i, hetu in enumerate(hetus)]


def rss_mb(sim: SimHandle) -> float:
    return psutil.Process(sim.pid).memory_info().rss / 2**20


def bench_import(workdir: Path, n_rows: int, batch: int, identification: str) -> None:
    with running_simulator(workdir, population=0, identification=identification,
                           subprocess=True) as sim:
        client = sim.login("palvelu-kk1")
        hetus = test_hetus(n_rows)
        batches = [rows(hetus[i:i + batch], i) for i in range(0, n_rows, batch)]
        started = time.perf_counter()
        ids = []
        for body in batches:
            answer = client.put(SERVICE + "/oppija", json={"henkilot": body}, timeout=300)
            answer.raise_for_status()
            ids.append(answer.json()["id"])
        sent = time.perf_counter() - started
        pending = set(ids)
        while pending:
            for tuonti_id in sorted(pending):
                progress = client.get(f"{SERVICE}/oppija/tuonti={tuonti_id}/perustiedot").json()
                if progress["kasitelty"]:
                    pending.discard(tuonti_id)
            if pending:
                time.sleep(0.2)
        total = time.perf_counter() - started
        print(f"import: {n_rows:,} rows in {len(ids)} PUTs of {batch:,}: sent in {sent:.1f} s, "
              f"fully processed in {total:.1f} s ({n_rows / total:,.0f} rows/s; "
              f"identification={identification}; target <= 60 s)")
        timings = []
        pages = max(1, min(3, n_rows // 10000))
        for page in [p for p in range(1, pages + 1) for _ in range(2)]:
            t0 = time.perf_counter()
            feed = client.get(SERVICE + "/oppija/muuttuneet",
                              params={"count": 10000, "page": page}, timeout=60)
            timings.append(time.perf_counter() - t0)
            feed.raise_for_status()
            assert feed.json()["numberOfElements"] == min(10000, n_rows)
        print(f"muuttuneet count=10000: median {statistics.median(timings):.2f} s, "
              f"max {max(timings):.2f} s over {len(timings)} full pages "
              f"({len(feed.content) / 2**20:.1f} MiB each; target <= 1 s)")
        print(f"simulator RSS after the import: {rss_mb(sim):.0f} MiB")
        client.close()


def bench_memory(workdir: Path, persons: int) -> None:
    started = time.perf_counter()
    with running_simulator(workdir, population=persons, subprocess=True,
                           ready_timeout=3600) as sim:
        seeded = time.perf_counter() - started
        state = sim.admin("GET", "/state")
        idle = rss_mb(sim)
        client = sim.login("rekisterinpitaja")
        t0 = time.perf_counter()
        feed = client.get(SERVICE + "/oppija/muuttuneet", params={"count": 10000}, timeout=120)
        feed.raise_for_status()
        feed_s = time.perf_counter() - t0
        busy = rss_mb(sim)
        db_mb = sim.db_path.stat().st_size / 2**20
        print(f"memory: {state['persons']:,} persons seeded and served after {seeded:.0f} s; "
              f"RSS {idle:.0f} MiB idle, {busy:.0f} MiB after a muuttuneet page "
              f"({feed_s:.2f} s); SQLite file {db_mb:.0f} MiB (target RSS < 1024 MiB)")
        client.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="10,000 rows and 100,000 persons")
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--batch", type=int, default=5_000)
    p.add_argument("--persons", type=int, default=1_000_000)
    p.add_argument("--identification", default="immediate",
                   choices=("immediate", "scheduled", "off"))
    p.add_argument("--skip-memory", action="store_true")
    args = p.parse_args(argv)
    if args.quick:
        args.rows, args.persons = 10_000, 100_000
    print(f"bench_simulator on {psutil.cpu_count()} CPUs (a shared machine: figures vary)")
    with tempfile.TemporaryDirectory(prefix="onr-bench-") as tmp:
        bench_import(Path(tmp) / "import", args.rows, args.batch, args.identification)
        if not args.skip_memory:
            bench_memory(Path(tmp) / "memory", args.persons)
    return 0


if __name__ == "__main__":
    sys.exit(main())
