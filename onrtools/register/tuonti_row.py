"""The one builder of ONR's import row (``OppijaTuontiRowCreateDto``) from a register row.

A register row stays flat, one text column per ONR field (:data:`onrtools.register.read.COLUMNS`),
from validation through the workspace, the pre-import check and the import's journal, up to
the request body: only :func:`tuonti_row` and :func:`tuonti_rows` make it ONR's nested
``{"tunniste": ..., "henkilo": {...}}``. Validation's preview, the import, the pre-import check
and the demo all use them, so what is previewed is what is sent.

The rules (REST.md §4.3, ONR's ``OppijaTuontiRowCreateDto``):

* a blank field is left out, never sent as ``""``;
* ``sukupuoli`` and ``aidinkieli`` are code objects ``{"koodi": ...}``; the import compares
  ``aidinkieli`` with the upper-case ``kieli`` code set case-sensitively, so it is upper-cased;
* ``kansalaisuus`` is a list of code objects from ``"246"`` or ``"246;752"`` (a comma also
  separates); none at all leaves the field out (ONR refuses the row either way: the
  validator requires it for ``PUT /oppija``);
* ``PUT /yleistunniste`` rows (``HenkiloExistenceCheckDto``) carry hetu and names only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import pandas as pd

from onrtools.gc_guard import gc_paused
from onrtools.register.read import COLUMNS, PLAIN_FIELDS

Api = Literal["oppija", "yleistunniste"]
EXISTENCE_FIELDS: tuple[str, ...] = ("hetu", "etunimet", "kutsumanimi", "sukunimi")


def _text(value: Any) -> str:
    """A cell as stripped text; None and NaN (a DataFrame's blank) are ``""``."""
    if value is None:
        return ""
    if value.__class__ is str:
        return value.strip()
    if isinstance(value, float) and math.isnan(value):
        return ""
    return str(value).strip()


def _codes(value: str) -> list[dict[str, str]]:
    return [{"koodi": c} for c in map(str.strip, value.replace(",", ";").split(";")) if c]


def henkilo(row: Mapping[str, Any], *, api: Api = "oppija") -> dict[str, Any]:
    """The ``henkilo`` object of one flat register row."""
    if api == "yleistunniste":
        return {k: v for k in EXISTENCE_FIELDS if (v := _text(row.get(k)))}
    out: dict[str, Any] = {}
    for key in PLAIN_FIELDS:
        if value := _text(row.get(key)):
            out[key] = value
    if sukupuoli := _text(row.get("sukupuoli")):
        out["sukupuoli"] = {"koodi": sukupuoli}
    if aidinkieli := _text(row.get("aidinkieli")):
        out["aidinkieli"] = {"koodi": aidinkieli.upper()}
    if koodit := _codes(_text(row.get("kansalaisuus"))):
        out["kansalaisuus"] = koodit
    return out


def tuonti_row(row: Mapping[str, Any], *, api: Api = "oppija") -> dict[str, Any]:
    """``{"tunniste": ..., "henkilo": {...}}`` of one flat register row (``tunniste`` None
    when blank: the import refuses such rows and says which)."""
    return {"tunniste": _text(row.get("tunniste")) or None, "henkilo": henkilo(row, api=api)}


def tuonti_rows(rows: pd.DataFrame | Iterable[Mapping[str, Any]], *, api: Api = "oppija"
                ) -> list[dict[str, Any]]:
    """:func:`tuonti_row` of every row; a frame is read column-wise (100,000 rows build in a
    fraction of a second), with the cyclic collector paused while the small dicts are made."""
    if not isinstance(rows, pd.DataFrame):
        return [tuonti_row(r, api=api) for r in rows]
    n = len(rows)
    columns = {c: rows[c].tolist() if c in rows.columns else [None] * n
               for c in ("tunniste", *COLUMNS[1:])}
    with gc_paused():
        return [tuonti_row({c: v[i] for c, v in columns.items()}, api=api) for i in range(n)]


def flat(row: Mapping[str, Any]) -> dict[str, str]:
    """A row in ONR's nested shape back to flat register columns (for callers that hold ONR
    rows, e.g. an export of earlier requests): ``tuonti_row(flat(r)) == r`` for built rows."""
    nested = row.get("henkilo")
    if not isinstance(nested, Mapping):
        return {c: _text(row.get(c)) for c in COLUMNS}

    def code(value: Any) -> str:
        if isinstance(value, Mapping):
            return _text(value.get("koodi"))
        if isinstance(value, list):
            return ";".join(code(v) for v in value if code(v))
        return _text(value)

    out = {c: code(nested.get(c)) for c in COLUMNS}
    out["tunniste"] = _text(row.get("tunniste"))
    return out
