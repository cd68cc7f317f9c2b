"""What the PM dashboard's view-model gives: the book as of a date, section by section.

:class:`BookOutcome` holds every figure :class:`~portlab.ui.BookModel` computed for one as-of
date (None where a section could not be computed, with a note saying why); :class:`Section`
names the dashboard's sections, :class:`Period` the attribution periods.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import pandas as pd

from portlab.analytics.risk import StressResult
from portlab.events import RebalanceRequestEvent
from portlab.market import Market
from portlab.ui.attribution import AttributionOutcome

__all__ = ["BookOutcome", "BookSummary", "Period", "Section"]


class Period(enum.StrEnum):
    """The attribution period, ending on the as-of date."""

    MONTH_TO_DATE = "month to date"
    QUARTER_TO_DATE = "quarter to date"
    YEAR_TO_DATE = "year to date"
    WINDOW = "window"  #: the model's ``window`` of trading days


class Section(enum.StrEnum):
    """The dashboard's sections (a note names the one it is about)."""

    BOOK = "Book"
    LIMITS = "Limits"
    RISK = "Risk"
    STRESS = "Stress"
    PERFORMANCE = "Performance"
    ATTRIBUTION = "Attribution"
    REBALANCING = "Rebalancing"
    TAX = "Tax"


@dataclass(frozen=True)
class BookSummary:
    """The book's headline figures (currency unless said; fractions of NAV for exposures).

    ``pnl_day`` / ``pnl_mtd`` / ``pnl_ytd`` are the change in value of the **current
    holdings** from the previous trading day's close, the last close of the previous month,
    the last close of the previous year (NaN when the history does not reach it); the
    ``*_pct`` figures divide them by the value then. ``leverage`` is gross exposure over NAV.
    """

    value: float
    cash: float
    invested: float
    pnl_day: float
    pnl_mtd: float
    pnl_ytd: float
    pnl_day_pct: float
    pnl_mtd_pct: float
    pnl_ytd_pct: float
    gross_exposure: float
    net_exposure: float
    leverage: float
    n_positions: int
    largest_position: str
    largest_weight: float


@dataclass(frozen=True)
class BookOutcome:
    """The dashboard's figures as of :attr:`as_of`; None where a section could not be computed.

    Attributes
    ----------
    as_of : Timestamp
        The trading day used: the last market date on or before the model's ``as_of``.
    market : Market
        The market cut at ``as_of``.
    summary : BookSummary
    positions : DataFrame, index instrument_id
        ``name``, ``sector``, ``quantity``, ``avg_price``, ``price``, ``market_value``,
        ``weight`` (fraction of NAV), ``unrealized_pnl`` (currency, against the average
        price), ``status`` (:class:`~portlab.plots.palette.LimitStatus` of the weight against
        the position limit), largest ``|weight|`` first.
    limits : DataFrame, index rule
        :func:`~portlab.analytics.risk.limit_measures` (``limit``, ``hard``, ``value``,
        ``where``, ``breached``) plus ``usage`` (value / limit) and ``status``.
    sector_limits : DataFrame, index sector
        ``gross`` exposure (:meth:`PortfolioState.sector_exposures`), ``limit``, ``usage``,
        ``status``.
    risk : Series
        ``volatility`` (annualised, over the window), ``var``, ``cvar`` (one-day, fractions
        of NAV, by ``var_method`` at ``confidence``), ``var_amount``, ``cvar_amount``
        (currency), ``beta`` (against the benchmark), ``confidence``.
    risk_contributions, sector_risk : DataFrame
        :func:`~portlab.analytics.risk.volatility_contributions` and
        :func:`~portlab.analytics.risk.sector_risk_contributions` under ``market.covariance()``.
    correlation : DataFrame
        ``market.correlation()`` over the holdings, in HRP leaf order on both axes.
    stress : StressResult or None
        The historical episodes that end by ``as_of`` and the hypothetical shocks.
    stress_summary : DataFrame, index scenario
        ``stress.totals``' :data:`_STRESS_COLUMNS` and ``limits_breached``, the rules
        breached after the shock (comma-separated, '' for none).
    performance_label : str
        What the performance returns are (held weights, or the given history).
    returns, benchmark_returns : Series
        Daily returns over the window (the benchmark's on the same dates; None without one).
    drawdowns : DataFrame
        :func:`~portlab.analytics.risk.drawdowns` of ``returns``.
    worst_drawdowns : DataFrame
        The :data:`WORST_DRAWDOWNS` deepest: ``peak``, ``trough``, ``recovery`` (NaT when not
        recovered), ``depth`` (fraction), ``days`` (trading days from peak to recovery or
        the end).
    rolling : DataFrame, index date
        ``sharpe``, ``volatility`` and ``beta`` over ``rolling_window`` days.
    monthly_returns : DataFrame, index year
        Compounded returns per calendar month (columns 1..12) and ``year``.
    metrics : DataFrame
        :func:`~portlab.analytics.performance.summary`, columns ``portfolio`` and
        ``benchmark``.
    attribution : AttributionOutcome or None
    triggers : DataFrame or None
        :func:`~portlab.analytics.rebalance.trigger_status`.
    rebalance_requests : tuple of RebalanceRequestEvent
        :func:`~portlab.analytics.rebalance.evaluate_triggers`: one per trigger that fires.
    trades : DataFrame or None
        :func:`~portlab.analytics.rebalance.recommend_trades` back into the bands.
    targets : Series or None
        The rebalancing targets used.
    lots : DataFrame or None
        :meth:`LotLedger.unrealized` of the open lots.
    gains_by_term : DataFrame or None
        ``unrealized_gain``, ``market_value``, ``cost_basis`` summed per ``term``.
    harvest : DataFrame or None
        :func:`~portlab.analytics.tax.harvest_candidates` (with ``wash_sale_risk``).
    notes : tuple of str
        ``"<Section>: <why>"`` for every section left empty, and the assumptions made.
    """

    as_of: pd.Timestamp
    market: Market
    summary: BookSummary
    positions: pd.DataFrame
    limits: pd.DataFrame
    sector_limits: pd.DataFrame
    risk: pd.Series | None = None
    risk_contributions: pd.DataFrame | None = None
    sector_risk: pd.DataFrame | None = None
    correlation: pd.DataFrame | None = None
    stress: StressResult | None = None
    stress_summary: pd.DataFrame | None = None
    performance_label: str = ""
    returns: pd.Series | None = None
    benchmark_returns: pd.Series | None = None
    drawdowns: pd.DataFrame | None = None
    worst_drawdowns: pd.DataFrame | None = None
    rolling: pd.DataFrame | None = None
    monthly_returns: pd.DataFrame | None = None
    metrics: pd.DataFrame | None = None
    attribution: AttributionOutcome | None = None
    triggers: pd.DataFrame | None = None
    rebalance_requests: tuple[RebalanceRequestEvent, ...] = ()
    trades: pd.DataFrame | None = None
    targets: pd.Series | None = None
    lots: pd.DataFrame | None = None
    gains_by_term: pd.DataFrame | None = None
    harvest: pd.DataFrame | None = None
    notes: tuple[str, ...] = ()
