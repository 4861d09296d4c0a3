"""ONR's name rules: normalisation, Lucene Jaro-Winkler, name match, kutsumanimi rules.

* :func:`names_match` is ``YksilointiServiceImpl.namesMatch`` (SEMANTICS.md §1.7): the import
  ``conflict`` flag and the 409 of yleistunniste are ``not names_match(...)``.
* :func:`jaro_winkler` is Apache Lucene's ``JaroWinklerDistance`` computed step by step in 32-bit
  float like Java does: the prefix bonus has no cap at 4 characters, its weight is
  ``min(0.1, 1/len(longer))``, and the window is ``max(len(longer)/2 - 1, 0)``. It differs from
  textbook Jaro-Winkler (and rapidfuzz's) exactly near ONR's 0.85 threshold, hence our own.
* Kutsumanimi: :func:`kutsumanimi_valid` is the single-person create rule
  (``KutsumanimiValidator``, REST.md §9.3); :func:`kutsumanimi_valid_single` the stricter
  yleistunniste rule (REST.md §5.1). The batch import (``PUT /oppija``) checks neither; the
  register validator applies :func:`kutsumanimi_valid` anyway, because a nickname that is not
  one of the first names is almost always a data-entry error.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
from unidecode import unidecode

SURNAME_THRESHOLD = 0.85  # oppijanumerorekisteri.sukunimiThreshold
FIRST_NAME_THRESHOLD = 0.85  # oppijanumerorekisteri.etunimiThreshold
_WHITESPACE = re.compile(r"\s")
_F32 = np.float32


def normalize(name: str | None) -> str:
    """ONR's ``TextUtils.normalize``: NFD, drop combining marks, transliterate, lower-case.

    None → ""; spaces, hyphens and punctuation are kept.
    """
    if name is None:
        return ""
    decomposed = unicodedata.normalize("NFD", name)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unidecode(stripped).lower()


def _units(text: str) -> list[int]:
    """UTF-16 code units, as Java's ``String.charAt`` sees them."""
    data = text.encode("utf-16-le", "surrogatepass")
    return [int.from_bytes(data[i : i + 2], "little") for i in range(0, len(data), 2)]


def jaro_winkler(a: str, b: str) -> float:
    """Lucene ``JaroWinklerDistance.getDistance(a, b)`` (a similarity in [0, 1], float32)."""
    s1, s2 = _units(a), _units(b)
    if len(s1) > len(s2):
        longer, shorter = s1, s2
    else:  # on equal length the second argument is "max", as in Lucene
        longer, shorter = s2, s1
    window = max(len(longer) // 2 - 1, 0)
    match_index = [-1] * len(shorter)
    used = [False] * len(longer)
    matches = 0
    for mi, ch in enumerate(shorter):
        for xi in range(max(mi - window, 0), min(mi + window + 1, len(longer))):
            if not used[xi] and ch == longer[xi]:
                match_index[mi] = xi
                used[xi] = True
                matches += 1
                break
    ms1 = [ch for ch, xi in zip(shorter, match_index, strict=True) if xi != -1]
    ms2 = [ch for ch, flag in zip(longer, used, strict=True) if flag]
    transpositions = sum(1 for x, y in zip(ms1, ms2, strict=True) if x != y) // 2
    prefix = 0
    for mi in range(len(shorter)):
        if s1[mi] != s2[mi]:
            break
        prefix += 1
    if matches == 0:
        return 0.0
    m = _F32(matches)
    j = (m / _F32(len(s1)) + m / _F32(len(s2)) + (m - _F32(transpositions)) / m) / _F32(3)
    if j < _F32(0.7):
        return float(j)
    bonus = min(_F32(0.1), _F32(1) / _F32(len(longer)))
    return float(j + bonus * _F32(prefix) * (_F32(1) - j))


def _tokens(normalized: str) -> list[str]:
    """Whitespace tokens plus the parts of hyphenated tokens (whole token kept too)."""
    out: list[str] = []
    for token in _WHITESPACE.split(normalized):
        if not token:
            continue
        out.append(token)
        if "-" in token:
            out.extend(part for part in token.split("-") if part)
    return out


def surname_matches(given: str | None, expected: str | None, threshold: float = 0.85) -> bool:
    """ONR's ``tarkistaSukunimi``: Jaro-Winkler of the normalised surnames ≥ ``threshold``."""
    return jaro_winkler(normalize(given), normalize(expected)) >= threshold


def first_names_match(given: str | None, expected: str | None, threshold: float = 0.85) -> bool:
    """ONR's ``tarkistaEtunimi``: substring of the expected names, or any token pair ≥ threshold."""
    g, e = normalize(given), normalize(expected)
    if g in e:
        return True
    expected_tokens = _tokens(e)
    return any(jaro_winkler(tg, te) >= threshold for tg in _tokens(g) for te in expected_tokens)


def names_match(
    given_etunimet: str | None,
    given_sukunimi: str | None,
    expected_etunimet: str | None,
    expected_sukunimi: str | None,
    *,
    threshold: float = 0.85,
) -> bool:
    """ONR's ``namesMatch``: surname and first names both match; kutsumanimi is not compared."""
    return surname_matches(given_sukunimi, expected_sukunimi, threshold) and first_names_match(
        given_etunimet, expected_etunimet, threshold
    )


def _java_split(text: str, pattern: str) -> list[str]:
    """``String.split(regex)``: like re.split, minus trailing empty strings."""
    parts = re.split(pattern, text)
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def _runs(tokens: list[str]) -> set[str]:
    return {
        " ".join(tokens[start:end])
        for start in range(len(tokens))
        for end in range(start + 1, len(tokens) + 1)
    }


def kutsumanimi_valid(kutsumanimi: str | None, etunimet: str | None) -> bool:
    """REST.md §9.3: equal to etunimet, or case-insensitively a run of consecutive names.

    Tokens come from splitting on spaces, or on spaces and hyphens; a run is joined by single
    spaces. For "Anna-Liisa Milla Karoliina": "Anna", "Liisa", "Anna-Liisa", "Anna Liisa",
    "Liisa Milla" are valid; "Karo", "Anna Milla", "Liisa Anna" are not.
    """
    if not kutsumanimi or not etunimet:
        return False
    if kutsumanimi == etunimet:
        return True
    wanted = kutsumanimi.lower()
    lowered = etunimet.lower()
    return wanted in _runs(_java_split(lowered, " ")) or wanted in _runs(
        _java_split(lowered, "[ -]")
    )


def _is_graph(ch: str) -> bool:
    """Java's Unicode ``\\p{Graph}``: not whitespace, control, surrogate or unassigned."""
    return not ch.isspace() and unicodedata.category(ch) not in {"Cc", "Cs", "Cn"}


def name_format_valid(name: str | None) -> bool:
    """REST.md §5.1 pattern for etunimet/sukunimi: visible words separated by single spaces."""
    if not name:
        return False
    return all(word and all(_is_graph(ch) for ch in word) for word in name.split(" "))


def kutsumanimi_valid_single(kutsumanimi: str | None, etunimet: str | None) -> bool:
    """REST.md §5.1 (yleistunniste): one visible word equal (any case) to a first name or part.

    For "X Æ A-12": "Æ", "a-12", "A", "12" are valid; for "aa bb cc", "b" is not; leading or
    trailing spaces fail.
    """
    if not kutsumanimi or not etunimet:
        return False
    if not all(_is_graph(ch) for ch in kutsumanimi):
        return False
    tokens: set[str] = set()
    for token in _java_split(etunimet.lower(), r"\s"):
        tokens.add(token)
        if "-" in token:
            tokens.update(token.split("-"))
    return kutsumanimi.lower() in tokens
