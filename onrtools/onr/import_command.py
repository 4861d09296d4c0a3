"""``onr import ROWS``: the command line of the resumable import (:mod:`batch_import`).

Reads the rows file (.json, .jsonl or .csv), imports it with
:func:`onrtools.onr.batch_import.import_register` and prints the outcome; refused rows are
named by row, tunniste, field and rule, never by value.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from onrtools.errors import OnrError, ValidationFailed
from onrtools.onr.batch_import import import_register
from onrtools.onr.client import OnrClient


def read_rows_file(path: Path) -> list[dict[str, Any]]:
    """Rows from .json (list, or ``{"henkilot": [...]}``), .jsonl or .csv (all text)."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        return list(data["henkilot"] if isinstance(data, dict) else data)
    if suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
                if line.strip()]
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, sep=None, engine="python")
    return frame.to_dict("records")


def main(argv: list[str] | None = None) -> int:
    """``onr import ROWS``: import a (validated) register, resumably."""
    from onrtools.onr.config import Settings

    parser = argparse.ArgumentParser(prog="onr import", description=main.__doc__)
    parser.add_argument("rows", type=Path, help=".csv, .json or .jsonl with a tunniste column")
    parser.add_argument("--api", choices=["oppija", "yleistunniste"], default="oppija")
    parser.add_argument("--run-id", default=None, help="default: derived from the rows")
    parser.add_argument("--workspace", type=Path, default=None,
                        help="journal folder (default ONR_WORKSPACE or ./workspace)")
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between polls")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per batch")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
        workspace = args.workspace or settings.workspace
        with OnrClient.from_settings(settings) as client:
            outcome = import_register(
                client, read_rows_file(args.rows), workspace=workspace,
                batch_size=args.batch_size, run_id=args.run_id, progress=not args.no_progress,
                api=args.api, interval=args.interval, timeout=args.timeout,
            )
    except OnrError as exc:
        print(f"onr import: {exc}", file=sys.stderr)
        if isinstance(exc, ValidationFailed) and isinstance(exc.problems, list):
            for r in exc.problems[:50]:
                if isinstance(r, dict) and "code" in r:
                    print(f"  row {int(r['row']) + 1} (tunniste {r['tunniste']}): "
                          f"{r['field']}: {r['code']}", file=sys.stderr)
        return 1
    for r in outcome.refused:  # never the value itself: tunniste, field and rule only
        print(f"onr import: refused row {r['row'] + 1} (tunniste {r['tunniste']}): "
              f"{r['field']}: {r['code']}: {r['message']}", file=sys.stderr)
    print(json.dumps(outcome.summary(), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
