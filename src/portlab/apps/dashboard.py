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
import html
import importlib.util
import io
import math
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import panel as pn

from portlab import plots
from portlab.analytics.risk import VaRMethod
from portlab.apps.charts import chart_item
from portlab.apps.design import OfflineFast, bokeh_theme
from portlab.apps.session import after_this_update, served
from portlab.apps.tables import STATUS_PX, Fmt, column_title, status_style, table
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
    KPI = "pl-kpi"


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


def _money(x: float) -> str:
    """``$1,000,004`` (whole dollars); ``−$2,940`` for a loss; ``n/a`` for NaN."""
    if x is None or not math.isfinite(float(x)):
        return "n/a"
    return ("\u2212" if x < 0 else "") + f"${abs(float(x)):,.0f}"


def _pct(x: float, digits: int = 2, *, signed: bool = False) -> str:
    """``0.91%`` from 0.0091 (``+`` when ``signed``); ``n/a`` for NaN."""
    if x is None or not math.isfinite(float(x)):
        return "n/a"
    return f"{100.0 * float(x):{'+' if signed else ''}.{digits}f}%".replace("-", "\u2212")


def _kpi(label: str, value: str, css: str | None = None, sub: str = "") -> str:
    """A headline figure (HTML): a small label over a large value over a note.

    The value is the text of a ``<span class="{css}">`` (so that a browser test finds the
    element holding exactly the text, inside the pane's shadow root).
    """
    text = html.escape(value)
    inner = f'<span class="{css}">{text}</span>' if css else text
    return (
        f'<div><div class="pl-kpi-label">{html.escape(label)}</div>'
        f'<div class="{Css.KPI.value}">{inner}</div>'
        f'<div class="pl-kpi-sub">{html.escape(sub)}</div></div>'
    )


#: a row of headline figures, wrapping on a narrow page
_KPI_CSS = """
.pl-kpis { display: flex; flex-wrap: wrap; gap: 4px 28px; padding: 0 5px; }
.pl-kpi-label, .pl-kpi-sub { font-size: 0.8em; }
.pl-kpi-label { opacity: 0.75; }
.pl-kpi { font-size: 1.6em; }
"""


def _kpi_row(figures: list[str], **params: Any) -> pn.pane.HTML:
    """Headline figures (:func:`_kpi`) side by side in one pane (one model, not three each:
    the page opens faster)."""
    return pn.pane.HTML(
        f'<div class="pl-kpis">{"".join(figures)}</div>',
        stylesheets=[_KPI_CSS],
        sizing_mode="stretch_width",
        **params,
    )


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
        **settings: Any,
    ) -> None:
        super().__init__()
        self.charts = OutcomeCache(maxsize=32) if charts is None else charts
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
        confidences.setdefault(_pct(model.confidence, 1), float(model.confidence))
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
        self.kpis = _kpi_row([])
        self.positions = pn.widgets.Tabulator(
            pd.DataFrame(),
            disabled=True,
            header_filters=True,
            layout="fit_data_table",
            titles={c: column_title(c) for c in _POSITION_COLUMNS},
            widths={"status": STATUS_PX},
            sizing_mode="stretch_width",
            css_classes=[Css.POSITIONS.value],
            formatters={
                c: f.formatter
                for c, f in {
                    "quantity": Fmt.INT,
                    "avg_price": Fmt.PRICE,
                    "price": Fmt.PRICE,
                    "market_value": Fmt.MONEY,
                    "weight": Fmt.PCT,
                    "unrealized_pnl": Fmt.MONEY,
                }.items()
            },  # fmt: skip
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
        self.view = pn.template.FastListTemplate(
            title=_TITLE,
            header=[pn.Row(self.as_of, self.var_method, self.confidence, margin=(0, 10))],
            sidebar=[
                pn.pane.Markdown("### Settings"),
                self.window,
                self.period,
                pn.pane.Markdown(
                    "Risk and performance use the chosen history window up to the as-of "
                    "date; the market is cut at that date (no look-ahead)."
                ),
            ],
            main=[pn.Column(self.error, self.kpis, self.tabs, sizing_mode="stretch_width")],
            theme_toggle=True,
            main_layout=None,
            design=OfflineFast,
            collapsed_sidebar=True,
        )
        self._refresh()
        self._sync_location()
        if served():
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

        def from_model(event: Any) -> None:
            date = pd.Timestamp(event.new).date()
            if self.as_of.value != date:
                self.as_of.value = date

        model.param.watch(from_model, "as_of")

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
        self.kpis.object = _kpi_row(self._kpis(result)).object
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
        """The page is up in the browser: build the other tabs, and from now on after every
        change."""
        self._page_up = True
        self.draw_all()

    def _draw_active(self) -> None:
        self._draw(list(Section)[self.tabs.active])

    def _draw(self, section: Section) -> None:
        if self._drawn.get(section) == id(self.outcome):
            return
        builders: dict[Section, Callable[[BookOutcome], list[Any]]] = {
            Section.BOOK: self._book,
            Section.LIMITS: self._limits,
            Section.RISK: self._risk,
            Section.STRESS: self._stress,
            Section.PERFORMANCE: self._performance,
            Section.ATTRIBUTION: self._attribution,
            Section.REBALANCING: self._rebalancing,
            Section.TAX: self._tax,
        }
        result = self.outcome
        notes = [n for n in result.notes if n.startswith(f"{section}:")]
        head = [pn.pane.Alert("\n\n".join(notes), alert_type="warning")] if notes else []
        self.sections[section].objects = head + builders[section](result)
        self._drawn[section] = id(result)

    def _chart(self, name: str, make: Callable[[], Any]) -> pn.viewable.Viewable:
        """The chart ``make()`` of the current result, rendered once per result and theme."""
        return chart_item(
            make,
            key=(name, self.theme),
            inputs=(self.outcome, self.model.state, self._policy()),
            cache=self.charts,
            theme=bokeh_theme(self.theme),
        )

    def _kpis(self, r: BookOutcome) -> list[str]:
        s = r.summary
        var_text, var_label = "n/a", "1-day VaR"
        if r.risk is not None:
            var_text = f"{_pct(r.risk['var'])} ({_money(r.risk['var_amount'])})"
            conf = _pct(r.risk["confidence"], 1).replace(".0%", "%")
            var_label = f"1-day {conf} VaR ({_VAR_NAMES[VaRMethod(self.model.var_method)]})"
        return [
            _kpi(
                f"Book value, close of {r.as_of.date()}",
                _money(s.value),
                Css.BOOK_VALUE,
                f"cash {_money(s.cash)}",
            ),
            _kpi("P&L day", _money(s.pnl_day), sub=_pct(s.pnl_day_pct, signed=True)),
            _kpi("P&L month to date", _money(s.pnl_mtd), sub=_pct(s.pnl_mtd_pct, signed=True)),
            _kpi("P&L year to date", _money(s.pnl_ytd), sub=_pct(s.pnl_ytd_pct, signed=True)),
            _kpi(
                "Gross / net exposure",
                f"{_pct(s.gross_exposure, 1)} / {_pct(s.net_exposure, 1)}",
                sub=f"leverage {s.leverage:.2f}x",
            ),
            _kpi(
                "Largest position",
                s.largest_position,
                Css.LARGEST_POSITION,
                f"{_pct(s.largest_weight, 1)} of NAV",
            ),
            _kpi(var_label, var_text, Css.VAR, "share of NAV (dollars)"),
        ]

    def _positions(self) -> pd.DataFrame:
        """The positions table as shown and downloaded (statuses as text)."""
        positions = self.outcome.positions
        return positions.assign(status=[s.value for s in positions["status"]])

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

    def _book(self, r: BookOutcome) -> list[Any]:
        s = r.summary
        text = (
            f"**{s.n_positions} positions**, valued at the close of {r.as_of.date()}. Cash "
            f"{_money(s.cash)}, invested {_money(s.invested)}. P&L is the change in value of "
            "the current holdings since the previous close, the previous month end and the "
            "previous year end."
        )
        return [pn.pane.Markdown(text), self.downloads, self.positions]

    def _limits(self, r: BookOutcome) -> list[Any]:
        def shown(rule: str, x: float) -> str:  # leverage a multiple, the others fractions
            return f"{x:.2f}x" if rule == "leverage" else _pct(x)

        limits = r.limits
        measures = pd.DataFrame(
            {
                "measure": [shown(k, v) for k, v in limits["value"].items()],
                "limit": [shown(k, v) for k, v in limits["limit"].items()],
                "hard": limits["hard"],
                "usage": limits["usage"],
                "status": limits["status"],
                "where": limits["where"],
            },
            index=limits.index,
        )
        return [
            pn.pane.Markdown(
                "Each policy measure against its limit (volatility annualised, ex ante from "
                "the risk model; leverage a multiple). Amber: at 90% of a limit or over a soft "
                "one; red: over a hard limit."
            ),
            table(measures, {"usage": Fmt.PCT}),
            self._chart(
                "exposures", lambda: plots.exposures(self.model.state, r.market, self._policy())
            ),
            pn.pane.Markdown("#### Sector exposure"),
            table(r.sector_limits, {"gross": Fmt.PCT, "limit": Fmt.PCT, "usage": Fmt.PCT}),
        ]

    def _policy(self) -> Any:
        return self.model.coordinator.policy

    def _risk(self, r: BookOutcome) -> list[Any]:
        if r.risk is None:
            return []
        k = r.risk
        conf = _pct(k["confidence"], 1)
        summary = _kpi_row([
            # realised over the window; the contributions below and the Limits tab use the
            # risk model's covariance (ex ante), which the title of the chart gives
            _kpi(
                "Volatility, realised (a year)",
                _pct(k["volatility"]),
                sub=f"last {self.model.window} trading days",
            ),
            _kpi(f"VaR {conf}, 1 day", _pct(k["var"]), sub=_money(k["var_amount"])),
            _kpi(f"CVaR {conf}, 1 day", _pct(k["cvar"]), sub=_money(k["cvar_amount"])),
            _kpi("Beta to the benchmark", f"{k['beta']:.2f}"),
        ])  # fmt: skip
        corr = r.correlation
        return [
            summary,
            pn.pane.Markdown(
                f"Over the last {self.model.window} trading days at today's weights; contributions and correlations under the "
                "market's risk model."
            ),
            pn.Column(
                self._chart(
                    "risk_contributions",
                    lambda: plots.risk_contributions(r.risk_contributions, top=10),
                ),
                self._chart(
                    "correlation", lambda: plots.correlation_heatmap(corr)
                ),  # clustered in HRP order
            ),
            pn.pane.Markdown("#### Risk by sector"),
            table(r.sector_risk, {c: Fmt.PCT for c in r.sector_risk.columns}),
        ]

    def _stress(self, r: BookOutcome) -> list[Any]:
        fmt = {
            "pnl": Fmt.MONEY,
            "loss": Fmt.MONEY,
            "loss_fraction": Fmt.PCT,
            "volatility_before": Fmt.PCT,
            "volatility_after": Fmt.PCT,
        }
        return [
            pn.pane.Markdown(
                "Historical episodes (replayed on today's holdings) and hypothetical shocks: "
                "the loss and the policy limits breached after each."
            ),
            table(r.stress_summary, fmt),
        ]

    def _performance(self, r: BookOutcome) -> list[Any]:
        if r.returns is None:
            return []
        metrics = r.metrics
        return [
            pn.pane.Alert(f"Performance of {r.performance_label}.", alert_type="info"),
            pn.Column(
                self._chart("equity_curve", lambda: plots.equity_curve(r.returns, r.benchmark_returns)),
                self._chart("underwater", lambda: plots.underwater(r.returns)),
            ),
            pn.pane.Markdown("#### Worst drawdowns"),
            table(r.worst_drawdowns, {"peak": Fmt.DATE, "trough": Fmt.DATE, "recovery": Fmt.DATE,
                                       "depth": Fmt.PCT}, index=False, empty="No drawdown."),
            pn.pane.Markdown("#### Metrics"),
            table(metrics, {c: Fmt.NUM for c in metrics.columns}),
            self._chart("rolling", lambda: plots.rolling_metrics(r.rolling, self.model.rolling_window)),
            self._chart("monthly", lambda: plots.monthly_returns_heatmap(r.monthly_returns)),
        ]  # fmt: skip

    def _attribution(self, r: BookOutcome) -> list[Any]:
        a = r.attribution
        if a is None:
            return []
        start, end = a.brinson.effects.index[0], a.brinson.effects.index[-1]
        return [
            pn.pane.Markdown(
                f"Brinson attribution by sector, {pd.Timestamp(start).date()} to "
                f"{pd.Timestamp(end).date()}: today's weights held, against the "
                "equal-weighted universe."
            ),
            pn.Column(
                self._chart("waterfall", lambda: plots.attribution_waterfall(a.brinson)),
                self._chart("brinson", lambda: plots.brinson_effects(a.brinson)),
            ),
            self._chart("linked", lambda: plots.linked_effects(a.brinson)),
            table(a.by_group, {c: Fmt.PCT for c in a.by_group.columns}),
        ]

    def _rebalancing(self, r: BookOutcome) -> list[Any]:
        if r.triggers is None:
            return []
        requests = pd.DataFrame(
            [
                {
                    "event_id": e.event_id,
                    "rebalance_type": str(e.rebalance_type),
                    "trigger": str(e.trigger_reason.type),
                    "severity": str(e.trigger_reason.severity),
                    "urgency": str(e.trigger_reason.urgency),
                    "adjustments": len(e.target_adjustments),
                    "description": e.trigger_reason.description,
                }
                for e in r.rebalance_requests
            ]
        )
        trades = r.trades if r.trades is not None else pd.DataFrame({"shares": []})
        n_traded = int((trades["shares"] != 0).sum())
        money = {"notional": Fmt.MONEY, "cost": Fmt.MONEY, "price": Fmt.PRICE}
        fmt = {c: Fmt.PCT for c in trades.columns if "weight" in c or "band" in c} | money
        targets = (
            "the given target weights"
            if self.model.targets is not None
            else "the weights at the last rebalance (default the start of the quarter)"
        )
        return [
            pn.pane.Markdown(
                f"Targets: {targets}; **{len(r.rebalance_requests)} trigger(s) fire now**."
            ),
            table(r.triggers, {"observed": Fmt.NUM, "threshold": Fmt.NUM, "ratio": Fmt.NUM}),
            pn.pane.Markdown("#### Rebalance requests raised"),
            table(requests, index=False, empty="No trigger fires."),
            pn.pane.Markdown(f"#### Least-cost trades back into the bands ({n_traded} to trade)"),
            table(r.trades, fmt, grid=True, page_size=20),
        ]

    def _tax(self, r: BookOutcome) -> list[Any]:
        if r.lots is None:
            return []
        money = ("cost_basis", "market_value", "unrealized_gain", "unrealized_loss",
                 "short_term_loss", "long_term_loss", "fees", "wash_adjustment")  # fmt: skip
        fmt = {c: Fmt.MONEY for c in money} | {
            "unrealized_return": Fmt.PCT,
            "loss_fraction": Fmt.PCT,
            "open_date": Fmt.DATE,
            "holding_start": Fmt.DATE,
            "conflict_date": Fmt.DATE,
        }
        return [
            pn.pane.Markdown(
                "Open lots "
                + (
                    "from the trade history"
                    if self.model.trades is not None
                    else "assumed: one per position at its average price, opened "
                    f"{pd.Timestamp(r.lots['open_date'].min()).date()}"
                )
                + "."
            ),
            pn.pane.Markdown("#### Unrealized gains by term"),
            table(r.gains_by_term, fmt),
            pn.pane.Markdown("#### Loss-harvesting candidates (with wash-sale status)"),
            table(r.harvest, fmt, index=False, empty="No lot is at a loss."),
            pn.pane.Markdown("#### Open lots"),
            table(r.lots, fmt, index=False, grid=True, page_size=20),
        ]

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
