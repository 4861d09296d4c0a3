"""Person rows → ONR's JSON shapes (HenkiloDto, OppijaReadDto, HenkiloPerustietoDto, …)."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from .world import World

HELSINKI = ZoneInfo("Europe/Helsinki")

# kieli code → (FI, SV, EN) names; ONR's kieliTyyppi is the Finnish name.
LANGUAGE_NAMES: dict[str, tuple[str, str, str]] = {
    "fi": ("suomi", "finska", "Finnish"),
    "sv": ("ruotsi", "svenska", "Swedish"),
    "en": ("englanti", "engelska", "English"),
    "et": ("viro", "estniska", "Estonian"),
    "ru": ("venäjä", "ryska", "Russian"),
    "de": ("saksa", "tyska", "German"),
    "fr": ("ranska", "franska", "French"),
    "es": ("espanja", "spanska", "Spanish"),
    "zh": ("kiina", "kinesiska", "Chinese"),
    "vi": ("vietnam", "vietnamesiska", "Vietnamese"),
    "uk": ("ukraina", "ukrainska", "Ukrainian"),
    "se": ("saame, pohjoissaame", "samiska, nordsamiska", "Northern Sami"),
    "vk": ("viittomakieli", "teckenspråk", "sign language"),
    "xx": ("ei virallinen kieli", "okänt", "unknown"),
}
SEX_NAMES = {"1": ("mies", "man", "male"), "2": ("nainen", "kvinna", "female")}
COUNTRY_NAMES: dict[str, tuple[str, str, str]] = {
    "246": ("Suomi", "Finland", "Finland"),
    "752": ("Ruotsi", "Sverige", "Sweden"),
    "233": ("Viro", "Estland", "Estonia"),
    "643": ("Venäjä", "Ryssland", "Russian Federation"),
    "156": ("Kiina", "Kina", "China"),
    "356": ("Intia", "Indien", "India"),
    "276": ("Saksa", "Tyskland", "Germany"),
    "250": ("Ranska", "Frankrike", "France"),
    "724": ("Espanja", "Spanien", "Spain"),
    "616": ("Puola", "Polen", "Poland"),
    "804": ("Ukraina", "Ukraina", "Ukraine"),
    "704": ("Vietnam", "Vietnam", "Viet Nam"),
    "566": ("Nigeria", "Nigeria", "Nigeria"),
    "586": ("Pakistan", "Pakistan", "Pakistan"),
    "840": ("Yhdysvallat (USA)", "Förenta staterna (USA)", "United States (USA)"),
    "999": ("Tuntematon", "Okänd", "Unknown"),
}


def iso_at(ms: int | None) -> str | None:
    """ONR's createdAt/modifiedAt: yyyy-MM-dd'T'HH:mm:ss.SSSXXX in Europe/Helsinki."""
    if ms is None:
        return None
    dt = datetime.fromtimestamp(ms / 1000, HELSINKI)
    text = dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}" + dt.strftime("%z")
    return text[:-2] + ":" + text[-2:]


def oppijanumero(row: sqlite3.Row) -> str | None:
    """Derived oppijanumero: own OID once identified by any method (§0)."""
    if row["yksiloity"] or row["yksiloity_vtj"] or row["yksiloity_eidas"]:
        return str(row["oid"])
    return None


def yksilointi_tila(row: sqlite3.Row) -> str:
    """§2.1 derived state."""
    if row["duplicate"] or row["passivoitu"] or oppijanumero(row):
        return "OK"
    if not row["hetu"]:
        return "HETU_PUUTTUU"
    if row["yksilointi_yritetty"]:
        return "VIRHE"
    return "KESKEN"


def kielisyys(code: str | None) -> dict[str, Any] | None:
    if not code:
        return None
    names = LANGUAGE_NAMES.get(code.lower())
    return {"kieliKoodi": code.lower(), "kieliTyyppi": names[0] if names else None}


def koodi_nimi(code: str | None, table: dict[str, tuple[str, str, str]]) -> dict[str, Any] | None:
    """KoodiNimiReadDto {koodi, nimi{FI,SV,EN}} (a fresh dict: callers may modify it)."""
    if code is None:
        return None
    names = table.get(code.lower() if table is LANGUAGE_NAMES else code)
    nimi = {"FI": names[0], "SV": names[1], "EN": names[2]} if names else {}
    return {"koodi": code, "nimi": nimi}


FEED_COLUMNS = (
    "id, oid, created, modified, hetu, etunimet, kutsumanimi, sukunimi, syntymaaika, sukupuoli, "
    "aidinkieli, kotikunta, turvakielto, kansalaisuus, yhteystiedot, passivoitu, yksiloity, "
    "yksiloity_vtj, yksiloity_eidas"
)


_SHARED: dict[tuple[int, str], dict[str, Any] | None] = {}


def _shared_koodi(code: str, table: dict[str, tuple[str, str, str]]) -> dict[str, Any] | None:
    """koodi_nimi, one shared (read-only) dict per code: the feed page reuses them."""
    key = (id(table), code)
    found = _SHARED.get(key)
    if found is None:
        found = _SHARED[key] = koodi_nimi(code, table)
    return found


def oppija_dto_tuple(t: tuple[Any, ...]) -> dict[str, Any]:
    """OppijaReadDto from a FEED_COLUMNS tuple (the change feed's hot path).

    The nested code dicts are shared between entries: serialise, do not modify them.
    """
    (
        hid,
        oid,
        created,
        modified,
        hetu,
        etunimet,
        kutsumanimi,
        sukunimi,
        syntymaaika,
        sukupuoli,
        aidinkieli,
        kotikunta,
        turvakielto,
        kansalaisuus,
        yhteys,
        passivoitu,
        y,
        yv,
        ye,
    ) = t
    return {
        "oid": oid,
        "oppijanumero": oid if (y or yv or ye) else None,
        "luotu": created,
        "muokattu": modified,
        "hetu": hetu,
        "etunimet": etunimet,
        "kutsumanimi": kutsumanimi,
        "sukunimi": sukunimi,
        "syntymaaika": syntymaaika,
        "sukupuoli": _shared_koodi(sukupuoli, SEX_NAMES) if sukupuoli else None,
        "aidinkieli": _shared_koodi(aidinkieli.upper(), LANGUAGE_NAMES) if aidinkieli else None,
        "kotikunta": None if turvakielto or not kotikunta else {"koodi": kotikunta, "nimi": {}},
        "kansalaisuus": [_shared_koodi(c, COUNTRY_NAMES) for c in kansalaisuus.split(",") if c]
        if kansalaisuus
        else [],
        "yhteystiedotRyhma": yhteystiedot({"yhteystiedot": yhteys, "turvakielto": turvakielto})
        if yhteys
        else [],
        "passivoitu": bool(passivoitu),
    }


def codes(row: sqlite3.Row) -> list[str]:
    return [c for c in (row["kansalaisuus"] or "").split(",") if c]


VTJ_MARK = "V\x1f"


def encode_vtj_address(group_id: int, osoite: dict[str, Any] | None) -> str | None:
    """The VTJ permanent address group in a compact stored form (JSON is slow to read back)."""
    if not osoite:
        return None
    parts = (
        str(group_id),
        osoite.get("katuosoite") or "",
        osoite.get("postinumero") or "",
        osoite.get("kaupunki") or "",
    )
    return VTJ_MARK + "\x1f".join(parts)


def yhteystiedot(row: Any) -> list[dict[str, Any]]:
    """yhteystiedotRyhma; turvakielto persons lose VTJ-origin groups (§6.6)."""
    raw = row["yhteystiedot"]
    if not raw:
        return []
    if raw.startswith(VTJ_MARK):
        if row["turvakielto"]:
            return []
        gid, katu, postinumero, kaupunki = raw[len(VTJ_MARK) :].split("\x1f")
        return [
            {
                "id": int(gid),
                "ryhmaKuvaus": "yhteystietotyyppi4",
                "ryhmaAlkuperaTieto": "alkupera1",
                "readOnly": True,
                "yhteystieto": [
                    {"yhteystietoTyyppi": "YHTEYSTIETO_KATUOSOITE", "yhteystietoArvo": katu},
                    {
                        "yhteystietoTyyppi": "YHTEYSTIETO_POSTINUMERO",
                        "yhteystietoArvo": postinumero,
                    },
                    {"yhteystietoTyyppi": "YHTEYSTIETO_KAUPUNKI", "yhteystietoArvo": kaupunki},
                ],
            }
        ]
    groups: list[dict[str, Any]] = json.loads(raw)
    if row["turvakielto"]:
        groups = [g for g in groups if g.get("ryhmaAlkuperaTieto") != "alkupera1"]
    return groups


def henkilo_dto(world: World, row: sqlite3.Row) -> dict[str, Any]:
    """HenkiloDto with exactly the keys of ONR's fixtures (`GET /henkilo/{oid}`)."""
    hid = int(row["id"])
    conn = world.conn
    kaikki = [
        r[0]
        for r in conn.execute(
            "SELECT hetu FROM henkilo_hetu WHERE henkilo_id = ? ORDER BY hetu", (hid,)
        )
    ]
    passit = [
        r[0]
        for r in conn.execute(
            "SELECT passinumero FROM passinumero WHERE henkilo_id = ? ORDER BY passinumero", (hid,)
        )
    ]
    virheet = [
        {"yksilointivirheTila": r["tila"], "uudelleenyritysAikaleima": r["retry_time"]}
        for r in conn.execute("SELECT * FROM yksilointivirhe WHERE henkilo_id = ?", (hid,))
    ]
    return {
        "oidHenkilo": row["oid"],
        "hetu": row["hetu"],
        "kaikkiHetut": kaikki,
        "passivoitu": bool(row["passivoitu"]),
        "etunimet": row["etunimet"],
        "kutsumanimi": row["kutsumanimi"],
        "sukunimi": row["sukunimi"],
        "aidinkieli": kielisyys(row["aidinkieli"]),
        "asiointiKieli": kielisyys(row["asiointikieli"]),
        "kansalaisuus": [{"kansalaisuusKoodi": c} for c in codes(row)],
        "kasittelijaOid": row["kasittelija"],
        "syntymaaika": row["syntymaaika"],
        "sukupuoli": row["sukupuoli"],
        "kotikunta": None if row["turvakielto"] else row["kotikunta"],
        "oppijanumero": oppijanumero(row),
        "turvakielto": bool(row["turvakielto"]),
        "eiSuomalaistaHetua": bool(row["ei_suomalaista_hetua"]),
        "yksiloity": bool(row["yksiloity"]),
        "yksiloityVTJ": bool(row["yksiloity_vtj"]),
        "yksiloityEidas": bool(row["yksiloity_eidas"]),
        "yksilointiYritetty": bool(row["yksilointi_yritetty"]),
        "duplicate": bool(row["duplicate"]),
        "created": row["created"],
        "modified": row["modified"],
        "vtjsynced": row["vtjsynced"],
        "yhteystiedotRyhma": yhteystiedot(row),
        "yksilointivirheet": virheet,
        "passinumerot": passit,
        "kielisyys": [],
        "modifiedAt": iso_at(row["modified"]),
        "createdAt": iso_at(row["created"]),
    }


def oppija_dto(
    row: sqlite3.Row, *, oppijanumero_value: str | None = None, linked: list[str] | None = None
) -> dict[str, Any]:
    """OppijaReadDto (rows of GET /oppija/tuonti={id}, master of muuttuneet)."""
    dto: dict[str, Any] = {
        "oid": row["oid"],
        "oppijanumero": oppijanumero_value,
        "luotu": row["created"],
        "muokattu": row["modified"],
        "hetu": row["hetu"],
        "etunimet": row["etunimet"],
        "kutsumanimi": row["kutsumanimi"],
        "sukunimi": row["sukunimi"],
        "syntymaaika": row["syntymaaika"],
        "sukupuoli": koodi_nimi(row["sukupuoli"], SEX_NAMES),
        "aidinkieli": koodi_nimi(
            row["aidinkieli"].upper() if row["aidinkieli"] else None, LANGUAGE_NAMES
        ),
        "kotikunta": None
        if row["turvakielto"] or not row["kotikunta"]
        else {"koodi": row["kotikunta"], "nimi": {}},
        "kansalaisuus": [koodi_nimi(c, COUNTRY_NAMES) for c in codes(row)],
        "yhteystiedotRyhma": yhteystiedot(row),
        "passivoitu": bool(row["passivoitu"]),
    }
    if linked is not None:
        dto["linked"] = linked
    return dto


def identifications(world: World, henkilo_id: int) -> list[dict[str, str]]:
    return [
        {"idpEntityId": r["idp"], "identifier": r["identifier"]}
        for r in world.conn.execute(
            "SELECT idp, identifier FROM identification WHERE henkilo_id = ? ORDER BY id",
            (henkilo_id,),
        )
    ]


def perustieto_dto(world: World, row: sqlite3.Row) -> dict[str, Any]:
    """HenkiloPerustietoDto."""
    return {
        "oidHenkilo": row["oid"],
        "identifications": identifications(world, int(row["id"])),
        "hetu": row["hetu"],
        "eidasTunnisteet": [],
        "etunimet": row["etunimet"],
        "kutsumanimi": row["kutsumanimi"],
        "sukunimi": row["sukunimi"],
        "syntymaaika": row["syntymaaika"],
        "turvakielto": bool(row["turvakielto"]),
        "aidinkieli": kielisyys(row["aidinkieli"]),
        "asiointiKieli": kielisyys(row["asiointikieli"]),
        "kansalaisuus": [{"kansalaisuusKoodi": c} for c in codes(row)],
        "sukupuoli": row["sukupuoli"],
        "modified": row["modified"],
        "modifiedAt": iso_at(row["modified"]),
    }


def duplicate_dto(world: World, row: sqlite3.Row) -> dict[str, Any]:
    """HenkiloDuplicateDto (keys as in fixtures/henkilo/__oid__/duplicates/GET.json)."""
    passit = [
        r[0]
        for r in world.conn.execute(
            "SELECT passinumero FROM passinumero WHERE henkilo_id = ?", (row["id"],)
        )
    ]
    return {
        "oidHenkilo": row["oid"],
        "etunimet": row["etunimet"],
        "kutsumanimi": row["kutsumanimi"],
        "sukunimi": row["sukunimi"],
        "sukupuoli": row["sukupuoli"],
        "hetu": row["hetu"],
        "syntymaaika": row["syntymaaika"],
        "passivoitu": bool(row["passivoitu"]),
        "email": None,
        "yksiloity": oppijanumero(row) is not None,
        "yksiloityVTJ": bool(row["yksiloity_vtj"]),
        "yksiloityEidas": bool(row["yksiloity_eidas"]),
        "aidinkieli": kielisyys(row["aidinkieli"]),
        "asiointiKieli": kielisyys(row["asiointikieli"]),
        "hakemukset": [],
        "kansalaisuus": [{"id": i + 1, "kansalaisuusKoodi": c} for i, c in enumerate(codes(row))],
        "passinumerot": passit,
        "emails": [],
    }


def haku_dto(row: sqlite3.Row) -> dict[str, Any]:
    """HenkiloHakuDto."""
    return {
        "oidHenkilo": row["oid"],
        "hetu": row["hetu"],
        "etunimet": row["etunimet"],
        "kutsumanimi": row["kutsumanimi"],
        "sukunimi": row["sukunimi"],
    }
