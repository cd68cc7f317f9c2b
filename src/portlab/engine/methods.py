"""Sizing methods: each signal's target exposure before the policy headroom (§3).

The method (:class:`~portlab.engine.enums.SizingMethod`, ``SizingConfig.method``) only sets
where a signal wants its instrument's weight (``target_size``, a fraction of NAV, in the
signal's direction); everything after it is shared: conflict resolution combines the
targets, then policy headroom, the correlation adjustment, rebalance blending, the minimum
size, allocation, the risk loop and rounding apply to every method alike, so no method can
breach a hard limit.

===================  =====================================================================
method               target exposure of a signal on instrument i (fraction of NAV)
===================  =====================================================================
KELLY                the capped Kelly fraction (:func:`portlab.engine.sizing.kelly`)
FIXED_FRACTIONAL     ``fixed_fraction × confidence``
EQUAL_WEIGHT         ``D / n``: the deployable cash ``D`` (cash above the cash floor) shared
                     by the ``n`` distinct instruments of the batch's signals left after
                     validation and the edge check
VOLATILITY_TARGET    ``risk_target / σᵢ`` (σᵢ annualised): a position whose own annualised
                     volatility is ``risk_target`` of NAV
RISK_PARITY          ``bᵢ × (G + D)``: ``b`` the equal-risk-contribution weights
                     (:func:`portlab.analytics.optimize.risk_budgeting`) over the book's
                     holdings and the batch's instruments, ``G`` the book's gross exposure
===================  =====================================================================
"""

from __future__ import annotations

import numpy as np

from portlab.engine.book import Book
from portlab.engine.config import Policy, SizingConfig
from portlab.engine.enums import SizingMethod
from portlab.engine.table import Table, length
from portlab.exceptions import InfeasibleError, InputRepairWarning, warn

__all__ = ["deployable", "method_targets", "risk_parity_weights"]


def deployable(book: Book, policy: Policy) -> float:
    """Cash that trades may still deploy: the book's cash above the cash floor, a fraction
    of NAV (0 when below it)."""
    return max(book.cash_fraction - policy.cash_floor, 0.0)


def method_targets(signals: Table, book: Book, policy: Policy, cfg: SizingConfig) -> np.ndarray:
    """Target exposure of each signal under ``cfg.method``.

    Parameters
    ----------
    signals : Table
        Kelly-sized signals (:data:`~portlab.engine.columns.KELLY`), m rows, the ones left
        after validation and the edge check.
    book : Book
    policy : Policy
    cfg : SizingConfig

    Returns
    -------
    ndarray, shape (m,)
        Non-negative fractions of NAV (the magnitude of the weight the signal aims at).

    Examples
    --------
    A book 70% invested: two BUY signals share the 30% of NAV left in cash equally.

    >>> import pandas as pd
    >>> import portlab
    >>> from portlab.datasets import synthetic
    >>> market = synthetic(4, 60, seed=1)
    >>> state = portlab.PortfolioState.from_weights(
    ...     {market.instruments[0]: 0.7}, market.last_prices, 1_000_000)
    >>> signals = pd.DataFrame({"instrument_id": market.instruments[1:3], "action": "BUY",
    ...                         "confidence": 0.8, "expected_return": 0.05})
    >>> ew = portlab.Coordinator(sizing={"method": "EQUAL_WEIGHT", "min_position_size": 0},
    ...                          policy={"max_position_size": 0.2})
    >>> result = ew.coordinate(signals, state, market)
    >>> [round(x, 2) for x in result.waterfall["target_size"]]
    [0.15, 0.15]
    """
    m = length(signals)
    method = cfg.method
    if method is SizingMethod.KELLY or m == 0:
        return signals["kelly"].astype(float)
    instrument = signals["instrument"].astype(int)
    if method is SizingMethod.FIXED_FRACTIONAL:
        return cfg.fixed_fraction * signals["confidence"].astype(float)
    if method is SizingMethod.VOLATILITY_TARGET:
        vol = book.vol[instrument]
        with np.errstate(divide="ignore"):
            return np.where(vol > 0, cfg.risk_target / vol, 0.0)
    cash = deployable(book, policy)
    if method is SizingMethod.EQUAL_WEIGHT:
        return np.full(m, cash / len(np.unique(instrument)))
    weights = risk_parity_weights(book, instrument)
    return weights * (book.gross + cash)


def risk_parity_weights(book: Book, instrument: np.ndarray) -> np.ndarray:
    """Each instrument's weight in the equal-risk-contribution portfolio (long-only, summing
    to 1) of the book's holdings and ``instrument``.

    Parameters
    ----------
    book : Book
    instrument : ndarray of int, shape (m,)
        Positions in the universe (repeats allowed).

    Returns
    -------
    ndarray, shape (m,)

    Notes
    -----
    The risk model's covariance restricted to those instruments must allow risk budgeting;
    when it does not (a singular direction such as two instruments that move as one),
    inverse-volatility weights are used instead, with an
    :class:`~portlab.exceptions.InputRepairWarning` (the same weights for uncorrelated
    instruments).
    """
    from portlab.analytics.optimize import risk_budgeting

    held = np.flatnonzero((book.w != 0) & book.risk_ok)
    universe = np.union1d(held, instrument)
    where = np.searchsorted(universe, instrument)
    cov = book.covariance[np.ix_(universe, universe)]
    try:
        weights = risk_budgeting(cov).to_numpy()
    except InfeasibleError as exc:
        warn(
            f"RISK_PARITY sizing: risk budgeting failed on {len(universe)} instruments "
            f"({exc}); inverse-volatility weights used instead",
            InputRepairWarning,
        )
        inverse = 1.0 / np.sqrt(np.diagonal(cov))
        weights = inverse / inverse.sum()
    return weights[where]
