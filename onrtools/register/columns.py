"""The register's schema and how a file's headers map onto it.

ONR's row fields (:data:`COLUMNS`) and which are required, identifying or coded; the header
names a register export may use for each (:data:`_ALIASES`: ONR's names and common Finnish and
English export names, compared folded by :func:`header_key`); the user's own mapping
(``"Employee ID=tunniste"``, :func:`column_mapping`); and :func:`map_headers`, which refuses a
file whose headers leave a required column unmapped, naming the nearest header (a
``RegisterReadError`` whose message is a catalogue key, ``register.read.*``, and its fields).
:mod:`.read` reads files with it.
"""

from __future__ import annotations

import re
import unicodedata

from onrtools.errors import ColumnMappingError, RegisterReadError
from onrtools.i18n import Message

COLUMNS: tuple[str, ...] = (
    "tunniste",
    "oid",
    "hetu",
    "passinumero",
    "sahkoposti",
    "etunimet",
    "kutsumanimi",
    "sukunimi",
    "syntymaaika",
    "sukupuoli",
    "aidinkieli",
    "kansalaisuus",
)
# sent to ONR as code objects ({"koodi": ...}); every other column but tunniste goes as text
CODE_FIELDS: tuple[str, ...] = ("sukupuoli", "aidinkieli", "kansalaisuus")
PLAIN_FIELDS: tuple[str, ...] = tuple(c for c in COLUMNS
                                      if c != "tunniste" and c not in CODE_FIELDS)
REQUIRED_COLUMNS: tuple[str, ...] = (
    "tunniste",
    "etunimet",
    "kutsumanimi",
    "sukunimi",
    "kansalaisuus",
)
IDENTIFIER_COLUMNS: tuple[str, ...] = ("oid", "hetu", "passinumero", "sahkoposti")
# the key of map_headers' error for missing columns; its ``problems`` field is what is missing
MISSING_COLUMNS = "register.read.columns"

_ALIASES: dict[str, tuple[str, ...]] = {
    "tunniste": (
        "tunniste",
        "id",
        "opiskelijanumero",
        "opiskelijatunnus",
        "oppilasnumero",
        "studentnumber",
        "studentid",
        "identifier",
        "localid",
        "sourceid",
        "rowid",
    ),
    "oid": (
        "oid",
        "oidhenkilo",
        "henkilooid",
        "henkilonoid",
        "personoid",
        "oppijanumero",
        "learnernumber",
    ),
    "hetu": (
        "hetu",
        "henkilotunnus",
        "henkilotunnushetu",
        "socialsecuritynumber",
        "ssn",
        "personalidentitycode",
        "personalidentitynumber",
        "personalid",
        "pic",
        "finnishpersonalidentitycode",
    ),
    "passinumero": ("passinumero", "passi", "passport", "passportnumber", "passportno"),
    "sahkoposti": ("sahkoposti", "sahkopostiosoite", "email", "emailaddress", "mail"),
    "etunimet": (
        "etunimet",
        "etunimi",
        "firstnames",
        "firstname",
        "givennames",
        "givenname",
        "forenames",
        "forename",
    ),
    "kutsumanimi": ("kutsumanimi", "callname", "nickname", "preferredname", "preferredfirstname"),
    "sukunimi": ("sukunimi", "lastname", "surname", "familyname"),
    "syntymaaika": ("syntymaaika", "syntymapaiva", "birthdate", "dateofbirth", "dob", "birthday"),
    "sukupuoli": ("sukupuoli", "sex", "gender"),
    "aidinkieli": (
        "aidinkieli",
        "mothertongue",
        "nativelanguage",
        "firstlanguage",
        "language",
        "kieli",
    ),
    "kansalaisuus": (
        "kansalaisuus",
        "kansalaisuudet",
        "nationality",
        "nationalities",
        "citizenship",
        "citizenships",
    ),
}
_ALIAS_TO_COLUMN: dict[str, str] = {a: col for col, aliases in _ALIASES.items() for a in aliases}


def header_key(name: object) -> str:
    """Fold a header for alias lookup: NFKD, no accents, lower-case, letters and digits only."""
    text = unicodedata.normalize("NFKD", str(name))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return re.sub(r"[^0-9a-z]", "", text)


def parse_column_mapping(items: list[str] | tuple[str, ...]) -> dict[str, str]:
    """``["Employee ID=tunniste", ...]`` -> ``{"Employee ID": "tunniste"}`` (split at the last
    ``=``, so a header may hold one); ColumnMappingError (a RegisterReadError and a ValueError,
    ``.render(language)``) naming the item that has no ``=``."""
    mapping: dict[str, str] = {}
    for item in items:
        header, sep, column = item.rpartition("=")
        if not sep or not header.strip() or not column.strip():
            raise ColumnMappingError("register.read.mapping.syntax", given=repr(item))
        mapping[header.strip()] = column.strip()
    return mapping


def column_mapping(value: str | dict[str, str] | None) -> dict[str, str]:
    """A mapping as a notebook parameter or config gives it: a dict, or text of
    ``"FILE COLUMN=field"`` items separated by ``;`` or line breaks."""
    if not value:
        return {}
    if isinstance(value, dict):
        return {str(k).strip(): str(v).strip() for k, v in value.items()}
    return parse_column_mapping([p for p in re.split(r"[;\n]", value) if p.strip()])


def _user_mapping(headers: list[str], columns: dict[str, str] | None, path: str
                  ) -> dict[str, str]:
    """The user's ``{file header: ONR field}`` checked against the file: header -> field."""
    by_key = {header_key(h): h for h in headers}
    mapped: dict[str, str] = {}
    for given, column in (columns or {}).items():
        if column not in COLUMNS:
            raise RegisterReadError("register.read.mapping.not_a_field", path=path,
                                    field=column, given=repr(given), column=repr(column),
                                    fields=", ".join(COLUMNS))
        header = given if given in headers else by_key.get(header_key(given))
        if header is None:
            raise RegisterReadError("register.read.mapping.no_column", path=path,
                                    field=column, given=repr(given), column=repr(column),
                                    headers=", ".join(map(repr, headers)))
        mapped[header] = column
    return mapped


def _suggestion(column: str, candidates: list[str]) -> str:
    """The unmapped header most like ``column`` (or one of its aliases), if any is close."""
    from rapidfuzz import fuzz, process

    names = [column, *_ALIASES.get(column, ())]
    best: tuple[str, float] | None = None
    for header in candidates:
        hit = process.extractOne(header_key(header), names, scorer=fuzz.WRatio)
        if hit and (best is None or hit[1] > best[1]):
            best = (header, hit[1])
    return best[0] if best and best[1] >= 60 else ""


def map_headers(
    headers: list[str], path: str, columns: dict[str, str] | None = None,
) -> tuple[dict[str, str], tuple[str, ...]]:
    """Map file headers to ONR fields: the user's ``columns`` first, then the known names.
    RegisterReadError for missing or doubled columns, with the nearest header suggested."""
    user = _user_mapping(headers, columns, path)
    mapping: dict[str, str] = {}
    ignored: list[str] = []
    seen: dict[str, str] = {}
    for header in headers:
        column = user.get(header)
        if column is None and header not in user:
            column = _ALIAS_TO_COLUMN.get(header_key(header))
            if column in user.values():
                column = None  # the user named another column for this field
        if column is None:
            ignored.append(header)
            continue
        if column in seen:
            raise RegisterReadError("register.read.doubled", path=path, field=column,
                                    first=repr(seen[column]), second=repr(header),
                                    column=repr(column))
        seen[column] = header
        mapping[header] = column
    missing = [c for c in REQUIRED_COLUMNS if c not in seen]
    no_identifier = not any(c in seen for c in IDENTIFIER_COLUMNS)
    if missing or no_identifier:
        problems = []
        if missing:
            problems.append(Message("register.read.columns.missing", columns=missing))
        if no_identifier:
            problems.append(Message("register.read.columns.no_identifier",
                                    columns=list(IDENTIFIER_COLUMNS)))
        found: str | Message = (", ".join(repr(h) for h in headers)
                                or Message("register.read.columns.nothing"))
        if len(headers) == 1 and re.search(r"[|:\t,;]", headers[0]):
            hint = Message("register.read.columns.one_column")
        else:
            guesses = [f'--column "{g}={c}"' for c in missing
                       if (g := _suggestion(c, ignored))]
            hint = (Message("register.read.columns.suggest", guesses=" ".join(guesses))
                    if guesses else Message("register.read.columns.example"))
        raise RegisterReadError("register.read.columns", path=path,
                                field=missing[0] if missing else None,
                                problems=problems, found=found, hint=hint)
    return mapping, tuple(ignored)


def unique_headers(headers: list[str], path: str = "register") -> list[str]:
    """Headers made unique: an empty one becomes ``(column N)``, a repeat ``name (2)``.

    Exports often end rows with separators (empty headers) or repeat a column we do not use;
    neither should stop the read. A repeated ONR column is still an error (map_headers).
    """
    out: list[str] = []
    seen: dict[str, int] = {}
    onr_columns: dict[str, str] = {}
    for index, header in enumerate(headers, start=1):
        name = header if header else f"(column {index})"
        column = _ALIAS_TO_COLUMN.get(header_key(name))
        if column is not None:  # a doubled ONR column is refused here, with both names
            if column in onr_columns:
                first = list(headers).index(onr_columns[column]) + 1
                raise RegisterReadError("register.read.doubled_at", path=path, field=column,
                                        first=repr(onr_columns[column]), first_index=first,
                                        second=repr(header), second_index=index,
                                        column=repr(column))
            onr_columns[column] = header
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        seen.setdefault(name, 1)
        out.append(name)
    return out
