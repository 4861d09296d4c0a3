"""Benchmark: vectorised hetu validation against python-stdnum's per-row check, side by side.

    .venv/bin/python bench/bench_hetu.py [--rows 1000000]

The same list of hetus (about 5 % broken: check character, date, shape, lower case) goes through
``stdnum.fi.hetu.is_valid(x, allow_temporary=True)`` row by row, our scalar ``hetu.is_valid``
row by row, and ``hetu.valid_series`` on a pandas Series; the answers must agree. Target: the
vectorised path ≥ 10× stdnum's per-row speed.
"""

from __future__ import annotations

import argparse
import os
import random
import time

import numpy as np
import pandas as pd
import stdnum.fi.hetu as stdnum_hetu

from onrtools.register import hetu


def sample(rows: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    unique = [hetu.generate(rng, test=rng.random() < 0.5) for _ in range(min(rows, 200_000))]
    values = (unique * (rows // len(unique) + 1))[:rows]
    for i in range(0, rows, 20):  # ~5 % broken in various ways
        v = values[i]
        kind = (i // 20) % 4
        values[i] = (v[:10] + ("A" if v[10] != "A" else "B"), "310299" + v[6:], v[:9], v.lower())[
            kind
        ]
    return values


def timed(fn, *args, repeat: int = 3):  # type: ignore[no-untyped-def]
    """(result, best wall s, best CPU s) over ``repeat`` runs (the machine is shared)."""
    walls, cpus = [], []
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        result = fn(*args)
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return result, min(walls), min(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    values = sample(args.rows)
    series = pd.Series(values, dtype="str")
    print(f"{args.rows:,} hetus; cores: {os.cpu_count()} (machine shared with other work)")
    oracle, t_stdnum, c_stdnum = timed(
        lambda: [stdnum_hetu.is_valid(v, allow_temporary=True) for v in values]
    )
    scalar, t_scalar, c_scalar = timed(lambda: [hetu.is_valid(v) for v in values])
    vector, t_vector, c_vector = timed(hetu.valid_series, series)
    _, t_analyse, c_analyse = timed(hetu.analyse_series, series)
    _, t_mask, c_mask = timed(hetu.mask_series, series)
    assert scalar == oracle, "scalar disagrees with stdnum"
    assert vector.tolist() == oracle, "vectorised disagrees with stdnum"
    n = args.rows
    print("best of 3 runs each         wall                                CPU")
    for label, wall, cpu in (
        ("stdnum per row", t_stdnum, c_stdnum),
        ("onrtools scalar", t_scalar, c_scalar),
        ("valid_series", t_vector, c_vector),
        ("analyse_series", t_analyse, c_analyse),
        ("mask_series", t_mask, c_mask),
    ):
        print(
            f"{label:<16} {wall:7.3f} s {n / wall:>12,.0f} rows/s {wall / n * 1e6:7.3f} µs/row"
            f"   {cpu:7.3f} s"
        )
    ratio, cpu_ratio = t_stdnum / t_vector, c_stdnum / c_vector
    print(
        f"valid_series is {ratio:.1f}× stdnum's per-row speed by wall clock, {cpu_ratio:.1f}× "
        f"by CPU time (target ≥ 10×: {'met' if ratio >= 10 else 'MISSED'}); "
        f"agreement on all {n:,} inputs; {int(np.sum(oracle)):,} valid"
    )


if __name__ == "__main__":
    main()
