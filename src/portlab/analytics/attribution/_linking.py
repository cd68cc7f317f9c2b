"""Multi-period linking of single-period attribution effects (Cariño, Menchero, GRAP).

Single-period effects (Brinson, factor or contribution effects) add up, period by period, to the
arithmetic active return ``R_p,t - R_b,t``. Over several periods returns compound, so the plain
sum of the effects does not add up to the compounded active return ``R_P - R_B`` with
``R_P = Π(1 + R_p,t) - 1``. Each method below gives per-period coefficients ``β_t`` such that the
linked effect ``Σ_t β_t e_t`` keeps the additivity: if every row of effects sums to
``R_p,t - R_b,t``, the linked effects sum to ``R_P - R_B`` exactly (to floating rounding).

* **Cariño (1999)**: ``β_t = k_t / k`` with ``k_t = (ln(1+R_p,t) - ln(1+R_b,t)) / (R_p,t - R_b,t)``
  and ``k = (ln(1+R_P) - ln(1+R_B)) / (R_P - R_B)`` (limits ``1/(1+R)`` when the two are equal).
* **Menchero (2000)**: ``β_t = M + α (R_p,t - R_b,t)`` with
  ``M = ((R_P - R_B)/T) / ((1+R_P)^(1/T) - (1+R_B)^(1/T))`` and ``α`` the smallest correction
  (least squares) that makes the linked sum exact.
* **GRAP** (Groupe de Recherche en Attribution de Performance): ``β_t = Π_{s<t}(1+R_p,s) ×
  Π_{s>t}(1+R_b,s)``: each period's effect is grown by the portfolio before it and the benchmark
  after it.
* **NONE**: ``β_t = 1``, the arithmetic sum (which does not add up to ``R_P - R_B``).

Returns are fractions; all methods need ``R > -1`` in every period (``DataError`` otherwise).
"""

from __future__ import annotations

import enum
from typing import Any

import numpy as np
import pandas as pd

from portlab.exceptions import DataError, ValidationError
from portlab.records import as_enum

__all__ = ["Linking", "link", "linking_coefficients"]


class Linking(enum.StrEnum):
    """Multi-period linking methods of :func:`link`."""

    CARINO = "carino"  #: logarithmic smoothing, Cariño (1999)
    MENCHERO = "menchero"  #: optimised linear smoothing, Menchero (2000)
    GRAP = "grap"  #: GRAP / Frongello compounding of each period's effect
    NONE = "none"  #: arithmetic sum, no linking (does not add up to the compounded active return)


def _as_linking(method: Any) -> Linking:
    return as_enum(Linking, method, "linking")


def _log_ratio(a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
    """``(ln(1+a) - ln(1+b)) / (a - b)``, accurate when ``a ≈ b`` (limit ``1/(1+b)``)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    d = (a - b) / (1.0 + b)  # ln(1+a) - ln(1+b) = log1p(d)
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.where(d == 0.0, 1.0, np.log1p(d) / np.where(d == 0.0, 1.0, d))
    return f / (1.0 + b)


def linking_coefficients(
    portfolio_returns: np.ndarray, benchmark_returns: np.ndarray, method: Linking | str
) -> np.ndarray:
    """Per-period linking coefficients ``β_t`` (see the module docstring).

    Parameters
    ----------
    portfolio_returns, benchmark_returns : ndarray, shape (n_periods,)
        Per-period total returns ``R_p,t`` and ``R_b,t`` (fractions, finite, > -1).
    method : Linking
        Linking method.

    Returns
    -------
    ndarray, shape (n_periods,)
        ``β_t``; ``Σ_t β_t (R_p,t - R_b,t) = R_P - R_B`` for every method but ``NONE``.
    """
    method = _as_linking(method)
    rp = np.asarray(portfolio_returns, dtype=float)
    rb = np.asarray(benchmark_returns, dtype=float)
    if rp.shape != rb.shape or rp.ndim != 1:
        raise ValidationError(
            f"portfolio and benchmark returns must be 1-D of the same length, got {rp.shape} "
            f"and {rb.shape}"
        )
    for what, r in (("portfolio", rp), ("benchmark", rb)):
        if not np.isfinite(r).all():
            raise DataError(
                f"{what} returns must be finite to link (period {_first(~np.isfinite(r))})"
            )
        if method is not Linking.NONE and (r <= -1.0).any():
            raise DataError(
                f"{what} return <= -100% in period {_first(r <= -1.0)}: cannot link geometrically"
            )
    t = rp.shape[0]
    if method is Linking.NONE or t == 0:
        return np.ones(t)
    if method is Linking.GRAP:
        gp, gb = 1.0 + rp, 1.0 + rb
        before = np.concatenate([[1.0], np.cumprod(gp)[:-1]])
        after = np.concatenate([np.cumprod(gb[::-1])[::-1][1:], [1.0]])
        return before * after
    log_p, log_b = np.log1p(rp).sum(), np.log1p(rb).sum()
    total_p, total_b = np.expm1(log_p), np.expm1(log_b)
    if method is Linking.CARINO:
        return _log_ratio(rp, rb) / _log_ratio(total_p, total_b)
    # Menchero
    diff = log_p - log_b
    ratio = np.expm1(diff) / np.expm1(diff / t) if diff != 0.0 else float(t)
    m = (1.0 + total_b) ** (1.0 - 1.0 / t) * ratio / t
    active = rp - rb
    ss = float(np.dot(active, active))
    corr = (total_p - total_b - m * active.sum()) / ss if ss > 0 else 0.0
    return m + corr * active


def _first(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def link(
    effects: pd.DataFrame | pd.Series,
    portfolio_returns: pd.Series | np.ndarray,
    benchmark_returns: pd.Series | np.ndarray | None = None,
    method: Linking | str = Linking.CARINO,
) -> pd.Series | float:
    """Link per-period effects into effects over the whole range.

    Parameters
    ----------
    effects : DataFrame, shape (n_periods, n_effects), or Series, shape (n_periods,)
        Single-period effects (fractions of portfolio value), one row per period; any columns
        (effects, groups, or both as a MultiIndex). No NaN.
    portfolio_returns, benchmark_returns : Series or ndarray, shape (n_periods,)
        Per-period total returns of the portfolio and the benchmark (fractions). Pandas inputs
        must have the effects' index. ``benchmark_returns=None`` links against a zero benchmark
        (contributions to the portfolio's own compounded return).
    method : Linking
        ``CARINO`` (default), ``MENCHERO``, ``GRAP`` or ``NONE``.

    Returns
    -------
    Series or float
        The linked effect per column (a float for a Series). If every row of ``effects`` sums
        to ``R_p,t - R_b,t``, the result sums to ``Π(1+R_p,t) - Π(1+R_b,t)`` (the compounded
        active return) for every method but ``NONE``.

    Raises
    ------
    ValidationError
        Misaligned or mis-shaped inputs, unknown method.
    DataError
        NaN effects, non-finite returns or a return <= -100%.
    """
    if not isinstance(effects, pd.DataFrame | pd.Series):
        raise ValidationError(
            f"effects must be a DataFrame or Series, got {type(effects).__name__}"
        )
    n = effects.shape[0]
    rp = _aligned(portfolio_returns, effects.index, "portfolio_returns", n)
    rb = (
        np.zeros(n)
        if benchmark_returns is None
        else _aligned(benchmark_returns, effects.index, "benchmark_returns", n)
    )
    values = effects.to_numpy(dtype=float, na_value=np.nan)
    if np.isnan(values).any():
        raise DataError("effects contain NaN: link only complete effects")
    beta = linking_coefficients(rp, rb, method)
    linked = beta @ values
    if isinstance(effects, pd.Series):
        return float(linked)
    return pd.Series(linked, index=effects.columns, name=str(_as_linking(method)))


def _aligned(returns: Any, index: pd.Index, what: str, n: int) -> np.ndarray:
    if isinstance(returns, pd.Series):
        if not returns.index.equals(index):
            raise ValidationError(f"{what} must have the effects' index")
        values = returns.to_numpy(dtype=float, na_value=np.nan)
    else:
        values = np.asarray(returns, dtype=float)
    if values.shape != (n,):
        raise ValidationError(f"{what} must have shape ({n},), got {values.shape}")
    return values
