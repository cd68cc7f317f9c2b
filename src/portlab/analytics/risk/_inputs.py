"""Inputs of the risk functions: returns, weights and the portfolio's return series.

Package-internal: shared by the risk measures (:mod:`._measures`), VaR (:mod:`._var`), the
policy measures (:mod:`._limits`) and the stress tests (:mod:`._stress`);
:func:`weights_vector`, :func:`portfolio_returns` and :class:`MissingReturns` are public through :mod:`portlab.analytics.risk`. Conventions are in
:mod:`portlab.analytics.risk`.
"""

from __future__ import annotations

import enum
from collections.abc import Hashable, Mapping
from typing import TYPE_CHECKING, TypeGuard, TypeVar

import numpy as np
import pandas as pd

from portlab.exceptions import DataError, ValidationError
from portlab.formatting import format_date, format_names, format_value
from portlab.records import as_enum

if TYPE_CHECKING:
    from portlab.market import Market
    from portlab.state import PortfolioState
    from portlab.types import ReturnsLike, WeightsLike

__all__ = [
    "MissingReturns",
    "check_finite",
    "covariance_matrix",
    "held_returns",
    "holdings",
    "portfolio_returns",
    "portfolio_series",
    "returns_frame",
    "weights_vector",
]

PPY = 252  # default periods per year when the data do not say

_EnumT = TypeVar("_EnumT", bound=enum.StrEnum)


class MissingReturns(enum.StrEnum):
    """What a missing (NaN) return of a held instrument does to the portfolio's return that day.

    DROP removes the date (only dates on which every held instrument has a return are used).
    ZERO counts the missing return as 0, as if that holding were cash that day (keeps history
    of late-listed holdings' peers, understates risk before a listing).
    """

    DROP = "drop"
    ZERO = "zero"


# --------------------------------------------------------------------------- inputs
def check_confidence(confidence: float) -> float:
    """``confidence`` as a float in (0, 1); ValidationError for a bool, a non-number or 95."""
    if isinstance(confidence, bool | np.bool_) or not isinstance(
        confidence, int | float | np.integer | np.floating
    ):
        raise ValidationError(
            f"confidence must be a number in (0, 1), got {type(confidence).__name__}"
        )
    c = float(confidence)
    if not 0.0 < c < 1.0:
        raise ValidationError(
            f"confidence must be in (0, 1) (0.95, not 95), got {format_value(confidence)}"
        )
    return c


def is_market(obj: object) -> TypeGuard[Market]:
    from portlab.market import Market

    return isinstance(obj, Market)


def is_state(obj: object) -> TypeGuard[PortfolioState]:
    from portlab.state import PortfolioState

    return isinstance(obj, PortfolioState)


def returns_frame(
    data: pd.DataFrame | Market, what: str = "returns"
) -> tuple[pd.DataFrame, int | None]:
    """``data`` (a Market or a dates × instruments DataFrame) as a float frame and its periods per year."""
    if is_market(data):
        return data.returns, data.periods_per_year
    if isinstance(data, pd.DataFrame):
        if data.columns.has_duplicates:
            dups = data.columns[data.columns.duplicated()].unique()
            raise DataError(f"{what}: duplicate column(s) {format_names(dups)}")
        kinds = set(data.dtypes.tolist())
        if not all(pd.api.types.is_numeric_dtype(t) for t in kinds):
            bad = [str(c) for c, t in data.dtypes.items() if not pd.api.types.is_numeric_dtype(t)]
            raise DataError(f"{what}: column(s) {format_names(bad)} are not numeric")
        return data, None
    raise ValidationError(
        f"{what}: expected a Market or a DataFrame of returns (dates × instruments), "
        f"got {type(data).__name__}"
    )


def check_finite(
    values: np.ndarray, index: pd.Index, columns: pd.Index | Hashable, what: str
) -> None:
    """DataError naming the column and row of the first ±inf in ``values`` (NaN allowed).

    ``columns`` labels the columns of a 2-D ``values``; for a 1-D one it is the series' name.
    """
    bad = np.isinf(values)
    if bad.any():
        first = np.argwhere(bad)[0]
        col = columns[first[1]] if values.ndim == 2 else columns
        row = index[first[0]]
        row = format_date(row) if isinstance(row, pd.Timestamp) else row
        row = row if isinstance(row, str) else format_value(row)
        raise DataError(f"{what}: infinite value in column {format_value(col)} at row {row}")


def weights_vector(
    weights: WeightsLike,
    columns: pd.Index,
    market: Market | None = None,
    *,
    keep_zero: bool = False,
    what_missing: str = "have no returns column",
) -> pd.Series:
    """Weights as a float Series over the non-zero holdings (all entries with ``keep_zero``), validated against ``columns``.

    Accepts a Series or mapping (instrument -> fraction of portfolio value), an array or
    sequence aligned with ``columns``, or a :class:`~portlab.state.PortfolioState` when
    ``market`` gives prices (:data:`~portlab.types.WeightsLike`).
    """
    if is_state(weights):
        if market is None:
            raise ValidationError(
                "weights: a PortfolioState needs a Market (for prices); pass the market as data"
            )
        weights = weights.weights(market.last_prices)
    if isinstance(weights, Mapping):
        weights = pd.Series(dict(weights), dtype=object)
    if isinstance(weights, np.ndarray | list | tuple):
        arr = np.asarray(weights)
        if arr.ndim != 1 or arr.shape[0] != len(columns):
            raise ValidationError(
                f"weights: an array must have one entry per column ({len(columns)}), "
                f"got shape {arr.shape}"
            )
        weights = pd.Series(arr, index=columns)
    if not isinstance(weights, pd.Series):
        raise ValidationError(
            f"weights: expected a Series, mapping, array or PortfolioState, got {type(weights).__name__}"
        )
    if weights.index.has_duplicates:
        dups = weights.index[weights.index.duplicated()].unique()
        raise DataError(f"weights: duplicate instrument(s) {format_names(dups)}")
    try:
        values = pd.to_numeric(weights, errors="raise").to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        raise ValidationError("weights: every weight must be a number") from None
    finite = np.isfinite(values)
    if not finite.all():
        name = weights.index[np.flatnonzero(~finite)[0]]
        raise ValidationError(
            f"weights: weight of {format_value(name)} is not finite ({values[~finite][0]})"
        )
    w = pd.Series(values, index=weights.index, name="weight")
    if not keep_zero:
        w = w[values != 0]
    missing = w.index.difference(columns, sort=False)
    if len(missing):
        raise DataError(f"weights: instrument(s) {format_names(missing)} {what_missing}")
    return w


def held_columns(
    weights: WeightsLike, data: pd.DataFrame | Market
) -> tuple[np.ndarray, np.ndarray, pd.Series, pd.Index, int | None]:
    """All returns as an array (a view when pandas allows), column positions and weights of the holdings."""
    frame, ppy = returns_frame(data)
    w = weights_vector(weights, frame.columns, data if is_market(data) else None)
    values = frame.to_numpy(dtype=np.float64)  # no copy for a single float block
    return values, frame.columns.get_indexer(w.index), w, frame.index, ppy


def _usable_rows(
    values: np.ndarray,
    pos: np.ndarray,
    w: pd.Series,
    dates: pd.Index,
    missing: MissingReturns | str,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Rows with a non-finite held return: (bad row positions, keep mask or None).

    Raises DataError for ±inf (naming the cell) or when no row is usable under DROP.
    """
    missing = as_enum(MissingReturns, missing, "missing")
    sub = values[:, pos]
    bad = np.flatnonzero(~np.isfinite(sub).all(axis=1))
    if bad.size:
        check_finite(sub[bad], dates[bad], w.index, "returns")
    if missing == MissingReturns.ZERO or not bad.size:
        return bad, None
    keep = np.ones(values.shape[0], dtype=bool)
    keep[bad] = False
    if not keep.any():
        raise DataError(
            "returns: no date on which every held instrument has a return "
            f"({format_names(w.index)}); try missing='zero'"
        )
    return bad, keep


def held_returns(
    weights: WeightsLike,
    data: pd.DataFrame | Market,
    missing: MissingReturns | str = MissingReturns.DROP,
) -> tuple[np.ndarray, np.ndarray, pd.Index, pd.Index, int | None]:
    """The held instruments' returns on the usable dates.

    Returns
    -------
    x : ndarray, shape (n_dates_used, n_held)
        Finite returns (missing ones removed or zeroed according to ``missing``), a new array.
    w : ndarray, shape (n_held,)
    held : Index of the held instruments; dates : Index of the dates used; ppy : periods per year or None.
    """
    values, pos, w, dates, ppy = held_columns(weights, data)
    bad, keep = _usable_rows(values, pos, w, dates, missing)
    x = values[:, pos]  # fancy indexing: a copy, safe to modify
    if keep is not None:
        x, dates = x[keep], dates[keep]
    elif bad.size:
        x[bad] = np.nan_to_num(x[bad], nan=0.0)
    if x.shape[0] == 0:
        raise DataError("returns: no dates")
    return x, w.to_numpy(), w.index, dates, ppy


def portfolio_returns(
    weights: WeightsLike,
    returns: pd.DataFrame | Market,
    *,
    missing: MissingReturns | str = MissingReturns.DROP,
) -> pd.Series:
    """Per-period returns of a fixed-weight portfolio, ``Σ_i w_i r_{t,i}``.

    Parameters
    ----------
    weights : Series, mapping, array, sequence or PortfolioState
        :data:`~portlab.types.WeightsLike`: the fraction of portfolio value per instrument
        (negative = short); need not sum to 1 (the rest is cash at zero return). An array is
        aligned with the returns' columns; a PortfolioState is valued at the market's last
        prices (``returns`` must be a Market). Every non-zero weight needs a returns column
        (else ``DataError``).
    returns : DataFrame, shape (n_dates, n_instruments), or Market
        Simple per-period returns (fractions); NaN where missing; ±inf is a ``DataError``.
    missing : MissingReturns or str
        DROP (default) uses only dates on which every held instrument has a return; ZERO counts a
        missing return as 0. Instruments with zero weight never affect which dates are used.

    Returns
    -------
    Series, shape (n_dates_used,)
        Named ``"portfolio"``, indexed by the dates used. Weights are held constant (rebalanced
        every period), so a return over several periods compounds these.
    """
    r, dates, _ = portfolio_series(_require(weights), returns, missing)
    return pd.Series(r, index=dates, name="portfolio")


def _require(weights: WeightsLike | None) -> WeightsLike:
    if weights is None:
        raise ValidationError("weights: required (a Series, mapping, array or PortfolioState)")
    return weights


def portfolio_series(
    weights: WeightsLike | None,
    returns: ReturnsLike | Market,
    missing: MissingReturns | str = MissingReturns.DROP,
) -> tuple[np.ndarray, pd.Index, int | None]:
    """Portfolio returns as (values, dates, ppy); ``weights=None`` takes ``returns`` as the portfolio's own."""
    if weights is None:
        if isinstance(returns, pd.DataFrame) and returns.shape[1] == 1:
            returns = returns.iloc[:, 0]
        if not isinstance(returns, pd.Series):
            raise ValidationError(
                "returns: with weights=None, pass the portfolio's returns as a Series "
                f"(got {type(returns).__name__})"
            )
        try:
            values = returns.to_numpy(dtype=np.float64)
        except (TypeError, ValueError):
            raise DataError(
                f"returns: series {format_value(returns.name)} is not numeric"
            ) from None
        check_finite(values, returns.index, returns.name, "returns")
        keep = ~np.isnan(values)
        if not keep.any():
            raise DataError("returns: the series has no valid (non-NaN) return")
        return values[keep], returns.index[keep], None
    missing = as_enum(MissingReturns, missing, "missing")
    values, pos, w, dates, ppy = held_columns(weights, returns)
    wv = w.to_numpy()
    if values.shape[0] == 0:
        raise DataError("returns: no dates")
    # einsum rather than BLAS gemv: as fast single-threaded, and free of BLAS thread start-up,
    # which costs 10-20 ms on a busy machine
    if pos.size == values.shape[1] and (pos == np.arange(pos.size)).all():
        r = np.einsum("ij,j->i", values, wv)  # every column held in order: no copy
    else:
        r = np.einsum("ij,j->i", values[:, pos], wv)
    # a NaN or ±inf held return makes that date's sum non-finite (weights are finite, non-zero):
    # only those dates need a closer look
    if not np.isfinite(r).all():
        bad, keep = _usable_rows(values, pos, w, dates, missing)
        if keep is not None:
            r, dates = r[keep], dates[keep]
        else:
            r[bad] = np.nan_to_num(values[np.ix_(bad, pos)], nan=0.0) @ wv
    return r, dates, ppy


# ------------------------------------------------------------------- portfolio over a market
def holdings(
    portfolio: WeightsLike, market: Market
) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """Market value per instrument (aligned with the market), quantities, NAV and last prices.

    A PortfolioState is valued at ``market.last_prices`` (``NAV = cash + Σ quantity × price``,
    as the engine values it); weights are taken as market values of a portfolio worth 1 (the
    rest of 1 in cash), with quantities ``w / price``.

    Raises
    ------
    ValidationError
        ``market`` is not a Market, or ``portfolio`` not weights or a state.
    DataError
        A held instrument has no current price or is not in the market; NAV is not positive.
    """
    if not is_market(market):
        raise ValidationError(f"market: expected a portlab Market, got {type(market).__name__}")
    price = market.last_prices.to_numpy(dtype=np.float64)
    instruments = market.instruments
    if is_state(portfolio):
        qty = portfolio.quantities(instruments)
        held = qty != 0
        bad = held & ~(np.isfinite(price) & (price > 0))
        if bad.any():
            raise DataError(
                f"position(s) {format_names(instruments[bad])} have no current price in the market"
            )
        mv = np.where(held, qty * np.nan_to_num(price), 0.0)
        nav = float(portfolio.cash + mv.sum())
    else:
        w = weights_vector(portfolio, instruments, what_missing="are not in the market").reindex(
            instruments, fill_value=0.0
        )
        mv = w.to_numpy()
        nav = 1.0
        with np.errstate(divide="ignore", invalid="ignore"):
            qty = np.where(mv != 0, mv / price, 0.0)
    if not nav > 0:
        raise DataError(f"portfolio value must be positive, got {nav:,.2f}")
    return mv, qty, nav, price


def covariance_matrix(
    market: Market, cov: pd.DataFrame | None, name: str = "cov"
) -> np.ndarray | None:
    """A given annualised covariance over ``market.instruments`` as an array, NaN as 0.

    None stays None (the caller uses the market's risk model). ``name`` is the argument's name
    in messages.

    Raises
    ------
    ValidationError
        ``cov`` is not a DataFrame.
    DataError
        It has no row or column for an instrument of the market.
    """
    if cov is None:
        return None
    if not isinstance(cov, pd.DataFrame):
        raise ValidationError(f"{name}: expected a DataFrame, got {type(cov).__name__}")
    missing = market.instruments.difference(cov.index).union(
        market.instruments.difference(cov.columns)
    )
    if len(missing):
        raise DataError(f"{name}: no row/column for {format_names(missing)}")
    base = cov.loc[market.instruments, market.instruments].to_numpy(dtype=np.float64)
    return np.nan_to_num(base) if np.isnan(base).any() else base
