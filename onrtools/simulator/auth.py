"""Authentication as ONR sees it: CAS tickets and sessions, and OAuth2 client-credential JWTs.

Plain Python, no HTTP: `app.py` turns these calls into CAS and ONR answers (REST.md §2).

- CAS: a TGT (`TGT-…`, idle lifetime `tgt_ttl`) is granted for a username and password; a
  service ticket (`ST-…`) is granted for a TGT and a service URL, is valid once and expires
  after `st_ttl`; a validated ST opens a session (`JSESSIONID`) that expires after `session_ttl`
  of inactivity, or after N requests when that fault is on.
- OAuth2: `client_credentials` → an HS256 JWT signed with a per-simulator random secret, claim
  `roles` = `{organisation OID: ["OPPIJANUMEROREKISTERI_<ROLE>", …]}` as Otuva issues them.

Tickets and sessions live in memory: a restarted simulator forgets them, and clients log in
again (302 or 401, both handled by ONR's reference clients).
"""

from __future__ import annotations

import secrets
import threading
import time
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt

from onrtools.simulator.core import Caller

SERVICE_PREFIX = "OPPIJANUMEROREKISTERI_"
SECURITY_CHECK_PATH = "/oppijanumerorekisteri-service/j_spring_cas_security_check"
DEFAULT_USERS = Path(__file__).with_name("users.toml")
PRUNE_ABOVE = 10_000  # open sessions before dead ones are forgotten


@dataclass(frozen=True)
class User:
    """A service user from users.toml; `roles` maps a bare role name to organisation OIDs."""

    username: str
    password: str
    oid: str
    roles: Mapping[str, frozenset[str]]
    etunimet: str = ""
    sukunimi: str = ""

    def caller(self) -> Caller:
        return Caller(oid=self.oid, username=self.username, roles=dict(self.roles))

    def authorities(self) -> list[str]:
        """The CAS `roles` attribute: ONR authorities without Spring's ROLE_ prefix."""
        out: list[str] = []
        for role, orgs in sorted(self.roles.items()):
            out.append(f"APP_{SERVICE_PREFIX}{role}")
            out += [f"APP_{SERVICE_PREFIX}{role}_{org}" for org in sorted(orgs)]
        return out

    def jwt_roles(self) -> dict[str, list[str]]:
        """The JWT `roles` claim: organisation OID → role names (REST §2.2)."""
        by_org: dict[str, list[str]] = {}
        for role, orgs in sorted(self.roles.items()):
            for org in sorted(orgs):
                by_org.setdefault(org, []).append(SERVICE_PREFIX + role)
        return by_org


def load_users(path: Path | None = None) -> dict[str, User]:
    """Read users.toml (the packaged defaults when `path` is None)."""
    data = tomllib.loads((path or DEFAULT_USERS).read_text(encoding="utf-8"))
    users: dict[str, User] = {}
    for name, spec in data.get("users", {}).items():
        roles = {str(r): frozenset(map(str, orgs)) for r, orgs in spec.get("roles", {}).items()}
        users[name] = User(
            username=name,
            password=str(spec["password"]),
            oid=str(spec["oid"]),
            roles=roles,
            etunimet=str(spec.get("etunimet", "")),
            sukunimi=str(spec.get("sukunimi", "")),
        )
    return users


def caller_from_jwt_roles(sub: str, username: str, claim: Any) -> Caller:
    """ONR's oauth2JwtConverter: keep this service's roles, keyed by bare role name."""
    roles: dict[str, set[str]] = {}
    if isinstance(claim, dict):
        for org, names in claim.items():
            for name in names if isinstance(names, list) else []:
                if isinstance(name, str) and name.startswith(SERVICE_PREFIX):
                    roles.setdefault(name[len(SERVICE_PREFIX):], set()).add(str(org))
    return Caller(oid=sub, username=username, roles={r: frozenset(o) for r, o in roles.items()})


@dataclass
class _Ticket:
    username: str
    expires: float
    service: str = ""


@dataclass
class Session:
    """An open CAS session; `requests` counts the authenticated requests made with it."""

    id: str
    username: str
    ticket: str
    last_access: float
    requests: int = 0
    expired: bool = False


@dataclass
class AuthSettings:
    """Lifetimes in seconds; `session_max_requests` = 0 means unlimited (a fault sets it)."""

    tgt_ttl: float = 8 * 3600
    st_ttl: float = 300
    session_ttl: float = 1800
    token_ttl: int = 3600
    session_max_requests: int = 0


class AuthError(Exception):
    """A refused credential or ticket; `status` is what CAS or ONR answers."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(message)


@dataclass
class AuthService:
    """CAS server, ONR's session store and the OAuth2 token issuer, in one object."""

    users: dict[str, User]
    settings: AuthSettings = field(default_factory=AuthSettings)
    issuer: str = "http://127.0.0.1/kayttooikeus-service"
    clock: Callable[[], float] = time.monotonic
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._tgts: dict[str, _Ticket] = {}
        self._sts: dict[str, _Ticket] = {}
        self._sessions: dict[str, Session] = {}

    # -- CAS ---------------------------------------------------------------------------------
    def grant_tgt(self, username: str, password: str) -> str:
        user = self.users.get(username)
        if user is None or not secrets.compare_digest(user.password, password):
            raise AuthError(401, "authentication failed")
        tgt = "TGT-" + secrets.token_urlsafe(24)
        now = self.clock()
        with self._lock:
            self._tgts[tgt] = _Ticket(username, now + self.settings.tgt_ttl)
            if len(self._tgts) > PRUNE_ABOVE:
                self._prune(now)
        return tgt

    def grant_st(self, tgt: str, service: str) -> str:
        now = self.clock()
        with self._lock:
            granting = self._tgts.get(tgt)
            if granting is None or granting.expires < now:
                self._tgts.pop(tgt, None)
                raise AuthError(404, "ticket-granting ticket not found or expired")
            granting.expires = now + self.settings.tgt_ttl  # idle timeout
            st = "ST-" + secrets.token_urlsafe(24)
            self._sts[st] = _Ticket(granting.username, now + self.settings.st_ttl, service)
        return st

    def destroy_tgt(self, tgt: str) -> bool:
        with self._lock:
            return self._tgts.pop(tgt, None) is not None

    def validate_st(self, st: str, service_url: str | None = None) -> User:
        """Consume a service ticket (single use); it must have been issued for ONR's check URL.

        With ``service_url`` (scheme, host, port and path of the check URL this request
        reached) the whole URL is compared, as CAS does: a ticket issued for another host's
        ONR (say the client's base URL names the wrong environment) is refused."""
        with self._lock:
            ticket = self._sts.pop(st, None)
        if ticket is None or ticket.expires < self.clock():
            raise AuthError(401, "service ticket unknown, used or expired")
        if _path_of(ticket.service).rstrip("/") != SECURITY_CHECK_PATH or (
                service_url is not None
                and _normal_url(ticket.service) != _normal_url(service_url)):
            raise AuthError(401, "service ticket was issued for another service")
        user = self.users.get(ticket.username)
        if user is None:
            raise AuthError(401, "user no longer exists")
        return user

    def open_session(self, user: User, ticket: str) -> Session:
        now = self.clock()
        session = Session(secrets.token_hex(16).upper(), user.username, ticket, now)
        with self._lock:
            self._sessions[session.id] = session
            if len(self._sessions) > PRUNE_ABOVE:
                self._prune(now)
        return session

    def _prune(self, now: float) -> None:
        """Forget long-dead tickets and sessions (a forgotten session is no session: 302)."""
        keep = 2 * self.settings.session_ttl
        self._sessions = {k: s for k, s in self._sessions.items() if now - s.last_access < keep}
        self._tgts = {k: t for k, t in self._tgts.items() if t.expires > now}
        self._sts = {k: t for k, t in self._sts.items() if t.expires > now}

    def session(self, session_id: str) -> Session | None:
        """The session for a cookie value, or None when unknown (never opened, or forgotten)."""
        with self._lock:
            return self._sessions.get(session_id)

    def touch(self, session: Session) -> User:
        """Count one authenticated request; AuthError(401) once the session has expired."""
        now = self.clock()
        with self._lock:
            limit = self.settings.session_max_requests
            if now - session.last_access > self.settings.session_ttl:
                session.expired = True
            elif limit and session.requests >= limit:
                session.expired = True
            if session.expired:
                raise AuthError(401, "session expired")
            session.requests += 1
            session.last_access = now
        user = self.users.get(session.username)
        if user is None:
            raise AuthError(401, "user no longer exists")
        return user

    def expire_sessions(self) -> int:
        """Expire every open session now (admin); returns how many."""
        with self._lock:
            for session in self._sessions.values():
                session.expired = True
            return len(self._sessions)

    # -- OAuth2 ------------------------------------------------------------------------------
    def issue_token(self, client_id: str, client_secret: str) -> dict[str, Any]:
        user = self.users.get(client_id)
        if user is None or not secrets.compare_digest(user.password, client_secret):
            raise AuthError(401, "invalid_client")
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": user.oid,
            "aud": "oppijanumerorekisteri-service",
            "client_id": user.username,
            "iat": now,
            "exp": now + self.settings.token_ttl,
            "jti": secrets.token_hex(8),
            "scope": "oppijanumerorekisteri",
            "roles": user.jwt_roles(),
        }
        token = jwt.encode(claims, self.secret, algorithm="HS256")
        ttl = self.settings.token_ttl
        return {"access_token": token, "token_type": "Bearer", "expires_in": ttl}

    def verify_token(self, token: str) -> Caller:
        try:
            claims = jwt.decode(
                token, self.secret, algorithms=["HS256"], issuer=self.issuer,
                audience="oppijanumerorekisteri-service", options={"require": ["exp", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise AuthError(401, f"invalid_token: {type(exc).__name__}") from None
        return caller_from_jwt_roles(
            str(claims["sub"]), str(claims.get("client_id", "")), claims.get("roles")
        )


def _normal_url(url: str) -> str:
    """Scheme and host case-folded, no query, no trailing slash: CAS's service comparison."""
    url = url.split("?", 1)[0].rstrip("/")
    if "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    host, _, path = rest.partition("/")
    return f"{scheme.lower()}://{host.lower()}/{path}"


def _path_of(url: str) -> str:
    """The path of an absolute or relative URL (host and scheme are not compared)."""
    if "://" in url:
        rest = url.split("://", 1)[1]
        url = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
    return url.split("?", 1)[0]
