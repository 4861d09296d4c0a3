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

from onrtools import hetu, oid
from onrtools.register import read_register
from onrtools.validation import validate_register

FIRST = ["Anna", "Maria", "Aino", "Helmi", "Matti", "Juha", "Mikko", "Ville", "Eero", "Anna-Liisa",
         "Sofia", "Elias", "Oskari", "Väinö", "Åsa", "Zoë", "Ilmari", "Kaarina", "Pekka", "Lumi"]
LAST = ["Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine",
        "Heikkinen", "Koskinen", "Järvinen", "Lehtonen", "Söderström", "Øberg", "Niemi"]


def synthetic_csv(path: Path, rows: int, seed: int = 1) -> None:
    """A semicolon CSV like a Finnish export: Finnish headers, d.m.yyyy dates, test hetus."""
    rng = np.random.default_rng(seed)
    days = rng.integers(np.datetime64("1950-01-01").astype(int), np.datetime64("2007-12-31").astype(int), rows)
    born = days.astype("datetime64[D]")
    y = born.astype("datetime64[Y]").astype(int) + 1970
    m = born.astype("datetime64[M]").astype(int) % 12 + 1
    d = (born - born.astype("datetime64[M]")).astype(int) + 1
    individual = rng.integers(900, 1000, rows)
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
    frame = pd.DataFrame({
        "Tunniste": pd.Series(np.arange(rows)).map("S{:07d}".format),
        "Henkilötunnus": hetus,
        "Etunimet": etunimet,
        "Kutsumanimi": first,
        "Sukunimi": rng.choice(LAST, rows),
        "Syntymäaika": pd.Series(d).astype(str) + "." + pd.Series(m).astype(str) + "." + pd.Series(y).astype(str),
        "Sukupuoli": sex,
        "Äidinkieli": rng.choice(["fi", "sv", "en", "FI"], rows),
        "Kansalaisuus": rng.choice(["246", "246", "246", "752", "246;752"], rows),
        "Sähköposti": "",
        "OID": "",
    })
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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.keep) if args.keep else Path(tmp) / "register.csv"
        t0 = time.perf_counter()
        synthetic_csv(path, args.rows)
        size_mb = path.stat().st_size / 1e6
        print(f"generated {args.rows:,} rows ({size_mb:.1f} MB) in {time.perf_counter() - t0:.1f} s "
              f"(not timed); cores: {os.cpu_count()} (machine shared with other work)")
        t0 = time.perf_counter()
        reg = read_register(path)
        t1 = time.perf_counter()
        result = validate_register(reg, target_env="local")
        t2 = time.perf_counter()
        total = t2 - t0
        print(f"read      {t1 - t0:6.2f} s  {args.rows / (t1 - t0):>12,.0f} rows/s")
        print(f"validate  {t2 - t1:6.2f} s  {args.rows / (t2 - t1):>12,.0f} rows/s")
        print(f"total     {total:6.2f} s  {args.rows / total:>12,.0f} rows/s  "
              f"(target ≤ 5 s for 1,000,000 rows: {'met' if total <= 5 * args.rows / 1e6 else 'MISSED'})")
        print(f"valid rows {len(result.valid_rows):,}; problems {len(result.problems):,}")
        print(result.summary().to_string(index=False))


if __name__ == "__main__":
    main()
