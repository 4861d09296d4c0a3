"""Request validation as ONR does it: bean validation, then the code-set post-validator (§1.1)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from onrtools.register import names

from .core import BEAN_VALIDATION, UNPROCESSABLE, SimError, field_error
from .world import hetu_valid

# Hibernate Validator's lenient @Email: local@domain, no TLD required.
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s.][^@\s]*$")


def email_valid(value: Any) -> bool:
    return isinstance(value, str) and bool(_EMAIL_RE.match(value)) and not value.endswith(".")


def _code_sets() -> tuple[set[str], set[str], set[str]]:
    """(sexes, languages upper-case, nationalities) from onrtools.register.codes, else a small
    fallback."""
    try:
        from onrtools.register import codes  # written by the foundation helper

        return (
            set(codes.SEXES),
            {c.upper() for c in codes.LANGUAGES},
            set(codes.NATIONALITIES),
        )
    except (ImportError, AttributeError):
        from .dto import COUNTRY_NAMES, LANGUAGE_NAMES

        return (
            {"1", "2"},
            {c.upper() for c in LANGUAGE_NAMES},
            set(COUNTRY_NAMES) | {"123", "456", "616"},
        )


class Problems:
    """Collects field errors; raise() turns them into one 400."""

    def __init__(self) -> None:
        self.bean: list[dict[str, Any]] = []
        self.post: list[dict[str, Any]] = []

    def add(self, path: str, code: str, message: str, rejected: Any = None) -> None:
        self.bean.append(field_error(path, code, message, rejected))

    def add_post(self, path: str, code: str, message: str, rejected: Any = None) -> None:
        self.post.append(field_error(path, code, message, rejected))

    def raise_bean(self) -> None:
        if self.bean:
            raise SimError(
                400,
                f"Validation failed for argument with {len(self.bean)} errors",
                exception=BEAN_VALIDATION,
                field_errors=self.bean,
            )

    def raise_post(self) -> None:
        if self.post:
            raise SimError(
                400, "Validation failed", exception=UNPROCESSABLE, field_errors=self.post
            )


def _not_empty(p: Problems, path: str, value: Any) -> None:
    if value is None or (isinstance(value, (str, list, dict)) and len(value) == 0):
        p.add(path, "NotEmpty", "must not be empty", value)
    elif not isinstance(value, str):
        p.add(path, "typeMismatch", "must be a string", value)


def _koodi(p: Problems, path: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, dict) or value.get("koodi") is None:
        p.add(f"{path}.koodi", "NotNull", "must not be null", None)
        return None
    return str(value["koodi"])


def validate_oppija_tuonti(body: Any) -> list[dict[str, Any]]:
    """PUT /oppija body → its rows; SimError(400) with ONR's field paths otherwise."""
    p = Problems()
    if not isinstance(body, dict):
        raise SimError(
            400,
            "Required request body is missing",
            exception="org.springframework.http.converter.HttpMessageNotReadableException",
        )
    if "sahkoposti" in body and body["sahkoposti"] is not None:
        s = body["sahkoposti"]
        if not isinstance(s, str) or len(s) < 1:
            p.add("sahkoposti", "Size", "size must be between 1 and 2147483647", s)
        elif not email_valid(s):
            p.add("sahkoposti", "Email", "must be a well-formed email address", s)
    rows = body.get("henkilot")
    if not isinstance(rows, list) or not rows:
        p.add("henkilot", "NotEmpty", "must not be empty", rows)
        p.raise_bean()
        return []
    sexes, languages, nationalities = _code_sets()
    for i, row in enumerate(rows):
        base = f"henkilot[{i}].henkilo"
        h = row.get("henkilo") if isinstance(row, dict) else None
        if not isinstance(h, dict):
            p.add(base, "NotNull", "must not be null", None)
            continue
        if all(h.get(k) is None for k in ("oid", "hetu", "passinumero", "sahkoposti")):
            p.add(
                base,
                "ValidateAtLeastOneNotNull",
                "Ainakin yksi kentistä oid/hetu/passinumero/sahkoposti on annettava",
                None,
            )
        for key in ("oid", "passinumero"):
            v = h.get(key)
            if v is not None and (not isinstance(v, str) or len(v) < 1):
                p.add(f"{base}.{key}", "Size", "size must be between 1 and 2147483647", v)
        hetu = h.get("hetu")
        if hetu is not None and hetu != "" and not hetu_valid(hetu):
            p.add(f"{base}.hetu", "ValidateHetu", "invalid.hetu", hetu)
        email = h.get("sahkoposti")
        if email is not None:
            if not isinstance(email, str) or len(email) < 1:
                p.add(f"{base}.sahkoposti", "Size", "size must be between 1 and 2147483647", email)
            elif not email_valid(email):
                p.add(f"{base}.sahkoposti", "Email", "must be a well-formed email address", email)
        for key in ("etunimet", "kutsumanimi", "sukunimi"):
            _not_empty(p, f"{base}.{key}", h.get(key))
        syntymaaika = h.get("syntymaaika")
        if syntymaaika is not None and syntymaaika != "":
            try:
                date.fromisoformat(str(syntymaaika).strip())
            except ValueError:
                raise SimError(
                    400,
                    f"JSON parse error: cannot deserialize LocalDate from {syntymaaika!r}",
                    exception="org.springframework.http.converter.HttpMessageNotReadableException",
                ) from None
        kansalaisuus = h.get("kansalaisuus")
        codes: list[str] = []
        if not isinstance(kansalaisuus, list) or not kansalaisuus:
            p.add(f"{base}.kansalaisuus", "NotEmpty", "must not be empty", kansalaisuus)
        else:
            for j, k in enumerate(kansalaisuus):
                if k is None:
                    p.add(f"{base}.kansalaisuus[{j}]", "NotNull", "must not be null", None)
                else:
                    c = _koodi(p, f"{base}.kansalaisuus[{j}]", k)
                    if c is not None:
                        codes.append(c)
        sex = _koodi(p, f"{base}.sukupuoli", h.get("sukupuoli"))
        lang = _koodi(p, f"{base}.aidinkieli", h.get("aidinkieli"))
        # post-validator (only reported when bean validation passed, as in ONR)
        if sex is not None and sex not in sexes:
            p.add_post(f"{base}.sukupuoli", "invalid.sukupuoli", f"Invalid sukupuoli {sex}", sex)
        if lang is not None and lang not in languages:
            p.add_post(
                f"{base}.aidinkieli", "invalid.aidinkieli", f"Invalid aidinkieli {lang}", lang
            )
        unknown = [c for c in codes if c not in nationalities]
        if unknown:
            p.add_post(
                f"{base}.kansalaisuus",
                "invalid.kansalaisuus",
                f"Invalid kansalaisuus {', '.join(unknown)}",
                unknown,
            )
        if "246" in codes and not h.get("hetu"):
            p.add_post(
                f"{base}.hetu",
                "hetu.required.for.finnish",
                "Hetu is required for Finnish citizens",
                None,
            )
    p.raise_bean()
    p.raise_post()
    return rows


def existence_problems(p: Problems, base: str, h: Any) -> None:
    """HenkiloExistenceCheckDto (yleistunniste input, §1.8 rule 2)."""
    if not isinstance(h, dict):
        p.add(base or "henkilo", "NotNull", "must not be null", None)
        return
    prefix = f"{base}." if base else ""
    for key in ("etunimet", "sukunimi"):
        v = h.get(key)
        if not v:
            p.add(f"{prefix}{key}", "NotEmpty", "Cannot be empty", v)
        elif not isinstance(v, str) or not names.name_format_valid(v):
            p.add(
                f"{prefix}{key}",
                "Pattern",
                "Invalid pattern. Must contain an alphabetic character",
                v,
            )
    k = h.get("kutsumanimi")
    if not k:
        p.add(f"{prefix}kutsumanimi", "NotEmpty", "Cannot be empty", k)
    elif not isinstance(k, str) or " " in k or not names.name_format_valid(k):
        p.add(
            f"{prefix}kutsumanimi",
            "Pattern",
            "Invalid pattern. Must contain an alphabetic character",
            k,
        )
    # @AssertTrue isNicknameOk(): a getter, so its own field error (false for a missing name)
    etunimet = h.get("etunimet")
    if not (isinstance(k, str) and isinstance(etunimet, str)
            and k.lower() in _first_names(etunimet)):
        p.add(f"{prefix}nicknameOk", "AssertTrue", "Nick name must be one of the first names",
              False)
    hetu = h.get("hetu")
    if not hetu:
        p.add(f"{prefix}hetu", "NotEmpty", "Cannot be empty", hetu)
    elif not hetu_valid(hetu):
        p.add(f"{prefix}hetu", "ValidateHetu", "invalid.hetu", hetu)


def _first_names(etunimet: str) -> set[str]:
    """``HenkiloExistenceCheckDto.splitEtunimet``: lower-cased names split on ``\\s``, plus
    the parts of hyphenated ones (Java's split drops trailing empty strings only)."""
    parts = names._java_split(etunimet.lower(), r"\s")
    return set(parts) | {piece for part in parts if "-" in part for piece in part.split("-")}


def validate_existence(body: Any) -> dict[str, Any]:
    p = Problems()
    existence_problems(p, "", body)
    p.raise_bean()
    assert isinstance(body, dict)
    return body


def validate_yleistunniste_tuonti(body: Any) -> list[dict[str, Any]]:
    """PUT /yleistunniste → converted /oppija rows with nationality 999 (§1.10)."""
    p = Problems()
    if not isinstance(body, dict):
        raise SimError(
            400,
            "Required request body is missing",
            exception="org.springframework.http.converter.HttpMessageNotReadableException",
        )
    s = body.get("sahkoposti")
    if s is not None and s != "" and not email_valid(s):
        p.add("sahkoposti", "Email", "must be a well-formed email address", s)
    rows = body.get("henkilot")
    if not isinstance(rows, list) or not rows:
        p.add(
            "henkilot",
            "Size" if isinstance(rows, list) else "NotNull",
            "size must be between 1 and 2147483647"
            if isinstance(rows, list)
            else "must not be null",
            rows,
        )
        p.raise_bean()
        return []
    out: list[dict[str, Any]] = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            p.add(f"henkilot[{i}]", "NotNull", "must not be null", None)
            continue
        t = row.get("tunniste")
        if t is None or not isinstance(t, str) or not t.strip():
            p.add(f"henkilot[{i}].tunniste", "NotBlank", "must not be blank", t)
        existence_problems(p, f"henkilot[{i}].henkilo", row.get("henkilo"))
        h = row.get("henkilo") or {}
        if isinstance(h, dict):
            out.append(
                {
                    "tunniste": t,
                    "henkilo": {
                        "hetu": h.get("hetu"),
                        "etunimet": h.get("etunimet"),
                        "kutsumanimi": h.get("kutsumanimi"),
                        "sukunimi": h.get("sukunimi"),
                        "kansalaisuus": [{"koodi": "999"}],
                    },
                }
            )
    p.raise_bean()
    return out
