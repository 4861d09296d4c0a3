"""CallRecorder: what every ONR call leaves in the run's evidence.

Method, path *template* (``/henkilo/{oid}``, never the OID), status, duration and counts of items
sent/received. Never bodies, query strings, cookies or tickets. ``summary()`` aggregates per
(method, template, status) for the evidence ledger; ``calls`` keeps each call.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from onrtools.register.hetu import has_hetu_in_text

_TEMPLATES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"tuonti=\d+"), "tuonti={id}"),
    (re.compile(r"/tuontidata/\d+"), "/tuontidata/{id}"),
    (re.compile(r"/cas/v1/tickets/[^/?]+"), "/cas/v1/tickets/{tgt}"),
    (re.compile(r"/unlink/[^/?]+"), "/unlink/{oid}"),
    (re.compile(r"/(henkilo|hae)/1\.2\.246\.562\.\d+\.\d+"), r"/\1/{oid}"),
]


def path_template(path: str) -> str:
    """``/oppija/tuonti=17/perustiedot`` → ``/oppija/tuonti={id}/perustiedot`` (no query)."""
    path = path.split("?", 1)[0].removeprefix("/oppijanumerorekisteri-service")
    for pattern, repl in _TEMPLATES:
        path = pattern.sub(repl, path)
    # a path segment holding a hetu (``/henkilo/hetu=131052-9085``) is {hetu}, whole
    return "/".join("{hetu}" if has_hetu_in_text(part) else part for part in path.split("/"))


@dataclass(frozen=True)
class CallRecord:
    method: str
    path: str  # template
    status: int | None  # None: no answer (timeout, connection error)
    duration_ms: float
    sent: int = 0  # items in the request (rows, OIDs)
    received: int = 0  # items in the answer
    attempt: int = 1


class CallRecorder:
    """Thread-safe hook the client calls after every HTTP exchange."""

    def __init__(self, sink: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.calls: list[CallRecord] = []
        self._sink = sink
        self._lock = threading.Lock()

    def record(
        self, method: str, path: str, status: int | None, duration_s: float, *,
        sent: int = 0, received: int = 0, attempt: int = 1,
    ) -> None:
        rec = CallRecord(method.upper(), path_template(path), status,
                         round(duration_s * 1000, 3), sent, received, attempt)
        with self._lock:
            self.calls.append(rec)
        if self._sink is not None:
            self._sink(asdict(rec))

    def summary(self) -> list[dict[str, Any]]:
        """One dict per (method, path, status): calls, items sent/received, total/max ms."""
        groups: dict[tuple[str, str, int | None], dict[str, Any]] = {}
        with self._lock:
            calls = list(self.calls)
        for c in calls:
            g = groups.setdefault((c.method, c.path, c.status), {
                "method": c.method, "path": c.path, "status": c.status, "calls": 0,
                "sent": 0, "received": 0, "total_ms": 0.0, "max_ms": 0.0, "retries": 0,
            })
            g["calls"] += 1
            g["sent"] += c.sent
            g["received"] += c.received
            g["total_ms"] = round(g["total_ms"] + c.duration_ms, 3)
            g["max_ms"] = max(g["max_ms"], c.duration_ms)
            g["retries"] += c.attempt > 1
        return sorted(groups.values(), key=lambda g: (g["path"], g["method"], str(g["status"])))

    def __len__(self) -> int:
        return len(self.calls)
