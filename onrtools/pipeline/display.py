"""What the notebooks show: filterable tables, count plots, and files to download.

Every table passes through :func:`masked` first: columns whose name ends in ``hetu`` show
``131052-****`` unless the caller asks for ``show_hetu=True`` (a notebook parameter, off by
default; files are always masked). Interactively a table is a set of ipywidgets dropdowns
(category, code, organisation, ...) and a text search over the whole frame; in a scheduled
run (``interactive=False``) it is a static preview that survives the HTML export, the full
rows being in the CSV/XLSX files next to the report.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from onrtools.i18n import Messages, format_number, translate, translate_count
from onrtools.register import spreadsheet
from onrtools.register.hetu import mask_columns

FILTER_COLUMNS: tuple[str, ...] = ("category", "code", "severity", "field", "organisaatio",
                                   "local_organisaatio", "decision")


def masked(df: pd.DataFrame, *, show_hetu: bool = False) -> pd.DataFrame:
    """A copy with every ``*hetu`` column masked, unless ``show_hetu``."""
    return df if show_hetu else mask_columns(df)


def spreadsheet_safe(df: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells cannot start a formula (:mod:`onrtools.register.spreadsheet`)."""
    return spreadsheet.neutralise_frame(df)


def _flatten(df: pd.DataFrame) -> pd.DataFrame:
    """Lists (``linked``, ``kansalaisuus``) as ``a, b`` text for files and tables."""
    out = df.copy()
    for column in out.columns:
        s = out[column]
        if s.dtype != object:
            continue
        lists = s.map(lambda v: isinstance(v, (list, tuple, set)))
        if lists.any():
            out[column] = s.where(~lists, s[lists].map(lambda v: ", ".join(map(str, v))))
    return out


# --- files ----------------------------------------------------------------------------------


def write_csv(df: pd.DataFrame, path: Path, *, show_hetu: bool = False) -> Path:
    """Masked, formula-safe CSV in UTF-8 with BOM (Excel opens it with the right letters)."""
    return spreadsheet.write_csv(_flatten(masked(df, show_hetu=show_hetu)), path)


def write_xlsx(sheets: Mapping[str, pd.DataFrame], path: Path, *, show_hetu: bool = False) -> Path:
    """One sheet per frame (Excel's name rules applied), masked and formula-safe."""
    from onrtools.pipeline.xlsx import write_frames

    path.parent.mkdir(parents=True, exist_ok=True)
    safe = {name: spreadsheet_safe(_flatten(masked(frame, show_hetu=show_hetu)))
            for name, frame in sheets.items()}
    return write_frames(safe, path)


# --- tables ---------------------------------------------------------------------------------


def _html_table(df: pd.DataFrame, limit: int, language: str | None = None) -> str:
    shown = _flatten(df.head(limit)).fillna("")
    more = ""
    if len(df) > limit:
        rest = format_number(len(df) - limit, language)
        words = translate_count("display.more_in_files", len(df) - limit, language, rows=rest)
        more = f"<p>{html.escape(words)}</p>"
    return shown.to_html(index=False, escape=True, border=0, classes="onr-table") + more


def table(
    df: pd.DataFrame,
    *,
    filters: Sequence[str] | None = None,
    show_hetu: bool = False,
    limit: int = 50,
    title: str = "",
    interactive: bool = True,
    downloads: Iterable[Path] | None = None,
    relative_to: Path | None = None,
    language: str | None = None,
) -> Any:
    """Show ``df`` masked: dropdown filters when ``interactive``, else a DataTable.

    ``filters``: columns offered as dropdowns (default: those of :data:`FILTER_COLUMNS` present).
    Returns the ipywidgets box (None when not interactive or the frame is empty). Scheduled
    runs pass ``interactive=False``: a widget has no meaning in an HTML report, so the rows go
    into a searchable, sortable, paged table in the page itself (:func:`datatable`), with
    ``downloads`` (the full list as XLSX/CSV) linked above it.
    """
    from IPython.display import HTML, display

    shown = masked(df, show_hetu=show_hetu)
    heading = f"<h4>{html.escape(title)}</h4>" if title else ""
    if shown.empty:
        display(HTML(f"{heading}<p>{html.escape(translate('display.no_rows', language))}</p>"))
        return None
    if not interactive:
        datatable(df, title=title, show_hetu=show_hetu, downloads=downloads,
                  relative_to=relative_to, language=language)
        return None
    display(HTML(heading))
    return filter_widget(shown, filters=filters, limit=limit, language=language)


def preview(df: pd.DataFrame, *, per_group: int = 5, by: str = "category") -> pd.DataFrame:
    """A few rows of every ``by`` group (the static report shows each list, not the first)."""
    if by not in df.columns or df[by].nunique() <= 1:
        return df
    return df.groupby(by, sort=False, group_keys=False).head(per_group)


def filter_widget(df: pd.DataFrame, *, filters: Sequence[str] | None = None,
                  limit: int = 50, language: str | None = None) -> Any:
    """Dropdowns over ``filters`` columns and an output area with the matching rows; the
    widget's words in ``language`` (the dropdowns keep the column names and values)."""
    import ipywidgets as widgets

    t = Messages(language)
    columns = [c for c in (filters or FILTER_COLUMNS) if c in df.columns]
    dropdowns = {
        c: widgets.Dropdown(  # (label, value): "(all)" stays the value filtered() knows
            options=[(t("display.filter.all"), "(all)"),
                     *((v, v) for v in sorted(map(str, df[c].dropna().unique())))],
            description=c, style={"description_width": "initial"})
        for c in columns
    }
    search = widgets.Text(description=t("display.filter.contains"),
                          placeholder=t("display.filter.placeholder"))
    output = widgets.Output()

    def refresh(_: Any = None) -> None:
        view = filtered(df, {c: d.value for c, d in dropdowns.items()}, search.value)
        output.clear_output()
        with output:
            from IPython.display import HTML, display

            count = t("display.filter.count", shown=format_number(len(view), t.language),
                      total=format_number(len(df), t.language))
            display(HTML(f"<p>{html.escape(count)}</p>"
                         f"{_html_table(view, limit, t.language)}"))

    for control in (*dropdowns.values(), search):
        control.observe(refresh, names="value")
    refresh()
    return widgets.VBox([widgets.HBox([*dropdowns.values(), search]), output])


def filtered(df: pd.DataFrame, choices: Mapping[str, str], text: str = "") -> pd.DataFrame:
    """Rows matching every chosen value (``"(all)"`` = any) and containing ``text`` anywhere."""
    mask = pd.Series(True, index=df.index)
    for column, value in choices.items():
        if value and value != "(all)":
            mask &= df[column].astype(str) == value
    if text:
        needle = text.casefold()
        hay = df.astype(str).apply(lambda col: col.str.casefold().str.contains(needle,
                                                                                regex=False))
        mask &= hay.any(axis=1)
    return df[mask]


# --- tables in the page: DataTables, embedded offline ----------------------------------------

DATATABLE_MAX_ROWS = 20_000  # rows put into one page; the files always hold all of them
DATATABLE_PAGE_LENGTH = 25
DATATABLE_CSS = """
.onr-datatable .dt-container{font-size:.85rem}
.onr-datatable table.dataTable td,.onr-datatable table.dataTable th{vertical-align:top;
text-align:left;white-space:nowrap}
.onr-datatable .onr-full-list{margin:.2rem 0 .5rem}
table.onr-pair{border-collapse:collapse;font-size:.85rem}
table.onr-pair th,table.onr-pair td{padding:.1rem .5rem;text-align:left;
border-bottom:1px solid #e5e7eb}
table.onr-pair tr.onr-diff td,table.onr-pair tr.onr-diff th{background:#ffe0e0}
"""
_datatables_loaded = False  # per kernel: one page (one notebook run) gets the library once


def datatables_init_html() -> str:
    """The DataTables library (itables' bundle, JS and CSS) as one HTML fragment.

    Embedded in the page (base64 inside a ``<script>``), never loaded from the network: a
    report opened on a machine without internet access, or archived, keeps working.
    """
    from itables import javascript, options

    return (javascript.generate_init_offline_itables_html(options.dt_bundle)
            + f"<style>{DATATABLE_CSS}</style>")


def datatable_html(df: pd.DataFrame, *, html_columns: Sequence[str] = (),
                   page_length: int = DATATABLE_PAGE_LENGTH,
                   max_rows: int = DATATABLE_MAX_ROWS, table_id: str | None = None,
                   language: str | None = None) -> str:
    """``df`` as a DataTable (search box, sortable columns, pages) for a page that holds
    :func:`datatables_init_html` once.

    Cells are text (HTML-escaped here) except ``html_columns``, which the caller built as
    safe HTML (e.g. the side-by-side records of a pair). No masking here: pass a frame
    through :func:`masked` first. At most ``max_rows`` rows go into the page. The table's
    own words (search box, row info, page length) are in ``language``.
    """
    from itables import to_html_datatable

    shown = _flatten(df.head(max_rows)).astype(object).where(lambda f: f.notna(), "")
    cell = _cell_text(language)
    for column in shown.columns:
        if column not in html_columns:
            shown[column] = shown[column].map(lambda v: html.escape(cell(v)))
    options: dict[str, Any] = {
        "connected": False, "maxBytes": 0, "showIndex": False, "allow_html": True,
        "pageLength": page_length, "lengthMenu": [10, 25, 100, 500],
        "classes": "display compact cell-border nowrap", "scrollX": True,
        "style": "table-layout:auto;width:100%;margin:0;caption-side:bottom",
        "display_logo_when_loading": False,
        "language": datatable_words(language),
    }
    if table_id:
        options["table_id"] = table_id
    return _translate_fallback_note(to_html_datatable(shown, **options), language)


# itables' static preview (what the page shows until, or without, JavaScript) ends in English
_NOT_SHOWN = re.compile(r"\((\d[\d,]*) more rows? not shown\)")


def _translate_fallback_note(page: str, language: str | None) -> str:
    """itables' ``(9,825 more rows not shown)`` under the static preview, in ``language``."""
    def words(match: re.Match[str]) -> str:
        hidden = int(match.group(1).replace(",", ""))
        return "(" + html.escape(translate_count("display.not_shown", hidden, language,
                                                 rows=format_number(hidden, language))) + ")"

    return _NOT_SHOWN.sub(words, page)


def _cell_text(language: str | None = None) -> Any:
    """A page cell's text: True/False as words of ``language`` (ja/nej), a float as the
    language writes it (0,72; a whole one, often an id read back as float, without ``.0``);
    anything else as ``str``. The files keep the values themselves."""
    import numpy as np
    from babel.numbers import format_decimal

    t = Messages(language)
    words = {True: t("display.true"), False: t("display.false")}

    def text(value: Any) -> str:
        if isinstance(value, (bool, np.bool_)):
            return words[bool(value)]
        if isinstance(value, (float, np.floating)):
            number = float(value)
            if number.is_integer():
                return str(int(number))
            return format_decimal(number, format="#,##0.###", locale=t.language)
        return str(value)

    return text


def datatable_words(language: str | None = None) -> dict[str, str]:
    """DataTables' ``language`` option from the catalogues: its search box, row info and
    page-length words in fi, sv or en (the English ones are DataTables' defaults)."""
    t = Messages(language)
    names = {"search": "search", "info": "info", "infoEmpty": "info_empty",
             "infoFiltered": "info_filtered", "zeroRecords": "zero_records",
             "lengthMenu": "length_menu", "thousands": "thousands", "decimal": "decimal"}
    return {option: t(f"display.dt.{key}") for option, key in names.items()}


def datatable(df: pd.DataFrame, *, title: str = "", show_hetu: bool = False,
              downloads: Iterable[Path] | None = None, relative_to: Path | None = None,
              html_columns: Sequence[str] = (), max_rows: int = DATATABLE_MAX_ROWS,
              page_length: int = DATATABLE_PAGE_LENGTH, language: str | None = None) -> None:
    """Display ``df`` (hetus masked unless ``show_hetu``) as a DataTable in the notebook's
    output, which the HTML export keeps working offline; the first call in a kernel also
    displays the library. ``downloads``: files with the full list, linked above the table
    (the XLSX when there is one, else the CSVs). The words around it are in ``language``."""
    global _datatables_loaded
    from IPython.display import HTML, display

    t = Messages(language)
    shown = masked(df, show_hetu=show_hetu)
    heading = f"<h4>{html.escape(title)}</h4>" if title else ""
    if shown.empty:
        display(HTML(f"{heading}<p>{html.escape(t('display.no_rows'))}</p>"))
        return
    if not _datatables_loaded:
        display(HTML(datatables_init_html()))
        _datatables_loaded = True
    count = translate_count("display.rows", len(shown), t.language,
                            rows=format_number(len(shown), t.language))
    cut = (t("display.cut", max_rows=format_number(max_rows, t.language))
           if len(shown) > max_rows else "")
    body = datatable_html(shown, html_columns=html_columns, max_rows=max_rows,
                          page_length=page_length, language=t.language)
    links = full_list_html(downloads, relative_to=relative_to, language=t.language)
    display(HTML(f'<div class="onr-datatable">{heading}<p>{html.escape(count + cut)}</p>'
                 f"{links}{body}</div>"))


def full_list_html(paths: Iterable[Path] | None, *, relative_to: Path | None = None,
                   language: str | None = None) -> str:
    """``Full list: actions.xlsx (1.2 MB)``: the spreadsheet(s) among ``paths`` (the CSVs when
    there is none) as download links; '' without paths."""
    paths = list(paths or [])
    chosen = [p for p in paths if p.suffix == ".xlsx"] or [p for p in paths if p.suffix == ".csv"]
    if not chosen:
        return ""
    links = " · ".join(
        f'<a href="{html.escape(os.path.relpath(p, relative_to) if relative_to else str(p))}"'
        f" download>{html.escape(p.name)}</a> ({_size(p, language)})" for p in chosen)
    label = html.escape(translate("display.full_list", language))
    return f'<p class="onr-full-list">{label} {links}</p>'


# --- plots and links ------------------------------------------------------------------------


def plot_counts(counts: pd.Series | pd.DataFrame, *, by: str | None = None,
                title: str = "", language: str | None = None) -> Any:
    """A horizontal bar chart of counts; returns the Figure (closed, so it shows once).

    ``counts``: a Series (label → count), or a frame counted by column ``by``. The axis and
    the empty chart's words are in ``language``.
    """
    import matplotlib

    if not matplotlib.get_backend().lower().startswith(("module://matplotlib_inline", "agg")):
        matplotlib.use("Agg")  # headless runs (pipeline, tests) never need a window
    import matplotlib.pyplot as plt

    if isinstance(counts, pd.DataFrame):
        if by is None:
            raise ValueError("plot_counts needs by= for a DataFrame")
        series = counts[by].astype(str).value_counts() if len(counts) else pd.Series(dtype=int)
    else:
        series = counts
    series = series.sort_values()
    from onrtools.figures import ReportFigure, number_formatter

    fig, ax = plt.subplots(figsize=(7, max(1.5, 0.35 * len(series) + 1)),
                           FigureClass=ReportFigure)
    if len(series):
        ax.barh([str(i) for i in series.index], series.to_numpy())
        for y, value in enumerate(series.to_numpy()):
            ax.text(value, y, f" {format_number(value, language)}", va="center")
    else:
        ax.text(0.5, 0.5, translate("display.nothing", language), ha="center", va="center",
                transform=ax.transAxes)
        ax.set_yticks([])
    if title:
        ax.set_title(title)
    ax.set_xlabel(translate("display.rows_axis", language))
    ax.xaxis.set_major_formatter(number_formatter(language))  # 9 000, not 9000
    fig.tight_layout()
    plt.close(fig)
    return fig


def download_links(paths: Iterable[Path], *, relative_to: Path | None = None,
                   language: str | None = None) -> Any:
    """HTML links to files (relative to ``relative_to``, where the report HTML lives)."""
    from IPython.display import HTML

    items = []
    for path in paths:
        href = os.path.relpath(path, relative_to) if relative_to else str(path)
        items.append(f'<li><a href="{html.escape(href)}" download>{html.escape(path.name)}'
                     f"</a> ({_size(path, language)})</li>")
    none = html.escape(translate("display.no_files", language))
    return HTML("<ul>" + "".join(items) + "</ul>" if items else f"<p>{none}</p>")


def text(key: str, language: str | None = None, /, **fields: Any) -> str:
    """One message of the catalogues (:func:`onrtools.i18n.translate`), for titles the
    notebooks pass to tables and plots."""
    return translate(key, language, **fields)


def heading(key: str, language: str | None = None, *, level: int = 1) -> Any:
    """A page's heading in ``language``: ``<key>.title`` as ``<h{level}>`` and, when the
    catalogue has one, ``<key>.text`` as the paragraph under it (`code` in backticks).

    The notebooks show their headings and explanations with this instead of a Markdown cell
    in one language: the report page reads in the run's language."""
    from IPython.display import HTML

    t = Messages(language)
    parts = [f"<h{level}>{_inline(t(f'{key}.title'))}</h{level}>"]
    explanation = t.get(f"{key}.text", "")
    if explanation:
        parts.append(f"<p>{_inline(explanation)}</p>")
    return HTML("\n".join(parts))


def _inline(text_: str) -> str:
    """Escaped text with `backticked` parts as ``<code>``."""
    pieces = html.escape(text_, quote=False).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(pieces))


def _size(path: Path, language: str | None = None) -> str:
    """``1 147,0 kB`` (fi, sv), ``1,147.0 kB`` (en), ``316 B``; a file that is not there says
    so in ``language``."""
    try:
        n = path.stat().st_size
    except OSError:
        return translate("display.file_missing", language)
    return (f"{format_number(n / 1024, language, decimals=1)} kB" if n >= 1024
            else f"{n} B")
