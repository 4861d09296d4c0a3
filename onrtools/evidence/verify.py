"""Verification of the evidence ledger: the whole chain, every detail, every recorded output.

:func:`verify_ledger` reads the ledger once (under its lock) and names the first broken entry:
a line that is torn (a writer killed mid-write: never taken as valid), unreadable, altered (hash
mismatch), missing (a deleted seq), out of order (reordered), or not linked to its predecessor;
a detail file changed or deleted without a ``prune`` entry; a prune naming entries it may not;
an output file changed or missing; an anchor written down earlier that the chain no longer holds.
Each of those is one small check below; :class:`VerifyResult` gathers what they found.

Imports: :mod:`.store` (the file format and the hash rules) and :mod:`onrtools.errors`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from onrtools.errors import LedgerError
from onrtools.evidence.store import (
    GENESIS,
    Entry,
    Ledger,
    detail_ref,
    entry_hash,
    entry_time,
    expand,
    line_hash_ok,
    parse_iso,
    pruned_seqs,
    released_seqs,
    sha256_file,
)

# --- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing verification found wrong; ``seq`` is None when the line cannot be read."""

    line: int | None
    seq: int | None
    kind: str  # truncated, unreadable, hash_mismatch, missing, out_of_order, duplicate_seq,
    # chain_broken, detail_changed, detail_missing, bad_prune, output_changed, output_missing,
    # anchor
    message: str

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.seq is not None:
            where.append(f"seq {self.seq}")
        return f"{', '.join(where) or 'ledger'}: {self.message}"


@dataclass
class VerifyResult:
    """What :func:`verify_ledger` found. ``ok`` only when nothing at all is wrong."""

    ok: bool
    entries: int
    first_bad: Problem | None = None
    problems: list[Problem] = field(default_factory=list)
    head_seq: int | None = None
    head_hash: str | None = None
    runs: int = 0
    manifests: int = 0
    outputs_checked: int = 0
    details_checked: int = 0
    pruned: int = 0
    prunes: list[str] = field(default_factory=list)
    path: str = ""

    @property
    def reason(self) -> str | None:
        """The first problem in words (None when ok)."""
        return str(self.first_bad) if self.first_bad else None

    def __str__(self) -> str:
        if self.ok:
            return f"OK: {self.entries} entries, head seq {self.head_seq}"
        return f"BROKEN ({len(self.problems)} problems), first: {self.first_bad}"

    def raise_if_broken(self) -> None:
        """Raise :class:`~onrtools.errors.LedgerError` naming the first bad entry."""
        if not self.ok and self.first_bad is not None:
            raise LedgerError(f"evidence ledger broken: {self.first_bad}", self.first_bad.seq)

    def summary(self) -> str:
        """A few readable lines (what ``onr audit verify`` prints)."""
        head = f"seq {self.head_seq} hash {self.head_hash}" if self.head_hash else "empty"
        lines = [
            f"ledger: {self.path}",
            f"entries: {self.entries}  runs: {self.runs}  manifests: {self.manifests}  "
            f"details checked: {self.details_checked}  pruned: {self.pruned}  "
            f"output files checked: {self.outputs_checked}",
            f"head: {head}",
        ]
        lines += [f"prune: {p}" for p in self.prunes]
        if self.ok:
            lines.append("result: OK - chain intact, every recorded output file unchanged")
        else:
            lines.append(f"result: BROKEN - {len(self.problems)} problem(s)")
            lines.append(f"first broken entry: {self.first_bad}")
            lines += [f"  - {p}" for p in self.problems[1:20]]
            if len(self.problems) > 20:
                lines.append(f"  ... and {len(self.problems) - 20} more")
        return "\n".join(lines)


def _hash_all(paths: list[str]) -> list[str | None]:
    return [_hash_or_none(p) for p in paths]


def _hash_or_none(path: str) -> str | None:
    """SHA-256 of a regular file, None when it is missing or not a file."""
    try:
        return sha256_file(path)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


# --- verification ---------------------------------------------------------------------------


def verify_ledger(
    workspace: Path | str,
    *,
    check_outputs: bool = True,
    anchors: Iterable[tuple[int, str]] = (),
) -> VerifyResult:
    """Recompute the whole chain, every detail and every recorded output file hash.

    Names the first broken entry: a line that is torn (a writer killed mid-write: never taken
    as valid), unreadable, altered (hash mismatch), missing (a deleted seq), out of order
    (reordered), or not linked to its predecessor; a detail file changed or deleted without a
    ``prune`` entry; an output file changed or missing (only the latest manifest naming a path
    counts, so a resumed run that rewrote its report is not a failure). ``anchors`` are
    ``(seq, hash)`` pairs written down earlier: each must still be in the chain.
    """
    ledger = Ledger(workspace)
    data = ledger.snapshot()
    result = VerifyResult(ok=True, entries=0, path=str(ledger.path))
    if not data:
        return _finish(result, [Problem(None, seq, "anchor",
                                        "anchored entry missing: ledger empty")
                                for seq, _digest in anchors])
    raw_lines, parsed, problems = _parse(data)
    by_seq = _check_chain(parsed, raw_lines, result, problems)
    if parsed:
        result.head_seq, result.head_hash = parsed[-1].seq, parsed[-1].hash
    pruned, released = pruned_seqs(parsed), released_seqs(parsed)
    problems += _check_prunes(parsed, by_seq)
    result.prunes = [
        f"seq {e.seq} at {e.record.get('time')}: retention {e.record.get('retention_days')} "
        f"days, cutoff {e.record.get('cutoff')}"
        for e in parsed
        if e.kind == "prune"
    ]
    result.pruned = len(pruned)
    details, latest_output = _references(parsed, result, problems)
    outputs = (
        [(e, d, rec) for rec, (e, d) in latest_output.items() if e.seq not in released]
        if check_outputs
        else []
    )
    found = _hash_files(ledger, [d for _, d in details], [rec for _, _, rec in outputs])
    _check_details(details, found[: len(details)], pruned, result, problems)
    _check_outputs(outputs, found[len(details) :], result, problems)
    problems += _check_anchors(anchors, by_seq)
    return _finish(result, problems)


def _parse(data: bytes) -> tuple[list[bytes], list[Entry], list[Problem]]:
    """(the complete lines, the entries read from them, a problem per unreadable or torn line)."""
    lines = data.split(b"\n")
    torn = lines.pop()  # b"" when the file ends with a newline, as every complete write does
    parsed: list[Entry] = []
    problems: list[Problem] = []
    for number, raw in enumerate(lines, start=1):
        entry = _entry(raw, number)
        if entry is None:
            problems.append(Problem(number, None, "unreadable",
                                    "line is not a ledger entry (edited, or bytes changed)"))
        else:
            parsed.append(entry)
    if torn:
        problems.append(Problem(
            len(lines) + 1, None, "truncated",
            f"truncated last record ({len(torn)} bytes, no newline): a writer was killed "
            "mid-write; never taken as valid (the next append moves it to quarantine/)"))
    return lines, parsed, problems


def _entry(raw: bytes, number: int) -> Entry | None:
    """The entry on one line, None unless it has exactly the four fields of one."""
    try:
        obj = json.loads(raw)
        entry = Entry(
            int(obj["seq"]), str(obj["prev_hash"]), obj["record"], str(obj["hash"]), number
        )
        if not isinstance(entry.record, dict) or set(obj) != {"seq", "prev_hash", "record",
                                                              "hash"}:
            raise TypeError("unexpected shape")
    except (ValueError, KeyError, TypeError):
        return None
    return entry


def _check_chain(parsed: list[Entry], raw_lines: list[bytes], result: VerifyResult,
                 problems: list[Problem]) -> dict[int, Entry]:
    """Each entry's own hash, its place in the sequence and its link; returns entries by seq."""
    all_seqs = {e.seq for e in parsed}
    expected, prev = 1, GENESIS
    seen: set[int] = set()
    by_seq: dict[int, Entry] = {}
    for entry in parsed:
        result.entries += 1
        if not line_hash_ok(raw_lines[entry.line - 1], entry.hash) and (
            entry_hash(entry.seq, entry.prev_hash, entry.record) != entry.hash
        ):
            problems.append(Problem(entry.line, entry.seq, "hash_mismatch",
                                    "hash mismatch: the entry was altered after writing"))
        problem = _place_problem(entry, expected, prev, seen, all_seqs)
        if problem is not None:
            problems.append(problem)
        seen.add(entry.seq)
        by_seq.setdefault(entry.seq, entry)
        if entry.seq + 1 >= expected:  # after a reordered pair, carry on from the highest seq
            expected, prev = entry.seq + 1, entry.hash
    return by_seq


def _place_problem(entry: Entry, expected: int, prev: str, seen: set[int],
                   all_seqs: set[int]) -> Problem | None:
    """What is wrong with an entry's seq or link where it stands, if anything."""
    if entry.seq in seen:
        return Problem(entry.line, entry.seq, "duplicate_seq",
                       f"seq {entry.seq} appears twice (copied or replayed entry)")
    if entry.seq != expected:
        if expected in all_seqs and expected not in seen:
            return Problem(entry.line, entry.seq, "out_of_order",
                           f"out of order: seq {entry.seq} where seq {expected} "
                           "was expected (entries reordered)")
        if entry.seq > expected:
            gap = f"{expected}" if entry.seq == expected + 1 else f"{expected}-{entry.seq - 1}"
            return Problem(entry.line, entry.seq, "missing",
                           f"seq {gap} missing before this entry (deleted)")
        return Problem(entry.line, entry.seq, "out_of_order",
                       f"out of order: seq {entry.seq} after seq {expected - 1}")
    if entry.prev_hash != prev:
        return Problem(entry.line, entry.seq, "chain_broken",
                       "prev_hash does not match the previous entry's hash")
    return None


def _references(parsed: list[Entry], result: VerifyResult, problems: list[Problem]
                ) -> tuple[list[tuple[Entry, str]], dict[str, tuple[Entry, str]]]:
    """(every detail an entry refers to, the latest manifest's hash of each output path);
    counts runs and manifests on the way."""
    run_ids: set[str] = set()
    latest_output: dict[str, tuple[Entry, str]] = {}
    details: list[tuple[Entry, str]] = []
    for entry in parsed:
        record = entry.record
        if record.get("run_id"):
            run_ids.add(str(record["run_id"]))
        if "detail_sha256" in record:
            digest = detail_ref(record)
            if digest is None:
                problems.append(
                    Problem(entry.line, entry.seq, "detail_changed", "detail reference invalid")
                )
            else:
                details.append((entry, digest))
        if entry.kind == "manifest":
            result.manifests += 1
            for item in record.get("outputs") or []:
                if isinstance(item, dict) and item.get("path") and item.get("sha256"):
                    latest_output[str(item["path"])] = (entry, str(item["sha256"]))
    result.runs = len(run_ids)
    return details, latest_output


def _hash_files(ledger: Ledger, details: list[str], outputs: list[str]) -> list[str | None]:
    """SHA-256 of each detail file, then of each output file (None: missing).

    Hashing files is I/O plus C code that releases the GIL: a few threads help."""
    details_dir = str(ledger.details_dir)
    base = str(ledger.base_dir)
    paths = [os.path.join(details_dir, f"{d}.json") for d in details]
    paths += [os.path.join(base, rec) for rec in outputs]  # absolute rec wins in join
    chunks = [paths[i : i + 256] for i in range(0, len(paths), 256)]
    with ThreadPoolExecutor(max_workers=min(8, 2 * (os.cpu_count() or 1))) as pool:
        return [d for part in pool.map(_hash_all, chunks) for d in part]


def _check_details(details: list[tuple[Entry, str]], found: list[str | None], pruned: set[int],
                   result: VerifyResult, problems: list[Problem]) -> None:
    for (entry, digest), actual in zip(details, found, strict=True):
        name = f"{digest}.json"
        if actual is None:
            if entry.seq not in pruned:
                problems.append(Problem(entry.line, entry.seq, "detail_missing",
                                        f"detail file {name} missing and not pruned"))
            continue
        result.details_checked += 1
        if actual != digest:
            problems.append(
                Problem(entry.line, entry.seq, "detail_changed", f"detail file {name} changed")
            )


def _check_outputs(outputs: list[tuple[Entry, str, str]], found: list[str | None],
                   result: VerifyResult, problems: list[Problem]) -> None:
    for (entry, digest, recorded), actual in zip(outputs, found, strict=True):
        result.outputs_checked += 1
        run = entry.record.get("run_id")
        if actual is None:
            problems.append(Problem(entry.line, entry.seq, "output_missing",
                                    f"output file missing: {recorded} (run {run})"))
        elif actual != digest:
            problems.append(Problem(entry.line, entry.seq, "output_changed",
                                    f"output file changed: {recorded} (run {run})"))


def _check_anchors(anchors: Iterable[tuple[int, str]], by_seq: dict[int, Entry]
                   ) -> list[Problem]:
    problems: list[Problem] = []
    for seq, digest in anchors:
        anchored = by_seq.get(seq)
        if anchored is None:
            problems.append(Problem(None, seq, "anchor", "anchored entry missing"))
        elif anchored.hash != digest:
            problems.append(Problem(
                anchored.line, seq, "anchor",
                "hash differs from the anchor written down earlier (the ledger was rewritten)"))
    return problems


def _check_prunes(parsed: list[Entry], by_seq: dict[int, Entry]) -> list[Problem]:
    """A prune may only name entries before it and older than its own cutoff."""
    problems: list[Problem] = []
    for entry in parsed:
        if entry.kind != "prune":
            continue
        try:
            cutoff = parse_iso(str(entry.record.get("cutoff")))
        except ValueError:
            problems.append(Problem(entry.line, entry.seq, "bad_prune", "prune without cutoff"))
            continue
        for seq in sorted(
            expand(entry.record.get("pruned_seqs"))
            | expand(entry.record.get("outputs_released_seqs"))
        ):
            target = by_seq.get(seq)
            if target is None or seq >= entry.seq or entry_time(target) >= cutoff:
                problems.append(
                    Problem(
                        entry.line,
                        entry.seq,
                        "bad_prune",
                        f"prune names seq {seq}, which is not an entry older than its cutoff",
                    )
                )
                break
    return problems


def _finish(result: VerifyResult, problems: list[Problem]) -> VerifyResult:
    problems.sort(key=lambda p: p.line if p.line is not None else 1 << 62)
    result.problems = problems
    result.ok = not problems
    result.first_bad = problems[0] if problems else None
    return result
