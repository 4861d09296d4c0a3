"""Request body DTOs as JSON schemas, and `bind()`: Jackson's part of reading a body.

ONR reads a body into typed DTOs before any validation: a JSON value of the wrong kind (an
array where an object belongs, an object where a string belongs) is a 400
`HttpMessageNotReadableException`; scalars are coerced to strings; unknown properties are
ignored; null is accepted anywhere. `bind` does exactly that much and leaves the rest (required
fields, formats, codes) to the registry's bean and service validation. The same schemas document
the bodies in the OpenAPI document.
"""

from __future__ import annotations

from typing import Any

from onrtools.simulator.core import SimError

NOT_READABLE = "org.springframework.http.converter.HttpMessageNotReadableException"

STRING: dict[str, Any] = {"type": "string"}
DATE: dict[str, Any] = {"type": "string", "format": "date"}
BOOLEAN: dict[str, Any] = {"type": "boolean"}
STRINGS: dict[str, Any] = {"type": "array", "items": STRING}


def obj(required: tuple[str, ...] = (), **properties: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


KOODI = obj(koodi=STRING)
KIELISYYS = obj(kieliKoodi=STRING, kieliTyyppi=STRING)
YHTEYSTIEDOT = {"type": "array", "items": obj(
    id={"type": "integer"}, ryhmaKuvaus=STRING, ryhmaAlkuperaTieto=STRING, readOnly=BOOLEAN,
    yhteystieto={"type": "array", "items": obj(yhteystietoTyyppi=STRING,
                                               yhteystietoArvo=STRING)},
)}
KANSALAISUUS_DTO = {"type": "array", "items": obj(kansalaisuusKoodi=STRING)}

OPPIJA_TUONTI = obj(
    ("henkilot",),
    sahkoposti=STRING,
    henkilot={"type": "array", "items": obj(
        ("henkilo",),
        tunniste=STRING,
        henkilo=obj(
            ("etunimet", "kutsumanimi", "sukunimi", "kansalaisuus"),
            oid=STRING, hetu=STRING, passinumero=STRING, sahkoposti=STRING,
            etunimet=STRING, kutsumanimi=STRING, sukunimi=STRING, syntymaaika=DATE,
            sukupuoli=KOODI, aidinkieli=KOODI,
            kansalaisuus={"type": "array", "items": KOODI},
        ),
    )},
)
EXISTENCE = obj(("hetu", "etunimet", "kutsumanimi", "sukunimi"),
                hetu=STRING, etunimet=STRING, kutsumanimi=STRING, sukunimi=STRING)
YLEISTUNNISTE = obj(
    ("henkilot",),
    sahkoposti=STRING,
    henkilot={"type": "array", "items": obj(("tunniste", "henkilo"), tunniste=STRING,
                                            henkilo=EXISTENCE)},
)
OPPIJA_CREATE = obj(
    ("etunimet", "kutsumanimi", "sukunimi", "syntymaaika", "sukupuoli", "kansalaisuus"),
    etunimet=STRING, kutsumanimi=STRING, sukunimi=STRING, yksiloity=BOOLEAN,
    syntymaaika=DATE, sukupuoli=STRING, aidinkieli=KIELISYYS,
    kansalaisuus=KANSALAISUUS_DTO, passinumerot=STRINGS, yhteystiedotRyhma=YHTEYSTIEDOT,
)
HENKILO_CREATE = obj(
    ("etunimet", "kutsumanimi", "sukunimi"),
    hetu=STRING, passivoitu=BOOLEAN, etunimet=STRING, kutsumanimi=STRING, sukunimi=STRING,
    aidinkieli=KIELISYYS, asiointiKieli=KIELISYYS, kansalaisuus=KANSALAISUUS_DTO,
    syntymaaika=DATE, sukupuoli=STRING, kotikunta=STRING, oppijanumero=STRING,
    turvakielto=BOOLEAN, eiSuomalaistaHetua=BOOLEAN, yksiloity=BOOLEAN, yksiloityVTJ=BOOLEAN,
    yksilointiYritetty=BOOLEAN, duplicate=BOOLEAN, yhteystiedotRyhma=YHTEYSTIEDOT,
    passinumerot=STRINGS,
)
IDENTIFICATION = obj(("idpEntityId", "identifier"), idpEntityId=STRING, identifier=STRING)


def bind(value: Any, schema: dict[str, Any], where: str = "") -> Any:
    """`value` read as Jackson reads it into the DTO `schema` describes (a normalised copy)."""
    if value is None:
        return None
    kind = schema.get("type")
    if kind == "object":
        if not isinstance(value, dict):
            raise _mismatch(where, "an object", value)
        props = schema.get("properties", {})
        return {k: bind(v, props[k], f"{where}.{k}" if where else k) if k in props else v
                for k, v in value.items()}
    if kind == "array":
        if not isinstance(value, list):
            raise _mismatch(where, "an array", value)
        items = schema.get("items", {})
        return [bind(v, items, f"{where}[{i}]") for i, v in enumerate(value)]
    if kind == "string":
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str | int | float):
            return str(value)
        raise _mismatch(where, "a string", value)
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value in {"true", "false"}:
            return value == "true"
        raise _mismatch(where, "a boolean", value)
    if kind == "integer":
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63:
            return value
        raise _mismatch(where, "an integer", value)
    return value


def _mismatch(where: str, wanted: str, value: Any) -> SimError:
    got = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "a number")
    at = f" at '{where}'" if where else ""
    return SimError(400, f"JSON parse error: expected {wanted}{at}, found {got}",
                    exception=NOT_READABLE)
