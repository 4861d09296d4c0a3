"""Benchmark: validate a synthetic 1,000,000-row CSV register, reading included (target ≤ 5 s).

    .venv/bin/python bench/bench_validation.py [--rows 1000000] [--keep FILE]

Prints rows/s and seconds for reading, validating and the whole; the CSV is generated first
(not timed) into a temporary directory with ~0.1 % planted problems. Synthetic people only.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from onrtools.register import hetu, oid
from onrtools.register.read import read_register
from onrtools.register.validation import validate_register

FIRST = [
    "Anna",
    "Maria",
    "Aino",
    "Helmi",
    "Matti",
    "Juha",
    "Mikko",
    "Ville",
    "Eero",
    "Anna-Liisa",
    "Sofia",
    "Elias",
    "Oskari",
    "Väinö",
    "Åsa",
    "Zoë",
    "Ilmari",
    "Kaarina",
    "Pekka",
    "Lumi",
]
LAST = [
    "Virtanen",
    "Korhonen",
    "Mäkinen",
    "Nieminen",
    "Mäkelä",
    "Hämäläinen",
    "Laine",
    "Heikkinen",
    "Koskinen",
    "Järvinen",
    "Lehtonen",
    "Söderström",
    "Øberg",
    "Niemi",
]


def synthetic_csv(path: Path, rows: int, seed: int = 1) -> None:
    """A semicolon CSV like a Finnish export: Finnish headers, d.m.yyyy dates, test hetus."""
    rng = np.random.default_rng(seed)
    # unique (birth date, individual number) pairs: a real register has no repeated hetus
    first_day = np.datetime64("1950-01-01").astype(int)
    span = np.datetime64("2007-12-31").astype(int) - first_day
    pairs = rng.choice(span * 100, size=rows, replace=False)
    days = first_day + pairs // 100
    individual = 900 + pairs % 100
    born = days.astype("datetime64[D]")
    y = born.astype("datetime64[Y]").astype(int) + 1970
    m = born.astype("datetime64[M]").astype(int) % 12 + 1
    d = (born - born.astype("datetime64[M]")).astype(int) + 1
    number = (d * 10000 + m * 100 + y % 100) * 1000 + individual
    check = np.frombuffer(hetu.CHECK_CHARS.encode(), dtype="S1")[number % 31].astype(str)
    sign = np.where(y >= 2000, rng.choice(list("ABCDEF"), rows), rng.choice(list("-YXWVU"), rows))
    ddmmyy = pd.Series(number // 1000).astype(str).str.zfill(6)
    hetus = ddmmyy + pd.Series(sign) + pd.Series(individual).astype(str) + pd.Series(check)
    first = rng.choice(FIRST, rows)
    second = rng.choice(FIRST, rows)
    etunimet = pd.Series(first) + " " + pd.Series(second)
    sex = np.where(individual % 2 == 1, "1", "2")
    pyrng = random.Random(seed)
    oids = [oid.generate_person_oid(pyrng, 98) for _ in range(min(rows, 1000))]
    frame = pd.DataFrame(
        {
            "Tunniste": pd.Series(np.arange(rows)).map("S{:07d}".format),
            "Henkilötunnus": hetus,
            "Etunimet": etunimet,
            "Kutsumanimi": first,
            "Sukunimi": rng.choice(LAST, rows),
            "Syntymäaika": pd.Series(d).astype(str)
            + "."
            + pd.Series(m).astype(str)
            + "."
            + pd.Series(y).astype(str),
            "Sukupuoli": sex,
            "Äidinkieli": rng.choice(["fi", "sv", "en", "FI"], rows),
            "Kansalaisuus": rng.choice(["246", "246", "246", "752", "246;752"], rows),
            "Sähköposti": "",
            "OID": "",
        }
    )
    frame.loc[: len(oids) - 1, "OID"] = oids
    planted = rng.choice(rows, size=max(rows // 1000, 1), replace=False)
    kinds = planted % 5
    frame.loc[planted[kinds == 0], "Henkilötunnus"] = "311399-999X"
    frame.loc[planted[kinds == 1], "Kutsumanimi"] = "Kalle"
    frame.loc[planted[kinds == 2], "Kansalaisuus"] = "123"
    frame.loc[planted[kinds == 3], "Sähköposti"] = "not-an-email"
    frame.loc[planted[kinds == 4], "Tunniste"] = "S0000000"
    frame.to_csv(path, sep=";", index=False, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", help="also keep the generated CSV at this path")
    parser.add_argument("--repeat", type=int, default=3, help="runs; the best is reported")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.keep) if args.keep else Path(tmp) / "register.csv"
        t0 = time.perf_counter()
        synthetic_csv(path, args.rows)
        size_mb = path.stat().st_size / 1e6
        print(
            f"generated {args.rows:,} rows ({size_mb:.1f} MB) in {time.perf_counter() - t0:.1f} s "
            f"(not timed); cores: {os.cpu_count()} (machine shared with other work)"
        )
        best: tuple[float, float, float, float] | None = None
        for _ in range(args.repeat):
            w0, c0 = time.perf_counter(), time.process_time()
            reg = read_register(path)
            w1, c1 = time.perf_counter(), time.process_time()
            result = validate_register(reg, target_env="local")
            w2, c2 = time.perf_counter(), time.process_time()
            run = (w1 - w0, w2 - w1, c1 - c0, c2 - c1)
            if best is None or sum(run[:2]) < sum(best[:2]):
                best = run
        assert best is not None
        read_s, validate_s, read_cpu, validate_cpu = best
        total = read_s + validate_s
        print(f"best of {args.repeat} runs     wall                      CPU (all threads)")
        print(f"read      {read_s:6.2f} s  {args.rows / read_s:>12,.0f} rows/s   {read_cpu:6.2f} s")
        print(
            f"validate  {validate_s:6.2f} s  {args.rows / validate_s:>12,.0f} rows/s   "
            f"{validate_cpu:6.2f} s"
        )
        print(
            f"total     {total:6.2f} s  {args.rows / total:>12,.0f} rows/s   "
            f"{read_cpu + validate_cpu:6.2f} s   (target ≤ 5 s per 1,000,000 rows: "
            f"{'met' if total <= 5 * args.rows / 1e6 else 'MISSED'})"
        )
        print(f"valid rows {len(result.valid_rows):,}; problems {len(result.problems):,}")
        print(result.summary().to_string(index=False))


if __name__ == "__main__":
    main()
