"""Figures that show themselves as pictures in any kernel, with or without pyplot.

Jupyter draws a matplotlib figure only when matplotlib's inline backend has registered its
PNG formatter, which happens when pyplot is imported under that backend. A figure made without
pyplot (``Figure(...)``, as the KPI trend is) in a kernel that never imported pyplot (a
papermill run of the audit step) is shown as its text repr, ``<Figure size 1260x1120 with 12
Axes>``, and the HTML report has no picture. :class:`ReportFigure` carries its own
``_repr_png_``, so the executed notebook and its HTML hold an embedded PNG whatever the kernel
did before.
"""

from __future__ import annotations

import io
from typing import Any

from matplotlib.figure import Figure

DPI = 100  # report pages: sharp enough on screen, ~50-150 kB per figure


class ReportFigure(Figure):
    """A matplotlib Figure that Jupyter displays as a PNG (``image/png``)."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
        return buffer.getvalue()


def number_formatter(language: str | None = None) -> Any:
    """A tick formatter that writes numbers as ``language`` does: ``9 000``, ``0,5`` (fi, sv),
    ``9,000``, ``0.5`` (en); up to two decimals. matplotlib's own writes ``9000`` and ``0.5``
    whatever the report's language."""
    from babel.numbers import format_decimal
    from matplotlib.ticker import FuncFormatter

    from onrtools.i18n import resolve_language

    locale = resolve_language(language)
    return FuncFormatter(lambda value, _pos: format_decimal(round(value, 2), format="#,##0.##",
                                                           locale=locale))


def percent_formatter(language: str | None = None) -> Any:
    """A tick formatter for shares (0-1) written as ``language`` writes percentages: ``20 %``
    (fi, sv: a no-break space before the sign), ``20%`` (en)."""
    from babel.numbers import format_percent
    from matplotlib.ticker import FuncFormatter

    from onrtools.i18n import resolve_language

    locale = resolve_language(language)
    return FuncFormatter(lambda value, _pos: format_percent(value, locale=locale))
