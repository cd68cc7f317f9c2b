"""The PM dashboard: one page over a portfolio and a market, every section as of one date.

Layout and wiring only: the numbers are :class:`portlab.ui.BookModel`'s (which calls
:mod:`portlab.analytics`), the charts :mod:`portlab.plots`'. The page is a
``FastListTemplate`` (light/dark toggle in its header) with the as-of date picker and the VaR
method and confidence in the header, the other settings (window, attribution period) in the
sidebar (collapsed), the headline figures above the tabs (Book, Limits, Risk, Stress, Performance, Attribution, Rebalancing, Tax).

A change of a setting recomputes the model once; the headline figures and the visible tab
are redrawn at once. When served, the other tabs are built right after (the page shows the
visible one first) and sent to the browser, which draws them while the PM reads, so that
every tab opens at once; in a notebook a tab is built when it is first opened. The charts
are rendered once per result and shared by the sessions (:mod:`portlab.apps.charts`). When served, the as-of date and the selected tab
are kept in the URL (``?as_of=2022-06-30&tab=2``), so a view can be bookmarked.

Elements the browser tests find by CSS class (:class:`Css`): ``pl-book-value`` (the book's
value, ``$1,000,004``: dollars, thousands separators, no decimals), ``pl-largest-position``
(its instrument id, ``MSFT``), ``pl-var`` (one-day VaR at the chosen confidence: percent of
NAV with two decimals, then dollars, ``0.91% ($9,102)``), ``pl-asof`` (the date picker),
``pl-positions`` (the positions table).

Examples
--------
>>> from portlab.apps import pm_dashboard
>>> page = pm_dashboard()          # doctest: +SKIP
>>> page.servable()                # doctest: +SKIP
"""

from __future__ import annotations

import enum
import importlib.util
import io
import os
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import panel as pn

from portlab.analytics.risk import VaRMethod
from portlab.apps.charts import chart_item
from portlab.apps.design import Page, bokeh_theme, title_bar
from portlab.apps.figures import KPI_CLASS, kpi, kpi_html, kpi_row, money, pct
from portlab.apps.sections import BUILDERS
from portlab.apps.session import FirstViews, after_this_update, served
from portlab.apps.tables import STATUS_PX, Fmt, column_title, formatters, status_style
from portlab.engine import Coordinator
from portlab.market import Market
from portlab.state import PortfolioState
from portlab.ui import OutcomeCache
from portlab.ui.book import BookModel, BookOutcome, Period, Section

__all__ = ["CONFIDENCES", "WINDOWS", "Css", "PMDashboard", "pm_dashboard"]

#: the confidence levels offered for VaR and CVaR
CONFIDENCES: Mapping[str, float] = {"95%": 0.95, "97.5%": 0.975, "99%": 0.99, "99.5%": 0.995}
#: the history windows offered, in trading days
WINDOWS: Mapping[str, int] = {"3 months": 63, "6 months": 126, "1 year": 252, "2 years": 504}
_VAR_NAMES = {
    VaRMethod.HISTORICAL: "Historical",
    VaRMethod.PARAMETRIC: "Parametric (normal)",
    VaRMethod.CORNISH_FISHER: "Cornish-Fisher",
    VaRMethod.MONTE_CARLO: "Monte Carlo",
}
_TITLE = "portlab PM dashboard"


class Css(enum.StrEnum):
    """CSS classes of the elements a test or a stylesheet finds."""

    BOOK_VALUE = "pl-book-value"
    LARGEST_POSITION = "pl-largest-position"
    VAR = "pl-var"
    ASOF = "pl-asof"
    POSITIONS = "pl-positions"
    KPI = KPI_CLASS


def section_class(section: Section) -> str:
    """The CSS class of a section's content (``pl-section-risk``)."""
    return f"pl-section-{section.value.lower()}"


#: header controls: white text on the header's colour (light and dark themes alike)
_HEADER_CSS = """
:host input, :host select {
  background-color: rgba(255, 255, 255, 0.15); color: #ffffff;
  border-color: rgba(255, 255, 255, 0.6);
}
:host option { color: #2b2b2b; background-color: #ffffff; }
:host label { color: #ffffff; }
"""


#: the columns of the positions table (BookOutcome.positions and its index)
_POSITION_COLUMNS = ("instrument_id", "name", "sector", "quantity", "avg_price", "price")
_POSITION_COLUMNS += ("market_value", "weight", "unrealized_pnl", "status")


class PMDashboard(pn.viewable.Viewer):
    """The PM dashboard over a :class:`~portlab.ui.BookModel`.

    Parameters
    ----------
    market, state, coordinator
        As :class:`~portlab.ui.BookModel` (default the bundled sample, the default policy).
    **settings
        :class:`~portlab.ui.BookModel`'s settings (``as_of``, ``var_method``, ``confidence``,
        ``window``, ...), its optional ``history``, ``trades`` and ``targets``, and its
        ``cache`` of results (a server's sessions share one).
    charts : OutcomeCache, optional
        The rendered charts (:mod:`portlab.apps.charts`), shared by a server's sessions;
        default one of this dashboard's own.
    static_charts : bool, optional
        Draw the charts from Bokeh JSON rendered once (:class:`~portlab.apps.charts.ChartItem`)
        instead of HoloViews panes; default when served.
    journal : str or Path, optional
        A decision journal (a SQLite file or ``postgresql://...``,
        :class:`portlab.journal.Journal`): the Book tab shows its latest decisions up to the
        as-of date. Opened for each read, so sessions share nothing but the database.
    first_views : FirstViews, optional
        The server's sessions still loading (:class:`~portlab.apps.session.FirstViews`):
        the hidden tabs are built once no other visitor waits for a first view; default
        one of this dashboard's own.

    Attributes
    ----------
    model : BookModel
    view : FastListTemplate
        The page (``servable()`` / displayed in a notebook).
    """

    def __init__(
        self,
        market: Market | None = None,
        state: PortfolioState | None = None,
        coordinator: Coordinator | None = None,
        *,
        charts: OutcomeCache | None = None,
        static_charts: bool | None = None,
        journal: str | os.PathLike[str] | None = None,
        first_views: FirstViews | None = None,
        **settings: Any,
    ) -> None:
        super().__init__()
        self.journal = journal
        self.first_views = FirstViews() if first_views is None else first_views
        self.charts = OutcomeCache(maxsize=32) if charts is None else charts
        # served: charts rendered once to Bokeh JSON and drawn by the page; in a notebook,
        # HoloViews panes (portlab.apps.charts)
        self.static_charts = served() if static_charts is None else static_charts
        # the page's theme (light, or dark after the header's toggle reloads the page)
        self.theme = pn.config.theme
        if "as_of" in settings and settings["as_of"] is not None:
            settings["as_of"] = pd.Timestamp(settings["as_of"])
        self.model = BookModel(market=market, state=state, coordinator=coordinator, **settings)
        model = self.model
        first, last = model.param.as_of.bounds
        self.as_of = pn.widgets.DatePicker(
            label="As of",
            value=pd.Timestamp(model.as_of).date(),
            start=pd.Timestamp(first).date(),
            end=pd.Timestamp(last).date(),
            css_classes=[Css.ASOF.value],
            width=150,
            stylesheets=[_HEADER_CSS],
        )
        self.var_method = pn.widgets.Select(
            label="VaR method",
            options={_VAR_NAMES[m]: m for m in VaRMethod},
            value=VaRMethod(model.var_method),
            width=170,
            stylesheets=[_HEADER_CSS],
        )
        confidences = dict(CONFIDENCES)
        confidences.setdefault(pct(model.confidence, 1), float(model.confidence))
        self.confidence = pn.widgets.Select(
            label="Confidence",
            options=confidences,
            value=model.confidence,
            width=100,
            stylesheets=[_HEADER_CSS],
        )
        windows = dict(WINDOWS)
        windows.setdefault(f"{model.window} days", int(model.window))
        self.window = pn.widgets.Select(label="History window", options=windows, value=model.window)
        self.period = pn.widgets.Select(
            label="Attribution period",
            options={p.value.capitalize(): p for p in Period},
            value=Period(model.attribution_period),
        )
        self._bind_controls()
        self.error = pn.pane.Alert("", alert_type="danger", visible=False)
        self.kpis = kpi_row([])
        self.positions = pn.widgets.Tabulator(
            pd.DataFrame(),
            disabled=True,
            header_filters=True,
            layout="fit_data_table",
            titles={c: column_title(c) for c in _POSITION_COLUMNS},
            widths={"status": STATUS_PX},
            sizing_mode="stretch_width",
            css_classes=[Css.POSITIONS.value],
            formatters=formatters(
                {
                    "quantity": Fmt.INT,
                    "avg_price": Fmt.PRICE,
                    "price": Fmt.PRICE,
                    "market_value": Fmt.MONEY,
                    "weight": Fmt.PCT,
                    "unrealized_pnl": Fmt.MONEY,
                }
            ),
        )
        self.downloads = pn.Row(*self._download_buttons())
        self.sections = {
            s: pn.Column(sizing_mode="stretch_width", css_classes=[section_class(s)])
            for s in Section
        }
        self.tabs = pn.Tabs(
            *((s.value, self.sections[s]) for s in Section),
            sizing_mode="stretch_width",
        )
        self._drawn: dict[Section, int] = {}
        self._page_up = False  # served, and the page is shown
        self.tabs.param.watch(lambda _: self._draw_active(), "active")
        model.param.watch(lambda _: self._refresh(), ["result", "error"])
        header = (self.as_of, self.var_method, self.confidence)
        note = pn.pane.Markdown(
            "Risk and performance use the chosen history window up to the as-of date; the "
            "market is cut at that date (no look-ahead)."
        )
        main = pn.Column(self.error, self.kpis, self.tabs, sizing_mode="stretch_width")
        self.view = Page(
            # in a notebook: the title bar with the header's controls, the settings, the tabs
            notebook_view=pn.Column(
                title_bar(_TITLE, *header),
                pn.Row(self.window, self.period),
                note,
                main,
                sizing_mode="stretch_width",
            ),
            title=_TITLE,
            header=[pn.Row(*header, margin=(0, 10))],
            sidebar=[pn.pane.Markdown("### Settings"), self.window, self.period, note],
            main=[main],
            theme_toggle=True,
            main_layout=None,
            collapsed_sidebar=True,
        )
        self._refresh()
        self._sync_location()
        if served():
            self.first_views.opened(id(self))
            pn.state.on_session_destroyed(lambda _: self.first_views.shown(id(self)))
            pn.state.onload(self._loaded)

    # -- wiring -------------------------------------------------------------------------------

    def _bind_controls(self) -> None:
        model = self.model

        def to_model(name: str, convert: Callable[[Any], Any]) -> Callable[[Any], None]:
            def set_(event: Any) -> None:
                value = convert(event.new)
                if value is not None and value != getattr(model, name):
                    model.param.update(**{name: value})

            return set_

        def as_of(value: Any) -> pd.Timestamp | None:
            return None if value is None else pd.Timestamp(value)

        self.as_of.param.watch(to_model("as_of", as_of), "value")
        self.var_method.param.watch(to_model("var_method", lambda v: v), "value")
        self.confidence.param.watch(to_model("confidence", float), "value")
        self.window.param.watch(to_model("window", int), "value")
        self.period.param.watch(to_model("attribution_period", lambda v: v), "value")

        # ... and the other way: a setting changed from code shows in its control
        def follow(widget: Any, name: str, shown: Callable[[Any], Any], label: Any = None) -> None:
            def update(event: Any) -> None:
                value = shown(event.new)
                if label is not None and value not in widget.values:  # a value not offered
                    widget.options = {**widget.options, label(value): value}
                if widget.value != value:
                    widget.value = value

            model.param.watch(update, name)

        follow(self.as_of, "as_of", lambda v: pd.Timestamp(v).date())
        follow(self.var_method, "var_method", VaRMethod)
        follow(self.confidence, "confidence", float, lambda v: pct(v, 1))
        follow(self.window, "window", int, lambda v: f"{v} days")
        follow(self.period, "attribution_period", Period)

    def _sync_location(self) -> None:
        """Keep the as-of date and the selected tab in the URL (only when served)."""
        location = pn.state.location
        if location is None:
            return
        location.sync(self.as_of, {"value": "as_of"})
        location.sync(self.tabs, {"active": "tab"})

    # -- drawing ------------------------------------------------------------------------------

    @property
    def outcome(self) -> BookOutcome:
        """The model's last good result."""
        return self.model.result

    def _refresh(self) -> None:
        """Redraw the headline figures, the positions and the visible tab."""
        self.error.object = self.model.error or ""
        self.error.visible = self.model.error is not None
        result = self.outcome
        self.kpis.object = kpi_html(self._kpis(result))
        self.positions.value = self._positions()
        self.positions.style.map(status_style, subset=["status"])
        day = result.as_of.date()
        self._csv.filename, self._excel.filename = f"positions-{day}.csv", f"positions-{day}.xlsx"
        self._drawn.clear()
        self._draw_active()
        if self._page_up:  # the other tabs after the visible one has been sent
            after_this_update(self.draw_all)

    def draw_all(self) -> None:
        """Build every section now (a server warms its shared caches with this at start)."""
        for section in Section:
            self._draw(section)

    def _loaded(self) -> None:
        """The page is up in the browser: build the other tabs once no other visitor waits
        for a first view, and from now on after every change."""
        self._page_up = True
        self.first_views.shown(id(self))
        self.first_views.after_first_views(id(self), self.draw_all)

    def _draw_active(self) -> None:
        self._draw(list(Section)[self.tabs.active])

    def _draw(self, section: Section) -> None:
        if self._drawn.get(section) == id(self.outcome):
            return
        result = self.outcome
        notes = [n for n in result.notes if n.startswith(f"{section}:")]
        head = [pn.pane.Alert("\n\n".join(notes), alert_type="warning")] if notes else []
        self.sections[section].objects = head + BUILDERS[section](self, result)
        self._drawn[section] = id(result)

    @property
    def policy(self) -> Any:
        """The policy the limits are measured against (the coordinator's)."""
        return self.model.coordinator.policy

    def chart(self, name: str, make: Callable[[], Any]) -> pn.viewable.Viewable:
        """The chart ``make()`` of the current result, rendered once per result and theme."""
        return chart_item(
            make,
            key=(name, self.theme),
            inputs=(self.outcome, self.model.state, self.policy),
            cache=self.charts,
            theme=bokeh_theme(self.theme),
            static=self.static_charts,
        )

    def _kpis(self, r: BookOutcome) -> list[str]:
        s = r.summary
        var_text, var_label = "n/a", "1-day VaR"
        if r.risk is not None:
            var_text = f"{pct(r.risk['var'])} ({money(r.risk['var_amount'])})"
            conf = pct(r.risk["confidence"], 1).replace(".0%", "%")
            var_label = f"1-day {conf} VaR ({_VAR_NAMES[VaRMethod(self.model.var_method)]})"
        return [
            kpi(
                f"Book value, close of {r.as_of.date()}",
                money(s.value),
                Css.BOOK_VALUE,
                f"cash {money(s.cash)}",
            ),
            kpi("P&L day", money(s.pnl_day), sub=pct(s.pnl_day_pct, signed=True)),
            kpi("P&L month to date", money(s.pnl_mtd), sub=pct(s.pnl_mtd_pct, signed=True)),
            kpi("P&L year to date", money(s.pnl_ytd), sub=pct(s.pnl_ytd_pct, signed=True)),
            kpi(
                "Gross / net exposure",
                f"{pct(s.gross_exposure, 1)} / {pct(s.net_exposure, 1)}",
                sub=f"leverage {s.leverage:.2f}x",
            ),
            kpi(
                "Largest position",
                s.largest_position,
                Css.LARGEST_POSITION,
                f"{pct(s.largest_weight, 1)} of NAV",
            ),
            kpi(var_label, var_text, Css.VAR, "share of NAV (dollars)"),
        ]

    def _positions(self) -> pd.DataFrame:
        """The positions table as shown and downloaded (statuses as text)."""
        positions = self.outcome.positions
        # str: a StrEnum gives its value, and pandas with pyarrow may hold the values as text
        return positions.assign(status=[str(s) for s in positions["status"]])

    def _download_buttons(self) -> list[Any]:
        def csv() -> io.StringIO:
            return io.StringIO(self._positions().to_csv())

        def excel() -> io.BytesIO:
            buffer = io.BytesIO()
            with pd.ExcelWriter(buffer, engine="xlsxwriter") as writer:
                self._positions().to_excel(writer, sheet_name="positions")
            buffer.seek(0)
            return buffer

        self._csv = pn.widgets.FileDownload(
            callback=csv, filename="positions.csv", label="Download CSV", color="primary"
        )
        has_excel = importlib.util.find_spec("xlsxwriter") is not None
        self._excel = pn.widgets.FileDownload(
            callback=excel,
            filename="positions.xlsx",
            label="Download Excel" if has_excel else "Excel export needs xlsxwriter",
            disabled=not has_excel,
        )
        return [self._csv, self._excel]

    # -- panel protocol -----------------------------------------------------------------------

    def __panel__(self) -> pn.template.FastListTemplate:
        return self.view

    def servable(self, title: str | None = None, **kwargs: Any) -> Any:
        """Mark the page servable (``panel serve``); returns the page."""
        return self.view.servable(title=title or _TITLE, **kwargs)


def pm_dashboard(
    market: Market | None = None,
    state: PortfolioState | None = None,
    coordinator: Coordinator | None = None,
    *,
    charts: OutcomeCache | None = None,
    **settings: Any,
) -> pn.template.FastListTemplate:
    """The PM dashboard's page for one session.

    Parameters
    ----------
    market, state, coordinator, charts, **settings
        As :class:`PMDashboard`.

    Returns
    -------
    FastListTemplate
        The page; ``.servable()`` it, or display it in a notebook cell. Its
        :class:`PMDashboard` (with the model) is ``page.dashboard``.
    """
    dashboard = PMDashboard(market, state, coordinator, charts=charts, **settings)
    page = dashboard.view
    page.dashboard = dashboard  # type: ignore[attr-defined]
    return page
