"""Exposures against the policy's limits, before and after a batch of decisions.

The measures come from the portfolio and the analytics, never from arithmetic here: the
portfolio after the batch is :meth:`PortfolioState.apply` of the decisions' share counts at
their prices; weights, sector exposures and leverage are the state's own methods; the
portfolio volatility is the sum of :func:`portlab.analytics.risk.volatility_contributions`
(``σ = sqrt(wᵀΣw)`` with the market's risk model, the one the engine enforces).
"""

from __future__ import annotations

import enum
from typing import Any

import holoviews as hv
import numpy as np
import pandas as pd

from portlab.exceptions import ValidationError
from portlab.plots._style import (
    BACKEND,
    MAX_BARS,
    PCT,
    horizontal_groups,
    hover,
    largest,
    limit_label,
    multiple_limit_label,
    pct_text,
    percent_axis,
)
from portlab.plots.palette import Palette, limit_status

__all__ = ["EXPOSURE_COLUMNS", "Measure", "exposure_table", "exposures"]


class Measure(enum.StrEnum):
    """The policy measures drawn against their limits (keys of :meth:`Policy.rules`)."""

    POSITION = "position"
    SECTOR = "sector"
    LEVERAGE = "leverage"
    VOLATILITY = "volatility"


#: ``when`` values of :func:`exposure_table`
BEFORE, AFTER = "before", "after"

#: columns of :func:`exposure_table`
EXPOSURE_COLUMNS = (
    "measure",
    "item",
    "when",
    "value",
    "limit",
    "hard",
    "ratio",
    "status",
    "color",
    "members",
)

_TITLES = {
    Measure.POSITION: "Position sizes",
    Measure.SECTOR: "Sector exposures",
    Measure.LEVERAGE: "Leverage",
    Measure.VOLATILITY: "Volatility",
}
#: one chart of the grid: its width (two fit side by side in a ~1000 px results column),
#: the height of one bar, and the room of the title and value axis around the bars
PANEL_WIDTH = 470
BAR_PX = 13
FRAME_PX = 130
#: positions listed in a sector's tooltip
MEMBERS_SHOWN = 8
#: the value axis reaches at least this multiple of the limit (room for the limit's label)
LIMIT_ROOM = 1.3
_AXES = {  # (items, values); the items need no axis label: the title and ticks name them
    Measure.POSITION: ("", "|Weight| (% of NAV)"),
    Measure.SECTOR: ("", "Gross exposure (% of NAV)"),
    Measure.LEVERAGE: ("", "Gross exposure / NAV (×)"),
    Measure.VOLATILITY: ("", "Volatility (% a year)"),
}


def _policy(policy: Any) -> Any:
    from portlab.engine import Coordinator, Policy

    if policy is None:
        return Policy()
    if isinstance(policy, Coordinator):
        return policy.policy
    if isinstance(policy, Policy):
        return policy
    if isinstance(policy, dict):
        return Policy(**policy)
    raise ValidationError(
        f"policy: expected a Policy, a Coordinator or a mapping, got {type(policy).__name__}"
    )


def state_after(state: Any, result: Any) -> Any:
    """The portfolio after executing every decision of ``result`` at its price (no fees)."""
    decisions = result.decisions
    executions = [
        {
            "instrument_id": iid,
            "action": action,
            "quantity": float(qty),
            "executed_price": float(price),
        }
        for iid, action, qty, price in zip(
            decisions["instrument_id"],
            decisions["action"],
            decisions["share_quantity"],
            decisions["price"],
            strict=True,
        )
        if qty > 0
    ]
    return state.apply(executions) if executions else state


def _volatility(weights: pd.Series, market: Any) -> float:
    from portlab.analytics.risk import volatility_contributions

    if not (weights.to_numpy() != 0).any():
        return 0.0
    return float(volatility_contributions(weights, market)["component"].sum())


def _measures(state: Any, market: Any) -> dict[Measure, pd.Series]:
    prices = market.last_prices
    weights = state.weights(prices)
    return {
        Measure.POSITION: weights.abs(),
        Measure.SECTOR: state.sector_exposures(prices, market.sectors),
        Measure.LEVERAGE: pd.Series({"portfolio": state.leverage(prices)}, dtype=float),
        Measure.VOLATILITY: pd.Series({"portfolio": _volatility(weights, market)}, dtype=float),
    }


def _members(state: Any, market: Any) -> dict[str, str]:
    """Per sector, its positions by size: ``"MSFT 6.1%, AAPL 3.0%"``."""
    weights = state.weights(market.last_prices)
    sectors = market.sectors.reindex(weights.index).fillna("Unknown")
    out: dict[str, str] = {}
    for sector, w in weights.groupby(sectors.to_numpy()):
        ordered = w.abs().sort_values(ascending=False)
        text = ", ".join(f"{i} {pct_text(v)}" for i, v in ordered.iloc[:MEMBERS_SHOWN].items())
        more = len(ordered) - MEMBERS_SHOWN
        out[str(sector)] = text + (f" and {more} more" if more > 0 else "")
    return out


def exposure_table(state: Any, market: Any, policy: Any = None, result: Any = None) -> pd.DataFrame:
    """Every policy measure of the portfolio against its limit, before and after a batch.

    Parameters
    ----------
    state : PortfolioState
        The portfolio before the batch.
    market : Market
        Prices (``last_prices``), sectors and the risk model.
    policy : Policy, Coordinator or mapping, optional
        The limits; default the default policy (a Coordinator gives its own).
    result : CoordinationResult, optional
        The batch: its decisions are executed on ``state`` at their prices for the
        ``after`` rows. Without it only ``before`` rows.

    Returns
    -------
    DataFrame, columns :data:`EXPOSURE_COLUMNS`
        One row per measure, item and moment: ``measure`` (:class:`Measure` value), ``item``
        (instrument, sector, or ``"portfolio"``), ``when`` (``before``/``after``), ``value``
        (fraction of NAV; annual volatility; leverage multiple), ``limit`` and ``hard`` (the
        rule), ``ratio`` = value / limit, ``status`` (:class:`~portlab.plots.palette.LimitStatus`
        value), ``color`` (its palette colour) and ``members`` (for a sector, its largest
        :data:`MEMBERS_SHOWN` positions, then how many more).
        Positions held neither before nor after are left out.
    """
    rules = _policy(policy).rules()
    moments = [(BEFORE, state)]
    if result is not None:
        moments.append((AFTER, state_after(state, result)))
    rows = []
    for when, st in moments:
        members = _members(st, market)
        for measure, series in _measures(st, market).items():
            rule = rules[measure.value]
            for item, value in series.items():
                value = float(value)
                if measure is Measure.POSITION and value == 0.0:
                    continue
                status = limit_status(value, rule.limit, hard=rule.hard)
                rows.append(
                    (
                        measure.value,
                        str(item),
                        when,
                        value,
                        float(rule.limit),
                        bool(rule.hard),
                        value / rule.limit,
                        status.value,
                        str(status.color),
                        members.get(str(item), "") if measure is Measure.SECTOR else "",
                    )
                )
    return pd.DataFrame(rows, columns=list(EXPOSURE_COLUMNS))


def _title(measure: Measure, part: pd.DataFrame, limit_text: str, kind: str, cut: str) -> str:
    """Two short lines (a panel is narrow): what is shown, then the limit.

    ``"Leverage 0.28× → 0.47×\nhard limit 2×"``, ``"Position sizes, largest 30 of 71\nhard
    limit 5.0%"``; the bars' own labels say which is before and which after the batch.
    """
    head = _TITLES[measure]
    if measure in (Measure.LEVERAGE, Measure.VOLATILITY):
        fmt = (lambda v: f"{v:.2f}\u00d7") if measure is Measure.LEVERAGE else pct_text
        values = part.set_index("when").reindex([BEFORE, AFTER])["value"].dropna()
        if len(values):
            head += " " + " \u2192 ".join(fmt(v) for v in values)
        if measure is Measure.VOLATILITY:
            head += " a year"
    if cut:
        head += f", {cut}"
    return f"{head}\n{kind} limit {limit_text}"


def _measure_chart(
    table: pd.DataFrame, measure: Measure, rule: Any, max_items: int | None
) -> hv.Overlay:
    part = table[table["measure"] == measure.value].copy()
    two = bool((table["when"] == AFTER).any())  # before and after a batch
    n_items = part["item"].nunique()
    keep = largest(part.groupby("item", sort=False)["value"].max(), max_items)
    part = part[part["item"].isin(keep)]
    after = part[part["when"] == AFTER]
    order_by = after if not after.empty else part
    order = list(order_by.sort_values("value", ascending=False, kind="stable")["item"])
    order += [i for i in dict.fromkeys(part["item"]) if i not in order]
    alpha = np.where(part["when"] == BEFORE, 0.45 if two else 1.0, 1.0)
    # the alpha baked into the colour (#rrggbbaa): one mapped style, not three (each mapped
    # style is a HoloViews transform at every update, most of the chart's update time)
    part["fill"] = [f"{c}{round(255 * a):02x}" for c, a in zip(part["color"], alpha, strict=True)]
    limit, hard = float(rule.limit), bool(rule.hard)
    leverage = measure is Measure.LEVERAGE
    fmt = "{0.00}\u00d7" if leverage else PCT
    tips = hover(
        [
            ("Item", "item", ""),
            *([("When", "when", "")] if two else []),  # a column of the chart only then
            ("Value", "value", fmt),
            ("Limit", "limit", fmt),
            ("Of limit", "ratio", PCT),
            ("Status", "status", ""),
        ]
        + ([("Positions", "members", "")] if measure is Measure.SECTOR else [])
    )
    vdims = ["value", "limit", "hard", "ratio", "status", "color", "fill", "members"]
    # horizontal bars: the largest at the top, "before" above "after" (bokeh stacks the
    # factors of a vertical axis from the bottom up); the orders given to the dimensions when
    # the element is built (a redim afterwards clones it, a tenth of the chart's time)
    kdims = [hv.Dimension("item", values=order[::-1])]
    if two:
        kdims.append(hv.Dimension("when", values=[AFTER, BEFORE]))
    bars = hv.Bars(part, kdims, vdims)
    xlabel, ylabel = _AXES[measure]
    limit_text = f"{limit:g}\u00d7" if leverage else pct_text(limit)
    kind = "hard" if hard else "soft"
    styled = not part.empty  # an empty Bars cannot map colours from its (absent) columns
    bars = bars.opts(
        color="fill" if styled else str(Palette.NEUTRAL),
        line_color=None,
        tools=["hover"],
        hover_tooltips=tips,
        xlabel=xlabel,
        ylabel=ylabel,
        invert_axes=True,
        multi_level=two,
        hooks=[horizontal_groups],
        framewise=True,  # the axes rescale when the chart is updated in place
        backend=BACKEND,
    )
    line_color = Palette.RED if hard else Palette.AMBER
    line = hv.HLine(limit).opts(
        color=str(line_color),
        line_dash="dashed" if hard else "dotted",
        line_width=2,
        invert_axes=True,
        hooks=[multiple_limit_label if leverage else limit_label],
        framewise=True,
        backend=BACKEND,
    )
    peak = float(part["value"].max()) if len(part) else 0.0
    cut = ""
    if len(keep) < n_items:
        cut = f"largest {len(keep)} of {n_items}"
    title = _title(measure, part, limit_text, kind, cut)
    n_bars = len(order) * (2 if two else 1)
    opts = {
        "title": title,
        "width": PANEL_WIDTH,
        "height": FRAME_PX + (BAR_PX + 2) * max(n_bars, 2),
        "show_legend": False,
        "toolbar": "above",
        "show_grid": True,
        # room right of the limit line for its label, and past the largest bar
        "ylim": (0.0, max(LIMIT_ROOM * limit, 1.08 * peak)),
        "fontsize": {"title": "11pt"},
        "framewise": True,
        "backend": BACKEND,
    }
    if not leverage:  # the value axis is the horizontal one
        opts["xformatter"] = percent_axis(0 if limit >= 0.1 else 1)
    # one options call per element (each costs ~2 ms); see rescaling() for why all framewise
    return (bars * line).opts(hv.opts.Overlay(**opts))


def exposures(
    state: Any,
    market: Any,
    policy: Any = None,
    result: Any = None,
    *,
    measures: Any = tuple(Measure),
    max_items: int | None = MAX_BARS,
) -> hv.Layout:
    """Exposures against limits: positions, sectors, leverage and volatility.

    One chart per measure: a horizontal bar per instrument, sector or the portfolio, largest
    at the top, before the batch (pale) and after it (solid) when a result is given,
    coloured by where it stands — neutral within the limit, amber at 90% of it or above a
    soft limit, red above a hard limit — with the limit drawn and labelled (dashed red:
    hard; dotted amber: soft). A sector's tooltip names the positions that fill it. Each
    chart is 470 px wide, so the two columns fit a notebook's ~1000 px results column;
    its height grows with its bars.

    Parameters
    ----------
    state, market, policy, result
        As for :func:`exposure_table`.
    measures : iterable of Measure
        Which charts, in order (default all four).
    max_items : int or None, default 30
        Show at most this many instruments (or sectors), the largest (by their larger
        value, before or after; ties in the table's order); the title then says
        "largest N of M". None shows all.

    Returns
    -------
    holoviews.Layout
        One ``Overlay`` (``Bars`` with the rows of :func:`exposure_table` for the measure,
        and an ``HLine`` at the limit) per measure, two columns.
    """
    table = exposure_table(state, market, policy, result)
    rules = _policy(policy).rules()
    charts = [
        _measure_chart(table, Measure(m), rules[Measure(m).value], max_items) for m in measures
    ]
    return hv.Layout(charts).cols(2).opts(hv.opts.Layout(shared_axes=False, backend=BACKEND))
