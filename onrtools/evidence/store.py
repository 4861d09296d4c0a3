"""The evidence ledger's store: append-only, hash-chained JSON Lines in the workspace.

Layout under ``<workspace>/ledger/``::

    ledger.jsonl          one entry per line, never rewritten
    ledger.lock           filelock: appends (and prunes) from several processes take turns
    details/<sha256>.json the prunable detail of an entry, named by its own hash
    quarantine/           a truncated last line (a writer killed mid-write), moved aside

One line is the canonical JSON (sorted keys, no spaces, UTF-8) of::

    {"seq": 7, "prev_hash": "<hash of seq 6>", "record": {...}, "hash": "<sha256>"}

where ``hash = sha256(canonical({"seq", "prev_hash", "record"}))`` and the first entry's
``prev_hash`` is 64 zeros. A record is a dict with at least ``kind`` and ``time`` (UTC ISO-8601).

Retention: a record's bulky or identifying part (API call rows, OIDs, event fields) can go into
a *detail*: it is stored in ``details/`` and the record keeps only ``detail_sha256``, which the
chain covers. :func:`prune` deletes old detail files and appends a ``prune`` entry naming the
entries it pruned, so verification still passes afterwards and still tells a pruned detail
(listed) from a deleted one (not listed) or an edited one (hash differs).

Privacy: every record and detail passes :func:`onrtools.evidence.scrub.scrub` on its way in.

Tamper evidence has the usual limit of a hash chain: someone who rewrites the *whole* file,
recomputing every hash, produces a valid chain. Write the head hash that ``onr audit verify``
prints somewhere else (the run report, an e-mail, a ticket) and check it later with
``--anchor SEQ:HASH``; then a rewrite is detected too. Checking the chain is
:mod:`onrtools.evidence.verify`'s job.

Imports: :mod:`.scrub`, :mod:`onrtools.errors` and :mod:`onrtools.workspace`.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from onrtools.errors import LedgerError
from onrtools.evidence.scrub import HEX64, scrub
from onrtools.workspace import Workspace

GENESIS = "0" * 64
LOCK_TIMEOUT = 120.0  # seconds; a pipeline run holds the lock only for one append



# --- canonical form, hashing, time --------------------------------------------------------


def canonical(value: Any) -> bytes:
    """The canonical JSON bytes the chain hashes: sorted keys, no spaces, UTF-8, no NaN."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path | str) -> str:
    """Hex SHA-256 of a file's bytes (streamed; hashlib.file_digest)."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def entry_hash(seq: int, prev_hash: str, record: Mapping[str, Any]) -> str:
    """The hash an entry must carry."""
    return sha256_bytes(canonical({"seq": seq, "prev_hash": prev_hash, "record": record}))


_LINE_HEAD = b'{"hash":"'


def line_hash_ok(raw: bytes, stored: str) -> bool:
    """Fast check of a line as we write it: ``{"hash":"<64>",`` + the hashed object's tail.

    The canonical line with its sorted keys is the hashed object ``{"prev_hash",
    "record", "seq"}`` with the hash field put in front, so the hashed bytes are a slice of
    the line and re-serialising the record is not needed. Any other shape (or a mismatch)
    falls back to :func:`entry_hash`.
    """
    return (
        raw.startswith(_LINE_HEAD)
        and raw[9:73] == stored.encode("ascii", "replace")
        and raw[73:75] == b'",'
        and sha256_bytes(b"{" + raw[75:]) == stored
    )


def utc_now() -> datetime:
    """Now, timezone-aware UTC (one place to read the clock)."""
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """UTC ISO-8601 with a ``Z``, second precision plus milliseconds."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    """Inverse of :func:`iso` (accepts any ISO-8601 with an offset or ``Z``)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# --- entries ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One ledger line, parsed: ``line`` is 1-based."""

    seq: int
    prev_hash: str
    record: dict[str, Any]
    hash: str
    line: int

    @property
    def kind(self) -> str:
        return str(self.record.get("kind", ""))


# --- the ledger ---------------------------------------------------------------------------


class Ledger:
    """The hash-chained ledger of one workspace. Cheap to build; every call opens the file."""

    def __init__(self, workspace: Workspace | Path | str) -> None:
        space = Workspace.at(workspace)
        self.workspace = space.root
        self.dir = space.ledger_dir
        self.path = self.dir / "ledger.jsonl"
        self.details_dir = self.dir / "details"
        self.quarantine_dir = self.dir / "quarantine"
        self._lock = FileLock(str(self.dir / "ledger.lock"), timeout=LOCK_TIMEOUT)

    # paths recorded in manifests are relative to this directory when inside it
    @cached_property
    def base_dir(self) -> Path:
        return self.workspace.resolve().parent

    def relative(self, path: Path | str) -> str:
        """``path`` as recorded: relative to the workspace's parent when inside it."""
        resolved = Path(path).resolve()
        try:
            return resolved.relative_to(self.base_dir).as_posix()
        except ValueError:
            return resolved.as_posix()

    def resolve(self, recorded: str) -> Path:
        """Inverse of :meth:`relative`."""
        path = Path(recorded)
        return path if path.is_absolute() else self.base_dir / path

    # -- writing --

    def append(
        self, record: Mapping[str, Any], *, detail: Mapping[str, Any] | None = None
    ) -> Entry:
        """Append one record (scrubbed, timestamped), under the lock, fsynced; return it.

        ``detail`` (optional) goes to ``details/`` and only its hash into the chain: put
        there what retention may delete later (rows, OIDs); counts belong in ``record``.
        A truncated last line left by a killed writer is first moved to ``quarantine/`` and a
        ``ledger_repaired`` entry recording it is appended, so the gap stays visible.
        """
        if "kind" not in record:
            raise ValueError("a ledger record needs a 'kind'")
        clean = scrub(dict(record))
        clean.setdefault("time", iso(utc_now()))
        self.dir.mkdir(parents=True, exist_ok=True)
        with self._locked():
            seq, prev = self._tail_for_append()
            if detail:
                clean["detail_sha256"] = self._write_detail(scrub(dict(detail)))
            return self._write_entry(seq + 1, prev, clean)

    def _write_entry(self, seq: int, prev: str, record: dict[str, Any]) -> Entry:
        digest = entry_hash(seq, prev, record)
        line = canonical({"seq": seq, "prev_hash": prev, "record": record, "hash": digest})
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
        try:
            os.write(fd, line + b"\n")  # one write: a line is either whole or a torn tail
            os.fsync(fd)
        finally:
            os.close(fd)
        return Entry(seq, prev, record, digest, line=0)

    def _write_detail(self, detail: dict[str, Any]) -> str:
        data = canonical(detail)
        digest = sha256_bytes(data)
        target = self.details_dir / f"{digest}.json"
        if not target.exists():
            self.details_dir.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(f".tmp{os.getpid()}")
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        return digest

    def _tail_for_append(self) -> tuple[int, str]:
        """(last seq, last hash) for the next append; repairs a torn tail first (lock held)."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            return 0, GENESIS
        last, torn = _read_tail(self.path)
        if torn:
            last = self._quarantine(torn, last)
        if last is None:
            return 0, GENESIS
        try:
            obj = json.loads(last)
            seq, digest = int(obj["seq"]), str(obj["hash"])
        except (ValueError, KeyError, TypeError) as exc:
            raise LedgerError(
                "the ledger's last entry cannot be read; run `onr audit verify`"
            ) from exc
        return seq, digest

    def _quarantine(self, torn: bytes, last: bytes | None) -> bytes | None:
        self.quarantine_dir.mkdir(parents=True, exist_ok=True)
        digest = sha256_bytes(torn)
        stamp = utc_now().strftime("%Y%m%dT%H%M%S%fZ")
        (self.quarantine_dir / f"{stamp}-{digest[:16]}.partial").write_bytes(torn)
        size = self.path.stat().st_size
        with open(self.path, "rb+") as fh:
            fh.truncate(size - len(torn))
            fh.flush()
            os.fsync(fh.fileno())
        if last is None:
            seq, prev = 0, GENESIS
        else:
            obj = json.loads(last)
            seq, prev = int(obj["seq"]), str(obj["hash"])
        note = {
            "kind": "ledger_repaired",
            "time": iso(utc_now()),
            "reason": "truncated last record (a writer was killed mid-write); moved aside",
            "torn_bytes": len(torn),
            "torn_sha256": digest,
            "after_seq": seq,
        }
        entry = self._write_entry(seq + 1, prev, note)
        return canonical(
            {
                "seq": entry.seq,
                "prev_hash": entry.prev_hash,
                "record": entry.record,
                "hash": entry.hash,
            }
        )

    # -- reading --

    def snapshot(self) -> bytes:
        """The ledger file's bytes, read under the lock (no half-written line from a peer).

        A copy on read-only media (an auditor's) cannot take the lock; it is read as it is.
        """
        if not self.path.exists():
            return b""
        try:
            self._lock.acquire()
        except OSError:
            return self.path.read_bytes()
        try:
            return self.path.read_bytes()
        finally:
            self._lock.release()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            self._lock.acquire()
        except Timeout as exc:
            raise LedgerError(
                f"the ledger stayed locked by another run for {LOCK_TIMEOUT:.0f} s"
            ) from exc
        try:
            yield
        finally:
            self._lock.release()

    def entries(self) -> Iterator[Entry]:
        """Every readable entry in file order; unreadable or torn lines are skipped.

        For reading reports. Whether the ledger can be trusted is
        :func:`onrtools.evidence.verify.verify_ledger`'s job.
        """
        for number, raw in enumerate(self.snapshot().split(b"\n"), start=1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
                yield Entry(
                    int(obj["seq"]),
                    str(obj["prev_hash"]),
                    dict(obj["record"]),
                    str(obj["hash"]),
                    number,
                )
            except (ValueError, KeyError, TypeError):
                continue

    def detail(self, record: Mapping[str, Any]) -> dict[str, Any] | None:
        """The detail of a record, or None when it has none or it was pruned."""
        digest = detail_ref(record)
        if digest is None:
            return None
        path = self.details_dir / f"{digest}.json"
        if not path.exists():
            return None
        return dict(json.loads(path.read_bytes()))

    # -- retention --

    def prune(
        self, retention_days: float, *, now: datetime | None = None, release_outputs: bool = True
    ) -> dict[str, Any]:
        """Delete the details of entries older than ``retention_days``; append a ``prune`` entry.

        The chain is untouched, so it still verifies. ``release_outputs``: the output files of
        the pruned runs' manifests may be deleted by the same retention policy, so verification
        stops checking them (their hashes stay in the chain). Returns the prune record.
        """
        if retention_days < 0:
            raise ValueError("retention_days must be >= 0")
        cutoff = (now or utc_now()) - timedelta(days=retention_days)
        self.dir.mkdir(parents=True, exist_ok=True)
        with self._locked():
            seq, prev = self._tail_for_append()
            entries = list(_parse_lines(self.path.read_bytes()))
            already = pruned_seqs(entries)
            old: set[int] = set()
            keep: set[str] = set()
            released: list[int] = []
            for entry in entries:
                digest = detail_ref(entry.record)
                is_old = entry_time(entry) < cutoff
                if is_old and entry.kind == "manifest" and release_outputs:
                    released.append(entry.seq)
                if not digest:
                    continue
                if is_old:
                    if entry.seq not in already:
                        old.add(entry.seq)
                else:
                    keep.add(str(digest))
            removed = 0
            for entry in entries:
                digest = detail_ref(entry.record)
                if entry.seq in old and digest and digest not in keep:
                    path = self.details_dir / f"{digest}.json"
                    if path.exists():
                        path.unlink()
                        removed += 1
            record = {
                "kind": "prune",
                "time": iso(utc_now()),
                "retention_days": retention_days,
                "cutoff": iso(cutoff),
                "pruned_seqs": _ranges(old),
                "outputsreleased_seqs": _ranges(released) if release_outputs else [],
                "details_removed": removed,
            }
            self._write_entry(seq + 1, prev, record)
            return record


# --- helpers --------------------------------------------------------------------------------


def detail_ref(record: Mapping[str, Any]) -> str | None:
    """The record's detail hash when it is one (64 hex digits; never a path)."""
    digest = record.get("detail_sha256")
    return digest if isinstance(digest, str) and HEX64.match(digest) else None


def _read_tail(path: Path) -> tuple[bytes | None, bytes]:
    """(last complete line without newline or None, torn bytes after the last newline)."""
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        block = 8192
        data = b""
        pos = size
        while pos > 0:
            step = min(block, pos)
            pos -= step
            fh.seek(pos)
            data = fh.read(step) + data
            # need the newline that ends the last complete line and the one before it
            if data.count(b"\n") >= 2 or (pos == 0):
                break
            block *= 2
    if data.endswith(b"\n"):
        torn = b""
        body = data[:-1]
    else:
        cut = data.rfind(b"\n")
        torn = data[cut + 1 :]
        body = data[:cut] if cut >= 0 else b""
    if not body:
        return None, torn
    last = body[body.rfind(b"\n") + 1 :]
    return last, torn


def _parse_lines(data: bytes) -> Iterator[Entry]:
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
            yield Entry(
                int(obj["seq"]),
                str(obj["prev_hash"]),
                dict(obj["record"]),
                str(obj["hash"]),
                number,
            )
        except (ValueError, KeyError, TypeError):
            continue


def entry_time(entry: Entry) -> datetime:
    try:
        return parse_iso(str(entry.record.get("time")))
    except ValueError:
        return datetime.max.replace(tzinfo=UTC)  # unreadable time: never counted as old


def _ranges(seqs: Iterable[int]) -> list[list[int]]:
    """[1,2,3,7] → [[1,3],[7,7]]: a year of pruned entries stays one short line."""
    out: list[list[int]] = []
    for seq in sorted(set(seqs)):
        if out and out[-1][1] == seq - 1:
            out[-1][1] = seq
        else:
            out.append([seq, seq])
    return out


def expand(ranges: Any) -> set[int]:
    seqs: set[int] = set()
    for pair in ranges or []:
        low, high = int(pair[0]), int(pair[1])
        seqs.update(range(low, high + 1))
    return seqs


def pruned_seqs(entries: Iterable[Entry]) -> set[int]:
    seqs: set[int] = set()
    for entry in entries:
        if entry.kind == "prune":
            seqs |= expand(entry.record.get("pruned_seqs"))
    return seqs


def released_seqs(entries: Iterable[Entry]) -> set[int]:
    seqs: set[int] = set()
    for entry in entries:
        if entry.kind == "prune":
            seqs |= expand(entry.record.get("outputsreleased_seqs"))
    return seqs


