"""The PM dashboard's view-model: the book as of a date, its limits, risk, stress,
performance, attribution, rebalancing and tax lots.

Everything is computed **as of** :attr:`BookModel.as_of`: the market is cut there
(:meth:`Market.truncate`, no look-ahead) and the current holdings (the state's quantities and
cash) are valued at the last prices on or before it. Every figure is a call to
:class:`~portlab.state.PortfolioState`, :mod:`portlab.analytics` or
:class:`~portlab.ui.AttributionModel`; the model only chooses the inputs:

* **risk** (volatility, VaR, CVaR, beta) over the last ``window`` daily returns at the
  holdings' weights; risk contributions and correlations from the market's default risk model
  (``market.covariance()``, the engine's); correlations of the holdings in HRP leaf order;
* **performance**: ``history`` when given (a Series of the portfolio's daily returns, e.g. a
  backtest's), else the current weights **held constant over the window** (rebalanced daily,
  :func:`~portlab.analytics.risk.portfolio_returns`): not a track record, and
  :attr:`BookOutcome.performance_label` says so;
* **attribution**: :class:`~portlab.ui.AttributionModel` by sector over the chosen period
  (its defaults: the current weights held, against the equal-weighted universe);
* **rebalancing**: the targets are ``targets`` when given, else the book's weights at the last
  rebalance (default the first trading day of the as-of date's quarter), so the weight
  deviation trigger measures the drift since then;
* **tax**: lots from ``trades`` (a trade history, :meth:`LotLedger.from_trades`) when given,
  else one lot per position at its average price opened on ``lots_opened`` (default the first
  date of the window): the state records no purchase dates.

A section that cannot be computed for the date (e.g. a stress episode or a window longer than
the history) is left empty (None) and :attr:`BookOutcome.notes` says why; the other sections
still show.

Examples
--------
>>> import pandas as pd
>>> from portlab.ui import BookModel
>>> model = BookModel()
>>> str(model.result.as_of.date()), model.result.summary.largest_position
('2022-12-28', 'MSFT')
>>> model.set(as_of=pd.Timestamp("2022-06-30"))
>>> str(model.result.as_of.date())
'2022-06-30'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import pandas as pd
import param

from portlab.analytics import performance as perf
from portlab.analytics import rebalance, risk, tax
from portlab.analytics.optimize import HierarchicalRiskParity
from portlab.analytics.risk import VaRMethod
from portlab.analytics.tax import LotLedger
from portlab.exceptions import PortlabError, ValidationError
from portlab.market import Market
from portlab.plots.palette import LimitStatus, limit_status
from portlab.state import PortfolioState
from portlab.ui.attribution import AttributionModel, AttributionOutcome
from portlab.ui.base import ViewModel
from portlab.ui.book_outcome import BookOutcome, BookSummary, Period, Section
from portlab.ui.codegen import literal, script

__all__ = [
    "BookModel",
    "BookOutcome",
    "BookSummary",
    "Period",
    "Section",
]  # the outcome's re-exported

#: trading days of history behind risk and performance by default (one year)
DEFAULT_WINDOW = 252
#: trading days of the rolling metrics by default (a quarter)
DEFAULT_ROLLING = 63
#: how many drawdowns the worst-drawdowns table lists
WORST_DRAWDOWNS = 5
#: hypothetical shocks of the stress section, besides the historical episodes
_SHOCKS = (
    risk.market_shock(-0.10),
    risk.market_shock(-0.20),
    risk.volatility_spike(2.0, name="volatility x2"),
    risk.correlation_shock(1.0, 0.5, name="correlations halfway to 1"),
)

#: the columns of :attr:`BookOutcome.stress_summary` taken from ``StressResult.totals``
_STRESS_COLUMNS = (
    "pnl",
    "loss",
    "loss_fraction",
    "volatility_before",
    "volatility_after",
    "breaches",
    "hard_breaches",
)


_FREQ = {Period.MONTH_TO_DATE: "M", Period.QUARTER_TO_DATE: "Q", Period.YEAR_TO_DATE: "Y"}


class BookModel(ViewModel):
    """PM dashboard: the book, its limits, risk, stress, performance, attribution,
    rebalancing and tax, all as of one date.

    Parameters
    ----------
    history : Series, optional
        The portfolio's daily returns (a backtest's or a track record); default the current
        weights held over the window.
    trades : DataFrame or executions, optional
        The trade history behind the tax lots (:meth:`LotLedger.from_trades`); default one
        lot per position.
    targets : Series or mapping, optional
        Rebalancing target weights; default the weights at the last rebalance.
    **kwargs
        As :class:`~portlab.ui.base.ViewModel` (``market``, ``state``, ``coordinator``: its
        policy gives the limits) and the settings.
    """

    as_of = param.Date(default=None, allow_None=True, doc="The date the book is shown at.")
    var_method = param.Selector(
        default=VaRMethod.HISTORICAL, objects=list(VaRMethod), doc="How VaR and CVaR are estimated."
    )
    confidence = param.Number(
        0.99,
        bounds=(0.5, 1.0),
        inclusive_bounds=(True, False),
        softbounds=(0.9, 0.995),
        step=0.005,
        doc="VaR and CVaR confidence.",
    )
    seed = param.Integer(
        0, bounds=(0, None), doc="Random seed of Monte Carlo VaR (same seed, same figures)."
    )
    window = param.Integer(
        DEFAULT_WINDOW, bounds=(21, None), doc="Trading days of history for risk and performance."
    )
    rolling_window = param.Integer(
        DEFAULT_ROLLING, bounds=(5, None), doc="Trading days of the rolling metrics."
    )
    attribution_period = param.Selector(
        default=Period.YEAR_TO_DATE, objects=list(Period), doc="Period of the attribution."
    )
    last_rebalance = param.Date(
        default=None, allow_None=True, doc="Last rebalance (None: start of the quarter)."
    )
    lots_opened = param.Date(
        default=None, allow_None=True, doc="Purchase date of the lots (None: window start)."
    )
    history = param.Parameter(default=None, precedence=-1, doc="Portfolio returns, or None.")
    trades = param.Parameter(default=None, precedence=-1, doc="Trade history, or None.")
    targets = param.Parameter(default=None, precedence=-1, doc="Target weights, or None.")

    USES: ClassVar[tuple[str, ...]] = ("market", "state")
    SETTINGS: ClassVar[tuple[str, ...]] = (
        "as_of",
        "var_method",
        "confidence",
        "seed",
        "window",
        "rolling_window",
        "attribution_period",
        "last_rebalance",
        "lots_opened",
    )

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("signals", [])  # the book needs no signals: skip the example's
        super().__init__(**kwargs)

    def _prepare(self, settings: dict[str, Any]) -> dict[str, Any]:
        self._set_date_bounds()
        return settings

    def _sync(self, changed: set[str]) -> None:
        super()._sync(changed)
        if "market" in changed:
            self._set_date_bounds()

    def _set_date_bounds(self) -> None:
        dates = self.market.dates
        first, last = pd.Timestamp(dates[0]), pd.Timestamp(dates[-1])
        for name in ("as_of", "last_rebalance", "lots_opened"):
            self.param[name].bounds = (first, last)
        if self.as_of is None or not first <= pd.Timestamp(self.as_of) <= last:
            self.as_of = last

    # -- computation ------------------------------------------------------------------------

    def _compute(self) -> BookOutcome:
        market = self.market.truncate(pd.Timestamp(self.as_of))
        as_of = pd.Timestamp(market.dates[-1])
        prices, state = market.last_prices, self.state
        weights = state.weights(prices)
        fields: dict[str, Any] = {
            "as_of": as_of,
            "market": market,
            "summary": self._summary(state, market, weights),
            "positions": self._positions(state, market, weights),
        }
        fields.update(self._limits(state, market))
        notes: list[str] = []
        window = market.returns.iloc[-int(self.window) :]
        sections: tuple[tuple[Section, Callable[[], dict[str, Any]]], ...] = (
            (Section.RISK, lambda: self._risk(market, weights, window, fields["summary"].value)),
            (Section.STRESS, lambda: self._stress(state, market, as_of)),
            (Section.PERFORMANCE, lambda: self._performance(market, weights, window)),
            (Section.ATTRIBUTION, lambda: {"attribution": self._attribution(market, window)}),
            (Section.REBALANCING, lambda: self._rebalancing(state, market, as_of)),
            (Section.TAX, lambda: self._tax(state, market, window, as_of)),
        )
        for section, compute in sections:
            try:
                fields.update(compute())
            except PortlabError as exc:
                notes.append(f"{section}: {' '.join(str(exc).split())}")
        if fields.get("attribution") is not None:
            notes += [f"{Section.ATTRIBUTION}: {n}" for n in fields["attribution"].notes]
        return BookOutcome(**fields, notes=tuple(notes))

    @staticmethod
    def _value_at(state: PortfolioState, market: Market, end: pd.Timestamp) -> float:
        """The holdings' value at the last close on or before ``end`` (NaN before the data)."""
        if end < market.dates[0]:
            return float("nan")
        return state.total_value(market.truncate(end).last_prices)

    def _summary(self, state: PortfolioState, market: Market, weights: pd.Series) -> BookSummary:
        prices, dates = market.last_prices, market.dates
        value = state.total_value(prices)
        as_of = pd.Timestamp(dates[-1])
        refs = {
            "day": pd.Timestamp(dates[-2]) if len(dates) > 1 else as_of - pd.Timedelta(days=1),
            "mtd": as_of.to_period("M").start_time - pd.Timedelta(days=1),
            "ytd": as_of.to_period("Y").start_time - pd.Timedelta(days=1),
        }
        before = {k: self._value_at(state, market, end) for k, end in refs.items()}
        pnl = {k: value - v for k, v in before.items()}
        largest = weights.abs().idxmax() if len(weights) else ""
        return BookSummary(
            value=value,
            cash=state.cash,
            invested=float(state.market_values(prices).sum()),
            pnl_day=pnl["day"],
            pnl_mtd=pnl["mtd"],
            pnl_ytd=pnl["ytd"],
            pnl_day_pct=pnl["day"] / before["day"],
            pnl_mtd_pct=pnl["mtd"] / before["mtd"],
            pnl_ytd_pct=pnl["ytd"] / before["ytd"],
            gross_exposure=state.gross_exposure(prices),
            net_exposure=state.net_exposure(prices),
            leverage=state.leverage(prices),
            n_positions=len(weights),
            largest_position=str(largest),
            largest_weight=float(weights.get(largest, 0.0)) if largest else 0.0,
        )

    def _positions(self, state: PortfolioState, market: Market, weights: pd.Series) -> pd.DataFrame:
        prices, ids = market.last_prices, list(weights.index)
        rule = self.coordinator.policy.max_position_size
        table = pd.DataFrame(
            {
                "name": market.names.reindex(ids),
                "sector": market.sectors.reindex(ids),
                "quantity": [state.positions[i].quantity for i in ids],
                "avg_price": [state.positions[i].avg_price for i in ids],
                "price": prices.reindex(ids),
                "market_value": state.market_values(prices).reindex(ids),
                "weight": weights,
                "unrealized_pnl": state.unrealized_pnl(prices).reindex(ids),
            },
            index=pd.Index(ids, name="instrument_id"),
        )
        table["status"] = _statuses(
            [limit_status(abs(w), rule.limit, hard=rule.hard) for w in weights], table.index
        )
        order = weights.abs().sort_values(ascending=False, kind="stable").index
        return table.loc[order]

    def _limits(self, state: PortfolioState, market: Market) -> dict[str, pd.DataFrame]:
        policy = self.coordinator.policy
        limits = risk.limit_measures(state, market, policy)
        limits["usage"] = limits["value"] / limits["limit"]
        limits["status"] = _statuses(
            [
                limit_status(v, lim, hard=bool(h))
                for v, lim, h in zip(limits["value"], limits["limit"], limits["hard"], strict=True)
            ],
            limits.index,
        )
        rule = policy.max_sector_exposure
        gross = state.sector_exposures(market.last_prices, market.sectors)
        sectors = pd.DataFrame({"gross": gross, "limit": rule.limit})
        sectors["usage"] = sectors["gross"] / rule.limit
        sectors["status"] = _statuses(
            [limit_status(g, rule.limit, hard=rule.hard) for g in gross], sectors.index
        )
        sectors.index.name = "sector"
        return {"limits": limits, "sector_limits": sectors.sort_values("gross", ascending=False)}

    def _risk(
        self, market: Market, weights: pd.Series, returns: pd.DataFrame, value: float
    ) -> dict[str, Any]:
        method, conf = VaRMethod(self.var_method), float(self.confidence)
        seed = int(self.seed)
        var = risk.value_at_risk(weights, returns, confidence=conf, method=method, seed=seed)
        cvar = risk.conditional_value_at_risk(
            weights, returns, confidence=conf, method=method, seed=seed
        )
        bench = market.benchmark_returns
        figures = pd.Series(
            {
                "volatility": risk.volatility(weights, returns),
                "var": var,
                "cvar": cvar,
                "var_amount": var * value,
                "cvar_amount": cvar * value,
                "beta": float("nan") if bench is None else risk.beta(weights, returns, bench),
                "confidence": conf,
            }
        )
        cov = market.covariance()
        held = list(weights.index)
        order = HierarchicalRiskParity().fit(cov.loc[held, held]).order_
        corr = market.correlation().loc[order, order]
        return {
            "risk": figures,
            "risk_contributions": risk.volatility_contributions(weights, cov),
            "sector_risk": risk.sector_risk_contributions(weights, cov, market),
            "correlation": corr,
        }

    def _stress(self, state: PortfolioState, market: Market, as_of: pd.Timestamp) -> dict[str, Any]:
        episodes = [e for e in risk.EPISODES if e.end <= as_of]
        result = risk.stress_test(state, market, [*episodes, *_SHOCKS], self.coordinator.policy)
        table = result.totals[list(_STRESS_COLUMNS)].copy()
        breached = result.limits[result.limits["breached"]].reset_index()
        names = breached.groupby("scenario", sort=False)["rule"].agg(", ".join)
        table["limits_breached"] = names.reindex(table.index).fillna("")
        return {"stress": result, "stress_summary": table}

    def _performance(
        self, market: Market, weights: pd.Series, window: pd.DataFrame
    ) -> dict[str, Any]:
        if self.history is None:
            returns = risk.portfolio_returns(weights, window)
            label = (
                f"the current holdings' weights held constant over the last {len(returns)} "
                "trading days (rebalanced daily): a what-if, not a track record"
            )
        else:
            returns = _series(self.history, "history").loc[: market.dates[-1]]
            returns = returns.iloc[-int(self.window) :]
            label = f"the given history, last {len(returns)} periods"
        if len(returns) < 2:
            raise ValidationError("fewer than 2 returns in the window")
        bench = market.benchmark_returns
        bench = None if bench is None else bench.reindex(returns.index)
        ppy, roll = market.periods_per_year, int(self.rolling_window)
        rolling = pd.DataFrame(
            {
                "sharpe": perf.rolling_sharpe(returns, roll, periods_per_year=ppy),
                "volatility": perf.rolling_volatility(returns, roll, periods_per_year=ppy),
            }
        )
        if bench is not None:
            rolling["beta"] = perf.rolling_beta(returns, bench, roll)
        metrics = {"portfolio": perf.summary(returns, bench, periods_per_year=ppy)}
        if bench is not None:
            metrics["benchmark"] = perf.summary(bench, periods_per_year=ppy)
        dd = risk.drawdowns(returns)
        by_month = returns.groupby([returns.index.year, returns.index.month]).agg(perf.total_return)
        monthly = by_month.unstack().reindex(columns=range(1, 13))
        monthly["year"] = returns.groupby(returns.index.year).agg(perf.total_return)
        monthly.index.name, monthly.columns.name = "year", "month"
        return {
            "performance_label": label,
            "returns": returns.rename("portfolio"),
            "benchmark_returns": bench,
            "drawdowns": dd,
            "worst_drawdowns": _drawdown_periods(dd["drawdown"], WORST_DRAWDOWNS),
            "rolling": rolling,
            "monthly_returns": monthly,
            "metrics": pd.DataFrame(metrics),
        }

    def _attribution_start(self, window: pd.DataFrame) -> pd.Timestamp:
        period = Period(self.attribution_period)
        end = pd.Timestamp(window.index[-1])
        if period is Period.WINDOW:
            return pd.Timestamp(window.index[0])
        return end.to_period(_FREQ[period]).start_time

    def _attribution(self, market: Market, window: pd.DataFrame) -> AttributionOutcome:
        model = AttributionModel(
            market=market,
            state=self.state,
            signals=[],
            start=max(self._attribution_start(window), pd.Timestamp(market.returns.index[0])),
            end=pd.Timestamp(window.index[-1]),
        )
        if model.error is not None:
            raise ValidationError(model.error)
        return model.result

    def _targets(self, state: PortfolioState, market: Market, as_of: pd.Timestamp) -> pd.Series:
        if self.targets is not None:
            return pd.Series(self.targets, dtype=float)
        start = pd.Timestamp(self._last_rebalance(as_of))
        return state.weights(market.truncate(start).last_prices)

    def _last_rebalance(self, as_of: pd.Timestamp) -> pd.Timestamp:
        if self.last_rebalance is not None:
            return pd.Timestamp(self.last_rebalance)
        dates = self.market.dates
        start = as_of.to_period("Q").start_time
        return pd.Timestamp(dates[dates.searchsorted(start)])

    def _rebalancing(
        self, state: PortfolioState, market: Market, as_of: pd.Timestamp
    ) -> dict[str, Any]:
        targets = self._targets(state, market, as_of)
        args = {"as_of": as_of, "last_rebalance": self._last_rebalance(as_of)}
        policy = self.coordinator.policy
        return {
            "targets": targets,
            "triggers": rebalance.trigger_status(state, market, targets, **args),
            "rebalance_requests": tuple(
                rebalance.evaluate_triggers(state, market, targets, **args)
            ),
            "trades": rebalance.recommend_trades(
                state, market, targets, allow_short=policy.allow_short
            ),
        }

    def _ledger(self, state: PortfolioState, window: pd.DataFrame) -> LotLedger:
        if self.trades is not None:
            end = pd.Timestamp(window.index[-1])
            ledger = LotLedger.from_trades(self.trades, wash_sales=True)
            if ledger.last_date is not None and pd.Timestamp(ledger.last_date) > end:
                raise ValidationError("the trade history runs past the as-of date")
            return ledger
        opened = self.lots_opened if self.lots_opened is not None else window.index[0]
        ledger = LotLedger()
        for iid, pos in state.positions.items():
            ledger = ledger.buy(iid, opened, pos.quantity, pos.avg_price)
        return ledger

    def _tax(
        self, state: PortfolioState, market: Market, window: pd.DataFrame, as_of: pd.Timestamp
    ) -> dict[str, Any]:
        ledger = self._ledger(state, window)
        lots = ledger.unrealized(market, as_of)
        by_term = lots.groupby("term")[["unrealized_gain", "market_value", "cost_basis"]].sum()
        return {
            "lots": lots,
            "gains_by_term": by_term,
            "harvest": tax.harvest_candidates(ledger, market, as_of),
        }

    # -- code ---------------------------------------------------------------------------------

    def _code(self) -> str:
        """The script of :meth:`to_code`: the book's value and VaR as of the date.

        It defines ``market_as_of``, ``weights``, ``window`` and ``result`` (a dict with
        ``value`` and ``var``).
        """
        imports, inputs = self._inputs_code(list(self.USES))
        as_of = pd.Timestamp(self.as_of)
        method = VaRMethod(self.var_method).name
        body = [
            f"market_as_of = market.truncate({literal(as_of)})",
            "prices = market_as_of.last_prices",
            "weights = state.weights(prices)",
            f"window = market_as_of.returns.iloc[-{int(self.window)}:]",
            "result = {",
            '    "value": state.total_value(prices),',
            '    "var": risk.value_at_risk(',
            f"        weights, window, confidence={float(self.confidence)!r}, "
            f"method=risk.VaRMethod.{method}, seed={int(self.seed)}",
            "    ),",
            "}",
        ]
        head = ["import pandas as pd", "", "from portlab.analytics import risk", *imports]
        return script(head, inputs, body)


def _series(values: Any, what: str) -> pd.Series:
    """``values`` as a Series with a DatetimeIndex (a backtest result gives its returns)."""
    series = values if isinstance(values, pd.Series) else getattr(values, "returns", None)
    if not isinstance(series, pd.Series) or not isinstance(series.index, pd.DatetimeIndex):
        raise ValidationError(f"{what}: expected a Series of returns indexed by date")
    return series.astype(float)


def _drawdown_periods(drawdown: pd.Series, n: int) -> pd.DataFrame:
    """The ``n`` deepest drawdown periods of a drawdown Series (positive fractions).

    A period runs from the last date at a peak (drawdown 0) to the next one (its recovery;
    NaT when the series ends below the peak). ``days`` counts rows from peak to recovery (or
    the last date).
    """
    at_peak = drawdown <= 0.0
    period = at_peak.cumsum()
    rows = []
    for _, dd in drawdown[~at_peak].groupby(period[~at_peak]):
        start = drawdown.index.get_loc(dd.index[0])
        peak = drawdown.index[start - 1] if start > 0 else dd.index[0]
        end = drawdown.index.get_loc(dd.index[-1]) + 1
        recovery = drawdown.index[end] if end < len(drawdown) else pd.NaT
        rows.append(
            {
                "peak": peak,
                "trough": dd.idxmax(),
                "recovery": recovery,
                "depth": float(dd.max()),
                "days": (end if end < len(drawdown) else end - 1) - (start - 1 if start else 0),
            }
        )
    columns = ["peak", "trough", "recovery", "depth", "days"]
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values("depth", ascending=False, kind="stable").head(n).reset_index(drop=True)


def _statuses(values: list[LimitStatus], index: pd.Index) -> pd.Series:
    """A column of :class:`LimitStatus` members kept as members: pandas with pyarrow would
    store a list of them as text."""
    return pd.Series(values, index=index, dtype=object)
