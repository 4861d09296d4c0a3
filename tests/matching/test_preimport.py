"""Pre-import check of hetu-less rows against ONR's duplicate search (a fake search here)."""

from __future__ import annotations

import pandas as pd

from onrtools.duplicates.preimport import check_hetuless_rows, rows_to_send
from onrtools.onr.models import HenkiloDuplicate


class FakeOnr:
    """Answers /henkilo/duplikaatit from a fixed list, by surname, and records the calls."""

    def __init__(self, people: list[HenkiloDuplicate]) -> None:
        self.people = people
        self.calls: list[dict] = []

    def duplikaatit(
        self, *, etunimet: str, kutsumanimi: str, sukunimi: str, syntymaaika: str | None = None
    ) -> list[HenkiloDuplicate]:
        self.calls.append(
            {
                "etunimet": etunimet,
                "kutsumanimi": kutsumanimi,
                "sukunimi": sukunimi,
                "syntymaaika": syntymaaika,
            }
        )
        return [p for p in self.people if (p.sukunimi or "")[:3].lower() == sukunimi[:3].lower()]


PEOPLE = [
    HenkiloDuplicate(
        oidHenkilo="1.2.246.562.24.11111111111",
        etunimet="Anna-Liisa Maria",
        kutsumanimi="Anna-Liisa",
        sukunimi="Meikäläinen",
        syntymaaika="1995-03-07",
        sukupuoli="2",
        emails=["anna@example.fi"],
    ),
    HenkiloDuplicate(
        oidHenkilo="1.2.246.562.24.22222222222",
        etunimet="Maria",
        kutsumanimi="Maria",
        sukunimi="Virtanen",
        syntymaaika="1990-01-01",
        sukupuoli="2",
    ),
]


def test_hold_review_send() -> None:
    rows = pd.DataFrame(
        [
            {
                "tunniste": "1",
                "etunimet": "Anna Liisa Maria",
                "sukunimi": "Meikalainen",
                "syntymaaika": "1995-03-07",
                "sukupuoli": "2",
            },
            {
                "tunniste": "2",
                "etunimet": "Maria",
                "sukunimi": "Virtanen",
                "syntymaaika": "1990-10-01",
                "sukupuoli": "2",
            },
            {"tunniste": "3", "etunimet": "Pekka", "sukunimi": "Aho", "syntymaaika": "1980-01-01"},
            {"tunniste": "4", "etunimet": "Eino", "sukunimi": "Meikäläinen", "hetu": "010190-9046"},
        ]
    )
    client = FakeOnr(PEOPLE)
    checked = check_hetuless_rows(client, rows).set_index("tunniste")
    assert checked.loc["1", "action"] == "hold"
    assert checked.loc["1", "proposed_oid"] == "1.2.246.562.24.11111111111"
    assert checked.loc["2", "action"] == "review", checked.loc["2", "explanation"]
    assert checked.loc["3", "action"] == "send" and checked.loc["3", "candidates"] == 0
    assert checked.loc["4", "action"] == "send"  # has a hetu: no search made for it
    assert [c["sukunimi"] for c in client.calls] == ["Meikalainen", "Virtanen", "Aho"]
    assert client.calls[0]["kutsumanimi"] == "Anna Liisa Maria"  # falls back to etunimet
    assert list(rows_to_send(rows, checked.reset_index())["tunniste"]) == ["3", "4"]


def test_a_namesake_born_on_another_day_is_sent() -> None:
    # same names as PEOPLE[0], but a birth date that differs outright (not swapped, not one
    # part): names are all a hetu-less row has, and namesakes are common -> another person
    rows = pd.DataFrame([{"tunniste": "n1", "etunimet": "Anna-Liisa Maria",
                          "kutsumanimi": "Anna-Liisa", "sukunimi": "Meikäläinen",
                          "syntymaaika": "1971-11-23", "sukupuoli": "2"}])
    checked = check_hetuless_rows(FakeOnr(PEOPLE), rows)
    assert checked.loc[0, "action"] == "send"
    assert checked.loc[0, "candidates"] == 1
    # the same row with the candidate's birth date is held back with the OID proposed
    rows.loc[0, "syntymaaika"] = "1995-03-07"
    held = check_hetuless_rows(FakeOnr(PEOPLE), rows)
    assert held.loc[0, "action"] == "hold"
    assert held.loc[0, "proposed_oid"] == "1.2.246.562.24.11111111111"
