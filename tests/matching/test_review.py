"""Review decisions: saved at once, resumed after a restart, latest decision wins."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from onrtools.duplicates.review import ReviewSession, ReviewStore, pair_key


def _pairs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "tunniste_l": ["a", "c", "e", "g"],
            "tunniste_r": ["b", "d", "f", "h"],
            "probability": [0.99, 0.45, 0.2, 0.005],
            "explanation": ["same birth date"] * 4,
        }
    )


def _records() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "tunniste": list("abcdefgh"),
            "etunimet": ["Anna"] * 8,
            "sukunimi": ["Laine", "Laine", "Aho", "Aho", "Mäki", "Maki", "X", "Y"],
            "hetu": ["010190-9046"] + [None] * 7,
        }
    )


def test_store_round_trip_keeps_history(tmp_path: Path) -> None:
    store = ReviewStore.for_workspace(tmp_path)
    store.record("a", "b", "unsure", reviewer="maija", note="check passport")
    store.record("b", "a", "same", reviewer="pekka")
    latest = store.latest()
    assert len(latest) == 1
    assert latest.loc[0, "decision"] == "same" and latest.loc[0, "reviewer"] == "pekka"
    assert latest.loc[0, "decided_at"].endswith("+00:00")
    assert len(store.history()) == 2
    with sqlite3.connect(tmp_path / "review" / "decisions.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == 2


def test_store_refuses_bad_input(tmp_path: Path) -> None:
    store = ReviewStore.for_workspace(tmp_path)
    with pytest.raises(ValueError, match="decision"):
        store.record("a", "b", "maybe", reviewer="maija")
    with pytest.raises(ValueError, match="reviewer"):
        store.record("a", "b", "same", reviewer=" ")


def test_session_resumes_at_first_undecided(tmp_path: Path) -> None:
    session = ReviewSession(tmp_path, _pairs(), _records(), reviewer="maija")
    assert session.progress() == (1, 4, 0)
    session.decide("same")
    session.decide("different", note="different passports")
    assert session.progress() == (3, 4, 2)
    # a kernel restart: a new session over the same workspace
    again = ReviewSession(tmp_path, _pairs(), _records(), reviewer="maija")
    assert again.progress() == (3, 4, 2)
    assert again.current()["tunniste_l"] == "e"
    decided = again.decisions().set_index("tunniste_l")
    assert decided.loc["a", "review_decision"] == "same"
    assert decided.loc["c", "note"] == "different passports"
    assert decided.loc["e", "review_decision"] == ""


def test_band_filter_and_html(tmp_path: Path) -> None:
    session = ReviewSession(
        tmp_path, _pairs(), _records(), reviewer="maija", band="review (0.01-0.5)"
    )
    assert list(session.visible()["tunniste_l"]) == ["c", "e"]
    session.set_band("match (>= 0.5)")
    page = session.comparison_html()
    assert "010190-****" in page and "010190-9046" not in page
    session.set_band("all")
    session.position = 2
    assert "onr-diff" in session.comparison_html()  # Mäki vs Maki highlighted


def test_widget_buttons_save_immediately(tmp_path: Path) -> None:
    session = ReviewSession(tmp_path, _pairs(), _records(), reviewer="maija", language="en")
    ui = session.widget()
    buttons = {
        b.description: b
        for box in ui.children
        if hasattr(box, "children")
        for b in box.children
        if hasattr(b, "on_click")
    }
    buttons["Same"].click()
    assert ReviewStore.for_workspace(tmp_path).latest()["pair_key"].tolist() == [pair_key("a", "b")]
    assert "Pair 2 of 4" in session._widgets["progress"].value


def test_side_by_side_shows_both_records_highlights_differences_masks_hetu(
        tmp_path: Path) -> None:
    from onrtools.duplicates.review import side_by_side, with_decisions

    records = _records()
    records.loc[1, "hetu"] = "010190-9046"
    ReviewStore.for_workspace(tmp_path).record("e", "f", "same", reviewer="maija")
    pairs = with_decisions(ReviewStore.for_workspace(tmp_path),
                           _pairs().assign(decision=["match", "review", "review", "no match"]))
    view = side_by_side(pairs, records)
    assert list(view.columns) == ["pair", "probability", "matcher", "review", "differs",
                                  "records", "explanation"]
    by_pair = view.set_index("pair")
    assert list(by_pair["review"]) == ["open", "open", "same", "open"]
    assert by_pair.loc["e / f", "differs"] == "sukunimi"  # Mäki vs Maki
    assert by_pair.loc["a / b", "differs"] == ""  # same hetu, same names
    page = by_pair.loc["e / f", "records"]
    assert "<td>Mäki</td><td>Maki</td>" in page and 'class="onr-diff"' in page
    first = by_pair.loc["a / b", "records"]
    assert first.count("010190-****") == 2 and "9046" not in first and "onr-diff" not in first
    shown = side_by_side(pairs, records, show_hetu=True).loc[0, "records"]
    assert "010190-9046" in shown  # only when a parameter asks for it
    # values are escaped: a register cell cannot inject markup into the page
    records.loc[6, "sukunimi"] = "<script>x</script>"
    assert "<script>" not in side_by_side(pairs, records).loc[3, "records"]
    empty = side_by_side(pairs.iloc[:0], records)
    assert empty.empty and "records" in empty.columns


def test_the_widget_and_the_pair_tables_speak_the_language(tmp_path: Path) -> None:
    from onrtools.duplicates.review import side_by_side

    sv = ReviewSession(tmp_path, _pairs(), _records(), reviewer="maija", language="sv")
    ui = sv.widget()
    labels = {b.description for box in ui.children if hasattr(box, "children")
              for b in box.children if hasattr(b, "on_click")}
    assert {"Samma", "Olika", "Osäker", "◀ föregående", "nästa ▶"} <= labels
    assert sv._widgets["progress"].value == "Par 1 av 4 · avgjort 0 av 4"
    assert "<th>vänster</th><th>höger</th>" in sv.comparison_html()
    fi = ReviewSession(tmp_path, _pairs(), _records(), reviewer="maija")  # Finnish by default
    assert fi._widgets == {} and fi._progress_text() == "Pari 1/4 · päätetty 0/4"
    view = side_by_side(_pairs(), _records(), language="en")
    assert "<th>left</th><th>right</th>" in view["records"].iloc[0]
