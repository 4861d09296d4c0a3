"""The change feed ``GET /oppija/muuttuneet`` as a resumable iterator.

ONR pages the feed by offset over a set ordered by ``modified`` that moves while you read it (a
person changed during the walk jumps to the end and shifts the rest across page boundaries).
Offset paging over it can skip entries, so the feed is read *by key* instead:

* every request asks for ``muokattuJalkeen = <watermark>`` from page 1; the watermark is the
  ``master.muokattu`` of the last entry received, so each request is a fresh prefix of what is
  left and nothing can slip between pages; only when a whole page shares one timestamp does the
  walk step on with ``page+1`` at the same watermark;
* the bound is inclusive, so boundary entries repeat: they are de-duplicated by
  ``(oid, muokattu)``, also across runs (the OIDs at the watermark are saved with it);
* a walk ends on ``numberOfElements < count`` (never on ``last``, which is false on an empty
  page); then the feed is walked again from the watermark until a walk brings nothing new;
* the watermark is saved after each page has been handed out, in
  ``<workspace>/changes/<name>.json``: a crash re-delivers at most the page in hand.

Each change names the OID we imported (``oid``) and the person it now lives in
(``master_oid``); ``merged`` is true when ONR has linked the imported person under another one.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from onrtools.errors import OnrError
from onrtools.onr.client import OnrClient
from onrtools.onr.journal import ImportJournal
from onrtools.onr.models import ChangePage, FeedMaster, FeedPage, OppijaRead
from onrtools.workspace import Workspace


@dataclass(frozen=True)
class Change:
    """One change-feed entry, mapped back to the OID (and tunniste) we imported."""

    oid: str  # the imported person's OID
    master_oid: str  # where that person lives now (== oid unless merged)
    muokattu: int  # master.muokattu, epoch ms
    oppijanumero: str | None
    passivoitu: bool
    tunniste: str | None  # from the import journal, when this workspace imported the person
    master: OppijaRead | FeedMaster  # FeedMaster unless the feed was read with full=True

    @property
    def merged(self) -> bool:
        return self.oid != self.master_oid

    def as_record(self) -> dict[str, Any]:
        """Without personal data (no hetu, no names): safe for reports and evidence."""
        return {"oid": self.oid, "master_oid": self.master_oid, "merged": self.merged,
                "muokattu": self.muokattu, "oppijanumero": self.oppijanumero,
                "passivoitu": self.passivoitu, "tunniste": self.tunniste}


def watermark_path(workspace: Workspace | Path | str, name: str) -> Path:
    """Where the watermark ``name`` lives: ``<workspace>/changes/<name>.json``.

    The one store of feed cursors: ``onr changes`` (``muuttuneet``) and the reconcile view
    (``onr_view``, :func:`onrtools.pipeline.steps.refresh_onr_view`) both keep theirs here.
    """
    return Workspace.at(workspace).watermark_file(name)


@dataclass
class Watermark:
    """Resume cursor: largest ``muokattu`` handed out and the OIDs seen at exactly that time."""

    muokattu: int | None = None
    boundary: frozenset[str] = frozenset()

    @classmethod
    def load(cls, path: Path) -> Watermark:
        if not path.is_file():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(data.get("muokattu"), frozenset(data.get("boundary") or ()))

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {"muokattu": self.muokattu, "boundary": sorted(self.boundary),
                "saved": datetime.now(UTC).isoformat(timespec="seconds")}
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".watermark-")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)  # atomic: a crash leaves the old or the new watermark


class ChangeFeed:
    """Iterable over changes; ``watermark`` is the resume cursor, ``stats`` what the walk did."""

    def __init__(
        self, client: OnrClient, *, since: int | str | datetime | None = None,
        count: int = 10000, workspace: Path | str | None = None, name: str = "muuttuneet",
        max_walks: int = 20, prefetch: bool = True, full: bool = False, **filters: Any,
    ) -> None:
        if not 1 <= count <= 10000:
            raise ValueError("count must be 1..10000 (ONR answers 400 above)")
        self.client = client
        self.count = count
        self.filters = filters
        self.max_walks = max_walks
        self.prefetch = prefetch
        self.full = full
        self.path = watermark_path(workspace, name) if workspace else None
        stored = Watermark.load(self.path) if self.path else Watermark()
        if since is not None:
            start = _epoch_ms(since)
            stored = stored if stored.muokattu == start else Watermark(start)
        self.watermark = stored
        self._journal_path = Workspace.at(workspace).journal_file if workspace else None
        self.stats = {"requests": 0, "entries": 0, "repeats": 0, "changes": 0, "walks": 0,
                      "rereads": 0}

    def __iter__(self) -> Iterator[Change]:
        cursor = self.watermark.muokattu
        at_cursor: set[str] = set(self.watermark.boundary)
        seen: set[tuple[str, int | None]] = {(oid, cursor) for oid in at_cursor}
        journal = (ImportJournal(self._journal_path.parent)
                   if self._journal_path is not None and self._journal_path.is_file() else None)
        pool = ThreadPoolExecutor(max_workers=1) if self.prefetch else None
        page_no, new_in_walk = 1, 0
        reread: int | None = None  # the cursor whose run of equal timestamps was read again
        self.stats["walks"] = 1
        try:
            pending = self._fetch(pool, cursor, page_no)
            while True:
                page = pending.result() if isinstance(pending, Future) else pending
                self.stats["requests"] += 1
                self.stats["entries"] += page.numberOfElements
                results = page.results
                nxt_cursor, nxt_page = cursor, page_no + 1
                if results:
                    last = results[-1].master.muokattu
                    if last is not None and (cursor is None or last > cursor):
                        nxt_cursor, nxt_page = last, 1
                        if page_no > 1 and reread != cursor:
                            # this walk paged by offset through people sharing the cursor's
                            # timestamp; one modified meanwhile moves to the end and shifts
                            # the offsets, which can hide another: read that run once more
                            # before the watermark passes it (repeats are dropped below)
                            nxt_cursor, nxt_page, reread = cursor, 1, cursor
                            self.stats["rereads"] += 1
                end_of_walk = page.numberOfElements < self.count
                if not end_of_walk:  # the next request does not depend on what we yield
                    pending = self._fetch(pool, nxt_cursor, nxt_page)
                tunnisteet = (journal.tunniste_for_oids(e.oid for e in results)
                              if journal is not None and results else {})
                for e in results:
                    key = (e.oid, e.master.muokattu)
                    if key in seen:
                        self.stats["repeats"] += 1
                        continue
                    seen.add(key)
                    new_in_walk += 1
                    self.stats["changes"] += 1
                    m = e.master
                    yield Change(e.oid, m.oid, m.muokattu or 0, m.oppijanumero, m.passivoitu,
                                 tunnisteet.get(e.oid), m)
                # the page has been handed out: move and save the watermark
                if nxt_cursor != cursor:
                    at_cursor = set()
                at_cursor.update(e.oid for e in results if e.master.muokattu == nxt_cursor)
                cursor, page_no = nxt_cursor, nxt_page
                self._save(cursor, at_cursor)
                if end_of_walk:
                    if new_in_walk == 0 or self.stats["walks"] >= self.max_walks:
                        return
                    # walk again from the watermark: changes that arrived meanwhile
                    self.stats["walks"] += 1
                    new_in_walk, page_no = 0, 1
                    pending = self._fetch(pool, cursor, page_no)
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
            if journal is not None:
                journal.close()

    def _fetch(self, pool: ThreadPoolExecutor | None, cursor: int | None, page: int
               ) -> Future[ChangePage | FeedPage] | ChangePage | FeedPage:
        def call() -> ChangePage | FeedPage:
            read = self.client.muuttuneet if self.full else self.client.muuttuneet_lean
            return read(muokattu_jalkeen=cursor, page=page, count=self.count, **self.filters)
        return pool.submit(call) if pool is not None else call()

    def _save(self, cursor: int | None, at_cursor: set[str]) -> None:
        self.watermark = Watermark(cursor, frozenset(at_cursor))
        if self.path is not None:
            self.watermark.save(self.path)


def iter_changes(
    client: OnrClient, *, since: int | str | datetime | None = None, count: int = 10000,
    workspace: Path | str | None = None, name: str = "muuttuneet", full: bool = False,
    **filters: Any,
) -> ChangeFeed:
    """The change feed from ``since`` (default: the saved watermark; none = from the start).

    Iterate the result for ``Change`` objects; ``.watermark`` is where the next run resumes.
    ``change.master`` carries the master's identity, names, hetu, oppijanumero and flags;
    ``full=True`` reads the complete OppijaReadDto (code objects too) at 3–4× the parse cost.
    ``filters`` are passed to ``OnrClient.muuttuneet`` (``tuonti_id``, ``vain_virheet`` …).
    """
    return ChangeFeed(client, since=since, count=count, workspace=workspace, name=name,
                      full=full, **filters)


def _epoch_ms(value: int | str | datetime) -> int:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("since needs a time zone (ONR reads naive times in its own zone)")
        return int(value.timestamp() * 1000)
    if isinstance(value, str) and not value.strip().isdigit():
        return _epoch_ms(datetime.fromisoformat(value.replace("Z", "+00:00")))
    return int(value)


def main(argv: list[str] | None = None) -> int:
    """``onr changes``: read the change feed from the saved watermark."""
    from onrtools.onr.config import Settings

    parser = argparse.ArgumentParser(prog="onr changes", description=main.__doc__)
    parser.add_argument("--since", default=None, help="epoch ms or ISO time with offset")
    parser.add_argument("--workspace", type=Path, default=None)
    parser.add_argument("--name", default="muuttuneet", help="watermark name")
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--out", type=Path, default=None,
                        help="write changes as JSON lines (no hetu, no names)")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
        workspace = args.workspace or settings.workspace
        with OnrClient.from_settings(settings) as client:
            feed = iter_changes(client, since=args.since, count=args.count,
                                workspace=workspace, name=args.name)
            merged = 0
            out = args.out.open("w", encoding="utf-8") if args.out else None
            try:
                for change in feed:
                    merged += change.merged
                    if out is not None:
                        out.write(json.dumps(change.as_record(), ensure_ascii=False) + "\n")
            finally:
                if out is not None:
                    out.close()
    except OnrError as exc:
        print(f"onr changes: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({**feed.stats, "merged": merged, "watermark": feed.watermark.muokattu}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
