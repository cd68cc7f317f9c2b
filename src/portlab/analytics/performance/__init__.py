"""Return and risk-adjusted performance metrics over periodic returns, and their rolling versions.

Conventions shared by every function
------------------------------------
* **Returns** are simple per-period returns as fractions (``0.01`` is 1 %), one row per period.
* **Input type in, input type out** (the empyrical contract): a Series or a 1-D ndarray gives a
  float; a DataFrame gives a Series indexed by its columns; a 2-D ndarray gives a 1-D ndarray
  (one value per column). ``rolling_*`` functions return an object of the input's type and shape
  (first ``window - 1`` rows NaN). Inputs are never modified.
* **NaN**: each column is computed on its own non-missing periods (NaN periods are skipped, as if
  the return were not observed); against a benchmark, on the periods where both are present.
  Too few observations give NaN, never an error. Infinite values are a ``DataError``.
* **Annualisation**: ``periods_per_year`` (252 for daily data) is always explicit. Returns are
  annualised geometrically, ``(1 + R)^(P/n) - 1``; volatilities by ``√P``; mean excess returns
  (Sharpe, Sortino, information ratio, alpha) arithmetically, ``mean × P``.
* **Risk-free rate**: ``risk_free_rate`` is an **annual** rate (fraction), converted to a
  per-period rate geometrically, ``rf_p = (1 + rf)^(1/P) - 1``, and subtracted from every
  period's return.
* **Drawdowns** are reported as positive fractions of the running peak of compounded wealth
  (``0.15`` is a 15 % fall), the peak starting at the initial wealth.

Which input
-----------
The metrics take **returns** (:data:`Returns`). Where a figure is also read from an **equity
curve** (values, not returns: a backtest's; :data:`portlab.types.EquityLike`), the function
says so in its name and shares the implementation:
:func:`annualized_return_from_equity` is :func:`annualized_return` of the curve's returns,
:func:`max_drawdown_from_equity` is :func:`max_drawdown` of them.

:func:`returns_array`, :func:`check_periods_per_year` and :func:`per_period_rate` read inputs
the way every metric here does (attribution uses them too).

The metrics are in :mod:`._metrics`, the rolling versions in :mod:`._rolling`, input handling
and array kernels in :mod:`._returns`.
"""

from portlab.analytics.performance._metrics import (
    alpha,
    alpha_beta,
    annualized_return,
    annualized_return_from_equity,
    beta,
    calmar_ratio,
    hit_rate,
    information_ratio,
    max_drawdown,
    max_drawdown_from_equity,
    sharpe_ratio,
    sortino_ratio,
    summary,
    total_return,
    tracking_error,
    volatility,
)
from portlab.analytics.performance._returns import (
    Returns,
    check_periods_per_year,
    per_period_rate,
    returns_array,
)
from portlab.analytics.performance._rolling import (
    rolling_beta,
    rolling_information_ratio,
    rolling_max_drawdown,
    rolling_return,
    rolling_sharpe,
    rolling_sortino,
    rolling_tracking_error,
    rolling_volatility,
)

__all__ = [
    "Returns",
    "alpha",
    "alpha_beta",
    "annualized_return",
    "annualized_return_from_equity",
    "beta",
    "calmar_ratio",
    "check_periods_per_year",
    "hit_rate",
    "information_ratio",
    "max_drawdown",
    "max_drawdown_from_equity",
    "per_period_rate",
    "returns_array",
    "rolling_beta",
    "rolling_information_ratio",
    "rolling_max_drawdown",
    "rolling_return",
    "rolling_sharpe",
    "rolling_sortino",
    "rolling_tracking_error",
    "rolling_volatility",
    "sharpe_ratio",
    "sortino_ratio",
    "summary",
    "total_return",
    "tracking_error",
    "volatility",
]
