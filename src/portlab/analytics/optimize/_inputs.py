"""Inputs shared by the optimizers: the covariance check, vectors aligned to its labels, and
BLAS held to one thread.

One validation of a covariance for every optimizer (mean-variance, risk budgeting, HRP,
Black-Litterman, constrained risk budgeting): :func:`as_cov` wraps
:func:`portlab.linalg.check_covariance` and adds what an optimizer needs of the variances.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from portlab.exceptions import DataError, SingularMatrixError, ValidationError
from portlab.linalg import check_covariance

if TYPE_CHECKING:
    from portlab.types import CovarianceLike, VectorLike

__all__ = ["SINGULAR_HINT", "as_cov", "as_vector", "single_blas_thread"]

SINGULAR_HINT = (
    "use a shrinkage estimate (Market.covariance(method='ledoit_wolf')), more observations "
    "than assets, or an L2 penalty (Constraints(l2_gamma=...))"
)
"""What to do about a singular covariance, appended to the errors that report one."""


def as_cov(
    cov: CovarianceLike,
    labels: pd.Index | None = None,
    *,
    name: str = "cov",
    allow_zero_variance: bool = False,
) -> tuple[np.ndarray, pd.Index]:
    """Validate a covariance matrix; return a symmetric float copy and its labels.

    Parameters
    ----------
    cov : DataFrame or array-like, shape (n, n)
        Covariance matrix (:data:`~portlab.types.CovarianceLike`; annual units by portlab's
        convention); a DataFrame must have identical index and columns unless ``labels`` is
        given.
    labels : Index, optional
        Instruments to align to (a DataFrame may hold more; an array must match in size).
    name : str
        Argument name used in error messages.
    allow_zero_variance : bool
        False (risk budgeting, HRP, Black-Litterman): every variance must be positive, as risk
        shares divide by each asset's risk. True (mean-variance): an asset may have zero
        variance (cash-like), but not every asset.

    Returns
    -------
    (ndarray of shape (n, n), pandas.Index)
        ``(Σ + Σᵀ) / 2`` as a new float64 array, and the labels (``RangeIndex`` for arrays).

    Raises
    ------
    ValidationError
        Not square, or the labels of rows and columns differ.
    DataError
        NaN/inf entries, asymmetry, not positive semi-definite (see
        :func:`portlab.linalg.check_covariance`), or a non-positive variance (naming the
        instruments) when ``allow_zero_variance`` is False.
    SingularMatrixError
        Every variance is zero, when ``allow_zero_variance`` is True.
    """
    arr, labels = check_covariance(cov, labels, name=name)
    diag = np.diag(arr)
    if allow_zero_variance:
        if not (diag > 0).any():
            raise SingularMatrixError(
                f"{name} is zero: every portfolio has zero volatility, so no objective is "
                "defined; " + SINGULAR_HINT
            )
    elif (diag <= 0).any():
        raise DataError(
            f"{name}: non-positive variance for instrument(s) {list(map(str, labels[diag <= 0][:10]))}"
        )
    return arr, labels


def as_vector(
    values: VectorLike, labels: pd.Index, name: str, *, fill: float | None = None
) -> np.ndarray:
    """Align a Series/Mapping (by label) or array-like (by position) to ``labels``.

    Parameters
    ----------
    values : Series, Mapping or array-like
        One number per instrument (:data:`~portlab.types.VectorLike`).
    labels : Index
        The instruments, in order.
    name : str
        Argument name used in error messages.
    fill : float, optional
        Value of the labels a Series or Mapping does not give; ``None`` makes them an error.

    Returns
    -------
    ndarray, shape (len(labels),)
        A new float64 array, finite.

    Raises
    ------
    ValidationError
        Duplicate or unknown labels, missing labels without ``fill``, a wrong length, a
        non-numeric, NaN or infinite value.
    """
    if isinstance(values, Mapping) and not isinstance(values, pd.Series):
        values = pd.Series(dict(values), dtype=np.float64)
    if isinstance(values, pd.Series):
        if not values.index.is_unique:
            dupes = sorted({str(c) for c in values.index[values.index.duplicated()]})
            raise ValidationError(f"{name}: duplicate label(s) {dupes}")
        extra = values.index.difference(labels)
        if len(extra):
            raise ValidationError(f"{name}: unknown instrument(s) {list(extra[:10])}")
        missing = labels.difference(values.index)
        if len(missing) and fill is None:
            raise ValidationError(f"{name}: no value for instrument(s) {list(missing[:10])}")
        try:
            out = values.reindex(labels).to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"{name}: values must be numeric ({exc})") from exc
        if len(missing):
            out[labels.get_indexer(missing)] = fill
    else:
        try:
            out = np.array(values, dtype=np.float64, copy=True).reshape(-1)
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"{name}: values must be numeric ({exc})") from exc
        if out.shape[0] != len(labels):
            raise ValidationError(f"{name} has {out.shape[0]} values for {len(labels)} instruments")
    bad = ~np.isfinite(out)
    if bad.any():
        raise ValidationError(f"{name}: NaN or infinite value for {list(labels[bad][:10])}")
    return out


@functools.cache
def _blas_controller() -> Any:
    """The process's threadpoolctl controller, created once (discovering the loaded BLAS
    libraries costs 1-7 ms; limiting through a known controller costs ~0.05 ms). It is a
    read-only handle on process-wide native libraries and holds no portlab state."""
    import scipy.linalg  # noqa: F401  (load scipy's BLAS too, so that the controller sees it)
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def single_blas_thread() -> Any:
    """Context manager holding BLAS to one thread.

    Factorisations and products of a few hundred rows gain nothing from threads and, when the
    other core is busy, run 10-30x slower with them.
    """
    return _blas_controller().limit(limits=1, user_api="blas")
