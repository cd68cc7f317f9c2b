"""The equity curve against the benchmark, and the underwater (drawdown) chart.

Wealth and drawdowns come from :func:`portlab.analytics.risk.drawdowns` (``wealth`` = the
value of 1 invested, ``drawdown`` = the fall from the running peak, a positive fraction) and
the maximum drawdown from :func:`portlab.analytics.performance.max_drawdown`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import holoviews as hv
import pandas as pd

from portlab.exceptions import ValidationError
from portlab.formatting import format_date
from portlab.plots._style import BACKEND, PCT, hover, overlay_opts, pct_text, percent_axis
from portlab.plots.palette import Palette

__all__ = ["SERIES_COLORS", "equity_curve", "performance", "underwater"]

_DATE_TIP = "{%F}"
#: width of the frames of :func:`performance` (its two charts share the date axis)
PERFORMANCE_FRAME = 520


def _returns(returns: Any, what: str) -> pd.Series:
    """A return Series from a Series or anything with a ``returns`` Series (a backtest)."""
    series = returns if isinstance(returns, pd.Series) else getattr(returns, "returns", None)
    if not isinstance(series, pd.Series):
        raise ValidationError(
            f"{what}: expected a Series of returns or a backtest result, got {type(returns).__name__}"
        )
    return series


def _frame(returns: pd.Series) -> pd.DataFrame:
    from portlab.analytics.risk import drawdowns

    table = drawdowns(returns)
    table.index.name = "date"
    return table.reset_index()


def _date_tips(fields: list[tuple[str, str, str]]) -> dict[str, Any]:
    return {
        "hover_tooltips": hover([("Date", "date", _DATE_TIP), *fields]),
        "hover_formatters": {"@{date}": "datetime"},
    }


#: the colours of several portfolios in one chart, in order (the first is the portfolio's)
SERIES_COLORS = (Palette.PORTFOLIO, Palette.AMBER, Palette.BUY, Palette.SELECTION,
                 Palette.SELL, Palette.INTERACTION, Palette.ALLOCATION)  # fmt: skip


def equity_curve(returns: Any, benchmark: pd.Series | None = None) -> hv.Overlay:
    """The growth of $1 invested in the portfolio (or in each of several), and in the
    benchmark (grey).

    Parameters
    ----------
    returns : Series, backtest result, or mapping of name to either
        The portfolio's simple per-period returns (fractions), indexed by date; a
        :class:`~portlab.analytics.backtest.BacktestResult` gives its ``returns``. A mapping
        draws one curve per portfolio, labelled by its name (e.g. the configurations of a
        backtest), in the colours of :data:`SERIES_COLORS`.
    benchmark : Series, optional
        The benchmark's returns (``market.benchmark_returns``), taken over the portfolio's
        dates (first to last; the first portfolio's with several).

    Returns
    -------
    holoviews.Overlay
        ``Curve`` labelled ``portfolio`` (or each name; and ``benchmark``): key ``date``,
        values ``wealth`` (dollars per dollar invested), ``peak``, ``drawdown``.
    """
    named = returns if isinstance(returns, Mapping) else {"portfolio": returns}
    if not named:
        raise ValidationError("returns: an empty mapping, no portfolio to draw")
    tips = _date_tips([("Value of $1", "wealth", "{$0,0.000}"), ("Drawdown", "drawdown", PCT)])
    layers, first = [], None
    for i, (name, series) in enumerate(named.items()):
        frame = _frame(_returns(series, f"returns[{name!r}]" if named is returns else "returns"))
        first = frame if first is None else first
        color = SERIES_COLORS[i % len(SERIES_COLORS)]
        layers.append(
            hv.Curve(frame, "date", ["wealth", "peak", "drawdown"], label=str(name)).opts(
                color=str(color), line_width=2, tools=["hover"], backend=BACKEND, **tips
            )
        )
    if benchmark is not None:
        bench = _returns(benchmark, "benchmark")
        bench = bench.loc[first["date"].iloc[0] : first["date"].iloc[-1]]
        layers.append(
            hv.Curve(_frame(bench), "date", ["wealth", "peak", "drawdown"], label="benchmark").opts(
                color=str(Palette.BENCHMARK), line_width=2, tools=["hover"], backend=BACKEND,
                **tips,
            )
        )  # fmt: skip
    start, end = format_date(first["date"].iloc[0]), format_date(first["date"].iloc[-1])
    what = "portfolio" if len(named) == 1 else f"{len(named)} portfolios"
    what += " and benchmark" if benchmark is not None else ""
    return overlay_opts(
        hv.Overlay(layers),
        title=f"Growth of $1 invested, {what}\n{start} to {end}",
        legend=len(layers) > 1,
        xlabel="Date",
        ylabel="Value of $1 ($)",
        yformatter="$%.2f",
        show_grid=True,
    )


def underwater(returns: Any) -> hv.Area:
    """How far below its running peak the portfolio stood at each date.

    Parameters
    ----------
    returns : Series or backtest result
        As for :func:`equity_curve`.

    Returns
    -------
    holoviews.Area
        Key ``date``, value ``drawdown`` (a positive fraction, drawn downward from 0). Only
        the drawdown is a value dimension: an ``Area`` takes a second one as the lower edge
        of the area. The area is one polygon, so its tooltip gives the date under the cursor.
    """
    from portlab.analytics.performance import max_drawdown

    series = _returns(returns, "returns")
    data = _frame(series)
    worst = float(max_drawdown(series))
    at = format_date(data.loc[data["drawdown"].idxmax(), "date"]) if len(data) else ""
    area = hv.Area(data, "date", "drawdown").opts(
        color=str(Palette.PORTFOLIO),
        alpha=0.45,
        line_color=str(Palette.PORTFOLIO),
        invert_yaxis=True,
        tools=["hover"],
        title=f"Drawdown from the running peak (worst {pct_text(worst)} on {at})",
        xlabel="Date",
        ylabel="Drawdown (%)",
        yformatter=percent_axis(0),
        show_grid=True,
        show_legend=False,
        width=620,
        height=220,
        toolbar="above",
        framewise=True,
        hover_tooltips=[("Date", f"$x{_DATE_TIP}")],
        hover_formatters={"$x": "datetime"},
        backend=BACKEND,
    )
    return area


def performance(returns: Any, benchmark: pd.Series | None = None) -> hv.Layout:
    """The equity curve over the underwater chart, sharing the date axis.

    Parameters
    ----------
    returns, benchmark
        As for :func:`equity_curve`.

    Returns
    -------
    holoviews.Layout
        :func:`equity_curve` above :func:`underwater`, one column.
    """
    # the same frame width, so that the dates line up (the legend widens the curve's chart)
    frame = {"frame_width": PERFORMANCE_FRAME, "backend": BACKEND}
    curve = equity_curve(returns, benchmark).opts(hv.opts.Overlay(**frame))
    return (curve + underwater(returns).opts(**frame)).cols(1)
