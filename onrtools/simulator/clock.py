"""Injectable clock: epoch milliseconds, with an offset that time_passes moves forward."""

from __future__ import annotations

import threading
import time
from typing import Callable


class Clock:
    """Wall-clock time plus an offset; strictly increasing so `modified` orders changes."""

    def __init__(self, *, start_ms: int | None = None, source: Callable[[], float] = time.time):
        self._source = source
        self._offset_ms = 0 if start_ms is None else start_ms - int(source() * 1000)
        self._last = 0
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        """Current time in epoch ms; never returns the same value twice in a row backwards."""
        with self._lock:
            now = int(self._source() * 1000) + self._offset_ms
            if now < self._last:
                now = self._last
            self._last = now
            return now

    def advance(self, ms: int) -> None:
        """Move the clock forward (time_passes)."""
        with self._lock:
            self._offset_ms += int(ms)

    @property
    def offset_ms(self) -> int:
        return self._offset_ms

    def set_offset(self, offset_ms: int) -> None:
        with self._lock:
            self._offset_ms = int(offset_ms)


class FixedClock(Clock):
    """A manual clock for tests: starts at `start_ms` and only moves when told (or by `step_ms`)."""

    def __init__(self, start_ms: int = 1_767_225_600_000, *, step_ms: int = 0) -> None:
        self._t = float(start_ms)
        self._step = step_ms
        super().__init__(source=self._read)
        self._offset_ms = 0

    def _read(self) -> float:
        value = self._t / 1000.0
        self._t += self._step
        return value
