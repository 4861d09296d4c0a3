"""The one SIGKILL harness of the crash tests: a child process killed at a named point.

    python -m tests.crash --kill-at journal.sending:2 -- onrtools.cli import rows.json ...

runs ``main(argv)`` of the module after ``--`` and SIGKILLs its own process the ``n``-th time it
passes the point. The moment is a count of events (the child's own logical clock), never a
wall-clock moment, so a crash test kills in the same place on a fast machine and on a loaded
one, and needs no escape clause for kills that landed nowhere. Points:

=================  ==========================================================================
``journal.sending``  after the import journal marks a batch as sending (the PUT not sent yet)
``import.put``       after ONR answered a batch's PUT, before the journal marks it sent
``journal.sent``     after the import journal marks a batch as sent
``ledger.append``    after an evidence-ledger entry is written and fsynced
``ledger.torn``      half-way through writing a ledger line (a torn last record)
``step.done``        after a pipeline step ran (:mod:`tests.reliability.driver`), before it is
                     marked done
=================  ==========================================================================

Parent side: :func:`run_killed` (returns whether the kill happened) and :func:`run_to_end`.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import os
import signal
import subprocess
import sys
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _after_nth(fn: Callable[..., Any], nth: int) -> Callable[..., Any]:
    """``fn``, but the process dies right after its ``nth`` call returns."""
    calls = 0

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        out = fn(*args, **kwargs)
        calls += 1
        if calls == nth:
            _die()
        return out

    return wrapper


def _torn_ledger_write(nth: int) -> None:
    from onrtools.evidence import store

    real = store.os
    calls = 0

    def write(fd: int, data: bytes) -> int:
        nonlocal calls
        calls += 1
        if calls == nth:
            real.write(fd, data[: max(1, len(data) // 2)])
            real.fsync(fd)
            _die()
        return real.write(fd, data)

    names = [k for k in dir(real) if not k.startswith("__")]
    shim = types.SimpleNamespace(**{k: getattr(real, k) for k in names})
    shim.write = write
    store.os = shim  # type: ignore[assignment]


def install(point: str, nth: int) -> None:
    """Arm the kill point in this process."""
    if point == "journal.sending" or point == "journal.sent":
        from onrtools.onr.journal import ImportJournal

        name = "mark_sending" if point == "journal.sending" else "mark_sent"
        setattr(ImportJournal, name, _after_nth(getattr(ImportJournal, name), nth))
    elif point == "import.put":
        from onrtools.onr import batch_import

        batch_import.submit_tuonti = _after_nth(batch_import.submit_tuonti, nth)
    elif point == "ledger.append":
        from onrtools.evidence.store import Ledger

        Ledger.append = _after_nth(Ledger.append, nth)  # type: ignore[method-assign]
    elif point == "ledger.torn":
        _torn_ledger_write(nth)
    elif point == "step.done":
        from tests.reliability import driver

        driver.run_notebook = _after_nth(driver.run_notebook, nth)
    else:
        raise SystemExit(f"tests.crash: unknown kill point {point!r}")


# --- parent side ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    at: str
    killed: bool
    returncode: int


def command(module_args: Sequence[str], at: str | None = None) -> list[str]:
    """The child's command line: ``python -m tests.crash [--kill-at AT] -- MODULE ARGS``."""
    return [sys.executable, "-m", "tests.crash", *(["--kill-at", at] if at else []), "--",
            *module_args]


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This environment without ONR_* settings, the repository on the path, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONR_")}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra or {})
    return env


def run_killed(module_args: Sequence[str], at: str, *, env: Mapping[str, str],
               cwd: Path = REPO, log: Path | None = None, timeout: float = 300) -> Outcome:
    """Run the module until it dies at ``at`` (``POINT:N``); ``killed`` False when it ended
    on its own first."""
    out = log.open("ab") if log else subprocess.DEVNULL
    try:
        proc = subprocess.run(command(module_args, at), cwd=cwd, env=dict(env), stdout=out,
                              stderr=subprocess.STDOUT, timeout=timeout, check=False)
    finally:
        if log:
            out.close()  # type: ignore[union-attr]
    return Outcome(at, proc.returncode == -signal.SIGKILL, proc.returncode)


def run_to_end(module_args: Sequence[str], *, env: Mapping[str, str], cwd: Path = REPO,
               timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run the module with no kill point; fails the test unless it ends with exit code 0."""
    proc = subprocess.run(command(module_args), cwd=cwd, env=dict(env), capture_output=True,
                          text=True, timeout=timeout, check=False)
    tail = (proc.stdout + proc.stderr)[-3000:]
    assert proc.returncode == 0, tail
    assert "Traceback" not in proc.stderr, tail
    return proc


def main(argv: list[str] | None = None) -> None:
    """Arm the kill point, then run ``MODULE.main(ARGS)`` in this process."""
    argv = list(sys.argv[1:] if argv is None else argv)
    split = argv.index("--")
    parser = argparse.ArgumentParser(prog="tests.crash")
    parser.add_argument("--kill-at", metavar="POINT:N")
    args = parser.parse_args(argv[:split])
    module, *rest = argv[split + 1 :]
    if args.kill_at:
        point, _, nth = args.kill_at.partition(":")
        install(point, int(nth or 1))
    sys.exit(importlib.import_module(module).main(rest))


if __name__ == "__main__":
    main()
