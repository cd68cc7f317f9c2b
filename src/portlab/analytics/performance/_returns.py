"""Input handling and array kernels of the performance metrics.

Returns become a read-only (n_periods, n_columns) float array plus what is needed to hand the
result back in the input's type; the kernels reduce each column over its non-NaN periods.
:func:`returns_array`, :func:`check_periods_per_year` and :func:`per_period_rate` are public
(re-exported by :mod:`portlab.analytics.performance`): attribution reads its inputs with them.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from portlab.exceptions import DataError, ValidationError

Returns: TypeAlias = pd.Series | pd.DataFrame | np.ndarray
"""A returns Series, DataFrame (periods × columns) or 1-/2-D ndarray."""


# --------------------------------------------------------------------------- input handling
@dataclass(frozen=True)
class _Input:
    """Returns as a read-only 2-D float array plus what is needed to give the input's type back."""

    values: np.ndarray  # (n_periods, n_columns)
    kind: str  # "series" | "frame" | "array1" | "array2"
    index: pd.Index | None
    columns: pd.Index | None
    name: Hashable

    def reduce(self, out: np.ndarray, name: Hashable = None) -> Any:
        """One value per column -> float, Series or 1-D ndarray."""
        if self.kind in ("series", "array1"):
            return float(out[0])
        if self.kind == "frame":
            return pd.Series(out, index=self.columns, name=name, dtype=float)
        return np.asarray(out, dtype=float)

    def like(self, out: np.ndarray) -> Any:
        """Same shape as the input -> Series, DataFrame or ndarray."""
        if self.kind == "series":
            return pd.Series(out[:, 0], index=self.index, name=self.name)
        if self.kind == "frame":
            return pd.DataFrame(out, index=self.index, columns=self.columns)
        return out[:, 0].copy() if self.kind == "array1" else out


def _float_array(data: Any, what: str) -> np.ndarray:
    try:
        arr = np.array(data, dtype=np.float64)  # always a copy: inputs are never shared
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{what} must be numeric: {exc}") from None
    return arr


def _check_dtype(dtype: Any, what: str, col: Any) -> None:
    if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        where = f": column {col!r}" if col is not None else ""
        raise ValidationError(f"{what}{where} is not numeric (dtype {dtype})")


def _prepare(returns: Any, what: str = "returns") -> _Input:
    """Validate returns and hold them as a read-only float copy of shape (n_periods, n_columns).

    Raises ``ValidationError`` for non-numeric or mis-shaped input, ``DataError`` for an
    infinite value (naming its column and row).
    """
    if isinstance(returns, pd.Series):
        _check_dtype(returns.dtype, what, returns.name)
        arr = _float_array(returns.to_numpy(dtype=np.float64, na_value=np.nan), what)[:, None]
        inp = _Input(arr, "series", returns.index, None, returns.name)
    elif isinstance(returns, pd.DataFrame):
        for dtype in set(returns.dtypes):
            col = returns.columns[(returns.dtypes == dtype).to_numpy()][0]
            _check_dtype(dtype, what, col)
        arr = _float_array(returns.to_numpy(dtype=np.float64, na_value=np.nan), what)
        inp = _Input(arr, "frame", returns.index, returns.columns, None)
    elif isinstance(returns, np.ndarray | list | tuple):
        if isinstance(returns, np.ndarray):
            _check_dtype(returns.dtype, what, None)
        arr = _float_array(returns, what)
        if arr.ndim == 1:
            inp = _Input(arr[:, None], "array1", None, None, None)
        elif arr.ndim == 2:
            inp = _Input(arr, "array2", None, None, None)
        else:
            raise ValidationError(f"{what} must be 1-D or 2-D, got {arr.ndim} dimensions")
    else:
        raise ValidationError(
            f"{what} must be a Series, DataFrame or ndarray, got {type(returns).__name__}"
        )
    bad = np.isinf(inp.values)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        where_row = inp.index[row] if inp.index is not None else row
        where_col = inp.columns[col] if inp.columns is not None else (inp.name or col)
        raise DataError(f"{what}: infinite value in column {where_col!r} at row {where_row!r}")
    inp.values.flags.writeable = False
    return inp


def _benchmark(benchmark: Any, inp: _Input) -> np.ndarray:
    """Benchmark returns as an (n_periods, 1) array aligned with ``inp`` (by index if both pandas)."""
    if isinstance(benchmark, pd.DataFrame):
        if benchmark.shape[1] != 1:
            raise ValidationError("benchmark must be a Series or a one-column DataFrame")
        benchmark = benchmark.iloc[:, 0]
    if isinstance(benchmark, pd.Series):
        if inp.index is not None:
            if not benchmark.index.is_unique:
                raise DataError("benchmark: duplicate index labels")
            benchmark = benchmark.reindex(inp.index)
        values = benchmark.to_numpy()
    elif isinstance(benchmark, np.ndarray | list | tuple):
        values = np.asarray(benchmark)
        if values.ndim != 1:
            raise ValidationError(f"benchmark must be 1-D, got {values.ndim} dimensions")
    else:
        raise ValidationError(
            f"benchmark must be a Series or 1-D ndarray, got {type(benchmark).__name__}"
        )
    b = _prepare(values, "benchmark").values
    if b.shape[0] != inp.values.shape[0]:
        raise ValidationError(
            f"benchmark has {b.shape[0]} periods but returns have {inp.values.shape[0]}"
        )
    return b


def returns_array(returns: Returns, what: str = "returns") -> np.ndarray:
    """Returns validated as the performance metrics read them.

    Parameters
    ----------
    returns : Series, DataFrame or ndarray, shape (n_periods,) or (n_periods, n_columns)
        Simple per-period returns (fractions); NaN where missing.
    what : str
        The argument's name in error messages.

    Returns
    -------
    ndarray, shape (n_periods, n_columns)
        A read-only float64 copy (one column for a Series or 1-D array).

    Raises
    ------
    ValidationError
        Not numeric, or not 1-D / 2-D.
    DataError
        An infinite value (naming its column and row).
    """
    return _prepare(returns, what).values


def check_periods_per_year(periods_per_year: float) -> float:
    """``periods_per_year`` as a float: a finite number ``> 0`` (252 for daily data).

    Raises
    ------
    ValidationError
        A bool, a string, NaN, infinity or a value ``<= 0``.
    """
    if isinstance(periods_per_year, bool) or not isinstance(
        periods_per_year, int | float | np.integer | np.floating
    ):
        raise ValidationError(f"periods_per_year must be a number, got {periods_per_year!r}")
    if not (np.isfinite(periods_per_year) and periods_per_year > 0):
        raise ValidationError(f"periods_per_year must be > 0, got {periods_per_year!r}")
    return float(periods_per_year)


def per_period_rate(risk_free_rate: float, ppy: float) -> float:
    """An annual rate as the per-period rate that compounds to it, ``(1 + rf)^(1/P) - 1``.

    Parameters
    ----------
    risk_free_rate : float
        Annual rate (fraction, ``> -1``).
    ppy : float
        Periods per year ``P`` (checked by :func:`check_periods_per_year`).

    Raises
    ------
    ValidationError
        Not a finite number ``> -1``.
    """
    if isinstance(risk_free_rate, bool) or not isinstance(
        risk_free_rate, int | float | np.integer | np.floating
    ):
        raise ValidationError(f"risk_free_rate must be a number, got {risk_free_rate!r}")
    if not (np.isfinite(risk_free_rate) and risk_free_rate > -1):
        raise ValidationError(f"risk_free_rate must be finite and > -1, got {risk_free_rate!r}")
    return float((1.0 + risk_free_rate) ** (1.0 / ppy) - 1.0)


# --------------------------------------------------------------------------- array kernels
def _count(x: np.ndarray) -> np.ndarray:
    return np.sum(~np.isnan(x), axis=0)


def _nanmean(x: np.ndarray) -> np.ndarray:
    n = _count(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, np.nansum(x, axis=0) / np.maximum(n, 1), np.nan)


def _nanstd(x: np.ndarray, ddof: int = 1) -> np.ndarray:
    n = _count(x)
    mu = _nanmean(x)
    dev2 = np.nansum((x - mu) ** 2, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > ddof, np.sqrt(dev2 / np.maximum(n - ddof, 1)), np.nan)


def _total(x: np.ndarray) -> np.ndarray:
    n = _count(x)
    return np.where(n > 0, np.prod(1.0 + np.nan_to_num(x), axis=0) - 1.0, np.nan)


def _annualize_growth(growth: Any, n: Any, ppy: float) -> np.ndarray:
    """Geometric annual rate of a wealth ratio ``growth`` reached in ``n`` periods,
    ``growth^(P / n) - 1``; ``-1`` when wealth is wiped out (``growth <= 0``). The one
    implementation behind the annualised return over returns and over an equity curve."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(growth > 0, np.abs(growth) ** (ppy / np.maximum(n, 1)) - 1.0, -1.0)


def _annualized(x: np.ndarray, ppy: float) -> np.ndarray:
    n = _count(x)
    out = _annualize_growth(1.0 + _total(x), n, ppy)
    return np.where(n > 0, out, np.nan)


def _downside(x: np.ndarray) -> np.ndarray:
    """Root mean square of the negative part over all observed periods (per period)."""
    n = _count(x)
    neg = np.minimum(np.nan_to_num(x), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, np.sqrt(np.sum(neg**2, axis=0) / np.maximum(n, 1)), np.nan)


def _drawdown_max(wealth: np.ndarray, start: Any) -> np.ndarray:
    """Largest ``1 - W_t / peak_t`` per column, the peak being the running maximum of wealth
    ``W`` and of the starting wealth ``start``; 0 if wealth never falls. The one implementation
    behind the maximum drawdown over returns and over an equity curve."""
    peak = np.maximum(np.maximum.accumulate(wealth, axis=0), start)
    return np.max(1.0 - wealth / peak, axis=0, initial=0.0)


def _max_drawdown(x: np.ndarray) -> np.ndarray:
    n = _count(x)
    wealth = np.cumprod(1.0 + np.nan_to_num(x), axis=0)
    return np.where(n > 0, _drawdown_max(wealth, 1.0), np.nan)


def _paired(x: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mask both to the periods where both are present (benchmark broadcast over columns)."""
    both = ~(np.isnan(x) | np.isnan(b))
    return np.where(both, x, np.nan), np.where(both, b, np.nan)


def _safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _alpha_beta(x: np.ndarray, b: np.ndarray, rf: float, ppy: float):
    xs, bs = _paired(x - rf, b - rf)
    n = _count(xs)
    mx, mb = _nanmean(xs), _nanmean(bs)
    cov = np.nansum((xs - mx) * (bs - mb), axis=0)
    var = np.nansum((bs - mb) ** 2, axis=0)
    beta_ = np.where(n >= 2, _safe_div(cov, var), np.nan)
    alpha_ = (mx - beta_ * mb) * ppy
    return alpha_, beta_
