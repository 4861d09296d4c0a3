"""KPIs per run, their trend from the ledger, comparisons, plots and open items by age."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.figure import Figure

from onrtools.evidence import EvidenceRecorder
from onrtools.evidence.kpi import HEADLINE, KPIS, compute_kpis, kpi_table
from onrtools.evidence.open_items import open_items_by_age, track_open_items
from onrtools.evidence.trend import compare_in_words, compare_last, plot_trends, trend_frame
from onrtools.evidence.verify import verify_ledger

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def actions_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "category": [
                "manual_identification",
                "manual_identification",
                "manual_identification",
                "row_conflict",
                "store_oppijanumero",
                "never_sent",
            ],
            "tunniste": ["t1", "t2", "t3", "t4", "t5", "t6"],
            "oid": [
                "1.2.246.562.24.1",
                "1.2.246.562.24.2",
                "",
                "1.2.246.562.24.4",
                "1.2.246.562.24.5",
                "",
            ],
            "local_hetu": ["010594Y****", "", None, "020504B****", "x", ""],
        }
    )


def test_kpis_from_every_input() -> None:
    people = pd.DataFrame(
        {"oppijanumero": ["1.2.246.562.24.1", None, "", "1.2.246.562.24.4", float("nan")]}
    )
    reviews = pd.DataFrame({"decision": ["same", None, "unsure", "different", ""]})
    validation = pd.DataFrame(
        {
            "code": ["hetu.invalid", "hetu.invalid", "kutsumanimi", "x"],
            "severity": ["error", "error", "error", "warning"],
        }
    )
    changes = pd.DataFrame(
        {
            "muokattu": [
                int((NOW - timedelta(hours=2)).timestamp() * 1000),
                int((NOW - timedelta(hours=6)).timestamp() * 1000),
                int((NOW - timedelta(hours=10)).timestamp() * 1000),
            ]
        }
    )
    imports = pd.DataFrame(
        {
            "imported_at": [NOW - timedelta(hours=5), NOW - timedelta(hours=1), NOW],
            "identified_at": [NOW - timedelta(hours=4), NOW, pd.NaT],
        }
    )
    kpis = compute_kpis(
        people=people,
        actions=actions_frame(),
        reviews=reviews,
        validation=validation,
        changes=changes,
        imports=imports,
        now=NOW,
    )
    assert kpis["people"] == 5 and kpis["with_oppijanumero"] == 2
    assert kpis["share_with_oppijanumero"] == pytest.approx(0.4)
    assert kpis["unidentified_open"] == 3
    assert kpis["hetuless_open"] == 2  # "" and None; a masked hetu is a hetu
    assert kpis["conflicts"] == 1
    assert kpis["reconcile.never_sent"] == 1 and kpis["reconcile.store_oppijanumero"] == 1
    assert (kpis["duplicates_open"], kpis["duplicates_decided"]) == (3, 2)
    assert kpis["validation_errors"] == 3
    assert kpis["validation.hetu.invalid"] == 2 and "validation.x" not in kpis
    assert kpis["import_to_identification_hours_median"] == pytest.approx(1.0)
    assert kpis["change_feed_lag_hours_median"] == pytest.approx(6.0)
    assert kpis["change_feed_lag_hours_max"] == pytest.approx(10.0)
    assert math.isnan(kpis["unidentified_oldest_days"])  # no open_items given
    table = kpi_table(kpis)
    assert list(table.columns) == ["kpi", "value"] and len(table) == len(kpis)


def test_missing_inputs_give_nan_not_guesses() -> None:
    kpis = compute_kpis(now=NOW)
    for name in HEADLINE:
        assert math.isnan(kpis[name]), name
    # missing columns are as good as missing frames
    kpis = compute_kpis(
        people=pd.DataFrame({"x": [1]}),
        actions=pd.DataFrame({"tunniste": [1]}),
        reviews=pd.DataFrame({"pair": [1]}),
        changes=pd.DataFrame({"a": [1]}),
    )
    assert math.isnan(kpis["share_with_oppijanumero"]) and math.isnan(kpis["conflicts"])
    assert math.isnan(kpis["duplicates_open"]) and math.isnan(kpis["change_feed_lag_hours_max"])
    # an empty register is not a 0 % share
    assert math.isnan(
        compute_kpis(people=pd.DataFrame({"oppijanumero": []}))["share_with_oppijanumero"]
    )


def test_fallbacks_imports_for_people_mapping_for_validation() -> None:
    imports = pd.DataFrame({"oppijanumero": ["a", None, "c"], "conflict": [True, False, None]})
    kpis = compute_kpis(imports=imports, validation={"hetu.invalid": 4, "x": 1})
    assert kpis["share_with_oppijanumero"] == pytest.approx(2 / 3)
    assert kpis["conflicts"] == 1  # from the import's conflict flags when no action lists
    assert kpis["validation_errors"] == 5 and kpis["validation.x"] == 1


def test_open_items_keep_their_first_seen_date_across_runs(tmp_path: Path) -> None:
    actions = actions_frame()
    first = track_open_items(tmp_path, actions, now=NOW - timedelta(days=40))
    assert len(first) == 5  # store_oppijanumero is not an open item
    assert (first["age_days"] == 0).all()
    later = actions[actions["tunniste"] != "t2"]  # t2 got identified
    later = pd.concat(
        [
            later,
            pd.DataFrame(
                {
                    "category": ["manual_identification"],
                    "tunniste": ["t9"],
                    "oid": [""],
                    "local_hetu": [""],
                }
            ),
        ]
    )
    items = track_open_items(tmp_path, later, now=NOW)
    ages = dict(zip(items["tunniste"], items["age_days"], strict=True))
    assert ages["t1"] == pytest.approx(40) and ages["t9"] == 0 and "t2" not in ages
    kpis = compute_kpis(actions=later, open_items=items, now=NOW)
    assert kpis["unidentified_oldest_days"] == pytest.approx(40)
    assert kpis["hetuless_oldest_days"] == pytest.approx(40)  # t3 has no hetu
    # t2 waited 40 days for identification: the history gives the time to identification
    assert items.attrs["closed"] == [{"category": "manual_identification", "days_open": 40.0}]
    assert kpis["import_to_identification_hours_median"] == pytest.approx(40 * 24)
    # t2 comes back: its age starts again
    again = track_open_items(tmp_path, actions, now=NOW + timedelta(days=1))
    assert dict(zip(again["tunniste"], again["age_days"], strict=True))["t2"] == 0
    state = (tmp_path / "kpi" / "open_items.json").read_text()
    assert "010594Y" not in state  # only category|tunniste and a time
    empty = track_open_items(tmp_path, pd.DataFrame(columns=["category"]), now=NOW)
    assert empty.empty and list(empty.columns) == [
        "category",
        "tunniste",
        "oid",
        "hetuless",
        "first_seen",
        "age_days",
    ]
    assert len(empty.attrs["closed"]) == 5  # everything closed


def test_open_items_by_age_bands(tmp_path: Path) -> None:
    items = pd.DataFrame({"category": ["a", "a", "a", "b"], "age_days": [1.0, 10.0, 100.0, 7.0]})
    table = open_items_by_age(items)
    assert list(table.columns) == ["0-7 d", "7-30 d", "30-90 d", ">90 d", "total", "oldest_days"]
    assert table.loc["a"].tolist()[:5] == [1, 1, 0, 1, 3]
    assert table.loc["b", "7-30 d"] == 1  # bands include their left edge
    assert table.loc["a", "oldest_days"] == 100.0
    assert open_items_by_age(pd.DataFrame(columns=["category", "age_days"])).empty


def record_runs(workspace: Path, values: list[float]) -> None:
    for i, share in enumerate(values):
        with EvidenceRecorder.for_run(f"run-{i}", workspace) as rec:
            rec.add_counts("validation", {"hetu.invalid": i})
            rec.add_kpis(
                {
                    "share_with_oppijanumero": share,
                    "conflicts": 3 - i,
                    "duplicates_open": float("nan"),
                }
            )


def test_trend_frame_one_row_per_run_from_the_ledger(tmp_path: Path) -> None:
    record_runs(tmp_path, [0.5, 0.7, 0.6])
    with EvidenceRecorder.for_run("run-1", tmp_path) as rec:  # a resumed run: latest wins
        rec.add_kpis({"share_with_oppijanumero": 0.75, "conflicts": 1})
    frame = trend_frame(tmp_path)
    assert frame["run_id"].tolist() == ["run-0", "run-2", "run-1"]  # by start time
    assert frame["share_with_oppijanumero"].tolist() == [0.5, 0.6, 0.75]
    assert frame.loc[frame["run_id"] == "run-1", "attempt"].item() == 2
    assert frame["duplicates_open"].isna().all()  # NaN went in as null, comes back NaN
    assert frame["counts.validation.hetu.invalid"].tolist()[:2] == [0, 2]
    assert str(frame["started_at"].dtype).startswith("datetime64")
    for name in HEADLINE:
        assert name in frame.columns
    assert verify_ledger(tmp_path).ok


def test_trend_frame_of_an_empty_workspace(tmp_path: Path) -> None:
    frame = trend_frame(tmp_path)
    assert frame.empty and "share_with_oppijanumero" in frame.columns
    assert isinstance(plot_trends(frame), Figure)
    table = compare_last(frame)
    assert (table["verdict"] == "n/a").all()


def test_compare_last_says_better_or_worse_by_direction(tmp_path: Path) -> None:
    record_runs(tmp_path, [0.5, 0.7])
    table = compare_last(trend_frame(tmp_path))
    row = table.loc["share_with_oppijanumero"]
    assert (row["previous"], row["this_run"]) == (0.5, 0.7)
    assert row["change"] == pytest.approx(0.2) and row["verdict"] == "better"
    assert table.loc["conflicts", "verdict"] == "better"  # 3 -> 2: fewer conflicts
    assert table.loc["duplicates_open", "verdict"] == "n/a"
    single = compare_last(trend_frame(tmp_path).iloc[:1])
    assert math.isnan(single.loc["share_with_oppijanumero", "previous"])


def test_plot_trends_draws_a_panel_per_kpi(tmp_path: Path) -> None:
    record_runs(tmp_path, [0.5, 0.7, 0.9])
    frame = trend_frame(tmp_path)
    fig = plot_trends(frame, ["share_with_oppijanumero", "conflicts", "duplicates_open"],
                      language="en")
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == [
        "People with an oppijanumero",
        "Rows in conflict with ONR (rows)",
        "Suspected duplicates to review (pairs)",
    ]
    ys = visible[0].lines[0].get_ydata()
    assert list(ys) == [0.5, 0.7, 0.9]
    assert any(t.get_text() == "no data" for t in visible[2].texts)
    fig.savefig(tmp_path / "trend.png")
    assert (tmp_path / "trend.png").stat().st_size > 1000
    # daily runs over weeks get a date axis
    frame["started_at"] = [
        datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=10 * i) for i in range(3)
    ]
    assert isinstance(plot_trends(frame), Figure)


def test_compare_in_words_has_labels_units_and_tolerances(tmp_path: Path) -> None:
    record_runs(tmp_path, [0.9682051, 0.9684])
    words = compare_in_words(trend_frame(tmp_path), "en")
    assert list(words.index) == [spec.label("en") for spec in KPIS.values()]
    share = words.loc["People with an oppijanumero"]
    assert (share["previous run"], share["this run"]) == ("96.8 %", "96.8 %")
    assert share["change"] == "0.0 pp" and share["verdict"] == "unchanged"  # within 0.1 pp
    conflicts = words.loc["Rows in conflict with ONR"]
    assert (conflicts["previous run"], conflicts["this run"], conflicts["verdict"]) == \
        ("3 rows", "2 rows", "better")
    text = words.to_string()
    assert not re.search(r"\de[-+]\d", text), text  # no scientific notation
    assert "share_with_oppijanumero" not in text


def test_compare_in_words_in_finnish_by_default_and_in_swedish(tmp_path: Path) -> None:
    record_runs(tmp_path, [0.9682051, 0.9684])
    fi = compare_in_words(trend_frame(tmp_path))
    assert fi.index.name == "Mittari"
    share = fi.loc["Henkilöitä, joilla on oppijanumero"]
    assert share["tämä ajo"] == "96,8 %" and share["arvio"] == "ennallaan"
    assert fi.loc["Rivejä konfliktissa ONR:n kanssa", "arvio"] == "parempi"
    sv = compare_in_words(trend_frame(tmp_path), "sv")
    conflicts = sv.loc["Rader i konflikt med ONR"]
    assert (conflicts["denna körning"], conflicts["bedömning"]) == ("2 rader", "bättre")
    assert sv.loc["Personer med studentnummer", "oförändrad inom"] == "0,1 procentenheter"


def test_kpi_spec_formats() -> None:
    days = KPIS["unidentified_oldest_days"]
    en = {"language": "en"}
    assert days.format(30.0002, **en) == "30.0 days" and days.format(float("nan")) == "–"
    assert KPIS["change_feed_lag_hours_median"].format(-0.5, signed=True, **en) == "-0.5 hours"
    assert KPIS["share_with_oppijanumero"].format(0.004, signed=True, **en) == "+0.4 pp"
    assert KPIS["change_feed_lag_hours_median"].format(-0.0001, signed=True, **en) == \
        "0.0 hours"
    assert KPIS["share_with_oppijanumero"].tolerance_text("en") == "0.1 pp"
    assert days.format(30.0002) == "30,0 päivää"  # Finnish unless told otherwise
    assert KPIS["conflicts"].format(12345, language="en") == "12,345 rows"
    # one of a count is singular; a measured 1.0 stays plural
    assert [KPIS["conflicts"].format(1, language=lang) for lang in ("fi", "sv", "en")] == \
        ["1 rivi", "1 rad", "1 row"]
    assert KPIS["duplicates_open"].format(-1, signed=True, language="en") == "-1 pair"
    assert days.format(1.0, language="sv") == "1,0 dagar"
    assert KPIS["conflicts"].tolerance_text("en") == "any change counts"
