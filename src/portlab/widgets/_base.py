"""What every notebook widget of the workbench shares: the layout around a view-model, the
controls bound to its parameters, the error banner, the busy indicator, "copy as code" and the
charts.

A widget is an :class:`ipywidgets.HBox` (a real ``DOMWidget`` tree: JupyterLab, Notebook 7,
VS Code, Voila): controls in a narrow column on the left, results on the right. It holds
layout and wiring only; every number shown is read from the view-model's ``result``.

Wiring
    A control sets its parameter when it is released (``continuous_update=False``): one
    recomputation per release. A change the model makes itself (e.g. the sizing what-if
    loading a signal's fields) moves the control without setting the parameter back.
    A value the parameter refuses, or a change that cannot be computed, shows the model's
    message in a red banner at the top of the results; the last good result stays shown.

Charts
    Each chart is a :class:`ChartSlot`, drawn once and then updated in place: the new
    result's HoloViews objects go through a ``DynamicMap``'s ``Pipe``, HoloViews changes the
    existing bokeh models and ``jupyter_bokeh.BokehModel`` sends only those changes to the
    browser (a new figure and a new ``BokehModel`` per result cost 2-3 times as much, most of
    it in bokeh figure construction and the document's serialization). A chart equal to the
    one shown sends nothing; one of another structure is drawn anew.
"""

from __future__ import annotations

import enum
import html
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import ipywidgets as ipw
import param

from portlab.ui import ViewModel, one_line
from portlab.widgets._bokehjs import load_bokehjs

if TYPE_CHECKING:
    from portlab.engine import Coordinator
    from portlab.market import Market
    from portlab.state import PortfolioState
    from portlab.types import RequestsLike, SignalsLike

__all__ = [
    "CONTROL_WIDTH",
    "WorkbenchWidget",
    "bind",
    "checkbox",
    "ChartSlot",
    "ChartUpdate",
    "chart_widget",
    "dropdown",
    "headline_html",
    "slider",
]

#: width of the controls column
CONTROL_WIDTH = "310px"
_STYLE = {"description_width": "150px"}
_ITEM = ipw.Layout(width="300px")
_RED = "#c0392b"
_AMBER = "#b7791f"


def headline_html(items: Sequence[tuple[str, str]]) -> str:
    """The most important numbers, large, side by side: ``[(label, value text), ...]``."""
    cells = "".join(
        "<div style='margin-right:28px'>"
        f"<div style='font-size:22px;font-weight:600'>{html.escape(value)}</div>"
        f"<div style='font-size:11px;opacity:0.75'>{html.escape(label)}</div></div>"
        for label, value in items
    )
    return f"<div style='display:flex;flex-wrap:wrap;margin:4px 0 8px'>{cells}</div>"


def chart_widget(obj: Any) -> ipw.Widget:
    """A HoloViews object as a widget: ``jupyter_bokeh.BokehModel(hv.render(obj))``.

    ``BokehModel`` is an ipywidget that renders the bokeh figure without HoloViews' comms
    (JupyterLab, Notebook 7, VS Code, Voila). Without ``jupyter_bokeh`` the object is
    displayed in an :class:`ipywidgets.Output` (needs ``portlab.plots.extension()``).
    A chart that cannot be drawn becomes a one-line message, never a traceback.
    A chart that is redrawn with every result is better kept in a :class:`ChartSlot`,
    which updates it in place.
    """
    import holoviews as hv

    try:
        from jupyter_bokeh import BokehModel
    except ImportError:  # pragma: no cover - jupyter_bokeh is a dependency
        out = ipw.Output()
        with out:
            from IPython.display import display

            display(obj)
        return out
    try:
        return BokehModel(hv.render(obj, backend="bokeh"))
    except Exception as err:  # a chart failing must not break the widget
        return _chart_error(err)


def _chart_error(err: Exception) -> ipw.HTML:
    return ipw.HTML(
        f"<div style='color:{_RED}'>chart not drawn: {html.escape(one_line(err))}</div>"
    )


class ChartUpdate(enum.Enum):
    """How a :class:`ChartSlot` showed its last chart."""

    #: drawn from scratch: a new bokeh document and a new ``BokehModel``
    DRAWN = "drawn"
    #: the same ``BokehModel``, its bokeh models changed in place (the document re-sent)
    UPDATED = "updated"
    #: the chart equals the one shown: nothing sent
    UNCHANGED = "unchanged"
    #: the chart could not be drawn: a one-line message instead
    FAILED = "failed"


def _panels(obj: Any) -> list[Any]:
    """The panels of a ``Layout`` (in order), or ``[obj]``."""
    import holoviews as hv

    return list(obj) if isinstance(obj, hv.Layout) else [obj]


def _structure(obj: Any) -> tuple[Any, ...]:
    """What must stay the same for HoloViews to update a chart in place: the kind, group
    and label of every element (an overlay's in order), and its dimensions' names.

    Two charts with the same structure differ only in their data and options (title, ticks,
    ranges, colours), which a ``DynamicMap`` frame can change.
    """
    import holoviews as hv

    if isinstance(obj, hv.Layout):
        return ("Layout", tuple(_structure(p) for p in obj))
    if isinstance(obj, hv.Overlay):
        return ("Overlay", tuple(_structure(e) for e in obj))
    dims = tuple(d.name for d in obj.dimensions()) if isinstance(obj, hv.Element) else ()
    return (type(obj).__name__, obj.group, dims)


def _same_chart(a: Any, b: Any) -> bool:
    """True when ``b`` would draw exactly as ``a``: the same structure, the same data of
    every element and the same options (compared by value)."""
    import holoviews as hv

    if _structure(a) != _structure(b):
        return False
    if isinstance(a, (hv.Layout, hv.Overlay)):
        return all(_same_chart(x, y) for x, y in zip(a, b, strict=True)) and _same_opts(a, b)
    return _same_data(a, b) and _same_opts(a, b)


def _same_opts(a: Any, b: Any) -> bool:
    import holoviews as hv

    try:
        return all(
            hv.Store.lookup_options("bokeh", a, kind).kwargs
            == hv.Store.lookup_options("bokeh", b, kind).kwargs
            for kind in ("plot", "style", "norm")
        )
    except Exception:  # options that cannot be compared (arrays, callables): not the same
        return False


def _same_data(a: Any, b: Any) -> bool:
    import pandas as pd

    x, y = a.data, b.data
    if isinstance(x, pd.DataFrame) and isinstance(y, pd.DataFrame):
        return x.equals(y)
    try:
        return bool(x == y)
    except Exception:
        return False


class ChartSlot:
    """One chart of a widget, drawn once and then updated in place.

    The first chart is drawn as a ``hv.DynamicMap`` fed by a ``hv.streams.Pipe`` (one per
    panel of a ``Layout``, laid out the same way), rendered to bokeh once and wrapped in a
    ``jupyter_bokeh.BokehModel``. A later chart of the same structure (the kind, group and
    dimensions of every element, in the same order; titles, labels, data and options may
    differ) is sent through the pipes: HoloViews changes the existing bokeh models (data sources,
    ranges, ticks, titles), and the updated document becomes the ``BokehModel``'s
    ``render_bundle``, from which every view of it draws (see :meth:`_update`); the widget
    stays the same object. A chart equal to the one shown
    sends nothing. A chart of another structure, or one HoloViews fails to update, is
    drawn from scratch (a new ``BokehModel``); one that cannot be drawn at all becomes a
    one-line message.

    Attributes
    ----------
    widget : ipywidgets.Widget or None
        What shows the chart (``BokehModel``, or an ``HTML`` message), None before the first.
    last : ChartUpdate or None
        How the last chart was shown.
    plot : holoviews Plot or None
        HoloViews' plot of the chart (``plot.state`` is the bokeh model shown).
    """

    def __init__(self) -> None:
        self.widget: ipw.Widget | None = None
        self.last: ChartUpdate | None = None
        self.plot: Any = None
        self._pipes: list[Any] = []
        self._shown: Any = None

    def show(self, obj: Any) -> ipw.Widget:
        """Show the HoloViews object ``obj`` (an element, an ``Overlay`` or a ``Layout``);
        returns the widget showing it (the same one as before unless it was redrawn)."""
        if self.plot is not None and self._shown is not None:
            if _same_chart(self._shown, obj):
                self.last = ChartUpdate.UNCHANGED
                return self.widget  # type: ignore[return-value]
            if _structure(self._shown) == _structure(obj) and self._update(obj):
                self._shown = obj
                self.last = ChartUpdate.UPDATED
                return self.widget  # type: ignore[return-value]
        return self._draw(obj)

    def _draw(self, obj: Any) -> ipw.Widget:
        import holoviews as hv
        from jupyter_bokeh import BokehModel

        from portlab import plots

        self.close()
        try:
            panels = _panels(obj)
            pipes = [hv.streams.Pipe(data=p) for p in panels]
            maps = [hv.DynamicMap(_frame, streams=[pipe]) for pipe in pipes]
            layout = isinstance(obj, hv.Layout)
            shown = obj.clone(list(zip(obj.keys(), maps, strict=True))) if layout else maps[0]
            plot = hv.renderer("bokeh").get_plot(shown)
            plots.on_canvas(plot.state)
            self.widget = BokehModel(plot.state)
        except Exception as err:  # a chart failing must not break the widget
            self.widget = _chart_error(err)
            self.last = ChartUpdate.FAILED
            return self.widget
        self.plot, self._pipes, self._shown = plot, pipes, obj
        self.last = ChartUpdate.DRAWN
        return self.widget

    def _update(self, obj: Any) -> bool:
        """Send ``obj``'s panels through the pipes; False if HoloViews could not.

        The browser gets the updated document whole (``BokehModel.update_from_model``), not
        as patches: a view created later (the cell's output shown again, the page reloaded,
        the widget displayed while the kernel was already updating it) is drawn from the
        widget's ``render_bundle``, which patches would leave at the first drawing, and
        patches sent before a view exists are lost.
        """
        document = self.plot.state.document
        widget = self.widget
        document.remove_on_change(widget)  # no patches: the whole document follows
        document.hold("combine")
        try:
            with document.models.freeze():  # one recomputation of the document's models
                for pipe, panel, old in zip(
                    self._pipes, _panels(obj), _panels(self._shown), strict=True
                ):
                    if not _same_chart(old, panel):
                        pipe.send(panel)
        except Exception:
            return False
        finally:
            document.unhold()
            widget.update_from_model(self.plot.state)  # type: ignore[union-attr]
        return True

    def close(self) -> None:
        """Close the widget shown (its bokeh document stops sending changes)."""
        if self.widget is not None:
            # the widget's comm only: BokehModel.close also detaches it from its document,
            # which it does again (and fails, a KeyError) when it is collected
            ipw.Widget.close(self.widget)
        self.widget, self.plot, self._pipes, self._shown = None, None, [], None


def _frame(data: Any) -> Any:
    """A ``DynamicMap`` callback: the frame is the chart sent through the pipe, normalized
    ``framewise`` (its axes follow each new frame, not the first one)."""
    import holoviews as hv

    return data.map(_framewise, hv.Element)


def _framewise(element: Any) -> Any:
    # on each element: set on an Overlay, a plot attached to a document keeps its ranges;
    # a chart that sets it already costs nothing here (a clone with options is ~4 ms)
    import holoviews as hv

    if hv.Store.lookup_options("bokeh", element, "norm").kwargs.get("framewise"):
        return element
    return element.opts(framewise=True, clone=True, backend="bokeh")


def _bounds(p: param.Parameter, default: tuple[float, float]) -> tuple[float, float]:
    soft = getattr(p, "softbounds", None) or (None, None)
    hard = getattr(p, "bounds", None) or (None, None)
    lo = soft[0] if soft[0] is not None else hard[0]
    hi = soft[1] if soft[1] is not None else hard[1]
    return (default[0] if lo is None else lo, default[1] if hi is None else hi)


def slider(
    model: ViewModel,
    name: str,
    description: str,
    *,
    readout_format: str = ".1%",
    bounds: tuple[float, float] | None = None,
    step: float | None = None,
    integer: bool = False,
) -> ipw.Widget:
    """A slider for the numeric parameter ``name`` (``continuous_update=False``).

    Its range is the parameter's soft bounds (else its bounds), its step the parameter's.
    """
    p = model.param[name]
    lo, hi = bounds or _bounds(p, (0.0, 1.0))
    value = getattr(model, name)
    cls = ipw.IntSlider if integer else ipw.FloatSlider
    kwargs: dict[str, Any] = {
        "min": lo,
        "max": hi,
        "step": step or p.step or (1 if integer else 0.01),
        "value": value if value is not None else lo,
        "description": description,
        "continuous_update": False,
        "style": _STYLE,
        "layout": _ITEM,
        "tooltip": p.doc or "",
    }
    if not integer:
        kwargs["readout_format"] = readout_format
    return cls(**kwargs)


def checkbox(model: ViewModel, name: str, description: str) -> ipw.Checkbox:
    """A checkbox for the boolean parameter ``name``."""
    return ipw.Checkbox(
        value=bool(getattr(model, name)),
        description=description,
        indent=False,
        layout=ipw.Layout(width="auto"),
        tooltip=model.param[name].doc or "",
    )


#: a dropdown with its description above it: the list as wide as its longest option, up to
#: the whole controls column
_STACKED = ipw.Layout(width="300px", height="56px", flex_flow="column", align_items="flex-start")


def dropdown(
    model: ViewModel,
    name: str,
    description: str,
    options: Sequence[Any] | None = None,
    *,
    stacked: bool = False,
) -> ipw.Dropdown:
    """A dropdown for the selector parameter ``name`` (``options``: ``(label, value)`` pairs
    or values; default the parameter's objects, labelled by ``str``). ``stacked``: the
    description above the list, for options too long for the half of the column beside it."""
    objects = options if options is not None else model.param[name].objects
    pairs = [o if isinstance(o, tuple) else (str(o), o) for o in objects]
    return ipw.Dropdown(
        options=pairs,
        value=getattr(model, name),
        description=description,
        style={"description_width": "initial"} if stacked else _STYLE,
        layout=_STACKED if stacked else _ITEM,
    )


def bind(
    widget: WorkbenchWidget,
    control: ipw.ValueWidget,
    name: str,
    *,
    to_model: Callable[[Any], Any] | None = None,
    to_control: Callable[[Any], Any] | None = None,
) -> ipw.ValueWidget:
    """Two-way binding of ``control.value`` and the parameter ``name`` of ``widget.model``.

    A change of the control sets the parameter (one recomputation); a value the parameter
    refuses shows in the banner and changes nothing. A change of the parameter moves the
    control without setting the parameter back.
    """
    model = widget.model
    into = to_model or (lambda v: v)
    out = to_control or (lambda v: v)

    def pushed(change: dict[str, Any]) -> None:
        if widget._syncing:
            return
        try:
            value = into(change["new"])
        except (TypeError, ValueError):
            widget.show_error(f"{name}: {change['new']!r} is not a value it can take")
            return
        if value == getattr(model, name) and type(value) is type(getattr(model, name)):
            return
        widget.set_setting(name, value)

    def pulled(event: param.parameterized.Event) -> None:
        widget._syncing = True
        try:
            shown = out(event.new)
            if shown is not None:
                control.value = shown
        except Exception:
            pass
        finally:
            widget._syncing = False

    control.observe(pushed, names="value")
    model.param.watch(pulled, [name])
    widget.controls_by_name[name] = control
    return control


class WorkbenchWidget(ipw.HBox):
    """Base of the notebook widgets: controls on the left, results on the right.

    Subclasses build their controls in :meth:`_build_controls` (returning the children of the
    left column) and their results in :meth:`_render` (called after every new result), and
    set :attr:`sections` (the widgets of the right column below the banner).

    Attributes
    ----------
    model : ViewModel
        The view-model; read and set its parameters from a notebook as well.
    controls_by_name : dict of str to Widget
        The control of each parameter.
    banner : ipywidgets.HTML
        The error message (empty when the last change was computed).
    warnings_html : ipywidgets.HTML
        The warnings of the last good computation (``model.warnings``), in amber.
    busy_indicator : ipywidgets.HTML
        Shown while the model computes.
    code_button, code : ipywidgets.Button, ipywidgets.Textarea
        "Copy as code" fills ``code`` with ``model.to_code()``.
    """

    TITLE = ""
    #: the view-model class the widget drives
    MODEL: ClassVar[type[ViewModel]]
    #: names of the widget's result panes (``ipywidgets.HTML``), filled by ``_render``
    OUTPUTS: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        *,
        market: Market | None = None,
        state: PortfolioState | None = None,
        signals: SignalsLike = None,
        rebalance_requests: RequestsLike = None,
        coordinator: Coordinator | None = None,
        **settings: Any,
    ) -> None:
        """Build the view-model on the inputs (the bundled sample by default) and the widget.

        ``settings`` are the model's parameters (e.g. ``max_position_size=0.04``).
        """
        self.model = self.MODEL(
            market=market,
            state=state,
            signals=signals,
            rebalance_requests=rebalance_requests,
            coordinator=coordinator,
            **settings,
        )
        for output in self.OUTPUTS:
            setattr(self, output, ipw.HTML())
        self.controls_by_name: dict[str, ipw.Widget] = {}
        self._syncing = False
        self.banner = ipw.HTML("", layout=ipw.Layout(width="100%"))
        self.warnings_html = ipw.HTML("")
        self.busy_indicator = ipw.HTML(
            "<span style='opacity:0.8'>\u23f3 computing\u2026</span>",
            layout=ipw.Layout(visibility="hidden"),
        )
        self.code_button = ipw.Button(
            description="Copy as code",
            icon="code",
            tooltip="Show the portlab calls that reproduce this result",
            layout=ipw.Layout(width="140px"),
        )
        self.code = ipw.Textarea(
            value="",
            placeholder="press 'Copy as code' for the script of the current result",
            layout=ipw.Layout(width="100%", height="180px", display="none"),
        )
        self.code_button.on_click(lambda _: self.show_code())
        controls = ipw.VBox(
            [ipw.HTML(f"<b>{html.escape(self.TITLE)}</b>"), *self._build_controls()],
            layout=ipw.Layout(width=CONTROL_WIDTH, min_width=CONTROL_WIDTH, padding="4px"),
        )
        self.results = ipw.VBox(layout=ipw.Layout(flex="1 1 auto", padding="4px", min_width="0"))
        head = ipw.HBox([self.busy_indicator, self.code_button])
        #: the charts by name, each drawn once and then updated in place
        self.slots: dict[str, ChartSlot] = {}
        super().__init__(
            [controls, self.results], layout=ipw.Layout(width="100%", align_items="flex-start")
        )
        self._head = head
        self.model.param.watch(self._on_result, ["result"])
        self.model.param.watch(self._on_error, ["error"])
        self.model.param.watch(self._on_busy, ["busy"])
        #: how many times the results were redrawn (one per new result)
        self.renders = 0
        self._render_result()
        self._on_error_text(self.model.error)

    def _ipython_display_(self) -> None:
        """Display in a notebook: BokehJS first (once per kernel), then the widget."""
        from IPython.display import display

        load_bokehjs()
        display(self._repr_mimebundle_(), raw=True)

    # -- the model's outputs ----------------------------------------------------------------

    @property
    def result(self) -> Any:
        """The model's current (last good) result."""
        return self.model.result

    def _on_result(self, event: param.parameterized.Event) -> None:
        self._render_result()
        self._on_error_text(self.model.error)  # a good result clears a refused value's banner

    def _on_error(self, event: param.parameterized.Event) -> None:
        self._on_error_text(event.new)

    def _on_busy(self, event: param.parameterized.Event) -> None:
        self.busy_indicator.layout.visibility = "visible" if event.new else "hidden"

    def _on_error_text(self, message: str | None) -> None:
        if message:
            self.show_error(message)
        else:
            self.banner.value = ""

    def show_error(self, message: str) -> None:
        """Show ``message`` in the red banner above the (kept) results."""
        kept = (
            "The results below are the last good ones."
            if self.model.result is not None
            else "Nothing to show until a setting can be computed."
        )
        self.banner.value = (
            f"<div style='border-left:4px solid {_RED};background:rgba(192,57,43,0.08);"
            f"padding:6px 10px;margin:2px 0 6px'><b style='color:{_RED}'>Not applied: </b>"
            f"{html.escape(message)}<br><span style='font-size:11px;opacity:0.75'>"
            f"{kept}</span></div>"
        )

    def set_setting(self, name: str, value: Any) -> None:
        """Set one parameter of the model; a refused value shows in the banner."""
        try:
            setattr(self.model, name, value)
        except ValueError as err:  # refused by the parameter (bounds, choices): a plain message
            text = " ".join(str(err).split())
            self.show_error(f"{name}: {text}" if text else f"{name}: {value!r} refused")

    def chart(self, name: str, obj: Any) -> ipw.Widget:
        """The chart ``name`` showing the HoloViews object ``obj``: drawn the first time,
        updated in place after (see :class:`ChartSlot`); returns the widget showing it."""
        slot = self.slots.get(name)
        if slot is None:
            slot = self.slots[name] = ChartSlot()
        return slot.show(obj)

    @classmethod
    def chart_objects(cls, model: Any, result: Any) -> dict[str, Any]:
        """The HoloViews objects the widget shows for ``result`` of ``model`` (its
        view-model), by chart name: what :meth:`_render` passes to :meth:`chart`."""
        raise NotImplementedError

    def _render_result(self) -> None:
        self.renders += 1
        result = self.model.result
        # a first computation that failed has no result: the banner says why, nothing else
        sections = [] if result is None else self._render(result)
        self.warnings_html.value = "".join(
            f"<div style='color:{_AMBER};font-size:12px'>\u26a0 {html.escape(str(w))}</div>"
            for w in self.model.warnings
        )
        self.results.children = [self.banner, self.warnings_html, self._head, self.code, *sections]
        if self.code.layout.display != "none":
            self.code.value = self.model.to_code()

    def show_code(self) -> str:
        """Fill the code area with ``model.to_code()`` and show it; returns the code."""
        self.code.value = self.model.to_code()
        self.code.layout.display = "block"
        return self.code.value

    # -- what subclasses provide ------------------------------------------------------------

    def _build_controls(self) -> list[ipw.Widget]:
        raise NotImplementedError

    def _render(self, result: Any) -> list[ipw.Widget]:
        raise NotImplementedError
