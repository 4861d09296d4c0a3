"""The evidence ledger: append-only, hash-chained JSON Lines in the workspace.

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

Privacy: every record and detail passes :func:`scrub` on its way in: hetu-shaped strings are
masked (``131052-****``), string values under personal-data keys (names, hetu, e-mail,
passport, address, birth date) are replaced by ``[redacted]``, values under secret-looking keys
by ``[removed]``, and URL query strings (a CAS ticket rides in ``?ticket=``) are cut off.

Tamper evidence has the usual limit of a hash chain: someone who rewrites the *whole* file,
recomputing every hash, produces a valid chain. Write the head hash that ``onr audit verify``
prints somewhere else (the run report, an e-mail, a ticket) and check it later with
``--anchor SEQ:HASH``; then a rewrite is detected too.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from onrtools.errors import LedgerError
from onrtools.hetu import has_hetu_in_text, mask_in_text
from onrtools.secrets_scan import SECRET_NAME

GENESIS = "0" * 64
LOCK_TIMEOUT = 120.0  # seconds; a pipeline run holds the lock only for one append

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_URL_QUERY = re.compile(r"^(https?://[^?#\s]*)[?#].*$", re.IGNORECASE | re.DOTALL)
SECRET_KEY = SECRET_NAME  # a key whose value is secret (the scanner's one definition)
PERSONAL_KEYS = frozenset(
    {
        "hetu",
        "hetut",
        "kaikkihetut",
        "etunimet",
        "etunimi",
        "kutsumanimi",
        "sukunimi",
        "nimi",
        "name",
        "names",
        "first_name",
        "first_names",
        "last_name",
        "surname",
        "full_name",
        "sahkoposti",
        "email",
        "passinumero",
        "passport",
        "katuosoite",
        "address",
        "syntymaaika",
        "birth_date",
    }
)


# --- canonical form, hashing, privacy -----------------------------------------------------


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


def _hash_all(paths: list[str]) -> list[str | None]:
    return [_hash_or_none(p) for p in paths]


def _hash_or_none(path: str) -> str | None:
    """SHA-256 of a regular file, None when it is missing or not a file."""
    try:
        return sha256_file(path)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


def entry_hash(seq: int, prev_hash: str, record: Mapping[str, Any]) -> str:
    """The hash an entry must carry."""
    return sha256_bytes(canonical({"seq": seq, "prev_hash": prev_hash, "record": record}))


_LINE_HEAD = b'{"hash":"'


def _line_hash_ok(raw: bytes, stored: str) -> bool:
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


def mask_hetus(text: str) -> str:
    """Mask every hetu-shaped substring (``131052-9085`` → ``131052-****``)."""
    if _HEX64.match(text):  # a SHA-256 is never a hetu; leave evidence hashes intact
        return text
    return mask_in_text(text)


def has_hetu(text: str) -> bool:
    """True when ``text`` contains a hetu-shaped substring that is not masked."""
    return not _HEX64.match(text) and has_hetu_in_text(text)


def scrub(value: Any, *, key: str | None = None) -> Any:
    """A JSON-ready copy of ``value`` that holds no hetu, name or secret (see module doc).

    Accepts dicts, lists/tuples/sets, str, int, float (NaN/inf become None), bool, None, Path,
    datetime/date (ISO text) and numpy/pandas scalars (via ``.item()``); anything else is a
    TypeError, so nothing lands in the ledger by accident as a repr.
    """
    lowered = key.lower() if isinstance(key, str) else ""
    if lowered and SECRET_KEY.search(lowered) and value is not None:
        return "[removed]"
    if isinstance(value, Mapping):
        return {mask_hetus(str(k)): scrub(v, key=str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        return [scrub(v, key=key) for v in items]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Path):
        value = str(value)
    if type(value).__name__ in ("NaTType", "NAType"):  # pandas' missing values
        return None
    if hasattr(value, "isoformat") and not isinstance(value, str):
        value = value.isoformat()
    if isinstance(value, str):
        if lowered in PERSONAL_KEYS and value:
            return "[redacted]"
        cut = _URL_QUERY.match(value)
        if cut:
            value = cut.group(1)
        return mask_hetus(value)
    if hasattr(value, "item"):  # numpy / pandas scalar
        return scrub(value.item(), key=key)
    raise TypeError(f"cannot record a {type(value).__name__} in the evidence ledger")


# --- entries and verification results -----------------------------------------------------


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


# --- the ledger ---------------------------------------------------------------------------


class Ledger:
    """The hash-chained ledger of one workspace. Cheap to build; every call opens the file."""

    def __init__(self, workspace: Path | str) -> None:
        self.workspace = Path(workspace)
        self.dir = self.workspace / "ledger"
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

        For reading reports. Whether the ledger can be trusted is :func:`verify_ledger`'s job.
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
        digest = _detail_ref(record)
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
            already = _pruned_seqs(entries)
            old: set[int] = set()
            keep: set[str] = set()
            released: list[int] = []
            for entry in entries:
                digest = _detail_ref(entry.record)
                is_old = _entry_time(entry) < cutoff
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
                digest = _detail_ref(entry.record)
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
                "outputs_released_seqs": _ranges(released) if release_outputs else [],
                "details_removed": removed,
            }
            self._write_entry(seq + 1, prev, record)
            return record


# --- helpers --------------------------------------------------------------------------------


def _detail_ref(record: Mapping[str, Any]) -> str | None:
    """The record's detail hash when it is one (64 hex digits; never a path)."""
    digest = record.get("detail_sha256")
    return digest if isinstance(digest, str) and _HEX64.match(digest) else None


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


def _entry_time(entry: Entry) -> datetime:
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


def _expand(ranges: Any) -> set[int]:
    seqs: set[int] = set()
    for pair in ranges or []:
        low, high = int(pair[0]), int(pair[1])
        seqs.update(range(low, high + 1))
    return seqs


def _pruned_seqs(entries: Iterable[Entry]) -> set[int]:
    seqs: set[int] = set()
    for entry in entries:
        if entry.kind == "prune":
            seqs |= _expand(entry.record.get("pruned_seqs"))
    return seqs


def _released_seqs(entries: Iterable[Entry]) -> set[int]:
    seqs: set[int] = set()
    for entry in entries:
        if entry.kind == "prune":
            seqs |= _expand(entry.record.get("outputs_released_seqs"))
    return seqs


# --- verification -------------------------------------------------------------------------


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
    problems: list[Problem] = []
    result = VerifyResult(ok=True, entries=0, path=str(ledger.path))
    if not data:
        for seq, _digest in anchors:
            problems.append(Problem(None, seq, "anchor", "anchored entry missing: ledger empty"))
        return _finish(result, problems)

    lines = data.split(b"\n")
    torn = lines.pop()  # b"" when the file ends with a newline, as every complete write does
    raw_lines = lines
    parsed: list[Entry] = []
    for number, raw in enumerate(lines, start=1):
        try:
            obj = json.loads(raw)
            entry = Entry(
                int(obj["seq"]), str(obj["prev_hash"]), obj["record"], str(obj["hash"]), number
            )
            if not isinstance(entry.record, dict) or set(obj) != {
                "seq",
                "prev_hash",
                "record",
                "hash",
            }:
                raise TypeError("unexpected shape")
        except (ValueError, KeyError, TypeError):
            problems.append(
                Problem(
                    number,
                    None,
                    "unreadable",
                    "line is not a ledger entry (edited, or bytes changed)",
                )
            )
            continue
        parsed.append(entry)
    if torn:
        problems.append(
            Problem(
                len(lines) + 1,
                None,
                "truncated",
                f"truncated last record ({len(torn)} bytes, no newline): a writer was killed "
                "mid-write; never taken as valid (the next append moves it to quarantine/)",
            )
        )

    all_seqs = {e.seq for e in parsed}
    expected, prev = 1, GENESIS
    seen: set[int] = set()
    by_seq: dict[int, Entry] = {}
    for entry in parsed:
        result.entries += 1
        if not _line_hash_ok(raw_lines[entry.line - 1], entry.hash) and (
            entry_hash(entry.seq, entry.prev_hash, entry.record) != entry.hash
        ):
            problems.append(
                Problem(
                    entry.line,
                    entry.seq,
                    "hash_mismatch",
                    "hash mismatch: the entry was altered after writing",
                )
            )
        if entry.seq in seen:
            problems.append(
                Problem(
                    entry.line,
                    entry.seq,
                    "duplicate_seq",
                    f"seq {entry.seq} appears twice (copied or replayed entry)",
                )
            )
        elif entry.seq != expected:
            if expected in all_seqs and expected not in seen:
                problems.append(
                    Problem(
                        entry.line,
                        entry.seq,
                        "out_of_order",
                        f"out of order: seq {entry.seq} where seq {expected} "
                        "was expected (entries reordered)",
                    )
                )
            elif entry.seq > expected:
                gap = f"{expected}" if entry.seq == expected + 1 else f"{expected}-{entry.seq - 1}"
                problems.append(
                    Problem(
                        entry.line,
                        entry.seq,
                        "missing",
                        f"seq {gap} missing before this entry (deleted)",
                    )
                )
            else:
                problems.append(
                    Problem(
                        entry.line,
                        entry.seq,
                        "out_of_order",
                        f"out of order: seq {entry.seq} after seq {expected - 1}",
                    )
                )
        elif entry.prev_hash != prev:
            problems.append(
                Problem(
                    entry.line,
                    entry.seq,
                    "chain_broken",
                    "prev_hash does not match the previous entry's hash",
                )
            )
        seen.add(entry.seq)
        by_seq.setdefault(entry.seq, entry)
        if entry.seq + 1 >= expected:  # after a reordered pair, carry on from the highest seq
            expected, prev = entry.seq + 1, entry.hash

    if parsed:
        head = parsed[-1]
        result.head_seq, result.head_hash = head.seq, head.hash
    pruned = _pruned_seqs(parsed)
    released = _released_seqs(parsed)
    problems += _check_prunes(parsed, by_seq)
    result.prunes = [
        f"seq {e.seq} at {e.record.get('time')}: retention {e.record.get('retention_days')} "
        f"days, cutoff {e.record.get('cutoff')}"
        for e in parsed
        if e.kind == "prune"
    ]
    result.pruned = len(pruned)
    run_ids: set[str] = set()
    latest_output: dict[str, tuple[Entry, str]] = {}
    details: list[tuple[Entry, str]] = []
    for entry in parsed:
        record = entry.record
        if record.get("run_id"):
            run_ids.add(str(record["run_id"]))
        if "detail_sha256" in record:
            digest = _detail_ref(record)
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
    outputs = (
        [(e, d, rec) for rec, (e, d) in latest_output.items() if e.seq not in released]
        if check_outputs
        else []
    )

    # hashing files is I/O plus C code that releases the GIL: a few threads help
    details_dir = str(ledger.details_dir)
    base = str(ledger.base_dir)
    paths = [os.path.join(details_dir, f"{d}.json") for _, d in details]
    paths += [os.path.join(base, rec) for _, _, rec in outputs]  # absolute rec wins in join
    chunks = [paths[i : i + 256] for i in range(0, len(paths), 256)]
    with ThreadPoolExecutor(max_workers=min(8, 2 * (os.cpu_count() or 1))) as pool:
        digests = [d for part in pool.map(_hash_all, chunks) for d in part]
    for (entry, digest), found in zip(details, digests[: len(details)], strict=True):
        name = f"{digest}.json"
        if found is None:
            if entry.seq not in pruned:
                problems.append(
                    Problem(
                        entry.line,
                        entry.seq,
                        "detail_missing",
                        f"detail file {name} missing and not pruned",
                    )
                )
            continue
        result.details_checked += 1
        if found != digest:
            problems.append(
                Problem(entry.line, entry.seq, "detail_changed", f"detail file {name} changed")
            )
    for (entry, digest, recorded), found in zip(outputs, digests[len(details) :], strict=True):
        result.outputs_checked += 1
        run = entry.record.get("run_id")
        if found is None:
            problems.append(
                Problem(
                    entry.line,
                    entry.seq,
                    "output_missing",
                    f"output file missing: {recorded} (run {run})",
                )
            )
        elif found != digest:
            problems.append(
                Problem(
                    entry.line,
                    entry.seq,
                    "output_changed",
                    f"output file changed: {recorded} (run {run})",
                )
            )

    for seq, digest in anchors:
        anchored = by_seq.get(seq)
        if anchored is None:
            problems.append(Problem(None, seq, "anchor", "anchored entry missing"))
        elif anchored.hash != digest:
            problems.append(
                Problem(
                    anchored.line,
                    seq,
                    "anchor",
                    "hash differs from the anchor written down earlier (the ledger was rewritten)",
                )
            )
    return _finish(result, problems)


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
            _expand(entry.record.get("pruned_seqs"))
            | _expand(entry.record.get("outputs_released_seqs"))
        ):
            target = by_seq.get(seq)
            if target is None or seq >= entry.seq or _entry_time(target) >= cutoff:
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
