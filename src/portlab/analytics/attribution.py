"""Performance attribution: Brinson by group, factor regression, strategies, and the seed event.

* :func:`brinson` -- Brinson-Hood-Beebower or Brinson-Fachler allocation, selection and
  interaction per period and group (sector by default), vectorized over periods, linked over the
  whole range by :func:`link` (Cariño, Menchero, GRAP);
* :func:`factor_attribution` -- regression of portfolio returns on factor returns: exposures,
  factor contributions, specific return, systematic vs idiosyncratic variance;
* :func:`strategy_attribution` -- each strategy's return and risk contribution to the portfolio;
* :func:`attribution_event` -- a :class:`~portlab.events.PerformanceAttributionEvent` shaped
  like seed 001's example.

All returns and weights are fractions (``0.01`` is 1 %); effects are fractions of portfolio value.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from portlab._cleaning import fmt_date
from portlab.analytics import performance as perf
from portlab.analytics._brinson import (
    CASH_GROUP,
    EFFECTS,
    BrinsonMethod,
    BrinsonResult,
    brinson,
)
from portlab.analytics._linking import Linking, link, linking_coefficients
from portlab.analytics._returns import _annualized, _check_ppy, _prepare, _rf_per_period, _total
from portlab.dates import as_timestamp
from portlab.exceptions import DataError, ValidationError

__all__ = [
    "CASH_GROUP",
    "EFFECTS",
    "SEED_FACTOR_NAMES",
    "BrinsonMethod",
    "BrinsonResult",
    "FactorAttribution",
    "Linking",
    "PerformanceLabel",
    "attribution_event",
    "backtest_brinson",
    "brinson",
    "factor_attribution",
    "link",
    "linking_coefficients",
    "strategy_attribution",
    "style_factor_returns",
]

SEED_FACTOR_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "market": "market_beta",
        "size": "size_factor",
        "value": "value_factor",
        "momentum": "momentum_factor",
        "quality": "quality_factor",
        "low_vol": "low_vol_factor",
    }
)
"""Factor column → name of its exposure in seed 001's ``risk_attribution.factor_exposures``."""

_ETF_FACTORS = MappingProxyType(
    {
        "SIZE": "size",
        "VLUE": "value",
        "MTUM": "momentum",
        "QUAL": "quality",
        "USMV": "low_vol",
    }
)


# =========================================================================== backtests
def backtest_brinson(
    result: Any,
    market: Any,
    benchmark_weights: pd.DataFrame | pd.Series | Mapping[str, float],
    *,
    groups: pd.Series | Mapping[str, str] | None = None,
    method: BrinsonMethod | str = BrinsonMethod.BRINSON_FACHLER,
    linking: Linking | str = Linking.CARINO,
) -> BrinsonResult:
    """Brinson attribution of a backtest (:class:`~portlab.analytics.backtest.BacktestResult`).

    The backtest's ``weights`` are end-of-day holdings (after that day's fills), so row ``t``
    earns the return of period ``t + 1``: they are shifted by one period onto the market's
    returns from the backtest's second date on. Capital not invested is cash
    (:data:`CASH_GROUP`). A held instrument without a price on a day (the backtest values it at
    its last price) gets a zero return that day.

    Parameters
    ----------
    result : BacktestResult
        Needs ``weights`` (dates × instruments) and ``returns`` (daily equity returns).
    market : portlab.Market
        The backtest's market: instrument ``returns`` and, by default, ``sectors`` as groups.
    benchmark_weights : DataFrame on the backtest's dates from the second on, Series or mapping
        Benchmark weights per instrument (a Series or mapping is used in every period).
    groups : Series or mapping, optional
        Instrument → group; the market's sectors by default.
    method, linking : see :func:`brinson`.

    Returns
    -------
    BrinsonResult
        With a note giving the largest gap between the backtest's equity return and the
        attributed portfolio return (transaction costs, which Brinson does not see).
    """
    weights = getattr(result, "weights", None)
    if not isinstance(weights, pd.DataFrame) or len(weights) < 2:
        raise ValidationError("result must be a backtest result with at least two dates of weights")
    held = weights.shift(1).iloc[1:]
    returns = market.returns.reindex(index=held.index, columns=held.columns)
    returns = returns.where(returns.notna() | (held.fillna(0.0) == 0.0), 0.0)
    res = brinson(
        held,
        returns,
        benchmark_weights,
        None,
        market if groups is None else groups,
        method=method,
        linking=linking,
    )
    equity_ret = getattr(result, "returns", None)
    if isinstance(equity_ret, pd.Series):
        gap = (equity_ret.reindex(held.index) - res.portfolio_return).abs().max()
        note = (
            f"largest daily gap between the backtest's equity return and the attributed "
            f"portfolio return: {gap:.3g} (transaction costs are not attributed)"
        )
        res = dataclasses.replace(res, notes=(*res.notes, note))
    return res


# =========================================================================== factors
def style_factor_returns(market: Any, *, spreads: bool = True) -> pd.DataFrame:
    """Factor returns built from a market's benchmark and factor ETFs.

    Parameters
    ----------
    market : portlab.Market
        Needs ``benchmark_returns``; ``factor_returns`` are used when present.
    spreads : bool, default True
        Style columns are ``ETF return - benchmark return`` (long the ETF, short the index), so
        that their exposures are tilts relative to the market and are not collinear with it.
        With False the raw ETF returns are used.

    Returns
    -------
    DataFrame, shape (n_periods, 1 + n_factors)
        Simple per-period returns (fractions), columns ``market`` then, for the sample's ETFs,
        ``size`` (SIZE), ``value`` (VLUE), ``momentum`` (MTUM), ``quality`` (QUAL), ``low_vol``
        (USMV); other factor columns keep their names. NaN where a series is missing (the
        sample's ETFs before 2014).
    """
    bench = getattr(market, "benchmark_returns", None)
    if bench is None:
        raise DataError("market has no benchmark: style factors need the market's index")
    out = {"market": bench}
    factors = market.factor_returns if getattr(market, "factors", None) is not None else None
    if factors is not None:
        for col in factors.columns:
            name = _ETF_FACTORS.get(str(col), str(col))
            if name in out:
                raise DataError(f"factor column {str(col)!r} duplicates the factor name {name!r}")
            out[name] = factors[col] - bench if spreads else factors[col]
    return pd.DataFrame(out)


@dataclass(frozen=True, repr=False)
class FactorAttribution:
    """Result of :func:`factor_attribution` (per-period units unless said annualised).

    Attributes
    ----------
    exposures : Series, shape (n_factors,)
        OLS slopes (betas) on each factor.
    alpha : float
        Intercept per period; ``alpha_annualized = alpha × periods_per_year``.
    std_errors, t_stats : Series, shape (1 + n_factors,)
        Classical OLS standard errors and t statistics, ``alpha`` first.
    r_squared : float
        Share of the variance explained (= ``systematic_share``).
    contributions : DataFrame, shape (n_obs, n_factors + 2)
        Per period: ``β_k f_k,t`` per factor, then ``alpha`` and ``residual``; each row sums to
        the period's (excess) portfolio return.
    specific_return : Series, shape (n_obs,)
        ``alpha + residual`` per period: the return no factor explains.
    total_contributions : Series
        ``contributions`` linked over the range (``linking``) so that they sum to the compounded
        (excess) return ``total_return``.
    systematic_variance, idiosyncratic_variance, total_variance : float
        Annualised variances: ``βᵀ Σ_F β``, ``var(residual)``, ``var(r)`` (``ddof=1``); the first
        two add up to the third.
    systematic_share, idiosyncratic_share : float
        Shares of the total variance (sum to 1).
    factor_risk : Series, shape (n_factors,)
        Euler contributions ``β_k (Σ_F β)_k / var(r)``: shares of the total variance, summing to
        ``systematic_share`` (a negative value hedges).
    n_obs : int
        Periods used (rows where the portfolio and every factor are present).
    notes : tuple of str
        Rows dropped and conventions applied.
    """

    exposures: pd.Series
    alpha: float
    alpha_annualized: float
    std_errors: pd.Series
    t_stats: pd.Series
    r_squared: float
    contributions: pd.DataFrame
    specific_return: pd.Series
    total_contributions: pd.Series
    total_return: float
    systematic_variance: float
    idiosyncratic_variance: float
    total_variance: float
    systematic_share: float
    idiosyncratic_share: float
    factor_risk: pd.Series
    n_obs: int
    notes: tuple[str, ...] = field(default=())

    def __repr__(self) -> str:
        exp = ", ".join(f"{k}={v:.3f}" for k, v in self.exposures.items())
        return (
            f"FactorAttribution(n_obs={self.n_obs}, alpha_annualized={self.alpha_annualized:.4f}, "
            f"r_squared={self.r_squared:.3f}, exposures: {exp})"
        )


def factor_attribution(
    portfolio_returns: pd.Series,
    factor_returns: pd.DataFrame,
    *,
    benchmark_returns: pd.Series | None = None,
    risk_free_rate: float = 0.0,
    periods_per_year: float = 252,
    linking: Linking | str = Linking.CARINO,
) -> FactorAttribution:
    """Regress portfolio returns on factor returns (OLS with intercept) and split return and risk.

    Model: ``r_t - rf_p = α + Σ_k β_k f_k,t + ε_t``.

    Parameters
    ----------
    portfolio_returns : Series, shape (n_periods,)
        Simple per-period portfolio returns (fractions).
    factor_returns : DataFrame, shape (n_periods, n_factors)
        Factor returns on the same index (aligned by label), taken as given (self-financing
        spreads such as :func:`style_factor_returns`, or excess returns). May be empty of columns
        when ``benchmark_returns`` is given.
    benchmark_returns : Series, optional
        The market index: added as the first factor, ``market``, in excess of ``rf_p``.
    risk_free_rate : float
        **Annual** rate (fraction), converted to ``rf_p = (1 + rf)^(1/P) - 1`` per period and
        subtracted from the portfolio (and benchmark) returns.
    periods_per_year : float
        ``P``, used for annualised figures.
    linking : Linking
        How ``total_contributions`` are linked over the range (against a zero benchmark).

    Returns
    -------
    FactorAttribution

    Raises
    ------
    ValidationError
        Wrong types, a factor named ``market`` together with ``benchmark_returns``.
    DataError
        Fewer than ``n_factors + 2`` complete periods, or collinear factors.

    Notes
    -----
    Periods where the portfolio or any factor is NaN are dropped (counted in ``notes``).
    """
    if not isinstance(portfolio_returns, pd.Series):
        raise ValidationError("portfolio_returns must be a Series")
    if not isinstance(factor_returns, pd.DataFrame):
        raise ValidationError("factor_returns must be a DataFrame (periods × factors)")
    ppy = _check_ppy(periods_per_year)
    rf = _rf_per_period(risk_free_rate, ppy)
    factors = factor_returns.reindex(portfolio_returns.index)
    if benchmark_returns is not None:
        if "market" in factors.columns:
            raise ValidationError("factor_returns already has a 'market' column")
        bench = benchmark_returns.reindex(portfolio_returns.index) - rf
        factors = pd.concat([bench.rename("market"), factors], axis=1)
    if factors.shape[1] == 0:
        raise ValidationError("no factors: give factor_returns columns or benchmark_returns")
    names = [str(c) for c in factors.columns]
    y_all = _prepare(portfolio_returns, "portfolio_returns").values[:, 0] - rf
    x_all = _prepare(factors, "factor_returns").values
    keep = ~(np.isnan(y_all) | np.isnan(x_all).any(axis=1))
    n, k = int(keep.sum()), x_all.shape[1]
    notes = []
    if n < len(keep):
        notes.append(
            f"{len(keep) - n} of {len(keep)} periods dropped: portfolio or a factor is NaN"
        )
    if n < k + 2:
        raise DataError(f"factor_attribution needs at least {k + 2} complete periods, got {n}")
    y, x = y_all[keep], x_all[keep]
    design = np.column_stack([np.ones(n), x])
    coef, _, rank, _ = np.linalg.lstsq(design, y, rcond=None)
    if rank < k + 1:
        raise DataError(f"factor returns are collinear (rank {rank - 1} < {k} factors): {names}")
    resid = y - design @ coef
    dof = n - k - 1
    s2 = float(resid @ resid) / dof
    cov_coef = s2 * np.linalg.inv(design.T @ design)
    se = np.sqrt(np.diag(cov_coef))
    beta = coef[1:]
    cov_f = np.cov(x, rowvar=False, ddof=1).reshape(k, k)
    sys_var = float(beta @ cov_f @ beta)
    idio_var = float(np.var(resid, ddof=1))
    tot_var = float(np.var(y, ddof=1))
    index = portfolio_returns.index[keep]
    contrib = pd.DataFrame(x * beta, index=index, columns=names)
    contrib["alpha"] = coef[0]
    contrib["residual"] = resid
    total_ret = float(np.prod(1.0 + y) - 1.0)
    linked = link(contrib, y, None, linking)
    factor_risk = pd.Series(beta * (cov_f @ beta) / tot_var if tot_var > 0 else np.nan, index=names)
    sys_share = sys_var / (sys_var + idio_var) if sys_var + idio_var > 0 else np.nan
    coef_names = ["alpha", *names]
    return FactorAttribution(
        exposures=pd.Series(beta, index=names, name="exposure"),
        alpha=float(coef[0]),
        alpha_annualized=float(coef[0] * ppy),
        std_errors=pd.Series(se, index=coef_names, name="std_error"),
        t_stats=pd.Series(coef / se, index=coef_names, name="t_stat"),
        r_squared=float(1.0 - idio_var / tot_var) if tot_var > 0 else np.nan,
        contributions=contrib,
        specific_return=(contrib["alpha"] + contrib["residual"]).rename("specific_return"),
        total_contributions=linked.rename("total_contribution"),
        total_return=total_ret,
        systematic_variance=sys_var * ppy,
        idiosyncratic_variance=idio_var * ppy,
        total_variance=tot_var * ppy,
        systematic_share=float(sys_share),
        idiosyncratic_share=float(1.0 - sys_share),
        factor_risk=factor_risk.rename("variance_share"),
        n_obs=n,
        notes=tuple(notes),
    )


# =========================================================================== strategies
class PerformanceLabel(enum.StrEnum):
    """Label of a strategy in :func:`strategy_attribution` and seed 001's event."""

    OUTPERFORMING = "OUTPERFORMING"
    NEUTRAL = "NEUTRAL"
    UNDERPERFORMING = "UNDERPERFORMING"


def strategy_attribution(
    strategy_returns: pd.DataFrame,
    strategy_weights: pd.Series | pd.DataFrame | Mapping[str, float],
    *,
    benchmark_returns: pd.Series | None = None,
    periods_per_year: float = 252,
    threshold: float = 0.02,
    linking: Linking | str = Linking.CARINO,
) -> pd.DataFrame:
    """Each strategy's return and risk contribution to the portfolio of strategies.

    The portfolio return is ``R_t = Σ_s w_s,t r_s,t``; capital not given to a strategy
    (``1 - Σ_s w_s,t``) is cash earning zero.

    Parameters
    ----------
    strategy_returns : DataFrame, shape (n_periods, n_strategies)
        Each strategy's simple per-period return on its own capital (fractions). NaN counts as
        a zero return (the strategy was flat).
    strategy_weights : Series or mapping (static), or DataFrame (n_periods, n_strategies)
        Capital weights (fractions of portfolio value) at the start of each period.
    benchmark_returns : Series, optional
        Reference for the performance label; the portfolio's own return ``R_t`` by default.
    periods_per_year : float
        ``P`` for annualised figures.
    threshold : float, default 0.02
        Label rule: a strategy whose annualised return beats the reference's by more than
        ``threshold`` (2 points a year) is ``OUTPERFORMING``, one that trails by more than
        ``threshold`` is ``UNDERPERFORMING``, otherwise ``NEUTRAL``.
    linking : Linking
        How per-period contributions ``w_s,t r_s,t`` are linked (against a zero benchmark).

    Returns
    -------
    DataFrame, one row per strategy
        ``weight`` (average capital weight); ``total_return`` (the strategy's compounded return);
        ``annualized_return``; ``return_contribution`` (linked contributions; they sum to the
        portfolio's compounded return); ``risk_contribution`` (Euler contribution to the
        portfolio's annualised volatility, ``cov(w_s r_s, R) / σ(R) × √P``; sums to it);
        ``risk_share`` (its fraction of the volatility); ``active_return`` (annualised return
        minus the reference's); ``performance`` (:class:`PerformanceLabel`).
    """
    if not isinstance(strategy_returns, pd.DataFrame):
        raise ValidationError("strategy_returns must be a DataFrame (periods × strategies)")
    if not strategy_returns.columns.is_unique:
        raise ValidationError("strategy_returns has duplicate strategy columns")
    ppy = _check_ppy(periods_per_year)
    ret = np.nan_to_num(_prepare(strategy_returns, "strategy_returns").values)
    cols = strategy_returns.columns
    if isinstance(strategy_weights, Mapping):
        strategy_weights = pd.Series(dict(strategy_weights), dtype=float)
    if isinstance(strategy_weights, pd.Series):
        missing = cols.difference(strategy_weights.index)
        if len(missing) or len(strategy_weights.index.difference(cols)):
            raise ValidationError(
                f"strategy_weights must name exactly the strategies of strategy_returns "
                f"(missing: {list(missing)}, extra: {list(strategy_weights.index.difference(cols))})"
            )
        static = strategy_weights.reindex(cols).to_numpy(dtype=float)
        w = np.broadcast_to(static, ret.shape)
    elif isinstance(strategy_weights, pd.DataFrame):
        if not strategy_weights.index.equals(strategy_returns.index) or set(
            strategy_weights.columns
        ) != set(cols):
            raise ValidationError("strategy_weights must have strategy_returns' index and columns")
        w = _prepare(strategy_weights[cols], "strategy_weights").values
        static = w.mean(axis=0)
    else:
        raise ValidationError("strategy_weights must be a Series, mapping or DataFrame")
    if np.isnan(w).any():
        raise DataError("strategy_weights contain NaN")
    contrib = w * ret
    port = contrib.sum(axis=1)
    beta = linking_coefficients(port, np.zeros_like(port), linking)
    n_obs = len(port)
    if n_obs < 2:
        raise DataError("strategy_attribution needs at least two periods")
    centered = port - port.mean()
    rc_num = (contrib - contrib.mean(axis=0)).T @ centered / (n_obs - 1)  # cov(w_s r_s, R)
    vol = float(np.sqrt(centered @ centered / (n_obs - 1)))
    risk_contrib = rc_num / vol * np.sqrt(ppy) if vol > 0 else np.full(len(cols), np.nan)
    ann = _annualized(ret, ppy)
    if benchmark_returns is None:
        ref = float(_annualized(port[:, None], ppy)[0])
    else:
        ref = float(
            perf.annualized_return(
                benchmark_returns.reindex(strategy_returns.index), periods_per_year=ppy
            )
        )
    active = ann - ref
    label = np.where(
        active > threshold,
        PerformanceLabel.OUTPERFORMING.value,
        np.where(
            active < -threshold,
            PerformanceLabel.UNDERPERFORMING.value,
            PerformanceLabel.NEUTRAL.value,
        ),
    )
    return pd.DataFrame(
        {
            "weight": static,
            "total_return": _total(ret),
            "annualized_return": ann,
            "return_contribution": beta @ contrib,
            "risk_contribution": risk_contrib,
            "risk_share": risk_contrib / (vol * np.sqrt(ppy)) if vol > 0 else np.nan,
            "active_return": active,
            "performance": label,
        },
        index=cols,
    )


# =========================================================================== the event
def attribution_event(
    portfolio_returns: pd.Series,
    benchmark_returns: pd.Series | None = None,
    *,
    sectors: BrinsonResult | None = None,
    strategies: pd.DataFrame | None = None,
    factors: FactorAttribution | pd.DataFrame | None = None,
    portfolio_id: str = "main_portfolio",
    risk_free_rate: float = 0.0,
    periods_per_year: float = 252,
    period: tuple[Any, Any] | None = None,
    timestamp: datetime | None = None,
):
    """A :class:`~portlab.events.PerformanceAttributionEvent` shaped like seed 001's example.

    Parameters
    ----------
    portfolio_returns, benchmark_returns : Series, shape (n_periods,)
        Per-period portfolio and benchmark returns (fractions) on a DatetimeIndex (the
        attribution period is its first and last date unless ``period`` is given).
        ``benchmark_returns=None`` takes the Brinson benchmark's returns from ``sectors``, so
        that the sector effects add up to ``excess_return``; with another benchmark (e.g. the
        S&P 500 against an equal-weight Brinson benchmark) they add up to the active return
        against the Brinson benchmark instead.
    sectors : BrinsonResult, optional
        ``sector_attribution`` from its linked effects: ``return_contribution`` (the group's
        total active contribution), ``weight_effect`` (allocation), ``selection_effect``,
        ``interaction_effect``. Empty when not given.
    strategies : DataFrame, optional
        Output of :func:`strategy_attribution`. Empty when not given.
    factors : FactorAttribution or DataFrame, optional
        A factor attribution, or factor returns (e.g. :func:`style_factor_returns`) to regress
        on; by default the benchmark alone (a market model). Exposure names follow
        :data:`SEED_FACTOR_NAMES` (``market`` → ``market_beta``, ``size`` → ``size_factor``, ...).
    portfolio_id : str
        Portfolio identifier.
    risk_free_rate : float
        Annual risk-free rate (fraction) for the Sharpe ratio.
    periods_per_year : float
        ``P`` for annualisation.
    period : (start, end), optional
        Attribution period bounds, overriding the index's: dates (ISO 8601 strings or date
        objects; anything else is a ``ValidationError`` naming ``period start`` / ``period
        end``).
    timestamp : datetime, optional
        Time of the event (now by default).

    Returns
    -------
    PerformanceAttributionEvent
        ``portfolio_performance``: ``total_return`` and ``benchmark_return`` compounded over
        the periods both are present, ``excess_return`` their difference, ``tracking_error``
        and ``information_ratio`` (annualised), ``sharpe_ratio`` (annualised);
        ``risk_attribution``: ``systematic_risk`` and ``idiosyncratic_risk`` as shares of the
        portfolio's variance explained and unexplained by the factors, and ``factor_exposures``.

    Raises
    ------
    ValidationError
        Bad inputs or a figure that is not finite (e.g. too few periods for a tracking error).
    """
    from portlab.events import PerformanceAttributionEvent

    if benchmark_returns is None:
        if sectors is None:
            raise ValidationError("give benchmark_returns, or sectors to take its benchmark from")
        benchmark_returns = sectors.benchmark_return
    if not isinstance(portfolio_returns, pd.Series) or not isinstance(benchmark_returns, pd.Series):
        raise ValidationError("portfolio_returns and benchmark_returns must be Series")
    kw = {"periods_per_year": periods_per_year}
    table = perf.summary(portfolio_returns, benchmark_returns, risk_free_rate=risk_free_rate, **kw)
    both = portfolio_returns.notna() & benchmark_returns.reindex(portfolio_returns.index).notna()
    total = perf.total_return(portfolio_returns[both])
    performance = {
        "total_return": total,
        "benchmark_return": table["benchmark_return"],
        "excess_return": total - table["benchmark_return"],
        "tracking_error": table["tracking_error"],
        "information_ratio": table["information_ratio"],
        "sharpe_ratio": table["sharpe_ratio"],
    }
    if factors is None or isinstance(factors, pd.DataFrame):
        factors = factor_attribution(
            portfolio_returns,
            factors if factors is not None else pd.DataFrame(index=portfolio_returns.index),
            benchmark_returns=None if factors is not None else benchmark_returns,
            risk_free_rate=risk_free_rate,
            **kw,
        )
    elif not isinstance(factors, FactorAttribution):
        raise ValidationError(
            "factors must be a FactorAttribution or a DataFrame of factor returns"
        )
    if period is None:
        index = portfolio_returns.index
        if not isinstance(index, pd.DatetimeIndex) or len(index) == 0:
            raise ValidationError("give period=(start, end) when returns are not dated")
        period = (index[0], index[-1])
    elif not isinstance(period, tuple | list) or len(period) != 2:
        raise ValidationError(f"period: expected (start, end), got {type(period).__name__}")
    start, end = as_timestamp(period[0], "period start"), as_timestamp(period[1], "period end")
    try:
        backwards = start > end
    except TypeError:
        raise ValidationError(
            "period: start and end must both have a time zone, or neither"
        ) from None
    if backwards:
        raise ValidationError(f"period: start {fmt_date(start)} is after end {fmt_date(end)}")
    sector_block = {}
    if sectors is not None:
        for group, row in sectors.linked.iterrows():
            sector_block[str(group)] = {
                "return_contribution": row["total"],
                "weight_effect": row["allocation"],
                "selection_effect": row["selection"],
                "interaction_effect": row["interaction"],
            }
    strategy_block = {}
    if strategies is not None:
        for name, row in strategies.iterrows():
            strategy_block[str(name)] = {
                "return_contribution": row["return_contribution"],
                "risk_contribution": row["risk_contribution"],
                "weight": row["weight"],
                "performance": str(row["performance"]),
            }
    exposures = {SEED_FACTOR_NAMES.get(k, k): v for k, v in factors.exposures.items()}
    payload = {
        "portfolio_id": portfolio_id,
        "attribution_period": {"start": start, "end": end},
        "portfolio_performance": performance,
        "strategy_attribution": strategy_block,
        "sector_attribution": sector_block,
        "risk_attribution": {
            "systematic_risk": factors.systematic_share,
            "idiosyncratic_risk": factors.idiosyncratic_share,
            "factor_exposures": exposures,
        },
    }
    if timestamp is not None:
        payload["timestamp"] = timestamp
    return PerformanceAttributionEvent.from_dict(_floats(payload))


def _floats(obj: Any) -> Any:
    """numpy scalars → Python floats (the event's validators reject nothing else)."""
    if isinstance(obj, dict):
        return {k: _floats(v) for k, v in obj.items()}
    if isinstance(obj, np.floating | np.integer):
        return float(obj)
    return obj
