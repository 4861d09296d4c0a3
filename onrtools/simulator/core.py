"""Caller identity and the simulator's error type, shared by every behaviour module."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ROOT_ORG = "1.2.246.562.10.00000000001"

# Roles whose organisations an import attaches persons to (§1.4).
IMPORT_ROWS_ROLES = IMPORT_ROLES = ("OPPIJOIDENTUONTI", "YLEISTUNNISTE_LUONTI")
# Roles scoping muuttuneet / yhteenveto / virheet / tuontikooste (§6; the yleistunniste right
# never contributes here: quirk §9.7, reproduced).
LIST_ROLES = ("OPPIJOIDENTUONTI", "TUONTIDATA_READ")
# Roles whose direct organisations make tuonti rows visible (§1.12).
ROW_ROLES = ("OPPIJOIDENTUONTI", "YLEISTUNNISTE_LUONTI", "TUONTIDATA_READ")


@dataclass(frozen=True)
class Caller:
    """The authenticated service user, built by the HTTP layer from a CAS session or a JWT."""

    oid: str
    username: str
    roles: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @property
    def is_superuser(self) -> bool:
        return ROOT_ORG in self.roles.get("REKISTERINPITAJA", frozenset())

    @property
    def is_read_all(self) -> bool:
        return self.is_superuser or ROOT_ORG in self.roles.get("REKISTERINPITAJA_READ", frozenset())

    def has(self, *roles: str) -> bool:
        """True if the caller holds any of these roles (for any organisation)."""
        return any(self.roles.get(r) for r in roles)

    def orgs(self, *roles: str) -> frozenset[str]:
        """Direct organisations of these roles (only `1.2.246.562.10…` OIDs count, §6)."""
        out: set[str] = set()
        for r in roles:
            out.update(o for o in self.roles.get(r, ()) if o.startswith("1.2.246.562.10"))
        return frozenset(out)


class SimError(Exception):
    """An ONR error answer; the HTTP layer renders it as ONR's error body (REST §3.3)."""

    EXCEPTIONS = {
        400: "fi.vm.sade.oppijanumerorekisteri.exceptions.ValidationException",
        401: "fi.vm.sade.oppijanumerorekisteri.exceptions.UnauthorizedException",
        403: "fi.vm.sade.oppijanumerorekisteri.exceptions.ForbiddenException",
        404: "fi.vm.sade.oppijanumerorekisteri.exceptions.NotFoundException",
        409: "fi.vm.sade.oppijanumerorekisteri.exceptions.ConflictException",
        500: "fi.vm.sade.oppijanumerorekisteri.exceptions.DataInconsistencyException",
    }
    REASONS = {
        400: "Bad Request",
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not Found",
        409: "Conflict",
        500: "Internal Server Error",
    }

    def __init__(
        self,
        status: int,
        message: str | None = None,
        *,
        exception: str | None = None,
        field_errors: list[dict[str, Any]] | None = None,
        global_errors: list[dict[str, Any]] | None = None,
    ) -> None:
        self.status = status
        self.error = self.REASONS.get(status, "Error")
        self.message = message
        self.exception = exception or self.EXCEPTIONS.get(status, "java.lang.RuntimeException")
        self.field_errors = field_errors or []
        self.global_errors = global_errors or []
        super().__init__(f"{status} {self.error}" + (f": {message}" if message else ""))


UNPROCESSABLE = "fi.vm.sade.oppijanumerorekisteri.exceptions.UnprocessableEntityException"
BEAN_VALIDATION = "org.springframework.web.bind.MethodArgumentNotValidException"


def unauthorized() -> SimError:
    return SimError(
        401, "Access Denied", exception="org.springframework.security.access.AccessDeniedException"
    )


def require_role(caller: Caller, *roles: str) -> None:
    """Endpoint gate: failed @PreAuthorize answers 401 in ONR (REST §2.4)."""
    if caller.is_superuser:
        return
    if "REKISTERINPITAJA_READ" in roles and caller.is_read_all:
        return
    if not caller.has(*roles):
        raise unauthorized()


def field_error(field_path: str, code: str, message: str, rejected: Any = None) -> dict[str, Any]:
    return {
        "code": code,
        "arguments": [],
        "message": message,
        "field": field_path,
        "rejectedValue": rejected,
    }
