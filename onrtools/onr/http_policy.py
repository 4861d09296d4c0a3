"""HTTP policy towards ONR: timeouts, retries with backoff and jitter, a concurrency limit,
and the one place where httpx failures and non-2xx answers become onrtools errors.

Retry rules (why: ONR's reads are safe to repeat, its imports are not):

* idempotent requests (GET, HEAD, and POSTs that only read such as
  ``henkiloPerustietosByHenkiloOidList`` or a tuonti restart) are retried on connection errors,
  timeouts, 429 and 500/502/503/504. 500 is included on purpose: ONR maps transient database
  failures to 500, and a read that fails once usually succeeds on the next try.
* non-idempotent requests (``PUT /oppija``, ``PUT /yleistunniste``, link/unlink) are retried only
  when they provably never reached the server (connection refused, connect timeout, pool
  timeout) or on 429 (refused before processing). Anything else that leaves the outcome open
  (read timeout, dropped connection, 5xx) raises ``AmbiguousSend``; the caller must find out
  what ONR did before sending again.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from onrtools.errors import (
    AmbiguousSend,
    ApiError,
    AuthError,
    Conflict,
    NotFound,
    RegistryUnavailable,
    mask_registry_text,
)
from onrtools.onr.calls import CallRecorder, path_template
from onrtools.register.hetu import mask_in_text
from onrtools.secret_names import SECRET_WORDS

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

_SECRET_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b(TGT|ST|PGT|PT)-[\w.\-]+"), r"\1-***"),
    # name=value where the name is secret (onrtools.secret_names, the one list)
    (re.compile(r"(\b\w*(?:" + SECRET_WORDS + r")\w*)([\"']?\s*[=:]\s*[\"']?)[^\s;&,\"']+",
                re.I), r"\1\2***"),
    (re.compile(r"(Bearer\s+)[\w.\-]+", re.I), r"\1***"),
]


def redact(text: str) -> str:
    """Remove tickets, cookies, tokens, passwords and full hetus from a message."""
    for pattern, repl in _SECRET_PATTERNS:
        text = pattern.sub(repl, text)
    # hetu: keep the birth date part, mask the individual number and check char
    return mask_in_text(text)


class _RedactTickets(logging.Filter):
    """httpx logs request URLs at INFO (the session step carries ``?ticket=ST-…``); httpcore
    logs response headers at DEBUG (the TGT's ``Location``, ``Set-Cookie``).

    The message is formatted first and then redacted: redacting the arguments one by one
    turned ``%d`` arguments into text and broke every httpx log line.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except (TypeError, ValueError):
            text = f"{record.msg} {record.args!r}"
        record.msg = mask_registry_text(redact(text), limit=10_000)
        record.args = None
        return True


_FILTER = _RedactTickets()
# A logger's filter sees only records logged on that very logger, not on its children.
_HTTP_LOGGERS = ("httpx", "httpcore", "httpcore.connection", "httpcore.http11",
                 "httpcore.http2", "httpcore.proxy", "httpcore.socks")


def install_log_redaction() -> None:
    for name in _HTTP_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


@dataclass
class RetryPolicy:
    """Exponential backoff with full jitter, honouring ``Retry-After``."""

    max_retries: int = 4
    backoff: float = 0.25  # seconds before the first retry (upper bound of the jitter)
    max_backoff: float = 8.0
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        if retry_after:
            try:
                return min(float(retry_after), self.max_backoff * 4)
            except ValueError:
                pass
        cap = min(self.max_backoff, self.backoff * (2 ** (attempt - 1)))
        return self.rng.uniform(cap / 2, cap)


def error_detail(response: httpx.Response) -> str | None:
    """A short description of ONR's error body, masked before anything is cut or kept.

    ONR's 400 for a failed bean validation echoes the rejected values (hetus, names) in its
    ``message``; ``errors.mask_registry_text`` reduces it to field and rule. Masking runs on
    the whole text first: a value cut in half would escape the patterns.
    """
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        return redact(mask_registry_text(text, limit=200)) if text else None
    if not isinstance(body, dict):
        return None
    parts: list[str] = []
    message = body.get("message") or body.get("error")
    if message:
        parts.append(mask_registry_text(message, limit=400))
    for err in (body.get("fieldErrors") or [])[:10]:
        if isinstance(err, dict):
            parts.append(f"{err.get('field')}: {err.get('code') or err.get('message')}")
    # fieldErrors' rejectedValue is never read: it holds the row's own values
    for err in (body.get("globalErrors") or [])[:5]:
        if isinstance(err, dict):
            parts.append(str(err.get("code") or err.get("message")))
    return redact(mask_registry_text("; ".join(parts), limit=600)) if parts else None


def raise_for_status(response: httpx.Response, method: str, path: str) -> None:
    status = response.status_code
    if status < 300:
        return
    template = path_template(path)
    detail = error_detail(response)
    if status == 401 or (status in (302, 303) and "/cas/login" in
                         response.headers.get("location", "")):
        raise AuthError(f"{method} {template} answered {status}: not logged in, or the user "
                        "lacks the rights this call needs")
    if status == 404:
        raise NotFound(status, method, template, detail)
    if status == 409:
        raise Conflict(status, method, template, detail)
    raise ApiError(status, method, template, detail)


class RetryingSender:
    """Sends requests through one ``httpx.Client`` with the retry rules above.

    Not an httpx transport: it sits above the ``httpx.Client`` (whose own transport
    ``OnrClient.from_settings(transport=...)`` takes), deciding what is retried."""

    def __init__(
        self, http: httpx.Client, *, retry: RetryPolicy | None = None, concurrency: int = 4,
        recorder: CallRecorder | None = None,
    ) -> None:
        self.http = http
        self.retry = retry or RetryPolicy()
        self.recorder = recorder
        self._slots = threading.BoundedSemaphore(max(1, concurrency))
        install_log_redaction()

    def send(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
        json: Any = None, content: bytes | None = None, headers: Mapping[str, str] | None = None,
        idempotent: bool, sent: int = 0, ok: tuple[int, ...] = (),
        timeout: float | None = None,
    ) -> tuple[httpx.Response, int, float]:
        """Send with retries; returns (response, attempt, seconds). Non-2xx outside ``ok`` raise.

        The caller records the successful call itself once it knows how many items came back.
        """
        template = path_template(path)
        attempt = 0
        # a long read gets its own read timeout; connecting stays as quick as for any call
        per_call: Any = httpx.USE_CLIENT_DEFAULT
        if timeout is not None:
            per_call = httpx.Timeout(timeout, connect=self.http.timeout.connect)
        while True:
            attempt += 1
            started = time.perf_counter()
            try:
                with self._slots:
                    response = self.http.request(
                        method, path, params=params, json=json, content=content, headers=headers,
                        timeout=per_call,
                    )
            except httpx.TransportError as exc:
                elapsed = time.perf_counter() - started
                self._record(method, path, None, elapsed, sent, attempt)
                reached = not isinstance(exc, _NOT_SENT)
                if reached and not idempotent:
                    raise AmbiguousSend(
                        f"{method} {template}: {type(exc).__name__} after the request may have "
                        "reached ONR; resolve before sending again"
                    ) from None
                if attempt > self.retry.max_retries:
                    kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "failed"
                    raise RegistryUnavailable(
                        f"{method} {template} {kind} after {attempt} attempts "
                        f"({type(exc).__name__})"
                    ) from None
                self.retry.sleep(self.retry.delay(attempt))
                continue
            elapsed = time.perf_counter() - started
            status = response.status_code
            if status in RETRY_STATUSES and status not in ok:
                retryable = idempotent or status == 429
                if not retryable:
                    self._record(method, path, status, elapsed, sent, attempt)
                    raise AmbiguousSend(
                        f"{method} {template} answered {status}; ONR may or may not have taken "
                        "the request; resolve before sending again"
                    )
                if attempt <= self.retry.max_retries:
                    self._record(method, path, status, elapsed, sent, attempt)
                    self.retry.sleep(self.retry.delay(attempt, response.headers.get("retry-after")))
                    continue
            if status >= 300 and status not in ok:
                self._record(method, path, status, elapsed, sent, attempt)
                raise_for_status(response, method, path)
            return response, attempt, elapsed

    def _record(
        self, method: str, path: str, status: int | None, elapsed: float, sent: int, attempt: int,
        received: int = 0,
    ) -> None:
        if self.recorder is not None:
            self.recorder.record(method, path, status, elapsed, sent=sent, received=received,
                                 attempt=attempt)

    def record_success(
        self, method: str, path: str, status: int, elapsed: float, attempt: int, *,
        sent: int = 0, received: int = 0,
    ) -> None:
        self._record(method, path, status, elapsed, sent, attempt, received)
