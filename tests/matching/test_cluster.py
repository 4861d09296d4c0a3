"""Groups and suggested masters by ONR's link rules; unlink candidates."""

from __future__ import annotations

import random
from datetime import date

import numpy as np
import pandas as pd

from onrtools.duplicates.matching import cluster, find_duplicates, unlink_candidates
from onrtools.duplicates.matching.cluster import (
    NO_IDENTIFIED,
    ONE_IDENTIFIED,
    OPH_MUST_DECIDE,
    connected_components,
)
from onrtools.register import hetu as hetu_mod

RNG = random.Random(5)


def _hetu(born: str, sex: str = "2") -> str:
    return hetu_mod.generate(RNG, birth_date=date.fromisoformat(born), sex=sex)


def _pairs(*edges: tuple[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "tunniste_l": [a for a, _ in edges],
            "tunniste_r": [b for _, b in edges],
            "decision": "match",
        }
    )


def test_connected_components_chain_and_singletons() -> None:
    labels = connected_components(np.array([0, 1, 4]), np.array([1, 2, 5]), 7)
    assert list(labels) == [0, 0, 0, 3, 4, 4, 6]


def test_one_identified_person_is_master() -> None:
    records = pd.DataFrame(
        {
            "tunniste": ["a", "b", "c"],
            "oid": ["1.2.246.562.24.1", "", "1.2.246.562.24.3"],
            "hetu": [None, _hetu("1990-01-02"), None],
        }
    )
    groups = cluster(_pairs(("a", "b"), ("b", "c")), records)
    assert set(groups["group"]) == {1}
    master = groups[groups["is_master"]]
    assert list(master["tunniste"]) == ["b"]
    assert set(groups["suggested_master"]) == {"b"}
    assert set(groups["note"]) == {ONE_IDENTIFIED}


def test_two_identified_people_oph_must_decide() -> None:
    records = pd.DataFrame(
        {"tunniste": ["a", "b"], "hetu": [_hetu("1990-01-02"), None], "yksiloity": [False, True]}
    )
    groups = cluster(_pairs(("a", "b")), records)
    assert not groups["is_master"].any()
    assert set(groups["note"]) == {OPH_MUST_DECIDE}
    assert set(groups["suggested_master"]) == {""}


def test_no_identified_prefers_record_with_oid() -> None:
    records = pd.DataFrame({"tunniste": ["a", "b"], "oid": ["", "1.2.246.562.24.9"]})
    groups = cluster(_pairs(("a", "b")), records)
    assert list(groups.loc[groups["is_master"], "tunniste"]) == ["b"]
    assert set(groups["suggested_master_oid"]) == {"1.2.246.562.24.9"}
    assert set(groups["note"]) == {NO_IDENTIFIED}


def test_review_pairs_are_not_grouped_by_default() -> None:
    records = pd.DataFrame({"tunniste": ["a", "b"]})
    pairs = _pairs(("a", "b")).assign(decision="review")
    assert cluster(pairs, records).empty
    assert len(cluster(pairs, records, decisions=("match", "review"))) == 2


def test_find_then_cluster_end_to_end() -> None:
    base = {
        "etunimet": "Eino Ilmari",
        "sukunimi": "Testiläinen",
        "syntymaaika": "1991-11-11",
        "sukupuoli": "1",
    }
    records = pd.DataFrame(
        [
            {
                **base,
                "tunniste": "r1",
                "hetu": _hetu("1991-11-11", "1"),
                "oid": "1.2.246.562.24.10",
            },
            {**base, "tunniste": "r2", "sukunimi": "Testilainen"},
            {**base, "tunniste": "r3", "etunimet": "Eino-Ilmari"},
            {
                "tunniste": "r4",
                "etunimet": "Sofia",
                "sukunimi": "Korhonen",
                "syntymaaika": "2001-01-01",
            },
        ]
    )
    groups = cluster(find_duplicates(records), records)
    assert set(groups["tunniste"]) == {"r1", "r2", "r3"}
    assert list(groups.loc[groups["is_master"], "tunniste"]) == ["r1"]


def test_unlink_candidates_flag_wrong_links() -> None:
    persons = pd.DataFrame(
        [
            {
                "oid": "m1",
                "etunimet": "Anna",
                "sukunimi": "Laine",
                "syntymaaika": "1990-05-05",
                "sukupuoli": "2",
            },
            {
                "oid": "s1",
                "etunimet": "Anna",
                "sukunimi": "Laine",
                "syntymaaika": "1990-05-05",
                "sukupuoli": "2",
            },
            {
                "oid": "m2",
                "etunimet": "Pekka",
                "sukunimi": "Aho",
                "syntymaaika": "1980-01-01",
                "sukupuoli": "1",
            },
            {
                "oid": "s2",
                "etunimet": "Liisa",
                "sukunimi": "Mäki",
                "syntymaaika": "1999-09-09",
                "sukupuoli": "2",
            },
        ]
    )
    links = pd.DataFrame({"masterOid": ["m1", "m2"], "henkiloOid": ["s1", "s2"]})
    flagged = unlink_candidates(links, persons, language="en")
    assert list(flagged["henkiloOid"]) == ["s2"]
    reason = flagged.loc[0, "reason"]
    assert "different birth dates" in reason and "different sexes" in reason
    assert "names far apart" in reason
    # the reasons are in the run's language: Finnish unless asked otherwise
    finnish = unlink_candidates(links, persons).loc[0, "reason"]
    assert "eri syntymäajat" in finnish and "eri sukupuolet" in finnish
    swedish = unlink_candidates(links, persons, language="sv").loc[0, "reason"]
    assert "olika födelsedatum" in swedish and "sannolikhet 0,00" in swedish
