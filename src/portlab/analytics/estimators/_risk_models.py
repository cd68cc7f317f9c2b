"""PyPortfolioOpt's risk models that portlab's own covariance estimators do not cover.

:func:`risk_matrix` hands a complete table of returns to ``pypfopt.risk_models``
(``semicovariance`` and ``CovarianceShrinkage``) with ``returns_data=True`` and the table's
periods per year as ``frequency``; :meth:`portlab.Market.covariance` applies portlab's data
rules (window, ``min_periods``, complete rows) in front of it.
"""

from __future__ import annotations

import enum
import warnings
from typing import Any

import numpy as np
import pandas as pd

from portlab.exceptions import DataError, DataRepairWarning, ValidationError, warn
from portlab.records import as_enum, check_int, number

__all__ = ["RiskModel", "risk_matrix"]

#: PyPortfolioOpt's message when its own Cholesky test finds an estimate not PSD
_PYPFOPT_FIX = "non positive semidefinite"


class RiskModel(enum.StrEnum):
    """PyPortfolioOpt's risk models, by the names ``pypfopt.risk_models.risk_matrix`` uses."""

    SEMICOVARIANCE = "semicovariance"  #: covariance of the returns' shortfalls below a threshold
    LEDOIT_WOLF_CONSTANT_VARIANCE = "ledoit_wolf_constant_variance"  #: toward ``mean var · I``
    LEDOIT_WOLF_SINGLE_FACTOR = "ledoit_wolf_single_factor"  #: toward Sharpe's single factor
    LEDOIT_WOLF_CONSTANT_CORRELATION = "ledoit_wolf_constant_correlation"  #: one correlation
    ORACLE_APPROXIMATING = "oracle_approximating"  #: Chen et al.'s OAS toward ``mean var · I``


def check_risk_model(method: Any) -> RiskModel:
    """``method`` as a :class:`RiskModel`; ``ValidationError`` naming the choices otherwise."""
    return as_enum(RiskModel, method, "method")


def risk_matrix(
    returns: pd.DataFrame,
    method: RiskModel | str,
    *,
    frequency: int = 252,
    threshold: float = 0.0,
) -> pd.DataFrame:
    """Annualised covariance of ``returns`` by one of PyPortfolioOpt's risk models.

    Parameters
    ----------
    returns : DataFrame, shape (n_obs, n_assets)
        Simple per-period returns (fractions), one column per asset, no missing value
        (drop incomplete rows first: :meth:`portlab.Market.covariance` drops them and reports
        it). Never modified.
    method : RiskModel or str
        ``"semicovariance"``: ``E[min(r_i − b, 0) · min(r_j − b, 0)]`` with ``b`` =
        ``threshold`` (``pypfopt.risk_models.semicovariance``); ``"ledoit_wolf_constant_variance"``,
        ``"ledoit_wolf_single_factor"``, ``"ledoit_wolf_constant_correlation"``: Ledoit-Wolf
        shrinkage toward that target, ``"oracle_approximating"``: OAS shrinkage
        (``pypfopt.risk_models.CovarianceShrinkage``).
    frequency : int
        Periods per year (252 for daily returns): the annualisation factor.
    threshold : float
        Semicovariance only: the per-period return below which a return counts as a
        shortfall (PyPortfolioOpt's ``benchmark``; 0 by default, where PyPortfolioOpt assumes
        a 2 % annual risk-free rate per day).

    Returns
    -------
    DataFrame, shape (n_assets, n_assets)
        Annualised covariance, labelled by the columns of ``returns``; ``attrs`` holds
        ``method``, ``frequency``, ``n_obs``, ``shrinkage`` (the intensity in [0, 1]; NaN for
        semicovariance), ``threshold`` (semicovariance) and ``psd_fixed`` (True when
        PyPortfolioOpt's ``fix_nonpositive_semidefinite`` amended the estimate's eigenvalues:
        it tests with a Cholesky factorisation of ``Σ + 1e-16 I`` and, when that fails, sets
        negative eigenvalues to zero; a :class:`~portlab.exceptions.DataRepairWarning` says
        so).

    Raises
    ------
    ValidationError
        An unknown method (the message lists the choices), a bad ``frequency`` or
        ``threshold``.
    DataError
        Missing or infinite returns, fewer than 2 rows or no column.

    Examples
    --------
    >>> import pandas as pd
    >>> returns = pd.DataFrame({"A": [0.01, -0.02, 0.015, -0.005], "B": [0.0, -0.01, 0.02, 0.01]})
    >>> semi = risk_matrix(returns, "semicovariance", frequency=252)
    >>> semi.round(4).to_numpy().tolist(), semi.attrs["n_obs"]
    ([[0.0268, 0.0126], [0.0126, 0.0063]], 4)
    """
    method = check_risk_model(method)
    frequency = check_int("frequency", frequency, 1)
    threshold = number(threshold, "threshold (a per-period return)")
    if not isinstance(returns, pd.DataFrame):
        raise ValidationError(f"returns must be a pandas DataFrame, got {type(returns).__name__}")
    x = returns.to_numpy(dtype=np.float64, na_value=np.nan)
    if x.shape[1] == 0 or x.shape[0] < 2:
        raise DataError(f"returns: need at least 2 rows and 1 column, got shape {x.shape}")
    if not np.isfinite(x).all():
        i, j = np.argwhere(~np.isfinite(x))[0]
        raise DataError(
            f"returns[{returns.index[i]}, {returns.columns[j]}] is {x[i, j]}: the risk model "
            f"{str(method)!r} needs complete rows (drop incomplete ones first)"
        )
    from pypfopt import risk_models

    shrinkage = float("nan")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if method is RiskModel.SEMICOVARIANCE:
            cov = risk_models.semicovariance(
                returns, returns_data=True, benchmark=threshold, frequency=frequency
            )
        else:
            shrunk = risk_models.CovarianceShrinkage(
                returns, returns_data=True, frequency=frequency
            )
            if method is RiskModel.ORACLE_APPROXIMATING:
                cov = shrunk.oracle_approximating()
            else:
                target = str(method).removeprefix("ledoit_wolf_")
                cov = shrunk.ledoit_wolf(shrinkage_target=target)
            shrinkage = float(shrunk.delta)
    fixed = False
    for w in caught:
        if _PYPFOPT_FIX in str(w.message):
            fixed = True
        else:  # anything else PyPortfolioOpt says is passed on as it was
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if fixed:
        warn(
            f"covariance {str(method)!r}: PyPortfolioOpt's fix_nonpositive_semidefinite set "
            "negative eigenvalues of the estimate to zero (its Cholesky test failed)",
            DataRepairWarning,
        )
    cov = pd.DataFrame(
        cov.to_numpy(dtype=np.float64), index=returns.columns, columns=returns.columns
    )
    cov.attrs.update(
        method=str(method),
        frequency=frequency,
        n_obs=int(x.shape[0]),
        shrinkage=shrinkage,
        psd_fixed=fixed,
    )
    if method is RiskModel.SEMICOVARIANCE:
        cov.attrs["threshold"] = threshold
    return cov
