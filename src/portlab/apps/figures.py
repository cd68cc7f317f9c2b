"""Headline figures of the apps: money and percentages as a PM reads them, and KPI rows."""

from __future__ import annotations

import html
from typing import Any

import panel as pn

from portlab.formatting import money, pct

__all__ = ["KPI_CLASS", "KPI_CSS", "kpi", "kpi_html", "kpi_row", "money", "pct"]

#: the CSS class of a headline figure's value
KPI_CLASS = "pl-kpi"


def kpi(label: str, value: str, css: str | None = None, sub: str = "") -> str:
    """A headline figure (HTML): a small label over a large value over a note.

    The value is the text of a ``<span class="{css}">`` (so that a browser test finds the
    element holding exactly the text, inside the pane's shadow root).
    """
    text = html.escape(value)
    inner = f'<span class="{css}">{text}</span>' if css else text
    return (
        f'<div><div class="pl-kpi-label">{html.escape(label)}</div>'
        f'<div class="{KPI_CLASS}">{inner}</div>'
        f'<div class="pl-kpi-sub">{html.escape(sub)}</div></div>'
    )


#: a row of headline figures, wrapping on a narrow page
KPI_CSS = """
.pl-kpis { display: flex; flex-wrap: wrap; gap: 4px 28px; padding: 0 5px; }
.pl-kpi-label, .pl-kpi-sub { font-size: 0.8em; }
.pl-kpi-label { opacity: 0.75; }
.pl-kpi { font-size: 1.6em; }
"""


def kpi_html(figures: list[str]) -> str:
    """Headline figures (:func:`kpi`) side by side: the HTML of a :func:`kpi_row`."""
    return f'<div class="pl-kpis">{"".join(figures)}</div>'


def kpi_row(figures: list[str], **params: Any) -> pn.pane.HTML:
    """Headline figures (:func:`kpi`) side by side in one pane (one model, not three each:
    the page opens faster)."""
    return pn.pane.HTML(
        kpi_html(figures),
        stylesheets=[KPI_CSS],
        sizing_mode="stretch_width",
        **params,
    )
