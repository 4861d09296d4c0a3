"""Benchmark: onrtools.matching vs Splink 5 (DuckDB) on the seeded synthetic register.

    .venv/bin/python bench/bench_matching.py                      # 10k, 100k, 1M
    .venv/bin/python bench/bench_matching.py --sizes 10000,100000 --no-splink

Each system runs in its own subprocess on the same parquet file, so wall time and peak memory
(maximum resident set size) are measured separately. Data generation and the ground truth are
not timed; for Splink the input standardisation (lower case, accents folded) is not timed
either. Ours is timed from the raw DataFrame to the finished pairs with explanations.

Splink is configured the way its documentation recommends for people: NameComparison with
term-frequency adjustment for first names and surname, DateOfBirthComparison, exact/fuzzy
identifiers, probability_two_random_records_match from deterministic rules (recall 0.7),
u by random sampling, m by EM in two sessions (block on birth date; on names), and the same
blocking families as ours for prediction. Splink's F1 is reported at the best probability
threshold (generous to Splink); ours at our own ``match`` decision.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker_ours(data: Path, out: Path) -> dict:
    from onrtools.matching import find_duplicates

    records = pd.read_parquet(data)
    start = time.perf_counter()
    pairs = find_duplicates(records, keep="review")
    elapsed = time.perf_counter() - start
    pairs[["tunniste_l", "tunniste_r", "probability", "decision"]].to_parquet(out)
    return {
        "seconds": elapsed,
        "peak_mb": _peak_mb(),
        "pairs": len(pairs),
        "candidates": pairs.attrs["blocking"]["candidate_pairs"],
    }


def _splink_input(records: pd.DataFrame) -> pd.DataFrame:
    from onrtools.matching.normalise import fold_form

    out = pd.DataFrame({"unique_id": records["tunniste"]})
    for col in ("etunimet", "sukunimi"):
        values = records[col].fillna("")
        uniq = {v: (fold_form(v) or None) for v in values.unique()}
        out[col] = values.map(uniq)
    out["first_name_1"] = out["etunimet"].str.split(" ").str[0]
    out["syntymaaika"] = records["syntymaaika"]
    for col in ("hetu", "sukupuoli", "sahkoposti", "passinumero"):
        out[col] = records[col].where(records[col].notna() & (records[col] != ""), None)
    out["osoite"] = records["katuosoite"].fillna("") + " " + records["postinumero"].fillna("")
    out["osoite"] = out["osoite"].where(out["osoite"].str.strip() != "", None)
    return out


def worker_splink(data: Path, out: Path) -> dict:
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    records = _splink_input(pd.read_parquet(data))
    start = time.perf_counter()
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("etunimet").configure(term_frequency_adjustments=True),
            cl.NameComparison("sukunimi").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("syntymaaika", input_is_string=True),
            cl.LevenshteinAtThresholds("hetu", 1),
            cl.ExactMatch("sukupuoli"),
            cl.EmailComparison("sahkoposti"),
            cl.ExactMatch("passinumero"),
            cl.ExactMatch("osoite"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("hetu"),
            block_on("syntymaaika", "substr(sukunimi, 1, 2)"),
            block_on("syntymaaika", "substr(first_name_1, 1, 2)"),
            block_on("sukunimi", "first_name_1", "substr(syntymaaika, 1, 4)"),
            block_on("sukunimi", "first_name_1", "substr(syntymaaika, 6, 5)"),
            block_on("sahkoposti"),
            block_on("passinumero"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(DuckDBAPI().register(records), settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("hetu"), block_on("etunimet", "sukunimi", "syntymaaika")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("syntymaaika"))
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("sukunimi", "first_name_1")
    )
    predictions = linker.inference.predict(threshold_match_probability=0.01).as_pandas_dataframe()
    elapsed = time.perf_counter() - start
    predictions[["unique_id_l", "unique_id_r", "match_probability"]].to_parquet(out)
    return {"seconds": elapsed, "peak_mb": _peak_mb(), "pairs": len(predictions)}


def _keys(left: pd.Series, right: pd.Series) -> np.ndarray:
    a, b = left.astype(str).reset_index(drop=True), right.astype(str).reset_index(drop=True)
    lo, hi = a.where(a < b, b), a.where(a >= b, b)
    return (lo + "|" + hi).to_numpy(dtype=object)


def _scores(found: np.ndarray, truth: set[str]) -> dict:
    tp = int(sum(k in truth for k in found))
    precision = tp / max(len(found), 1)
    recall = tp / max(len(truth), 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-12)
    return {"precision": precision, "recall": recall, "f1": f1}


def _run(kind: str, data: Path, out: Path) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--worker", kind, "--data", str(data), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{kind} worker failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def bench_size(n: int, seed: int, splink: bool, tmp: Path) -> dict:
    from onrtools.matching import blocking, normalise, synthetic

    records = synthetic.generate_register(n, seed=seed)
    truth_pairs = synthetic.true_pairs(records)
    truth = {f"{a}|{b}" for a, b in truth_pairs}
    data = tmp / f"records_{n}.parquet"
    records.drop(columns=["person_id"]).to_parquet(data)

    # blocking recall, key by key (not timed)
    p = normalise.prepare(records)
    cand = blocking.candidate_pairs(p)
    found = _keys(pd.Series(p.tunniste[cand.left]), pd.Series(p.tunniste[cand.right]))
    row = {
        "n": n,
        "true_pairs": len(truth),
        "candidates": len(cand.left),
        "blocking_recall": _scores(found, truth)["recall"],
    }

    ours = _run("ours", data, tmp / "ours.parquet")
    pairs = pd.read_parquet(tmp / "ours.parquet")
    keys = _keys(pairs["tunniste_l"], pairs["tunniste_r"])
    match = _scores(keys[pairs["decision"].to_numpy() == "match"], truth)
    row.update({f"ours_{k}": v for k, v in ours.items()})
    row.update({f"ours_{k}": v for k, v in match.items()})
    row["ours_match_or_review"] = _scores(keys, truth)["recall"]
    if splink:
        theirs = _run("splink", data, tmp / "splink.parquet")
        preds = pd.read_parquet(tmp / "splink.parquet")
        pkeys = _keys(preds["unique_id_l"], preds["unique_id_r"])
        best = {"f1": -1.0}
        for threshold in (0.5, 0.8, 0.9, 0.95, 0.99, 0.999):
            s = _scores(pkeys[preds["match_probability"].to_numpy() >= threshold], truth)
            if s["f1"] > best["f1"]:
                best = {**s, "threshold": threshold}
        row.update({f"splink_{k}": v for k, v in theirs.items()})
        row.update({f"splink_{k}": v for k, v in best.items()})
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--no-splink", action="store_true")
    parser.add_argument("--worker", choices=["ours", "splink"])
    parser.add_argument("--data", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.worker:
        worker = worker_ours if args.worker == "ours" else worker_splink
        print(json.dumps(worker(args.data, args.out)))
        return 0
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            row = bench_size(n, args.seed, not args.no_splink, Path(tmp))
            rows.append(row)
            print(json.dumps(row), flush=True)
    table = pd.DataFrame(rows).set_index("n").T
    with pd.option_context("display.float_format", "{:.4f}".format, "display.width", 160):
        print(table.to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
