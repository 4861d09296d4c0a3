"""What stands in front of ONR's controllers: request log, Caller-Id, faults, CAS/OAuth2 gate.

`Gateway` is a pure ASGI middleware around the FastAPI app (REST.md §2, §3.3):

1. trailing slashes are stripped (ONR's request filter);
2. every request is logged (method, path without query string, status, Caller-Id, user) in a
   ring buffer served at `GET /__admin/requests`; bodies, cookies and tickets are never kept;
3. on ONR's paths: `--strict-caller-id` refuses a request without `Caller-Id`; faults apply;
   then the caller is authenticated: `Authorization: Bearer` (stateless JWT), else a
   `CasSecurityTicket` header or `?ticket=` on GET (validated in place, a session is opened),
   else the `JSESSIONID` session; none → 302 to `/cas/login`, an expired session → 401.
The resulting `Caller` is put in `scope["state"]["caller"]` for the routes.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from email.utils import formatdate
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, quote

from onrtools.simulator.auth import SECURITY_CHECK_PATH, AuthError, AuthService
from onrtools.simulator.core import Caller
from onrtools.simulator.faults import FaultInjector

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SERVICE = "/oppijanumerorekisteri-service"
# reachable without authentication in ONR (SecurityConfiguration): OpenAPI, Swagger UI, actuator
PUBLIC_PREFIXES = ("/v3/api-docs", "/swagger-ui", "/actuator")
ABORT_EXTENSION = "onrsim.abort"  # set by server.AbortableH11: closes the TCP connection
SESSION_COOKIE = "JSESSIONID"


class RequestLog:
    """The last `maxlen` requests: no bodies, no query strings, no cookies."""

    def __init__(self, maxlen: int = 10_000) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=maxlen)
        self.total = 0

    def add(self, entry: dict[str, Any]) -> None:
        self._entries.append(entry)
        self.total += 1

    def recent(self, limit: int = 100) -> list[dict[str, Any]]:
        return list(self._entries)[-limit:] if limit > 0 else []


@dataclass
class SimContext:
    """Everything the routes need besides the request; one per running simulator."""

    registry: Any
    auth: AuthService
    faults: FaultInjector
    strict_caller_id: bool = False
    log: RequestLog = field(default_factory=RequestLog)

    def apply_faults(self, config: Any) -> None:
        """Install a FaultConfig: injector, session expiry, import stall."""
        self.faults.configure(config)
        self.auth.settings.session_max_requests = config.session_expiry_after
        if hasattr(self.registry, "stall_imports"):
            self.registry.stall_imports = config.stall_imports
            self.registry.import_chunk_s = config.import_chunk_ms / 1000


def now_ms() -> int:
    return int(time.time() * 1000)


def standard_error(
    status: int, path: str, message: str | None, exception: str, error: str,
    field_errors: list[dict[str, Any]] | None = None,
    global_errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """ONR's standard error body (GlobalExceptionHandler), REST §3.3."""
    body: dict[str, Any] = {
        "timestamp": now_ms(), "status": status, "error": error,
        "exception": exception, "message": message, "path": path,
    }
    if field_errors is not None or global_errors is not None:
        body["globalErrors"] = global_errors or []
        body["fieldErrors"] = field_errors or []
    return body


def servlet_error(status: int, error: str, path: str) -> dict[str, Any]:
    """Spring Boot's default error body for @ResponseStatus answers (401/404/409)."""
    return {"timestamp": now_ms(), "status": status, "error": error, "path": path}


async def send_json(
    send: Send, status: int, body: Any, headers: list[tuple[bytes, bytes]] | tuple[()] = (),
) -> None:
    data = json.dumps(body, ensure_ascii=False).encode()
    await send_raw(send, status, data, b"application/json", headers)


async def send_raw(
    send: Send, status: int, data: bytes, content_type: bytes,
    headers: list[tuple[bytes, bytes]] | tuple[()] = (),
) -> None:
    head = [(b"content-type", content_type), (b"content-length", str(len(data)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": head + list(headers)})
    await send({"type": "http.response.body", "body": data})


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def base_url(scope: Scope) -> str:
    host = header(scope, b"host")
    if not host:
        server = scope.get("server") or ("127.0.0.1", 80)
        host = f"{server[0]}:{server[1]}"
    return f"{scope.get('scheme', 'http')}://{host}"


class Gateway:
    """The ASGI middleware described in the module docstring."""

    def __init__(self, app: ASGIApp, ctx: SimContext) -> None:
        self.app = app
        self.ctx = ctx

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if len(path) > 1 and path.endswith("/"):
            path = path.rstrip("/") or "/"
            scope = dict(scope, path=path, raw_path=path.encode())
        started = time.perf_counter()
        entry: dict[str, Any] = {
            "time": now_ms(), "method": scope["method"], "path": _loggable(path), "status": None,
            "callerId": header(scope, b"caller-id"), "user": None, "fault": None,
        }

        async def logged_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry["status"] = message["status"]
                # ONR's clock, as a real server's Date header carries its own: the client
                # measures ages and lags against it (the simulator's clock may run ahead)
                headers = [*message.get("headers", []), (b"date", self._date())]
                message = {**message, "headers": headers}
            await send(message)

        try:
            if path == SERVICE or path.startswith(SERVICE + "/"):
                await self._service(scope, receive, logged_send, path[len(SERVICE):] or "/", entry)
            else:
                await self.app(scope, receive, logged_send)
        except Exception:
            # the app's handler already logged it and answered 500; uvicorn need not log it again
            if entry["status"] is None and entry["fault"] != "drop_after":
                raise
        finally:
            entry["ms"] = round((time.perf_counter() - started) * 1000, 1)
            if not path.startswith("/__admin"):
                self.ctx.log.add(entry)

    def _date(self) -> bytes:
        """An HTTP Date header (RFC 9110, 1 s resolution) from the simulator's clock."""
        return formatdate(self.ctx.registry.clock.now_ms() / 1000, usegmt=True).encode()

    async def _service(
        self, scope: Scope, receive: Receive, send: Send, rel: str, entry: dict[str, Any],
    ) -> None:
        if rel.startswith(PUBLIC_PREFIXES):
            await self.app(scope, receive, send)
            return
        if self.ctx.strict_caller_id and not (entry["callerId"] or "").strip():
            await send_json(send, 400, standard_error(
                400, scope["path"],
                "Caller-Id header is required: the simulator runs with --strict-caller-id",
                "fi.vm.sade.oppijanumerorekisteri.simulator.MissingCallerIdException",
                "Bad Request",
            ))
            return
        method = scope["method"]
        faults = self.ctx.faults
        delay = faults.latency_s(method, rel)
        if delay:
            await asyncio.sleep(delay)
        action, status = faults.decide(method, rel)
        entry["fault"] = None if action == "pass" else action
        if action == "drop_before":
            # read the body first: a socket closed with unread bytes sends a reset, which the
            # client sees as a read error on some runs and a closed connection on others
            await _drain(receive)
            await _abort(scope)
            return
        if action == "error":
            await _send_fault_error(send, status, scope["path"])
            return
        if rel == "/j_spring_cas_security_check":
            await self._security_check(scope, send, entry)
            return
        set_cookie: list[tuple[bytes, bytes]] = []
        caller = await self._authenticate(scope, send, entry, set_cookie)
        if caller is None:
            return
        scope.setdefault("state", {})["caller"] = caller

        async def cookie_send(message: Message) -> None:
            if message["type"] == "http.response.start" and set_cookie:
                message = dict(message, headers=list(message.get("headers", [])) + set_cookie)
            await send(message)

        if action == "drop_after":
            await self._drop_after(scope, receive)
            return
        await self.app(scope, receive, cookie_send)

    async def _drop_after(self, scope: Scope, receive: Receive) -> None:
        """Process the request completely, then close the connection without answering."""
        async def swallow(message: Message) -> None:
            return None

        try:
            await self.app(scope, receive, swallow)
        finally:
            await _abort(scope)

    async def _security_check(self, scope: Scope, send: Send, entry: dict[str, Any]) -> None:
        """GET …/j_spring_cas_security_check?ticket=ST: open a session, 302 to the service root."""
        ticket = _query(scope, "ticket")
        if not ticket:
            await self._login_redirect(scope, send)
            return
        try:
            user = self.ctx.auth.validate_st(ticket, base_url(scope) + SECURITY_CHECK_PATH)
        except AuthError:
            await send_json(send, 401, servlet_error(401, "Unauthorized", scope["path"]))
            return
        entry["user"] = user.username
        session = self.ctx.auth.open_session(user, ticket)
        await send_raw(send, 302, b"", b"text/plain", [
            (b"location", (base_url(scope) + SERVICE + "/").encode()),
            _cookie_header(session.id),
        ])

    async def _authenticate(
        self, scope: Scope, send: Send, entry: dict[str, Any],
        set_cookie: list[tuple[bytes, bytes]],
    ) -> Caller | None:
        auth = self.ctx.auth
        authorization = header(scope, b"authorization") or ""
        if authorization[:7].lower() == "bearer ":
            try:
                caller = auth.verify_token(authorization[7:].strip())
            except AuthError as exc:
                challenge = f'Bearer error="invalid_token", error_description="{exc}"'
                await send_raw(send, 401, b"", b"text/plain",
                               [(b"www-authenticate", challenge.encode())])
                return None
            entry["user"] = caller.username
            return caller
        session_id = _cookie(scope, SESSION_COOKIE)
        session = auth.session(session_id) if session_id else None
        ticket = header(scope, b"cassecurityticket")
        if not ticket and scope["method"] == "GET":
            ticket = _query(scope, "ticket")
        if ticket and (session is None or session.ticket != ticket):
            try:
                user = auth.validate_st(ticket, base_url(scope) + SECURITY_CHECK_PATH)
            except AuthError:
                await send_json(send, 401, servlet_error(401, "Unauthorized", scope["path"]))
                return None
            session = auth.open_session(user, ticket)
            set_cookie.append(_cookie_header(session.id))
        if session is None:
            await self._login_redirect(scope, send)
            return None
        try:
            user = auth.touch(session)
        except AuthError:
            await send_json(send, 401, servlet_error(401, "Unauthorized", scope["path"]))
            return None
        entry["user"] = user.username
        return user.caller()

    async def _login_redirect(self, scope: Scope, send: Send) -> None:
        base = base_url(scope)
        service = quote(base + SECURITY_CHECK_PATH, safe="")
        await send_raw(send, 302, b"", b"text/plain",
                       [(b"location", f"{base}/cas/login?service={service}".encode())])


def _loggable(path: str) -> str:
    """The path as logged: a TGT in `/cas/v1/tickets/{TGT}` is a credential, keep it out."""
    if path.startswith("/cas/v1/tickets/"):
        return "/cas/v1/tickets/{TGT}"
    return path


def _cookie_header(session_id: str) -> tuple[bytes, bytes]:
    return (b"set-cookie", f"{SESSION_COOKIE}={session_id}; Path={SERVICE}; HttpOnly".encode())


def _cookie(scope: Scope, name: str) -> str | None:
    raw = header(scope, b"cookie")
    if not raw:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:  # a malformed Cookie header counts as no cookie
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


def _query(scope: Scope, name: str) -> str | None:
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get(name)
    return values[0] if values else None


async def _drain(receive: Receive) -> None:
    """Read the request body to its end (nothing is done with it)."""
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


async def _abort(scope: Scope) -> None:
    """Close the client's connection without a response (needs server.AbortableH11)."""
    abort = scope.get("extensions", {}).get(ABORT_EXTENSION)
    if abort is None:
        raise ConnectionAbortedError("simulated dropped connection")
    abort()
    await asyncio.sleep(0)  # let uvicorn notice the disconnect before the cycle ends


async def _send_fault_error(send: Send, status: int, path: str) -> None:
    if status == 503:  # what a load balancer in front of ONR answers
        await send_raw(send, 503, b"<html><body><h1>503 Service Temporarily Unavailable</h1>"
                       b"</body></html>", b"text/html")
        return
    await send_json(send, status, standard_error(
        status, path, "Simulated fault", "java.lang.RuntimeException",
        _REASONS.get(status, "Error"),
    ))


_REASONS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
            504: "Gateway Timeout", 429: "Too Many Requests"}
