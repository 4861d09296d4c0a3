"""Code that runs in child processes (multiprocessing spawn, or `python -m`)."""

from __future__ import annotations

import os
import sys

from onrtools.evidence.store import Ledger


def append_many(workspace: str, worker: int, count: int) -> int:
    """Append ``count`` records tagged with ``worker``; each with a small detail."""
    ledger = Ledger(workspace)
    for i in range(count):
        ledger.append(
            {"kind": "event", "event": "load", "worker": worker, "i": i, "pid": os.getpid()},
            detail={"oids": [f"1.2.246.562.24.{worker:05d}{i:06d}"]} if i % 3 == 0 else None,
        )
    return count


def append_forever(workspace: str) -> None:
    """Append big records until killed (the SIGKILL test kills it at a counted write)."""
    ledger = Ledger(workspace)
    padding = "x" * 200_000  # a large line: a torn write leaves a long partial tail
    i = 0
    while True:
        ledger.append(
            {"kind": "event", "event": "loop", "i": i, "padding": padding},
            detail={"i": i, "oids": ["1.2.246.562.24.10000000001"]},
        )
        i += 1


def main(argv: list[str]) -> int:
    """`python -m tests.crash --kill-at ledger.append:N -- tests.evidence._workers WORKSPACE`"""
    append_forever(argv[0])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
