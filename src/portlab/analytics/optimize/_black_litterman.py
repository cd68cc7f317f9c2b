"""Black-Litterman: a market-implied prior blended with views (He & Litterman 1999).

Units: ``cov`` is the covariance of returns over one period of your choice — annualised in
portlab's convention (``Market.covariance()`` is) — and the prior, the views and the posterior
expected returns are simple returns over that same period, as fractions (``0.05`` is 5 %).

Formulas, with ``Σ`` the covariance, ``π`` the prior, views ``P μ = Q + ε``, ``ε ~ N(0, Ω)``:

* prior (reverse optimisation): ``π = δ Σ w_mkt + r_f``;
* posterior mean: ``μ_BL = π + τΣPᵀ (PτΣPᵀ + Ω)⁻¹ (Q − Pπ)``;
* posterior covariance of returns: ``Σ_BL = Σ + τΣ − τΣPᵀ (PτΣPᵀ + Ω)⁻¹ PτΣ``;
* ``Ω`` by default ``diag(P τΣ Pᵀ)`` (He & Litterman); with ``"idzorek"``, view ``k`` held with
  confidence ``c_k ∈ (0, 1]`` gets ``Ω_kk = τ (1 − c_k)/c_k · P_k Σ P_kᵀ`` (Idzorek 2005, closed
  form of Walters 2014): confidence 1 imposes the view exactly, 0.5 weighs it like the prior.
  A view with confidence 0 carries no information and is dropped.

These are PyPortfolioOpt's ``BlackLittermanModel`` formulas (``bl_returns`` / ``bl_cov``),
which the tests compare against.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from portlab.analytics.optimize._inputs import as_cov, as_vector
from portlab.exceptions import DataError, ValidationError
from portlab.linalg import PSD_RTOL, solve_psd

if TYPE_CHECKING:
    from portlab.events import TradingSignalEvent
    from portlab.types import CovarianceLike, MatrixLike, VectorLike

__all__ = [
    "DEFAULT_RISK_AVERSION",
    "OmegaMethod",
    "black_litterman",
    "market_implied_prior",
    "market_implied_risk_aversion",
    "views_from_signals",
]

#: risk aversion used when neither a number nor benchmark returns are given (a common choice
#: for equity markets: a 6 % excess return over a 15.5 % volatility)
DEFAULT_RISK_AVERSION = 2.5


class OmegaMethod(enum.StrEnum):
    """How the view-uncertainty matrix ``Ω`` is built."""

    DEFAULT = "default"  # diag(P τΣ Pᵀ), He & Litterman
    IDZOREK = "idzorek"  # from a confidence per view


def market_implied_risk_aversion(
    benchmark_returns: pd.Series,
    *,
    periods_per_year: int = 252,
    risk_free_rate: float = 0.0,
) -> float:
    """Market price of risk ``δ = (E[R_m] − r_f) / Var(R_m)`` from benchmark returns.

    Parameters
    ----------
    benchmark_returns : Series
        Simple returns of the market portfolio per period (e.g. ``Market.benchmark_returns``);
        NaN rows are dropped.
    periods_per_year : int
        Periods per year of the returns; mean and variance are annualised with it.
    risk_free_rate : float
        Annual risk-free rate (fraction).

    Returns
    -------
    float
        ``δ`` (dimensionless). Same as PyPortfolioOpt's ``market_implied_risk_aversion`` on
        the prices these returns come from.

    Raises
    ------
    DataError
        Fewer than 2 returns, or zero variance.
    """
    r = pd.Series(benchmark_returns, dtype=np.float64).dropna()
    if len(r) < 2:
        raise DataError(f"benchmark_returns: need at least 2 returns, got {len(r)}")
    var = float(r.var()) * periods_per_year
    if not var > 0:
        raise DataError("benchmark_returns: zero variance")
    return (float(r.mean()) * periods_per_year - risk_free_rate) / var


def market_implied_prior(
    cov: CovarianceLike,
    market_weights: VectorLike,
    risk_aversion: float | pd.Series | None = None,
    risk_free_rate: float = 0.0,
    *,
    periods_per_year: int = 252,
) -> pd.Series:
    """Equilibrium expected returns ``π = δ Σ w_mkt + r_f``.

    Parameters
    ----------
    cov : DataFrame or array-like, shape (n, n)
        Covariance of returns (:data:`~portlab.types.CovarianceLike`; annualised for annual
        ``π``).
    market_weights : Series, Mapping or array-like
        Market (benchmark) weights or market capitalisations
        (:data:`~portlab.types.VectorLike`), normalised to sum to 1. Instruments of ``cov`` a
        Series or mapping does not list get weight 0.
    risk_aversion : float, Series or None
        ``δ`` as a number; or benchmark returns (Series) to estimate it with
        :func:`market_implied_risk_aversion`; or None for :data:`DEFAULT_RISK_AVERSION`.
    risk_free_rate : float
        Risk-free rate over the period of ``cov`` (annual for annualised ``cov``).
    periods_per_year : int
        Periods per year of benchmark returns (used only when they are given).

    Returns
    -------
    Series, shape (n,)
        Prior expected returns, indexed like ``cov``, named ``"prior"``.

    Raises
    ------
    ValidationError
        Negative or all-zero weights, unknown instruments, non-positive risk aversion.
    """
    arr, labels = as_cov(cov)
    w = as_vector(market_weights, labels, "market_weights", fill=0.0)
    if (w < 0).any():
        raise ValidationError(f"market_weights: negative weight for {list(labels[w < 0][:10])}")
    if not w.sum() > 0:
        raise ValidationError("market_weights: all weights are zero")
    w = w / w.sum()
    if risk_aversion is None:
        delta = DEFAULT_RISK_AVERSION
    elif isinstance(risk_aversion, pd.Series):
        delta = market_implied_risk_aversion(
            risk_aversion, periods_per_year=periods_per_year, risk_free_rate=risk_free_rate
        )
    else:
        delta = float(risk_aversion)
    if not (np.isfinite(delta) and delta > 0):
        raise ValidationError(f"risk_aversion must be a positive number, got {delta!r}")
    return pd.Series(delta * (arr @ w) + risk_free_rate, index=labels, name="prior")


def _views(
    views: VectorLike,
    picking: MatrixLike | Sequence[float] | None,
    labels: pd.Index,
) -> tuple[np.ndarray, np.ndarray, pd.Index]:
    """``(Q, P, view labels)`` from absolute views or from ``Q`` with a picking matrix."""
    if picking is None:
        if isinstance(views, Mapping) and not isinstance(views, pd.Series):
            views = pd.Series(dict(views), dtype=np.float64)
        if not isinstance(views, pd.Series):
            raise ValidationError(
                "views: absolute views must be a Series or dict of instrument -> expected "
                "return; pass picking=P for relative views"
            )
        if not views.index.is_unique:
            raise ValidationError("views: an instrument appears twice")
        unknown = views.index.difference(labels)
        if len(unknown):
            raise ValidationError(f"views on unknown instrument(s) {list(unknown[:10])}")
        q = views.to_numpy(dtype=np.float64)
        p = np.zeros((len(q), len(labels)))
        p[np.arange(len(q)), labels.get_indexer(views.index)] = 1.0
        view_labels = views.index
    else:
        if isinstance(picking, pd.DataFrame):
            extra = picking.columns.difference(labels)
            if len(extra):
                raise ValidationError(f"picking: unknown instrument(s) {list(extra[:10])}")
            p = picking.reindex(columns=labels, fill_value=0.0).to_numpy(dtype=np.float64)
            view_labels = picking.index
        else:
            p = np.array(picking, dtype=np.float64, copy=True)
            if p.ndim == 1:
                p = p[None, :]
            view_labels = pd.RangeIndex(p.shape[0])
        if p.ndim != 2 or p.shape[1] != len(labels):
            raise ValidationError(f"picking must have shape (k, {len(labels)}), got {p.shape}")
        if (
            isinstance(views, pd.Series)
            and isinstance(picking, pd.DataFrame)
            and not views.index.equals(picking.index)
        ):
            raise ValidationError("views and picking must have the same index (view names)")
        q = np.array(views, dtype=np.float64, copy=True).reshape(-1)
        if q.shape[0] != p.shape[0]:
            raise ValidationError(f"{q.shape[0]} view returns for {p.shape[0]} picking rows")
    if q.shape[0] == 0:
        raise ValidationError("views: no views given")
    if not (np.isfinite(q).all() and np.isfinite(p).all()):
        raise ValidationError("views: NaN or infinite values")
    return q, p, view_labels


def black_litterman(
    cov: CovarianceLike,
    prior: VectorLike,
    views: VectorLike,
    *,
    picking: MatrixLike | Sequence[float] | None = None,
    omega: OmegaMethod | str | MatrixLike | None = None,
    confidences: VectorLike | None = None,
    tau: float = 0.05,
) -> tuple[pd.Series, pd.DataFrame]:
    """Black-Litterman posterior expected returns and covariance.

    Parameters
    ----------
    cov : DataFrame or array-like, shape (n, n)
        Covariance of returns (:data:`~portlab.types.CovarianceLike`; annualised in portlab's
        convention).
    prior : Series, Mapping or array-like, shape (n,)
        Prior expected returns ``π`` (e.g. :func:`market_implied_prior`), same period as ``cov``;
        a Series or mapping must give every instrument (:data:`~portlab.types.VectorLike`).
    views : Series/dict (absolute views) or array-like of shape (k,)
        Absolute views: expected return per instrument (``{"AAPL": 0.10}``). With ``picking``:
        the ``k`` view returns ``Q``.
    picking : DataFrame (k × instruments) or array-like (k, n), optional
        Picking matrix ``P`` for relative views (a row ``+1 AAPL, −1 MSFT`` with ``Q = 0.02``
        says AAPL beats MSFT by 2 %). DataFrame columns may be a subset of the instruments;
        a 1-D array or sequence of length n is one view.
    omega : None, OmegaMethod or str (``"default"``, ``"idzorek"``), or array-like (k, k)
        View uncertainty: He-Litterman's ``diag(P τΣ Pᵀ)`` (None or ``"default"``), Idzorek's
        from ``confidences``, or a given matrix (symmetric positive semi-definite).
    confidences : Series, Mapping or array-like of shape (k,), optional
        Confidence of each view in ``[0, 1]`` (required by ``"idzorek"``); a Series is aligned
        to the view labels (instruments for absolute views). Views with confidence 0 are
        dropped.
    tau : float
        Scales the uncertainty of the prior, in ``(0, 1]``.

    Returns
    -------
    (Series of shape (n,), DataFrame of shape (n, n))
        Posterior expected returns ``μ_BL`` (named ``"posterior"``) and posterior covariance
        ``Σ_BL``, indexed like ``cov``.

    Raises
    ------
    ValidationError
        Malformed views, confidences outside ``[0, 1]``, an ``omega`` that is not symmetric
        positive semi-definite.
    SingularMatrixError
        A singular view system ``P τΣ Pᵀ + Ω`` (for example two contradicting views held
        with certainty): its condition number exceeds ``1 / portlab.linalg.SINGULAR_RTOL``
        (10¹²). A subclass of ValidationError.
    """
    arr, labels = as_cov(cov)
    pi = as_vector(prior, labels, "prior")
    q, p, view_labels = _views(views, picking, labels)
    if not (np.isfinite(tau) and 0 < tau <= 1):
        raise ValidationError(f"tau must be in (0, 1], got {tau!r}")
    k = len(q)
    tau_sigma_pt = tau * (arr @ p.T)  # (n, k)
    p_tau_sigma_pt = p @ tau_sigma_pt  # (k, k)
    keep = np.ones(k, dtype=bool)
    if omega is None:
        omega = OmegaMethod.DEFAULT
    if isinstance(omega, str | OmegaMethod):
        try:
            method = OmegaMethod(omega)
        except ValueError:
            raise ValidationError(
                f"omega must be 'default', 'idzorek' or a (k, k) matrix, got {omega!r}"
            ) from None
        if method is OmegaMethod.DEFAULT:
            om = np.diag(np.diag(p_tau_sigma_pt))
        else:
            if confidences is None:
                raise ValidationError("omega='idzorek' needs confidences (one per view)")
            conf = as_vector(confidences, view_labels, "confidences")
            if ((conf < 0) | (conf > 1)).any():
                raise ValidationError("confidences must lie in [0, 1]")
            keep = conf > 0
            with np.errstate(divide="ignore"):
                alpha = np.where(keep, (1.0 - conf) / np.where(keep, conf, 1.0), 0.0)
            om = np.diag(alpha * np.diag(p_tau_sigma_pt))
    else:
        om = np.array(omega.to_numpy() if isinstance(omega, pd.DataFrame) else omega, float)
        if om.shape != (k, k):
            raise ValidationError(f"omega must have shape ({k}, {k}), got {om.shape}")
        if not np.isfinite(om).all() or np.abs(om - om.T).max() > 1e-12 * max(
            1.0, np.abs(om).max()
        ):
            raise ValidationError("omega must be a finite symmetric matrix")
        eig = np.linalg.eigvalsh(0.5 * (om + om.T)) if k else np.zeros(1)
        if eig[0] < -PSD_RTOL * max(float(np.abs(eig).max()), np.finfo(float).tiny):
            raise ValidationError(
                f"omega must be positive semi-definite (smallest eigenvalue {eig[0]:.3g})"
            )
    if not keep.any():  # no informative view: the posterior is the prior
        post_mu = pi
        post_cov = arr + tau * arr
    else:
        idx = np.flatnonzero(keep)
        a_mat = p_tau_sigma_pt[np.ix_(idx, idx)] + om[np.ix_(idx, idx)]
        rhs = np.column_stack([q[idx] - p[idx] @ pi, tau_sigma_pt[:, idx].T])
        sol = solve_psd(
            a_mat,
            rhs,
            name="views: the view system P τΣ Pᵀ + Ω",
            hint="dependent views held with certainty (or nearly so), or a view on a "
            "zero-variance combination of instruments; lower the confidences or drop a view",
        )
        post_mu = pi + tau_sigma_pt[:, idx] @ sol[:, 0]
        post_cov = arr + tau * arr - tau_sigma_pt[:, idx] @ sol[:, 1:]
        post_cov = 0.5 * (post_cov + post_cov.T)
    return (
        pd.Series(post_mu, index=labels, name="posterior"),
        pd.DataFrame(post_cov, index=labels, columns=labels),
    )


def views_from_signals(
    signals: pd.DataFrame | Iterable[TradingSignalEvent],
    *,
    periods_per_year: int | None = 252,
    default_horizon_days: float = 21.0,
    include_hold: bool = False,
) -> tuple[pd.Series, pd.Series]:
    """Absolute Black-Litterman views from a batch of trading signals.

    Each signal's ``expected_return`` (the instrument's expected simple return over the
    signal's horizon, signed: negative for a SELL, as the engine reads it) is a view and its
    ``confidence`` the certainty of that view.

    * Annualisation: ``q = expected_return × periods_per_year / horizon_days`` (horizon
      ``default_horizon_days`` when a signal gives none); ``periods_per_year=None`` keeps the
      horizon return as is.
    * Several signals on one instrument are independent views on the same return; with
      Idzorek's ``Ω_k ∝ (1 − c_k)/c_k`` their precisions add, so they combine exactly into one
      view with odds ``c/(1 − c) = Σ c_k/(1 − c_k)`` and return ``Σ o_k q_k / Σ o_k`` (``o_k``
      the odds ``c_k/(1 − c_k)``); if any of them has confidence 1 the view is the mean of
      those and its confidence is 1. :func:`black_litterman` with ``omega="idzorek"`` then
      gives the same posterior as the separate views would.
    * Signals with confidence 0 carry no view; HOLD signals are skipped unless
      ``include_hold``.

    Parameters
    ----------
    signals : DataFrame or iterable of TradingSignalEvent
        A frame with at least ``instrument_id``, ``action``, ``confidence``,
        ``expected_return`` (optional ``horizon_days``), as
        :func:`portlab.events.signals_to_frame` gives; or the events themselves.
    periods_per_year : int or None
        Annualisation factor (see above).
    default_horizon_days : float
        Horizon, in periods, of a signal without ``horizon_days`` (the engine's default: 21).
    include_hold : bool
        Use HOLD signals' expected returns as views too.

    Returns
    -------
    (Series, Series)
        ``Q`` (expected return per instrument, named ``"view"``) and the confidences (named
        ``"confidence"``), indexed by instrument in order of first appearance.

    Raises
    ------
    ValidationError
        Missing columns, confidences outside ``[0, 1]``, non-positive horizons, or no usable
        signal.
    """
    if isinstance(signals, pd.DataFrame):
        frame = signals
    else:
        from portlab.events import signals_to_frame

        frame = signals_to_frame(list(signals))
    required = ("instrument_id", "action", "confidence", "expected_return")
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ValidationError(f"signals: missing column(s) {missing}")
    if not (np.isfinite(default_horizon_days) and default_horizon_days > 0):
        raise ValidationError(f"default_horizon_days must be > 0, got {default_horizon_days!r}")
    inst = frame["instrument_id"].astype("str").to_numpy(dtype=object)
    action = frame["action"].astype("str").str.upper().to_numpy(dtype=object)
    conf = frame["confidence"].to_numpy(dtype=np.float64, na_value=np.nan)
    ret = frame["expected_return"].to_numpy(dtype=np.float64, na_value=np.nan)
    if "horizon_days" in frame.columns:
        horizon = frame["horizon_days"].to_numpy(dtype=np.float64, na_value=np.nan)
        horizon = np.where(np.isnan(horizon), default_horizon_days, horizon)
    else:
        horizon = np.full(len(frame), float(default_horizon_days))
    bad = np.isnan(conf) | (conf < 0) | (conf > 1)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValidationError(f"signals row {row}: confidence {conf[row]!r} not in [0, 1]")
    if not np.isfinite(ret).all():
        row = int(np.flatnonzero(~np.isfinite(ret))[0])
        raise ValidationError(f"signals row {row}: expected_return is missing or not finite")
    if not (horizon > 0).all():
        row = int(np.flatnonzero(~(horizon > 0))[0])
        raise ValidationError(f"signals row {row}: horizon_days must be > 0")
    use = conf > 0
    if not include_hold:
        use &= action != "HOLD"
    if not use.any():
        raise ValidationError("signals: no signal with a view (all HOLD or confidence 0)")
    inst, conf, ret, horizon = inst[use], conf[use], ret[use], horizon[use]
    q = ret if periods_per_year is None else ret * (float(periods_per_year) / horizon)
    codes, names = pd.factorize(pd.Index(inst, dtype="str"))
    k = len(names)
    certain = conf >= 1.0
    n_certain = np.bincount(codes, weights=certain.astype(float), minlength=k)
    with np.errstate(divide="ignore"):
        odds = np.where(certain, 0.0, conf / np.where(certain, 1.0, 1.0 - conf))
    odds_sum = np.bincount(codes, weights=odds, minlength=k)
    q_odds = np.bincount(codes, weights=odds * q, minlength=k)
    q_certain = np.bincount(codes, weights=np.where(certain, q, 0.0), minlength=k)
    has_certain = n_certain > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        view = np.where(has_certain, q_certain / np.maximum(n_certain, 1), q_odds / odds_sum)
        confidence = np.where(has_certain, 1.0, odds_sum / (1.0 + odds_sum))
    index = pd.Index(names, name="instrument_id")
    return (
        pd.Series(view, index=index, name="view"),
        pd.Series(confidence, index=index, name="confidence"),
    )
