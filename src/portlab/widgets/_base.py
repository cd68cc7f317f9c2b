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
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import ipywidgets as ipw
import param

from portlab.ui import ViewModel, one_line

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
        return ipw.HTML(
            f"<div style='color:{_RED}'>chart not drawn: {html.escape(one_line(err))}</div>"
        )


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


def dropdown(
    model: ViewModel, name: str, description: str, options: Sequence[Any] | None = None
) -> ipw.Dropdown:
    """A dropdown for the selector parameter ``name`` (``options``: ``(label, value)`` pairs
    or values; default the parameter's objects, labelled by ``str``)."""
    objects = options if options is not None else model.param[name].objects
    pairs = [o if isinstance(o, tuple) else (str(o), o) for o in objects]
    return ipw.Dropdown(
        options=pairs,
        value=getattr(model, name),
        description=description,
        style=_STYLE,
        layout=_ITEM,
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
        self._charts: list[ipw.Widget] = []
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

    def chart(self, obj: Any) -> ipw.Widget:
        """A chart of the results (see :func:`chart_widget`); replaced at the next redraw."""
        shown = chart_widget(obj)
        self._charts.append(shown)
        return shown

    def _render_result(self) -> None:
        self.renders += 1
        self._charts = []  # the previous charts are closed when collected (BokehModel.__del__)
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
