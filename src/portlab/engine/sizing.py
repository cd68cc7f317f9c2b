"""Position sizing: Kelly fraction, policy headroom and the correlation adjustment (§3).

All functions are vectorized over signals or candidates. Sizes are fractions of NAV; a
*trade size* ``x >= 0`` moves the weight of instrument ``i`` by ``d·x`` where the direction
``d`` is +1 for BUY and -1 for SELL.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from portlab.engine.book import Book
from portlab.engine.config import TRADING_DAYS, Policy, SizingConfig
from portlab.engine.enums import KellyFormula

__all__ = [
    "HEADROOM_RULES",
    "LOSS_QUANTILE",
    "TRADING_DAYS",
    "Kelly",
    "correlated_exposure_max",
    "correlation_factor",
    "headroom",
    "kelly",
    "var_z",
]

#: quantile of the move taken as the loss of a signal without a stop: the 99% move over the
#: horizon (and, for a rebalance trade, over one day), a loss that is exceeded one time in 100
LOSS_QUANTILE = 0.99
# the standard normal quantile from the standard library (Wichura's AS241, exact to double
# precision): scipy.special would add ~0.2 s to the first import of the engine
_Z_LOSS = NormalDist().inv_cdf(LOSS_QUANTILE)
#: the hard rules whose room :func:`headroom` measures, in its column order (the waterfall's
#: ``headroom_<rule>`` columns)
HEADROOM_RULES = (
    "position",
    "short_selling",
    "sector",
    "leverage",
    "cash",
    "volatility",
    "correlation",
    "var",
    "position_risk",
)


@dataclass(frozen=True)
class Kelly:
    """Per-signal Kelly sizing inputs and results (arrays of shape (m,)).

    Attributes
    ----------
    raw : Kelly fraction before multiplier and cap (may be negative: no edge).
    fraction : ``clip(multiplier × raw, 0, cap)``: the Kelly-optimal exposure, fraction of NAV.
    edge : expected return of the trade in its direction over the signal's horizon.
    reward_risk : reward over risk: ``u / l`` with a stop; ``edge / σ_h`` without.
    loss_fraction : loss fraction at the stop, or the 99% horizon move ``z₀.₉₉ σ_h`` without
        a stop.
    payoff : ``b = u / l`` (NaN without a stop).
    horizon_days : horizon in trading days (the signal's, else the default).
    bad_stop : stop price on the wrong side of the current price.
    no_input : neither a stop (with target) nor an expected return to size from.
    """

    raw: np.ndarray
    fraction: np.ndarray
    edge: np.ndarray
    reward_risk: np.ndarray
    loss_fraction: np.ndarray
    payoff: np.ndarray
    horizon_days: np.ndarray
    bad_stop: np.ndarray
    no_input: np.ndarray


def kelly(
    direction: np.ndarray,
    price: np.ndarray,
    vol: np.ndarray,
    success_probability: np.ndarray,
    confidence: np.ndarray,
    price_target: np.ndarray,
    stop_price: np.ndarray,
    expected_return: np.ndarray,
    horizon_days: np.ndarray,
    cfg: SizingConfig,
    scale: np.ndarray | None = None,
) -> Kelly:
    """Kelly fractions of signals.

    With a stop price ``S`` and target ``T`` at price ``P`` the trade wins ``u = d(T-P)/P`` with
    probability ``p`` (success_probability, else confidence) or loses ``l = d(P-S)/P``;
    ``b = u / l`` and the fraction is ``p - (1-p)/b`` (BINARY_BET) or that over ``l``
    (GROWTH_OPTIMAL). Without a stop it is the continuous Kelly fraction ``μ / σ_h²`` with
    ``μ = d × expected_return`` (the instrument's expected price return over the horizon, so a
    SELL needs it negative) and ``σ_h² = σ² h / 252``.

    Parameters
    ----------
    direction : ndarray of {+1, -1}, shape (m,)
    price, vol : ndarray, shape (m,)
        Current price (currency) and annualised volatility.
    success_probability, confidence, price_target, stop_price, expected_return, horizon_days
        ndarray of float, shape (m,); NaN where a signal does not give the field.
    cfg : SizingConfig
    scale : ndarray of float, shape (m,), optional
        Per-signal multiple of ``cfg.kelly_multiplier`` (the adaptive Kelly scale of the
        signal's strategy, :mod:`portlab.engine.adaptation`); default 1.

    Returns
    -------
    Kelly

    Examples
    --------
    A BUY at 100 with target 110 and stop 95 (b = 10 / 5 = 2) that succeeds with p = 0.6:
    ``f = 0.6 - 0.4 / 2 = 0.4``, capped at 25%.

    >>> import numpy as np
    >>> from portlab.engine import SizingConfig
    >>> def one(x):
    ...     return np.array([x], dtype=float)
    >>> k = kelly(one(1), one(100.0), one(0.2), one(0.6), one(0.8), one(110.0), one(95.0),
    ...           one(np.nan), one(np.nan), SizingConfig())
    >>> float(k.payoff[0]), round(float(k.raw[0]), 12), float(k.fraction[0])
    (2.0, 0.4, 0.25)
    """
    d = direction.astype(float)
    p = np.where(np.isnan(success_probability), confidence, success_probability)
    h = np.where(np.isnan(horizon_days), cfg.default_horizon_days, horizon_days)
    sigma_h = vol * np.sqrt(h / TRADING_DAYS)
    u = d * (price_target - price) / price
    loss_stop = d * (price - stop_price) / price
    has_stop = ~np.isnan(stop_price) & ~np.isnan(price_target)
    bad_stop = ~np.isnan(stop_price) & ~(loss_stop > 0)
    mu = d * expected_return
    with np.errstate(divide="ignore", invalid="ignore"):
        b = np.where(has_stop, u / loss_stop, np.nan)
        f_bet = np.where(u > 0, p - (1 - p) / b, -1.0)
        if cfg.kelly_formula is KellyFormula.GROWTH_OPTIMAL:
            f_bet = np.where(u > 0, f_bet / loss_stop, -1.0)
        f_cont = mu / (sigma_h * sigma_h)
        raw = np.where(has_stop, f_bet, f_cont)
        edge = np.where(has_stop, p * u - (1 - p) * loss_stop, mu)
        reward_risk = np.where(has_stop, b, mu / sigma_h)
    loss = np.where(has_stop, loss_stop, _Z_LOSS * sigma_h)
    no_input = ~has_stop & np.isnan(expected_return)
    raw = np.where(bad_stop | no_input, np.nan, raw)
    multiplier = cfg.kelly_multiplier if scale is None else cfg.kelly_multiplier * scale
    fraction = np.clip(multiplier * np.nan_to_num(raw, nan=0.0), 0.0, cfg.max_kelly_fraction)
    return Kelly(raw, fraction, edge, reward_risk, loss, b, h, bad_stop, no_input)


def headroom(
    book: Book, policy: Policy, instrument: np.ndarray, direction: np.ndarray
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Largest trade each candidate may make alone without breaching a hard limit.

    Trades that reduce ``|w|`` free the room they release: a SELL of a long may always go
    down to zero; beyond that (a flip) and for every increasing trade the room left under each
    limit applies. A measure already above its limit allows reductions only.

    Parameters
    ----------
    book : Book
    policy : Policy
    instrument : ndarray of int, shape (m,)
        Instrument positions in the universe (distinct).
    direction : ndarray of {+1, -1}, shape (m,)
        Trade directions.

    Returns
    -------
    caps : ndarray, shape (m, k)
        Room under each rule (``inf`` for soft rules), fraction of NAV.
    names : tuple of str, length k
        Rule names, in column order: :data:`HEADROOM_RULES`.
    """
    d = direction  # the formulas below read as in the module docstring
    inf = np.inf
    w0 = book.w[instrument]
    free = np.where(d * w0 < 0, np.abs(w0), 0.0)
    rules = policy.rules()

    pos = rules["position"]
    hi = pos.limit if pos.hard else inf
    lo = (-pos.limit if pos.hard else -inf) if policy.allow_short else -inf
    x_pos = np.maximum(np.where(d > 0, hi - w0, w0 - lo), 0.0)
    x_short = inf if policy.allow_short else np.where(d > 0, inf, np.maximum(w0, 0.0))

    def gross_room(limit: float, current: np.ndarray) -> np.ndarray:
        return free + np.maximum(limit - (current - free), 0.0)

    sec = rules["sector"]
    x_sec = (
        gross_room(sec.limit, book.sector_gross[book.sector[instrument]])
        if sec.hard
        else np.full(len(instrument), inf)
    )
    lev = rules["leverage"]
    x_lev = (
        gross_room(lev.limit, np.full(len(instrument), book.gross))
        if lev.hard
        else np.full(len(instrument), inf)
    )
    x_cash = np.where(d > 0, max(book.cash_fraction - policy.cash_floor, 0.0), inf)

    def variance_room(limit: float) -> np.ndarray:
        """The trade that takes the portfolio volatility to ``limit`` (or keeps it where it
        is when above): the positive root of the variance's quadratic in the trade."""
        g, diag = book.g[instrument], book.diag[instrument]
        room = max(limit**2, book.variance) - book.variance
        with np.errstate(divide="ignore", invalid="ignore"):
            x = np.where(diag > 0, (-d * g + np.sqrt(g * g + diag * room)) / diag, inf)
        return np.maximum(x, 0.0)

    vol = rules["volatility"]
    x_vol = variance_room(vol.limit) if vol.hard else np.full(len(instrument), inf)
    # a VaR limit is a volatility limit (Policy.var_volatility)
    x_var = (
        variance_room(policy.var_volatility())
        if rules["var"].hard
        else np.full(len(instrument), inf)
    )

    cor = rules["correlation"]
    if cor.hard and len(instrument):
        worst = correlated_exposure_max(book, instrument)
        x_cor = free + np.maximum(cor.limit - (worst - free), 0.0)
    else:
        x_cor = np.full(len(instrument), inf)

    # a position risk limit is a position limit of max_position_risk / σ per instrument
    prisk = rules["position_risk"]
    if prisk.hard:
        with np.errstate(divide="ignore"):
            cap = np.where(book.vol[instrument] > 0, prisk.limit / book.vol[instrument], inf)
        lo_r = -cap if policy.allow_short else np.full(len(instrument), -inf)
        x_prisk = np.maximum(np.where(d > 0, cap - w0, w0 - lo_r), 0.0)
    else:
        x_prisk = np.full(len(instrument), inf)

    caps = np.column_stack(
        [
            x_pos,
            np.broadcast_to(x_short, w0.shape),
            x_sec,
            x_lev,
            x_cash,
            x_vol,
            x_cor,
            x_var,
            x_prisk,
        ]
    )
    return caps, HEADROOM_RULES


def correlated_exposure_max(book: Book, instrument: np.ndarray) -> np.ndarray:
    """For each candidate, the largest cluster exposure among the clusters it belongs to.

    Adding to instrument ``i`` raises the exposure of the cluster around every ``k`` that is
    correlated with ``i``; the tightest of those binds. Costs one n×n pass.
    """
    every = np.arange(len(book.instruments))
    exposure = book.cluster_exposure(every)  # (n,) exposure of the cluster around each k
    member = book.clusters(instrument)  # (m, n): k in cluster(i) <=> i in cluster(k)
    return np.where(member, exposure[None, :], -np.inf).max(axis=1)


def correlation_factor(
    book: Book, instrument: np.ndarray, direction: np.ndarray, penalty: float
) -> tuple[np.ndarray, np.ndarray]:
    """Shrink factor for trades that add exposure correlated with current holdings.

    ``factor = 1 - penalty × max(0, d × ρ)``, where ρ is the correlation of the instrument
    with the rest of the current holdings (see :meth:`Book.book_correlation`). Trades that
    reduce ``|w|`` are not shrunk (factor 1).

    Returns
    -------
    factor, rho : ndarray, shape (m,)
    """
    rho = book.book_correlation(instrument)
    increasing = direction * book.w[instrument] >= 0
    factor = np.where(increasing, 1.0 - penalty * np.maximum(direction * rho, 0.0), 1.0)
    return factor, rho


def var_z(confidence: float) -> float:
    """Standard normal quantile for a one-sided VaR at ``confidence``."""
    return NormalDist().inv_cdf(confidence)
