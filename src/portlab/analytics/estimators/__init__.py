"""Estimators users already trust: PyPortfolioOpt's expected returns and risk models, with
portlab's data rules in front.

- :func:`expected_returns` (:class:`ReturnMethod`): historical mean (arithmetic or
  compounded), exponentially weighted mean, CAPM (betas by :func:`capm_betas`),
  market-implied returns (the Black-Litterman prior) and the Black-Litterman posterior from
  views or from trading signals -- by ``pypfopt.expected_returns`` and
  ``pypfopt.black_litterman``.
- :func:`risk_matrix` (:class:`RiskModel`): semicovariance, Ledoit-Wolf shrinkage toward a
  constant variance, a single factor or a constant correlation, and oracle approximating
  shrinkage -- by ``pypfopt.risk_models``.

Most users reach them through a :class:`~portlab.market.Market`:
:meth:`~portlab.market.Market.expected_returns` (on the market's cleaned returns, its
benchmark, its periods per year and its covariance) and
:meth:`~portlab.market.Market.covariance` (whose ``method`` takes these risk models besides
portlab's own estimators).

Units: annual simple returns and annualised covariances, as fractions (``0.08`` is 8 %).
Inputs are never modified. PyPortfolioOpt is imported on the first call, so
``import portlab`` stays fast.

The implementation is in :mod:`._returns` and :mod:`._risk_models`.

Examples
--------
>>> from portlab.datasets import load_sample
>>> market = load_sample()
>>> mu = market.expected_returns("capm", window=504)  # the last two years
>>> mu.name, mu.attrs["frequency"], round(float(mu["AAPL"]), 3)
('capm', 252, 0.033)
>>> betas = capm_betas(market.returns.iloc[-504:], market.benchmark_returns.iloc[-504:])
>>> round(float(betas["AAPL"]), 2)
1.31
"""

from portlab.analytics.estimators._returns import ReturnMethod, capm_betas, expected_returns
from portlab.analytics.estimators._risk_models import RiskModel, risk_matrix

__all__ = ["ReturnMethod", "RiskModel", "capm_betas", "expected_returns", "risk_matrix"]
