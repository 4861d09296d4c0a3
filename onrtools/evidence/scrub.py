"""Privacy of the evidence: what every ledger record and detail passes on its way in.

:func:`scrub` makes a JSON-ready copy of a value that holds no hetu, name or secret:
hetu-shaped strings are masked (``131052-****``), string values under personal-data keys
(:data:`PERSONAL_KEYS`: names, hetu, e-mail, passport, address, birth date) are replaced by
``[redacted]``, values under secret-looking keys by ``[removed]``, and URL query strings (a CAS
ticket rides in ``?ticket=``) are cut off.

Imports: :mod:`onrtools.register.hetu` (the hetu pattern) and :mod:`onrtools.secret_names` (the
secret key names); nothing else of the package.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from onrtools.register.hetu import has_hetu_in_text, mask_in_text
from onrtools.secret_names import SECRET_NAME

HEX64 = re.compile(r"^[0-9a-f]{64}$")
_URL_QUERY = re.compile(r"^(https?://[^?#\s]*)[?#].*$", re.IGNORECASE | re.DOTALL)
SECRET_KEY = SECRET_NAME  # a key whose value is secret (the scanner's one definition)
PERSONAL_KEYS = frozenset(
    {
        "hetu",
        "hetut",
        "kaikkihetut",
        "etunimet",
        "etunimi",
        "kutsumanimi",
        "sukunimi",
        "nimi",
        "name",
        "names",
        "first_name",
        "first_names",
        "last_name",
        "surname",
        "full_name",
        "sahkoposti",
        "email",
        "passinumero",
        "passport",
        "katuosoite",
        "address",
        "syntymaaika",
        "birth_date",
    }
)


def mask_hetus(text: str) -> str:
    """Mask every hetu-shaped substring (``131052-9085`` → ``131052-****``)."""
    if HEX64.match(text):  # a SHA-256 is never a hetu; leave evidence hashes intact
        return text
    return mask_in_text(text)


def has_hetu(text: str) -> bool:
    """True when ``text`` contains a hetu-shaped substring that is not masked."""
    return not HEX64.match(text) and has_hetu_in_text(text)


def scrub(value: Any, *, key: str | None = None) -> Any:
    """A JSON-ready copy of ``value`` that holds no hetu, name or secret (see module doc).

    Accepts dicts, lists/tuples/sets, str, int, float (NaN/inf become None), bool, None, Path,
    datetime/date (ISO text) and numpy/pandas scalars (via ``.item()``); anything else is a
    TypeError, so nothing lands in the ledger by accident as a repr.
    """
    lowered = key.lower() if isinstance(key, str) else ""
    if lowered and SECRET_KEY.search(lowered) and value is not None:
        return "[removed]"
    if isinstance(value, Mapping):
        return {mask_hetus(str(k)): scrub(v, key=str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        return [scrub(v, key=key) for v in items]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Path):
        value = str(value)
    if type(value).__name__ in ("NaTType", "NAType"):  # pandas' missing values
        return None
    if hasattr(value, "isoformat") and not isinstance(value, str):
        value = value.isoformat()
    if isinstance(value, str):
        if lowered in PERSONAL_KEYS and value:
            return "[redacted]"
        cut = _URL_QUERY.match(value)
        if cut:
            value = cut.group(1)
        return mask_hetus(value)
    if hasattr(value, "item"):  # numpy / pandas scalar
        return scrub(value.item(), key=key)
    raise TypeError(f"cannot record a {type(value).__name__} in the evidence ledger")
