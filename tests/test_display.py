"""onrtools.display: masking, filtering, files and plots the notebooks show."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from onrtools import display

FRAME = pd.DataFrame({
    "category": ["never_sent", "store_oppijanumero", "never_sent"],
    "tunniste": ["t1", "t2", "t3"],
    "local_hetu": ["010190-990U", None, ""],
    "detail": ["=HYPERLINK(\"x\")", "+358 40", "ok"],
    "linked": [["a", "b"], [], None],
})


def test_masking_is_the_default_and_files_never_show_a_hetu(tmp_path: Path) -> None:
    shown = display.masked(FRAME)
    assert list(shown["local_hetu"].fillna("<NA>")) == ["010190-****", "<NA>", ""]
    assert display.masked(FRAME, show_hetu=True)["local_hetu"][0] == "010190-990U"
    csv = display.write_csv(FRAME, tmp_path / "a.csv", show_hetu=False)
    text = csv.read_text(encoding="utf-8-sig")
    assert "010190-990U" not in text and "010190-****" in text
    assert "'=HYPERLINK" in text and "'+358 40" in text  # formulas neutralised
    assert "a, b" in text  # lists flattened
    xlsx = display.write_xlsx({"lists": FRAME}, tmp_path / "a.xlsx")
    import zipfile

    with zipfile.ZipFile(xlsx) as z:
        body = "".join(z.read(n).decode() for n in z.namelist())
    assert "010190-990U" not in body and "010190-****" in body


def test_filtering_by_choice_and_text() -> None:
    assert list(display.filtered(FRAME, {"category": "never_sent"})["tunniste"]) == ["t1", "t3"]
    assert list(display.filtered(FRAME, {"category": "(all)"}, "T2")["tunniste"]) == ["t2"]
    assert display.filtered(FRAME, {"category": "never_sent"}, "t2").empty


def test_table_widget_and_static_preview() -> None:
    box = display.table(FRAME, interactive=True)
    dropdown = box.children[0].children[0]
    assert dropdown.description == "category"
    assert dropdown.options == ("(all)", "never_sent", "store_oppijanumero")
    assert display.table(FRAME, interactive=False) is None
    assert display.table(FRAME.iloc[:0]) is None


def test_plot_and_links(tmp_path: Path) -> None:
    fig = display.plot_counts(FRAME, by="category", title="t")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["store_oppijanumero", "never_sent"]
    assert display.plot_counts(pd.Series(dtype=int)).axes[0].texts[0].get_text() == \
        "nothing to count"
    (tmp_path / "x.csv").write_text("a")
    html = display.download_links([tmp_path / "x.csv"], relative_to=tmp_path).data
    assert 'href="x.csv"' in html and "1 B" in html


def test_static_preview_shows_every_list() -> None:
    many = pd.DataFrame({"category": ["a"] * 20 + ["b"] * 3, "n": range(23)})
    shown = display.preview(many, per_group=5)
    assert list(shown["category"]) == ["a"] * 5 + ["b"] * 3
    assert display.preview(many.drop(columns="category")).equals(many.drop(columns="category"))
