"""The import journal: SQLite in the workspace, written *before* anything is sent.

One file, ``<workspace>/import-journal.sqlite``, holds every run: its batches with their row
tunnistes and a content hash, each batch's state, the tuonti id ONR gave it, and the results per
tunniste. No hetu, name or other row content is stored (only tunnistes and a SHA-256 of the
batch), so the workspace can be scanned for personal data and found clean.

Batch states::

    pending ──mark_sending──▶ sending ──mark_sent(tuonti_id)──▶ sent ──store_results──▶ done
                                 │
                                 └─ found on resume: the PUT may or may not have reached ONR;
                                    batch_import resolves it (tuontikooste + tuontidata) into
                                    sent (ONR has it) or back to pending (provably absent).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from onrtools.workspace import JOURNAL_FILE, Workspace

__all__ = ["JOURNAL_FILE", "Batch", "ImportJournal"]


_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, api TEXT NOT NULL, created REAL NOT NULL,
    total_rows INTEGER NOT NULL, batch_size INTEGER NOT NULL, content_hash TEXT NOT NULL,
    finished REAL
);
CREATE TABLE IF NOT EXISTS batches (
    run_id TEXT NOT NULL, seq INTEGER NOT NULL, row_count INTEGER NOT NULL,
    content_hash TEXT NOT NULL, tunnisteet TEXT NOT NULL, state TEXT NOT NULL,
    tuonti_id INTEGER, send_started REAL, send_finished REAL, sends INTEGER NOT NULL DEFAULT 0,
    restarts INTEGER NOT NULL DEFAULT 0, resolved TEXT, updated REAL NOT NULL,
    PRIMARY KEY (run_id, seq)
);
CREATE UNIQUE INDEX IF NOT EXISTS batches_tuonti ON batches (tuonti_id)
    WHERE tuonti_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS results (
    run_id TEXT NOT NULL, tunniste TEXT NOT NULL, seq INTEGER NOT NULL, tuonti_id INTEGER,
    oid TEXT, oppijanumero TEXT, conflict INTEGER, linked TEXT, passivoitu INTEGER,
    PRIMARY KEY (run_id, tunniste)
);
CREATE INDEX IF NOT EXISTS results_oid ON results (oid);
CREATE TABLE IF NOT EXISTS events (
    run_id TEXT, seq INTEGER, at REAL NOT NULL, event TEXT NOT NULL, detail TEXT
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
"""

STATES = ("pending", "sending", "sent", "done")
RESULT_COLUMNS = ["tunniste", "oid", "oppijanumero", "conflict", "linked", "passivoitu",
                  "tuonti_id", "batch"]


@dataclass(frozen=True)
class Batch:
    run_id: str
    seq: int
    row_count: int
    content_hash: str
    tunnisteet: tuple[str, ...]
    state: str
    tuonti_id: int | None
    send_started: float | None
    send_finished: float | None
    sends: int
    restarts: int
    resolved: str | None


def _dump_linked(linked: Any) -> str:
    return json.dumps(linked) if linked else "[]"  # most rows link nothing: skip the encoder


class JournalMismatchError(ValueError):
    """The rows handed to a resumed run differ from the rows the run was planned with."""


class ImportJournal:
    """SQLite journal; every state change is committed (synchronous=FULL) before returning."""

    def __init__(self, workspace: Workspace | Path | str) -> None:
        space = Workspace.at(workspace)
        self.workspace = space.root
        self.workspace.mkdir(parents=True, exist_ok=True)
        self.path = space.journal_file
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        # 64 MiB of page cache (default 2 MiB): results of a 100,000-row run are ~20 MB of
        # B-tree pages; a small cache rereads them from the OS on every batch's inserts
        self.db.execute("PRAGMA cache_size=-65536")
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> ImportJournal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # ------------------------------------------------------------ planning
    def plan(
        self, run_id: str, api: str, batch_size: int, content_hash: str,
        batches: Sequence[tuple[str, Sequence[str]]],
    ) -> bool:
        """Record the run's batches (hash, tunnistes) unless it exists; True when new.

        A resumed run must hand in the same rows: otherwise ``JournalMismatchError``.
        """
        row = self.db.execute("SELECT api, content_hash, batch_size FROM runs WHERE run_id=?",
                              (run_id,)).fetchone()
        if row is not None:
            if row[0] != api or row[1] != content_hash or row[2] != batch_size:
                raise JournalMismatchError(
                    f"run {run_id!r} was started with other rows, API or batch size; "
                    "resume it with the same input or choose a new run id"
                )
            return False
        now = time.time()
        with self._tx() as db:
            db.execute("INSERT INTO runs VALUES (?,?,?,?,?,?,NULL)",
                       (run_id, api, now, sum(len(t) for _, t in batches), batch_size,
                        content_hash))
            db.executemany(
                "INSERT INTO batches (run_id, seq, row_count, content_hash, tunnisteet, state, "
                "updated) VALUES (?,?,?,?,?,'pending',?)",
                [(run_id, seq, len(t), h, json.dumps(list(t)), now)
                 for seq, (h, t) in enumerate(batches)],
            )
            db.execute("INSERT INTO events VALUES (?,NULL,?,'planned',?)",
                       (run_id, now, f"{len(batches)} batches"))
        return True

    def run_exists(self, run_id: str) -> bool:
        row = self.db.execute("SELECT 1 FROM runs WHERE run_id=?", (run_id,)).fetchone()
        return row is not None

    def run_info(self, run_id: str) -> dict[str, Any]:
        cur = self.db.execute("SELECT * FROM runs WHERE run_id=?", (run_id,))
        row = cur.fetchone()
        if row is None:
            raise KeyError(run_id)
        return dict(zip([d[0] for d in cur.description], row, strict=True))

    def batches(self, run_id: str) -> list[Batch]:
        rows = self.db.execute(
            "SELECT run_id, seq, row_count, content_hash, tunnisteet, state, tuonti_id, "
            "send_started, send_finished, sends, restarts, resolved FROM batches "
            "WHERE run_id=? ORDER BY seq", (run_id,)).fetchall()
        return [Batch(r[0], r[1], r[2], r[3], tuple(json.loads(r[4])), *r[5:]) for r in rows]

    def batch(self, run_id: str, seq: int) -> Batch:
        r = self.db.execute(
            "SELECT run_id, seq, row_count, content_hash, tunnisteet, state, tuonti_id, "
            "send_started, send_finished, sends, restarts, resolved FROM batches "
            "WHERE run_id=? AND seq=?", (run_id, seq)).fetchone()
        if r is None:
            raise KeyError(f"batch {seq} of {run_id}")
        return Batch(r[0], r[1], r[2], r[3], tuple(json.loads(r[4])), *r[5:])

    # ------------------------------------------------------------ transitions
    def mark_sending(self, run_id: str, seq: int) -> None:
        """Written and committed *before* the PUT leaves."""
        now = time.time()
        with self._tx() as db:
            cur = db.execute(
                "UPDATE batches SET state='sending', send_started=?, send_finished=NULL, "
                "sends=sends+1, updated=? WHERE run_id=? AND seq=? AND state='pending'",
                (now, now, run_id, seq))
            if cur.rowcount != 1:
                raise RuntimeError(f"batch {seq} of {run_id} is not pending")
            db.execute("INSERT INTO events VALUES (?,?,?,'sending',NULL)", (run_id, seq, now))

    def mark_sent(self, run_id: str, seq: int, tuonti_id: int, *, resolved: str | None = None
                  ) -> None:
        now = time.time()
        with self._tx() as db:
            cur = db.execute(
                "UPDATE batches SET state='sent', tuonti_id=?, send_finished=?, "
                "resolved=COALESCE(?, resolved), updated=? "
                "WHERE run_id=? AND seq=? AND state='sending'",
                (int(tuonti_id), now, resolved, now, run_id, seq))
            if cur.rowcount != 1:
                raise RuntimeError(f"batch {seq} of {run_id} is not being sent")
            db.execute("INSERT INTO events VALUES (?,?,?,'sent',?)",
                       (run_id, seq, now, f"tuonti {tuonti_id}" + (f" ({resolved})"
                                                                  if resolved else "")))

    def mark_absent(self, run_id: str, seq: int, detail: str) -> None:
        """The ambiguous send provably did not reach ONR: back to pending."""
        now = time.time()
        with self._tx() as db:
            db.execute("UPDATE batches SET state='pending', resolved=?, updated=? "
                       "WHERE run_id=? AND seq=? AND state='sending'",
                       (detail, now, run_id, seq))
            db.execute("INSERT INTO events VALUES (?,?,?,'absent',?)", (run_id, seq, now, detail))

    def count_restart(self, run_id: str, seq: int) -> None:
        now = time.time()
        with self._tx() as db:
            db.execute("UPDATE batches SET restarts=restarts+1, updated=? WHERE run_id=? AND seq=?",
                       (now, run_id, seq))
            db.execute("INSERT INTO events VALUES (?,?,?,'restarted',NULL)", (run_id, seq, now))

    def store_results(self, run_id: str, seq: int, rows: Iterable[dict[str, Any]]) -> None:
        """Results per tunniste and the batch's move to ``done``, in one transaction.

        Each row: ``tunniste`` and any of oid, oppijanumero, conflict, linked, passivoitu."""
        self.store_result_rows(run_id, seq, (
            (r["tunniste"], r.get("oid"), r.get("oppijanumero"), r.get("conflict"),
             r.get("linked"), r.get("passivoitu")) for r in rows))

    def store_result_rows(
        self, run_id: str, seq: int,
        rows: Iterable[tuple[str, str | None, str | None, Any, Sequence[str] | None, Any]],
    ) -> None:
        """``store_results`` for plain tuples (tunniste, oid, oppijanumero, conflict, linked,
        passivoitu): what the import writes, 100,000 rows without a dict each."""
        now = time.time()
        row = self.db.execute("SELECT tuonti_id FROM batches WHERE run_id=? AND seq=?",
                              (run_id, seq)).fetchone()
        if row is None:
            raise KeyError(f"batch {seq} of {run_id}")
        tuonti_id = row[0]
        records = [
            (run_id, tunniste, seq, tuonti_id, oid, oppijanumero, 1 if conflict else 0,
             _dump_linked(linked), 1 if passivoitu else 0)
            for tunniste, oid, oppijanumero, conflict, linked, passivoitu in rows
        ]
        with self._tx() as db:
            db.executemany("INSERT OR REPLACE INTO results VALUES (?,?,?,?,?,?,?,?,?)", records)
            db.execute("UPDATE batches SET state='done', updated=? WHERE run_id=? AND seq=?",
                       (now, run_id, seq))
            db.execute("INSERT INTO events VALUES (?,?,?,'done',?)",
                       (run_id, seq, now, f"{len(records)} results"))
            if db.execute("SELECT COUNT(*) FROM batches WHERE run_id=? AND state!='done'",
                          (run_id,)).fetchone()[0] == 0:
                db.execute("UPDATE runs SET finished=? WHERE run_id=?", (now, run_id))

    def event(self, run_id: str, seq: int | None, event: str, detail: str | None = None) -> None:
        self.db.execute("INSERT INTO events VALUES (?,?,?,?,?)",
                        (run_id, seq, time.time(), event, detail))

    # ------------------------------------------------------------ reading
    def claimed_tuonti_ids(self) -> set[int]:
        """Every tuonti id some batch (of any run) already owns."""
        return {r[0] for r in self.db.execute(
            "SELECT tuonti_id FROM batches WHERE tuonti_id IS NOT NULL")}

    def results(self, run_id: str) -> list[dict[str, Any]]:
        cur = self.db.execute(
            "SELECT tunniste, oid, oppijanumero, conflict, linked, passivoitu, tuonti_id, seq "
            "FROM results WHERE run_id=? ORDER BY seq, rowid", (run_id,))
        return [
            {"tunniste": t, "oid": o, "oppijanumero": n, "conflict": bool(c),
             "linked": [] if li == "[]" else json.loads(li), "passivoitu": bool(p),
             "tuonti_id": ti, "batch": s}
            for t, o, n, c, li, p, ti, s in cur
        ]

    def results_frame(self, run_id: str) -> pd.DataFrame:
        """The same results as a DataFrame in ``RESULT_COLUMNS`` order, built column-wise
        (100,000 rows without a Python dict or tuple conversion each)."""
        cur = self.db.execute(
            "SELECT tunniste, oid, oppijanumero, conflict, linked, passivoitu, tuonti_id, seq "
            "FROM results WHERE run_id=? ORDER BY seq, rowid", (run_id,))
        frame = pd.DataFrame(cur.fetchall(), columns=RESULT_COLUMNS, dtype=object)
        for column in ("conflict", "passivoitu"):
            frame[column] = frame[column].astype(bool)
        frame["linked"] = [[] if li == "[]" else json.loads(li) for li in frame["linked"]]
        for column in ("tuonti_id", "batch"):  # int64 as before; object if ever missing
            if frame[column].notna().all():
                frame[column] = frame[column].astype("int64")
        return frame

    def tunniste_for_oids(self, oids: Iterable[str]) -> dict[str, str]:
        """Map imported OIDs back to the tunniste of their latest import row (any run)."""
        wanted = list(dict.fromkeys(oids))
        found: dict[str, str] = {}
        for i in range(0, len(wanted), 900):
            chunk = wanted[i:i + 900]
            marks = ",".join("?" * len(chunk))
            for oid, tunniste in self.db.execute(
                f"SELECT oid, tunniste FROM results WHERE oid IN ({marks}) ORDER BY rowid", chunk
            ):
                found[oid] = tunniste
        return found

    def events(self, run_id: str) -> list[dict[str, Any]]:
        cur = self.db.execute("SELECT seq, at, event, detail FROM events WHERE run_id=? "
                              "ORDER BY rowid", (run_id,))
        return [{"batch": s, "at": a, "event": e, "detail": d} for s, a, e, d in cur]

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?,?)", (key, value))
