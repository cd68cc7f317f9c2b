"""Tearsheet charts: monthly returns as a heatmap, rolling metrics, the worst drawdowns.

They draw tables computed elsewhere (:class:`portlab.ui.BookModel`'s ``monthly_returns``,
``rolling`` and ``worst_drawdowns``, from :mod:`portlab.analytics.performance` calls); no
number is computed here.
"""

from __future__ import annotations

import calendar

import holoviews as hv
import pandas as pd

from portlab.exceptions import ValidationError
from portlab.plots._style import (
    BACKEND,
    HEIGHT,
    NUMBER,
    PCT,
    SIGNED_PCT,
    WIDTH,
    finish,
    hover,
    overlay_opts,
    percent_axis,
)
from portlab.plots.palette import Palette

__all__ = ["ROLLING_METRICS", "drawdown_periods", "monthly_returns_heatmap", "rolling_metrics"]

#: the rolling metrics :func:`rolling_metrics` draws: column -> (title, axis label, is a fraction)
ROLLING_METRICS = {
    "sharpe": ("Rolling Sharpe ratio", "Sharpe ratio (annualised)", False),
    "volatility": ("Rolling volatility", "Volatility (annualised, %)", True),
    "beta": ("Rolling beta to the benchmark", "Beta", False),
}
_DATE_TIP = "{%F}"


def monthly_returns_heatmap(table: pd.DataFrame) -> hv.HeatMap:
    """Monthly returns, one row per year and one column per month, green up and red down.

    Parameters
    ----------
    table : DataFrame, index year
        Compounded returns per month (fractions) in columns ``1`` .. ``12``; other columns
        (e.g. ``year``, the whole year's return) are left out. NaN cells (months outside the
        history) stay blank.

    Returns
    -------
    holoviews.HeatMap
        Keys ``month`` (``Jan`` .. ``Dec``) and ``year`` (text, latest at the top); value
        ``return``.
    """
    months = [m for m in range(1, 13) if m in table.columns]
    if not months:
        raise ValidationError("table: expected columns 1..12 of monthly returns")
    names = [calendar.month_abbr[m] for m in months]
    years = [str(y) for y in table.index]
    data = pd.DataFrame(
        {
            "month": [calendar.month_abbr[m] for _ in years for m in months],
            "year": [y for y in years for _ in months],
            "return": table[months].to_numpy(dtype=float).ravel(),
        }
    ).dropna()
    kdims = [hv.Dimension("month", values=names), hv.Dimension("year", values=years[::-1])]
    heat = hv.HeatMap(data, kdims, "return")
    bound = float(data["return"].abs().max()) if len(data) else 0.01
    return finish(
        heat,
        title=f"Monthly returns, {years[0]} to {years[-1]}" if years else "Monthly returns",
        xlabel="Month",
        ylabel="Year",
        cmap="RdYlGn",
        clim=(-bound, bound),
        colorbar=True,
        height=max(160, 40 * len(years) + 110),
        show_grid=False,
        hover_tooltips=hover([("Year", "year", ""), ("Month", "month", ""), ("Return", "return", SIGNED_PCT)]),
        colorbar_opts={"formatter": percent_axis(1)},
    )  # fmt: skip


def rolling_metrics(rolling: pd.DataFrame, window: int | None = None) -> hv.Layout:
    """Rolling Sharpe ratio, volatility and beta, one chart each over the same dates.

    Parameters
    ----------
    rolling : DataFrame, index date
        Any of the columns of :data:`ROLLING_METRICS` (e.g. from
        :func:`portlab.analytics.performance.rolling_sharpe` and friends); the first rows
        (before a full window) are NaN and left out.
    window : int, optional
        The rolling window in periods, for the titles.

    Returns
    -------
    holoviews.Layout
        One ``Curve`` per metric present (key ``date``), one column.
    """
    names = [c for c in ROLLING_METRICS if c in rolling.columns]
    if not names:
        raise ValidationError(f"rolling: expected columns among {', '.join(ROLLING_METRICS)}")
    suffix = f" ({window}-day window)" if window else ""
    charts = []
    for name in names:
        title, label, fraction = ROLLING_METRICS[name]
        data = pd.DataFrame({"date": rolling.index, name: rolling[name].to_numpy(dtype=float)})
        curve = hv.Curve(data.dropna(), "date", name).opts(
            color=str(Palette.PORTFOLIO), line_width=2, backend=BACKEND
        )
        charts.append(
            finish(
                curve,
                title=title + suffix,
                xlabel="Date",
                ylabel=label,
                yformatter=percent_axis(0) if fraction else "%.2f",
                height=HEIGHT * 2 // 3,
                width=WIDTH,
                hover_tooltips=hover([("Date", "date", _DATE_TIP), (title, name, PCT if fraction else NUMBER)]),
                hover_formatters={"@{date}": "datetime"},
            )
        )  # fmt: skip
    return hv.Layout(charts).cols(1).opts(hv.opts.Layout(shared_axes=False, backend=BACKEND))


def drawdown_periods(returns: pd.Series, periods: pd.DataFrame) -> hv.Overlay:
    """The portfolio's growth of $1 with its worst drawdown periods shaded.

    Parameters
    ----------
    returns : Series
        The portfolio's returns (fractions), indexed by date.
    periods : DataFrame
        The worst drawdowns: ``peak``, ``recovery`` (NaT: not recovered, shaded to the last
        date) and ``depth`` (fraction).

    Returns
    -------
    holoviews.Overlay
        ``Curve`` of ``wealth`` (from :func:`portlab.analytics.risk.drawdowns`) and one
        ``VSpan`` per period, darker for the deepest.
    """
    from portlab.analytics.risk import drawdowns

    table = drawdowns(returns)
    table.index.name = "date"
    data = table.reset_index()
    curve = hv.Curve(data, "date", ["wealth", "drawdown"], label="portfolio").opts(
        color=str(Palette.PORTFOLIO),
        line_width=2,
        tools=["hover"],
        hover_tooltips=hover([("Date", "date", _DATE_TIP), ("Value of $1", "wealth", "{$0,0.000}"),
                              ("Drawdown", "drawdown", PCT)]),
        hover_formatters={"@{date}": "datetime"},
        backend=BACKEND,
    )  # fmt: skip
    last = data["date"].iloc[-1]
    spans = [
        hv.VSpan(row.peak, last if pd.isna(row.recovery) else row.recovery).opts(
            color=str(Palette.RED), alpha=0.25 if i == 0 else 0.12, backend=BACKEND
        )
        for i, row in enumerate(periods.itertuples())
    ]
    return overlay_opts(
        hv.Overlay([curve, *spans]),
        title=f"Growth of $1 with the {len(spans)} worst drawdowns shaded",
        legend=False,
        xlabel="Date",
        ylabel="Value of $1 ($)",
        yformatter="$%.2f",
        show_grid=True,
    )
