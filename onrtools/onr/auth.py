"""Authentication as httpx.Auth flows: CAS service tickets (CasAuth) and OAuth2 (OAuth2Auth).

Both add ONR's conventional headers (``Caller-Id``, ``CSRF: CSRF``, ``Cookie: CSRF=CSRF``) to
every API request and re-authenticate exactly once when ONR says the session or token is gone;
a second refusal is an ``AuthError``. Tickets, cookies and tokens never enter messages.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator
from typing import Any

import httpx

from onrtools.errors import AuthError
from onrtools.onr.calls import CallRecorder, path_template

TRANSIENT = frozenset({429, 500, 502, 503, 504})  # worth another ticket after a pause

_R = "APP_OPPIJANUMEROREKISTERI_"
# (method or "*", path template prefix, the role(s) ONR's @PreAuthorize wants); REST.md §4–6.
# First match wins, so the more specific prefixes come first.
RIGHTS: tuple[tuple[str, str, str], ...] = (
    ("*", "/oppija/tuontidata/", f"{_R}TUONTIDATA_READ"),
    ("*", "/yleistunniste", f"{_R}YLEISTUNNISTE_LUONTI"),
    ("*", "/oppija", f"{_R}OPPIJOIDENTUONTI"),
    ("*", "/henkilo/duplikaatit", f"{_R}OPPIJOIDENTUONTI"),
    ("*", "/henkilo/{oid}/duplicates", f"{_R}DUPLIKAATTINAKYMA"),
    ("POST", "/henkilo/{oid}/link", f"{_R}DUPLIKAATTINAKYMA (and rights on both persons)"),
    ("POST", "/henkilo/{oid}/forcelink", f"{_R}YKSILOINNIN_PURKU"),
    ("DELETE", "/henkilo/{oid}/unlink/", f"{_R}REKISTERINPITAJA"),
    ("*", "/henkilo/{oid}/identification", f"{_R}REKISTERINPITAJA_READ"),
    ("POST", "/henkilo/", f"{_R}HENKILON_RU or {_R}REKISTERINPITAJA_READ"),
    ("*", "/henkilo/", f"{_R}HENKILON_RU (or {_R}OPPIJOIDENTUONTI for a person of your "
                       "organisation)"),
)


def likely_right(method: str, template: str) -> str:
    """The role ONR most likely found missing when it answers this call 401 after a fresh
    login (ONR never says 403 for a missing role)."""
    local = template.split("/oppijanumerorekisteri-service", 1)[-1]
    for want, prefix, role in RIGHTS:
        if want in ("*", method.upper()) and (
                local == prefix.rstrip("/") or local.startswith(prefix)
                or (prefix == "/oppija" and local.startswith("/oppija/"))):
            return role
    return "the role this call needs"


def rights_error(method: str, template: str, status: int) -> AuthError:
    """``AuthError`` for a 401 that a fresh login did not cure: a right is missing."""
    return AuthError(
        f"{method} {template}: ONR refused the call right after a fresh login ({status}); the "
        f"service user most likely lacks the rights of {likely_right(method, template)}. ONR "
        "answers 401, never 403, for missing rights; ask OPH for the role rather than retrying"
    )


def conventional_headers(request: httpx.Request, caller_id: str, cookies: str = "") -> None:
    """Caller-Id and the CSRF header+cookie pair every OPH client sends (REST.md §2.3)."""
    request.headers["Caller-Id"] = caller_id
    request.headers["CSRF"] = "CSRF"
    request.headers["Cookie"] = "CSRF=CSRF" + (f"; {cookies}" if cookies else "")


class CasAuth(httpx.Auth):
    """CAS: TGT → service ticket → ``j_spring_cas_security_check`` → ``JSESSIONID`` cookie.

    The TGT is reused for new service tickets; a refused TGT is replaced once. On a 302 to
    ``/cas/login`` or a 401 the flow logs in again and repeats the request once.
    """

    requires_response_body = True  # the service ticket comes back in the body

    def __init__(
        self, *, cas_url: str, service_url: str, username: str, password: str, caller_id: str,
        recorder: CallRecorder | None = None,
    ) -> None:
        self.cas_url = cas_url.rstrip("/")
        self.service_url = service_url.rstrip("/")
        self.username = username
        self._password = password
        self.caller_id = caller_id
        self.recorder = recorder
        self._tgt: str | None = None
        self._session: str | None = None
        self._generation = 0  # bumps on every successful login
        self._lock = threading.RLock()
        self.logins = 0  # sessions opened (tests and evidence count re-logins)
        # (method, path template) → the login generation that was refused it right after login
        self._refused: dict[tuple[str, str], int] = {}

    def __repr__(self) -> str:
        return f"CasAuth(cas_url={self.cas_url!r}, username={self.username!r}, password='***')"

    # ------------------------------------------------------------------ flow
    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        call = (request.method, _path(request))
        with self._lock:
            fresh = self._session is None
            if fresh:
                yield from self._login()
            generation = self._generation
        response = yield self._with_session(request)
        if not self._expired(response):
            return
        # A 401 on a session opened for this very call, or on a call this session was already
        # refused right after its login, is a missing right: another login would not help.
        if fresh or self._refused.get(call) == generation:
            self._refused[call] = generation
            raise rights_error(*call, response.status_code)
        with self._lock:
            if self._generation == generation:  # nobody else has logged in meanwhile
                self._session = None
                yield from self._login()
            generation = self._generation
        response = yield self._with_session(request)
        if self._expired(response):
            self._refused[call] = generation
            raise rights_error(*call, response.status_code)

    def _with_session(self, request: httpx.Request) -> httpx.Request:
        conventional_headers(request, self.caller_id, f"JSESSIONID={self._session}")
        return request

    @staticmethod
    def _expired(response: httpx.Response) -> bool:
        if response.status_code == 401:
            return True
        return response.status_code in (302, 303) and "/cas/login" in response.headers.get(
            "location", ""
        )

    def _login(self) -> Generator[httpx.Request, httpx.Response, None]:
        """Open a session; a transient answer (429, 5xx) to the ticket check is retried with a
        fresh ticket after a short backoff, so a flaky gateway does not fail a whole run."""
        for attempt, pause in enumerate((0.25, 0.5, 1.0, 2.0, None)):
            resp = yield from self._open_session()
            session = resp.cookies.get("JSESSIONID")
            if session and resp.status_code < 400:
                break
            if pause is None or resp.status_code not in TRANSIENT:
                raise AuthError(
                    f"ONR did not open a session for the service ticket ({resp.status_code}"
                    f"{', after ' + str(attempt + 1) + ' attempts' if attempt else ''})"
                )
            time.sleep(pause)
        self._session = session
        self._generation += 1
        self.logins += 1

    def _open_session(self) -> Generator[httpx.Request, httpx.Response, httpx.Response]:
        ticket: str | None = None
        for _ in range(2):  # a stale TGT is replaced once
            if self._tgt is None:
                yield from self._new_tgt()
            assert self._tgt is not None
            req = self._form(f"{self.cas_url}/v1/tickets/{self._tgt}",
                             {"service": f"{self.service_url}/j_spring_cas_security_check"})
            started = time.perf_counter()
            resp = yield req
            self._record(req, resp, started)
            if resp.status_code == 200 and resp.text.strip():
                ticket = resp.text.strip()
                break
            self._tgt = None
        if ticket is None:
            raise AuthError("CAS refused to issue a service ticket for ONR")
        req = httpx.Request("GET", f"{self.service_url}/j_spring_cas_security_check",
                            params={"ticket": ticket})
        conventional_headers(req, self.caller_id)
        started = time.perf_counter()
        resp = yield req
        self._record(req, resp, started)
        return resp

    def _new_tgt(self) -> Generator[httpx.Request, httpx.Response, None]:
        req = self._form(f"{self.cas_url}/v1/tickets",
                         {"username": self.username, "password": self._password})
        started = time.perf_counter()
        resp = yield req
        self._record(req, resp, started)
        location = resp.headers.get("location", "")
        if resp.status_code != 201 or "/" not in location:
            raise AuthError(
                f"CAS refused the credentials of user {self.username!r} ({resp.status_code})"
            )
        self._tgt = location.rstrip("/").rsplit("/", 1)[-1]

    def _form(self, url: str, data: dict[str, str]) -> httpx.Request:
        req = httpx.Request("POST", url, data=data)
        conventional_headers(req, self.caller_id)
        return req

    def _record(self, req: httpx.Request, resp: httpx.Response, started: float) -> None:
        if self.recorder is not None:
            self.recorder.record(req.method, _path(req), resp.status_code,
                                 time.perf_counter() - started)

    def invalidate_session(self) -> None:
        """Forget the session (not the TGT); the next request logs in again."""
        with self._lock:
            self._session = None


class OAuth2Auth(httpx.Auth):
    """OAuth2 client credentials (Otuva): cached bearer token, one refresh on 401."""

    requires_response_body = True

    def __init__(
        self, *, token_url: str, client_id: str, client_secret: str, caller_id: str,
        recorder: CallRecorder | None = None, clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret
        self.caller_id = caller_id
        self.recorder = recorder
        self._clock = clock
        self._token: str | None = None
        self._expires = 0.0
        self._lock = threading.RLock()
        self.logins = 0
        self._refused: dict[tuple[str, str], int] = {}  # call → token (by number) refused it

    def __repr__(self) -> str:
        return f"OAuth2Auth(token_url={self.token_url!r}, client_id={self.client_id!r})"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        with self._lock:
            fresh = self._token is None or self._clock() >= self._expires
            if fresh:
                yield from self._fetch()
            token, token_seq = self._token, self.logins
        response = yield self._bearer(request, token)
        if response.status_code != 401:
            return
        call = (request.method, _path(request))
        token_refused = _invalid_token(response)
        if fresh and token_refused:
            raise self._token_error(call)
        if not token_refused and (fresh or self._refused.get(call) == token_seq):
            self._refused[call] = token_seq  # the token is fine: a right is missing
            raise rights_error(*call, 401)
        with self._lock:
            if self._token == token:
                yield from self._fetch()
            token, token_seq = self._token, self.logins
        response = yield self._bearer(request, token)
        if response.status_code == 401:
            if _invalid_token(response):
                raise self._token_error(call)
            self._refused[call] = token_seq
            raise rights_error(*call, 401)

    def _token_error(self, call: tuple[str, str]) -> AuthError:
        return AuthError(f"{call[0]} {call[1]}: ONR refused a fresh OAuth2 token of client "
                         f"{self.client_id!r} (invalid_token): check that ONR_TOKEN_URL is the "
                         "issuer ONR trusts in this environment")

    def _bearer(self, request: httpx.Request, token: str | None) -> httpx.Request:
        conventional_headers(request, self.caller_id)
        request.headers["Authorization"] = f"Bearer {token}"
        return request

    def _fetch(self) -> Generator[httpx.Request, httpx.Response, None]:
        req = httpx.Request("POST", self.token_url, data={
            "grant_type": "client_credentials", "client_id": self.client_id,
            "client_secret": self._client_secret,
        })
        conventional_headers(req, self.caller_id)
        started = time.perf_counter()
        resp = yield req
        if self.recorder is not None:
            self.recorder.record("POST", _path(req), resp.status_code,
                                 time.perf_counter() - started)
        try:
            body: dict[str, Any] = resp.json() if resp.status_code == 200 else {}
        except ValueError:
            body = {}
        if not body.get("access_token"):
            raise AuthError(f"the OAuth2 token endpoint refused client {self.client_id!r} "
                            f"({resp.status_code})")
        self._token = str(body["access_token"])
        # refresh a little early so a token does not expire in flight
        self._expires = self._clock() + max(float(body.get("expires_in") or 300) - 30, 5)
        self.logins += 1


def _invalid_token(response: httpx.Response) -> bool:
    """ONR's resource server says the token itself is bad (not a missing right)."""
    return "invalid_token" in response.headers.get("www-authenticate", "")


def _path(request: httpx.Request) -> str:
    return path_template(request.url.path)


def auth_from_settings(settings: Any, recorder: CallRecorder | None = None) -> httpx.Auth:
    """The flow ``settings.auth`` names, wired with its secrets."""
    if settings.auth == "oauth2":
        return OAuth2Auth(
            token_url=settings.token_url, client_id=settings.client_id,
            client_secret=settings.client_secret.get_secret_value(),
            caller_id=settings.caller_id, recorder=recorder,
        )
    return CasAuth(
        cas_url=settings.cas_url, service_url=settings.service_url, username=settings.username,
        password=settings.password.get_secret_value(), caller_id=settings.caller_id,
        recorder=recorder,
    )


__all__ = ["CasAuth", "OAuth2Auth", "auth_from_settings"]
