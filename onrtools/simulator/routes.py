"""ONR's endpoints (REST.md §4–§6), each one line of translation onto `state.Registry`.

Bodies are read as Jackson reads them (`schemas.bind`: wrong JSON kinds are 400, scalars become
strings) and handed to the registry, which validates them the way ONR does (field errors with
ONR's codes).
Query parameters are typed here so that paging limits and Long/int ranges answer 400 as in ONR.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import PlainTextResponse, Response

from onrtools.simulator.core import Caller, SimError
from onrtools.simulator.schemas import (
    EXISTENCE,
    HENKILO_CREATE,
    IDENTIFICATION,
    NOT_READABLE,
    OPPIJA_CREATE,
    OPPIJA_TUONTI,
    STRINGS,
    YLEISTUNNISTE,
    bind,
)

try:  # a listed dependency; the stdlib encoder keeps a bare checkout working
    import orjson
except ImportError:  # pragma: no cover
    orjson = None  # type: ignore[assignment]

router = APIRouter()

LONG_MAX = 2**63 - 1
INT_MAX = 2**31 - 1
SERVER_ZONE = ZoneInfo("Europe/Helsinki")  # date-only / offset-less values (REST §13.8)
TYPE_MISMATCH = "org.springframework.web.method.annotation.MethodArgumentTypeMismatchException"

Long = Annotated[int, Path(ge=-(2**63), le=LONG_MAX)]
Oid = Annotated[str, Path(min_length=1)]


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True,
                            "content": {"application/json": {"schema": schema}}}}


# -- dependencies --------------------------------------------------------------------------------
def caller(request: Request) -> Caller:
    """The caller the Gateway authenticated (absent only if the app runs without it)."""
    found = getattr(request.state, "caller", None)
    if found is None:
        raise SimError(401, "Full authentication is required")
    return found  # type: ignore[no-any-return]


def registry(request: Request) -> Any:
    return request.app.state.sim.registry


async def json_body(request: Request) -> Any:
    """The request body as JSON; malformed JSON is ONR's 400 HttpMessageNotReadableException."""
    raw = await request.body()
    try:
        return json.loads(raw) if raw.strip() else None
    except (ValueError, UnicodeDecodeError):
        raise SimError(400, "JSON parse error: the request body is not valid JSON",
                       exception=NOT_READABLE) from None


def bound(schema: dict[str, Any]) -> Any:
    """A dependency reading the body into `schema` as Jackson would (400 when it cannot)."""

    async def read(request: Request) -> Any:
        body = await json_body(request)
        if body is None:
            raise SimError(400, "Required request body is missing", exception=NOT_READABLE)
        return bind(body, schema)

    return Depends(read)


CallerDep = Annotated[Caller, Depends(caller)]
RegistryDep = Annotated[Any, Depends(registry)]
OidList = Annotated[list[str], bound(STRINGS)]
OppijaCreateBody = Annotated[dict[str, Any], bound(OPPIJA_CREATE)]
TuontiBody = Annotated[dict[str, Any], bound(OPPIJA_TUONTI)]
ExistenceBody = Annotated[dict[str, Any], bound(EXISTENCE)]
YleistunnisteBody = Annotated[dict[str, Any], bound(YLEISTUNNISTE)]
HenkiloCreateBody = Annotated[dict[str, Any], bound(HENKILO_CREATE)]
IdentificationBody = Annotated[dict[str, Any], bound(IDENTIFICATION)]


def parse_datetime(name: str, value: str) -> int:
    """REST §3.2: ISO date-time, ISO date (start of day, server zone) or epoch ms → epoch ms."""
    text = value.strip()
    try:
        if re.fullmatch(r"-?\d+", text):
            return int(text)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            day = date.fromisoformat(text)
            return int(datetime.combine(day, time(), SERVER_ZONE).timestamp() * 1000)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=SERVER_ZONE)
        return int(parsed.timestamp() * 1000)
    except (ValueError, OverflowError):
        raise SimError(400, f"Failed to convert value of type 'java.lang.String' to required "
                       f"type 'org.joda.time.DateTime' for parameter '{name}'",
                       exception=TYPE_MISMATCH) from None


def _criteria(
    muokattuJalkeen: str | None, tuontiId: int | None, vainVirheet: bool | None,
    nimiHaku: str | None, organisaatioOids: list[str] | None,
) -> dict[str, Any]:
    orgs = [o.strip() for v in organisaatioOids or [] for o in v.split(",") if o.strip()]
    return {
        "muokattuJalkeen": None if muokattuJalkeen is None
        else parse_datetime("muokattuJalkeen", muokattuJalkeen),
        "tuontiId": tuontiId,
        "vainVirheet": bool(vainVirheet),
        "nimiHaku": nimiHaku,
        "organisaatioOids": orgs or None,
    }


def criteria(
    muokattuJalkeen: Annotated[
        str | None, Query(description="ISO date-time, date or epoch ms")] = None,
    tuontiId: Annotated[int | None, Query(ge=-(2**63), le=LONG_MAX)] = None,
    vainVirheet: bool | None = None,
    nimiHaku: str | None = None,
    organisaatioOids: Annotated[list[str] | None, Query(include_in_schema=False)] = None,
) -> dict[str, Any]:
    return _criteria(muokattuJalkeen, tuontiId, vainVirheet, nimiHaku, organisaatioOids)


CriteriaDep = Annotated[dict[str, Any], Depends(criteria)]
Page = Annotated[int, Query(ge=1, le=INT_MAX)]
Count = Annotated[int, Query(ge=1, le=10000)]


def ok(body: Any, status: int = 200) -> Response:
    if body is None:
        return Response(status_code=status)
    return Response(encode_json(body), status_code=status, media_type="application/json")


def encode_json(body: Any) -> bytes:
    """Compact UTF-8 JSON; orjson when installed (a 10,000-row feed page is megabytes)."""
    if orjson is not None:
        return orjson.dumps(body)  # type: ignore[no-any-return]
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def text(value: str, status: int = 200) -> PlainTextResponse:
    return PlainTextResponse(value, status_code=status)


# -- /oppija (§4) --------------------------------------------------------------------------------
@router.post("/oppija", tags=["oppija"], openapi_extra=_body(OPPIJA_CREATE),
             response_class=PlainTextResponse)
def post_oppija(c: CallerDep, r: RegistryDep, body: OppijaCreateBody) -> Response:
    """Create one student without identifiers; answers the bare OID."""
    return text(r.post_oppija(c, body))


@router.put("/oppija", tags=["oppija"], openapi_extra=_body(OPPIJA_TUONTI))
def put_oppija(c: CallerDep, r: RegistryDep, body: TuontiBody) -> Response:
    """Start a batch import (processed in the background, chunks of 100)."""
    return ok(r.put_oppija(c, body))


@router.get("/oppija/tuonti={id}", tags=["oppija"])
def get_tuonti(id: Long, c: CallerDep, r: RegistryDep) -> Response:
    return ok(r.get_tuonti(c, id, api="OPPIJA"))


@router.post("/oppija/tuonti={id}", tags=["oppija"])
def restart_tuonti(id: Long, c: CallerDep, r: RegistryDep) -> Response:
    return ok(r.restart_tuonti(c, id, api="OPPIJA"))


@router.get("/oppija/tuonti={id}/perustiedot", tags=["oppija"])
def get_perustiedot(id: Long, c: CallerDep, r: RegistryDep) -> Response:
    return ok(r.get_perustiedot(c, id, api="OPPIJA"))


@router.get("/oppija/yhteenveto", tags=["oppija"])
def yhteenveto(c: CallerDep, r: RegistryDep, crit: CriteriaDep) -> Response:
    return ok(r.yhteenveto(c, crit))


@router.get("/oppija/tuontikooste", tags=["oppija"])
def tuontikooste(
    c: CallerDep, r: RegistryDep,
    id: Annotated[int | None, Query(ge=-(2**63), le=LONG_MAX)] = None,
    author: str | None = None,
    page: Page = 1,
    pageSize: Annotated[int, Query(ge=1, le=INT_MAX)] = 20,
    sort: Annotated[str, Query(pattern="^(ASC|DESC)$")] = "DESC",
    field: Annotated[str, Query(pattern="^(id|timestamp|oid|author|total|successful|failures"
                                "|inProgress|conflicts)$")] = "timestamp",
) -> Response:
    params = {"id": id, "author": author, "page": page, "pageSize": pageSize, "sort": sort,
              "field": field}
    return ok(r.tuontikooste(c, params))


@router.get("/oppija/tuontidata/{tuontiId}", tags=["oppija"])
def tuontidata(tuontiId: Long, c: CallerDep, r: RegistryDep) -> Response:
    return ok(r.tuontidata(c, tuontiId))


@router.get("/oppija/muuttuneet", tags=["oppija"])
def muuttuneet(
    c: CallerDep, r: RegistryDep, crit: CriteriaDep, page: Page = 1, count: Count = 20,
) -> Response:
    """The change feed: persons attached to imports, ordered by `modified` ascending."""
    return ok(r.muuttuneet(c, crit, page, count))


@router.post("/oppija/{henkiloOid}/organisaatio", tags=["oppija"])
def add_organisations(henkiloOid: Oid, c: CallerDep, r: RegistryDep) -> Response:
    r.add_organisations(c, henkiloOid)
    return Response(status_code=200)


@router.put("/oppija/{henkiloOid}/organisaatio/{organisaatioOid}", tags=["oppija"])
def put_organisation(
    henkiloOid: Oid, organisaatioOid: Oid, c: CallerDep, r: RegistryDep,
) -> Response:
    r.put_organisation(c, henkiloOid, organisaatioOid)
    return Response(status_code=200)


@router.delete("/oppija/{henkiloOid}/organisaatio/{organisaatioOid}", tags=["oppija"])
def delete_organisation(
    henkiloOid: Oid, organisaatioOid: Oid, c: CallerDep, r: RegistryDep,
) -> Response:
    r.delete_organisation(c, henkiloOid, organisaatioOid)
    return Response(status_code=200)


@router.get("/internal/oppijoidentuonti/virheet", tags=["oppija"])
def virheet(
    c: CallerDep, r: RegistryDep, crit: CriteriaDep, page: Page = 1,
    count: Annotated[int, Query(ge=1, le=INT_MAX)] = 20,
) -> Response:
    return ok(r.virheet(c, crit, page, count))


# -- /yleistunniste (§5) -------------------------------------------------------------------------
@router.get("/yleistunniste/hae/{oid}", tags=["yleistunniste"])
def yleistunniste_hae_oid(oid: Oid, c: CallerDep, r: RegistryDep) -> Response:
    return ok(r.yleistunniste_hae_oid(c, oid))


@router.post("/yleistunniste/hae", tags=["yleistunniste"], openapi_extra=_body(EXISTENCE))
def yleistunniste_hae(c: CallerDep, r: RegistryDep, body: ExistenceBody) -> Response:
    return ok(r.yleistunniste_hae(c, body))


@router.put("/yleistunniste", tags=["yleistunniste"], openapi_extra=_body(YLEISTUNNISTE))
def put_yleistunniste(c: CallerDep, r: RegistryDep, body: YleistunnisteBody) -> Response:
    return ok(r.put_yleistunniste(c, body))


@router.get("/yleistunniste/tuonti={id}", tags=["yleistunniste"])
def get_yleistunniste_tuonti(id: Long, c: CallerDep, r: RegistryDep) -> Response:
    return ok(r.get_tuonti(c, id, api="YLEISTUNNISTE"))


@router.post("/yleistunniste/tuonti={id}", tags=["yleistunniste"])
def restart_yleistunniste_tuonti(id: Long, c: CallerDep, r: RegistryDep) -> Response:
    return ok(r.restart_tuonti(c, id, api="YLEISTUNNISTE"))


@router.get("/yleistunniste/tuonti={id}/perustiedot", tags=["yleistunniste"])
def get_yleistunniste_perustiedot(id: Long, c: CallerDep, r: RegistryDep) -> Response:
    return ok(r.get_perustiedot(c, id, api="YLEISTUNNISTE"))


# -- /henkilo (§6): fixed paths first, then /henkilo/{oid}… -------------------------------------
@router.get("/henkilo/duplikaatit", tags=["henkilo"])
def duplikaatit(
    c: CallerDep, r: RegistryDep, etunimet: str, kutsumanimi: str, sukunimi: str,
    syntymaaika: Annotated[date | None, Query()] = None,
) -> Response:
    crit = {"etunimet": etunimet, "kutsumanimi": kutsumanimi, "sukunimi": sukunimi,
            "syntymaaika": syntymaaika.isoformat() if syntymaaika else None}
    return ok(r.duplikaatit(c, crit))


@router.get("/henkilo/hetu={hetu}", tags=["henkilo"])
def henkilo_by_hetu(hetu: Oid, c: CallerDep, r: RegistryDep) -> Response:
    return ok(r.henkilo_by_hetu(c, hetu))


@router.post("/henkilo/henkiloPerustietosByHenkiloOidList", tags=["henkilo"],
             openapi_extra=_body(STRINGS))
def perustiedot_by_oids(c: CallerDep, r: RegistryDep, body: OidList) -> Response:
    return ok(r.perustiedot_by_oids(c, body))


@router.post("/henkilo/henkiloPerustietosByHenkiloHetuList", tags=["henkilo"],
             openapi_extra=_body(STRINGS))
def perustiedot_by_hetus(c: CallerDep, r: RegistryDep, body: OidList) -> Response:
    return ok(r.perustiedot_by_hetus(c, body))


@router.post("/henkilo/henkilotByHenkiloOidList", tags=["henkilo"], openapi_extra=_body(STRINGS))
def henkilot_by_oids(c: CallerDep, r: RegistryDep, body: OidList) -> Response:
    return ok(r.henkilot_by_oids(c, body))


@router.post("/henkilo/masterHenkilosByOidList", tags=["henkilo"], openapi_extra=_body(STRINGS))
def masters_by_oids(c: CallerDep, r: RegistryDep, body: OidList) -> Response:
    return ok(r.masters_by_oids(c, body))


@router.post("/henkilo/exists", tags=["henkilo"], openapi_extra=_body(EXISTENCE))
def exists(c: CallerDep, r: RegistryDep, body: ExistenceBody) -> Response:
    status, payload = r.exists(c, body)
    return ok(payload, status)


@router.post("/henkilo", tags=["henkilo"], openapi_extra=_body(HENKILO_CREATE),
             response_class=PlainTextResponse, status_code=201)
def create_henkilo(c: CallerDep, r: RegistryDep, body: HenkiloCreateBody) -> Response:
    return text(r.create_henkilo(c, body), 201)


@router.head("/henkilo/{oid}", tags=["henkilo"])
def head_henkilo(oid: Oid, c: CallerDep, r: RegistryDep) -> Response:
    """Existence check (before GET: a GET route would answer HEAD itself)."""
    return Response(status_code=200 if r.henkilo_exists(c, oid) else 404)


@router.get("/henkilo/{oid}", tags=["henkilo"])
def get_henkilo(oid: Oid, c: CallerDep, r: RegistryDep) -> Response:
    return ok(r.get_henkilo(c, oid))


@router.delete("/henkilo/{oid}", tags=["henkilo"])
def passivate(oid: Oid, c: CallerDep, r: RegistryDep) -> Response:
    r.passivate(c, oid)
    return Response(status_code=200)


@router.get("/henkilo/{oid}/master", tags=["henkilo"])
def get_master(oid: Oid, c: CallerDep, r: RegistryDep) -> Response:
    return ok(r.get_master(c, oid))


@router.get("/henkilo/{oid}/slaves", tags=["henkilo"])
def get_slaves(oid: Oid, c: CallerDep, r: RegistryDep) -> Response:
    return ok(r.get_slaves(c, oid))


@router.get("/henkilo/{oid}/duplicates", tags=["henkilo"])
def get_duplicates(oid: Oid, c: CallerDep, r: RegistryDep) -> Response:
    return ok(r.get_duplicates(c, oid))


@router.post("/henkilo/{oid}/link", tags=["henkilo"], openapi_extra=_body(STRINGS))
def link(oid: Oid, c: CallerDep, r: RegistryDep, body: OidList) -> Response:
    return ok(r.link(c, oid, body))


@router.post("/henkilo/{oid}/forcelink", tags=["henkilo"], openapi_extra=_body(STRINGS))
def forcelink(oid: Oid, c: CallerDep, r: RegistryDep, body: OidList) -> Response:
    return ok(r.forcelink(c, oid, body))


@router.delete("/henkilo/{oid}/unlink/{slaveOid}", tags=["henkilo"])
def unlink(oid: Oid, slaveOid: Oid, c: CallerDep, r: RegistryDep) -> Response:
    r.unlink(c, oid, slaveOid)
    return Response(status_code=200)


@router.get("/henkilo/{oid}/yksilointitiedot", tags=["henkilo"])
def get_yksilointitiedot(oid: Oid, c: CallerDep, r: RegistryDep) -> Response:
    return ok(r.get_yksilointitiedot(c, oid))


@router.get("/henkilo/{oid}/identification", tags=["henkilo"])
def get_identifications(oid: Oid, c: CallerDep, r: RegistryDep) -> Response:
    return ok(r.get_identifications(c, oid))


@router.post("/henkilo/{oid}/identification", tags=["henkilo"],
             openapi_extra=_body(IDENTIFICATION))
def post_identification(
    oid: Oid, c: CallerDep, r: RegistryDep, body: IdentificationBody,
) -> Response:
    return ok(r.post_identification(c, oid, body))
