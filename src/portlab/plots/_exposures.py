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
from portlab.plots._style import BACKEND, PCT, hover, pct_text, percent_axis
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
    Measure.VOLATILITY: "Portfolio volatility",
}
_AXES = {
    Measure.POSITION: ("Instrument", "|Weight| (% of NAV)"),
    Measure.SECTOR: ("Sector", "Gross exposure (% of NAV)"),
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
        out[str(sector)] = ", ".join(f"{i} {pct_text(v)}" for i, v in ordered.items())
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
        value), ``color`` (its palette colour) and ``members`` (for a sector, its positions).
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


def _measure_chart(
    table: pd.DataFrame, measure: Measure, rule: Any, max_items: int | None
) -> hv.Overlay:
    part = table[table["measure"] == measure.value].copy()
    two = bool((table["when"] == AFTER).any())  # before and after a batch
    n_items = part["item"].nunique()
    if max_items is not None and n_items > max_items:
        largest = part.groupby("item")["value"].max().sort_values(ascending=False, kind="stable")
        part = part[part["item"].isin(largest.index[:max_items])]
    after = part[part["when"] == AFTER]
    order_by = after if not after.empty else part
    order = list(order_by.sort_values("value", ascending=False, kind="stable")["item"])
    order += [i for i in dict.fromkeys(part["item"]) if i not in order]
    part["alpha"] = np.where(part["when"] == BEFORE, 0.45 if two else 1.0, 1.0)
    limit, hard = float(rule.limit), bool(rule.hard)
    leverage = measure is Measure.LEVERAGE
    fmt = "{0.00}\u00d7" if leverage else PCT
    tips = hover(
        [
            ("Item", "item", ""),
            ("When", "when", ""),
            ("Value", "value", fmt),
            ("Limit", "limit", fmt),
            ("Of limit", "ratio", PCT),
            ("Status", "status", ""),
        ]
        + ([("Positions", "members", "")] if measure is Measure.SECTOR else [])
    )
    vdims = ["value", "limit", "hard", "ratio", "status", "color", "alpha", "members"]
    kdims = ["item", "when"] if two else ["item"]
    bars = hv.Bars(part, kdims, vdims).redim.values(item=order, when=[BEFORE, AFTER])
    xlabel, ylabel = _AXES[measure]
    limit_text = f"{limit:g}\u00d7" if leverage else pct_text(limit)
    kind = "hard" if hard else "soft"
    styled = not part.empty  # an empty Bars cannot map colours from its (absent) columns
    bars = bars.opts(
        color="color" if styled else str(Palette.NEUTRAL),
        line_color="color" if styled else str(Palette.NEUTRAL),
        alpha="alpha" if styled else 1.0,
        tools=["hover"],
        hover_tooltips=tips,
        xlabel=xlabel,
        ylabel=ylabel,
        xrotation=45 if measure in (Measure.POSITION, Measure.SECTOR) else 0,
        multi_level=two,
        backend=BACKEND,
    )
    line = hv.HLine(limit).opts(
        color=str(Palette.RED if hard else Palette.AMBER),
        line_dash="dashed" if hard else "dotted",
        line_width=2,
        backend=BACKEND,
    )
    peak = float(part["value"].max()) if len(part) else 0.0
    shown = (
        f"largest {part['item'].nunique()} of {n_items} "
        if len(part["item"].unique()) < n_items
        else ""
    )
    title = f"{_TITLES[measure]} ({shown}by {xlabel.lower()})" if xlabel else _TITLES[measure]
    title += f" against the {limit_text} limit ({kind})"
    if two:
        title += ", before and after the batch"
    opts = {
        "title": title,
        "width": 620,
        "height": 320,
        "show_legend": False,
        "toolbar": "above",
        "show_grid": True,
        "ylim": (0.0, 1.15 * max(limit, peak)),
        "backend": BACKEND,
    }
    if not leverage:
        opts["yformatter"] = percent_axis(1)
    return (bars * line).opts(hv.opts.Overlay(**opts))


def exposures(
    state: Any,
    market: Any,
    policy: Any = None,
    result: Any = None,
    *,
    measures: Any = tuple(Measure),
    max_items: int | None = 30,
) -> hv.Layout:
    """Exposures against limits: positions, sectors, leverage and volatility.

    One chart per measure: a bar per instrument, sector or the portfolio, before the batch
    (pale) and after it (solid) when a result is given, coloured by where it stands —
    neutral within the limit, amber at 90% of it or above a soft limit, red above a hard
    limit — with the limit drawn (dashed red: hard; dotted amber: soft). A sector's tooltip
    names the positions that fill it.

    Parameters
    ----------
    state, market, policy, result
        As for :func:`exposure_table`.
    measures : iterable of Measure
        Which charts, in order (default all four).
    max_items : int or None, default 30
        Show at most this many instruments (or sectors), the largest (by their larger
        value, before or after); None shows all.

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
