"""The tax-lot engine behind :mod:`portlab.analytics.tax`: lots, relief orders, the wash-sale
replay and the parsing of trade records. Private: use :mod:`portlab.analytics.tax`.

Conventions (shared with :mod:`portlab.analytics.tax`)
------------------------------------------------------
* quantities are share counts (floats; fractional shares allowed), long positions only;
* prices and amounts are in currency; fees are currency amounts ``>= 0`` (one implied by a
  ``total_amount`` may be down to minus a cent: rounding);
* dates are calendar days (``pandas.Timestamp`` at midnight, timezone-naive); a timezone-aware
  time is read in its own timezone (``2025-06-21T23:30-04:00`` is trade date 2025-06-21).
"""

from __future__ import annotations

import bisect
import enum
import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd

from portlab.exceptions import ValidationError
from portlab.records import CLOSE_TOLERANCE, number

if TYPE_CHECKING:
    from portlab.dates import DateLike

__all__ = [
    "WASH_SALE_WINDOW_DAYS",
    "LotMethod",
    "Term",
]

#: Calendar days before and after a loss sale in which buying the same instrument washes it.
WASH_SALE_WINDOW_DAYS = 30

_ONE_DAY = pd.Timedelta(days=1)


class LotMethod(enum.StrEnum):
    """Which lots a sale relieves.

    FIFO: oldest purchase first. LIFO: newest purchase first. HIGHEST_COST: highest cost basis
    per share (price plus allocated fees and wash-sale adjustments) first, ties oldest first,
    which realizes the smallest gain. SPECIFIC: the lots the seller names.
    """

    FIFO = "FIFO"
    LIFO = "LIFO"
    HIGHEST_COST = "HIGHEST_COST"
    SPECIFIC = "SPECIFIC"


class Term(enum.StrEnum):
    """Holding-period class of a gain: LONG when sold after the one-year anniversary of the
    start of the holding period, else SHORT (see :func:`is_long_term`)."""

    SHORT = "SHORT"
    LONG = "LONG"


class Lot(NamedTuple):
    """One open tax lot (immutable).

    ``cost_basis = quantity * price + fees + adjustment``. ``holding_start`` is ``open_date``
    unless a wash sale tacked the sold shares' holding period onto this lot. ``acquisition``
    numbers the purchase that created the lot (pieces split from one purchase share it) and
    ``replacement`` marks shares that already served as a wash-sale replacement.
    """

    lot_id: int
    instrument: str
    open_date: pd.Timestamp
    quantity: float
    price: float
    fees: float
    adjustment: float
    holding_start: pd.Timestamp
    acquisition: int
    replacement: bool

    @property
    def cost_basis(self) -> float:
        return self.quantity * self.price + self.fees + self.adjustment

    @property
    def basis_per_share(self) -> float:
        return self.cost_basis / self.quantity


class Relief(NamedTuple):
    """The part of one lot that one sale relieved (immutable)."""

    lot_id: int
    instrument: str
    open_date: pd.Timestamp
    holding_start: pd.Timestamp
    close_date: pd.Timestamp
    quantity: float
    cost_per_share: float
    sale_price: float
    proceeds: float
    cost_basis: float
    disallowed_loss: float


class Trade(NamedTuple):
    """One parsed trade: signed ``quantity`` (> 0 buys), ``fee`` >= 0, ``lots`` for SPECIFIC."""

    date: pd.Timestamp
    instrument: str
    quantity: float
    price: float
    fee: float
    lots: Iterable[int] | Mapping[int, float] | None
    where: str


# --------------------------------------------------------------------------- dates and terms


def to_date(value: DateLike, where: str) -> pd.Timestamp:
    """``value`` as a timezone-naive calendar date, or ValidationError naming ``where``."""
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError, OverflowError):
        raise ValidationError(f"{where}: not a date (got {value!r})") from None
    if ts is pd.NaT or pd.isna(ts):
        raise ValidationError(f"{where}: missing date (got {value!r})")
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return ts.normalize()


def is_long_term(start: pd.Timestamp, end: pd.Timestamp) -> bool:
    """True when a sale on ``end`` of shares held since ``start`` is long-term.

    The rule: long-term means held more than one year, i.e. sold on a day *after* the one-year
    anniversary of ``start`` (bought 2020-03-15: sold 2021-03-15 is short-term, 2021-03-16
    long-term; bought 2020-02-29: the anniversary is 2021-02-28, so 2021-03-01 is the first
    long-term day). Comparing ``(year, month, day)`` tuples gives exactly this.
    """
    return (end.year, end.month, end.day) > (start.year + 1, start.month, start.day)


def day_key(ts: pd.Timestamp) -> int:
    """``yyyymmdd`` as an int: ``day_key(end) > day_key(start) + 10000`` is
    :func:`is_long_term`."""
    return ts.year * 10000 + ts.month * 100 + ts.day


def first_long_term_date(start: pd.Timestamp) -> pd.Timestamp:
    """The first sale date that is long-term: the day after the one-year anniversary."""
    return start + pd.DateOffset(years=1) + _ONE_DAY


# --------------------------------------------------------------------------- validation


def lot_method(value: LotMethod | str) -> LotMethod:
    """``value`` as a :class:`LotMethod`; ValidationError listing the methods otherwise."""
    try:
        return LotMethod(value)
    except ValueError:
        known = ", ".join(m.value for m in LotMethod)
        raise ValidationError(f"method: unknown lot method {value!r}; use one of {known}") from None


# --------------------------------------------------------------------------- the book


class LotBook:
    """A mutable working copy of a ledger's lots, used for one update and then frozen.

    ``lots`` maps instrument -> tuple (untouched) or list (copied on first write) of lots,
    sorted by ``(open_date, lot_id)``.
    """

    def __init__(self, lots: Mapping[str, tuple[Lot, ...]], next_id: int, next_acq: int) -> None:
        self.lots: dict[str, tuple[Lot, ...] | list[Lot]] = dict(lots)
        self.touched: set[str] = set()
        self.held: dict[str, float] = {}  # shares held per touched instrument
        self.next_id = next_id
        self.next_acq = next_acq
        self.realized: list[Relief] = []
        self.purchases = 0.0
        self.proceeds = 0.0

    def _list(self, inst: str) -> list[Lot]:
        if inst not in self.touched:
            self.lots[inst] = list(self.lots.get(inst, ()))
            self.touched.add(inst)
            self.held[inst] = math.fsum(lot.quantity for lot in self.lots[inst])
        return self.lots[inst]  # type: ignore[return-value]

    def freeze(self) -> dict[str, tuple[Lot, ...]]:
        return {k: tuple(v) for k, v in self.lots.items() if v}

    def _new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def buy(self, t: Trade, pieces: list[list] = ()) -> int:
        """Open lots for buy ``t``; ``pieces`` are pending wash-sale adjustments (lists
        ``[shares, disallowed, tacked_days, wash_row]``, rows filled here). Returns the
        acquisition number."""
        acq = self.next_acq
        self.next_acq += 1
        lots = self._list(t.instrument)
        rest, fee_ps = t.quantity, t.fee / t.quantity
        for m, disallowed, tack, row in pieces:
            lot = Lot(
                self._new_id(),
                t.instrument,
                t.date,
                m,
                t.price,
                fee_ps * m,
                disallowed,
                t.date - pd.Timedelta(days=tack),
                acq,
                True,
            )
            lots.append(lot)
            row.update(
                replacement_lot_id=lot.lot_id,
                adjusted_cost_per_share=lot.basis_per_share,
                adjusted_holding_start=lot.holding_start,
            )
            rest -= m
        if rest > CLOSE_TOLERANCE * t.quantity:
            fees = t.fee - fee_ps * (t.quantity - rest)
            lots.append(
                Lot(
                    self._new_id(),
                    t.instrument,
                    t.date,
                    rest,
                    t.price,
                    fees,
                    0.0,
                    t.date,
                    acq,
                    False,
                )
            )
        self.held[t.instrument] += t.quantity
        self.purchases += t.quantity * t.price + t.fee
        return acq

    def _plan(
        self, lots: list[Lot], t: Trade, qty: float, held: float, method: LotMethod
    ) -> list[tuple]:
        """``(index into lots, shares)`` relieved by selling ``qty`` (<= ``held``)."""
        close_all = qty >= held - CLOSE_TOLERANCE * held
        if method is LotMethod.SPECIFIC:
            return self._plan_specific(lots, t, qty, close_all)
        order = range(len(lots))
        if method is LotMethod.LIFO:
            order = reversed(order)
        elif method is LotMethod.HIGHEST_COST:
            order = sorted(order, key=lambda i: -lots[i].basis_per_share)  # stable: FIFO ties
        plan, left = [], qty
        for i in order:
            q = lots[i].quantity
            take = q if close_all or left >= q - CLOSE_TOLERANCE * q else left
            plan.append((i, take))
            left -= take
            if not close_all and left <= CLOSE_TOLERANCE * qty:
                break
        return plan

    def _plan_specific(self, lots: list[Lot], t: Trade, qty: float, close_all: bool) -> list:
        if t.lots is None:
            raise ValidationError(f"{t.where}: method SPECIFIC needs lots= (lot ids to relieve)")
        index = {lot.lot_id: i for i, lot in enumerate(lots)}
        if isinstance(t.lots, Mapping):
            asked = [
                (k, number(v, f"{t.where}: lots[{k!r}]", positive=True)) for k, v in t.lots.items()
            ]
        elif isinstance(t.lots, Iterable) and not isinstance(t.lots, str | bytes):
            asked = [(k, None) for k in t.lots]
        else:
            raise ValidationError(f"{t.where}: lots: expected lot ids or {{lot_id: shares}}")
        plan, left, seen = [], qty, set()
        for lot_id, shares in asked:
            i = index.get(lot_id)
            if i is None or lot_id in seen:
                what = "listed twice" if lot_id in seen else f"not an open lot of {t.instrument}"
                raise ValidationError(f"{t.where}: lots: lot {lot_id!r} is {what}")
            seen.add(lot_id)
            q = lots[i].quantity
            if shares is None:
                if left <= CLOSE_TOLERANCE * qty:
                    break
                shares = min(q, left)
            elif shares > q + CLOSE_TOLERANCE * q:
                raise ValidationError(
                    f"{t.where}: lots: {shares:g} shares asked of lot {lot_id}, which holds {q:g}"
                )
            take = q if shares >= q - CLOSE_TOLERANCE * q else shares
            plan.append((i, take))
            left -= take
        if abs(left) > CLOSE_TOLERANCE * max(qty, 1.0) and not (close_all and left < 0):
            raise ValidationError(
                f"{t.where}: lots: the named lots give {qty - left:g} shares, the sale is {qty:g}"
            )
        return plan

    def sell(self, t: Trade, method: LotMethod) -> tuple[list[Relief], set[int]]:
        """Relieve lots for sale ``t`` (``t.quantity < 0``). Returns the reliefs (in relief
        order, not yet recorded) and the acquisitions they came from."""
        qty = -t.quantity
        lots = self._list(t.instrument)
        held = self.held[t.instrument]
        if qty > held + CLOSE_TOLERANCE * max(held, qty):
            raise ValidationError(
                f"{t.where}: selling {qty:g} {t.instrument} on {t.date:%Y-%m-%d} but {held:g} "
                "held; the lot ledger holds long positions only (short sales are not supported)"
            )
        plan = self._plan(lots, t, qty, held, method)
        total = math.fsum(take for _, take in plan)
        reliefs, acqs, gone = [], set(), set()
        for i, take in plan:
            lot = lots[i]
            f = take / lot.quantity
            proceeds = take * t.price - t.fee * (take / total)
            basis = take * lot.price + f * (lot.fees + lot.adjustment)
            reliefs.append(
                Relief(
                    lot.lot_id,
                    lot.instrument,
                    lot.open_date,
                    lot.holding_start,
                    t.date,
                    take,
                    lot.price,
                    t.price,
                    proceeds,
                    basis,
                    0.0,
                )
            )
            acqs.add(lot.acquisition)
            if take == lot.quantity:
                gone.add(i)
            else:
                lots[i] = lot._replace(
                    quantity=lot.quantity - take,
                    fees=lot.fees * (1 - f),
                    adjustment=lot.adjustment * (1 - f),
                )
        if gone:
            lots[:] = [lot for i, lot in enumerate(lots) if i not in gone]
        self.held[t.instrument] = held - total if lots else 0.0
        self.proceeds += qty * t.price - t.fee
        return reliefs, acqs

    def split_replacement(self, lot: Lot, m: float, loss_per_share: float, tack: int) -> Lot:
        """Move ``m`` shares of open ``lot`` into a new replacement lot whose basis carries the
        disallowed ``loss_per_share`` and whose holding period starts ``tack`` days earlier."""
        lots = self._list(lot.instrument)
        i = lots.index(lot, bisect.bisect_left(lots, lot.open_date, key=lambda x: x.open_date))
        if m >= lot.quantity - CLOSE_TOLERANCE * lot.quantity:
            f, m = 1.0, lot.quantity
            del lots[i]
        else:
            f = m / lot.quantity
            lots[i] = lot._replace(
                quantity=lot.quantity - m,
                fees=lot.fees * (1 - f),
                adjustment=lot.adjustment * (1 - f),
            )
        piece = Lot(
            self._new_id(),
            lot.instrument,
            lot.open_date,
            m,
            lot.price,
            lot.fees * f,
            lot.adjustment * f + loss_per_share * m,
            lot.holding_start - pd.Timedelta(days=tack),
            lot.acquisition,
            True,
        )
        bisect.insort(lots, piece, key=lambda x: (x.open_date, x.lot_id))
        return piece


# --------------------------------------------------------------------------- replay


def replay(book: LotBook, trades: list[Trade], method: LotMethod, *, wash: bool) -> list[dict]:
    """Apply ``trades`` (in date order) to ``book``; with ``wash``, apply the wash-sale rule
    knowing the whole list (later purchases included). Returns the wash-sale rows."""
    ctx = _WashContext(trades) if wash else None
    for k, t in enumerate(trades):
        if t.quantity > 0:
            book.buy(t, ctx.pending.pop(k, []) if ctx else ())
            continue
        reliefs, acqs = book.sell(t, method)
        if ctx is not None:
            for n, r in enumerate(reliefs):
                if r.proceeds < r.cost_basis:
                    reliefs[n] = ctx.wash(book, k, r, acqs)
        book.realized.extend(reliefs)
    return ctx.rows if ctx else []


class _WashContext:
    """What the wash-sale replay knows about the whole trade list: every purchase of each
    instrument, the shares of each purchase not yet used as a replacement, and the adjustments
    waiting for purchases not booked yet."""

    def __init__(self, trades: list[Trade]) -> None:
        self.trades = trades
        self.buys: dict[str, list[int]] = {}
        self.capacity: dict[int, float] = {}
        for k, t in enumerate(trades):
            if t.quantity > 0:
                self.buys.setdefault(t.instrument, []).append(k)
                self.capacity[k] = t.quantity
        self.pending: dict[int, list[list]] = {}
        self.rows: list[dict] = []
        self.window = pd.Timedelta(days=WASH_SALE_WINDOW_DAYS)

    def wash(self, book: LotBook, k: int, r: Relief, acqs: set[int]) -> Relief:
        """Match loss relief ``r`` of sale ``trades[k]`` to replacement shares bought within
        the window, oldest purchase first, each share used once; return ``r`` with its
        disallowed loss."""
        t = self.trades[k]
        loss_ps = (r.cost_basis - r.proceeds) / r.quantity
        tack = (t.date - r.holding_start).days
        tol = CLOSE_TOLERANCE * r.quantity
        need = r.quantity
        base = {
            "instrument": t.instrument,
            "sale_date": t.date,
            "sold_lot_id": r.lot_id,
            "loss_per_share": loss_ps,
        }
        # replacements bought before the sale (or earlier the same day) and still held; the
        # rest of a purchase this sale relieves is not a replacement (Rev. Rul. 56-602)
        lots = book._list(t.instrument)  # sorted by open date
        start = bisect.bisect_left(lots, t.date - self.window, key=lambda x: x.open_date)
        before = [
            lot for lot in lots[start:] if not lot.replacement and lot.acquisition not in acqs
        ]
        for lot in before:
            if need <= tol:
                break
            piece = book.split_replacement(lot, min(need, lot.quantity), loss_ps, tack)
            self.rows.append(
                {
                    **base,
                    "quantity": piece.quantity,
                    "disallowed_loss": loss_ps * piece.quantity,
                    "replacement_lot_id": piece.lot_id,
                    "replacement_date": piece.open_date,
                    "adjusted_cost_per_share": piece.basis_per_share,
                    "adjusted_holding_start": piece.holding_start,
                }
            )
            need -= piece.quantity
        # replacements bought after the sale: their lots take the adjustment when booked
        later = self.buys.get(t.instrument, [])
        for j in later[bisect.bisect_right(later, k) :]:
            if need <= tol:
                break
            if self.capacity[j] <= 0:
                continue
            date = self.trades[j].date
            if date > t.date + self.window:
                break
            m = min(need, self.capacity[j])
            self.capacity[j] -= m
            row = {
                **base,
                "quantity": m,
                "disallowed_loss": loss_ps * m,
                "replacement_lot_id": -1,
                "replacement_date": date,
                "adjusted_cost_per_share": np.nan,
                "adjusted_holding_start": pd.NaT,
            }
            self.rows.append(row)
            self.pending.setdefault(j, []).append([m, loss_ps * m, tack, row])
            need -= m
        full = r.cost_basis - r.proceeds
        return r._replace(disallowed_loss=full if need <= tol else loss_ps * (r.quantity - need))
