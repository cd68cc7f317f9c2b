"""Optimization charts: the efficient frontier, risk contributions, correlations in HRP order,
the weights of one objective's portfolio under each estimator."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import holoviews as hv
import pandas as pd

from portlab.exceptions import ValidationError
from portlab.plots._style import (
    BACKEND,
    MAX_BARS,
    MAX_WIDTH,
    NUMBER,
    PCT,
    SIGNED_PCT,
    TEXT_COLOR,
    finish,
    hover,
    largest,
    overlay_opts,
    pct_text,
    percent_axis,
    shown_text,
)
from portlab.plots.palette import Palette

__all__ = [
    "correlation_heatmap",
    "estimator_weights",
    "frontier",
    "frontier_point",
    "risk_contributions",
]

#: the metric columns of :func:`portlab.analytics.optimize.efficient_frontier`'s table
FRONTIER_METRICS = ("target_return", "expected_return", "volatility", "sharpe")
#: how many of a portfolio's largest weights its tooltip lists
TOP_WEIGHTS = 5


def _holdings(weights: pd.Series) -> str:
    """The largest weights as text: ``"AAPL 10.0%, MSFT 9.5%"``."""
    w = weights[weights.abs() > 1e-9]
    top = w.reindex(w.abs().sort_values(ascending=False).index[:TOP_WEIGHTS])
    more = f" and {len(w) - len(top)} more" if len(w) > len(top) else ""
    return ", ".join(f"{k} {pct_text(v)}" for k, v in top.items()) + more


def frontier_point(point: Any) -> dict[str, Any]:
    """A portfolio to mark on the frontier: its volatility, expected return and holdings.

    Parameters
    ----------
    point : MeanVarianceResult, mapping or (volatility, expected_return)
        A result of :func:`~portlab.analytics.optimize.mean_variance` (or anything with
        ``volatility`` and ``expected_return`` attributes, and ``sharpe``/``weights`` if it
        has them), a mapping with those keys, or a pair. Annual fractions.

    Returns
    -------
    dict
        ``volatility``, ``expected_return``, ``sharpe`` (NaN if not given), ``holdings``
        (text, ``""`` if no weights).
    """
    if isinstance(point, Mapping):
        get = point.get
    elif isinstance(point, Sequence) and not isinstance(point, str) and len(point) == 2:
        vol, ret = point
        return {"volatility": float(vol), "expected_return": float(ret),
                "sharpe": float("nan"), "holdings": ""}  # fmt: skip
    elif hasattr(point, "volatility") and hasattr(point, "expected_return"):

        def get(name: str, default: Any = None) -> Any:
            return getattr(point, name, default)

    else:
        raise ValidationError(
            "point: expected a MeanVarianceResult, a mapping with volatility and "
            f"expected_return, or a (volatility, expected_return) pair; got {type(point).__name__}"
        )
    weights = get("weights", None)
    return {
        "volatility": float(get("volatility")),
        "expected_return": float(get("expected_return")),
        "sharpe": float(get("sharpe", float("nan"))),
        "holdings": _holdings(pd.Series(weights, dtype=float)) if weights is not None else "",
    }


def frontier(table: pd.DataFrame, current: Any = None, chosen: Any = None) -> hv.Overlay:
    """The efficient frontier, with the portfolio held now and the one chosen.

    Parameters
    ----------
    table : DataFrame
        :func:`portlab.analytics.optimize.efficient_frontier`'s table (one row per point:
        ``target_return``, ``expected_return``, ``volatility``, ``sharpe``, then one column
        of weights per asset).
    current, chosen : optional
        Portfolios to mark (see :func:`frontier_point`): the current one (dark circle) and
        the chosen one (a star in the portfolio colour).

    Returns
    -------
    holoviews.Overlay
        ``Curve`` (the frontier line), ``Scatter`` of group ``Frontier`` (its points, with
        ``point``, ``sharpe`` and ``holdings``; attach a ``Selection1D`` or ``Tap`` stream to
        it to pick a point), and ``Scatter``\\ s labelled ``current`` and ``chosen``.
        Annual volatility on x, expected return on y, both in percent.
    """
    missing = [c for c in FRONTIER_METRICS if c not in table.columns]
    if missing:
        raise ValidationError(
            f"table: not an efficient_frontier table (no column {', '.join(missing)})"
        )
    assets = [c for c in table.columns if c not in FRONTIER_METRICS]
    data = table[list(FRONTIER_METRICS)].copy()
    data.insert(0, "point", table.index.to_numpy())
    data["holdings"] = [_holdings(row) for _, row in table[assets].iterrows()]
    tips = hover(
        [
            ("Point", "point", ""),
            ("Expected return", "expected_return", PCT),
            ("Volatility", "volatility", PCT),
            ("Sharpe", "sharpe", NUMBER),
            ("Largest weights", "holdings", ""),
        ]
    )
    line = hv.Curve(data, "volatility", "expected_return", label="efficient frontier").opts(
        color=str(Palette.NEUTRAL), line_width=2, backend=BACKEND
    )
    points = hv.Scatter(
        data, "volatility", ["expected_return", "point", "sharpe", "holdings"], group="Frontier"
    ).opts(
        color=str(Palette.NEUTRAL),
        size=7,
        tools=["hover", "tap"],
        hover_tooltips=tips,
        nonselection_alpha=0.5,
        backend=BACKEND,
    )
    layers: list[Any] = [line, points]
    marked = []
    for name, point, style in (
        ("current", current, {"color": str(Palette.CURRENT), "marker": "circle", "size": 13}),
        ("chosen", chosen, {"color": str(Palette.PORTFOLIO), "marker": "star", "size": 20}),
    ):
        if point is None:
            continue
        p = pd.DataFrame([frontier_point(point)])
        layers.append(
            hv.Scatter(p, "volatility", ["expected_return", "sharpe", "holdings"], label=name).opts(
                tools=["hover"],
                hover_tooltips=[("Portfolio", name)]
                + hover(
                    [
                        ("Expected return", "expected_return", PCT),
                        ("Volatility", "volatility", PCT),
                        ("Sharpe", "sharpe", NUMBER),
                        ("Largest weights", "holdings", ""),
                    ]
                ),
                backend=BACKEND,
                **style,
            )
        )
        marked.append(name)
    title = "Efficient frontier" + (f" with the {' and '.join(marked)} portfolio" if marked else "")
    if len(marked) == 2:
        title += "s"
    return overlay_opts(
        hv.Overlay(layers),
        title=title,
        legend=bool(marked),  # the frontier alone is one series
        xlabel="Volatility (% a year)",
        ylabel="Expected return (% a year)",
        xformatter=percent_axis(1),
        yformatter=percent_axis(1),
        padding=0.08,  # the end points and the star are not cut by the frame
    )


def risk_contributions(table: pd.DataFrame, *, top: int | None = MAX_BARS) -> hv.Bars:
    """Each instrument's contribution to the portfolio's volatility, largest first.

    Parameters
    ----------
    table : DataFrame
        :func:`portlab.analytics.risk.volatility_contributions`'s table (index instrument;
        ``weight``, ``marginal``, ``component``, ``percent``).
    top : int or None, default 30
        Show only the ``top`` largest contributions (by absolute value; ties in the
        table's order); the title then says "largest N of M". None shows every one.

    Returns
    -------
    holoviews.Bars
        Key ``instrument``; values ``component`` (annual volatility contributed, a
        fraction), ``percent`` (share of the total), ``weight``, ``marginal``. Instruments
        without weight are left out.
    """
    missing = [c for c in ("weight", "marginal", "component", "percent") if c not in table]
    if missing:
        raise ValidationError(
            f"table: not a volatility_contributions table (no column {', '.join(missing)})"
        )
    data = table[table["weight"] != 0].copy()
    data.index.name = "instrument"
    data = data.reset_index()
    n_all = len(data)
    data = data.loc[largest(data["component"], top)]
    total = float(table["component"].sum())
    bars = hv.Bars(data, "instrument", ["component", "percent", "weight", "marginal"]).opts(
        color=str(Palette.NEUTRAL),
        hover_tooltips=hover(
            [
                ("Instrument", "instrument", ""),
                ("Contribution", "component", PCT),
                ("Share of risk", "percent", PCT),
                ("Weight", "weight", PCT),
                ("Marginal", "marginal", "{0.000}"),
            ]
        ),
        backend=BACKEND,
    )
    cut = shown_text(len(data), n_all, "instruments")
    return finish(
        bars,
        title=f"Contributions to portfolio volatility ({pct_text(total)} a year)\n"
        + (cut or "by instrument"),
        xlabel="Instrument",
        ylabel="Volatility contributed (% a year)",
        yformatter=percent_axis(2),
        xrotation=90 if len(data) > 12 else 45,
        width=int(min(MAX_WIDTH, max(620, 120 + 26 * len(data)))),
    )


#: instruments a correlation heatmap labels; with more, their names are left off the axes
#: (or, given weights, only the largest holdings are shown)
MAX_LABELLED = 50


def correlation_heatmap(
    corr: pd.DataFrame,
    order: Any = None,
    *,
    weights: pd.Series | None = None,
    max_items: int | None = MAX_LABELLED,
) -> hv.HeatMap:
    """Pairwise correlations, instruments in the leaf order of HRP's clustering tree.

    Parameters
    ----------
    corr : DataFrame (n, n)
        Correlation matrix (``market.correlation()``), labelled alike on both axes.
    order : HierarchicalRiskParity, sequence of labels, or None
        A fitted :class:`~portlab.analytics.optimize.HierarchicalRiskParity` (its
        ``order_``), an explicit order, or None to cluster ``corr`` with HRP's default tree
        (single linkage on the distance ``sqrt((1 − ρ) / 2)``).
    weights : Series, optional
        Portfolio weights by instrument. With more than ``max_items`` instruments, only the
        ``max_items`` largest absolute weights are shown (ties in the order of ``weights``),
        in the order above restricted to them (HRP fitted on them when ``order`` is None),
        and the title says "largest N of M holdings".
    max_items : int or None, default 50
        Beyond this many instruments the heatmap is cut to the largest holdings (with
        ``weights``) or drawn without instrument names on its axes (without); None labels
        every instrument.

    Returns
    -------
    holoviews.HeatMap
        Keys ``x``, ``y`` (instruments, in that order on both axes, the first at the top
        left); value ``correlation``. Diverging colours from −1 (blue) to +1 (red).
    """
    if not (isinstance(corr, pd.DataFrame) and corr.index.equals(corr.columns)):
        raise ValidationError("corr: expected a square DataFrame with the same labels on both axes")
    n_all = len(corr)
    cut, how = "", "in the given order"
    if weights is not None and max_items is not None and n_all > max_items:
        held = pd.Series(weights, dtype=float).reindex(corr.index).fillna(0.0)
        keep = largest(held, max_items)
        cut = shown_text(len(keep), n_all, "holdings")
        corr = corr.loc[keep, keep]
        if hasattr(order, "order_"):  # HRP's leaf order, restricted to the instruments kept
            how = f"in HRP order ({order.linkage} linkage)"
            order = order.order_
        if order is not None:
            kept = set(keep)
            order = [x for x in order if x in kept]
    if order is None:
        from portlab.analytics.optimize import HierarchicalRiskParity

        model = HierarchicalRiskParity().fit(corr)
        labels, how = list(model.order_), f"in HRP order ({model.linkage} linkage)"
    elif hasattr(order, "order_"):
        labels, how = list(order.order_), f"in HRP order ({order.linkage} linkage)"
    else:
        labels = list(order)
    unknown = [x for x in labels if x not in corr.index]
    if unknown or len(set(labels)) != len(labels):
        raise ValidationError(
            "order: must list labels of corr, each once"
            + (f" (unknown: {', '.join(map(str, unknown[:5]))})" if unknown else "")
        )
    sub = corr.loc[labels, labels]
    data = pd.DataFrame(
        {
            "x": pd.Index(labels).repeat(len(labels)),
            "y": labels * len(labels),
            "correlation": sub.to_numpy().T.ravel(),
        }
    )
    n = len(labels)
    named = max_items is None or n <= max_items
    side = max(360, min(MAX_WIDTH - 140, 16 * n + 140))
    kdims = [hv.Dimension("x", values=labels), hv.Dimension("y", values=labels[::-1])]
    heat = hv.HeatMap(data, kdims, "correlation")
    what = f"{cut}\n{how}" if cut else f"{n} instruments,\n{how}"
    title = f"Correlation of {what}" + ("" if named else "\n(too many to name on the axes)")
    axes = {} if named else {"xaxis": "bare", "yaxis": "bare"}
    return finish(
        heat,
        title=title,
        xlabel="",
        ylabel="",
        **axes,
        cmap="RdBu_r",
        clim=(-1.0, 1.0),
        colorbar=True,
        xrotation=90,
        width=side + 80,
        height=side,
        show_grid=False,
        hover_tooltips=hover(
            [("Instrument", "x", ""), ("With", "y", ""), ("Correlation", "correlation", "{0.00}")]
        ),
    )


#: a weight below this is written as nothing in its cell (the cell stays white)
_SHOWN_WEIGHT = 0.0005
#: cells at least this fraction of the largest weight are dark: their text is white
_DARK_CELL = 0.55
#: pixels per row of :func:`estimator_weights`
_ROW_PX = 26
#: rows :func:`estimator_weights` leaves room for by default: every expected-return method
#: and risk model (6 + 7), so that a chart updated in place with fewer keeps its size
ESTIMATOR_ROWS = 13


def estimator_weights(
    weights: pd.DataFrame,
    *,
    chosen: str | None = None,
    objective: str = "",
    top: int | None = MAX_BARS,
    rows: int = ESTIMATOR_ROWS,
) -> hv.Overlay:
    """The weights of one objective's portfolio under each estimator: a row per estimator,
    a column per instrument, each cell coloured and labelled by the weight.

    Parameters
    ----------
    weights : DataFrame
        One row per portfolio, labelled by its estimator (text, e.g.
        :meth:`EstimatorEffect.labels() <portlab.ui.estimators.EstimatorEffect.labels>`), one
        column per instrument, weights as fractions of NAV. A row of NaN (an estimator
        under which the objective could not be solved) stays blank.
    chosen : str, optional
        The label of the chosen portfolio's row: marked ``▶`` and the columns put in the
        order of its weights (largest first); the tooltips give each weight's change from it.
    objective : str
        The objective's name, for the title (``"max Sharpe"``).
    top : int or None, default 30
        Show only the instruments with the ``top`` largest weights in any row (the title
        then says "largest N of M"); None shows every instrument held in some row.
    rows : int, default 13
        The chart is as tall as this many rows (or as ``weights`` has, if more) and always
        as wide as a results column, so that it keeps its size when a widget updates it in
        place with fewer rows or instruments.

    Returns
    -------
    holoviews.Overlay
        ``HeatMap`` (keys ``instrument`` and ``estimator``, the first row at the top; values
        ``weight`` and ``change``, the weight less the chosen portfolio's, NaN without
        ``chosen``) and ``Labels`` (the weights in percent; empty cells unlabelled).

    Examples
    --------
    >>> import pandas as pd
    >>> w = pd.DataFrame({"A": [0.6, 0.5], "B": [0.4, 0.5], "C": [0.0, 0.0]},
    ...                  index=["Risk model: Sample", "Risk model: EWMA"])
    >>> chart = estimator_weights(w, chosen="Risk model: Sample", objective="max Sharpe")
    >>> chart.HeatMap.I.dframe()[["instrument", "estimator", "weight", "change"]].values.tolist()[-1]
    ['B', 'Risk model: EWMA', 0.5, 0.09999999999999998]
    >>> chart.opts.get().kwargs["title"]
    'Weights of the max Sharpe portfolio under each estimator'
    """
    if not isinstance(weights, pd.DataFrame) or weights.empty:
        raise ValidationError("weights: expected a DataFrame, one row of weights per estimator")
    if not weights.index.is_unique:
        raise ValidationError("weights: each estimator's row needs its own label")
    if chosen is not None and chosen not in weights.index:
        raise ValidationError(f"chosen: {chosen!r} is not a row of weights")
    frame = weights.astype(float)
    labels = [str(i) for i in frame.index]
    held = frame.columns[(frame.abs().fillna(0.0) > _SHOWN_WEIGHT).any()]
    size = frame[held].abs().max()
    keep = list(largest(size, top))
    if chosen is not None:  # the chosen portfolio's order, then the others' by size
        base = frame.loc[chosen, keep].fillna(0.0)
        keep = list(base.sort_values(ascending=False, kind="stable").index)
    base_row = frame.loc[chosen, keep] if chosen is not None else None
    shown = {label: ("\u25b6 " if label == str(chosen) else "") + label for label in labels}
    cells = []
    for label, (_, row) in zip(labels, frame[keep].iterrows(), strict=True):
        for instrument in keep:
            w = float(row[instrument])
            change = float("nan") if base_row is None else w - float(base_row[instrument])
            text = pct_text(w, 0 if abs(w) >= 0.0995 else 1) if abs(w) > _SHOWN_WEIGHT else ""
            cells.append((str(instrument), shown[label], w, change, text))
    data = pd.DataFrame(cells, columns=["instrument", "estimator", "weight", "change", "text"])
    data = data.astype({"instrument": object, "estimator": object, "text": object})
    kdims = [
        hv.Dimension("instrument", values=[str(i) for i in keep]),
        hv.Dimension("estimator", values=[shown[x] for x in labels][::-1]),
    ]
    high = float(data["weight"].abs().max()) if data["weight"].notna().any() else 0.01
    tips = [("Estimator", "estimator", ""), ("Instrument", "instrument", ""),
            ("Weight", "weight", PCT)]  # fmt: skip
    if chosen is not None:
        tips.append(("Change from the chosen", "change", SIGNED_PCT))
    heat = hv.HeatMap(data, kdims, ["weight", "change"]).opts(
        cmap="Blues",
        clim=(0.0, max(high, 1e-6)),
        colorbar=False,
        hover_tooltips=hover(tips),
        tools=["hover"],
        show_grid=False,
        backend=BACKEND,
    )
    # dark text on light cells, white on dark ones (both layers always there, so that an
    # update in place keeps the chart's structure)
    dark = data["weight"].abs().fillna(0.0) >= _DARK_CELL * high
    text = [
        hv.Labels(data[~dark if colour == TEXT_COLOR else dark], kdims, "text").opts(
            text_font_size="7pt", text_color=colour, backend=BACKEND
        )
        for colour in (TEXT_COLOR, "white")
    ]
    cut = shown_text(len(keep), len(held), "instruments")
    what = f"the {objective} portfolio" if objective else "the portfolio"
    title = f"Weights of {what} under each estimator" + (f"\n({cut})" if cut else "")
    return overlay_opts(
        heat * text[0] * text[1],
        title=title,
        legend=False,
        xlabel="Instrument (% of NAV held)",
        ylabel="",
        xrotation=90 if len(keep) > 12 else 0,
        width=MAX_WIDTH,
        height=int(_ROW_PX * max(len(labels), rows) + 110),
    )
