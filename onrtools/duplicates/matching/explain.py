"""Short human explanations of a pair's evidence, built column-wise (no loop per pair)."""

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


def _fmt(values: np.ndarray) -> pd.Series:
    return (
        pd.Series(np.round(np.nan_to_num(values), 2), dtype=float)
        .map("{:.2f}".format)
        .astype(object)
    )


def explain(comp: Comparison, rule: np.ndarray) -> np.ndarray:
    """One line per pair, e.g. "same birth date; surname Jaro-Winkler 0.96; first names share
    2 of 3"; hard rules come first."""
    lv, sim = comp.levels, comp.similarity
    n = len(comp)
    parts: list[pd.Series] = []

    def add(conditions: list[np.ndarray], texts: list[object]) -> None:
        out = pd.Series([""] * n, dtype=object)
        for cond, text in reversed(list(zip(conditions, texts, strict=True))):
            out = out.where(~pd.Series(cond), text)
        parts.append(out)

    h = lv["hetu"]
    add(
        [h == 3, h == 2, h == 1],
        ["same hetu", "hetu one character apart (typo?)", "different hetu"],
    )
    b = lv["syntymaaika"]
    add(
        [b == 4, b == 3, b == 2, b == 1],
        [
            "same birth date",
            "birth date with day and month swapped",
            "birth dates differ in one part",
            "different birth date",
        ],
    )
    s = lv["sukunimi"]
    jw = "surname Jaro-Winkler " + _fmt(sim["sukunimi"])
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
            "same surname",
            "same surname apart from å/ä/ö",
            "same surname apart from spelling",
            "surname and first names swapped",
            "one part of a double surname in common",
            jw,
            "different surname (" + jw + ")",
        ],
    )
    e = lv["etunimet"]
    nl, nr = comp.first_counts
    share = (
        "first names share "
        + pd.Series(comp.shared_first, dtype=np.int64).astype(str).astype(object)
        + " of "
        + pd.Series(np.maximum(nl, nr), dtype=np.int64).astype(str).astype(object)
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
            "same first names",
            "same first names apart from accents or hyphens",
            "same first names apart from spelling",
            "first name given as an initial or short form",
            share,
            "first names Jaro-Winkler " + _fmt(sim["etunimet"]),
            "no first name in common",
        ],
    )
    add([lv["sukupuoli"] == 1], ["different sex"])
    add([lv["sahkoposti"] == 2], ["same e-mail"])
    add([lv["passinumero"] == 2, lv["passinumero"] == 1], ["same passport", "different passport"])
    add([lv["osoite"] == 2], ["same address"])
    parts.insert(0, pd.Series(rule, dtype=object).fillna(""))
    text = pd.Series([""] * n, dtype=object)
    for part in parts:
        part = part.reset_index(drop=True)
        sep = pd.Series(np.where((text != "") & (part != ""), "; ", ""), dtype=object)
        text = text + sep + part
    return text.to_numpy(dtype=object)
