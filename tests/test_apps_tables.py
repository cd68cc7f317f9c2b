"""Tests of portlab.apps.tables: the dashboard's static tables and grids show the same text.

The static table's text for each format is compared with what the grid's numbro format shows
for the same value (written out by hand from numbro's rules), its cells are escaped, its
statuses coloured by the palette, and the grid keeps its sorting, formats and pagination.
"""

from __future__ import annotations

import enum

import numpy as np
import pandas as pd
import panel as pn
import pytest

from portlab.apps.tables import STATUS_PX, Fmt, column_title, empty_grid, table
from portlab.plots.palette import LimitStatus


@pytest.mark.parametrize(
    ("fmt", "value", "shown"),
    [
        (Fmt.MONEY, 1_000_004.4, "$1,000,004"),
        (Fmt.MONEY, -2940.2, "-$2,940"),  # numbro: the sign before the currency
        (Fmt.PRICE, 1234.5, "$1,234.50"),
        (Fmt.PCT, 0.0091, "0.91%"),
        (Fmt.PCT, -0.12345, "-12.35%"),
        (Fmt.NUM, 12345.678, "12,345.68"),
        (Fmt.INT, 260.0, "260"),
        (Fmt.DATE, pd.Timestamp("2022-06-15 00:00"), "2022-06-15"),
        (Fmt.MONEY, float("nan"), ""),
        (Fmt.DATE, pd.NaT, ""),
        (Fmt.PCT, None, ""),
    ],
)
def test_static_text_matches_the_grids_format(fmt, value, shown):
    assert fmt.text(value) == shown


def test_grid_formatters_are_numbros():
    assert Fmt.MONEY.formatter.format == "$0,0"
    assert Fmt.PCT.formatter.format == "0.00%"
    assert Fmt.DATE.formatter.format == "%Y-%m-%d"


class Side(enum.Enum):
    BUY = "buy"


def _frame():
    return pd.DataFrame(
        {
            "loss": [-4193.0, 0.0],
            "hard": [True, False],
            "status": [LimitStatus.OVER_HARD.value, LimitStatus.WITHIN.value],
            "side": [Side.BUY, "<b>sell</b>"],
            "ratio": [1.23456, np.nan],
        },
        index=pd.Index(["dot-com", "rates"], name="scenario"),
    )


def test_static_table_cells():
    pane = table(_frame(), {"loss": Fmt.MONEY})
    assert isinstance(pane, pn.pane.DataFrame)
    shown = pane.object
    assert list(shown.columns) == ["Scenario", "Loss", "Hard", "Status", "Side", "Ratio"]
    assert shown["Scenario"].tolist() == ["dot-com", "rates"]
    assert shown["Loss"].tolist() == ["-$4,193", "$0"]
    assert shown["Hard"].tolist() == ["yes", "no"]
    assert shown["Side"].tolist() == ["buy", "&lt;b&gt;sell&lt;/b&gt;"]  # enums, escaped
    assert shown["Ratio"].tolist() == ["1.235", ""]
    over, within = shown["Status"]
    assert f"color: {LimitStatus.OVER_HARD.color}" in over and ">over hard limit<" in over
    assert within == "within limit"
    # numbers right-aligned: the columns Loss (2nd) and Ratio (6th), not Hard (a bool)
    css = pane.stylesheets[-1]
    assert "td:nth-child(2)," in css and "td:nth-child(6)," in css
    assert "nth-child(3)" not in css


def test_static_table_without_index_and_empty_and_missing():
    pane = table(_frame(), index=False)
    assert "Scenario" not in pane.object.columns
    assert table(_frame().iloc[:0], empty="No trigger fires.").object == "*No trigger fires.*"
    assert "Not available" in table(None).object


def test_grid_keeps_sorting_formats_statuses_and_pages():
    frame = pd.concat([_frame()] * 15)
    grid = table(frame, {"loss": Fmt.MONEY}, grid=True, page_size=20)
    assert isinstance(grid, pn.widgets.Tabulator)
    assert grid.pagination == "local" and grid.page_size == 20
    assert grid.formatters["loss"].format == "$0,0"
    assert grid.titles["scenario"] == "Scenario" and grid.widths["status"] == STATUS_PX
    assert grid.value["side"].iloc[0] == "buy"  # the enum's value
    short = table(_frame(), grid=True, page_size=20)
    assert short.pagination is None  # one page: no pager


def test_grid_aligns_numbers_right_and_shows_booleans_as_the_static_table_does():
    grid = table(_frame(), {"loss": Fmt.MONEY, "ratio": Fmt.NUM}, grid=True)
    static = table(_frame(), {"loss": Fmt.MONEY, "ratio": Fmt.NUM})
    assert grid.value["hard"].tolist() == static.object["Hard"].tolist() == ["yes", "no"]
    for column in ("loss", "ratio"):  # like the static table's css
        assert grid.formatters[column].text_align == "right"
    assert "hard" not in grid.formatters  # text stays left


def test_empty_grid_formats_the_columns_it_is_given():
    grid = empty_grid(
        {"when": "When", "amount": "Amount", "who": "Who"},
        {"when": Fmt.DATE, "amount": Fmt.MONEY},
        page_size=5,
        css_classes=["x"],
    )
    assert list(grid.value.columns) == ["when", "amount", "who"] and grid.disabled
    assert grid.page_size == 5 and grid.header_filters and grid.css_classes == ["x"]
    assert grid.formatters["when"].text_align == "left"  # dates left, numbers right
    assert grid.formatters["amount"].text_align == "right"
    assert grid.formatters["amount"].format == "$0,0" and "who" not in grid.formatters


def test_column_titles():
    assert column_title("unrealized_pnl") == "Unrealized P&L"
    assert column_title("instrument_id") == "Instrument"
