"""Fault injection: what a flaky network and a struggling ONR do to a client.

A `FaultConfig` is set at start (`--fault-…` flags) and replaced at run time through
`PUT /__admin/faults`. Faults touch only ONR's own paths (`/oppijanumerorekisteri-service/…`,
not CAS, OpenAPI, actuator or admin), and only requests that `match` (all when empty).
Random choices come from one `random.Random(seed)`, so a run with the same requests in the same
order injects the same faults; the `*_next` counters inject deterministically.
"""

from __future__ import annotations

import dataclasses
import random
import threading
from dataclasses import dataclass, field
from typing import Any, Literal

Action = Literal["pass", "error", "drop_before", "drop_after"]


@dataclass
class FaultConfig:
    """Every knob of the fault injector; field names double as CLI flags (`--fault-latency-ms`)."""

    latency_ms: int = 0  # added before every matched request
    error_rate: float = 0.0  # share of matched requests answered with an error status
    error_statuses: list[int] = field(default_factory=lambda: [500, 503])  # chosen at random
    error_next: int = 0  # the next N matched requests get an error (deterministic)
    drop_before_rate: float = 0.0  # share of connections closed before the request is processed
    drop_before_next: int = 0
    drop_after_rate: float = 0.0  # share processed, then closed without sending the response
    drop_after_next: int = 0
    match: list[str] = field(default_factory=list)  # "PUT /oppija", "/henkilo", "GET *"; [] = all
    session_expiry_after: int = 0  # a CAS session expires after N requests (0 = never)
    stall_imports: bool = False  # import jobs stop until POST /oppija/tuonti={id} restarts them
    # the pace of ONR's one import queue (all institutions): milliseconds per 100-row chunk
    import_chunk_ms: int = 0
    seed: int = 0

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> FaultConfig:
        """Build from JSON; unknown keys are a ValueError (a typo must not pass silently)."""
        data = dict(data or {})
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(unknown)}")
        config = cls(**data)
        config.check()
        return config

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def check(self) -> None:
        for name in ("error_rate", "drop_before_rate", "drop_after_rate"):
            value = float(getattr(self, name))
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {value}")
            setattr(self, name, value)
        for name in ("latency_ms", "error_next", "drop_before_next", "drop_after_next",
                     "session_expiry_after", "seed", "import_chunk_ms"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer, not {value!r}")
        if not self.error_statuses or not all(
            isinstance(s, int) and 400 <= s <= 599 for s in self.error_statuses
        ):
            raise ValueError("error_statuses must be a non-empty list of 4xx/5xx codes")
        if not isinstance(self.match, list) or not all(isinstance(m, str) for m in self.match):
            raise ValueError("match must be a list of strings such as 'PUT /oppija'")
        self.stall_imports = bool(self.stall_imports)


HELP: dict[str, str] = {
    "latency_ms": "milliseconds added before every matched request",
    "error_rate": "share (0-1) of matched requests answered with an error status",
    "error_statuses": "statuses drawn for errors (default 500,503)",
    "error_next": "the next N matched requests fail",
    "drop_before_rate": "share of connections closed before processing",
    "drop_before_next": "the next N matched connections close before processing",
    "drop_after_rate": "share processed, then closed without a response",
    "drop_after_next": "the next N matched requests are processed, then dropped",
    "match": "'METHOD /path-prefix' patterns below the service root (default: all)",
    "session_expiry_after": "CAS sessions answer 401 after N requests",
    "stall_imports": "imports stop after their first chunk until restarted",
    "import_chunk_ms": "milliseconds per 100-row chunk of the one import queue every "
                       "institution shares (a long import holds the others back)",
    "seed": "seed of the fault draws",
}


class FaultInjector:
    """Decides, per request, whether and how to misbehave; counts what it injected."""

    def __init__(self, config: FaultConfig | None = None) -> None:
        self._lock = threading.Lock()
        self.counts: dict[str, int] = {}
        self.configure(config or FaultConfig())

    def configure(self, config: FaultConfig) -> None:
        with self._lock:
            self.config = config
            self._rng = random.Random(config.seed)
            self.counts = {"error": 0, "drop_before": 0, "drop_after": 0, "delayed": 0}

    def matches(self, method: str, path: str) -> bool:
        """`path` is relative to the service root, e.g. `/oppija`; patterns match by prefix."""
        if not self.config.match:
            return True
        for pattern in self.config.match:
            want_method, _, prefix = pattern.strip().rpartition(" ")
            if want_method and want_method not in {"*", method.upper()}:
                continue
            if prefix in {"*", ""} or path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                return True
        return False

    def latency_s(self, method: str, path: str) -> float:
        if self.config.latency_ms and self.matches(method, path):
            with self._lock:
                self.counts["delayed"] += 1
            return self.config.latency_ms / 1000.0
        return 0.0

    def decide(self, method: str, path: str) -> tuple[Action, int]:
        """What to do with one request: (action, status for "error")."""
        if not self.matches(method, path):
            return "pass", 0
        with self._lock:
            c = self.config
            action: Action = "pass"
            if c.drop_before_next:
                c.drop_before_next -= 1
                action = "drop_before"
            elif c.error_next:
                c.error_next -= 1
                action = "error"
            elif c.drop_after_next:
                c.drop_after_next -= 1
                action = "drop_after"
            else:
                # one draw per kind keeps the sequence reproducible whatever the rates are
                r_before, r_error, r_after = (self._rng.random() for _ in range(3))
                if r_before < c.drop_before_rate:
                    action = "drop_before"
                elif r_error < c.error_rate:
                    action = "error"
                elif r_after < c.drop_after_rate:
                    action = "drop_after"
            status = self._rng.choice(c.error_statuses) if action == "error" else 0
            if action != "pass":
                self.counts[action] += 1
            return action, status

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"config": self.config.to_dict(), "injected": dict(self.counts)}
