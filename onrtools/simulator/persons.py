"""Single-person endpoints: reads, identifications, creates, yleistunniste (§5, §6)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import date
from typing import Any

from onrtools.register import names

from . import duplicates, identification, vtj
from .core import IMPORT_ROLES, UNPROCESSABLE, Caller, SimError, field_error, unauthorized
from .dto import (
    duplicate_dto,
    henkilo_dto,
    identifications,
    oppijanumero,
    perustieto_dto,
)
from .store import select_in
from .validation import Problems, _code_sets, validate_existence
from .world import World, hetu_valid

IDPS = {"oppijaToken", "google", "email", "eidas"}
MAX_BULK = 5000


# --- permissions ----------------------------------------------------------------------------


def attached(world: World, caller: Caller, henkilo_id: int) -> bool:
    """The person belongs to one of the caller's OPPIJOIDENTUONTI organisations or children."""
    if not caller.has("OPPIJOIDENTUONTI"):
        return False
    orgs = sorted(world.with_children(caller.orgs("OPPIJOIDENTUONTI")))
    if not orgs:
        return False
    return (
        world.conn.execute(
            f"SELECT 1 FROM henkilo_organisaatio WHERE henkilo_id = ? AND org IN "
            f"({','.join('?' * len(orgs))}) LIMIT 1",
            (henkilo_id, *orgs),
        ).fetchone()
        is not None
    )


def can_read(world: World, caller: Caller, row: sqlite3.Row | None) -> bool:
    if caller.is_read_all:
        return True
    if row is None:
        return False
    return row["oid"] == caller.oid or attached(world, caller, int(row["id"]))


def can_modify(world: World, caller: Caller, row: sqlite3.Row | None) -> bool:
    if caller.is_superuser:
        return True
    if row is None:
        return False
    return row["oid"] == caller.oid or attached(world, caller, int(row["id"]))


def readable(world: World, caller: Caller, oid: str) -> sqlite3.Row:
    """Pre-authorized read: the permission check runs before the lookup (REST §13 gap 2)."""
    row = world.person(oid)
    if not can_read(world, caller, row):
        raise unauthorized()
    if row is None:
        raise SimError(404, f"Henkilo not found: {oid}")
    return row


def modifiable(world: World, caller: Caller, oid: str) -> sqlite3.Row:
    row = world.person(oid)
    if not can_modify(world, caller, row):
        raise unauthorized()
    if row is None:
        raise SimError(404, f"Henkilo not found: {oid}")
    return row


def existing(world: World, oid: str) -> sqlite3.Row:
    row = world.person(oid)
    if row is None:
        raise SimError(404, f"Henkilo not found: {oid}")
    return row


# --- reads ----------------------------------------------------------------------------------


def master_row(world: World, row: sqlite3.Row) -> sqlite3.Row:
    m = world.master_id(int(row["id"]))
    if m is None:
        return row
    found = world.person_by_id(m)
    return found if found is not None else row


def by_hetu(world: World, hetu: str) -> sqlite3.Row | None:
    row = world.conn.execute("SELECT * FROM henkilo WHERE hetu = ?", (hetu,)).fetchone()
    if row is None:
        row = world.conn.execute(
            "SELECT h.* FROM henkilo_hetu x JOIN henkilo h ON h.id = x.henkilo_id WHERE x.hetu = ?",
            (hetu,),
        ).fetchone()
    return row


def bulk_guard(values: Any) -> list[str]:
    if not isinstance(values, list):
        raise SimError(400, "Body must be a JSON array")
    if len(values) > MAX_BULK:
        raise SimError(
            400, f"Maximum list size is {MAX_BULK}", exception="java.lang.IllegalArgumentException"
        )
    return [str(v) for v in values]


def rows_by_oids(world: World, oids: Sequence[str]) -> dict[str, sqlite3.Row]:
    return {
        r["oid"]: r
        for r in select_in(world.conn, "SELECT * FROM henkilo WHERE oid IN ({in})", list(oids))
    }


def yksilointitiedot(world: World, row: sqlite3.Row) -> dict[str, Any]:
    found = world.conn.execute(
        "SELECT data FROM yksilointitieto WHERE henkilo_id = ?", (row["id"],)
    ).fetchone()
    if found is None:
        return {
            "etunimet": None,
            "sukunimi": None,
            "kutsumanimi": None,
            "sukupuoli": None,
            "yhteystiedot": None,
        }
    data = json.loads(found[0])
    return {
        "etunimet": data.get("etunimet"),
        "sukunimi": data.get("sukunimi"),
        "kutsumanimi": data.get("kutsumanimi"),
        "sukupuoli": data.get("sukupuoli"),
        "yhteystiedot": [],
    }


# --- yleistunniste / existence --------------------------------------------------------------


def _existence(
    world: World, body: dict[str, Any]
) -> tuple[sqlite3.Row | None, dict[str, Any] | None]:
    """§5.1 steps 2–3: (ONR person, None) or (None, VTJ record); 404/409 otherwise."""
    etu, suku = body["etunimet"], body["sukunimi"]
    row = world.conn.execute("SELECT * FROM henkilo WHERE hetu = ?", (body["hetu"],)).fetchone()
    if row is not None:
        if not names.names_match(etu, suku, row["etunimet"], row["sukunimi"]):
            raise SimError(409, "Nimet eivät täsmää")
        return row, None
    try:
        record = vtj.query(world, body["hetu"])
    except vtj.VtjNotFoundError:
        raise SimError(404, "Henkilöä ei löytynyt") from None
    except vtj.VtjPassivatedError:
        record = {"etunimet": "", "sukunimi": ""}
    if not names.names_match(etu, suku, record.get("etunimet"), record.get("sukunimi")):
        raise SimError(409, "Nimet eivät täsmää VTJ:n tietoihin")
    return None, record


def yleistunniste_hae(world: World, caller: Caller, body: Any) -> dict[str, Any]:
    body = validate_existence(body)
    row, _ = _existence(world, body)
    orgs = sorted(caller.orgs("YLEISTUNNISTE_LUONTI"))
    if row is not None:
        world.add_orgs([int(row["id"])], orgs)  # no `modified` bump (§4.2)
        world.sync_feed([int(row["id"])])
        return {"oid": row["oid"], "oppijanumero": oppijanumero(master_row(world, row))}
    if (
        world.conn.execute("SELECT 1 FROM henkilo_hetu WHERE hetu = ?", (body["hetu"],)).fetchone()
        is not None
    ):  # quirk §9.6: historical hetu → 400 on creation
        raise SimError(
            400,
            "socialsecuritynr.already.exists",
            exception=UNPROCESSABLE,
            field_errors=[
                field_error("hetu", "socialsecuritynr.already.exists", "Hetu already exists", None)
            ],
        )
    hid = world.insert_person(
        hetu=body["hetu"],
        etunimet=body["etunimet"],
        kutsumanimi=body["kutsumanimi"],
        sukunimi=body["sukunimi"],
        orgs=orgs,
        kasittelija=caller.oid,
    )
    oid = world.oids_of([hid])[0]
    return {"oid": oid, "oppijanumero": oid}


def exists(world: World, caller: Caller, body: Any) -> tuple[int, dict[str, Any] | None]:
    body = validate_existence(body)
    row, _ = _existence(world, body)
    if row is not None:
        return 200, {"oid": row["oid"]}
    return 204, None


def filtered_student(world: World, oid: str) -> dict[str, Any]:
    row = existing(world, oid)
    return {
        "oid": row["oid"],
        "oppijanumero": oppijanumero(master_row(world, row)),
        "passivoitu": bool(row["passivoitu"]),
        "linked": world.linked_oids(int(row["id"])),
    }


# --- creates --------------------------------------------------------------------------------


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _date_problem(p: Problems, body: dict[str, Any]) -> None:
    value = body.get("syntymaaika")
    if value in (None, ""):
        return
    try:
        date.fromisoformat(str(value).strip())
    except ValueError:
        raise SimError(
            400,
            "JSON parse error: cannot deserialize LocalDate",
            exception="org.springframework.http.converter.HttpMessageNotReadableException",
        ) from None


def _names_problems(p: Problems, body: dict[str, Any]) -> None:
    _date_problem(p, body)
    for key in ("etunimet", "kutsumanimi", "sukunimi"):
        v = body.get(key)
        if not isinstance(v, str) or not v:
            p.add(key, "NotEmpty", "must not be empty", v)


def post_oppija(world: World, caller: Caller, body: Any) -> str:
    """POST /oppija: one student without identifiers (REST §4.2)."""
    if not isinstance(body, dict):
        raise SimError(400, "Required request body is missing")
    p = Problems()
    _names_problems(p, body)
    if not body.get("syntymaaika"):
        p.add("syntymaaika", "NotNull", "must not be null", None)
    if not body.get("sukupuoli"):
        p.add("sukupuoli", "NotEmpty", "must not be empty", body.get("sukupuoli"))
    kans = body.get("kansalaisuus")
    if not isinstance(kans, list) or not kans:
        p.add("kansalaisuus", "NotEmpty", "must not be empty", kans)
    p.raise_bean()
    sexes, languages, nationalities = _code_sets()
    if not names.kutsumanimi_valid(body["kutsumanimi"], body["etunimet"]):
        p.add_post(
            "kutsumanimi",
            "kutsumanimi.must.exist.in.etunimet",
            "Kutsumanimi must exist in etunimet",
            body["kutsumanimi"],
        )
    if not isinstance(body["sukupuoli"], str) or body["sukupuoli"] not in sexes:
        p.add_post("sukupuoli", "invalid.sukupuoli", "Invalid sukupuoli", body["sukupuoli"])
    lang = _obj(body.get("aidinkieli")).get("kieliKoodi")
    if lang is not None and (
        not isinstance(lang, str) or lang != lang.lower() or lang.upper() not in languages
    ):
        p.add_post("aidinkieli", "invalid.kieliKoodi", "Invalid kieliKoodi", lang)
    codes = [k.get("kansalaisuusKoodi") for k in kans if isinstance(k, dict)]
    bad = [c for c in codes if not isinstance(c, str) or c not in nationalities]
    if bad:
        p.add_post("kansalaisuus", "invalid.kansalaisuusKoodi", "Invalid kansalaisuusKoodi", bad)
    p.raise_post()
    hid = world.insert_person(
        etunimet=body["etunimet"],
        kutsumanimi=body["kutsumanimi"],
        sukunimi=body["sukunimi"],
        syntymaaika=str(body["syntymaaika"]),
        sukupuoli=body["sukupuoli"],
        aidinkieli=lang,
        kansalaisuus=[str(c) for c in codes],
        passinumerot=[x for x in body.get("passinumerot") or [] if isinstance(x, str)],
        orgs=sorted(caller.orgs(*IMPORT_ROLES)),
        kasittelija=caller.oid,
        yksiloity=bool(body.get("yksiloity")),
    )
    return world.oids_of([hid])[0]


def create_henkilo(world: World, caller: Caller, body: Any) -> str:
    """POST /henkilo (REST §6.7) incl. automatic weak identification when no duplicates."""
    if not isinstance(body, dict):
        raise SimError(400, "Required request body is missing")
    p = Problems()
    _names_problems(p, body)
    hetu = body.get("hetu") or None
    if hetu is not None and not hetu_valid(hetu):
        p.add("hetu", "ValidateHetu", "invalid.hetu", hetu)
    p.raise_bean()
    sexes, languages, nationalities = _code_sets()
    if hetu and by_hetu(world, hetu) is not None:
        p.add_post("hetu", "socialsecuritynr.already.exists", "Hetu already exists", hetu)
    if not names.kutsumanimi_valid(body["kutsumanimi"], body["etunimet"]):
        p.add_post(
            "kutsumanimi",
            "kutsumanimi.must.exist.in.etunimet",
            "Kutsumanimi must exist in etunimet",
            body["kutsumanimi"],
        )
    sex = body.get("sukupuoli")
    if sex is not None and (not isinstance(sex, str) or sex not in sexes):
        p.add_post("sukupuoli", "invalid.sukupuoli", "Invalid sukupuoli", body["sukupuoli"])
    codes = [
        k.get("kansalaisuusKoodi") for k in body.get("kansalaisuus") or [] if isinstance(k, dict)
    ]
    if [c for c in codes if not isinstance(c, str) or c not in nationalities]:
        p.add_post("kansalaisuus", "invalid.kansalaisuusKoodi", "Invalid kansalaisuusKoodi", codes)
    if body.get("yksiloity") and hetu:
        p.add_post("yksiloity", "yksiloity.with.hetu", "yksiloity not allowed with hetu", True)
    passit = [x for x in body.get("passinumerot") or [] if isinstance(x, str) and x.strip()]
    if passit and select_in(
        world.conn, "SELECT 1 FROM passinumero WHERE passinumero IN ({in})", passit
    ):
        p.add_post("passinumerot", "passinumero.already.exists", "Passport number exists", passit)
    p.raise_post()
    lang = _obj(body.get("aidinkieli")).get("kieliKoodi")
    asiointi = _obj(body.get("asiointiKieli")).get("kieliKoodi")
    hid = world.insert_person(
        hetu=hetu,
        etunimet=body["etunimet"],
        kutsumanimi=body["kutsumanimi"],
        sukunimi=body["sukunimi"],
        syntymaaika=body.get("syntymaaika") or None,
        sukupuoli=body.get("sukupuoli"),
        aidinkieli=lang,
        asiointikieli=asiointi,
        kansalaisuus=codes,
        passinumerot=passit,
        kasittelija=caller.oid,
        yksiloity=bool(body.get("yksiloity")),
        turvakielto=bool(body.get("turvakielto")),
        kotikunta=body.get("kotikunta"),
    )
    row = world.person_by_id(hid)
    assert row is not None
    complete = not hetu and row["sukupuoli"] and row["syntymaaika"] and row["aidinkieli"] and codes
    if complete:
        found = [
            c
            for _, c in duplicates.find_candidates(
                world, row["etunimet"], row["kutsumanimi"], row["sukunimi"], row["syntymaaika"]
            )
            if c["id"] != hid
        ]
        if not found:
            world.conn.execute("UPDATE henkilo SET yksiloity = 1 WHERE id = ?", (hid,))
    return str(row["oid"])


def post_identification(world: World, caller: Caller, oid: str, dto: Any) -> list[dict[str, str]]:
    row = existing(world, oid)
    if not isinstance(dto, dict) or not dto.get("idpEntityId") or not dto.get("identifier"):
        raise SimError(400, "idpEntityId and identifier are required")
    idp, ident = dto["idpEntityId"], str(dto["identifier"])
    if idp not in IDPS or idp == "eidas":
        raise SimError(400, f"Invalid idpEntityId {idp}")
    if world.conn.execute(
        "SELECT 1 FROM identification WHERE idp = ? AND identifier = ?", (idp, ident)
    ).fetchone():
        raise SimError(400, "Identification already exists")
    world.conn.execute(
        "INSERT INTO identification(henkilo_id, idp, identifier) VALUES (?, ?, ?)",
        (row["id"], idp, ident),
    )
    world.touch([int(row["id"])], caller.oid)
    return identifications(world, int(row["id"]))


# --- manual identification paths (§2.6) -----------------------------------------------------


def yksiloi(world: World, caller: Caller, oid: str) -> None:
    """POST /henkilo/{oid}/yksiloi: the job's logic for one person; 400 without hetu."""
    row = modifiable(world, caller, oid)
    if not row["hetu"]:
        raise SimError(400, "Henkilöllä ei ole hetua")
    identification.identify_many(world, [int(row["id"])], caller.oid)


def yksiloi_hetuton(world: World, caller: Caller, oid: str) -> None:
    row = modifiable(world, caller, oid)
    if row["hetu"]:
        raise SimError(400, "Henkilöllä on hetu")
    world.conn.execute("UPDATE henkilo SET yksiloity = 1, duplicate = 0 WHERE id = ?", (row["id"],))
    world.touch([int(row["id"])], caller.oid)


def pura_yksilointi(world: World, caller: Caller, oid: str) -> None:
    if not caller.is_superuser:
        raise unauthorized()
    row = existing(world, oid)
    if not row["yksiloity"] or row["hetu"] or row["yksiloity_vtj"] or row["yksiloity_eidas"]:
        raise SimError(400, "Yksilöintiä ei voi purkaa")
    world.conn.execute("UPDATE henkilo SET yksiloity = 0 WHERE id = ?", (row["id"],))
    world.touch([int(row["id"])], caller.oid)


def yliaja_yksiloimaton(world: World, caller: Caller, oid: str) -> None:
    """PUT /henkilo/{oid}/yksilointitiedot/yliajayksiloimaton: apply the stored VTJ data."""
    row = modifiable(world, caller, oid)
    found = world.conn.execute(
        "SELECT data FROM yksilointitieto WHERE henkilo_id = ?", (row["id"],)
    ).fetchone()
    if found is None:
        raise SimError(400, "Ei yksilöintitietoja")
    record = json.loads(found[0])
    if record["hetu"] != row["hetu"] or identification._holder(
        world, record["hetu"], int(row["id"])
    ):
        identification.identify_with_hetu_change(world, row, record, caller.oid)
    else:
        identification._apply_simple(world, [(int(row["id"]), row, record)], caller.oid)
    world.conn.execute("DELETE FROM yksilointitieto WHERE henkilo_id = ?", (row["id"],))


def update_henkilo(world: World, caller: Caller, body: Any) -> str:
    """PUT /henkilo (patch-like; null = unchanged) for names, kutsumanimi and hetu."""
    if not isinstance(body, dict) or not body.get("oidHenkilo"):
        raise SimError(400, "oidHenkilo is required")
    row = modifiable(world, caller, str(body["oidHenkilo"]))
    hid = int(row["id"])
    vtj_locked = bool(row["yksiloity_vtj"])  # VTJ-identified: names and hetu are ignored (§2.6)
    etunimet = row["etunimet"] if vtj_locked or body.get("etunimet") is None else body["etunimet"]
    sukunimi = row["sukunimi"] if vtj_locked or body.get("sukunimi") is None else body["sukunimi"]
    kutsumanimi = body.get("kutsumanimi") or row["kutsumanimi"]
    if not names.kutsumanimi_valid(kutsumanimi, etunimet):
        raise SimError(
            400,
            "Kutsumanimi must exist in etunimet",
            exception=UNPROCESSABLE,
            field_errors=[
                field_error(
                    "kutsumanimi",
                    "kutsumanimi.must.exist.in.etunimet",
                    "Kutsumanimi must exist in etunimet",
                    kutsumanimi,
                )
            ],
        )
    world.conn.execute(
        "UPDATE henkilo SET etunimet = ?, sukunimi = ?, kutsumanimi = ? WHERE id = ?",
        (etunimet, sukunimi, kutsumanimi, hid),
    )
    if "hetu" in body and body["hetu"] is not None and not vtj_locked:
        new = body["hetu"] or None
        if new is not None and not hetu_valid(new):
            raise SimError(400, "invalid.hetu")
        if new != row["hetu"]:
            other = by_hetu(world, new) if new else None
            if other is not None and other["id"] != hid:
                raise SimError(400, "socialsecuritynr.already.exists")
            world.conn.execute(
                "UPDATE henkilo SET hetu = ?, yksilointi_yritetty = 0 WHERE id = ?", (new, hid)
            )
            world.conn.execute("DELETE FROM yksilointivirhe WHERE henkilo_id = ?", (hid,))
            world.conn.execute("DELETE FROM yksilointitieto WHERE henkilo_id = ?", (hid,))
    world.rederive(hid)
    world.refresh_search(hid)
    world.touch([hid], caller.oid)
    return str(row["oid"])


def dto_for(world: World, row: sqlite3.Row) -> dict[str, Any]:
    return henkilo_dto(world, row)


def duplicate_dtos(world: World, rows: Sequence[sqlite3.Row]) -> list[dict[str, Any]]:
    return [duplicate_dto(world, r) for r in rows]


def perustiedot(world: World, rows: Sequence[sqlite3.Row]) -> list[dict[str, Any]]:
    return [perustieto_dto(world, r) for r in rows]
