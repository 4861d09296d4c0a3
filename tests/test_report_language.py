"""What the audit of a Swedish demo run (issue #14, point 3) found in English or in English
number formats, one test per fix, and a guard that renders the report pieces built outside
the notebooks in Swedish and looks for English left in them."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from onrtools.figures import number_formatter, percent_formatter
from onrtools.pipeline import display
from onrtools.pipeline.report import render_index
from onrtools.pipeline.run import PipelineRun, StepResult
from onrtools.reconcile import name_difference

NBSP = "\xa0"  # Babel's group separator in fi and sv

# what a demo run's facts look like (the numbers are large enough to need grouping)
FACTS = {
    "validate": {"register_file": "register.csv", "rows_read": 10000, "rows_to_send": 9850,
                 "rows_rejected": 150, "errors": 150, "warnings": 1200,
                 "by_code": {"hetu.duplicate": 1100, "invalid.hetu": 100}},
    "import": {"rows_sent": 9850, "rows_skipped": 0, "tuonti_ids": [1, 2],
               "rows with an import result": 9850, "with oppijanumero": 9540, "conflicts": 0},
    "reconcile": {"by_category": {"store_oppijanumero": 9480, "never_sent": 150}},
    "changes": {"persons_changed": 1146, "merged": 11},
    "duplicates": {"people_checked": 50, "onr_candidates": 14, "register_pairs": 111},
    "links": {"links_checked": 1061, "flagged": 10},
    "requests": {"merge_requests": 10, "unlink_requests": 10},
    "audit": {"ledger": "verified", "manifest_seq": 4, "runs_in_ledger": 2,
              "kpis": {"share_with_oppijanumero": 0.969, "unidentified_open": 1309}},
}
# English a Swedish page must not hold (words of the catalogue's English side and of the
# libraries' defaults); matched as whole words in the visible text
ENGLISH = ("verified", "BROKEN", "missing", "rows", "more", "not shown", "the", "and", "of",
           "with", "run")


def _index(language: str, tmp_path: Path) -> str:
    steps = [StepResult("10-validate-register", "ok", duration_s=2.94),
             StepResult("30-reconcile", "ok", duration_s=1234.5)]
    run = PipelineRun("r", "2026-12-04T19:38:01Z", {"language": language}, steps, status="ok")
    return render_index(tmp_path, run.to_json(), FACTS)


def _visible(page: str) -> str:
    page = re.sub(r"<(script|style|title)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"<[^>]+>", " ", page)


def test_the_index_writes_numbers_and_the_ledger_verdict_in_swedish(tmp_path: Path) -> None:
    sv = _index("sv", tmp_path)
    assert f"<td class=n>10{NBSP}000</td>" in sv  # rows read, not 10000
    assert f"<td class=n>9{NBSP}480</td>" in sv  # an action list's rows
    assert f"150 / 1{NBSP}200" in sv and f"1{NBSP}061 / 10" in sv
    assert "2,9 s" in sv and f"1{NBSP}234,5 s" in sv  # step durations, not 2.9 s
    assert "<td>bevisliggaren</td><td class=n>verifierad</td>" in sv
    assert "<td class=n>register.csv</td>" in sv  # a file name stays as it is
    fi = _index("fi", tmp_path)
    assert "<td>todistuskirjanpito</td><td class=n>varmennettu</td>" in fi and "2,9 s" in fi
    en = _index("en", tmp_path)
    assert "<td class=n>10,000</td>" in en and "2.9 s" in en and ">verified</td>" in en


def test_a_broken_ledger_is_said_in_the_language(tmp_path: Path) -> None:
    facts = {"audit": {"ledger": "BROKEN"}}
    run = PipelineRun("r", "t", {"language": "sv"}, [], status="ok").to_json()
    assert "<td class=n>TRASIG</td>" in render_index(tmp_path, run, facts)


def test_no_english_left_on_the_swedish_index(tmp_path: Path) -> None:
    text = _visible(_index("sv", tmp_path))
    found = [w for w in ENGLISH if re.search(rf"(?<![\w.-]){re.escape(w)}(?![\w.-])", text)]
    assert not found, found


def test_file_sizes_in_the_language(tmp_path: Path) -> None:
    big = tmp_path / "actions.xlsx"
    big.write_bytes(b"x" * (1147 * 1024 + 10))
    small = tmp_path / "a.csv"
    small.write_bytes(b"x" * 316)
    assert display._size(big, "sv") == f"1{NBSP}147,0 kB"
    assert display._size(big, "en") == "1,147.0 kB"
    assert display._size(small, "sv") == "316 B"
    assert display._size(tmp_path / "gone.csv", "sv") == "saknas"
    assert display._size(tmp_path / "gone.csv", "fi") == "puuttuu"
    assert f"(1{NBSP}147,0 kB)" in display.full_list_html([big], language="sv")
    assert "(1 147,0 kB)" not in display.download_links([big], language="en").data


def test_the_static_preview_says_what_it_leaves_out_in_the_language() -> None:
    """Before (or without) JavaScript the page shows itables' plain preview, whose note under
    it was English: "(9,825 more rows not shown)"."""
    frame = pd.DataFrame({"a": range(2040)})
    sv = display.datatable_html(frame, language="sv")
    assert f"(2{NBSP}015 rader till visas inte här)" in sv and "not shown" not in sv
    fi = display.datatable_html(frame, language="fi")
    assert f"(2{NBSP}015 riviä lisää ei näy tässä)" in fi
    one = display.datatable_html(pd.DataFrame({"a": range(26)}), language="sv")
    assert "(1 rad till visas inte här)" in one
    assert "(2,015 more rows not shown)" in display.datatable_html(frame, language="en")


def test_name_difference_writes_the_similarity_as_the_language_does() -> None:
    local, onr = {"sukunimi": "Heinonen"}, {"sukunimi": "Lehtinen"}
    sv, low = name_difference(local, onr, "sv")
    assert re.fullmatch(r"sukunimi: Heinonen → Lehtinen \(JW 0,\d\d\)", sv) and low < 1
    assert re.fullmatch(r"sukunimi: Heinonen → Lehtinen \(JW 0\.\d\d\)",
                        name_difference(local, onr)[0])  # English without a language


def test_reconcile_details_follow_the_language() -> None:
    from onrtools.reconcile import persons_from_masters, reconcile
    from tests.test_reconcile import HETU_A, local, master, oid, result

    register = pd.DataFrame([local("t1", hetu=HETU_A, sukunimi="Virtane", oppijanumero=oid(1))])
    persons = persons_from_masters({oid(1): master(oid(1))})
    rec = reconcile(register, results=pd.DataFrame([result("t1", oid(1))]), persons=persons,
                    language="sv")
    detail = rec.lists()["name_differs"].iloc[0]["detail"]
    assert re.search(r"\(JW 0,\d\d\)", detail) and "(JW 0." not in detail


@pytest.mark.parametrize(("language", "values", "expected"), [
    ("sv", [9000, 0.5, 0.25, 120], [f"9{NBSP}000", "0,5", "0,25", "120"]),
    ("fi", [12345.0], [f"12{NBSP}345"]),
    ("en", [9000, 0.5], ["9,000", "0.5"]),
])
def test_plot_axes_write_numbers_as_the_language_does(language: str, values: list[float],
                                                      expected: list[str]) -> None:
    formatter = number_formatter(language)
    assert [formatter(v, 0) for v in values] == expected


@pytest.mark.parametrize(("language", "expected"), [
    ("sv", [f"20{NBSP}%", f"100{NBSP}%"]),
    ("fi", [f"20{NBSP}%", f"100{NBSP}%"]),
    ("en", ["20%", "100%"]),
])
def test_plot_axes_write_shares_as_the_language_does(language: str, expected: list[str]) -> None:
    formatter = percent_formatter(language)
    assert [formatter(v, 0) for v in (0.2, 1.0)] == expected


def test_the_count_chart_labels_its_bars_in_the_language() -> None:
    fig = display.plot_counts(pd.Series({"Nytt studentnummer att spara": 9480}),
                              language="sv")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == [f" 9{NBSP}480"]
    fig.canvas.draw()
    ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert f"8{NBSP}000" in ticks and "8000" not in ticks


def test_the_pair_tables_read_in_the_language() -> None:
    """50-duplicates' pairs and links: headers, the matcher's verdict, the reviewer's decision
    and the probability were English (pair, matcher, review, match, same, 0.998)."""
    from onrtools.duplicates.review import side_by_side
    from onrtools.pipeline.step50_duplicates import decision_word, for_page, records_column

    pairs = pd.DataFrame({"tunniste_l": ["a", "c"], "tunniste_r": ["b", "d"],
                          "probability": [0.9981, 0.5], "decision": ["match", "non-match"],
                          "review_decision": ["different", ""], "explanation": ["x", "y"]})
    records = pd.DataFrame({"tunniste": list("abcd"), "sukunimi": ["Mäki", "Maki", "A", "A"]})
    sv = for_page(side_by_side(pairs, records, language="sv"), "sv")
    assert list(sv.columns) == ["par", "sannolikhet", "matcharens bedömning",
                                "granskarens beslut", "fält som skiljer sig", "posterna",
                                "underlag"]
    assert list(sv["sannolikhet"]) == ["0,998", "0,500"]
    assert list(sv["matcharens bedömning"]) == ["samma person", "olika personer"]
    assert list(sv["granskarens beslut"]) == ["olika", "öppen"]
    assert records_column("sv") == "posterna" and "<table" in sv["posterna"].iloc[0]
    assert list(for_page(side_by_side(pairs, records), "fi")["tarkistajan päätös"]) == [
        "eri", "avoin"]
    assert decision_word("unsure", "sv") == "osäker" and decision_word("odd", "sv") == "odd"
    en = for_page(side_by_side(pairs, records), "en")
    assert "pair" in en.columns and list(en["review"]) == ["different", "open"]


def test_the_import_batches_read_in_the_language() -> None:
    """20-import-tuonti's batch table said batch, rows, state, sends, restarts and 'done'."""
    from onrtools.onr.batch_import import ImportOutcome
    from onrtools.pipeline.step20_import import ImportStep

    outcome = ImportOutcome("r", "oppija", pd.DataFrame(), [
        {"batch": 0, "rows": 25, "state": "done", "tuonti_id": 5, "sends": 1, "restarts": 0,
         "resolved": None}])
    sv = ImportStep(pd.DataFrame(), pd.DataFrame(), outcome, language="sv").batches()
    assert list(sv.columns) == ["omgång", "rader", "status", "importens id", "sändningar",
                                "omstarter", "utrett"]
    assert sv.loc[0, "status"] == "klar"
    fi = ImportStep(pd.DataFrame(), pd.DataFrame(), outcome).batches()
    assert fi.loc[0, "tila"] == "valmis"
    assert ImportStep(pd.DataFrame(), pd.DataFrame()).batches().empty


def test_the_merge_package_says_why_that_master_in_the_language(tmp_path: Path) -> None:
    """merge_request.csv/.xlsx held the clustering's English note ("the only hetu-bearing or
    identified person is master (ONR rule)") in a Swedish package."""
    from onrtools.duplicates.matching.cluster import (
        NO_IDENTIFIED,
        ONE_IDENTIFIED,
        OPH_MUST_DECIDE,
    )
    from onrtools.duplicates.request_packages import write_merge_requests
    from tests.matching.test_request_packages import _records, _reviewed

    def notes_in(language: str) -> set[str]:
        paths = write_merge_requests(tmp_path / language, _reviewed(), _records(),
                                     language=language)
        frame = pd.read_csv(paths["csv"], encoding="utf-8-sig", dtype=str)
        return set(frame["master_note"])

    sv = notes_in("sv")
    assert sv and sv <= {"den enda personen med personbeteckning eller identifiering är "
                         "huvudperson (ONR:s regel)", "Utbildningsstyrelsen (OPH) måste avgöra: "
                         "fler än en person har personbeteckning eller identifiering",
                         "ingen är identifierad: vem som helst kan vara huvudperson; den "
                         "fullständigaste posten föreslås"}
    assert notes_in("en") <= {ONE_IDENTIFIED, OPH_MUST_DECIDE, NO_IDENTIFIED}


def test_the_filter_widget_speaks_the_language(monkeypatch: pytest.MonkeyPatch) -> None:
    """A notebook opened by hand (interactive) showed "(all)", "contains", "3 of 3 rows." and
    "N more rows in the files." whatever the language."""
    frame = pd.DataFrame({"category": ["never_sent"] * 3, "tunniste": ["a", "b", "c"]})
    shown: list[str] = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj.data))
    box = display.table(frame, interactive=True, limit=2, language="sv")
    dropdown, search = box.children[0].children
    assert dropdown.label == "(alla)" and dropdown.value == "(all)"
    assert search.description == "innehåller" and search.placeholder == "tunniste, oid, namn…"
    assert display._html_table(frame, 2, "sv").endswith("<p>1 rad till finns i filerna.</p>")
    assert display._html_table(frame, 1, "sv").endswith("<p>2 rader till finns i filerna.</p>")
    assert any("<p>3 av 3 rader.</p>" in page for page in shown)
    en = display.filter_widget(frame, language="en").children[0].children[0]
    assert en.label == "(all)"


def test_the_kpi_trend_has_no_english_month_names_and_decimal_commas() -> None:
    """Daily runs put dates on the x axis: matplotlib wrote "Dec", "Jan"; the y axis of
    hours wrote 0.5 on a Swedish page."""
    from onrtools.evidence.trend import plot_trends

    days = pd.date_range("2026-11-20", periods=20, freq="D", tz="UTC")
    frame = pd.DataFrame({"run_id": [f"r{i}" for i in range(20)], "started_at": days,
                          "feed_lag_hours_median": [0.1 * (i % 6) for i in range(20)]})
    fig = plot_trends(frame, ["feed_lag_hours_median"], language="sv")
    fig.canvas.draw()
    ax = fig.axes[0]
    x = " ".join(t.get_text() for t in ax.get_xticklabels()) + ax.xaxis.get_offset_text(
        ).get_text()
    assert not re.search(r"Nov|Dec|Jan", x), x
    y = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert any("," in v for v in y) and not any("." in v for v in y), y


def test_page_tables_write_booleans_and_decimals_in_the_language() -> None:
    """The import results and the action lists showed True/False, 5.0 and 0.72 on a Swedish
    page."""
    frame = pd.DataFrame({"conflict": [False, True], "tuonti_id": [5.0, None],
                          "score": [0.72, 1234.5], "tunniste": ["a", "b"]})
    def cells(language: str) -> list[str]:  # the static preview's cells (same as the JSON's)
        page = display.datatable_html(frame, language=language)
        return re.findall(r"<td[^>]*>([^<]*)</td>", page)

    assert cells("sv") == ["nej", "5", "0,72", "a", "ja", "", f"1{NBSP}234,5", "b"]
    assert cells("en") == ["no", "5", "0.72", "a", "yes", "", "1,234.5", "b"]


def test_onr_validate_totals_group_thousands(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """`onr validate --language sv` said "Rader 10000"."""
    from onrtools.register.validation import main

    rows = ["tunniste;oid;hetu;passinumero;sahkoposti;etunimet;kutsumanimi;sukunimi;"
            "syntymaaika;sukupuoli;aidinkieli;kansalaisuus"]
    rows += [f"t{i};;;P{i};;Aino;Aino;Virtanen;1990-01-01;2;FI;752" for i in range(1200)]
    path = tmp_path / "r.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    main([str(path), "--language", "sv", "--limit", "0"])
    assert f"Rader 1{NBSP}200," in capsys.readouterr().out
    main([str(path), "--language", "en", "--limit", "0"])
    assert "Rows 1,200," in capsys.readouterr().out
