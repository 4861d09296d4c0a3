"""ONR's duplicate-search text (§3.1): PostgreSQL's lower(unaccent(x)), pg_trgm's trigrams and
similarity, and the search keys stored per person for prefiltering.

Plain functions of strings, no state: the world (person rows), the seed and identification
store the keys; :mod:`.duplicates` scores candidates with them.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from unidecode import unidecode

_WORD_RE = re.compile(r"[0-9a-z]+")


@lru_cache(maxsize=131072)
def unaccent_lower(text: str) -> str:
    """PostgreSQL lower(unaccent(x)): accents stripped, other letters transliterated."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    if not stripped.isascii():
        stripped = unidecode(stripped)
    return stripped.lower()


def search_string(
    etunimet: str | None, kutsumanimi: str | None, sukunimi: str | None, syntymaaika: str | None
) -> str:
    """The stored `duplicate_search_str` / the query string (§3.1)."""
    parts = [unaccent_lower(p) for p in (etunimet, kutsumanimi, sukunimi) if p is not None]
    return " ".join(parts) + " " + (syntymaaika or "")


def search_keys(
    etunimet: str | None, kutsumanimi: str | None, sukunimi: str | None, syntymaaika: str | None
) -> tuple[str, str, str]:
    """(search string, surname key, first-first-name key) stored per person for prefiltering."""
    s = search_string(etunimet, kutsumanimi, sukunimi, syntymaaika)
    sk = unaccent_lower(sukunimi or "").strip()
    first = unaccent_lower(etunimet or "").split()
    return s, sk, first[0] if first else ""


def trigrams(text: str) -> frozenset[str]:
    """pg_trgm's trigram set: per alphanumeric word, padded with two spaces before, one after."""
    out: set[str] = set()
    for word in _WORD_RE.findall(text.lower()):
        padded = f"  {word} "
        out.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return frozenset(out)


def similarity(a: str, b: str) -> float:
    """pg_trgm similarity(a, b) = |common| / |union| (0 for two empty sets)."""
    ta, tb = trigrams(a), trigrams(b)
    if not ta or not tb:
        return 0.0
    common = len(ta & tb)
    return common / (len(ta) + len(tb) - common)
