"""Rebalancing recommendations: the least-cost trade list back inside tolerance bands.

Shared with :mod:`portlab.analytics.rebalance._triggers`: :func:`portfolio_view`, which lays a portfolio and
its target weights over the market (the universe is every instrument held or targeted).

The optimisation (all weights are fractions of the **pre-trade** NAV):

* variables: buys ``b_i >= 0`` and sells ``s_i >= 0``; the new weight is ``w_i + b_i - s_i``;
* every new weight inside its band ``[lo_i, hi_i]`` -- written as bounds on ``b_i`` and ``s_i``
  (long-only by default: lower edges clipped at zero);
* cash: ``cash + sum((1 - c_i) s_i) - sum((1 + c_i) b_i) >= min_cash`` (costs are paid in cash);
* turnover (optional): ``sum(b_i + s_i) <= max_turnover``;
* minimise ``sum((1 + c_i) (b_i + s_i))``: turnover plus proportional costs.

When cash is not short, the optimum trades only the instruments outside their bands and takes
each exactly to its nearest band edge (every variable sits at its lower bound). When the buys
cannot be funded, the cheapest in-band instruments are sold toward their lower edges.

The continuous program is solved by HiGHS (:func:`scipy.optimize.linprog`); whole lots by
HiGHS's MILP (:func:`scipy.optimize.milp`) over the same program with lot counts as integers.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from portlab.exceptions import DataError, InfeasibleError, ValidationError

if TYPE_CHECKING:
    from portlab.market import Market
    from portlab.state import PortfolioState

__all__ = ["TRADE_COLUMNS", "BandType", "PortfolioView", "portfolio_view", "recommend_trades"]

#: columns of :func:`recommend_trades`' result, in order (index: ``instrument_id``)
TRADE_COLUMNS = (
    "price",
    "current_weight",
    "target_weight",
    "band_lower",
    "band_upper",
    "exact_trade_weight",
    "shares",
    "trade_weight",
    "notional",
    "cost",
    "new_weight",
    "in_band",
)

_EPS = 1e-9  # float noise tolerated when counting lots (in lots) and checking bands (weights)


class BandType(enum.StrEnum):
    """How a tolerance band is measured around a target weight ``t``.

    ABSOLUTE: ``[t - b, t + b]`` (``b = 0.02`` is two percentage points of NAV).
    RELATIVE: ``[t (1 - b), t (1 + b)]`` (ordered for a negative target), so a zero target has a
    zero-width band and a held instrument without a target is sold entirely.
    """

    ABSOLUTE = "ABSOLUTE"
    RELATIVE = "RELATIVE"


# --------------------------------------------------------------------------- inputs


def parse_targets(targets: pd.Series | Mapping[str, float], market: Market) -> pd.Series:
    """Target weights as a float Series over instrument ids; a typed error names what is wrong."""
    if isinstance(targets, Mapping) and not isinstance(targets, pd.Series):
        targets = pd.Series(dict(targets), dtype=object)
    if not isinstance(targets, pd.Series):
        raise ValidationError(
            f"targets: expected a Series or mapping of instrument id -> weight "
            f"(got {type(targets).__name__})"
        )
    names = [str(i) for i in targets.index]
    if len(set(names)) != len(names):
        dups = sorted({n for n in names if names.count(n) > 1})
        raise ValidationError(f"targets: duplicate instrument id(s) {dups}")
    values = []
    for name, v in zip(names, targets.tolist(), strict=True):
        if isinstance(v, bool | np.bool_) or not isinstance(v, int | float | np.number):
            raise ValidationError(f"targets.{name}: weight must be a number (got {v!r})")
        if not math.isfinite(float(v)):
            raise ValidationError(f"targets.{name}: weight must be finite (got {v!r})")
        values.append(float(v))
    unknown = [n for n in names if n not in market.instruments]
    if unknown:
        raise ValidationError(f"targets: instrument(s) not in the market: {unknown[:10]}")
    return pd.Series(values, index=pd.Index(names, name="instrument_id"), dtype=float)


@dataclass(frozen=True)
class PortfolioView:
    """A portfolio and its targets over the universe of instruments held or targeted.

    Attributes
    ----------
    names : pd.Index, length n
        Instruments held or with a target entry, in market order.
    ids : ndarray of object, shape (n,)
        The same ids as Python strings (cheap to index one by one).
    pos : ndarray of int, shape (n,)
        Their positions in ``market.instruments``.
    price : ndarray, shape (n,)
        Last prices (finite, > 0).
    qty : ndarray, shape (n,)
        Signed shares held.
    w, t : ndarray, shape (n,)
        Current and target weights, fractions of NAV (target 0 where none was given).
    nav : float
        Cash plus market value, currency (> 0).
    cash_w : float
        Cash as a fraction of NAV.
    """

    names: pd.Index
    ids: np.ndarray
    pos: np.ndarray
    price: np.ndarray
    qty: np.ndarray
    w: np.ndarray
    t: np.ndarray
    nav: float
    cash_w: float


def portfolio_view(
    state: PortfolioState, market: Market, targets: pd.Series | Mapping[str, float]
) -> PortfolioView:
    """Lay ``state`` and ``targets`` over ``market`` at its last prices.

    Raises
    ------
    ValidationError
        Malformed targets, or targets naming instruments the market lacks.
    DataError
        A held instrument the market lacks, a missing price, or NAV <= 0.
    """
    tgt = parse_targets(targets, market)
    held = list(getattr(state, "positions", {}))
    missing = [h for h in held if h not in market.instruments]
    if missing:
        raise DataError(f"state: held instrument(s) not in the market: {missing[:10]}")
    wanted = set(held) | set(tgt.index)
    names = pd.Index([i for i in market.instruments if i in wanted], name="instrument_id")
    pos = market.instruments.get_indexer(names)
    price = market.last_prices.to_numpy(dtype=float)[pos]
    bad = ~(np.isfinite(price) & (price > 0))
    if bad.any():
        raise DataError(
            f"market: no usable last price for held or targeted instrument(s) "
            f"{list(names[bad])[:10]} (NaN, stale or delisted)"
        )
    qty = state.quantities(list(names)) if len(names) else np.zeros(0)
    mv = qty * price
    nav = math.fsum([float(state.cash), *mv.tolist()])
    if not nav > 0:
        raise DataError(f"state: net asset value is {nav!r}; weights need NAV > 0")
    t = tgt.reindex(names, fill_value=0.0).to_numpy(dtype=float)
    ids = np.array([str(i) for i in names], dtype=object)
    return PortfolioView(names, ids, pos, price, qty, mv / nav, t, nav, float(state.cash) / nav)


def _per_instrument(value: Any, names: pd.Index, what: str, *, integer: bool = False) -> np.ndarray:
    """A scalar or a Series/mapping over ``names`` (missing ones: an error) as an array."""
    if isinstance(value, Mapping) and not isinstance(value, pd.Series):
        value = pd.Series(dict(value), dtype=object)
    ids = [str(n) for n in names]
    if isinstance(value, pd.Series):
        lookup = dict(zip(map(str, value.index), value.tolist(), strict=True))
        absent = [n for n in ids if n not in lookup]
        if absent:
            raise ValidationError(f"{what}: no value for instrument(s) {absent[:10]}")
        raw = [lookup[n] for n in ids]
    else:
        raw = [value] * len(ids)
    out = np.empty(len(ids))
    for k, v in enumerate(raw):
        where = f"{what}.{ids[k]}" if isinstance(value, pd.Series) else what
        if isinstance(v, bool | np.bool_) or not isinstance(v, int | float | np.number):
            raise ValidationError(f"{where}: must be a number (got {v!r})")
        x = float(v)
        if not math.isfinite(x) or x < 0 or (integer and (x < 1 or x != round(x))):
            need = "an integer >= 1" if integer else "finite and >= 0"
            raise ValidationError(f"{where}: must be {need} (got {v!r})")
        out[k] = x
    return out


def band_edges(
    t: np.ndarray, width: np.ndarray, band_type: BandType
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper band edges around targets ``t`` (see :class:`BandType`)."""
    if band_type is BandType.ABSOLUTE:
        return t - width, t + width
    a, b = t * (1 - width), t * (1 + width)
    return np.minimum(a, b), np.maximum(a, b)


# --------------------------------------------------------------------------- solvers


def _lp(
    unit: np.ndarray,
    lb: np.ndarray,
    ub: np.ndarray,
    cost: np.ndarray,
    cash_room: float,
    max_turnover: float | None,
    integer: bool,
) -> tuple[np.ndarray | None, str]:
    """Solve the rebalancing program in units of ``unit`` weight each (1 for weights, a lot's
    weight for lots). Variables ``[buys, sells]`` with bounds ``lb``, ``ub`` (length 2n).

    Returns the solution (None when infeasible) and HiGHS's message.
    """
    from scipy.optimize import Bounds, LinearConstraint, linprog, milp

    u2 = np.r_[unit, unit]
    c = np.r_[1 + cost, 1 + cost] * u2
    rows = [np.r_[(1 + cost) * unit, -(1 - cost) * unit]]
    rhs = [cash_room + 1e-12]
    if max_turnover is not None:
        rows.append(u2)
        rhs.append(max_turnover + _EPS)  # a cap met exactly is met
    a = np.vstack(rows)
    if integer:
        res = milp(
            c,
            integrality=np.ones(len(c)),
            bounds=Bounds(lb, ub),
            constraints=LinearConstraint(a, -np.inf, np.asarray(rhs)),
            options={"mip_rel_gap": 1e-9, "time_limit": 60.0},
        )
        ok = res.status == 0 and res.x is not None
    else:
        res = linprog(c, A_ub=a, b_ub=np.asarray(rhs), bounds=np.c_[lb, ub], method="highs")
        ok = res.status == 0
    return (np.asarray(res.x, dtype=float) if ok else None), str(res.message)


def _explain(
    lo: np.ndarray,
    w: np.ndarray,
    cost: np.ndarray,
    cash_room: float,
    max_turnover: float | None,
    need_turnover: float | None,
) -> str:
    """Why the continuous program has no solution."""
    # the most cash any in-band portfolio leaves: every weight at its lower edge
    free = float(np.sum(np.where(w > lo, (1 - cost) * (w - lo), -(1 + cost) * (lo - w))))
    if free + cash_room < -_EPS:
        return (
            f"the bands cannot be funded: even with every weight at its lower band edge "
            f"(sum {lo.sum():.4f} of NAV) cash ends {-(free + cash_room):.4f} of NAV below "
            f"min_cash; widen the bands, lower the targets or lower min_cash"
        )
    if max_turnover is not None and need_turnover is not None:
        return (
            f"bringing every weight inside its band needs turnover of at least "
            f"{need_turnover:.4f} of NAV, above max_turnover={max_turnover:.4f}"
        )
    return "the rebalancing program is infeasible"


def recommend_trades(
    state: PortfolioState,
    market: Market,
    targets: pd.Series | Mapping[str, float],
    *,
    bands: float | pd.Series | Mapping[str, float] = 0.02,
    band_type: BandType | str = BandType.ABSOLUTE,
    cost: float | pd.Series | Mapping[str, float] = 0.001,
    max_turnover: float | None = None,
    lot_size: int | pd.Series | Mapping[str, int] = 1,
    min_cash: float = 0.0,
    allow_short: bool = False,
) -> pd.DataFrame:
    """The least-cost trade list, in whole lots, that brings every weight inside its band.

    Parameters
    ----------
    state : PortfolioState
        Current holdings and cash; valued at ``market.last_prices``. Never mutated.
    market : Market
        Prices (last valid price per instrument). Never mutated.
    targets : Series or mapping
        Instrument id -> target weight, fraction of NAV (negative for a short). Instruments held
        but absent here have target 0. Weights need not sum to 1 (the rest is cash).
    bands : float, Series or mapping, default 0.02
        Tolerance band half-width per instrument (``>= 0``), read as ``band_type`` says.
    band_type : BandType or str, default ABSOLUTE
        ``ABSOLUTE``: ``[t - b, t + b]``; ``RELATIVE``: ``[t (1 - b), t (1 + b)]``.
    cost : float, Series or mapping, default 0.001
        Proportional transaction cost, a fraction of traded notional (0.001 = 10 bp), ``>= 0``.
    max_turnover : float, optional
        Cap on turnover ``sum(|trade weight|)`` (buys plus sells, fraction of NAV) -- the
        measure the coordination engine caps with a request's ``max_turnover``.
    lot_size : int, Series or mapping, default 1
        Shares per lot (integer >= 1); trades are whole lots.
    min_cash : float, default 0.0
        Cash left after trades and costs, at least this fraction of NAV (0: no borrowing;
        negative allows borrowing).
    allow_short : bool, default False
        When False, bands are clipped at zero (no trade crosses into a short) and negative
        targets or held shorts are an error; when True, bands are used as given.

    Returns
    -------
    DataFrame, index ``instrument_id``
        One row per instrument held or targeted, in market order, with the columns of
        :data:`TRADE_COLUMNS`: ``price``; ``current_weight``, ``target_weight``, ``band_lower``,
        ``band_upper`` (fractions of pre-trade NAV); ``exact_trade_weight`` (the continuous
        optimum, before whole lots); ``shares`` (int64, signed: > 0 buy); ``trade_weight``
        (``shares * price / NAV``); ``notional`` (``shares * price``, currency, signed);
        ``cost`` (``|notional| * cost``, currency); ``new_weight``; ``in_band`` (bool). Rows with
        ``shares == 0`` are not traded.

    Raises
    ------
    ValidationError
        Malformed targets, bands, costs, lot sizes or limits (the message names which).
    DataError
        A held or targeted instrument without a usable price, or NAV <= 0.
    InfeasibleError
        No trade list satisfies the bands, the cash floor and ``max_turnover``; the message says
        which of them conflict and by how much.

    Notes
    -----
    The continuous program (see the module docstring) is solved first: when cash allows, its
    optimum trades only instruments outside their bands, each to its nearest band edge. The
    whole-lot program then moves each traded instrument onto the lot grid inside its band (so a
    rounded trade goes slightly past the edge, into the band, never out of it). A band narrower
    than one lot that holds no reachable weight gets the nearest reachable weight and
    ``in_band`` False. Weights and bands refer to the pre-trade NAV; costs reduce NAV by
    ``sum(cost) / NAV`` (0.1% × turnover at 10 bp).
    """
    try:
        band_type = BandType(band_type)
    except ValueError:
        raise ValidationError(
            f"band_type must be one of {[b.value for b in BandType]}, got {band_type!r}"
        ) from None
    for name, v in (("max_turnover", max_turnover), ("min_cash", min_cash)):
        if v is None and name == "max_turnover":
            continue
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise ValidationError(f"{name} must be a finite number (got {v!r})")
    if max_turnover is not None and max_turnover < 0:
        raise ValidationError(f"max_turnover must be >= 0 (got {max_turnover!r})")
    view = portfolio_view(state, market, targets)
    names, w, t = view.names, view.w, view.t
    width = _per_instrument(bands, names, "bands")
    costs = _per_instrument(cost, names, "cost")
    if (costs >= 1).any():
        raise ValidationError("cost: must be < 1 (a fraction of traded notional)")
    lots = _per_instrument(lot_size, names, "lot_size", integer=True)
    lo, hi = band_edges(t, width, band_type)
    if not allow_short:
        short = names[(t < 0) | (w < 0)]
        if len(short):
            raise ValidationError(
                f"targets/state: short weight(s) for {list(short)[:10]}; pass allow_short=True"
            )
        lo = np.maximum(lo, 0.0)
    cash_room = view.cash_w - float(min_cash)
    n = len(names)

    # continuous optimum: the least-cost weights
    lb = np.r_[np.maximum(lo - w, 0), np.maximum(w - hi, 0)]
    ub = np.r_[np.maximum(hi - w, 0), np.maximum(w - lo, 0)]
    x, _ = _lp(np.ones(n), lb, ub, costs, cash_room, max_turnover, integer=False)
    if x is None:
        need = None
        if max_turnover is not None:
            free, _ = _lp(np.ones(n), lb, ub, np.zeros(n), cash_room, None, integer=False)
            need = None if free is None else float(free.sum())
        raise InfeasibleError(_explain(lo, w, costs, cash_room, max_turnover, need))
    exact = x[:n] - x[n:]

    # whole lots: lot counts k with w + k * unit inside the band
    unit = lots * view.price / view.nav
    kmin = np.ceil((lo - w) / unit - _EPS)
    kmax = np.floor((hi - w) / unit + _EPS)
    gap = kmin > kmax  # no reachable weight inside the band: take the nearest one
    if gap.any():
        below = w + kmax * unit  # < lo
        above = w + kmin * unit  # > hi
        near = np.where(lo - below <= above - hi, kmax, kmin)
        kmin, kmax = np.where(gap, near, kmin), np.where(gap, near, kmax)
    lb = np.r_[np.maximum(kmin, 0), np.maximum(-kmax, 0)]
    ub = np.r_[np.maximum(kmax, 0), np.maximum(-kmin, 0)]
    k, msg = _lp(unit, lb, ub, costs, cash_room, max_turnover, integer=True)
    if k is None:
        raise InfeasibleError(
            "the bands can be met in fractional shares but not in whole lots within the cash "
            f"floor and turnover cap (HiGHS: {msg}); widen the bands or relax min_cash / "
            "max_turnover"
        )
    count = np.rint(k[:n] - k[n:])
    shares = (count * lots).astype(np.int64)
    notional = shares * view.price
    new_w = w + notional / view.nav
    tol = _EPS * np.maximum(1.0, np.abs(new_w))
    frame = pd.DataFrame(
        {
            "price": view.price,
            "current_weight": w,
            "target_weight": t,
            "band_lower": lo,
            "band_upper": hi,
            "exact_trade_weight": exact,
            "shares": shares,
            "trade_weight": notional / view.nav,
            "notional": notional,
            "cost": np.abs(notional) * costs,
            "new_weight": new_w,
            "in_band": (new_w >= lo - tol) & (new_w <= hi + tol),
        },
        index=names,
    )
    return frame
