"""Matrices from users, checked one way: covariances, definiteness, rank and solves.

Every place in portlab that takes a covariance from a user goes through
:func:`check_covariance`, and every solve with a user-derived symmetric matrix goes through
:func:`solve_psd`. Singularity and definiteness are decided from eigenvalues against the
tolerances below, never from whether a LAPACK routine happens to raise (which depends on the
BLAS build, the pivot order and rounding).

Tolerances (relative to the largest eigenvalue magnitude ``λ_max`` of the matrix):

``SYMMETRY_RTOL = 1e-8``
    ``|Σ_ij − Σ_ji| <= SYMMETRY_RTOL · max|Σ|``; within it the matrix is symmetrised.
``PSD_RTOL = 1e-8``
    An eigenvalue ``λ >= −PSD_RTOL · λ_max`` is rounding noise of a positive semi-definite
    matrix; a more negative one makes the matrix indefinite (an error).
``SINGULAR_RTOL = 1e-12``
    An eigenvalue ``λ <= SINGULAR_RTOL · λ_max`` counts as zero for rank and solves: past a
    condition number of 10¹² a double-precision solve keeps fewer than four correct digits,
    so the answer would be rounding noise presented as a number. An eigenvalue below
    ``−SINGULAR_RTOL · λ_max`` is negative, which :func:`repair_psd` repairs.

Repairs
-------
:func:`check_covariance` never repairs. Where portlab documents a repair -- a pairwise
covariance estimate over missing data that is not positive semi-definite, and a user's
covariance whose negative eigenvalues are rounding noise (within ``PSD_RTOL``) -- it goes
through :func:`repair_psd`, the one repair path: PyPortfolioOpt's
``risk_models.fix_nonpositive_semidefinite`` (spectral), decided by the eigenvalues above
and followed by a warning from the caller naming what was repaired.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from portlab.exceptions import DataError, SingularMatrixError, ValidationError
from portlab.formatting import format_names

__all__ = [
    "PSD_RTOL",
    "SINGULAR_RTOL",
    "SYMMETRY_RTOL",
    "check_covariance",
    "inverse_psd",
    "numerical_rank",
    "repair_psd",
    "solve",
    "solve_psd",
]

SYMMETRY_RTOL = 1e-8
PSD_RTOL = 1e-8
SINGULAR_RTOL = 1e-12


def _to_array(cov: Any, labels: pd.Index | None, name: str) -> tuple[np.ndarray, pd.Index]:
    if isinstance(cov, pd.DataFrame):
        rows = pd.Index([str(i) for i in cov.index])
        cols = pd.Index([str(c) for c in cov.columns])
        if rows.has_duplicates or cols.has_duplicates:
            dupes = sorted(set(rows[rows.duplicated()]) | set(cols[cols.duplicated()]))
            raise ValidationError(f"{name}: duplicate instrument label(s) {dupes[:10]}")
        if labels is None:
            if not rows.equals(cols):
                raise ValidationError(
                    f"{name}: index and columns must hold the same labels in the same order"
                )
            labels, frame = cov.index, cov
        else:
            want = [str(i) for i in labels]
            missing = [i for i in want if i not in rows or i not in cols]
            if missing:
                more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
                raise DataError(f"{name} has no row or column for {', '.join(missing[:5])}{more}")
            frame = cov.set_axis(rows, axis=0).set_axis(cols, axis=1).loc[want, want]
        try:
            arr = frame.to_numpy(dtype=np.float64, copy=True, na_value=np.nan)
        except (TypeError, ValueError) as exc:
            raise DataError(f"{name}: entries must be numbers ({exc})") from None
    else:
        try:
            arr = np.array(cov, dtype=np.float64, copy=True)
        except (TypeError, ValueError) as exc:
            raise DataError(f"{name}: entries must be numbers ({exc})") from None
        if arr.ndim != 2:
            raise ValidationError(f"{name} must be a 2-dimensional matrix, got shape {arr.shape}")
        if labels is None:
            labels = pd.RangeIndex(arr.shape[0])
        elif arr.shape != (len(labels), len(labels)):
            n = len(labels)
            raise DataError(f"{name} has shape {arr.shape}, expected ({n}, {n}) for {n} assets")
    if arr.shape[0] != arr.shape[1]:
        raise ValidationError(f"{name} must be square, got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ValidationError(f"{name} is empty")
    return arr, pd.Index(labels)


def check_covariance(
    cov: Any,
    labels: pd.Index | None = None,
    *,
    name: str = "cov",
    full_rank: bool = False,
    hint: str = "",
) -> tuple[np.ndarray, pd.Index]:
    """Validate a covariance matrix; return a symmetric float64 copy and its labels.

    The one validation path for covariances given by a user (``Market(covariance=...)``,
    every optimizer, risk parity, Black-Litterman). It does not repair: a matrix that is not
    positive semi-definite is an error, as the repaired matrix would be a different model.

    Parameters
    ----------
    cov : DataFrame or array-like, shape (n, n)
        The covariance (any period; portlab's convention is annualised).
    labels : Index, optional
        Instruments to align to: a DataFrame is reordered to them (it may hold more), an
        array must be ``(len(labels), len(labels))``. Without labels a DataFrame's index and
        columns must be equal, and an array gets a ``RangeIndex``.
    name : str
        The argument's name in error messages.
    full_rank : bool
        Also require full numerical rank (no eigenvalue ``<= SINGULAR_RTOL · λ_max``): for
        methods that divide by the portfolio volatility, which a singular covariance lets
        reach zero.
    hint : str
        Appended to the singularity error: what to do about it.

    Returns
    -------
    (ndarray of shape (n, n), Index)
        ``(Σ + Σᵀ) / 2`` as a new float64 array, and the labels.

    Raises
    ------
    ValidationError
        Not two-dimensional or not square, empty, duplicate labels, index ≠ columns.
    DataError
        A missing instrument, a non-numeric or non-finite entry, asymmetry beyond
        :data:`SYMMETRY_RTOL`, a negative variance, or an eigenvalue below
        ``−PSD_RTOL · λ_max`` (not positive semi-definite); each message names the entry or
        the eigenvalue.

    Examples
    --------
    >>> arr, labels = check_covariance([[0.04, 0.01], [0.01, 0.09]])
    >>> arr.tolist(), list(labels)
    ([[0.04, 0.01], [0.01, 0.09]], [0, 1])
    >>> check_covariance([[0.04, 0.1], [0.1, 0.04]])
    Traceback (most recent call last):
    ...
    portlab.exceptions.DataError: cov is not positive semi-definite: smallest eigenvalue -0.06 < -1e-08 × largest 0.14 (a correlation outside [-1, 1], or estimates from different samples)
    """
    arr, labels = _to_array(cov, labels, name)
    finite = np.isfinite(arr)
    if not finite.all():
        i, j = np.argwhere(~finite)[0]
        raise DataError(f"{name}[{labels[i]}, {labels[j]}] is {arr[i, j]}, not finite")
    scale = float(np.abs(arr).max())
    asym = np.abs(arr - arr.T)
    if asym.max() > SYMMETRY_RTOL * scale:
        i, j = np.unravel_index(int(np.argmax(asym)), asym.shape)
        a, b = labels[i], labels[j]
        raise DataError(
            f"{name} is not symmetric: [{a}, {b}] = {arr[i, j]:.6g} but "
            f"[{b}, {a}] = {arr[j, i]:.6g}"
        )
    diag = np.diag(arr)
    neg = np.flatnonzero(diag < 0)
    if len(neg):
        raise DataError(
            f"{name} has a negative variance for {format_names(labels[neg])} ({diag[neg[0]]:.6g})"
        )
    arr = (arr + arr.T) / 2.0
    eig = np.linalg.eigvalsh(arr)
    top = float(np.abs(eig).max())
    if eig[0] < -PSD_RTOL * top:
        raise DataError(
            f"{name} is not positive semi-definite: smallest eigenvalue {eig[0]:.3g} < "
            f"-{PSD_RTOL:g} × largest {top:.3g} (a correlation outside [-1, 1], or estimates "
            "from different samples)"
        )
    if full_rank:
        rank = int((eig > SINGULAR_RTOL * top).sum()) if top > 0 else 0
        if rank < len(eig):
            raise _singular(name, rank, len(eig), SINGULAR_RTOL, hint)
    return arr, labels


def numerical_rank(a: np.ndarray, rtol: float = SINGULAR_RTOL) -> int:
    """Rank of a symmetric positive semi-definite matrix from its eigenvalues.

    Parameters
    ----------
    a : ndarray, shape (n, n)
        Symmetric positive semi-definite.
    rtol : float
        Eigenvalues ``<= rtol · λ_max`` count as zero (default :data:`SINGULAR_RTOL`).

    Returns
    -------
    int
        0 for the zero matrix; ``n`` when every eigenvalue is above the tolerance.

    Examples
    --------
    >>> numerical_rank(np.array([[1.0, 1.0], [1.0, 1.0]]))
    1
    >>> numerical_rank(np.zeros((3, 3)))
    0
    """
    eig = np.linalg.eigvalsh(a)
    top = float(np.abs(eig).max()) if eig.size else 0.0
    if top == 0.0:
        return 0
    return int((eig > rtol * top).sum())


def repair_psd(matrix: np.ndarray) -> tuple[np.ndarray, int, float]:
    """Make a symmetric matrix positive semi-definite: portlab's one repair path.

    Whether to repair is decided from the eigenvalues: the matrix is repaired when its
    smallest eigenvalue is below ``−SINGULAR_RTOL · λ_max`` (negative beyond what counts as
    zero), and returned unchanged otherwise. The repair is PyPortfolioOpt's
    ``pypfopt.risk_models.fix_nonpositive_semidefinite(matrix, fix_method="spectral")``:
    the negative eigenvalues are set to zero and the matrix is rebuilt from its
    eigendecomposition ``V diag(max(λ, 0)) Vᵀ``. It runs on the matrix scaled to
    ``λ_max = 1`` (and is scaled back), so that PyPortfolioOpt's own test -- a Cholesky
    factorisation of ``matrix + 1e-16 I`` -- agrees with the eigenvalue decision; its
    warning is silenced: the caller warns, naming what it repaired.

    What the repair changes: the removed negative part is added back to the variances, so
    each variance grows by at most the sum of the negative eigenvalues' magnitudes; the
    result is positive semi-definite, not definite (it is singular when an eigenvalue was
    clipped), and exactly symmetric.

    Parameters
    ----------
    matrix : ndarray, shape (n, n)
        Symmetric, finite.

    Returns
    -------
    matrix : ndarray, shape (n, n)
        The input itself when no repair was needed, else the repaired matrix (new array).
    n_negative : int
        Number of negative eigenvalues of the input, set to zero (0 when nothing was done).
    min_eigenvalue : float
        Smallest eigenvalue of the input (NaN for an empty matrix).

    Raises
    ------
    DataError
        The repaired matrix still has an eigenvalue below ``−PSD_RTOL · λ_max`` (PyPortfolioOpt
        found the input positive semi-definite where the eigenvalues do not; not expected).

    Examples
    --------
    >>> fixed, n_negative, min_eig = repair_psd(np.array([[1.0, 2.0], [2.0, 1.0]]))
    >>> fixed.round(12).tolist(), n_negative, round(min_eig, 12)
    ([[1.5, 1.5], [1.5, 1.5]], 1, -1.0)
    >>> repair_psd(np.eye(2))[1:]
    (0, 1.0)
    """
    if matrix.shape[0] == 0:
        return matrix, 0, float("nan")
    eig = np.linalg.eigvalsh(matrix)
    top = float(np.abs(eig).max())
    if top == 0.0 or eig[0] >= -SINGULAR_RTOL * top:
        return matrix, 0, float(eig[0])
    import warnings

    from pypfopt.risk_models import fix_nonpositive_semidefinite

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyPortfolioOpt's notice; the caller says more
        fixed = fix_nonpositive_semidefinite(np.asarray(matrix) / top, fix_method="spectral")
    fixed = (fixed + fixed.T) / 2.0 * top
    after = float(np.linalg.eigvalsh(fixed)[0])
    if after < -PSD_RTOL * top:
        raise DataError(
            f"the matrix could not be made positive semi-definite: smallest eigenvalue "
            f"{after:.3g} after the repair (before {eig[0]:.3g}, largest {top:.3g})"
        )
    return fixed, int((eig < 0).sum()), float(eig[0])


def _singular(name: str, rank: int, n: int, rtol: float, hint: str) -> SingularMatrixError:
    detail = f"; {hint}" if hint else ""
    return SingularMatrixError(
        f"{name} is singular: numerical rank {rank} of {n} (eigenvalues below "
        f"{rtol:g} × the largest count as zero){detail}"
    )


def _eig_checked(a: np.ndarray, name: str, hint: str, rtol: float):
    vals, vecs = np.linalg.eigh(a)
    top = float(np.abs(vals).max()) if vals.size else 0.0
    if top == 0.0 or vals[0] <= rtol * top:
        rank = 0 if top == 0.0 else int((vals > rtol * top).sum())
        raise _singular(name, rank, len(vals), rtol, hint)
    return vals, vecs


def inverse_psd(
    a: np.ndarray, *, name: str, hint: str = "", rtol: float = SINGULAR_RTOL
) -> np.ndarray:
    """Inverse of a symmetric positive definite matrix, refusing a (nearly) singular one.

    Parameters
    ----------
    a : ndarray, shape (k, k)
        Symmetric positive semi-definite.
    name, hint, rtol
        As in :func:`solve_psd`.

    Returns
    -------
    ndarray, shape (k, k)
        ``a⁻¹``, exactly symmetric.

    Raises
    ------
    SingularMatrixError
        The smallest eigenvalue is at most ``rtol · λ_max``.

    Examples
    --------
    >>> inverse_psd(np.array([[4.0, 0.0], [0.0, 0.5]]), name="A")
    array([[0.25, 0.  ],
           [0.  , 2.  ]])
    """
    if a.shape[0] == 0:
        return np.zeros((0, 0))
    vals, vecs = _eig_checked(a, name, hint, rtol)
    inv = (vecs / vals) @ vecs.T
    return (inv + inv.T) / 2.0


def solve(
    a: np.ndarray, b: np.ndarray, *, name: str, hint: str = "", rtol: float = SINGULAR_RTOL
) -> np.ndarray:
    """Solve ``a x = b`` for a general square ``a``, refusing an ill-conditioned one.

    The decision uses LAPACK's reciprocal condition estimate of the LU factors (``gecon``,
    1-norm): ``a`` is singular when it is at most ``rtol``, whether or not a pivot happened
    to be exactly zero.

    Parameters
    ----------
    a : ndarray, shape (k, k)
    b : ndarray, shape (k,) or (k, m)
    name, hint, rtol
        As in :func:`solve_psd`.

    Raises
    ------
    SingularMatrixError
        The reciprocal condition number is at most ``rtol`` (or not finite).

    Examples
    --------
    >>> solve(np.array([[0.0, 2.0], [1.0, 0.0]]), np.array([4.0, 3.0]), name="J")
    array([3., 2.])
    """
    from scipy.linalg import lapack

    a = np.asarray(a, dtype=np.float64)
    anorm = float(np.abs(a).sum(axis=0).max()) if a.size else 0.0
    lu, piv, info = lapack.dgetrf(a)
    rcond = 0.0
    if info == 0 and anorm > 0 and np.isfinite(anorm):
        rcond, _ = lapack.dgecon(lu, anorm, norm="1")
    if not rcond > rtol:
        detail = f"; {hint}" if hint else ""
        raise SingularMatrixError(
            f"{name} is singular: reciprocal condition number {rcond:.3g} <= {rtol:g}{detail}"
        )
    x, _ = lapack.dgetrs(lu, piv, b)
    return x


def solve_psd(
    a: np.ndarray, b: np.ndarray, *, name: str, hint: str = "", rtol: float = SINGULAR_RTOL
) -> np.ndarray:
    """Solve ``a x = b`` for a symmetric positive semi-definite ``a``, refusing a singular one.

    ``a`` is singular when its smallest eigenvalue is at most ``rtol · λ_max`` (condition
    number above ``1 / rtol``), whether or not it is singular in exact arithmetic. The solve
    uses the eigendecomposition already computed for that decision.

    Parameters
    ----------
    a : ndarray, shape (k, k)
        Symmetric positive semi-definite.
    b : ndarray, shape (k,) or (k, m)
        Right-hand side(s).
    name : str
        What ``a`` is, for the error message.
    hint : str
        What usually makes ``a`` singular and what to do, appended to the message.
    rtol : float
        Relative eigenvalue tolerance (default :data:`SINGULAR_RTOL`).

    Returns
    -------
    ndarray, shape of ``b``

    Raises
    ------
    SingularMatrixError
        ``a`` is singular or nearly so; the message gives its numerical rank, the
        condition number and the tolerance.

    Examples
    --------
    >>> solve_psd(np.array([[2.0, 0.0], [0.0, 4.0]]), np.array([1.0, 1.0]), name="A")
    array([0.5 , 0.25])
    >>> solve_psd(np.ones((2, 2)), np.array([1.0, 2.0]), name="A")
    Traceback (most recent call last):
    ...
    portlab.exceptions.SingularMatrixError: A is singular: numerical rank 1 of 2 (eigenvalues below 1e-12 × the largest count as zero)
    """
    vals, vecs = _eig_checked(a, name, hint, rtol)
    return vecs @ ((vecs.T @ b) / (vals if np.ndim(b) == 1 else vals[:, None]))
