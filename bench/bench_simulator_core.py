"""Benchmark of the simulator's behaviour core (no HTTP): import, feed page, seeding, memory.

    .venv/bin/python bench/bench_simulator_core.py [--rows 100000] [--persons 1000000]

Prints figures; asserts nothing (the HTTP benchmark is bench/bench_simulator.py).
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from onrtools.register import hetu  # noqa: E402
from onrtools.simulator.state import Caller, Registry  # noqa: E402

KK1 = "1.2.246.562.10.00000000101"
USER = Caller(
    "1.2.246.562.98.10000000017",
    "palvelu-kk1",
    {"OPPIJOIDENTUONTI": frozenset([KK1]), "TUONTIDATA_READ": frozenset([KK1])},
)


def rss_mb() -> float:
    return psutil.Process(os.getpid()).memory_info().rss / 1e6


def rows(n: int, rng: random.Random) -> list[dict]:
    out = []
    seen: set[str] = set()
    while len(out) < n:
        h = hetu.generate(rng)
        if h in seen:
            continue
        seen.add(h)
        out.append(
            {
                "tunniste": f"r{len(out)}",
                "henkilo": {
                    "hetu": h,
                    "etunimet": "Testi Henkilö",
                    "kutsumanimi": "Testi",
                    "sukunimi": f"Suku{len(out) % 997}",
                    "kansalaisuus": [{"koodi": "246"}],
                },
            }
        )
    return out


def probe(db: Path) -> int:
    """Open a big store in this fresh process; time feed, duplicates, an import; print RSS."""
    big = Registry(db, identification="off")
    n = big.admin_state()["persons"]
    t = time.perf_counter()
    page = big.muuttuneet(USER, {}, 1, 10_000)
    print(
        f"{n} persons: muuttuneet page of {page['numberOfElements']} "
        f"(total {page['totalElements']}): {time.perf_counter() - t:.3f} s"
    )
    t = time.perf_counter()
    page = big.muuttuneet(USER, {}, 2, 10_000)
    print(f"{n} persons: muuttuneet page 2: {time.perf_counter() - t:.3f} s")
    t = time.perf_counter()
    found = big.duplikaatit(
        USER,
        {
            "etunimet": "Matti",
            "kutsumanimi": "Matti",
            "sukunimi": "Virtanen",
            "syntymaaika": "1990-01-01",
        },
    )
    print(f"{n} persons: duplikaatit ({len(found)} candidates): {time.perf_counter() - t:.3f} s")
    data = rows(5000, random.Random(9))
    big.put_oppija(USER, {"henkilot": data})
    t = time.perf_counter()
    big.process_all()
    print(
        f"{n} persons: 5000 more rows processed in {time.perf_counter() - t:.2f} s; "
        f"process RSS {rss_mb():.0f} MB"
    )
    big.close()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--identification", default="immediate")
    parser.add_argument("--probe", help="measure reads/import on an existing store (internal)")
    args = parser.parse_args()
    if args.probe:
        return probe(Path(args.probe))
    with tempfile.TemporaryDirectory() as tmp:
        reg = Registry(Path(tmp) / "bench.db", identification=args.identification)
        t = time.perf_counter()
        reg.seed_population(10_000, rng_seed=1)
        print(f"seed_population(10000): {time.perf_counter() - t:.2f} s")
        data = rows(args.rows, random.Random(5))
        t = time.perf_counter()
        for start in range(0, args.rows, args.batch):
            reg.put_oppija(USER, {"henkilot": data[start : start + args.batch]})
        put_s = time.perf_counter() - t
        reg.process_all()
        total = time.perf_counter() - t
        print(
            f"import {args.rows} rows in batches of {args.batch} "
            f"(identification={args.identification}): PUTs {put_s:.2f} s, "
            f"fully processed {total:.2f} s"
        )
        t = time.perf_counter()
        page = reg.muuttuneet(USER, {}, 1, 10_000)
        print(
            f"muuttuneet page of {page['numberOfElements']} (total {page['totalElements']}): "
            f"{time.perf_counter() - t:.3f} s"
        )
        t = time.perf_counter()
        page = reg.muuttuneet(USER, {}, 5, 10_000)
        print(f"muuttuneet page 5 of 10000: {time.perf_counter() - t:.3f} s")
        reg.close()
        if args.persons:
            big = Registry(Path(tmp) / "big.db", identification="off")
            t = time.perf_counter()
            big.seed_population(args.persons, rng_seed=2)
            print(
                f"seed_population({args.persons}): {time.perf_counter() - t:.1f} s, "
                f"RSS after {rss_mb():.0f} MB"
            )
            big.close()
            # a fresh process over the stored million: what a restarted simulator needs
            subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--probe",
                    str(Path(tmp) / "big.db"),
                    "--rows",
                    str(args.rows),
                ],
                check=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
