"""Charts drawn by the browser from Bokeh JSON rendered once per server process.

A HoloViews pane builds its Bokeh models on the server for every session: for the PM
dashboard's fifteen charts that is about three seconds of one core per visitor, and ten
visitors at once queue behind each other. The dashboard's charts are pictures of a result
(every control recomputes the result; no chart drives the server), so the server renders each
chart once per result to Bokeh's JSON (``bokeh.embed.json_item``) and every session ships that
string to its page, where BokehJS draws it (``Bokeh.embed.embed_item``) with its own tools
(pan, zoom, hover, save). The page already holds BokehJS: nothing is fetched from elsewhere.

The charts themselves come from :mod:`portlab.plots`, unchanged; this module only moves where
they are drawn.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import panel as pn
import param
from panel.custom import JSComponent

from portlab.ui import CachedOutcome, OutcomeCache

__all__ = ["ChartItem", "RenderedChart", "chart_item", "render_item"]


class ChartItem(JSComponent):
    """A Bokeh document given as ``bokeh.embed.json_item`` output, drawn in the page.

    Parameters
    ----------
    item : dict
        ``json_item(model)``: the document and its root's id. A new value redraws.
    chart : optional
        The HoloViews chart ``item`` was rendered from; kept on the server (``.chart``) for
        whoever wants its data, never sent to the page.
    """

    item = param.Dict(default=None, doc="bokeh.embed.json_item output")

    _esm = """
    export function render({ model, el }) {
      let views = [];
      let drawn = 0;
      const draw = async () => {
        const mine = ++drawn;
        // Bokeh resolves the target under <body>: wait until Panel has attached the element
        while (!el.isConnected) await new Promise((r) => requestAnimationFrame(r));
        if (mine !== drawn) return;
        for (const view of views) view.remove();
        views = [];
        el.replaceChildren();
        const item = model.item;
        if (item) views = await window.Bokeh.embed.embed_item(item, el);
      };
      model.on("item", draw);
      model.on("remove", () => { for (const view of views) view.remove(); });
      draw();
    }
    """

    def __init__(self, chart: Any = None, **params: Any) -> None:
        super().__init__(**params)
        self.chart = chart


@dataclass(frozen=True)
class RenderedChart:
    """A chart and its Bokeh JSON (what :func:`chart_item` caches)."""

    chart: Any
    item: dict[str, Any]


def render_item(chart: Any, theme: Any = None) -> dict[str, Any]:
    """``bokeh.embed.json_item`` of a HoloViews chart rendered with Bokeh on a 2D canvas
    (:func:`portlab.plots.to_bokeh`; ``theme``: a Bokeh theme, or None for Bokeh's default)."""
    from bokeh.embed import json_item

    from portlab import plots

    return json_item(plots.to_bokeh(chart), theme=theme)


def chart_item(
    make: Callable[[], Any],
    *,
    key: Hashable,
    inputs: tuple[Any, ...],
    cache: OutcomeCache | None,
    theme: Any = None,
    height: int | None = None,
    static: bool = True,
) -> pn.viewable.Viewable:
    """A :class:`ChartItem` of ``make()`` (a HoloViews chart), rendered once per ``key`` on
    the very ``inputs`` objects when ``cache`` is given; or an alert saying why it could not
    be drawn (a chart must not take its page down).

    Parameters
    ----------
    make : callable
        Builds the chart (a :mod:`portlab.plots` function call).
    key : hashable
        What identifies the chart among those drawn from ``inputs`` (its name and the theme).
    inputs : tuple
        The objects the chart is drawn from (compared by identity, kept alive by the cache).
    cache : OutcomeCache, optional
        Shared by the sessions of a server; None renders every time.
    theme : bokeh.themes.Theme, optional
        The page design's Bokeh theme.
    height : int, optional
        The pane's height in pixels; default the chart's own.
    static : bool, default True
        False: a ``pn.pane.HoloViews`` of the chart instead (Bokeh models built for this
        page: what a notebook displays, where :class:`ChartItem` does not render in Panel
        1.9's notebook mode).
    """
    if not static:
        try:
            return pn.pane.HoloViews(make(), linked_axes=False, theme=theme)
        except Exception as exc:  # shown to the user instead of the chart
            return pn.pane.Alert(f"Chart not drawn: {exc}", alert_type="warning")
    cached = cache.get(key, inputs) if cache is not None else None
    if cached is None:
        try:
            chart = make()
            rendered = RenderedChart(chart, render_item(chart, theme))
        except Exception as exc:  # shown to the user instead of the chart
            return pn.pane.Alert(f"Chart not drawn: {exc}", alert_type="warning")
        cached = CachedOutcome(result=rendered, code="", warnings=())
        if cache is not None:
            cache.put(key, inputs, cached)
    rendered = cached.result
    if height is None:
        height = _root_height(rendered.item)
    return ChartItem(
        item=rendered.item, chart=rendered.chart, height=height, sizing_mode="stretch_width"
    )


def _root_height(item: dict[str, Any]) -> int | None:
    """The height its root model asks for (margins included), if fixed."""
    root_id = item["root_id"]
    for root in item["doc"]["roots"]:
        if root.get("id") == root_id:
            attrs = root.get("attributes", {})
            height = attrs.get("height")
            if isinstance(height, int | float):
                return int(height) + 10
    return None
