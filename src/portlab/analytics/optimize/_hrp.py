"""Hierarchical risk parity (López de Prado 2016).

Three steps:

1. **Tree clustering**: distances ``d_ij = sqrt((1 − ρ_ij) / 2)`` (clipped to ``[0, 1]``)
   clustered by :func:`scipy.cluster.hierarchy.linkage` with the chosen method.
2. **Quasi-diagonalisation**: assets ordered as the leaves of the dendrogram
   (:func:`scipy.cluster.hierarchy.leaves_list`, optionally with optimal leaf ordering).
3. **Recursive bisection**: starting from all assets with weight 1, every list of two or more
   assets is cut into its first ``⌊k/2⌋`` and remaining assets (in leaf order); with ``V_L``,
   ``V_R`` the variances of the inverse-variance portfolios of the two halves, the left half's
   weights are multiplied by ``α = 1 − V_L / (V_L + V_R)`` and the right half's by ``1 − α``.

This is the algorithm of PyPortfolioOpt's ``HRPOpt`` and skfolio's ``HierarchicalRiskParity``
(variance risk measure); with the same correlation, covariance, linkage and leaf ordering the
weights agree to floating-point precision. The bisection is vectorised per tree level: the
variances of all the level's clusters come from two ``np.add.reduceat`` passes over the
reordered matrix ``v_i v_j Σ_ij`` (``v = 1 / diag Σ``), so the whole allocation costs
``O(n² log n)`` array arithmetic and no per-cluster Python.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from portlab.analytics.optimize._inputs import as_cov, single_blas_thread
from portlab.exceptions import DataError, ValidationError
from portlab.formatting import format_date, format_names, format_value

if TYPE_CHECKING:
    from portlab.types import CovarianceLike, MatrixLike

__all__ = ["HierarchicalRiskParity", "LinkageMethod", "hrp"]


class LinkageMethod(enum.StrEnum):
    """Linkage criterion of the tree clustering (:func:`scipy.cluster.hierarchy.linkage`).

    ``CENTROID``, ``MEDIAN`` and ``WARD`` are meant for Euclidean distances; the correlation
    distance ``sqrt((1 − ρ) / 2)`` is one (half the Euclidean distance between standardised
    return series), so all seven are valid here.
    """

    SINGLE = "single"
    COMPLETE = "complete"
    AVERAGE = "average"
    WEIGHTED = "weighted"
    CENTROID = "centroid"
    MEDIAN = "median"
    WARD = "ward"


def _parse_linkage(value: Any) -> LinkageMethod:
    try:
        return LinkageMethod(value)
    except ValueError:
        allowed = ", ".join(m.value for m in LinkageMethod)
        raise ValidationError(
            f"linkage must be one of {allowed}; got {format_value(value)}"
        ) from None


def _cov_corr_from_input(
    returns_or_cov: pd.DataFrame | CovarianceLike,
    corr: MatrixLike | None,
) -> tuple[np.ndarray, np.ndarray, pd.Index]:
    """Covariance, correlation and labels from a returns frame or a covariance matrix."""
    is_cov = not isinstance(returns_or_cov, pd.DataFrame) or (
        returns_or_cov.shape[0] == returns_or_cov.shape[1]
        and returns_or_cov.index.equals(returns_or_cov.columns)
    )
    if is_cov:
        cov, labels = as_cov(returns_or_cov, name="covariance")
        corr_arr = None
    else:
        rets = returns_or_cov
        if not rets.columns.is_unique:
            dupes = sorted({str(c) for c in rets.columns[rets.columns.duplicated()]})
            raise ValidationError(f"returns: duplicate column(s) {dupes}")
        rets = _numeric_returns(rets)
        if len(rets) < 2:
            raise DataError(f"returns: need at least 2 rows, got {len(rets)}")
        values = rets.to_numpy(dtype=np.float64)
        _check_columns(values, rets)
        if np.isnan(values).any():  # pairwise-complete, ddof=1 (as PyPortfolioOpt)
            cov_arr = np.array(rets.cov().to_numpy(dtype=np.float64))
            corr_arr = np.array(rets.corr().to_numpy(dtype=np.float64))
        else:  # same numbers, without pandas' pairwise loops
            with single_blas_thread():
                cov_arr = np.cov(values, rowvar=False, ddof=1).reshape(values.shape[1], -1)
            with np.errstate(divide="ignore", invalid="ignore"):
                sd = np.sqrt(np.diag(cov_arr))
                corr_arr = cov_arr / np.outer(sd, sd)
        bad = ~(np.isfinite(cov_arr) & np.isfinite(corr_arr))
        np.fill_diagonal(bad, False)
        if bad.any():
            i, j = np.argwhere(np.triu(bad))[0]
            n_pairs = int(np.triu(bad).sum())
            raise DataError(
                f"returns: the correlation of columns {format_value(str(rets.columns[i]))} and "
                f"{format_value(str(rets.columns[j]))} is undefined: fewer than 2 dates where both "
                f"have a return, or one is constant on them ({n_pairs} such pair(s)); drop one "
                "of them or give a covariance"
            )
        np.fill_diagonal(corr_arr, 1.0)
        cov, labels = as_cov(
            pd.DataFrame(cov_arr, index=rets.columns, columns=rets.columns),
            name="returns covariance",
        )
    if corr is not None:
        corr_arr = _check_corr(corr, labels)
    elif corr_arr is None:
        sigma = np.sqrt(np.diag(cov))
        corr_arr = cov / np.outer(sigma, sigma)
        np.fill_diagonal(corr_arr, 1.0)
    return cov, corr_arr, labels


def _numeric_returns(rets: pd.DataFrame) -> pd.DataFrame:
    """``rets`` as float64; DataError naming the first column that is not numeric."""
    for col, dtype in rets.dtypes.items():
        if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
            values = pd.to_numeric(rets[col], errors="coerce")
            bad = values.isna() & rets[col].notna()
            if pd.api.types.is_bool_dtype(dtype) or bad.any():
                row = rets.index[int(np.argmax(bad.to_numpy()))] if bad.any() else rets.index[0]
                row = format_date(row) if isinstance(row, pd.Timestamp) else format_value(row)
                raise DataError(
                    f"returns: column {format_value(str(col))} is not numeric (row {row})"
                )
    return rets.astype(np.float64)


def _check_columns(values: np.ndarray, rets: pd.DataFrame) -> None:
    """DataError naming exactly the columns without a variance (or with an infinite value)."""
    inf = np.isinf(values)
    if inf.any():
        r, c = np.argwhere(inf)[0]
        row = rets.index[r]
        row = format_date(row) if isinstance(row, pd.Timestamp) else format_value(row)
        raise DataError(
            f"returns: infinite value in column {format_value(str(rets.columns[c]))} at row {row}"
        )
    valid = ~np.isnan(values)
    n_valid = valid.sum(axis=0)
    with np.errstate(invalid="ignore"):
        spread = np.nanmax(np.where(valid, values, -np.inf), axis=0) - np.nanmin(
            np.where(valid, values, np.inf), axis=0
        )
    few, flat = n_valid < 2, (n_valid >= 2) & ~(spread > 0)
    if few.any() or flat.any():
        parts = []
        if few.any():
            parts.append(f"fewer than 2 returns in column(s) {format_names(rets.columns[few])}")
        if flat.any():
            parts.append(f"constant column(s) {format_names(rets.columns[flat])}")
        raise DataError(
            f"returns: {' and '.join(parts)}: no variance, so HRP cannot weight them; drop them"
        )


def _check_corr(corr: MatrixLike, labels: pd.Index) -> np.ndarray:
    if isinstance(corr, pd.DataFrame):
        if not (corr.index.equals(labels) and corr.columns.equals(labels)):
            raise ValidationError("corr: index and columns must match the covariance's labels")
        arr = corr.to_numpy(dtype=np.float64, copy=True)
    else:
        arr = np.array(corr, dtype=np.float64, copy=True)
    n = len(labels)
    if arr.shape != (n, n):
        raise ValidationError(f"corr must have shape ({n}, {n}), got {arr.shape}")
    if not np.isfinite(arr).all():
        raise DataError("corr: NaN or infinite entries")
    if np.abs(arr - arr.T).max() > 1e-8 or np.abs(arr).max() > 1 + 1e-8:
        raise ValidationError("corr must be symmetric with entries in [-1, 1]")
    return arr


def _leaf_order(
    corr: np.ndarray, method: LinkageMethod, optimal: bool
) -> tuple[np.ndarray, np.ndarray]:
    import scipy.cluster.hierarchy as sch
    from scipy.spatial.distance import squareform

    dist = np.sqrt(np.clip((1.0 - corr) / 2.0, 0.0, 1.0))
    np.fill_diagonal(dist, 0.0)
    link = sch.linkage(squareform(dist, checks=False), method.value, optimal_ordering=optimal)
    return sch.leaves_list(link), link


#: clusters up to this size get their variances from the band of the matrix around the diagonal
_BAND = 32


def _bisect(cov: np.ndarray) -> np.ndarray:
    """Recursive-bisection weights of assets already in leaf order (``cov`` reordered).

    Each tree level splits every cluster of two or more assets in halves; the variances of
    all of the level's clusters are computed at once. While clusters are large the block sums
    of ``m_ij = v_i v_j Σ_ij`` come from ``np.add.reduceat`` over rows (few segments: fast);
    once every cluster has at most ``_BAND + 1`` assets they come from the band of ``m``
    within ``_BAND`` of the diagonal (reduceat with hundreds of segments is slow).
    """
    n = cov.shape[0]
    v = 1.0 / np.diag(cov)
    m = cov * v[:, None]
    m *= v[None, :]  # m_ij = v_i v_j Σ_ij
    w = np.ones(n)
    bounds = np.array([0, n])
    cols = np.arange(n)
    band = None
    while True:
        lens = np.diff(bounds)
        split = lens > 1
        if not split.any():
            return w
        left = bounds[:-1][split]
        mids = left + lens[split] // 2
        bounds = np.union1d(bounds, mids)  # the next level's partition, sorted
        starts = bounds[:-1]
        sizes = np.diff(bounds)
        seg = np.repeat(np.arange(len(starts)), sizes)  # segment of each position
        if sizes.max() > _BAND + 1:
            rows = np.add.reduceat(m, starts, axis=0)  # (k, n): row sums of m per segment
            num = np.bincount(seg, weights=rows[seg, cols], minlength=len(starts))
        else:
            if band is None:  # band[i, d - 1] = m[i, i + d], 0 past the end
                width = min(_BAND, n - 1)
                j = cols[:, None] + np.arange(1, width + 1)[None, :]
                band = np.where(j < n, m[cols[:, None], np.minimum(j, n - 1)], 0.0)
                seg_pad = np.empty(n + width, dtype=np.intp)
            seg_pad[:n] = seg
            seg_pad[n:] = -1
            d = band.shape[1]
            same = seg_pad[cols[:, None] + np.arange(1, d + 1)[None, :]] == seg[:, None]
            per_row = np.diagonal(m) + 2.0 * np.einsum("ij,ij->i", band, same)
            num = np.bincount(seg, weights=per_row, minlength=len(starts))
        var = num / np.add.reduceat(v, starts) ** 2  # inverse-variance portfolio variances
        li = np.searchsorted(starts, left)
        ri = np.searchsorted(starts, mids)
        alpha = 1.0 - var[li] / (var[li] + var[ri])
        factor = np.ones(len(starts))
        factor[li] = alpha
        factor[ri] = 1.0 - alpha
        w *= factor[seg]


class HierarchicalRiskParity:
    """Hierarchical risk parity allocation (long-only, fully invested).

    Parameters
    ----------
    linkage : LinkageMethod or str
        Tree-clustering linkage; ``"single"`` as in the original paper and PyPortfolioOpt
        (skfolio defaults to ``"ward"``).
    optimal_ordering : bool
        Reorder the dendrogram's leaves so that adjacent leaves are as close as possible
        (scipy's optimal leaf ordering; Riskfolio-Lib and skfolio do this by default).
        Slower: ``O(n³)``.

    Attributes
    ----------
    weights_ : Series, shape (n,)
        Weights (fractions summing to 1), indexed like the input.
    order_ : Index
        Instruments in leaf (quasi-diagonal) order.
    linkage_matrix_ : ndarray, shape (n - 1, 4)
        scipy linkage matrix.
    """

    def __init__(
        self, linkage: LinkageMethod | str = LinkageMethod.SINGLE, optimal_ordering: bool = False
    ) -> None:
        self.linkage = linkage
        self.optimal_ordering = optimal_ordering

    def fit(
        self,
        returns_or_cov: pd.DataFrame | CovarianceLike,
        corr: MatrixLike | None = None,
    ) -> HierarchicalRiskParity:
        """Compute the HRP weights.

        Parameters
        ----------
        returns_or_cov : DataFrame or array-like
            Either returns (DataFrame, dates × instruments, NaN allowed: covariance and
            correlation are pairwise-complete with ``ddof=1``, as ``DataFrame.cov`` /
            ``DataFrame.corr``), or a covariance matrix (a square DataFrame whose index equals
            its columns, or a square array or nested sequence:
            :data:`~portlab.types.CovarianceLike`), in any period units.
        corr : DataFrame or array-like, shape (n, n), optional
            Correlation to cluster on; by default the one of ``returns`` or of the covariance.

        Returns
        -------
        HierarchicalRiskParity
            ``self``, fitted.

        Raises
        ------
        ValidationError, DataError
            Malformed input, unknown linkage, undefined correlations. From returns, the
            message names exactly the offending columns: those with fewer than 2 returns
            (an all-NaN column) or constant ones, else the first pair that never overlaps on
            2 dates; a non-numeric or infinite cell names its column and row.
        """
        method = _parse_linkage(self.linkage)
        cov, corr_arr, labels = _cov_corr_from_input(returns_or_cov, corr)
        n = len(labels)
        if n == 1:
            order, link = np.zeros(1, dtype=int), np.empty((0, 4))
        else:
            order, link = _leaf_order(corr_arr, method, bool(self.optimal_ordering))
        w_ordered = _bisect(cov[np.ix_(order, order)])
        w = np.empty(n)
        w[order] = w_ordered
        self.weights_ = pd.Series(w, index=labels, name="weight")
        self.order_ = labels[order]
        self.linkage_matrix_ = link
        return self


def hrp(
    returns_or_cov: pd.DataFrame | CovarianceLike,
    *,
    linkage: LinkageMethod | str = LinkageMethod.SINGLE,
    corr: MatrixLike | None = None,
    optimal_ordering: bool = False,
) -> pd.Series:
    """Hierarchical risk parity weights.

    Parameters
    ----------
    returns_or_cov : DataFrame or array-like
        Returns (DataFrame, dates × instruments) or a covariance matrix; see
        :meth:`HierarchicalRiskParity.fit`.
    linkage : LinkageMethod or str
        Tree-clustering linkage (default ``"single"``).
    corr : DataFrame or array-like, optional
        Correlation to cluster on (default: from the input). To reproduce PyPortfolioOpt's
        ``HRPOpt(cov_matrix=...)`` exactly pass ``corr=cov_to_corr(cov).round(6)``, the
        rounded correlation it clusters on.
    optimal_ordering : bool
        Optimal leaf ordering of the dendrogram.

    Returns
    -------
    Series, shape (n,)
        Weights (positive fractions summing to 1), indexed like the input, named ``"weight"``.

    Examples
    --------
    Two assets: HRP is the inverse-variance portfolio.

    >>> import numpy as np
    >>> hrp(np.array([[0.04, 0.01], [0.01, 0.01]])).round(6).tolist()
    [0.2, 0.8]
    """
    model = HierarchicalRiskParity(linkage=linkage, optimal_ordering=optimal_ordering)
    return model.fit(returns_or_cov, corr=corr).weights_
