"""Short human explanations of a pair's evidence, built column-wise (no loop per pair), in
the run's language from the message catalogue (keys ``match.*``, see onrtools/i18n.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from onrtools.duplicates.matching.compare import (
    FIRST_INITIAL,
    FIRST_SKELETON,
    SURNAME_PART,
    SURNAME_SKELETON,
    SURNAME_SWAPPED,
    Comparison,
)
from onrtools.i18n import Messages, format_number


def _fmt(values: np.ndarray, language: str) -> pd.Series:
    """Similarities with two decimals, in the language's number format (0,96 in Finnish)."""
    rounded = np.round(np.nan_to_num(values), 2)
    texts = {v: format_number(float(v), language, decimals=2) for v in np.unique(rounded)}
    return pd.Series(rounded, dtype=float).map(texts).astype(object)


def explain(
    comp: Comparison, rule: np.ndarray, language: str | None = None
) -> np.ndarray:
    """One line per pair, e.g. "same birth date; surname Jaro-Winkler 0.96; first names share
    2 of 3"; hard rules (``rule``: texts, already in the language) come first. ``language``:
    fi, sv or en (else ONR_LANGUAGE, else fi)."""
    t = Messages(language)
    lang = t.language
    lv, sim = comp.levels, comp.similarity
    n = len(comp)
    parts: list[pd.Series] = []

    def add(conditions: list[np.ndarray], texts: list[object]) -> None:
        out = pd.Series([""] * n, dtype=object)
        for cond, text in reversed(list(zip(conditions, texts, strict=True))):
            out = out.where(~pd.Series(cond), text)
        parts.append(out)

    def filled(key: str, **columns: pd.Series) -> pd.Series:
        """A message with per-pair fields: the text around the fields, joined column-wise."""
        marks = {name: f"\x00{name}\x00" for name in columns}
        text = t(key, **marks)
        out = pd.Series([""] * n, dtype=object)
        for piece in text.split("\x00"):
            out = out + (columns[piece].astype(str) if piece in columns else piece)
        return out

    h = lv["hetu"]
    add(
        [h == 3, h == 2, h == 1],
        [t("match.hetu.same"), t("match.hetu.typo"), t("match.hetu.different")],
    )
    b = lv["syntymaaika"]
    add(
        [b == 4, b == 3, b == 2, b == 1],
        [
            t("match.birth.same"),
            t("match.birth.swapped"),
            t("match.birth.one_part"),
            t("match.birth.different"),
        ],
    )
    s = lv["sukunimi"]
    score = _fmt(sim["sukunimi"], lang)
    add(
        [
            s == 5,
            s == 4,
            s == SURNAME_SKELETON,
            s == SURNAME_SWAPPED,
            s == SURNAME_PART,
            (s == 3) | (s == 2),
            s == 1,
        ],
        [
            t("match.surname.same"),
            t("match.surname.accents"),
            t("match.surname.spelling"),
            t("match.surname.swapped"),
            t("match.surname.part"),
            filled("match.surname.jw", score=score),
            filled("match.surname.different", score=score),
        ],
    )
    e = lv["etunimet"]
    nl, nr = comp.first_counts
    share = filled(
        "match.first.share",
        shared=pd.Series(comp.shared_first, dtype=np.int64).astype(str),
        total=pd.Series(np.maximum(nl, nr), dtype=np.int64).astype(str),
    )
    add(
        [
            e == 6,
            e == 5,
            e == FIRST_SKELETON,
            e == FIRST_INITIAL,
            (e == 4) | (e == 3),
            e == 2,
            e == 1,
        ],
        [
            t("match.first.same"),
            t("match.first.accents"),
            t("match.first.spelling"),
            t("match.first.initial"),
            share,
            filled("match.first.jw", score=_fmt(sim["etunimet"], lang)),
            t("match.first.none"),
        ],
    )
    add([lv["sukupuoli"] == 1], [t("match.sex.different")])
    add([lv["sahkoposti"] == 2], [t("match.email.same")])
    add(
        [lv["passinumero"] == 2, lv["passinumero"] == 1],
        [t("match.passport.same"), t("match.passport.different")],
    )
    add([lv["osoite"] == 2], [t("match.address.same")])
    parts.insert(0, pd.Series(rule, dtype=object).fillna(""))
    text = pd.Series([""] * n, dtype=object)
    for part in parts:
        part = part.reset_index(drop=True)
        sep = pd.Series(np.where((text != "") & (part != ""), "; ", ""), dtype=object)
        text = text + sep + part
    return text.to_numpy(dtype=object)
