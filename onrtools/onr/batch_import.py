"""Exactly-once, resumable batch imports (``PUT /oppija``, ``PUT /yleistunniste``).

``import_register`` splits the rows into batches, writes each batch to the journal before it is
sent, sends it, polls ONR until it is processed, and stores the result of every row by
``tunniste``. Kill it at any moment and run it again with the same rows: it carries on where
the journal says, and never sends a batch twice.

A ``PUT`` is never retried blindly. When its outcome is open (timeout, dropped connection,
5xx, or a crash between sending and journalling) the batch is *resolved*:

1. ``GET /oppija/tuontikooste`` newest first, over the time window since the send started
   (minus a clock-skew margin): candidates are imports with the batch's row count, the same
   API, created by our own service user (its OID is learnt from the kooste of an import we
   already own; ``author`` is not used because ONR leaves it null for service users), and not
   already claimed by another batch in the journal;
2. each candidate's tunnistes are read (``GET /oppija/tuontidata/{id}``, or the processed rows
   of ``GET …/tuonti={id}`` without TUONTIDATA_READ) and must equal the batch's tunniste set;
3. a match is adopted as the batch's tuonti; no match twice, a grace period apart, proves the
   batch absent and only then is it sent again. A candidate that cannot be checked leaves the
   batch unresolved (``AmbiguousSend``): nothing is resent on a guess.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pandas as pd
from filelock import FileLock, Timeout

from onrtools.errors import (
    AmbiguousSend,
    ApiError,
    AuthError,
    OnrError,
    RegistryUnavailable,
    TuontiFailed,
    TuontiTimeout,
    ValidationFailed,
)
from onrtools.gc_guard import gc_paused, gc_spared
from onrtools.onr.client import OnrClient
from onrtools.onr.journal import Batch, ImportJournal, JournalMismatchError
from onrtools.onr.models import TuontiPerustiedot
from onrtools.register.hetu import looks_like_hetu
from onrtools.register.tuonti_row import Api, flat, tuonti_row, tuonti_rows
from onrtools.register.validation import split_existence_rows
from onrtools.workspace import Workspace

CLOCK_SKEW_S = 300.0  # our clock vs ONR's when matching a kooste timestamp to a send


# ---------------------------------------------------------------- rows
def to_tuonti_row(row: Mapping[str, Any], *, api: Api = "oppija") -> dict[str, Any]:
    """One register row (flat columns, or ONR's ``{tunniste, henkilo}``) as ONR's import
    row, by the one builder (:mod:`onrtools.register.tuonti_row`); a nested row is rebuilt from its
    fields, so it follows the same rules."""
    return tuonti_row(flat(row) if isinstance(row.get("henkilo"), Mapping) else row, api=api)


def prepare_rows(rows: Iterable[Mapping[str, Any]] | pd.DataFrame, *, api: Api = "oppija"
                 ) -> list[dict[str, Any]]:
    """ONR import rows; every row needs its own non-empty ``tunniste`` (results join on it),
    and a tunniste must not be a hetu (the journal and ONR's import views keep tunnistes)."""
    if isinstance(rows, pd.DataFrame) and "henkilo" not in rows.columns:
        prepared = tuonti_rows(rows, api=api)  # column-wise: the common, large case
    else:
        records = rows.to_dict("records") if isinstance(rows, pd.DataFrame) else rows
        prepared = [to_tuonti_row(r, api=api) for r in records]
    problems: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for i, r in enumerate(prepared):
        t = r["tunniste"]
        if t is None:
            problems.append({"row": i, "field": "tunniste", "problem": "missing"})
            continue
        r["tunniste"] = t = str(t)
        if looks_like_hetu(t):  # tunnistes are journalled and shown by ONR: never a hetu
            problems.append({"row": i, "field": "tunniste", "problem": "looks like a hetu"})
        if t in seen:
            problems.append({"row": i, "field": "tunniste",
                             "problem": f"repeats row {seen[t]}"})
        seen.setdefault(t, i)
    if problems:
        raise ValidationFailed(
            f"{len(problems)} rows without a usable tunniste (unique, not a hetu); the import "
            "joins results on it",
            problems=problems,
        )
    return prepared


def content_hash(obj: Any) -> str:
    """SHA-256 of ``obj`` as compact, key-sorted UTF-8 JSON.

    The bytes equal ``json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",",
    ":"))`` (tests/client/test_import_fast_paths.py holds them equal), so run ids planned before
    orjson was used here still resume; orjson is 7x faster on a 5,000-row batch.
    """
    try:
        data = orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # a type orjson refuses (an int dict key, say): the reference encoding
        data = json.dumps(obj, ensure_ascii=False, sort_keys=True,
                          separators=(",", ":")).encode()
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------- outcome
@dataclass
class ImportOutcome:
    """What a run achieved; ``results`` has one row per tunniste."""

    run_id: str
    api: str
    results: pd.DataFrame
    batches: list[dict[str, Any]]
    events: list[dict[str, Any]] = field(default_factory=list)
    # rows refused before sending (yleistunniste rules): row, tunniste, field, code, message
    refused: list[dict[str, Any]] = field(default_factory=list)

    @property
    def tuonti_ids(self) -> list[int]:
        return [b["tuonti_id"] for b in self.batches if b["tuonti_id"] is not None]

    def summary(self) -> dict[str, Any]:
        r = self.results
        return {
            "run_id": self.run_id, "api": self.api, "batches": len(self.batches),
            "rows": int(sum(b["rows"] for b in self.batches)), "results": len(r),
            "conflicts": int(r["conflict"].sum()) if len(r) else 0,
            "with_oppijanumero": int(r["oppijanumero"].notna().sum()) if len(r) else 0,
            "passivoitu": int(r["passivoitu"].sum()) if len(r) else 0,
            "restarts": int(sum(b["restarts"] for b in self.batches)),
            "sends": int(sum(b["sends"] for b in self.batches)),
            "resolved_ambiguous": sum(1 for b in self.batches if b["resolved"]),
            "refused": len({r["row"] for r in self.refused}),
            "tuonti_ids": self.tuonti_ids,
        }

    def summary_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.batches)


def _outcome(journal: ImportJournal, run_id: str, api: str,
             refused: list[dict[str, Any]] | None = None) -> ImportOutcome:
    with gc_paused():
        results = journal.results_frame(run_id)
    batches = [
        {"batch": b.seq, "rows": b.row_count, "state": b.state, "tuonti_id": b.tuonti_id,
         "sends": b.sends, "restarts": b.restarts, "resolved": b.resolved}
        for b in journal.batches(run_id)
    ]
    return ImportOutcome(run_id, api, results, batches, journal.events(run_id),
                         refused or [])


# ---------------------------------------------------------------- submit / wait
def submit_tuonti(
    client: OnrClient, rows: Sequence[Mapping[str, Any]], *, api: Api = "oppija",
    sahkoposti: str | None = None,
) -> TuontiPerustiedot:
    """One ``PUT``, no journal: raises ``AmbiguousSend`` when the outcome is open."""
    body: dict[str, Any] = {"henkilot": list(rows)}
    if sahkoposti:
        body["sahkoposti"] = sahkoposti
    if api == "yleistunniste":
        return client.put_yleistunniste(body)
    return client.put_oppija(body)


QUEUE_WINDOW = 20  # tuonti ids below ours read to find the imports queued ahead of it
MAX_RESTARTS = 3  # restarts of one import before waiting is given up
MAX_QUEUE_WAIT = 6 * 3600.0  # seconds an import may wait behind others on top of its timeout


def imports_ahead(client: OnrClient, tuonti_id: int, *, api: Api = "oppija",
                  window: int = QUEUE_WINDOW) -> dict[int, int]:
    """``{tuonti id: rows processed}`` of the unfinished imports created just before ours.

    ONR runs every import of the instance on one thread, oldest first, whichever institution
    sent it; tuonti ids come from one sequence, and ``…/perustiedot`` answers for any id (the
    role is checked, not the organisation), so the imports ahead are the unfinished ones among
    the ids below ours. An id that cannot be read is left out.
    """
    ahead: dict[int, int] = {}
    for other in range(int(tuonti_id) - 1, max(0, int(tuonti_id) - 1 - window), -1):
        try:
            status = client.find_perustiedot(other, api=api)
        except (ApiError, AuthError):
            continue
        if status is not None and not status.kasitelty:
            ahead[other] = status.kasiteltyja
    return ahead


def _queue_moved(before: Mapping[int, int], now: Mapping[int, int]) -> bool:
    """True when an import ahead processed rows, or finished, between two looks."""
    return any(now[i] > before.get(i, -1) for i in now) or bool(set(before) - set(now))


def wait_for_tuonti(
    client: OnrClient, tuonti_id: int, *, api: Api = "oppija", interval: float = 2.0,
    timeout: float = 600.0, sleep: Callable[[float], None] = time.sleep,
    stall_polls: int = 15, clock: Callable[[], float] = time.monotonic,
    on_progress: Callable[[TuontiPerustiedot], None] | None = None,
    on_restart: Callable[[TuontiPerustiedot], None] | None = None,
    max_restarts: int = MAX_RESTARTS, queue_window: int = QUEUE_WINDOW,
    max_queue_wait: float = MAX_QUEUE_WAIT,
    on_queued: Callable[[dict[int, int]], None] | None = None,
) -> TuontiPerustiedot:
    """Poll ``…/perustiedot`` until ``kasitelty``.

    After ``stall_polls`` polls without progress the imports queued ahead are looked at
    (:func:`imports_ahead`): while they move, ours is waiting its turn, and restarting it would
    only queue another job in ONR. It is restarted (``POST tuonti={id}``, resumes from
    ``kasiteltyja``) only when nothing ahead moves either, each further restart after twice the
    wait of the one before, at most ``max_restarts`` times.

    ``timeout`` counts the seconds our import is not waiting behind others: while the queue
    ahead moves the deadline moves with it, up to ``max_queue_wait`` seconds in all. Past it →
    ``TuontiTimeout``.
    """
    started = clock()
    deadline = started + timeout
    hard_deadline = deadline + max_queue_wait
    last = -1
    still = 0
    restarts = 0
    needed = stall_polls  # polls without progress before the next look at the queue
    seen_ahead: dict[int, int] | None = None  # the queue at the previous look
    while True:
        status = client.get_perustiedot(tuonti_id, api=api)
        if on_progress is not None:
            on_progress(status)
        if status.kasitelty:
            return status
        if status.kasiteltyja != last:
            last, still, seen_ahead = status.kasiteltyja, 0, None
        else:
            still += 1
            if still >= needed:
                still = 0
                ahead = imports_ahead(client, tuonti_id, api=api, window=queue_window)
                if (seen_ahead is None and ahead) or (
                        seen_ahead is not None and _queue_moved(seen_ahead, ahead)):
                    # (the queue also moved when the last one ahead just finished: ours is
                    # next, and gets its chance to start before any restart)
                    # waiting our turn: look again later; the wait does not use up the timeout
                    if seen_ahead is not None:
                        deadline = min(hard_deadline, max(deadline, clock() + timeout))
                    seen_ahead = ahead
                    if on_queued is not None:
                        on_queued(ahead)
                else:
                    if restarts >= max_restarts:
                        raise TuontiTimeout(
                            f"tuonti {tuonti_id} made no progress after {restarts} restarts "
                            f"({status.kasiteltyja}/{status.kasiteltavia} rows) and nothing "
                            "ahead of it moves; ask OPH to look at the import job",
                            tuonti_id=tuonti_id, last_status=status.model_dump(),
                        )
                    client.restart_tuonti(tuonti_id, api=api)
                    restarts += 1
                    needed = stall_polls * 2 ** restarts  # exponential back-off
                    seen_ahead = None
                    if on_restart is not None:
                        on_restart(status)
        if clock() >= deadline:
            raise TuontiTimeout(
                f"tuonti {tuonti_id} not processed within {timeout:.0f} s of not waiting "
                f"behind other imports ({status.kasiteltyja}/{status.kasiteltavia} rows)",
                tuonti_id=tuonti_id, last_status=status.model_dump(),
            )
        sleep(interval)


def collect_results(client: OnrClient, tuonti_id: int, *, api: Api = "oppija"
                    ) -> list[dict[str, Any]]:
    """Per-row results of a processed import: tunniste, oid, oppijanumero, conflict, linked."""
    tuonti = client.get_tuonti_results(tuonti_id, api=api)
    return [
        {"tunniste": r.tunniste, "oid": r.henkilo.oid, "oppijanumero": r.henkilo.oppijanumero,
         "conflict": bool(r.conflict), "linked": r.henkilo.linked or [],
         "passivoitu": r.henkilo.passivoitu}
        for r in tuonti.henkilot
    ]


# ---------------------------------------------------------------- resolution
def resolve_send(
    client: OnrClient, journal: ImportJournal, batch: Batch, *, api: Api,
    grace: float = 2.0, sleep: Callable[[float], None] = time.sleep,
    clock_skew: float = CLOCK_SKEW_S,
) -> int | None:
    """The tuonti id ONR gave this batch, or None when provably absent (see module doc)."""
    own_oid = _own_oid(client, journal)
    unchecked: list[int] = []
    queued: dict[int, bool] = {}  # candidate → imports were ahead of it at the last look
    for attempt in range(UNREADABLE_WAITS + 2):
        found, unchecked = _find_in_koostes(client, journal, batch, api=api, own_oid=own_oid,
                                            clock_skew=clock_skew)
        if found is not None:
            return found
        if attempt == 0 or unchecked:
            # A PUT still being committed gets its chance to appear; a candidate whose rows
            # are not readable yet (ONR answers 403 before its first chunk) is waited for, and
            # restarted now and then in case it stalled, unless it is waiting behind other
            # imports (a restart of a queued import only queues another job in ONR).
            if unchecked and attempt and attempt % 5 == 0:
                for tuonti_id in unchecked:
                    ahead = imports_ahead(client, tuonti_id, api=api)
                    if not ahead and not queued.get(tuonti_id):  # (not just now its turn)
                        client.restart_tuonti(tuonti_id, api=api)
                    queued[tuonti_id] = bool(ahead)
            if attempt < UNREADABLE_WAITS + 1:
                sleep(grace)
            continue
        return None
    raise AmbiguousSend(
        f"batch {batch.seq}: cannot tell whether imports {unchecked} are ours (their rows "
        f"stayed unreadable for {UNREADABLE_WAITS * grace:.0f} s); run again later, nothing "
        "was resent"
    )


UNREADABLE_WAITS = 30  # polls (``grace`` s apart) for a candidate import's rows to become readable


def _own_oid(client: OnrClient, journal: ImportJournal) -> str | None:
    cached = journal.get_meta(f"own_oid:{client.http.base_url}")
    if cached:
        return cached
    ids = sorted(journal.claimed_tuonti_ids())
    if not ids:
        return None
    page = client.tuontikooste(id=ids[-1], page_size=1)
    for k in page.content:
        if k.id == ids[-1] and k.oid:
            journal.set_meta(f"own_oid:{client.http.base_url}", k.oid)
            return k.oid
    return None


def _find_in_koostes(
    client: OnrClient, journal: ImportJournal, batch: Batch, *, api: Api,
    own_oid: str | None, clock_skew: float,
) -> tuple[int | None, list[int]]:
    """``(tuonti id of this batch, [])`` or ``(None, candidates whose rows are unreadable)``."""
    since_ms = ((batch.send_started or time.time()) - clock_skew) * 1000
    claimed = journal.claimed_tuonti_ids()
    wanted = set(batch.tunnisteet)
    unchecked: list[int] = []
    page = 1
    while True:
        koostes = client.tuontikooste(page=page, page_size=100, sort="DESC", field="timestamp")
        older = False
        for k in koostes.content:
            if k.timestamp is not None and k.timestamp < since_ms:
                older = True
                break
            if (k.id in claimed or k.total != batch.row_count
                    or (own_oid and k.oid and k.oid != own_oid)
                    or (k.api and k.api.lower() != api)):
                continue
            tunnisteet = _tunnisteet_of(client, k.id, api=api)
            if tunnisteet is None:
                unchecked.append(k.id)
            elif tunnisteet == wanted:
                return k.id, []
        if older or koostes.last or not koostes.content:
            break
        page += 1
    return None, unchecked


def _tunnisteet_of(client: OnrClient, tuonti_id: int, *, api: Api) -> set[str] | None:
    try:
        return {r.tunniste for r in client.tuontidata(tuonti_id) if r.tunniste is not None}
    except ApiError as exc:
        if exc.status not in (401, 403):
            raise
    except OnrError:  # AuthError: no TUONTIDATA_READ right
        pass
    try:  # without TUONTIDATA_READ: the processed rows show their tunnistes
        status = client.get_perustiedot(tuonti_id, api=api)
        if not status.kasitelty:
            return None
        return {r["tunniste"] for r in collect_results(client, tuonti_id, api=api)}
    except ApiError as exc:
        if exc.status == 403:
            return None
        raise


# ---------------------------------------------------------------- the run
def import_register(
    client: OnrClient, rows: Iterable[Mapping[str, Any]] | pd.DataFrame, *,
    workspace: Path | str, batch_size: int = 5000, run_id: str | None = None,
    progress: bool = True, api: Api = "oppija", sahkoposti: str | None = None,
    interval: float = 2.0, timeout: float = 600.0, stall_polls: int = 15,
    sleep: Callable[[float], None] = time.sleep, resolve_grace: float = 2.0,
    max_sends: int = 3,
) -> ImportOutcome:
    """Import ``rows`` exactly once, resumably; returns results per tunniste.

    ``run_id`` defaults to a hash of the rows, API and batch size, so running the same command
    again resumes the same run (a finished run returns its stored outcome and sends nothing).
    Choose a new ``run_id`` to import the same rows again on purpose.

    With ``api="yleistunniste"`` each row is first checked by that API's rules
    (``validation.existence_check_problems``): ONR refuses a whole request for one bad row, so
    bad rows are left out and listed in ``ImportOutcome.refused`` and the rest are sent.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    refused: list[dict[str, Any]] = []
    with gc_spared() as settle:
        with gc_paused():
            prepared = prepare_rows(rows, api=api)
        if api == "yleistunniste":
            good, refused = split_existence_rows(prepared)
            prepared = [dict(r) for r in good]
        if not prepared:
            raise ValidationFailed("no rows to import" + (
                f" ({len(refused)} problems in rows refused by the yleistunniste rules)"
                if refused else ""), problems=refused)
        settle()
        chunks = [prepared[i:i + batch_size] for i in range(0, len(prepared), batch_size)]
        hashes = [content_hash(c) for c in chunks]
        run_hash = content_hash([api, batch_size, hashes, sahkoposti])
        run_id = run_id or f"import-{run_hash[:16]}"
        space = Workspace.at(workspace)
        space.root.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(space.import_lock(run_id)))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            raise OnrError(f"another process is running import {run_id!r}") from None
        try:
            with ImportJournal(workspace) as journal:
                try:
                    journal.plan(run_id, api, batch_size, run_hash,
                                 [(h, [r["tunniste"] for r in c]) for h, c in zip(hashes, chunks,
                                                                                  strict=True)])
                except JournalMismatchError as exc:
                    raise ValidationFailed(str(exc), problems=[]) from None
                runner = _Runner(client, journal, run_id, api, chunks, sahkoposti=sahkoposti,
                                 interval=interval, timeout=timeout, stall_polls=stall_polls,
                                 sleep=sleep, grace=resolve_grace, max_sends=max_sends,
                                 progress=progress)
                runner.run()
                return _outcome(journal, run_id, api, refused)
        finally:
            lock.release()


class _Runner:
    def __init__(
        self, client: OnrClient, journal: ImportJournal, run_id: str, api: Api,
        chunks: list[list[dict[str, Any]]], *, sahkoposti: str | None, interval: float,
        timeout: float, stall_polls: int, sleep: Callable[[float], None], grace: float,
        max_sends: int, progress: bool,
    ) -> None:
        self.client, self.journal, self.run_id, self.api = client, journal, run_id, api
        self.chunks = chunks
        self.sahkoposti = sahkoposti
        self.interval, self.timeout, self.stall_polls = interval, timeout, stall_polls
        self.sleep, self.grace, self.max_sends = sleep, grace, max_sends
        self.progress = progress

    def run(self) -> None:
        batches = self.journal.batches(self.run_id)
        for b in batches:  # a crash (or ambiguous failure) left these open: resolve first
            if b.state == "sending":
                self._resolve(b)
        for b in self.journal.batches(self.run_id):
            if b.state == "pending":
                self._send(b)
        self._wait_and_collect()

    def _resolve(self, b: Batch) -> bool:
        """True when ONR has the batch (now ``sent``); False when absent (``pending``)."""
        tuonti_id = resolve_send(self.client, self.journal, b, api=self.api, grace=self.grace,
                                 sleep=self.sleep)
        if tuonti_id is not None:
            self.journal.mark_sent(self.run_id, b.seq, tuonti_id,
                                   resolved=f"found tuonti {tuonti_id} after an open send")
            return True
        self.journal.mark_absent(self.run_id, b.seq, "not in tuontikooste: resent")
        return False

    def _send(self, b: Batch) -> None:
        for _ in range(self.max_sends):
            self.journal.mark_sending(self.run_id, b.seq)
            try:
                status = submit_tuonti(self.client, self.chunks[b.seq], api=self.api,
                                       sahkoposti=self.sahkoposti)
            except AmbiguousSend:
                if self._resolve(self.journal.batch(self.run_id, b.seq)):
                    return
                continue  # provably absent: send again
            except (ApiError, AuthError, RegistryUnavailable) as exc:
                # a definite answer (4xx; 5xx is AmbiguousSend), a refused login, or a
                # connection that never opened: ONR did not take the batch
                self.journal.mark_absent(self.run_id, b.seq, f"refused: {type(exc).__name__}")
                raise
            self.journal.mark_sent(self.run_id, b.seq, status.id)
            return
        raise AmbiguousSend(f"batch {b.seq}: {self.max_sends} sends ended without a confirmed "
                            "answer and ONR does not have it; run again later")

    def _wait_and_collect(self) -> None:
        batches = self.journal.batches(self.run_id)
        total = sum(b.row_count for b in batches)
        done = sum(b.row_count for b in batches if b.state == "done")
        bar = _progress_bar(total, done, self.progress, f"tuonti {self.run_id}")
        try:
            for b in batches:
                if b.state != "sent":
                    continue
                assert b.tuonti_id is not None
                seen = [0]

                def advance(status: TuontiPerustiedot, seen: list[int] = seen) -> None:
                    if bar is not None and status.kasiteltyja > seen[0]:
                        bar.update(status.kasiteltyja - seen[0])
                        seen[0] = status.kasiteltyja

                def restarted(_: TuontiPerustiedot, seq: int = b.seq) -> None:
                    self.journal.count_restart(self.run_id, seq)

                wait_for_tuonti(self.client, b.tuonti_id, api=self.api, interval=self.interval,
                                timeout=self.timeout, sleep=self.sleep,
                                stall_polls=self.stall_polls, on_progress=advance,
                                on_restart=restarted)
                with gc_paused():
                    rows = self.client.get_tuonti_results(b.tuonti_id, api=self.api).henkilot
                    got = {r.tunniste for r in rows}
                    missing = [t for t in b.tunnisteet if t not in got]
                    if missing:
                        raise TuontiFailed(
                            f"tuonti {b.tuonti_id} finished without results for "
                            f"{len(missing)} rows", tuonti_id=b.tuonti_id,
                            row_errors=missing[:100],
                        )
                    wanted = set(b.tunnisteet)
                    self.journal.store_result_rows(self.run_id, b.seq, [
                        (r.tunniste, r.henkilo.oid, r.henkilo.oppijanumero, r.conflict,
                         r.henkilo.linked, r.henkilo.passivoitu)
                        for r in rows if r.tunniste in wanted])
        finally:
            if bar is not None:
                bar.close()


def _progress_bar(total: int, initial: int, enabled: bool, desc: str) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, desc=desc, unit="row")


# ---------------------------------------------------------------- command line
