"""Brinson attribution by group, vectorized over periods with group-aggregation matrices.

Per period ``t`` and group ``g`` (sector by default), with group weights ``w`` and group
returns ``r`` (weight-averaged within the group) of the portfolio (``p``) and the benchmark
(``b``), and the benchmark's total return ``R_b``:

=================  ==============================  ==============================
effect             Brinson-Hood-Beebower (BHB)      Brinson-Fachler (BF)
=================  ==============================  ==============================
allocation         ``(w_p - w_b) r_b``             ``(w_p - w_b)(r_b - R_b)``
selection          ``w_b (r_p - r_b)``              ``w_b (r_p - r_b)``
interaction        ``(w_p - w_b)(r_p - r_b)``      ``(w_p - w_b)(r_p - r_b)``
=================  ==============================  ==============================

Summed over groups, the three effects equal the active return ``R_p - R_b`` of the period
(BF needs both sides' weights to sum to the same total; see "cash" below).

Conventions (each one used is reported in :attr:`BrinsonResult.notes`):

* **group only in the portfolio** (benchmark weight 0): the benchmark group return is
  undefined; ``r_b`` is taken as the benchmark's total return ``R_b``. BHB then books
  ``w_p R_b`` as allocation and ``w_p (r_p - R_b)`` as interaction; BF books no allocation and
  ``w_p (r_p - R_b)`` as interaction. Selection is 0 (``w_b = 0``).
* **group only in the benchmark** (portfolio weight 0): ``r_p`` is taken as ``r_b``: selection
  and interaction are 0, the whole effect ``-w_b r_b`` (BHB) or ``-w_b (r_b - R_b)`` (BF) is
  allocation.
* **cash**: when a side's weights do not sum to 1 in some period, the remainder ``1 - Σ w`` is
  an implicit group :data:`CASH_GROUP` with a zero return (negative when levered). Both sides
  then sum to 1, so the BF identity holds and cash drag shows as an effect. Cash held by one
  side only is taken to earn zero on the other (not ``R_b``): its effect is allocation,
  ``-w_p R_b`` under BF for a portfolio's cash, zero under BHB.
* **degenerate group** (net weight ``|w| <= 1e-12`` but non-zero contribution, e.g. a long-short
  pair netting to zero): its contribution is booked as interaction.
* a weight of NaN is a ``DataError`` naming the side, the instrument, its group and the
  period (it used to count silently as "not held", i.e. as cash): give 0 for an instrument not
  held (``weights.fillna(0.0)`` when that is what NaN means in your data). A NaN return where
  the weight is non-zero is a ``DataError`` too; where the weight is 0 it is ignored.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from portlab.analytics.attribution._linking import Linking, _as_linking, linking_coefficients
from portlab.exceptions import DataError, ValidationError
from portlab.formatting import format_date, format_names, format_value
from portlab.records import as_enum

if TYPE_CHECKING:
    from portlab.analytics.backtest import BacktestResult
    from portlab.market import Market
    from portlab.types import GroupsLike

__all__ = ["CASH_GROUP", "EFFECTS", "BrinsonMethod", "BrinsonResult", "backtest_brinson", "brinson"]

CASH_GROUP = "(cash)"
"""Label of the implicit group holding ``1 - Σ weights`` (zero return)."""

EFFECTS = ("allocation", "selection", "interaction")
"""The three Brinson effects, in order."""

_HELD = 1e-12  # |group weight| above this: the group is held
_CASH_TOL = 1e-9  # |1 - Σ weights| above this: an implicit cash group is added


class BrinsonMethod(enum.StrEnum):
    """Brinson decompositions of :func:`brinson`."""

    BHB = "bhb"  #: Brinson, Hood & Beebower (1986): allocation against zero
    BRINSON_FACHLER = "brinson_fachler"  #: Brinson & Fachler (1985): allocation against R_b


@dataclass(frozen=True, repr=False)
class BrinsonResult:
    """Result of :func:`brinson`. All values are fractions of portfolio value, per period.

    Attributes
    ----------
    allocation, selection, interaction : DataFrame, shape (n_periods, n_groups)
        Effects per period and group.
    total : DataFrame, shape (n_periods, n_groups)
        Sum of the three: the group's contribution to the active return.
    effects : DataFrame, shape (n_periods, 3)
        The three effects summed over groups; each row sums to ``active_return``.
    portfolio_weights, benchmark_weights : DataFrame, shape (n_periods, n_groups)
        Group weights (``CASH_GROUP`` included when added).
    portfolio_group_returns, benchmark_group_returns : DataFrame, shape (n_periods, n_groups)
        Weight-averaged group returns; NaN where the side does not hold the group (the
        conventions in the module docstring say what replaces them).
    portfolio_return, benchmark_return, active_return : Series, shape (n_periods,)
        Total returns per period and their difference.
    linked : DataFrame, shape (n_groups, 4)
        ``allocation, selection, interaction, total`` per group over the whole range, linked by
        ``linking``; they sum to ``linked_active`` (for every linking but ``NONE``).
    coefficients : Series, shape (n_periods,)
        The linking coefficients ``β_t``.
    portfolio_total, benchmark_total : float
        Compounded returns over the range, ``Π(1 + R_t) - 1``.
    method : BrinsonMethod
    linking : Linking
    notes : tuple of str
        Every convention applied (one-sided groups, cash, degenerate groups).
    """

    allocation: pd.DataFrame
    selection: pd.DataFrame
    interaction: pd.DataFrame
    portfolio_weights: pd.DataFrame
    benchmark_weights: pd.DataFrame
    portfolio_group_returns: pd.DataFrame
    benchmark_group_returns: pd.DataFrame
    portfolio_return: pd.Series
    benchmark_return: pd.Series
    linked: pd.DataFrame
    coefficients: pd.Series
    method: BrinsonMethod
    linking: Linking
    notes: tuple[str, ...] = field(default=())

    @property
    def total(self) -> pd.DataFrame:
        """Allocation + selection + interaction per period and group."""
        return self.allocation + self.selection + self.interaction

    @property
    def effects(self) -> pd.DataFrame:
        """The three effects summed over groups, per period."""
        return pd.DataFrame(
            {name: getattr(self, name).sum(axis=1) for name in EFFECTS},
            index=self.allocation.index,
        )

    @property
    def linked_over_time(self) -> pd.DataFrame:
        """The linked effects earned up to each period: ``Σ_{s<=t} β_s · effect_s``.

        Shape (n_periods, 3), columns allocation, selection, interaction, fractions; the last
        row is the range's linked total of each effect (``linked`` summed over groups).
        """
        weighted = self.effects.mul(self.coefficients.to_numpy(), axis=0)
        return weighted.cumsum()

    @property
    def active_return(self) -> pd.Series:
        """Portfolio minus benchmark total return, per period."""
        return (self.portfolio_return - self.benchmark_return).rename("active_return")

    @property
    def portfolio_total(self) -> float:
        """Compounded portfolio return over the range."""
        return float(np.prod(1.0 + self.portfolio_return.to_numpy()) - 1.0)

    @property
    def benchmark_total(self) -> float:
        """Compounded benchmark return over the range."""
        return float(np.prod(1.0 + self.benchmark_return.to_numpy()) - 1.0)

    @property
    def linked_active(self) -> float:
        """Compounded active return ``portfolio_total - benchmark_total``."""
        return self.portfolio_total - self.benchmark_total

    def relink(self, linking: Linking | str) -> pd.DataFrame:
        """The ``linked`` table with another linking method (same shape as :attr:`linked`)."""
        beta = linking_coefficients(
            self.portfolio_return.to_numpy(), self.benchmark_return.to_numpy(), linking
        )
        return _linked_table(beta, self.allocation, self.selection, self.interaction)

    def __repr__(self) -> str:
        t, g = self.allocation.shape
        sums = self.linked.sum()
        return (
            f"BrinsonResult(method={self.method}, linking={self.linking}, periods={t}, groups={g}, "
            f"active={self.linked_active:.6f}, allocation={sums['allocation']:.6f}, "
            f"selection={sums['selection']:.6f}, interaction={sums['interaction']:.6f}, "
            f"notes={len(self.notes)})"
        )


def _linked_table(beta: np.ndarray, *effects: pd.DataFrame) -> pd.DataFrame:
    cols = {name: beta @ e.to_numpy() for name, e in zip(EFFECTS, effects, strict=True)}
    table = pd.DataFrame(cols, index=effects[0].columns)
    table["total"] = table[list(EFFECTS)].sum(axis=1)
    return table


# --------------------------------------------------------------------------- inputs
def _frame(
    data: pd.DataFrame | pd.Series | Mapping[str, float], what: str, index: pd.Index | None
) -> pd.DataFrame:
    """A numeric DataFrame on ``index`` (a static Series is broadcast over the periods)."""
    if isinstance(data, Mapping):
        data = pd.Series(dict(data), dtype=object)
    if isinstance(data, pd.Series):
        if index is None:
            raise ValidationError(f"{what} must be a DataFrame (periods × instruments)")
        values = pd.to_numeric(data, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        bad = np.isnan(values) & data.notna().to_numpy()
        if bad.any():
            i = int(np.argmax(bad))
            raise ValidationError(
                f"{what}: the weight of {format_value(data.index[i])} is not a number "
                f"(got {format_value(data.iloc[i])})"
            )
        data = pd.DataFrame(
            np.broadcast_to(values, (len(index), len(data))),
            index=index,
            columns=data.index,
        )
    if not isinstance(data, pd.DataFrame):
        raise ValidationError(f"{what} must be a DataFrame, got {type(data).__name__}")
    if not data.columns.is_unique:
        dup = data.columns[data.columns.duplicated()][0]
        raise ValidationError(f"{what}: duplicate instrument column {format_value(dup)}")
    if index is not None and not data.index.equals(index):
        raise ValidationError(
            f"{what} must have the same periods (index) as portfolio_returns"
            f" ({len(data.index)} vs {len(index)} rows)"
        )
    for dtype in set(data.dtypes):
        if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
            col = data.columns[(data.dtypes == dtype).to_numpy()][0]
            raise ValidationError(
                f"{what}: column {format_value(col)} is not numeric (dtype {dtype})"
            )
    return data


def _side(
    weights: pd.DataFrame, returns: pd.DataFrame, what: str, groups: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Instrument weights and contributions ``w r`` (T × n, on ``weights``' columns)."""
    w = weights.to_numpy(dtype=np.float64, na_value=np.nan)
    if returns.columns.equals(weights.columns):
        r = returns.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        r = returns.reindex(columns=weights.columns).to_numpy(dtype=np.float64, na_value=np.nan)
    for name, a in (("weights", w), ("returns", r)):
        if not np.isfinite(a.sum()):  # cheap test first; NaN is handled below
            inf = np.isinf(a)
            if inf.any():
                raise DataError(f"{what} {name}: infinite value for {_where(inf, weights, groups)}")
    w_nan = np.isnan(w)
    if w_nan.any():
        raise DataError(
            f"{what} weights: NaN for {_where(w_nan, weights, groups)} "
            f"({int(w_nan.sum())} NaN in all); give 0 for an instrument not held "
            "(e.g. weights.fillna(0.0))"
        )
    r_nan = np.isnan(r)
    if r_nan.any():
        bad = r_nan & (w != 0.0)
        if bad.any():
            raise DataError(
                f"{what}: {_where(bad, weights, groups)} has a weight but no return "
                "(NaN or missing column)"
            )
        r = np.where(r_nan, 0.0, r)
    return w, w * r


def _where(mask: np.ndarray, frame: pd.DataFrame, groups: Any = None) -> str:
    """ "instrument 'X' (group 'G') at period 2021-01-05" for the first True of ``mask``."""
    row, col = np.argwhere(mask)[0]
    inst, period = frame.columns[col], frame.index[row]
    when = format_date(period) if isinstance(period, pd.Timestamp) else format_value(period)
    group = ""
    if groups is not None:
        label = _group_of(groups, inst)
        group = f" (group {format_value(label)})" if label is not None else ""
    return f"instrument {format_value(inst)}{group} at period {when}"


def _group_of(groups: Any, instrument: Any) -> Any:
    """The group label of one instrument, or None (used in messages only)."""
    if hasattr(groups, "sectors") and not isinstance(groups, pd.Series | Mapping):
        groups = groups.sectors
    try:
        label = groups.get(instrument) if isinstance(groups, pd.Series | Mapping) else None
    except (TypeError, ValueError):
        return None
    return None if label is None or (not isinstance(label, str) and pd.isna(label)) else label


def _group_labels(groups: GroupsLike | Market, instruments: pd.Index) -> np.ndarray:
    if hasattr(groups, "sectors") and not isinstance(groups, pd.Series | Mapping):
        groups = groups.sectors  # a Market
    if isinstance(groups, Mapping):
        groups = pd.Series(dict(groups), dtype=object)
    if not isinstance(groups, pd.Series):
        raise ValidationError(
            f"groups must be a Series or mapping instrument → group (or a Market), "
            f"got {type(groups).__name__}"
        )
    if not groups.index.is_unique:
        raise ValidationError("groups: duplicate instruments in the mapping")
    labels = groups.reindex(instruments)
    missing = labels.isna().to_numpy()
    if missing.any():
        names = format_names(instruments[missing])
        raise DataError(f"groups: no group for instrument(s) {names} ({int(missing.sum())} in all)")
    return labels.astype(str).to_numpy()


def _aggregate(labels: np.ndarray, order: pd.Index) -> np.ndarray:
    """One-hot group-aggregation matrix (n_instruments × n_groups)."""
    m = np.zeros((len(labels), len(order)))
    m[np.arange(len(labels)), order.get_indexer(labels)] = 1.0
    return m


# --------------------------------------------------------------------------- Brinson
def brinson(
    portfolio_weights: pd.DataFrame | pd.Series | Mapping[str, float],
    portfolio_returns: pd.DataFrame,
    benchmark_weights: pd.DataFrame | pd.Series | Mapping[str, float],
    benchmark_returns: pd.DataFrame | None,
    groups: GroupsLike | Market,
    *,
    method: BrinsonMethod | str = BrinsonMethod.BRINSON_FACHLER,
    linking: Linking | str = Linking.CARINO,
) -> BrinsonResult:
    """Brinson attribution of the active return per period and group, linked over the range.

    Parameters
    ----------
    portfolio_weights : DataFrame, shape (n_periods, n_instruments), Series or mapping
        Portfolio weights (fractions of portfolio value) held **over** each period: row ``t``
        earns row ``t`` of the returns (beginning-of-period weights). A Series or mapping
        (instrument → weight) is a static weight vector used in every period. For a backtest
        result use :func:`~portlab.analytics.attribution.backtest_brinson`, which shifts its
        end-of-day weights onto the next period's returns. No NaN: 0 for an instrument not
        held (a NaN is a ``DataError``, never taken as cash).
    portfolio_returns : DataFrame, shape (n_periods, n_instruments)
        Simple per-period instrument returns (fractions); its index defines the periods. NaN
        only where the weight is 0.
    benchmark_weights : DataFrame, Series or mapping
        Benchmark weights, as ``portfolio_weights``.
    benchmark_returns : DataFrame, optional
        Instrument returns for the benchmark side; ``None`` uses ``portfolio_returns``.
    groups : Series, mapping or Market
        Instrument → group label (str, :data:`~portlab.types.GroupsLike`); a ``Market`` gives
        its ``sectors``. Every weighted instrument needs a group.
    method : BrinsonMethod or str
        ``BRINSON_FACHLER`` (default) or ``BHB``.
    linking : Linking or str
        Multi-period linking of the ``linked`` table (``CARINO`` default).

    Returns
    -------
    BrinsonResult
        Per period and group effects and their linked totals; ``notes`` lists the conventions
        applied (see the module docstring).

    Raises
    ------
    ValidationError
        Wrong types, mismatched periods, duplicate columns, unknown method.
    DataError
        A NaN or infinite weight, an infinite return, a weighted instrument without a return
        or without a group; the message names the side, the instrument, its group and the
        period.

    Notes
    -----
    Cost: four (n_periods × n_instruments) element-wise passes and four matrix products with the
    (n_instruments × n_groups) aggregation matrices; no loop over periods.
    """
    method = as_enum(BrinsonMethod, method, "method")
    linking = _as_linking(linking)
    pr = _frame(portfolio_returns, "portfolio_returns", None)
    periods = pr.index
    br = (
        pr if benchmark_returns is None else _frame(benchmark_returns, "benchmark_returns", periods)
    )
    pw = _frame(portfolio_weights, "portfolio_weights", periods)
    bw = _frame(benchmark_weights, "benchmark_weights", periods)
    wp, cp = _side(pw, pr, "portfolio", groups)
    wb, cb = _side(bw, br, "benchmark", groups)

    lab_p, lab_b = _group_labels(groups, pw.columns), _group_labels(groups, bw.columns)
    order = pd.Index(sorted(set(lab_p) | set(lab_b)), dtype=object)
    mp, mb = _aggregate(lab_p, order), _aggregate(lab_b, order)
    from threadpoolctl import threadpool_limits

    # skinny products (n_instruments × n_groups): one BLAS thread is twice as fast as two here
    with threadpool_limits(1, user_api="blas"):
        gwp, gcp, gwb, gcb = wp @ mp, cp @ mp, wb @ mb, cb @ mb

    notes: list[str] = []
    cash_p, cash_b = 1.0 - gwp.sum(axis=1), 1.0 - gwb.sum(axis=1)
    if (np.abs(cash_p) > _CASH_TOL).any() or (np.abs(cash_b) > _CASH_TOL).any():
        if CASH_GROUP not in order:
            order = order.append(pd.Index([CASH_GROUP], dtype=object))
            zeros = np.zeros((len(periods), 1))
            gwp, gcp, gwb, gcb = (np.hstack([a, zeros]) for a in (gwp, gcp, gwb, gcb))
        j = order.get_loc(CASH_GROUP)
        gwp[:, j] += cash_p
        gwb[:, j] += cash_b
        for side, cash in (("portfolio", cash_p), ("benchmark", cash_b)):
            off = cash[np.abs(cash) > _CASH_TOL]
            if len(off):
                lo, hi = f"{off.min():.6g}", f"{off.max():.6g}"
                amount = lo if lo == hi else f"from {lo} to {hi}"
                notes.append(
                    f"{side} weights do not sum to 1 in {len(off)} period(s): the remainder "
                    f"({amount}) is the group {CASH_GROUP!r} with a zero return"
                )

    held_p, held_b = np.abs(gwp) > _HELD, np.abs(gwb) > _HELD
    with np.errstate(invalid="ignore", divide="ignore"):
        rp_g = np.where(held_p, gcp / np.where(held_p, gwp, 1.0), np.nan)
        rb_g = np.where(held_b, gcb / np.where(held_b, gwb, 1.0), np.nan)
    total_p, total_b = gcp.sum(axis=1), gcb.sum(axis=1)
    fallback = np.broadcast_to(total_b[:, None], rb_g.shape).copy()
    if CASH_GROUP in order:
        fallback[:, order.get_loc(CASH_GROUP)] = 0.0  # cash earns zero on both sides
    rb_used = np.where(held_b, rb_g, fallback)  # group only in the portfolio: R_b
    rp_used = np.where(held_p, rp_g, rb_used)  # group only in the benchmark: r_b
    dw = gwp - gwb
    alloc = (
        dw * (rb_used - total_b[:, None])
        if method is BrinsonMethod.BRINSON_FACHLER
        else dw * rb_used
    )
    select = gwb * (rp_used - rb_used)
    inter = dw * (rp_used - rb_used)
    # degenerate groups: net weight ~0 but a contribution (long-short netting): into interaction
    degen_p = np.where(held_p, 0.0, gcp - gwp * rp_used)
    degen_b = np.where(held_b, 0.0, gcb - gwb * rb_used)
    inter = inter + degen_p - degen_b

    for g, name in enumerate(order):
        only_p = int((held_p[:, g] & ~held_b[:, g]).sum())
        only_b = int((held_b[:, g] & ~held_p[:, g]).sum())
        if only_p and name != CASH_GROUP:
            notes.append(
                f"group {name!r} is held by the portfolio but not the benchmark in {only_p} "
                "period(s): its benchmark return is the benchmark's total return"
            )
        if only_b and name != CASH_GROUP:
            notes.append(
                f"group {name!r} is in the benchmark but not the portfolio in {only_b} "
                "period(s): its portfolio return is taken as the benchmark's (allocation only)"
            )
        n_deg = int(((~held_p[:, g]) & (gcp[:, g] != 0) | (~held_b[:, g]) & (gcb[:, g] != 0)).sum())
        if n_deg:
            notes.append(
                f"group {name!r} has a ~zero net weight but a non-zero contribution in {n_deg} "
                "period(s): booked as interaction"
            )

    def frame(a: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(a, index=periods, columns=order.copy())

    alloc_f, select_f, inter_f = frame(alloc), frame(select), frame(inter)
    beta = linking_coefficients(total_p, total_b, linking)
    return BrinsonResult(
        allocation=alloc_f,
        selection=select_f,
        interaction=inter_f,
        portfolio_weights=frame(gwp),
        benchmark_weights=frame(gwb),
        portfolio_group_returns=frame(rp_g),
        benchmark_group_returns=frame(rb_g),
        portfolio_return=pd.Series(total_p, index=periods, name="portfolio_return"),
        benchmark_return=pd.Series(total_b, index=periods, name="benchmark_return"),
        linked=_linked_table(beta, alloc_f, select_f, inter_f),
        coefficients=pd.Series(beta, index=periods, name="coefficient"),
        method=method,
        linking=linking,
        notes=tuple(notes),
    )


# --------------------------------------------------------------------------- backtests
def backtest_brinson(
    result: BacktestResult,
    market: Market,
    benchmark_weights: pd.DataFrame | pd.Series | Mapping[str, float],
    *,
    groups: GroupsLike | Market | None = None,
    method: BrinsonMethod | str = BrinsonMethod.BRINSON_FACHLER,
    linking: Linking | str = Linking.CARINO,
) -> BrinsonResult:
    """Brinson attribution of a backtest (:class:`~portlab.analytics.backtest.BacktestResult`).

    The backtest's ``weights`` are end-of-day holdings (after that day's fills), so row ``t``
    earns the return of period ``t + 1``: they are shifted by one period onto the market's
    returns from the backtest's second date on. Capital not invested is cash
    (:data:`CASH_GROUP`). A held instrument without a price on a day (the backtest values it at
    its last price) gets a zero return that day.

    Parameters
    ----------
    result : BacktestResult
        Needs ``weights`` (dates × instruments) and ``returns`` (daily equity returns).
    market : portlab.Market
        The backtest's market: instrument ``returns`` and, by default, ``sectors`` as groups.
    benchmark_weights : DataFrame on the backtest's dates from the second on, Series or mapping
        Benchmark weights per instrument (a Series or mapping is used in every period).
    groups : Series, mapping or Market, optional
        Instrument → group (:data:`~portlab.types.GroupsLike`); the market's sectors by
        default.
    method, linking : see :func:`brinson`.

    Returns
    -------
    BrinsonResult
        With a note giving the largest gap between the backtest's equity return and the
        attributed portfolio return (transaction costs, which Brinson does not see).
    """
    weights = getattr(result, "weights", None)
    if not isinstance(weights, pd.DataFrame) or len(weights) < 2:
        raise ValidationError("result must be a backtest result with at least two dates of weights")
    held = weights.shift(1).iloc[1:]
    returns = market.returns.reindex(index=held.index, columns=held.columns)
    returns = returns.where(returns.notna() | (held.fillna(0.0) == 0.0), 0.0)
    res = brinson(
        held,
        returns,
        benchmark_weights,
        None,
        market if groups is None else groups,
        method=method,
        linking=linking,
    )
    equity_ret = getattr(result, "returns", None)
    if isinstance(equity_ret, pd.Series):
        gap = (equity_ret.reindex(held.index) - res.portfolio_return).abs().max()
        note = (
            f"largest daily gap between the backtest's equity return and the attributed "
            f"portfolio return: {gap:.3g} (transaction costs are not attributed)"
        )
        res = dataclasses.replace(res, notes=(*res.notes, note))
    return res
