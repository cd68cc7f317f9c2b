"""Brinson attribution charts: effects by group, the attribution waterfall, effects over time.

All read a :class:`~portlab.analytics.attribution.BrinsonResult`: ``linked`` (or ``relink``)
for the effects over the whole range, ``benchmark_total`` and ``portfolio_total`` for the
waterfall's ends, ``effects`` and ``coefficients`` for the effects over time.
"""

from __future__ import annotations

from typing import Any

import holoviews as hv
import pandas as pd

from portlab.exceptions import ValidationError
from portlab.plots._style import (
    BACKEND,
    LEGEND_OUTSIDE,
    LEGEND_PX,
    SIGNED_PCT,
    bp_text,
    hover,
    overlay_opts,
    pct_text,
    percent_axis,
)
from portlab.plots._waterfall import Step, waterfall
from portlab.plots.palette import Palette

__all__ = ["EFFECT_COLORS", "attribution_waterfall", "brinson_effects", "linked_effects"]

#: the three Brinson effects and their colours (every attribution chart)
EFFECT_COLORS = {
    "allocation": Palette.ALLOCATION,
    "selection": Palette.SELECTION,
    "interaction": Palette.INTERACTION,
}
EFFECTS = tuple(EFFECT_COLORS)
#: a linked total that differs from the compounded active return by more than this shows a
#: "not linked" step (only with ``Linking.NONE``, whose arithmetic sum does not compound)
_RESIDUAL_TOL = 1e-12


def _check(result: Any) -> None:
    needed = ("linked", "benchmark_total", "portfolio_total", "effects", "coefficients")
    if not all(hasattr(result, a) for a in needed):
        raise ValidationError(
            f"result: expected a BrinsonResult (portlab.analytics.attribution.brinson), got "
            f"{type(result).__name__}"
        )


#: the linking methods as their authors write them, for titles
_LINKING_NAMES = {"carino": "Cariño", "menchero": "Menchero", "grap": "GRAP", "none": "no"}


def _linked(result: Any, linking: Any) -> tuple[pd.DataFrame, str]:
    if linking is None:
        return result.linked, _LINKING_NAMES.get(str(result.linking), str(result.linking))
    from portlab.analytics.attribution import Linking

    linking = Linking(linking)
    return result.relink(linking), _LINKING_NAMES.get(str(linking), str(linking))


def _method(result: Any) -> str:
    return {"bhb": "BHB", "brinson_fachler": "Brinson-Fachler"}.get(
        str(result.method), str(result.method)
    )


def brinson_effects(result: Any, *, linking: Any = None) -> hv.Bars:
    """Allocation, selection and interaction per group, linked over the whole range.

    Parameters
    ----------
    result : BrinsonResult
    linking : Linking, optional
        Re-link with another method (:meth:`BrinsonResult.relink`); default the result's.

    Returns
    -------
    holoviews.Bars
        Keys ``group`` and ``effect``; values ``value`` (a fraction of portfolio value, shown
        in percent) and ``bp`` (the same in basis points, as text). One colour per effect.
    """
    _check(result)
    linked, how = _linked(result, linking)
    long = (
        linked[list(EFFECTS)]
        .rename_axis("group")
        .reset_index()
        .melt(id_vars="group", var_name="effect", value_name="value")
    )
    long["bp"] = [bp_text(v) for v in long["value"]]
    groups = list(linked.index)
    kdims = [hv.Dimension("group", values=groups), hv.Dimension("effect", values=list(EFFECTS))]
    bars = hv.Bars(long, kdims, ["value", "bp"])
    return bars.opts(
        color="effect",
        cmap={k: str(v) for k, v in EFFECT_COLORS.items()},
        show_legend=True,
        legend_position=LEGEND_OUTSIDE,
        title=f"{_method(result)} effects by group\n{how} linking over {len(result.effects)} periods",
        xlabel="Group",
        ylabel="Effect (% of portfolio value)",
        yformatter=percent_axis(2),
        xrotation=45,
        multi_level=False,
        tools=["hover"],
        hover_tooltips=hover(
            # the value as read (basis points below 1%, percent from 1% on), once
            [("Group", "group", ""), ("Effect", "effect", ""), ("Value", "bp", "")]
        ),
        width=720 + LEGEND_PX,
        height=400,
        show_grid=True,
        toolbar="above",
        framewise=True,
        backend=BACKEND,
    )  # fmt: skip


def attribution_waterfall(result: Any, *, linking: Any = None) -> hv.Overlay:
    """From the benchmark's return to the portfolio's, through the three effects.

    Left to right: the benchmark's compounded return (grey), the linked allocation,
    selection and interaction effects summed over groups, and the portfolio's compounded
    return. With every linking but ``NONE`` the steps add up exactly; with ``NONE`` a
    "not linked" step shows the part of the compounded active return the arithmetic sum
    misses.

    Parameters
    ----------
    result : BrinsonResult
    linking : Linking, optional
        As for :func:`brinson_effects`.

    Returns
    -------
    holoviews.Overlay
        ``Rectangles`` (group ``Waterfall``: ``step``, ``start``, ``end``, ``change``, as
        fractions) and ``Labels`` (returns in percent, effects in basis points).
    """
    _check(result)
    linked, how = _linked(result, linking)
    bench, port = float(result.benchmark_total), float(result.portfolio_total)
    steps = [Step("benchmark", "", 0.0, bench, str(Palette.BENCHMARK), pct_text(bench, 2))]
    level = bench
    for effect in EFFECTS:
        value = float(linked[effect].sum())
        steps.append(
            Step(effect, "", level, level + value, str(EFFECT_COLORS[effect]), bp_text(value))
        )
        level += value
    residual = port - level
    if abs(residual) > _RESIDUAL_TOL:
        steps.append(
            Step("not linked", "compounding", level, port, str(Palette.NEUTRAL), bp_text(residual))
        )
    steps.append(Step("portfolio", "", 0.0, port, str(Palette.PORTFOLIO), pct_text(port, 2)))
    title = (
        f"Attribution of the active return ({bp_text(port - bench)})\n{_method(result)}, "
        f"{how} linking"
    )
    return waterfall(steps, ylabel="Return over the period (%)", title=title, digits=2)


def linked_effects(result: Any) -> hv.Overlay:
    """The linked effects accumulated over time, one line per effect.

    ``result.linked_over_time``: at each date, the part of the whole range's linked effect
    earned so far. The last point of each line is the effect's linked total.

    Parameters
    ----------
    result : BrinsonResult

    Returns
    -------
    holoviews.Overlay
        One ``Curve`` per effect (key ``period``; value ``cumulative``, a fraction),
        labelled with the effect's name.
    """
    _check(result)
    over_time = result.linked_over_time
    index = over_time.index
    name = index.name or "period"
    curves = []
    for effect in EFFECTS:
        data = pd.DataFrame({name: index, "cumulative": over_time[effect].to_numpy(dtype=float)})
        curves.append(
            hv.Curve(data, name, "cumulative", label=effect).opts(
                color=str(EFFECT_COLORS[effect]),
                line_width=2,
                tools=["hover"],
                hover_tooltips=[("Effect", effect)]
                + hover([("Date", name, "{%F}" if _dates(index) else ""),
                         ("Cumulative", "cumulative", SIGNED_PCT)]),
                hover_formatters={f"@{{{name}}}": "datetime"} if _dates(index) else {},
                backend=BACKEND,
            )
        )  # fmt: skip
    return overlay_opts(
        hv.Overlay(curves),
        title="Linked effects over time "
        f"({_LINKING_NAMES.get(str(result.linking), str(result.linking))} linking)",
        legend=True,
        xlabel="Date" if _dates(index) else "Period",
        ylabel="Cumulative effect (% of portfolio value)",
        yformatter=percent_axis(2),
        show_grid=True,
    )


def _dates(index: pd.Index) -> bool:
    return isinstance(index, pd.DatetimeIndex)
