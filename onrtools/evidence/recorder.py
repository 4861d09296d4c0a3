"""Audit evidence: what each run did, written to the tamper-evident ledger (:mod:`.store`).

A run builds one :class:`EvidenceRecorder`, hands it to the steps that matter, and finishes it
with a status; ``finish`` appends the run's *manifest* to the ledger::

    evidence = EvidenceRecorder.for_run(run_id, workspace, parameters=params,
                                        environment="simulator", caller_id=settings.caller_id)
    evidence.add_input("data/register.csv", rows=10_000)      # SHA-256 + row count
    evidence.add_tuonti(tuonti.id)
    evidence.add_counts("validation", {"hetu.invalid": 3})
    evidence.event("tuonti_finished", tuonti_id=tuonti.id, rows=950)   # appended at once
    evidence.step("20-import-tuonti", "ok", rows=950)                   # appended at once
    evidence.add_output("reports/run-1/30-reconcile.html")   # SHA-256, checked by verify
    manifest = evidence.finish("ok")

Used as a context manager it finishes itself (``"failed"`` when an exception escapes).
Running the same run id again (a resume) appends a new ``run_started`` and a new manifest with
``attempt`` + 1; the chain is never rewritten.

What a manifest holds (kept after retention pruning): run id, attempt, status, UTC start/end,
package version, git commit, Python, operator (OS user), ONR environment, Caller-Id, parameters
minus secret-looking keys (their names are listed in ``parameters_dropped``), notebooks, inputs
(SHA-256, rows, bytes), outputs and request packages (SHA-256, bytes), tuonti ids, counts per
kind, review decisions, API call totals, KPIs. What goes to the prunable detail: the API call
rows and anything added with :meth:`EvidenceRecorder.add_detail`.

Reading it back and the command line live in :mod:`.audit`:
``onr audit verify [--workspace W] [--no-outputs] [--anchor SEQ:HASH]`` (exit 0 intact, 1
broken), ``onr audit show RUN`` (a run's manifests, readable), ``onr audit runs`` (one line per
run) and ``onr audit prune --days N``.
"""

from __future__ import annotations

import getpass
import platform
import subprocess
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from onrtools.evidence.scrub import SECRET_KEY
from onrtools.evidence.store import Entry, Ledger, iso, sha256_file, utc_now

__all__ = ["EvidenceRecorder", "clean_parameters"]

_NUMERIC = (int, float, bool)


def _package_version() -> str:
    try:
        from onrtools import __version__

        return str(__version__)
    except ImportError:  # an editable install seen as a namespace package
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("onrtools")
        except PackageNotFoundError:
            return "unknown"


def _git_commit() -> dict[str, Any] | None:
    """HEAD of the checkout the package runs from, and whether tracked files differ from it."""
    root = Path(__file__).resolve().parents[2]  # onrtools/evidence/recorder.py -> the checkout
    if not (root / ".git").exists():
        return None
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": head, "dirty": bool(dirty)}


def clean_parameters(parameters: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Parameters minus secret-looking keys (password, secret, token, ticket, cookie, ...)."""
    kept: dict[str, Any] = {}
    dropped: list[str] = []
    for key, value in parameters.items():
        if SECRET_KEY.search(str(key)):
            dropped.append(str(key))
        else:
            kept[str(key)] = value  # hetu-shaped values are masked by the ledger's scrub
    return kept, sorted(dropped)


class EvidenceRecorder:
    """Collects one run's evidence and writes it to the workspace ledger.

    Build with :meth:`for_run`. ``add_*`` methods only collect (cheap, no I/O except hashing
    files); :meth:`event` appends at once (it survives a crash); :meth:`finish` appends the
    manifest. Paths are recorded relative to the workspace's parent (the repository root
    for the default ``./workspace``), so ``onr audit verify`` can re-hash them later.
    """

    def __init__(
        self,
        ledger: Ledger,
        run_id: str,
        *,
        parameters: Mapping[str, Any] | None = None,
        environment: str = "",
        caller_id: str | None = None,
        attempt: int = 1,
    ) -> None:
        self.ledger = ledger
        self.run_id = run_id
        self.attempt = attempt
        self.environment = environment
        self.caller_id = caller_id
        self.parameters, self.parameters_dropped = clean_parameters(parameters or {})
        self.started_at = utc_now()
        self.notebooks: list[dict[str, Any]] = []
        self.inputs: list[dict[str, Any]] = []
        self.outputs: list[dict[str, Any]] = []
        self.request_packages: list[dict[str, Any]] = []
        self.tuonti_ids: list[Any] = []
        self.counts: dict[str, dict[str, Any]] = {}
        self.review_decisions: dict[str, int] = {}
        self.api_calls: list[dict[str, Any]] = []
        self.kpis: dict[str, Any] = {}
        self.details: dict[str, list[Any]] = {}
        self.events = 0
        self.manifest: dict[str, Any] | None = None

    @classmethod
    def for_run(
        cls,
        run_id: str,
        workspace: Path | str = "workspace",
        *,
        parameters: Mapping[str, Any] | None = None,
        environment: str = "",
        caller_id: str | None = None,
    ) -> EvidenceRecorder:
        """Start (or resume) ``run_id``: appends ``run_started`` with the attempt number."""
        if not run_id or not isinstance(run_id, str):
            raise ValueError("run_id must be a non-empty string")
        ledger = Ledger(workspace)
        attempt = 1 + sum(
            1
            for e in ledger.entries()
            if e.kind == "run_started" and e.record.get("run_id") == run_id
        )
        recorder = cls(
            ledger,
            run_id,
            parameters=parameters,
            environment=environment,
            caller_id=caller_id,
            attempt=attempt,
        )
        ledger.append(
            {
                "kind": "run_started",
                "time": iso(recorder.started_at),
                "run_id": run_id,
                "attempt": attempt,
                "environment": environment,
                "caller_id": caller_id,
                "package_version": _package_version(),
            }
        )
        return recorder

    # -- context manager --

    def __enter__(self) -> EvidenceRecorder:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.manifest is None:
            self.finish(
                "ok" if exc_type is None else "failed",
                error=None if exc_type is None else exc_type.__name__,
            )

    # -- collecting --

    def _file(self, path: Path | str) -> dict[str, Any]:
        p = Path(path)
        if not p.is_file():
            raise FileNotFoundError(f"evidence: no such file {p}")
        return {
            "path": self.ledger.relative(p),
            "sha256": sha256_file(p),
            "bytes": p.stat().st_size,
        }

    def add_input(self, path: Path | str, rows: int) -> dict[str, Any]:
        """Record an input file: SHA-256, size and the number of data rows read from it."""
        item = {**self._file(path), "rows": int(rows)}
        self.inputs.append(item)
        return item

    def add_output(self, path: Path | str) -> dict[str, Any]:
        """Record an output file's SHA-256 (verification re-hashes it later)."""
        item = self._file(path)
        self.outputs = [o for o in self.outputs if o["path"] != item["path"]] + [item]
        return item

    def add_output_dir(self, directory: Path | str, pattern: str = "*") -> list[dict[str, Any]]:
        """Record every file under ``directory`` matching ``pattern`` (recursively)."""
        return [self.add_output(p) for p in sorted(Path(directory).rglob(pattern)) if p.is_file()]

    def add_notebook(self, path: Path | str) -> dict[str, Any]:
        """Record a notebook (the source that ran) by SHA-256."""
        item = self._file(path)
        self.notebooks.append(item)
        return item

    def add_request_package(self, path: Path | str) -> dict[str, Any]:
        """Record a merge/unlink request package written for OPH (SHA-256)."""
        item = self._file(path)
        self.request_packages.append(item)
        return item

    def add_tuonti(self, tuonti_id: int | str) -> None:
        """Record a tuonti (batch import) id this run submitted or followed."""
        if tuonti_id not in self.tuonti_ids:
            self.tuonti_ids.append(tuonti_id)

    def add_counts(self, kind: str, counts: Mapping[str, Any]) -> None:
        """Record counts of one kind, e.g. ``"validation"`` per code, ``"reconcile"`` per
        category; adding the same kind again adds the numbers up."""
        target = self.counts.setdefault(kind, {})
        for key, value in counts.items():
            number = value.item() if hasattr(value, "item") else value
            if isinstance(number, _NUMERIC) and isinstance(target.get(str(key), 0), _NUMERIC):
                target[str(key)] = target.get(str(key), 0) + number
            else:
                target[str(key)] = number

    def add_api_calls(self, summary: list[dict[str, Any]]) -> None:
        """Record the client's call summary (method, path template, status, count, durations).

        Rows go to the prunable detail; totals (calls, errors) stay in the manifest.
        """
        self.api_calls.extend(dict(row) for row in summary)

    def add_review_decisions(self, n_by_decision: Mapping[str, int]) -> None:
        """Record how many duplicate-review decisions were taken, per decision."""
        for key, value in n_by_decision.items():
            self.review_decisions[str(key)] = self.review_decisions.get(str(key), 0) + int(value)

    def add_kpis(self, kpis: Mapping[str, Any]) -> None:
        """Record this run's KPIs (:func:`.kpi.compute_kpis`); NaN is stored as null."""
        self.kpis.update({str(k): v for k, v in kpis.items()})

    def add_detail(self, section: str, rows: list[Any]) -> None:
        """Record detailed rows (OIDs, per-person outcomes) that retention may prune later."""
        self.details.setdefault(section, []).extend(rows)

    def event(self, kind: str, **fields: Any) -> Entry:
        """Append a step event now (tuonti submitted, polled, finished; duplicates found).

        Numbers and booleans stay in the chain; strings, lists and dicts (OIDs, statuses) go
        to the event's prunable detail. Returns the ledger entry.
        """
        inline = {k: v for k, v in fields.items() if isinstance(v, _NUMERIC) or v is None}
        rest = {k: v for k, v in fields.items() if k not in inline}
        self.events += 1
        record = {
            "kind": "event",
            "event": kind,
            "run_id": self.run_id,
            "attempt": self.attempt,
            **{f"n_{k}" if k in _RESERVED else k: v for k, v in inline.items()},
        }
        return self.ledger.append(record, detail=rest or None)

    def step(self, name: str, status: str, **numbers: int | float) -> Entry:
        """Append a per-step entry now: step ``name`` ended with ``status`` (both kept in the
        chain, they are our words, not data), plus counts such as ``rows=950``."""
        self.events += 1
        record = {
            "kind": "step",
            "step": name,
            "status": status,
            "run_id": self.run_id,
            "attempt": self.attempt,
            **{k: v for k, v in numbers.items() if k not in _RESERVED},
        }
        return self.ledger.append(record)

    # -- finishing --

    def finish(self, status: str, *, error: str | None = None) -> dict[str, Any]:
        """Append the manifest with ``status`` (``ok``, ``failed``, ``partial``...); return it
        as stored (hetus masked, secrets dropped) plus its ``seq`` and ``hash``."""
        if self.manifest is not None:
            raise ValueError(f"run {self.run_id!r} attempt {self.attempt} already finished")
        finished = utc_now()
        api_errors = sum(_calls(r) for r in self.api_calls if _is_error_status(r.get("status")))
        record: dict[str, Any] = {
            "kind": "manifest",
            "time": iso(finished),
            "run_id": self.run_id,
            "attempt": self.attempt,
            "status": status,
            "error": error,
            "started_at": iso(self.started_at),
            "finished_at": iso(finished),
            "duration_s": round((finished - self.started_at).total_seconds(), 3),
            "package_version": _package_version(),
            "git": _git_commit(),
            "python": platform.python_version(),
            "operator": _operator(),
            "environment": self.environment,
            "caller_id": self.caller_id,
            "parameters": self.parameters,
            "parameters_dropped": self.parameters_dropped,
            "notebooks": self.notebooks,
            "inputs": self.inputs,
            "outputs": self.outputs,
            "request_packages": self.request_packages,
            "tuonti_ids": self.tuonti_ids,
            "counts": self.counts,
            "review_decisions": self.review_decisions,
            "api_calls_total": sum(_calls(r) for r in self.api_calls),
            "api_errors": api_errors,
            "events": self.events,
            "kpis": self.kpis,
        }
        detail: dict[str, Any] = {"api_calls": self.api_calls, **self.details}
        has_detail = any(bool(v) for v in detail.values())
        entry = self.ledger.append(record, detail=detail if has_detail else None)
        self.manifest = {**entry.record, "seq": entry.seq, "hash": entry.hash}
        return self.manifest


_RESERVED = {"kind", "event", "step", "status", "run_id", "attempt", "time", "detail_sha256"}


def _calls(row: Mapping[str, Any]) -> int:
    """Calls in one summary row (``onrtools.onr.calls`` says ``calls``; ``count`` also works)."""
    value = row.get("calls", row.get("count", 1))
    return int(value) if value is not None else 0


def _is_error_status(status: Any) -> bool:
    """4xx/5xx, or no answer at all (status None: timeout, connection refused)."""
    if status is None:
        return True
    try:
        return int(status) >= 400
    except (TypeError, ValueError):
        return str(status).lower() in {"error", "timeout", "failed"}


def _operator() -> str | None:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return None
