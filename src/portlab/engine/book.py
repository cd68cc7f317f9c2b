"""The portfolio laid over the market as arrays: the engine's working view of one call.

Everything here is aligned with ``market.instruments`` (length ``n``): an *instrument* in the
engine's tables is a position in this universe (see :mod:`portlab.engine.columns`). Weights are
signed fractions of NAV; the covariance is annualised. Building a book costs one covariance
matrix-vector product on top of the market's cached risk model.

Instruments without a sector (the market labels them ``"Unknown"``, e.g. a prices file read
without a sectors file) are not pooled into one sector: each is its own sector, so the
sector limit never binds on them and only the position limit (and the portfolio-wide limits)
apply. Pooling them would let the sector cap (25% by default) throttle a whole batch of
unrelated instruments. :attr:`Book.sector_unknown` marks them; the coordinator warns once per
call.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from portlab.engine.outcome import fmt_pct
from portlab.engine.tolerances import CORRELATION_TOL
from portlab.exceptions import DataError, InputRepairWarning, ValidationError, warn
from portlab.formatting import format_names
from portlab.market import UNKNOWN_SECTOR, Market
from portlab.state import PortfolioState

__all__ = ["Book", "as_market", "as_state", "build_book", "warn_unknown_sectors"]


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
    covariance : ndarray, shape (n, n)
        Annualised covariance of returns, filled: the market's risk model with NaN replaced by
        0, so an instrument without risk data (``risk_ok`` False) has a zero row and column
        and adds nothing to any variance. Read-only (the market's cached array).
    vol : ndarray, shape (n,)
        Annualised volatilities (0 where the market has no risk data).
    sector : ndarray of int, shape (n,)
        Sector code per instrument; every instrument without a sector has a code of its own.
    sector_labels : pd.Index
        Sector name per code (``"Unknown"`` for each of the codes of instruments without one,
        so the index may repeat that label).
    adv : ndarray or None
        Average daily volume in shares, when the market has volumes.
    risk_ok : ndarray of bool, shape (n,)
        Whether the risk model has a positive, finite volatility for the instrument.
    correlation_threshold : float
        Correlation at or above which instruments count as correlated.
    sector_unknown : ndarray of bool, shape (n,)
        Whether the market has no sector for the instrument.
    """

    instruments: pd.Index
    price: np.ndarray
    qty: np.ndarray
    nav: float
    cash: float
    w: np.ndarray
    covariance: np.ndarray
    vol: np.ndarray
    sector: np.ndarray
    sector_labels: pd.Index
    adv: np.ndarray | None
    risk_ok: np.ndarray = field(repr=False)
    correlation_threshold: float
    sector_unknown: np.ndarray = field(repr=False)

    @cached_property
    def lookup(self) -> dict[str, int]:
        """Instrument name -> position in the universe."""
        return dict(zip(self.instruments, range(len(self.instruments)), strict=True))

    @cached_property
    def g(self) -> np.ndarray:
        """``Σ w``: covariance of each instrument with the portfolio, shape (n,)."""
        return self.covariance @ self.w

    @cached_property
    def variance(self) -> float:
        """Annualised portfolio variance ``wᵀ Σ w``."""
        return float(self.w @ self.g)

    def variance_after(self, idx: np.ndarray, delta: np.ndarray) -> float:
        """Annualised portfolio variance after the weight changes ``delta`` at ``idx``.

        ``σ'² = σ² + 2 δᵀ g_idx + δᵀ Σ_idx,idx δ``, from the cached ``g = Σ w``: one
        ``n × len(idx)`` product instead of ``n × n``. ``idx`` may repeat an instrument.
        """
        dg = self.covariance[:, idx] @ delta
        return float(self.variance + 2 * delta @ self.g[idx] + delta @ dg[idx])

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
        return np.diagonal(self.covariance)

    def corr_rows(self, idx: np.ndarray) -> np.ndarray:
        """Correlation rows of the instruments ``idx`` with the universe, shape (len(idx), n)."""
        vol = np.where(self.vol > 0, self.vol, np.inf)
        return self.covariance[idx] / vol[idx, None] / vol[None, :]

    def clusters(self, idx: np.ndarray) -> np.ndarray:
        """Boolean membership of each universe instrument in the correlated cluster of ``idx``.

        Row ``r`` marks every ``j`` with correlation(idx[r], j) >= threshold (idx[r] included).
        """
        member = self.corr_rows(idx) >= self.correlation_threshold - CORRELATION_TOL
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
            rho = np.where(denom > _ZERO_VOL_PRODUCT, cov_ex / denom, 0.0)
        return np.clip(rho, -1.0, 1.0)


#: ``σ_rest · σ_i`` (annualised, variance units) at or below this counts as zero: the rest of
#: the book (or the instrument) does not move, and its correlation is 0 rather than noise; two
#: volatilities of 1e-7 a year are far below any traded instrument's
_ZERO_VOL_PRODUCT = 1e-14

_STATE_EXAMPLE = "{'positions': {'AAPL': {'quantity': 100, 'avg_price': 150.0}}, 'cash': 100000.0}"


def as_state(state: object) -> PortfolioState:
    """``state`` as a :class:`~portlab.state.PortfolioState`.

    A mapping in the portfolio file's shape goes through :meth:`PortfolioState.from_dict` (its
    errors are prefixed ``state:``); anything else that is not a PortfolioState, None
    included, is a :class:`ValidationError` naming ``state`` and what it accepts.
    """
    if isinstance(state, PortfolioState):
        return state
    if isinstance(state, Mapping):
        try:
            return PortfolioState.from_dict(state)
        except ValidationError as err:
            text = str(err).removeprefix("portfolio state: ")
            raise ValidationError(f"state: {text}") from None
    hint = (
        " (read a JSON file with PortfolioState.from_json(path))"
        if isinstance(state, str | Path)
        else ""
    )
    raise ValidationError(
        f"state: expected a PortfolioState or a mapping like {_STATE_EXAMPLE}, "
        f"got {type(state).__name__}{hint}"
    )


def as_market(market: object) -> Market:
    """``market`` if it is a :class:`~portlab.market.Market`, else a ValidationError naming it."""
    if isinstance(market, Market):
        return market
    hint = (
        " (read a prices file with Market.from_csv(path))" if isinstance(market, str | Path) else ""
    )
    raise ValidationError(
        "market: expected a portlab.Market (e.g. portlab.datasets.load_sample() or "
        f"Market.from_csv(path)), got {type(market).__name__}{hint}"
    )


def warn_unknown_sectors(book: Book, sector_limit: float) -> None:
    """One :class:`InputRepairWarning` when the market has instruments without a sector."""
    k = int(book.sector_unknown.sum())
    if not k:
        return
    warn(
        f"market: {k} of {len(book.instruments)} instruments have no sector (labelled "
        f"'Unknown'); the {fmt_pct(sector_limit)} sector limit does not apply to them (each "
        "counts as a sector of its own; the position limit still does). Give the market "
        "sectors= to enforce it",
        InputRepairWarning,
    )


def _sectors(market: Market) -> tuple[np.ndarray, pd.Index, np.ndarray]:
    """Sector codes with a code of its own for each instrument without a sector.

    "Without a sector" is the market's label :data:`portlab.market.UNKNOWN_SECTOR`, as in
    ``Market.unknown_sector``; read from the cached sector codes, which costs nothing per call.
    """
    codes, labels = market.sector_codes()
    codes = np.asarray(codes)
    unknown_code = np.flatnonzero(np.asarray(labels) == UNKNOWN_SECTOR)
    unknown = np.isin(codes, unknown_code)
    if not unknown.any():
        return codes, labels, unknown
    k = int(unknown.sum())
    codes = codes.copy()
    codes[unknown] = len(labels) + np.arange(k)
    labels = pd.Index([*labels, *([UNKNOWN_SECTOR] * k)], name=labels.name)
    return codes, labels, unknown


def build_book(state: PortfolioState, market: Market, correlation_threshold: float) -> Book:
    """Lay ``state`` over ``market``: prices, weights, risk model and sectors as arrays.

    ``correlation_threshold`` is the policy's (:attr:`Policy.correlation_threshold`): the
    correlation at or above which two instruments belong to one correlated cluster.

    Raises
    ------
    DataError
        When held instruments are not in the market or have no current price (all of them
        are named), or the portfolio value (cash + positions at last prices) is not positive.
    """
    instruments = market.instruments
    price, adv = market.trading_arrays()
    names = list(state.positions)
    idx = instruments.get_indexer(names) if names else np.zeros(0, dtype=int)
    if (idx < 0).any():
        missing = [names[i] for i in np.flatnonzero(idx < 0)]
        raise DataError(
            f"state: held instrument(s) {format_names(missing)} not in the market "
            f"({len(instruments)} instruments); the portfolio cannot be valued without their prices"
        )
    qty = np.zeros(len(instruments))
    qty[idx] = [state.positions[k].quantity for k in names]
    held = qty != 0
    bad = held & ~(np.isfinite(price) & (price > 0))
    if bad.any():
        missing = [str(x) for x in instruments[np.flatnonzero(bad)]]
        raise DataError(
            f"state: held instrument(s) {format_names(missing)} have no current price in the market "
            f"(delisted or stale); the portfolio cannot be valued"
        )
    mv = np.where(held, qty * np.nan_to_num(price), 0.0)
    nav = float(state.cash + mv.sum())
    if not nav > 0:
        raise DataError(
            f"state: portfolio value (cash {state.cash:,.2f} + positions {mv.sum():,.2f} at last "
            f"prices) must be positive to size trades, got {nav:,.2f}"
        )
    cov, vol, risk_ok = market.risk_model_filled()
    codes, labels, unknown = _sectors(market)
    return Book(
        instruments=instruments,
        price=price,
        qty=qty,
        nav=nav,
        cash=float(state.cash),
        w=mv / nav,
        covariance=cov,
        vol=vol,
        sector=codes,
        sector_labels=labels,
        adv=adv,
        risk_ok=risk_ok,
        correlation_threshold=correlation_threshold,
        sector_unknown=unknown,
    )
