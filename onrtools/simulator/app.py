"""The simulator's ASGI app: a thin HTTP layer over `state.Registry`.

`create_app(ctx)` assembles: ONR's endpoints (`routes.py`) under `/oppijanumerorekisteri-service`,
CAS under `/cas`, the OAuth2 token endpoint, the admin endpoints under `/__admin`, ONR's error
bodies (REST §3.3), and the `Gateway` middleware (log, Caller-Id, faults, authentication).

OAuth2: the issuer is `<base>/kayttooikeus-service` as at Otuva, so the token endpoint is
`<issuer>/oauth2/token` = `/kayttooikeus-service/oauth2/token`; `/oauth2/token` is an alias.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from onrtools.simulator.auth import AuthError
from onrtools.simulator.core import BEAN_VALIDATION, SimError
from onrtools.simulator.faults import FaultConfig
from onrtools.simulator.gateway import (
    SERVICE,
    Gateway,
    SimContext,
    base_url,
    servlet_error,
    standard_error,
)
from onrtools.simulator.routes import router as onr_router

log = logging.getLogger(__name__)

SERVLET_STATUSES = {401, 404, 409}  # Spring Boot's default error body (REST §3.3)
CONSTRAINT = "jakarta.validation.ConstraintViolationException"
TYPE_MISMATCH = "org.springframework.web.method.annotation.MethodArgumentTypeMismatchException"
MISSING_PARAM = "org.springframework.web.bind.MissingServletRequestParameterException"


_DTO = "fi.vm.sade.oppijanumerorekisteri.dto."
_CONTROLLERS = "fi.vm.sade.oppijanumerorekisteri.controllers."
# (method, path after the service prefix) → (handler signature, bound parameter's object name)
# for the bodies ONR bean-validates with @Valid (OppijaController, YleistunnisteController,
# HenkiloController)
BEAN_SIGNATURES: dict[tuple[str, str], tuple[str, str]] = {
    ("PUT", "/oppija"): (
        f"public {_DTO}OppijaTuontiPerustiedotReadDto {_CONTROLLERS}OppijaController.create("
        f"{_DTO}OppijaTuontiCreateDto)", "oppijaTuontiCreateDto"),
    ("POST", "/oppija"): (
        f"public java.lang.String {_CONTROLLERS}OppijaController.create({_DTO}OppijaCreateDto)",
        "oppijaCreateDto"),
    ("PUT", "/yleistunniste"): (
        f"public {_DTO}OppijaTuontiPerustiedotReadDto {_CONTROLLERS}YleistunnisteController."
        f"create({_CONTROLLERS}YleistunnisteController$YleistunnisteInput)",
        "yleistunnisteInput"),
    ("POST", "/yleistunniste/hae"): (
        f"public {_DTO}YleistunnisteDto {_CONTROLLERS}YleistunnisteController."
        f"yleistunnisteenHaku({_DTO}HenkiloExistenceCheckDto)", "henkiloExistenceCheckDto"),
    ("POST", "/henkilo"): (
        f"public java.lang.String {_CONTROLLERS}HenkiloController."
        f"createHenkiloFromHenkiloCreateDto({_DTO}HenkiloCreateDto)", "henkiloCreateDto"),
}


def bean_validation_message(method: str, path: str, errors: list[dict[str, Any]]) -> str:
    """``MethodArgumentNotValidException.getMessage()`` as Spring writes it: the handler's
    signature, then every field error with its rejected value. ONR puts this text in the 400's
    ``message`` (no ``fieldErrors``), so hetus and names come back in it; clients must mask it."""
    local = path[len(SERVICE):] if path.startswith(SERVICE) else path
    signature, obj = BEAN_SIGNATURES.get(
        (method.upper(), local.rstrip("/")),
        (f"public java.lang.Object {_CONTROLLERS}Controller.handle(java.lang.Object)", "dto"))
    text = f"Validation failed for argument [0] in {signature}"
    if len(errors) > 1:
        text += f" with {len(errors)} errors"
    text += ": "
    for e in errors:
        field_path, code = e.get("field") or "", e.get("code") or ""
        rejected = e.get("rejectedValue")
        shown = "null" if rejected is None else str(rejected)
        codes = ",".join(
            [f"{code}.{obj}.{field_path}", f"{code}.{field_path}",
             f"{code}.{field_path.rsplit('.', 1)[-1]}", code] if field_path else [code])
        text += (f"[Field error in object '{obj}' on field '{field_path}': rejected value "
                 f"[{shown}]; codes [{codes}]; arguments [org.springframework.context.support."
                 f"DefaultMessageSourceResolvable: codes [{obj}.{field_path},{field_path}]; "
                 f"arguments []; default message [{field_path}]]; default message "
                 f"[{e.get('message')}]] ")
    return text


def render_sim_error(exc: SimError, path: str, method: str = "PUT") -> JSONResponse:
    """ONR's body for one SimError: servlet body for 401/404/409; for a failed ``@Valid`` the
    standard body whose ``message`` is Spring's text (values echoed, no ``fieldErrors``), as
    ONR's GlobalExceptionHandler answers; else the standard body (+ lists when it has them)."""
    if exc.status in SERVLET_STATUSES:
        return JSONResponse(servlet_error(exc.status, exc.error, path), status_code=exc.status)
    if exc.exception == BEAN_VALIDATION and exc.field_errors:
        message = bean_validation_message(method, path, exc.field_errors)
        return JSONResponse(standard_error(exc.status, path, message, exc.exception, exc.error),
                            status_code=exc.status)
    body = standard_error(
        exc.status, path, exc.message, exc.exception, exc.error,
        field_errors=exc.field_errors or None, global_errors=exc.global_errors or None,
    )
    if exc.field_errors or exc.global_errors:  # ONR sends both lists once it sends one
        body["globalErrors"] = exc.global_errors or []
        body["fieldErrors"] = exc.field_errors or []
    return JSONResponse(body, status_code=exc.status)


def _validation_message(exc: RequestValidationError, path: str) -> tuple[str, str]:
    """Spring's wording for a bad query/path parameter: (message, exception class)."""
    parts: list[str] = []
    exception = CONSTRAINT
    for err in exc.errors():
        name = str(err.get("loc", ["", "?"])[-1])
        kind = str(err.get("type", ""))
        ctx = err.get("ctx") or {}
        if kind == "missing":
            exception = MISSING_PARAM
            parts.append(f"Required request parameter '{name}' is not present")
        elif kind in {"greater_than_equal", "greater_than"}:
            parts.append(f"{name}: must be greater than or equal to {ctx.get('ge', ctx.get('gt'))}")
        elif kind in {"less_than_equal", "less_than"}:
            parts.append(f"{name}: must be less than or equal to {ctx.get('le', ctx.get('lt'))}")
        else:
            exception = TYPE_MISMATCH
            parts.append(f"Failed to convert value of parameter '{name}': {err.get('msg', '')}")
    return "; ".join(parts) or "Bad request", exception


def create_app(ctx: SimContext) -> Any:
    """The simulator app wrapped in its Gateway; `app.state.sim` is `ctx`."""
    app = FastAPI(
        title="oppijanumerorekisteri-service (onrtools simulator)",
        version="simulator",
        description="ONR's endpoints for a korkeakoulu integration, simulated on loopback.",
        openapi_url=SERVICE + "/v3/api-docs",
        docs_url=SERVICE + "/swagger-ui",
        redoc_url=None,
    )
    app.state.sim = ctx

    @app.exception_handler(SimError)
    async def _sim_error(request: Request, exc: SimError) -> JSONResponse:
        return render_sim_error(exc, request.url.path, request.method)

    @app.exception_handler(RequestValidationError)
    async def _bad_param(request: Request, exc: RequestValidationError) -> JSONResponse:
        message, exception = _validation_message(exc, request.url.path)
        return JSONResponse(
            standard_error(400, request.url.path, message, exception, "Bad Request"),
            status_code=400,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        reason = {404: "Not Found", 405: "Method Not Allowed"}.get(exc.status_code, "Error")
        return JSONResponse(
            servlet_error(exc.status_code, reason, request.url.path),
            status_code=exc.status_code, headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("simulator error on %s %s", request.method, request.url.path)
        return JSONResponse(standard_error(
            500, request.url.path, f"{type(exc).__name__}", "java.lang.RuntimeException",
            "Internal Server Error",
        ), status_code=500)

    app.include_router(onr_router, prefix=SERVICE)
    _add_service_extras(app)
    _add_cas(app)
    _add_oauth2(app)
    _add_admin(app)
    return Gateway(app, ctx)


def _sim(request: Request) -> SimContext:
    ctx: SimContext = request.app.state.sim
    return ctx


def _add_service_extras(app: FastAPI) -> None:
    @app.get(SERVICE, include_in_schema=False)
    def service_root() -> PlainTextResponse:
        return PlainTextResponse("oppijanumerorekisteri-service (onrtools simulator)")

    @app.get(SERVICE + "/actuator/health", include_in_schema=False)
    def health() -> JSONResponse:
        return JSONResponse({"status": "UP"})

    def prequel() -> PlainTextResponse:
        """Session warm-up: 200 `ok` for any authenticated caller."""
        return PlainTextResponse("ok")

    for method in ("GET", "POST"):
        app.add_api_route(SERVICE + "/cas/prequel", prequel, methods=[method], tags=["cas"],
                          operation_id=f"prequel_{method.lower()}",
                          response_class=PlainTextResponse)


def _add_cas(app: FastAPI) -> None:
    @app.post("/cas/v1/tickets", include_in_schema=False)
    async def grant_tgt(request: Request) -> Response:
        form = await request.form()
        try:
            tgt = _sim(request).auth.grant_tgt(str(form.get("username", "")),
                                                str(form.get("password", "")))
        except AuthError as exc:
            return PlainTextResponse("Authentication failed", status_code=exc.status)
        location = f"{base_url(request.scope)}/cas/v1/tickets/{tgt}"
        return HTMLResponse(
            f'<html><body><form action="{location}" method="POST">'
            f'<input type="text" name="service" value=""><input type="submit" value="Submit">'
            f"</form></body></html>",
            status_code=201, headers={"Location": location},
        )

    @app.post("/cas/v1/tickets/{tgt}", include_in_schema=False)
    async def grant_st(tgt: str, request: Request) -> Response:
        form = await request.form()
        service = str(form.get("service", ""))
        if not service:
            return PlainTextResponse("service is required", status_code=400)
        try:
            st = _sim(request).auth.grant_st(tgt, service)
        except AuthError as exc:
            return PlainTextResponse("TicketGrantingTicket not found", status_code=exc.status)
        return PlainTextResponse(st)

    @app.delete("/cas/v1/tickets/{tgt}", include_in_schema=False)
    def destroy_tgt(tgt: str, request: Request) -> Response:
        _sim(request).auth.destroy_tgt(tgt)
        return PlainTextResponse(tgt)

    @app.get("/cas/login", include_in_schema=False)
    def login_page() -> HTMLResponse:
        return HTMLResponse(
            "<html><body><h1>CAS (onrtools simulator)</h1><p>Service users log in through the "
            "REST protocol: POST /cas/v1/tickets.</p></body></html>"
        )


def _add_oauth2(app: FastAPI) -> None:
    async def token(request: Request) -> JSONResponse:
        form = await request.form()
        if form.get("grant_type") != "client_credentials":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        try:
            body = _sim(request).auth.issue_token(str(form.get("client_id", "")),
                                                   str(form.get("client_secret", "")))
        except AuthError:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    for path in ("/kayttooikeus-service/oauth2/token", "/oauth2/token"):
        app.add_api_route(path, token, methods=["POST"], include_in_schema=False)


def _add_admin(app: FastAPI) -> None:
    """Simulator controls; outside ONR's paths and not in ONR's OpenAPI document."""

    @app.get("/__admin/faults", include_in_schema=False)
    def get_faults(request: Request) -> JSONResponse:
        return JSONResponse(_sim(request).faults.snapshot())

    @app.put("/__admin/faults", include_in_schema=False)
    async def put_faults(request: Request) -> JSONResponse:
        try:
            config = FaultConfig.from_dict(await request.json())
        except (ValueError, TypeError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        ctx = _sim(request)
        ctx.apply_faults(config)
        return JSONResponse(ctx.faults.snapshot())

    @app.post("/__admin/time-passes", include_in_schema=False)
    async def time_passes(request: Request) -> JSONResponse:
        data = await _json_or_empty(request)
        days = data.get("days", 1)
        seed = data.get("seed", 0)
        if not isinstance(days, int | float) or not isinstance(seed, int):
            return JSONResponse({"error": "days must be a number, seed an integer"},
                                status_code=400)
        return JSONResponse(_sim(request).registry.time_passes(days, rng_seed=seed))

    @app.post("/__admin/identify", include_in_schema=False)
    def identify(request: Request) -> JSONResponse:
        return JSONResponse({"identified": _sim(request).registry.run_identification()})

    @app.post("/__admin/drain", include_in_schema=False)
    def drain(request: Request) -> JSONResponse:
        """Process every pending import chunk now (tests that do not want to poll)."""
        registry = _sim(request).registry
        chunks = 0
        while registry.process_next_chunk():
            chunks += 1
        return JSONResponse({"chunks": chunks})

    @app.post("/__admin/expire-sessions", include_in_schema=False)
    def expire_sessions(request: Request) -> JSONResponse:
        return JSONResponse({"expired": _sim(request).auth.expire_sessions()})

    @app.get("/__admin/state", include_in_schema=False)
    def state(request: Request) -> JSONResponse:
        return JSONResponse(_sim(request).registry.admin_state())

    @app.get("/__admin/requests", include_in_schema=False)
    def requests(request: Request, limit: int = 100) -> JSONResponse:
        ctx = _sim(request)
        return JSONResponse({"total": ctx.log.total, "requests": ctx.log.recent(limit)})


async def _json_or_empty(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = await request.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
