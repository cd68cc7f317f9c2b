"""Factor attribution: regression of portfolio returns on factor returns, and the style
factors of a market's ETFs."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from portlab.analytics.attribution._linking import Linking, link
from portlab.analytics.performance import check_periods_per_year, per_period_rate, returns_array
from portlab.exceptions import DataError, ValidationError

if TYPE_CHECKING:
    from portlab.market import Market

__all__ = ["FactorAttribution", "factor_attribution", "style_factor_returns"]

_ETF_FACTORS = MappingProxyType(
    {
        "SIZE": "size",
        "VLUE": "value",
        "MTUM": "momentum",
        "QUAL": "quality",
        "USMV": "low_vol",
    }
)


def style_factor_returns(market: Market, *, spreads: bool = True) -> pd.DataFrame:
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
    ppy = check_periods_per_year(periods_per_year)
    rf = per_period_rate(risk_free_rate, ppy)
    factors = factor_returns.reindex(portfolio_returns.index)
    if benchmark_returns is not None:
        if "market" in factors.columns:
            raise ValidationError("factor_returns already has a 'market' column")
        bench = benchmark_returns.reindex(portfolio_returns.index) - rf
        factors = pd.concat([bench.rename("market"), factors], axis=1)
    if factors.shape[1] == 0:
        raise ValidationError("no factors: give factor_returns columns or benchmark_returns")
    names = [str(c) for c in factors.columns]
    y_all = returns_array(portfolio_returns, "portfolio_returns")[:, 0] - rf
    x_all = returns_array(factors, "factor_returns")
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
