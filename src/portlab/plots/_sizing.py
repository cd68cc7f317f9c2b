"""The sizing of one decision as a waterfall, and the allocation across the batch's opportunities.

Both read :attr:`portlab.CoordinationResult.waterfall` (one row per candidate trade, every
sizing step as a column, sizes as fractions of NAV); nothing is recomputed.
"""

from __future__ import annotations

import math
from typing import Any

import holoviews as hv
import numpy as np
import pandas as pd

from portlab.engine.enums import SizingMethod
from portlab.exceptions import ValidationError
from portlab.formatting import format_names, format_value
from portlab.plots._style import (
    BACKEND,
    LEGEND_PX,
    MAX_BARS,
    MAX_WIDTH,
    PCT,
    WIDTH,
    hover,
    largest,
    overlay_opts,
    pct_text,
    percent_axis,
    shown_text,
)
from portlab.plots._waterfall import Step, waterfall
from portlab.plots.palette import Palette, side_color

__all__ = [
    "OPTIONAL_STEPS",
    "RULE_LABELS",
    "SIZING_STEPS",
    "allocation",
    "rule_label",
    "sizing_waterfall",
]

#: how the engine's rule names read on a chart
RULE_LABELS = {
    "position": "position limit",
    "short_selling": "no short selling",
    "sector": "sector limit",
    "leverage": "leverage limit",
    "cash": "cash",
    "volatility": "volatility limit",
    "var": "VaR limit",
    "position_risk": "position risk limit",
    "correlation": "correlated exposure limit",
    "strategy_budget": "strategy budget",
}

#: the waterfall's steps after the first bar: (name, column of ``result.waterfall``), in
#: pipeline order (specification §3 to §7); the last column is the decision's size
SIZING_STEPS = (
    ("policy", "policy_constrained"),
    ("correlation", "correlation_adjusted"),
    ("rebalance blend", "blended"),
    ("minimum size", "sized"),
    ("allocation", "allocated"),
    ("risk loop", "risk_adjusted"),
    ("market impact", "impact_size"),
    ("whole shares", "final_size"),
)

#: steps drawn only when they moved the trade (the market impact limit shrinks few trades)
OPTIONAL_STEPS = frozenset({"market impact"})
#: steps whose change comes from a limit: drawn amber (the trade ends at the limit)
_LIMIT_STEPS = frozenset({"policy", "allocation", "risk loop", "market impact"})

DECIDED = "DECIDED"


def rule_label(rule: Any) -> str:
    """An engine rule name as it reads on a chart (``"short_selling"`` -> ``"no short selling"``)."""
    if rule is None or (isinstance(rule, float) and math.isnan(rule)) or rule == "":
        return ""
    return RULE_LABELS.get(str(rule), str(rule).replace("_", " "))


def reason_text(reason: Any) -> str:
    """A rejection reason as it reads on a chart (``"POLICY_LIMIT"`` -> ``"policy limit"``)."""
    return str(reason).lower().replace("_", " ")


def _number(x: Any) -> float:
    return float("nan") if x is None else float(x)


def _waterfall_frame(result: Any) -> pd.DataFrame:
    frame = result if isinstance(result, pd.DataFrame) else getattr(result, "waterfall", None)
    if not isinstance(frame, pd.DataFrame):
        raise ValidationError(
            "result: expected a CoordinationResult or its waterfall DataFrame, got "
            f"{type(result).__name__}"
        )
    return frame


def _candidate(frame: pd.DataFrame, instrument_id: str | None) -> pd.Series:
    if instrument_id is None:
        if len(frame) != 1:
            raise ValidationError(
                f"instrument_id: required when the result has {len(frame)} candidate trades "
                f"({format_names(frame['instrument_id'])})"
            )
        return frame.iloc[0]
    rows = frame[frame["instrument_id"] == instrument_id]
    if rows.empty:
        raise ValidationError(
            f"instrument_id: no candidate trade for {format_value(instrument_id)}; the result "
            f"has {format_names(frame['instrument_id']) or 'none'}"
        )
    return rows.iloc[0]


def _step_rule(name: str, row: pd.Series, change: float) -> str:
    if abs(change) <= 1e-15:
        return ""
    if name == "policy":
        return rule_label(row["binding_rule"])
    if name == "correlation":
        return f"\u00d7{float(row['correlation_factor']):.2f} (\u03c1 {float(row['book_correlation']):.2f})"
    if name == "rebalance blend":
        return "blended with rebalance"
    if name == "minimum size":
        return "raised to the minimum" if bool(row["min_size_applied"]) else "below the minimum"
    if name == "allocation":
        return rule_label(row["allocation_binding"]) or "batch limits"
    if name == "market impact":
        return "shrunk to the impact limit"
    if name == "risk loop":
        n = row["risk_iterations"]
        return f"{int(n)} resize pass{'es' if n != 1 else ''}" if n == n and n else "risk check"
    return rule_label(row["trimmed_by"]) or "rounding"


def sizing_steps(row: pd.Series) -> list[Step]:
    """The bars of one candidate's sizing waterfall (see :func:`sizing_waterfall`)."""
    color = str(side_color(row["action"]))
    signal = _number(row["signal_trade"])
    if math.isnan(signal):
        first, start = "rebalance request", _number(row["rebalance_trade"])
        first_rule = ""
    else:
        # the sizing method's target (the Kelly target under KELLY; a waterfall journaled
        # before the methods existed has no sizing_method: Kelly's)
        method = SizingMethod(str(row.get("sizing_method") or SizingMethod.KELLY))
        target = _number(row.get("target_size", row["kelly"]))
        first, start = method.label, signal
        first_rule = f"target {pct_text(target)}, held {pct_text(_number(row['current_weight']))}"
    steps = [Step(first, first_rule, 0.0, start, color, pct_text(start))]
    decided = row["outcome"] == DECIDED
    level = start
    for name, column in SIZING_STEPS:
        value = _number(row.get(column))  # (a step a journaled waterfall predates: none)
        if math.isnan(value):  # a stage the candidate did not reach: no change
            value = level
        change = value - level
        if name in OPTIONAL_STEPS and abs(change) <= 1e-15:  # drawn only when it moved
            continue
        rule = _step_rule(name, row, change)
        limit = name in _LIMIT_STEPS or (name == "whole shares" and bool(row["trimmed_by"]))
        step_color = Palette.AMBER if (limit and change < 0) else Palette.NEUTRAL
        text = pct_text(change, signed=True) if abs(change) > 1e-15 else ""
        steps.append(Step(name, rule, level, value, str(step_color), text))
        level = value
    final = level if decided else 0.0
    rule = "" if decided else str(row["outcome"])
    steps.append(Step("final", rule, 0.0, final, color, pct_text(final)))
    return steps


def sizing_waterfall(result: Any, instrument_id: str | None = None) -> hv.Overlay:
    """The sizing of one candidate trade, from the sizing method's size to the decision's.

    Left to right: the trade toward the sizing method's target, labelled with the method
    (``Kelly``, ``Equal weight``, ...; or the rebalance request's trade), then
    one bar per stage that may move it — policy cap, correlation adjustment, rebalance blend,
    minimum size, batch allocation, risk loop, rounding to whole shares — and the final size.
    Each bar is labelled with the rule that moved it; a step that did not move the trade is a
    flat line, and so is a stage the candidate did not reach. The final bar of a candidate that
    did not become a decision is 0, labelled with its :class:`~portlab.engine.RejectReason`.

    Parameters
    ----------
    result : CoordinationResult or DataFrame
        A coordination result, or its ``waterfall`` table.
    instrument_id : str, optional
        The candidate's instrument; optional when the result has one candidate.

    Returns
    -------
    holoviews.Overlay
        ``Rectangles`` (group ``Waterfall``; one row per bar: ``step``, ``rule``, ``start``,
        ``end``, ``change``, fractions of NAV) and ``Labels``. Sizes are shown as percent of
        NAV; the first and last bars in the trade's side colour, steps cut by a limit amber.

    Raises
    ------
    ValidationError
        Not a result, or no candidate for ``instrument_id``.
    """
    row = _candidate(_waterfall_frame(result), instrument_id)
    steps = sizing_steps(row)
    title = (
        f"Sizing of {row['instrument_id']} {row['action']}: "
        f"{pct_text(steps[0].end)} \u2192 {pct_text(steps[-1].end)} of NAV"
    )
    return waterfall(steps, ylabel="Trade size (% of NAV)", title=title)


def allocation_table(result: Any) -> pd.DataFrame:
    """One row per candidate trade: the size it asked for, the size it got, what bound it."""
    frame = _waterfall_frame(result)
    decided = (frame["outcome"] == DECIDED).to_numpy()
    wanted = pd.to_numeric(frame["sized"], errors="coerce").fillna(0.0).to_numpy()
    final = pd.to_numeric(frame["final_size"], errors="coerce").fillna(0.0).to_numpy()
    allocated = np.where(decided, final, 0.0)
    binding = [
        rule_label(a) or rule_label(t) or ("" if d else reason_text(o))
        for a, t, d, o in zip(
            frame["allocation_binding"], frame["trimmed_by"], decided, frame["outcome"], strict=True
        )
    ]
    table = pd.DataFrame(
        {
            "instrument_id": frame["instrument_id"].to_numpy(),
            "action": frame["action"].to_numpy(),
            "wanted": wanted,
            "allocated": allocated,
            "binding": binding,
            "outcome": frame["outcome"].to_numpy(),
            "color": [str(side_color(a)) for a in frame["action"]],
        }
    )
    return table.sort_values(["wanted", "instrument_id"], ascending=[False, True], kind="stable")


#: pixels per bar of the allocation chart (room for its rotated instrument label)
_ALLOCATION_BAR_PX = 26


def allocation(result: Any, *, max_items: int | None = MAX_BARS) -> hv.Overlay:
    """How the batch's capital went to its opportunities, and which limit bound each one.

    One bar per candidate trade (instrument), sorted by the size it asked for: the size
    allocated (``final_size`` of a decision, 0 for a candidate dropped), in its side's
    colour, and a dash at the size it asked for before allocation (``sized``). The legend
    sits right of the frame; the limits that bound any candidate are named in the title.

    Parameters
    ----------
    result : CoordinationResult or DataFrame
        A coordination result, or its ``waterfall`` table.
    max_items : int or None, default 30
        Show at most this many candidates: those that asked for the largest absolute size
        (ties in the table's order); the title then says "largest N of M". None shows all.
        The limits named in the title are those of every candidate, shown or not.

    Returns
    -------
    holoviews.Overlay
        ``Bars`` labelled ``BUY`` and ``SELL`` (vdims ``allocated``, ``wanted``, ``binding``,
        ``outcome``, fractions of NAV) and a ``Scatter`` labelled ``asked for`` (vdim
        ``wanted``).
    """
    whole = allocation_table(result)
    keep = largest(whole["wanted"].reset_index(drop=True), max_items)
    table = whole.iloc[np.sort(keep.to_numpy())]  # still sorted by the size asked for
    order = list(table["instrument_id"])
    tips = hover(
        [
            ("Instrument", "instrument_id", ""),
            ("Side", "action", ""),
            ("Allocated", "allocated", PCT),
            ("Asked for", "wanted", PCT),
            ("Bound by", "binding", ""),
            ("Outcome", "outcome", ""),
        ]
    )
    vdims = ["allocated", "wanted", "binding", "outcome", "action"]
    # the order given to the dimension when the elements are built (a redim clones them)
    instrument = hv.Dimension("instrument_id", values=order)
    layers = []
    for side in ("BUY", "SELL"):
        part = table[table["action"] == side]
        if part.empty:
            continue
        layers.append(
            hv.Bars(part, instrument, vdims, label=side).opts(
                color=str(side_color(side)), hover_tooltips=tips, tools=["hover"], backend=BACKEND
            )
        )
    asked = hv.Scatter(table, instrument, ["wanted", "allocated", "binding", "outcome", "action"],
                       label="asked for").opts(
        marker="dash", size=22, color=str(Palette.CURRENT), line_width=3, angle=0,
        hover_tooltips=tips, tools=["hover"], backend=BACKEND,
    )  # fmt: skip
    bound = sorted({b for b in whole["binding"] if b})
    cut = shown_text(len(table), len(whole), "opportunities")
    title = f"Allocation, {cut}" if cut else f"Allocation across {len(whole)} opportunities"
    title += "\n" + (f"bound by {', '.join(bound)}" if bound else "no limit binds")
    overlay = hv.Overlay([*layers, asked])
    return overlay_opts(
        overlay,
        title=title,
        legend=True,
        xlabel="Instrument",
        ylabel="Trade size (% of NAV)",
        yformatter=percent_axis(1),
        xrotation=90 if len(table) > 12 else 45,
        width=int(min(MAX_WIDTH, max(WIDTH + LEGEND_PX, 200 + _ALLOCATION_BAR_PX * len(table)))),
        height=380,
    )
