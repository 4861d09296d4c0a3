"""Benchmark: onrtools.duplicates.matching vs Splink 5 (DuckDB) on every evaluation set, in one run.

    .venv/bin/python bench/bench_matching.py                          # frozen sets + 10k, 100k
    .venv/bin/python bench/bench_matching.py --sizes 10000,100000,1000000
    .venv/bin/python bench/bench_matching.py --sizes 10000 --no-splink

Sets: the frozen ones in ``bench/matching_sets/`` (made by code that shares nothing with
``onrtools``; see its README) and the project's own Finnish synthetic register
(``onrtools.duplicates.matching.synthetic``) at each of ``--sizes``.

Each system runs in its own subprocess on the same parquet file, so wall time and peak memory
(maximum resident set size of that process) are measured separately. Data loading and the
ground truth are not timed; for Splink the input standardisation (lower case, accents folded,
first given name split off) is not timed either. Ours is timed from the raw DataFrame to the
finished pairs with explanations.

Splink is configured as its documentation recommends for people: ForenameSurnameComparison
(handles given/surname swaps) with term-frequency adjustment, DateOfBirthComparison,
Levenshtein on the hetu, exact e-mail/passport/address/sex;
probability_two_random_records_match from deterministic rules, u by random sampling, m by EM
in two sessions (block on birth date; on names). Its blocking rules mirror ours family by
family (same identifiers, names with the other name's initial and parts of the date, birth
date with initials, swapped names), so both get a similar candidate budget; both candidate
counts are printed.

Metrics per system and set:
* P/R/F1 at ``match``: ours at its own decision, Splink at probability >= 0.5;
* ``match_or_review``: share of true pairs ours puts in match or review; for Splink the share
  at probability >= 0.01 (its prediction threshold, our old review threshold);
* ``review_per_1000``: review pairs per 1,000 records (Splink: 0.01 <= p < 0.5);
* ``blocking_recall`` and ``candidates``: true pairs among the compared pairs;
* ``best_f1`` (and its threshold): F1 at the best probability threshold, found exactly;
* ``seconds``, ``peak_mb``.
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
SETS = ROOT / "bench" / "matching_sets"
sys.path.insert(0, str(ROOT))


def _peak_mb() -> float:
    """This process's own peak resident memory (VmHWM). ``ru_maxrss`` is not: Linux keeps it
    across fork and exec, so a worker started by a parent holding 7 GB reported 7 GB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker_ours(data: Path, out: Path) -> dict:
    from onrtools.duplicates.matching import find_duplicates

    records = pd.read_parquet(data)
    start = time.perf_counter()
    pairs = find_duplicates(records, keep="review")
    elapsed = time.perf_counter() - start
    pairs[["tunniste_l", "tunniste_r", "probability", "decision"]].to_parquet(out)
    return {
        "seconds": elapsed,
        "peak_mb": _peak_mb(),
        "candidates": pairs.attrs["blocking"]["candidate_pairs"],
        "thresholds": pairs.attrs["thresholds"],
    }


def _splink_input(records: pd.DataFrame) -> pd.DataFrame:
    from onrtools.duplicates.matching.normalise import fold_form

    def col(name: str) -> pd.Series:
        if name not in records:
            return pd.Series([None] * len(records), dtype=object)
        values = records[name].astype("string").fillna("").str.strip()
        return values.where(values != "", None).astype(object)

    out = pd.DataFrame({"unique_id": records["tunniste"].astype(str)})
    for name in ("etunimet", "sukunimi"):
        values = col(name).fillna("")
        uniq = {v: (fold_form(v) or None) for v in values.unique()}
        out[name] = values.map(uniq)
    out["first_name_1"] = out["etunimet"].str.split(" ").str[0]
    out["surname_1"] = out["sukunimi"].str.split(" ").str[0]
    out["full_name"] = (out["etunimet"].fillna("") + " " + out["sukunimi"].fillna("")).str.strip()
    out["full_name"] = out["full_name"].where(out["full_name"] != "", None)
    birth = pd.to_datetime(col("syntymaaika"), errors="coerce", format="ISO8601")
    out["syntymaaika"] = birth.dt.strftime("%Y-%m-%d").where(birth.notna(), None)
    for name in ("hetu", "sukupuoli", "sahkoposti", "passinumero"):
        out[name] = col(name)
    street, postal = col("katuosoite").fillna(""), col("postinumero").fillna("")
    out["osoite"] = (street + " " + postal).str.strip()
    out["osoite"] = out["osoite"].where(out["osoite"] != "", None)
    return out


def _splink_blocking() -> list:
    from splink import block_on
    from splink.blocking_rule_library import CustomRule

    ym, md = "substr(syntymaaika, 1, 7)", "substr(syntymaaika, 6, 5)"
    yd = "substr(syntymaaika, 1, 4) || substr(syntymaaika, 9, 2)"
    f1, s1 = "substr(first_name_1, 1, 1)", "substr(surname_1, 1, 1)"
    return [
        block_on("hetu"),
        block_on("sahkoposti"),
        block_on("passinumero"),
        block_on("syntymaaika", "substr(sukunimi, 1, 2)"),
        block_on("syntymaaika", "substr(first_name_1, 1, 2)"),
        block_on("syntymaaika", f1),
        block_on("syntymaaika", s1),
        block_on("syntymaaika", "osoite"),
        block_on("first_name_1", s1, ym),
        block_on("first_name_1", s1, yd),
        block_on("first_name_1", s1, md),
        block_on("surname_1", f1, ym),
        block_on("surname_1", f1, yd),
        block_on("surname_1", f1, md),
        block_on("first_name_1", "syntymaaika"),
        block_on("surname_1", "syntymaaika"),
        CustomRule(  # same names where one side has no birth date (ours: names_no_date)
            "l.sukunimi = r.sukunimi and l.first_name_1 = r.first_name_1"
            " and (l.syntymaaika is null or r.syntymaaika is null)",
            sql_dialect="duckdb",
        ),
        CustomRule(  # given name and surname swapped
            "l.first_name_1 = r.surname_1 and l.surname_1 = r.first_name_1", sql_dialect="duckdb"
        ),
    ]


def _splink_names() -> list:
    import os

    import splink.comparison_library as cl

    # ForenameSurnameComparison (Splink's recommendation for people: it has a level for
    # swapped names); SPLINK_NAMES=separate gives two NameComparisons instead
    if os.environ.get("SPLINK_NAMES", "forename_surname") == "forename_surname":
        return [
            cl.ForenameSurnameComparison(
                "etunimet", "sukunimi", forename_surname_concat_col_name="full_name"
            ).configure(term_frequency_adjustments=True)
        ]
    return [
        cl.NameComparison("etunimet").configure(term_frequency_adjustments=True),
        cl.NameComparison("sukunimi").configure(term_frequency_adjustments=True),
    ]


def worker_splink(data: Path, out: Path) -> dict:
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    records = _splink_input(pd.read_parquet(data))
    start = time.perf_counter()
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            *_splink_names(),
            cl.DateOfBirthComparison("syntymaaika", input_is_string=True),
            cl.LevenshteinAtThresholds("hetu", 1),
            cl.ExactMatch("sukupuoli"),
            cl.EmailComparison("sahkoposti"),
            cl.ExactMatch("passinumero"),
            cl.ExactMatch("osoite"),
        ],
        blocking_rules_to_generate_predictions=_splink_blocking(),
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
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
    # every candidate pair (threshold None) so that blocking recall can be measured
    predictions = linker.inference.predict(threshold_match_probability=None).as_pandas_dataframe()
    elapsed = time.perf_counter() - start
    predictions[["unique_id_l", "unique_id_r", "match_probability"]].to_parquet(out)
    return {"seconds": elapsed, "peak_mb": _peak_mb(), "candidates": len(predictions)}


def _codes(index: pd.Index, left: pd.Series, right: pd.Series) -> np.ndarray:
    """Each pair as one int64 (low position * n + high position): 8 bytes a pair where
    "a|b" strings cost ~100, which at 1M records (tens of millions of pairs) held 7 GB."""
    n = len(index)
    li = index.get_indexer(left.astype(str))
    ri = index.get_indexer(right.astype(str))
    if (li < 0).any() or (ri < 0).any():
        raise ValueError("a pair names a record that is not in the set")
    lo, hi = np.minimum(li, ri).astype(np.int64), np.maximum(li, ri).astype(np.int64)
    return lo * n + hi


def _prf(found: np.ndarray, truth: np.ndarray) -> dict:
    tp = int(np.isin(np.unique(found), truth, assume_unique=True).sum())
    precision = tp / max(len(found), 1)
    recall = tp / max(len(truth), 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-12)
    return {"precision": precision, "recall": recall, "f1": f1}


def _best_f1(codes: np.ndarray, prob: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """Exact best F1 over all probability thresholds (and that threshold)."""
    if len(codes) == 0:
        return 0.0, 1.0
    order = np.argsort(-prob, kind="stable")
    hit = np.isin(codes[order], truth).astype(float)
    tp = np.cumsum(hit)
    k = np.arange(1, len(hit) + 1)
    f1 = 2 * tp / (k + len(truth))
    # a threshold can only sit between distinct probabilities
    p_sorted = prob[order]
    last_of_tie = np.r_[p_sorted[1:] != p_sorted[:-1], True]
    f1 = np.where(last_of_tie, f1, -1.0)
    best = int(f1.argmax())
    return float(f1[best]), float(p_sorted[best])


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


def truth_pairs(records: pd.DataFrame) -> np.ndarray:
    """Every pair of records with the same ``person_id``, as sorted pair codes (see _codes)."""
    position = pd.Series(np.arange(len(records), dtype=np.int64), index=records.index)
    grouped = position.groupby(records["person_id"].to_numpy()).agg(list)
    codes: list[int] = []
    n = len(records)
    for ids in grouped[grouped.map(len) > 1]:
        ids = sorted(ids)
        codes.extend(a * n + b for i, a in enumerate(ids) for b in ids[i + 1 :])
    return np.unique(np.asarray(codes, dtype=np.int64))


def bench_set(name: str, records: pd.DataFrame, splink: bool, tmp: Path) -> dict:
    from onrtools.duplicates.matching import blocking, normalise

    records = records.reset_index(drop=True)
    truth = truth_pairs(records)
    index = pd.Index(records["tunniste"].astype(str))
    data = tmp / f"{name}.parquet"
    plain = records.drop(columns=["person_id"])
    plain.astype({c: "string" for c in plain.columns}).to_parquet(data)
    n = len(records)

    p = normalise.prepare(plain)  # blocking recall (not timed); rows of p = rows of records
    cand = blocking.candidate_pairs(p)
    lo = np.minimum(cand.left, cand.right).astype(np.int64)
    found = lo * n + np.maximum(cand.left, cand.right)
    row: dict = {"set": name, "records": n, "true_pairs": len(truth)}
    row["ours_blocking_recall"] = _prf(found, truth)["recall"]
    del p, cand, lo, found, plain  # the workers get the memory

    ours = _run("ours", data, tmp / "ours.parquet")
    pairs = pd.read_parquet(tmp / "ours.parquet")
    codes = _codes(index, pairs["tunniste_l"], pairs["tunniste_r"])
    decision = pairs["decision"].to_numpy()
    row.update({f"ours_{k}": v for k, v in _prf(codes[decision == "match"], truth).items()})
    row["ours_match_or_review"] = _prf(codes, truth)["recall"]
    row["ours_review_per_1000"] = 1000 * float((decision == "review").sum()) / n
    row["ours_best_f1"], row["ours_best_threshold"] = _best_f1(
        codes, pairs["probability"].to_numpy(), truth
    )
    row["ours_candidates"] = ours["candidates"]
    row["ours_seconds"], row["ours_peak_mb"] = ours["seconds"], ours["peak_mb"]
    row["ours_thresholds"] = f"{ours['thresholds']['match']:.3f}/{ours['thresholds']['review']:.3f}"
    del pairs, codes, decision
    if splink:
        theirs = _run("splink", data, tmp / "splink.parquet")
        preds = pd.read_parquet(tmp / "splink.parquet")
        pcodes = _codes(index, preds["unique_id_l"], preds["unique_id_r"])
        prob = preds["match_probability"].to_numpy()
        del preds
        row.update({f"splink_{k}": v for k, v in _prf(pcodes[prob >= 0.5], truth).items()})
        row["splink_match_or_review"] = _prf(pcodes[prob >= 0.01], truth)["recall"]
        row["splink_review_per_1000"] = 1000 * float(((prob >= 0.01) & (prob < 0.5)).sum()) / n
        row["splink_best_f1"], row["splink_best_threshold"] = _best_f1(pcodes, prob, truth)
        row["splink_blocking_recall"] = _prf(pcodes, truth)["recall"]
        row["splink_candidates"] = theirs["candidates"]
        row["splink_seconds"], row["splink_peak_mb"] = theirs["seconds"], theirs["peak_mb"]
        row["time_ratio"] = row["ours_seconds"] / max(row["splink_seconds"], 1e-9)
    return row


def load_sets(names: list[str]) -> dict[str, pd.DataFrame]:
    """The frozen evaluation sets (``bench/matching_sets/<name>.csv.gz``), read as text."""
    return {
        name: pd.read_csv(SETS / f"{name}.csv.gz", dtype=str, keep_default_na=False)
        for name in names
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="synthetic Finnish set sizes")
    parser.add_argument("--sets", default="corrupted,korkeakoulu", help="frozen sets ('' none)")
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--no-splink", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    parser.add_argument("--worker", choices=["ours", "splink"])
    parser.add_argument("--data", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.worker:
        worker = worker_ours if args.worker == "ours" else worker_splink
        print(json.dumps(worker(args.data, args.out)))
        return 0
    from onrtools.duplicates.matching import synthetic

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work: list[tuple[str, object]] = [
            (name, frame)
            for name, frame in load_sets([s for s in args.sets.split(",") if s]).items()
        ]
        work += [(f"finnish_{n}", n) for n in (int(s) for s in args.sizes.split(",") if s)]
        for name, source in work:
            records = (
                source
                if isinstance(source, pd.DataFrame)
                else synthetic.generate_register(int(source), seed=args.seed)
            )
            row = bench_set(name, records, not args.no_splink, Path(tmp))
            rows.append(row)
            print(json.dumps(row), flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    table = pd.DataFrame(rows).set_index("set").T
    with pd.option_context("display.float_format", "{:.4f}".format, "display.width", 200):
        print(table.to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
