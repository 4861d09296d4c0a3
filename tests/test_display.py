"""onrtools.pipeline.display: masking, filtering, files and plots the notebooks show."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from onrtools.pipeline import display

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
    assert dropdown.label == "(kaikki)" and dropdown.value == "(all)"  # Finnish by default
    assert [label for label, _ in dropdown.options] == ["(kaikki)", "never_sent",
                                                        "store_oppijanumero"]
    assert display.table(FRAME, interactive=False) is None
    assert display.table(FRAME.iloc[:0]) is None


def test_plot_and_links(tmp_path: Path) -> None:
    fig = display.plot_counts(FRAME, by="category", title="t")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["store_oppijanumero", "never_sent"]
    assert display.plot_counts(pd.Series(dtype=int), language="en").axes[0].texts[0].get_text() \
        == "nothing to count"
    assert display.plot_counts(pd.Series(dtype=int)).axes[0].texts[0].get_text() == \
        "ei mitään laskettavaa"  # Finnish unless told otherwise
    (tmp_path / "x.csv").write_text("a")
    html = display.download_links([tmp_path / "x.csv"], relative_to=tmp_path).data
    assert 'href="x.csv"' in html and "1 B" in html


def test_static_preview_shows_every_list() -> None:
    many = pd.DataFrame({"category": ["a"] * 20 + ["b"] * 3, "n": range(23)})
    shown = display.preview(many, per_group=5)
    assert list(shown["category"]) == ["a"] * 5 + ["b"] * 3
    assert display.preview(many.drop(columns="category")).equals(many.drop(columns="category"))


def test_datatable_is_escaped_masked_and_embedded_offline(tmp_path: Path) -> None:
    import re

    frame = FRAME.assign(detail=["<b>bold</b>", "x", "y"], html=["<i>ok</i>", "", ""])
    page = display.datatable_html(display.masked(frame), html_columns=["html"])
    assert "&lt;b&gt;bold&lt;/b&gt;" in page and "<b>bold</b>" not in page
    assert "<i>ok</i>" in page  # a column the caller built as HTML stays HTML
    assert "010190-990U" not in page and "010190-****" in page
    assert "a, b" in page  # lists flattened
    assert '"pageLength": 25' in page and "dt-search" not in page  # options, no markup yet
    init = display.datatables_init_html()
    loads = re.findall(r"""(?:src=|import\s*\(?|@import\s+url\(|href=["']?https?:[^"']*\.css)"""
                       r"""["']?(https?://[^"' )]+)""", init + page)
    assert loads == []  # nothing the browser would fetch from the network
    assert len(init) > 500_000  # the DataTables bundle itself, inline
    many = pd.DataFrame({"n": [f"row-{i}" for i in range(30)]})
    assert "row-29" not in display.datatable_html(many, max_rows=20)
    assert "row-19" in display.datatable_html(many, max_rows=20)


def test_full_list_links_prefer_the_spreadsheet(tmp_path: Path) -> None:
    files = [tmp_path / "a.csv", tmp_path / "actions.xlsx"]
    for f in files:
        f.write_text("x")
    links = display.full_list_html(files, relative_to=tmp_path)
    assert 'href="actions.xlsx"' in links and "a.csv" not in links
    assert 'href="a.csv"' in display.full_list_html(files[:1], relative_to=tmp_path)
    assert display.full_list_html(None) == ""


def test_static_table_is_a_datatable_loaded_once(monkeypatch) -> None:  # noqa: ANN001
    shown: list[str] = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj.data))
    monkeypatch.setattr(display, "_datatables_loaded", False)
    display.table(FRAME, interactive=False, title="lists")
    display.table(FRAME, interactive=False, show_hetu=True)
    assert sum("_itables_" in s and "atob(" in s for s in shown) == 1  # the library once
    tables = [s for s in shown if '<div class="onr-datatable">' in s]
    assert len(tables) == 2 and "<h4>lists</h4>" in tables[0] and "3 riviä." in tables[0]
    assert "010190-****" in tables[0] and "010190-990U" in tables[1]


@pytest.mark.parametrize(("language", "title", "words"), [
    ("fi", "Rekisterin täsmäytys ONR:n kanssa", "toimenpidelistoiksi"),
    ("sv", "Avstämning av registret mot ONR", "åtgärdslistor"),
    ("en", "Reconcile the register with ONR", "action lists"),
])
def test_a_page_heading_in_each_language(language: str, title: str, words: str) -> None:
    page = display.heading("page.30", language).data
    assert page.startswith(f"<h1>{title}</h1>\n<p>") and words in page
    section = display.heading("page.20.batches", language, level=2).data
    assert section.startswith("<h2>") and "<code>PUT /oppija</code>" in section
    assert display.heading("page.files", language, level=2).data.count("<p>") == 0  # no text


def test_table_words_follow_the_language(monkeypatch) -> None:  # noqa: ANN001
    shown: list[str] = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj.data))
    display.datatable(FRAME, language="sv")
    display.datatable(FRAME.iloc[:0], language="en")
    assert any("3 rader." in html for html in shown)
    assert shown[-1].endswith("<p>No rows.</p>")
    display.datatable(FRAME.iloc[:1], language="fi")
    assert "<p>1 rivi.</p>" in shown[-1]
    assert display.full_list_html([Path("a.xlsx")], language="sv").startswith(
        '<p class="onr-full-list">Hela listan: ')


def test_the_datatable_speaks_the_language() -> None:
    assert display.datatable_words("en")["info"] == "Showing _START_ to _END_ of _TOTAL_ entries"
    sv = display.datatable_words("sv")
    assert sv["search"] == "Sök:" and sv["thousands"] == "\u00a0" and sv["decimal"] == ","
    page = display.datatable_html(FRAME, language="fi")
    assert '"search": "Hae:"' in page and '"lengthMenu": "_MENU_ rivi\\u00e4 sivulla"' in page
