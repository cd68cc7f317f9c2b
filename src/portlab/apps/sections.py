"""The PM dashboard's sections: what each tab shows, from a :class:`~portlab.ui.BookOutcome`.

Layout only: every number is the outcome's (computed by :mod:`portlab.analytics`), every chart
a :mod:`portlab.plots` function drawn through :meth:`PMDashboard.chart
<portlab.apps.dashboard.PMDashboard.chart>`. :data:`BUILDERS` maps each
:class:`~portlab.ui.book.Section` to its function ``(dashboard, outcome) -> [components]``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pandas as pd
import panel as pn

from portlab import plots
from portlab.apps.figures import kpi, kpi_row, money, pct
from portlab.apps.tables import Fmt, table
from portlab.ui.book import BookOutcome, Section

if TYPE_CHECKING:  # the dashboard imports this module
    from portlab.apps.dashboard import PMDashboard

__all__ = ["BUILDERS"]


def book(dash: PMDashboard, r: BookOutcome) -> list[Any]:
    """The book: its size, the downloads and the positions grid."""
    s = r.summary
    text = (
        f"**{s.n_positions} positions**, valued at the close of {r.as_of.date()}. Cash "
        f"{money(s.cash)}, invested {money(s.invested)}. P&L is the change in value of "
        "the current holdings since the previous close, the previous month end and the "
        "previous year end."
    )
    out = [pn.pane.Markdown(text), dash.downloads, dash.positions]
    if dash.journal is not None:
        # at the data's last date, the latest decisions (made since its close too)
        latest = r.as_of >= dash.model.param.as_of.bounds[1]
        out += journal_decisions(dash.journal, None if latest else r.as_of)
    return out


#: decisions of the journal the Book tab shows (the latest up to the as-of date)
JOURNAL_ROWS = 20


def journal_decisions(journal: Any, as_of: pd.Timestamp | None) -> list[Any]:
    """The latest decisions of the journal (up to ``as_of``, its whole day, when given), with
    their runs and policy versions."""
    from portlab.journal import open_existing

    with open_existing(journal) as recorded:
        end = None if as_of is None else as_of.date()
        recent = recorded.decisions(end=end, latest=JOURNAL_ROWS)
    columns = ["timestamp", "instrument_id", "action", "share_quantity", "trade_amount",
               "strategy_id", "policy_version", "run_id"]  # fmt: skip
    frame = recent[columns].assign(timestamp=recent["timestamp"].dt.tz_localize(None))
    return [
        pn.pane.Markdown(
            "### Latest decisions in the journal"
            + (f" (up to {as_of.date()})" if as_of is not None else "")
        ),
        pn.Column(
            table(frame, {"share_quantity": Fmt.INT, "trade_amount": Fmt.MONEY,
                          "timestamp": Fmt.DATE}, index=False,
                  empty="No decision in the journal up to this date."),
            css_classes=["pl-journal"],
        ),
    ]  # fmt: skip


def limits(dash: PMDashboard, r: BookOutcome) -> list[Any]:
    """Each policy measure against its limit, the exposure charts, the sector exposures."""

    def shown(rule: str, x: float) -> str:  # leverage a multiple, the others fractions
        return f"{x:.2f}x" if rule == "leverage" else pct(x)

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
        dash.chart("exposures", lambda: plots.exposures(dash.model.state, r.market, dash.policy)),
        pn.pane.Markdown("#### Sector exposure"),
        table(r.sector_limits, {"gross": Fmt.PCT, "limit": Fmt.PCT, "usage": Fmt.PCT}),
    ]


def risk(dash: PMDashboard, r: BookOutcome) -> list[Any]:
    """Volatility, VaR, CVaR and beta; risk contributions; correlation in HRP order; risk by sector."""
    if r.risk is None:
        return []
    k = r.risk
    conf = pct(k["confidence"], 1)
    summary = kpi_row([
        # realised over the window; the contributions below and the Limits tab use the
        # risk model's covariance (ex ante), which the title of the chart gives
        kpi(
            "Volatility, realised (a year)",
            pct(k["volatility"]),
            sub=f"last {dash.model.window} trading days",
        ),
        kpi(f"VaR {conf}, 1 day", pct(k["var"]), sub=money(k["var_amount"])),
        kpi(f"CVaR {conf}, 1 day", pct(k["cvar"]), sub=money(k["cvar_amount"])),
        kpi("Beta to the benchmark", f"{k['beta']:.2f}"),
    ])  # fmt: skip
    corr = r.correlation
    return [
        summary,
        pn.pane.Markdown(
            f"Over the last {dash.model.window} trading days at today's weights; contributions and correlations under the "
            "market's risk model."
        ),
        pn.Column(
            dash.chart(
                "risk_contributions",
                lambda: plots.risk_contributions(r.risk_contributions, top=10),
            ),
            dash.chart(
                "correlation", lambda: plots.correlation_heatmap(corr)
            ),  # clustered in HRP order
        ),
        pn.pane.Markdown("#### Risk by sector"),
        table(r.sector_risk, {c: Fmt.PCT for c in r.sector_risk.columns}),
    ]


def stress(dash: PMDashboard, r: BookOutcome) -> list[Any]:
    """Historical episodes and shocks: the loss and the limits breached after each."""
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


def performance(dash: PMDashboard, r: BookOutcome) -> list[Any]:
    """The tearsheet: growth against the benchmark, drawdowns, metrics, rolling metrics, months."""
    if r.returns is None:
        return []
    metrics = r.metrics
    return [
        pn.pane.Alert(f"Performance of {r.performance_label}.", alert_type="info"),
        pn.Column(
            dash.chart("equity_curve", lambda: plots.equity_curve(r.returns, r.benchmark_returns)),
            dash.chart("underwater", lambda: plots.underwater(r.returns)),
        ),
        pn.pane.Markdown("#### Worst drawdowns"),
        table(r.worst_drawdowns, {"peak": Fmt.DATE, "trough": Fmt.DATE, "recovery": Fmt.DATE,
                                   "depth": Fmt.PCT}, index=False, empty="No drawdown."),
        pn.pane.Markdown("#### Metrics"),
        table(metrics, {c: Fmt.NUM for c in metrics.columns}),
        dash.chart("rolling", lambda: plots.rolling_metrics(r.rolling, dash.model.rolling_window)),
        dash.chart("monthly", lambda: plots.monthly_returns_heatmap(r.monthly_returns)),
    ]  # fmt: skip


def attribution(dash: PMDashboard, r: BookOutcome) -> list[Any]:
    """Brinson attribution by sector: waterfall, effects, linked effects over time."""
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
            dash.chart("waterfall", lambda: plots.attribution_waterfall(a.brinson)),
            dash.chart("brinson", lambda: plots.brinson_effects(a.brinson)),
        ),
        dash.chart("linked", lambda: plots.linked_effects(a.brinson)),
        table(a.by_group, {c: Fmt.PCT for c in a.by_group.columns}),
    ]


def rebalancing(dash: PMDashboard, r: BookOutcome) -> list[Any]:
    """The triggers that fire, the requests they raise, the least-cost trades back into bands."""
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
    weights = ("current_weight", "target_weight", "band_lower", "band_upper",
               "exact_trade_weight", "trade_weight", "new_weight")  # fmt: skip
    fmt = {c: Fmt.PCT for c in weights} | {
        "notional": Fmt.MONEY,
        "cost": Fmt.MONEY,
        "price": Fmt.PRICE,
        "shares": Fmt.INT,
    }
    targets = (
        "the given target weights"
        if dash.model.targets is not None
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


def tax(dash: PMDashboard, r: BookOutcome) -> list[Any]:
    """Unrealized gains by term, loss-harvesting candidates, open lots."""
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
        "quantity": Fmt.INT,
        "replacement_quantity": Fmt.INT,
        "cost_per_share": Fmt.PRICE,
        "basis_per_share": Fmt.PRICE,
        "price": Fmt.PRICE,
    }
    return [
        pn.pane.Markdown(
            "Open lots "
            + (
                "from the trade history"
                if dash.model.trades is not None
                else "assumed: one per position at its average price, opened "
                f"{pd.Timestamp(r.lots['open_date'].min()).date()}"
            )
            + "."
        ),
        pn.pane.Markdown("#### Unrealized gains by term"),
        table(r.gains_by_term, fmt),
        pn.pane.Markdown("#### Loss-harvesting candidates (with wash-sale status)"),
        table(_without_empty_conflicts(r.harvest), fmt, index=False, empty="No lot is at a loss."),
        pn.pane.Markdown("#### Open lots"),
        table(r.lots, fmt, index=False, grid=True, page_size=20),
    ]


#: the harvest table's columns that describe a candidate's wash-sale conflict
_CONFLICT_COLUMNS = ["replacement_quantity", "conflict_source", "conflict_date", "conflict"]


def _without_empty_conflicts(harvest: pd.DataFrame) -> pd.DataFrame:
    """``harvest`` without its conflict columns when no candidate has a wash-sale risk (they
    would be blank, or 0 shares, on every row)."""
    if harvest.empty or harvest["wash_sale_risk"].any():
        return harvest
    return harvest.drop(columns=_CONFLICT_COLUMNS)


#: each section's builder
BUILDERS: dict[Section, Callable[[PMDashboard, BookOutcome], list[Any]]] = {
    Section.BOOK: book,
    Section.LIMITS: limits,
    Section.RISK: risk,
    Section.STRESS: stress,
    Section.PERFORMANCE: performance,
    Section.ATTRIBUTION: attribution,
    Section.REBALANCING: rebalancing,
    Section.TAX: tax,
}
