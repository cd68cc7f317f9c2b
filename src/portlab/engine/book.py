"""The portfolio laid over the market as arrays: the engine's working view of one call.

Everything here is aligned with ``market.instruments`` (length ``n``). Weights are signed
fractions of NAV; the covariance is annualised. Building a book costs one covariance
matrix-vector product on top of the market's cached risk model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from portlab.exceptions import DataError

__all__ = ["Book", "build_book"]


@dataclass(frozen=True, eq=False)
class Book:
    """Portfolio state against market data, as arrays over the market universe.

    Attributes
    ----------
    instruments : pd.Index
        The universe, length ``n``.
    price : ndarray, shape (n,)
        Last prices (NaN where the market has none).
    qty : ndarray, shape (n,)
        Signed quantities held.
    nav : float
        Portfolio value: cash + Σ qty·price (currency).
    cash : float
        Cash (currency).
    w : ndarray, shape (n,)
        Signed weights, fractions of NAV.
    cov : ndarray, shape (n, n)
        Annualised covariance of returns (NaN rows where the market has no risk data).
    vol : ndarray, shape (n,)
        Annualised volatilities.
    sector : ndarray of int, shape (n,)
        Sector code per instrument.
    sector_labels : pd.Index
        Sector name per code.
    adv : ndarray or None
        Average daily volume in shares, when the market has volumes.
    risk_ok : ndarray of bool, shape (n,)
        Whether the risk model has a positive, finite volatility for the instrument.
    correlation_threshold : float
        Correlation at or above which instruments count as correlated.
    """

    instruments: pd.Index
    price: np.ndarray
    qty: np.ndarray
    nav: float
    cash: float
    w: np.ndarray
    cov: np.ndarray
    vol: np.ndarray
    sector: np.ndarray
    sector_labels: pd.Index
    adv: np.ndarray | None
    risk_ok: np.ndarray = field(repr=False, default=None)
    correlation_threshold: float = 0.7
    _cov0: np.ndarray = field(repr=False, default=None)  # cov with NaN replaced by 0

    @cached_property
    def lookup(self) -> dict[str, int]:
        """Instrument name -> position in the universe."""
        return dict(zip(self.instruments, range(len(self.instruments)), strict=True))

    @cached_property
    def g(self) -> np.ndarray:
        """``Σ w``: covariance of each instrument with the portfolio, shape (n,)."""
        return self._cov0 @ self.w

    @cached_property
    def variance(self) -> float:
        """Annualised portfolio variance ``wᵀ Σ w``."""
        return float(self.w @ self.g)

    @property
    def volatility(self) -> float:
        """Annualised ex-ante portfolio volatility."""
        return float(np.sqrt(max(self.variance, 0.0)))

    @cached_property
    def gross(self) -> float:
        """Gross exposure Σ|w| (= leverage)."""
        return float(np.abs(self.w).sum())

    @cached_property
    def sector_gross(self) -> np.ndarray:
        """Gross exposure per sector code, shape (n_sectors,)."""
        return np.bincount(self.sector, weights=np.abs(self.w), minlength=len(self.sector_labels))

    @property
    def cash_fraction(self) -> float:
        """Cash as a fraction of NAV."""
        return self.cash / self.nav

    @property
    def diag(self) -> np.ndarray:
        """Annualised variances, shape (n,)."""
        return np.diagonal(self._cov0)

    def corr_rows(self, idx: np.ndarray) -> np.ndarray:
        """Correlation rows of the instruments ``idx`` with the universe, shape (len(idx), n)."""
        vol = np.where(self.vol > 0, self.vol, np.inf)
        return self._cov0[idx] / vol[idx, None] / vol[None, :]

    def clusters(self, idx: np.ndarray) -> np.ndarray:
        """Boolean membership of each universe instrument in the correlated cluster of ``idx``.

        Row ``r`` marks every ``j`` with correlation(idx[r], j) >= threshold (idx[r] included).
        """
        member = self.corr_rows(idx) >= self.correlation_threshold - 1e-12
        member[np.arange(len(idx)), idx] = True
        return member

    def cluster_exposure(self, idx: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
        """Gross exposure of the correlated cluster around each instrument in ``idx``."""
        weights = np.abs(self.w if w is None else w)
        return self.clusters(idx) @ weights

    def book_correlation(self, idx: np.ndarray) -> np.ndarray:
        """Correlation of each instrument's returns with the rest of the current holdings.

        For instrument ``i`` the portfolio excluding ``i`` has covariance ``g_i - w_i Σ_ii``
        with ``i`` and variance ``σ_p² - 2 w_i g_i + w_i² Σ_ii``; 0 when nothing else is held.
        """
        g, w, d = self.g[idx], self.w[idx], self.diag[idx]
        cov_ex = g - w * d
        var_ex = np.maximum(self.variance - 2 * w * g + w * w * d, 0.0)
        denom = np.sqrt(var_ex) * self.vol[idx]
        with np.errstate(divide="ignore", invalid="ignore"):
            rho = np.where(denom > 1e-14, cov_ex / denom, 0.0)
        return np.clip(rho, -1.0, 1.0)


def build_book(state, market, correlation_threshold: float = 0.7) -> Book:
    """Lay ``state`` over ``market``: prices, weights, risk model and sectors as arrays.

    Raises
    ------
    DataError
        When a held instrument is not in the market, has no price, or NAV is not positive.
    """
    instruments = market.instruments
    price, adv = market.trading_arrays()
    names = list(state.positions)
    idx = instruments.get_indexer(names) if names else np.zeros(0, dtype=int)
    if (idx < 0).any():
        raise DataError(f"position {names[int(np.flatnonzero(idx < 0)[0])]!r} is not in the market")
    qty = np.zeros(len(instruments))
    qty[idx] = [state.positions[k].quantity for k in names]
    held = qty != 0
    bad = held & ~(np.isfinite(price) & (price > 0))
    if bad.any():
        name = instruments[np.flatnonzero(bad)[0]]
        raise DataError(f"position {name!r} has no current price in the market")
    mv = np.where(held, qty * np.nan_to_num(price), 0.0)
    nav = float(state.cash + mv.sum())
    if not nav > 0:
        raise DataError(f"portfolio value must be positive, got {nav:,.2f}")
    cov, vol, risk_ok = market.risk_model_filled()
    codes, labels = market.sector_codes()
    return Book(
        instruments=instruments,
        price=price,
        qty=qty,
        nav=nav,
        cash=float(state.cash),
        w=mv / nav,
        cov=cov,
        vol=vol,
        sector=np.asarray(codes),
        sector_labels=labels,
        adv=adv,
        risk_ok=risk_ok,
        correlation_threshold=correlation_threshold,
        _cov0=cov,
    )
