"""Lists over imported persons: muuttuneet, yhteenveto, virheet, tuontikooste (§1.5, §1.6, §4)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from .core import LIST_ROLES, Caller, SimError
from .dto import FEED_COLUMNS, oppija_dto_tuple, oppijanumero, yksilointi_tila
from .store import select_in
from .world import World

SERVER_ZONE = ZoneInfo("Europe/Helsinki")
ERROR_CONDITION = (
    "h.duplicate = 0 AND h.passivoitu = 0 AND h.yksiloity = 0 AND h.yksiloity_vtj = 0 "
    "AND h.yksiloity_eidas = 0 AND (h.hetu IS NULL OR h.yksilointi_yritetty = 1)"
)


def parse_datetime(value: Any) -> int:
    """REST §3.2: ISO date-time, ISO date (start of day, server zone) or epoch ms → epoch ms."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    text = str(value).strip()
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if "T" not in text and len(text) == 10:
            raise ValueError
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=SERVER_ZONE)
        return int(dt.timestamp() * 1000)
    except ValueError:
        pass
    try:
        d = date.fromisoformat(text)
        return int(datetime.combine(d, time(), SERVER_ZONE).timestamp() * 1000)
    except ValueError:
        pass
    try:
        return int(text)
    except ValueError:
        raise SimError(
            400,
            f"Failed to convert value {text!r} to DateTime",
            exception="org.springframework.web.method.annotation."
            "MethodArgumentTypeMismatchException",
        ) from None


def _long(value: Any, name: str) -> int:
    """A Long query parameter; not a number → 400 as Spring's type mismatch."""
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SimError(
            400,
            f"Failed to convert value of parameter '{name}'",
            exception="org.springframework.web.method.annotation."
            "MethodArgumentTypeMismatchException",
        ) from None


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() == "true" if value is not None else False


def _orgs_param(value: Any) -> list[str] | None:
    if value is None:
        return None
    items = [value] if isinstance(value, str) else list(value)
    out: list[str] = []
    for item in items:
        out.extend(p.strip() for p in str(item).split(",") if p.strip())
    return out


def scope(world: World, caller: Caller, requested: list[str] | None) -> list[str] | None:
    """Organisation scope of the lists (§4.1); None = unrestricted."""
    if caller.is_read_all:
        return sorted(set(requested)) if requested else None
    own = world.with_children(caller.orgs(*LIST_ROLES))
    if not own:
        raise SimError(400, "Käyttäjällä ei ole organisaatioita")
    if requested:
        return sorted(own & set(requested))
    return sorted(own)


def filters(criteria: Mapping[str, Any]) -> tuple[list[str], list[Any]]:
    """Clauses over `henkilo h` for the criteria other than organisations and time."""
    clauses: list[str] = []
    params: list[Any] = []
    if criteria.get("tuontiId") not in (None, ""):
        clauses.append(
            "EXISTS (SELECT 1 FROM tuonti_rivi r WHERE r.henkilo_id = h.id AND r.tuonti_id = ?)"
        )
        params.append(_long(criteria["tuontiId"], "tuontiId"))
    if _bool(criteria.get("vainVirheet")):
        clauses.append(ERROR_CONDITION)
    nimi = (criteria.get("nimiHaku") or "").strip()
    if nimi:
        clause, p = _name_search(nimi)
        clauses.append(clause)
        params.extend(p)
    return clauses, params


def since(criteria: Mapping[str, Any]) -> int | None:
    value = criteria.get("muokattuJalkeen")
    return None if value in (None, "") else parse_datetime(value)


def where(world: World, caller: Caller, criteria: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """WHERE clause over `henkilo h` for OppijaTuontiCriteria (persons in some tuonti_rivi)."""
    clauses = ["h.imported = 1"]
    params: list[Any] = []
    orgs = scope(world, caller, _orgs_param(criteria.get("organisaatioOids")))
    if orgs is not None:
        if not orgs:
            clauses.append("0")
        else:
            clauses.append(
                "h.id IN (SELECT f.henkilo_id FROM feed_org f WHERE "
                f"f.org IN ({','.join('?' * len(orgs))}))"
            )
            params.extend(orgs)
    after = since(criteria)
    if after is not None:
        clauses.append("h.modified >= ?")
        params.append(after)
    more, more_params = filters(criteria)
    return " AND ".join(clauses + more), params + more_params


def _name_search(text: str) -> tuple[str, list[Any]]:
    """§4.10 nimiHaku: case-insensitive prefix tests (LIKE is case-insensitive for ASCII)."""
    words = text.split()
    if len(words) == 1:
        w = words[0]
        return (
            "(h.oid = ? OR h.hetu = ? OR h.etunimet LIKE ? OR h.sukunimi LIKE ? "
            "OR h.kutsumanimi LIKE ?)",
            [w, w, f"{w}%", f"{w}%", f"{w}%"],
        )
    first, rest = words[0], " ".join(words[1:])
    last, before = words[-1], " ".join(words[:-1])
    return (
        "((h.sukunimi LIKE ? AND (h.etunimet LIKE ? OR h.kutsumanimi LIKE ?)) OR "
        "(h.sukunimi LIKE ? AND (h.etunimet LIKE ? OR h.kutsumanimi LIKE ?)) OR h.etunimet LIKE ?)",
        [f"{first}%", f"{rest}%", f"{rest}%", f"{last}%", f"{before}%", f"{before}%", f"{text}%"],
    )


def onr_page(results: list[Any], total: int, page: int, count: int) -> dict[str, Any]:
    """REST §3.4 A (1-based; `last` false on an empty result, as ONR)."""
    pages = math.ceil(total / count) if count else 0
    return {
        "number": page,
        "size": count,
        "results": results,
        "totalElements": total,
        "numberOfElements": len(results),
        "first": page == 1,
        "last": pages == page,
        "totalPages": pages,
    }


def _paging(page: Any, count: Any, *, max_count: int | None) -> tuple[int, int]:
    try:
        p, c = int(page), int(count)
    except (TypeError, ValueError):
        raise SimError(400, "page and count must be integers") from None
    if p < 1 or c < 1 or (max_count is not None and c > max_count):
        raise SimError(
            400,
            "must be greater than or equal to 1"
            if p < 1 or c < 1
            else f"must be less than or equal to {max_count}",
            exception="jakarta.validation.ConstraintViolationException",
        )
    return p, c


def _feed_source(
    world: World, caller: Caller, criteria: Mapping[str, Any]
) -> tuple[str, list[Any]]:
    """A subquery yielding (hid, m) = (person id, modified) of the feed's persons.

    Scoped callers read the narrow feed_org index (organisation, modified, person); the
    superuser reads henkilo's partial index of imported persons.
    """
    orgs = scope(world, caller, _orgs_param(criteria.get("organisaatioOids")))
    more, more_params = filters(criteria)
    after = since(criteria)
    if orgs is None:
        clauses = ["h.imported = 1", *more]
        params: list[Any] = list(more_params)
        if after is not None:
            clauses.insert(1, "h.modified >= ?")
            params.insert(0, after)
        sql = f"SELECT h.id AS hid, h.modified AS m FROM henkilo h WHERE {' AND '.join(clauses)}"
        return sql, params
    if not orgs:
        return "SELECT 0 AS hid, 0 AS m WHERE 0", []
    clauses = [f"f.org IN ({','.join('?' * len(orgs))})"]
    params = list(orgs)
    if after is not None:
        clauses.append("f.modified >= ?")
        params.append(after)
    join = " JOIN henkilo h ON h.id = f.henkilo_id" if more else ""
    clauses += more
    params += more_params
    group = " GROUP BY f.henkilo_id" if len(orgs) > 1 else ""  # one row per person
    sql = (
        f"SELECT f.henkilo_id AS hid, f.modified AS m FROM feed_org f{join} "
        f"WHERE {' AND '.join(clauses)}{group}"
    )
    return sql, params


def muuttuneet(
    world: World, caller: Caller, criteria: Mapping[str, Any], page: Any, count: Any
) -> dict[str, Any]:
    p, c = _paging(page, count, max_count=10000)
    source, params = _feed_source(world, caller, criteria)
    total = world.cached_count(f"SELECT COUNT(*) FROM ({source})", params)
    cur = world.conn.cursor()
    cur.row_factory = None  # plain tuples: the feed page is the hot path
    # Offset paging as ONR; while nothing was written, page p+1 continues after the last row of
    # page p (same rows, without re-scanning the offset).
    key = (world.generation, source, tuple(params), c)
    after = world.page_ends.get((*key, p - 1)) if p > 1 else None
    if after is not None:
        keys = cur.execute(
            f"SELECT hid, m FROM ({source}) WHERE (m, hid) > (?, ?) ORDER BY m, hid LIMIT ?",
            (*params, *after, c),
        ).fetchall()
    else:
        keys = cur.execute(
            f"SELECT hid, m FROM ({source}) ORDER BY m, hid LIMIT ? OFFSET ?",
            (*params, c, (p - 1) * c),
        ).fetchall()
    if keys:
        if len(world.page_ends) > 256 or any(k[0] != world.generation for k in world.page_ends):
            world.page_ends.clear()
        world.page_ends[(*key, p)] = (keys[-1][1], keys[-1][0])
    by_id: dict[int, tuple[Any, ...]] = {}
    page_ids = [k[0] for k in keys]
    for s in range(0, len(page_ids), 900):
        part = page_ids[s : s + 900]
        for r in cur.execute(
            f"SELECT {FEED_COLUMNS} FROM henkilo WHERE id IN ({','.join('?' * len(part))})", part
        ):
            by_id[r[0]] = r
    rows = [by_id[i] for i in page_ids if i in by_id]
    ids = [r[0] for r in rows]
    masters = {
        int(r["slave_id"]): int(r["master_id"])
        for r in select_in(
            world.conn, "SELECT slave_id, master_id FROM henkiloviite WHERE slave_id IN ({in})", ids
        )
    }
    master_rows: dict[int, tuple[Any, ...]] = {}
    wanted = sorted(set(masters.values()))
    for s in range(0, len(wanted), 900):
        part = wanted[s : s + 900]
        for m in cur.execute(
            f"SELECT {FEED_COLUMNS} FROM henkilo WHERE id IN ({','.join('?' * len(part))})", part
        ):
            master_rows[m[0]] = m
    results = [
        {"oid": r[1], "master": oppija_dto_tuple(master_rows.get(masters.get(r[0], -1), r))}
        for r in rows
    ]
    return onr_page(results, total, p, c)


def yhteenveto(world: World, caller: Caller, criteria: Mapping[str, Any]) -> dict[str, int]:
    clause, params = where(world, caller, criteria)
    identified = "(h.yksiloity = 1 OR h.yksiloity_vtj = 1 OR h.yksiloity_eidas = 1)"
    row = world.conn.execute(
        "SELECT "
        f"SUM(CASE WHEN h.duplicate = 1 OR h.passivoitu = 1 OR {identified} THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN {ERROR_CONDITION} THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN h.duplicate = 0 AND h.passivoitu = 0 AND h.hetu IS NOT NULL AND NOT "
        f"{identified} AND h.yksilointi_yritetty = 0 THEN 1 ELSE 0 END) "
        f"FROM henkilo h WHERE {clause}",
        params,
    ).fetchone()
    ok, err, pending = (int(v or 0) for v in row)
    return {
        "onnistuneet": ok,
        "virheet": err,
        "keskeneraiset": pending,
        "yhteensa": ok + err + pending,
    }


def _author_names(world: World, oids: list[str]) -> dict[str, str]:
    return {
        r["oid"]: f"{r['sukunimi']}, {r['etunimet']}"
        for r in select_in(
            world.conn,
            "SELECT oid, etunimet, sukunimi FROM henkilo WHERE oid IN ({in})",
            sorted(set(o for o in oids if o)),
        )
    }


def virheet(
    world: World, caller: Caller, criteria: Mapping[str, Any], page: Any, count: Any
) -> dict[str, Any]:
    """GET /internal/oppijoidentuonti/virheet: error list, newest person first (§1.5)."""
    p, c = _paging(page, count, max_count=None)
    crit = {**criteria, "vainVirheet": True}
    clause, params = where(world, caller, crit)
    total = int(
        world.conn.execute(f"SELECT COUNT(*) FROM henkilo h WHERE {clause}", params).fetchone()[0]
    )
    rows = world.conn.execute(
        f"SELECT h.* FROM henkilo h WHERE {clause} ORDER BY h.id DESC LIMIT ? OFFSET ?",
        (*params, c, (p - 1) * c),
    ).fetchall()
    authors = _author_names(world, [r["first_importer"] for r in rows])
    results = [
        {
            "oid": r["oid"],
            "oppijanumero": oppijanumero(r),
            "luotu": r["created"],
            "muokattu": r["modified"],
            "syntymaaika": r["syntymaaika"],
            "etunimet": r["etunimet"],
            "kutsumanimi": r["kutsumanimi"],
            "sukunimi": r["sukunimi"],
            "yksilointiTila": yksilointi_tila(r),
            "serviceUserOid": r["first_importer"],
            "serviceUserName": authors.get(r["first_importer"] or ""),
        }
        for r in rows
    ]
    return onr_page(results, total, p, c)


KOOSTE_FIELDS = {
    "id": "id",
    "timestamp": "timestamp",
    "oid": "oid",
    "author": "author",
    "total": "total",
    "successful": "successful",
    "failures": "failures",
    "inProgress": "inProgress",
    "conflicts": "conflicts",
}


def tuontikooste(world: World, caller: Caller, params: Mapping[str, Any]) -> dict[str, Any]:
    """GET /oppija/tuontikooste: Spring Data Page of TuontiKooste (§1.6, REST §4.8)."""
    page, size = _paging(params.get("page", 1), params.get("pageSize", 20), max_count=None)
    sort = str(params.get("sort") or "DESC").upper()
    field = str(params.get("field") or "timestamp")
    if sort not in ("ASC", "DESC") or field not in KOOSTE_FIELDS:
        raise SimError(400, "Invalid sort or field")
    clauses: list[str] = ["1"]
    args: list[Any] = []
    if not caller.is_read_all:
        orgs = sorted(world.with_children(caller.orgs(*LIST_ROLES)))
        if not orgs:
            clauses.append("0")
        else:
            clauses.append(
                "EXISTS (SELECT 1 FROM tuonti_organisaatio o WHERE o.tuonti_id = t.id AND "
                f"o.org IN ({','.join('?' * len(orgs))}))"
            )
            args.extend(orgs)
    if params.get("id") not in (None, ""):
        clauses.append("t.id = ?")
        args.append(_long(params["id"], "id"))
    aggregates = (
        "(SELECT COUNT(*) FROM tuonti_rivi r JOIN henkilo h ON h.id = r.henkilo_id "
        " WHERE r.tuonti_id = t.id AND (h.passivoitu = 1 OR h.duplicate = 1 OR h.yksiloity = 1 "
        " OR h.yksiloity_vtj = 1)) AS successful, "
        "(SELECT COUNT(*) FROM tuonti_rivi r WHERE r.tuonti_id = t.id AND r.conflict = 1) "
        " AS conflicts, "
    )
    # the per-row counts are computed for the page only, unless the order needs them
    by_aggregate = field in ("successful", "failures", "conflicts")
    base = (
        "SELECT t.id AS id, t.kasittelija_oid AS oid, t.aikaleima AS timestamp, "
        "t.kasiteltavia AS total, t.kasiteltavia - t.kasiteltyja AS inProgress, t.api AS api, "
        + (aggregates if by_aggregate else "")
        + "CASE WHEN a.id IS NULL THEN NULL ELSE a.sukunimi || ', ' || a.etunimet END AS author "
        "FROM tuonti t LEFT JOIN henkilo a ON a.oid = t.kasittelija_oid "
        f"WHERE {' AND '.join(clauses)}"
    )
    outer_where = ""
    if params.get("author"):
        outer_where = "WHERE lower(author) LIKE ?"
        args.append(f"%{str(params['author']).lower()}%")
    nulls = "NULLS LAST" if sort == "ASC" else "NULLS FIRST"
    order = f"ORDER BY {KOOSTE_FIELDS[field]} {sort} {nulls}, id {sort}"
    failures = ", total - successful AS failures" if by_aggregate else ""
    sql = f"SELECT *{failures} FROM ({base}) {outer_where}"
    total = int(world.conn.execute(f"SELECT COUNT(*) FROM ({sql})", args).fetchone()[0])
    rows = [
        dict(r)
        for r in world.conn.execute(
            f"SELECT * FROM ({sql}) {order} LIMIT ? OFFSET ?", (*args, size, (page - 1) * size)
        )
    ]
    if not by_aggregate and rows:
        ids = [r["id"] for r in rows]
        counted = {
            int(r["id"]): r
            for r in world.conn.execute(
                f"SELECT t.id AS id, {aggregates} 0 AS unused FROM tuonti t "
                f"WHERE t.id IN ({','.join('?' * len(ids))})",
                ids,
            )
        }
        for r in rows:
            c = counted[r["id"]]
            r["successful"], r["conflicts"] = c["successful"], c["conflicts"]
            r["failures"] = r["total"] - r["successful"]
    content = [
        {
            "id": r["id"],
            "oid": r["oid"],
            "author": r["author"],
            "timestamp": r["timestamp"],
            "total": r["total"],
            "successful": r["successful"],
            "failures": r["failures"],
            "inProgress": r["inProgress"],
            "conflicts": r["conflicts"],
            "api": r["api"],
        }
        for r in rows
    ]
    return spring_page(content, total, page - 1, size)


def spring_page(content: list[Any], total: int, number: int, size: int) -> dict[str, Any]:
    """REST §3.4 C (0-based `number`)."""
    pages = math.ceil(total / size) if size else 0
    sort = {"sorted": True, "unsorted": False, "empty": False}
    return {
        "content": content,
        "pageable": {
            "sort": sort,
            "pageNumber": number,
            "pageSize": size,
            "offset": number * size,
            "paged": True,
            "unpaged": False,
        },
        "totalPages": pages,
        "totalElements": total,
        "last": number + 1 >= pages,
        "numberOfElements": len(content),
        "sort": sort,
        "size": size,
        "number": number,
        "first": number == 0,
        "empty": not content,
    }
