"""The tax-lot ledger: :class:`LotLedger` (lots, reliefs, realized and unrealized gains) and
:func:`wash_sales`. Conventions are in :mod:`portlab.analytics.tax`; the lot engine is in
:mod:`._lots`, the reading of trades in :mod:`._io`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from portlab.analytics.tax._io import parse_trades, prices_at, trades_from_events
from portlab.analytics.tax._lots import (
    Lot,
    LotBook,
    LotMethod,
    Relief,
    Term,
    Trade,
    day_key,
    first_long_term_date,
    lot_method,
    replay,
    to_date,
)
from portlab.exceptions import ValidationError
from portlab.records import Frozen, freeze, instrument_id, make_frozen, number
from portlab.records import price as _price

if TYPE_CHECKING:
    from portlab.dates import DateLike
    from portlab.types import ExecutionsLike, PricesLike, TradesLike

__all__ = ["LotLedger", "wash_sales"]

_WASH_COLUMNS = (
    "instrument",
    "sale_date",
    "sold_lot_id",
    "quantity",
    "loss_per_share",
    "disallowed_loss",
    "replacement_lot_id",
    "replacement_date",
    "adjusted_cost_per_share",
    "adjusted_holding_start",
)


def _dates(values: list) -> np.ndarray:
    out = np.array([v.to_datetime64() for v in values], dtype="datetime64[ns]")
    return out.reshape(-1)


def _floats(values: list) -> np.ndarray:
    return np.array(values, dtype=float).reshape(-1)


def _ints(values: list) -> np.ndarray:
    return np.array(values, dtype=np.int64).reshape(-1)


def _strs(values: list) -> Any:
    return pd.array(values, dtype="str")


def _term(start: pd.Timestamp, end_key: int) -> str:
    """SHORT / LONG for shares held since ``start`` and sold on the day ``end_key``."""
    return Term.LONG.value if end_key > day_key(start) + 10000 else Term.SHORT.value


def _chain_rows(chain: tuple | None) -> list[Relief]:
    """Rows of a persistent realized chain ``(previous chain, rows)``, oldest first."""
    parts = []
    while chain is not None:
        chain, rows = chain
        parts.append(rows)
    return [row for rows in reversed(parts) for row in rows]


class LotLedger(Frozen):
    """An immutable record of open tax lots and realized gains.

    ``LotLedger()`` is empty; :meth:`buy`, :meth:`sell` and :meth:`apply` return new ledgers;
    :meth:`from_trades` builds one from a trades table or executed events. Lot ids are
    consecutive integers from 0 in the order lots open (a wash-sale replacement split off a
    lot takes the next id), so they are known in advance for :attr:`LotMethod.SPECIFIC`.
    Equal ledgers compare equal; ledgers pickle. Units and rules: :mod:`portlab.analytics.tax`.

    Examples
    --------
    >>> led = LotLedger().buy("AAPL", "2020-01-02", 10, 100.0).buy("AAPL", "2020-06-01", 10, 80.0)
    >>> led, realized = led.sell("AAPL", "2021-03-01", 15, 90.0, method=LotMethod.FIFO)
    >>> realized[["lot_id", "quantity", "gain", "term"]].to_numpy().tolist()
    [[0, 10.0, -100.0, 'LONG'], [1, 5.0, 50.0, 'SHORT']]
    """

    __slots__ = (
        "_last",
        "_lots",
        "_next_acq",
        "_next_id",
        "_proceeds",
        "_purchases",
        "_realized",
        "_wash",
    )

    frozen_hint = "buy/sell/apply return a new ledger"

    def __init__(self) -> None:
        freeze(
            self,
            _lots={},
            _realized=None,
            _next_id=0,
            _next_acq=0,
            _last=None,
            _purchases=0.0,
            _proceeds=0.0,
            _wash=(),
        )

    def __getstate__(self) -> dict[str, Any]:
        """The state to pickle, with the realized chain flattened (a deep chain would recurse)."""
        state = super().__getstate__()
        rows = tuple(_chain_rows(self._realized))
        state["_realized"] = (None, rows) if rows else None
        return state

    def _key(self) -> tuple:
        return (
            self._lots,
            _chain_rows(self._realized),
            self._purchases,
            self._proceeds,
            self._wash,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LotLedger):
            return NotImplemented
        return self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        n = sum(map(len, self._lots.values()))
        return (
            f"LotLedger({n} open lots in {len(self._lots)} instruments, "
            f"{len(_chain_rows(self._realized))} realized reliefs)"
        )

    # -- updates ---------------------------------------------------------------------------
    def _update(
        self, trades: list[Trade], method: LotMethod | str, *, wash: bool = False
    ) -> LotLedger:
        method = lot_method(method)
        if trades and self._last is not None and trades[0].date < self._last:
            t = trades[0]
            raise ValidationError(
                f"{t.where}: date {t.date:%Y-%m-%d} is before the ledger's last trade "
                f"{self._last:%Y-%m-%d}; trades must come in date order"
            )
        if method is not LotMethod.SPECIFIC:
            for t in trades:
                if t.quantity < 0 and t.lots is not None:
                    raise ValidationError(f"{t.where}: lots are only read with method=SPECIFIC")
        book = LotBook(self._lots, self._next_id, self._next_acq)
        rows = replay(book, trades, method, wash=wash)
        realized = (self._realized, tuple(book.realized)) if book.realized else self._realized
        wash_rows = self._wash + tuple(tuple(r[c] for c in _WASH_COLUMNS) for r in rows)
        return make_frozen(
            LotLedger,
            _lots=book.freeze(),
            _realized=realized,
            _next_id=book.next_id,
            _next_acq=book.next_acq,
            _last=trades[-1].date if trades else self._last,
            _purchases=self._purchases + book.purchases,
            _proceeds=self._proceeds + book.proceeds,
            _wash=wash_rows,
        )

    def buy(
        self, instrument: str, date: DateLike, quantity: float, price: float, fee: float = 0.0
    ) -> LotLedger:
        """A new ledger with a lot of ``quantity`` (> 0) shares bought at ``price`` (> 0) on
        ``date``, ``fee`` (>= 0, currency) added to its cost basis."""
        where = f"buy {instrument!r}"
        q = number(quantity, f"{where}: quantity", positive=True)
        t = Trade(
            to_date(date, f"{where}: date"),
            instrument_id(instrument, where),
            q,
            number(price, f"{where}: price", positive=True),
            number(fee, f"{where}: fee", nonnegative=True),
            None,
            where,
        )
        return self._update([t], LotMethod.FIFO)

    def sell(
        self,
        instrument: str,
        date: DateLike,
        quantity: float,
        price: float,
        *,
        method: LotMethod | str = LotMethod.FIFO,
        lots: Iterable[int] | Mapping[int, float] | None = None,
        fee: float = 0.0,
    ) -> tuple[LotLedger, pd.DataFrame]:
        """Sell ``quantity`` (> 0, at most the shares held) at ``price``; relieve lots by
        ``method``.

        Parameters
        ----------
        instrument, date : str, DateLike
        quantity, price : float
            Shares sold (> 0) and sale price per share (> 0).
        method : LotMethod or str, default FIFO
        lots : iterable of int or mapping of int to float, optional
            With ``method=SPECIFIC`` only: lot ids relieved in the order given (each in full,
            the last one partly as needed), or ``{lot_id: shares}`` summing to ``quantity``.
        fee : float, default 0.0
            Sale fee in currency (>= 0), deducted from proceeds pro rata by shares.

        Returns
        -------
        ledger : LotLedger
            The ledger after the sale.
        realized : DataFrame
            One row per relieved lot, columns as in :meth:`realized`.

        Raises
        ------
        ValidationError
            Selling more than is held (no shorts), an unknown or foreign lot id, named lots
            that do not add up to ``quantity``, a date before the ledger's last trade.
        """
        where = f"sell {instrument!r}"
        q = number(quantity, f"{where}: quantity", positive=True)
        t = Trade(
            to_date(date, f"{where}: date"),
            instrument_id(instrument, where),
            -q,
            number(price, f"{where}: price", positive=True),
            number(fee, f"{where}: fee", nonnegative=True),
            lots,
            where,
        )
        if lots is None and lot_method(method) is LotMethod.SPECIFIC:
            raise ValidationError(f"{where}: method SPECIFIC needs lots= (lot ids to relieve)")
        new = self._update([t], method)
        return new, _realized_frame(new._realized[1] if new._realized is not self._realized else ())

    def apply(
        self, executions: ExecutionsLike, method: LotMethod | str = LotMethod.FIFO
    ) -> LotLedger:
        """A new ledger after executed trades: a :class:`~portlab.events.TradeExecutedEvent`,
        its JSON dict, or an iterable of them (:data:`~portlab.types.ExecutionsLike`; sorted by
        timestamp, stably). BUY opens a lot whose fee is ``total_amount - quantity *
        executed_price``; SELL relieves lots by ``method`` (not SPECIFIC: events name no lots)
        with fee ``quantity * executed_price - total_amount``. A malformed event raises
        ValidationError naming it; nothing is applied.
        """
        if lot_method(method) is LotMethod.SPECIFIC:
            raise ValidationError("method: SPECIFIC needs lot ids per sale; use sell(lots=...)")
        return self._update(trades_from_events(executions), method)

    @classmethod
    def from_trades(
        cls,
        trades: TradesLike,
        method: LotMethod | str = LotMethod.FIFO,
        *,
        wash_sales: bool = False,
    ) -> LotLedger:
        """A ledger built from a trade history.

        Parameters
        ----------
        trades : DataFrame or executions (:data:`~portlab.types.TradesLike`)
            A table with columns (first match wins; an ``execution.`` prefix, as written by
            :func:`portlab.events.events_to_frame`, is dropped): date ``date`` / ``timestamp``
            / ``trade_date`` (or a DatetimeIndex); instrument ``instrument`` /
            ``instrument_id`` / ``ticker``; signed shares ``shares`` / ``quantity`` (or
            positive ones with an ``action`` BUY/SELL column); price ``price`` /
            ``executed_price``; fee ``fee`` / ``fees`` / ``cost`` / ``commission`` (default:
            implied by ``total_amount`` if present, else 0); optional ``lots`` for SPECIFIC.
            A backtest's trades table (date, instrument, shares, price, notional, cost) reads
            as is. Zero-share rows are skipped. Or anything :meth:`apply` takes.
        method : LotMethod or str, default FIFO
        wash_sales : bool, default False
            Apply the wash-sale rule (see :mod:`portlab.analytics.tax`): disallowed losses go into the
            replacement lots' basis and the ledger's :meth:`wash_sale_adjustments`.

        Raises
        ------
        ValidationError
            A missing column, or a bad value naming its row and column.
        """
        return cls()._update(parse_trades(trades), method, wash=bool(wash_sales))

    # -- reading ---------------------------------------------------------------------------
    @property
    def instruments(self) -> tuple[str, ...]:
        """Instruments with open lots."""
        return tuple(self._lots)

    @property
    def purchases(self) -> float:
        """Total paid for purchases, fees included (currency)."""
        return self._purchases

    @property
    def proceeds(self) -> float:
        """Total received from sales, net of fees (currency)."""
        return self._proceeds

    @property
    def cash_flow(self) -> float:
        """``proceeds - purchases``: the change in cash the trades caused (currency)."""
        return self._proceeds - self._purchases

    @property
    def last_date(self) -> pd.Timestamp | None:
        """Date of the latest trade, None for an empty ledger."""
        return self._last

    def lot_records(self) -> list[Lot]:
        """The open lots as :class:`~portlab.analytics.tax._lots.Lot` records, in the order of
        :meth:`lots` (which gives them as a table). Package-internal: for
        :func:`~portlab.analytics.tax.harvest_candidates`, which needs each lot's purchase
        (``acquisition``) and whether it replaced a washed lot (``replacement``)."""
        return [lot for lots in self._lots.values() for lot in lots]

    def lots(self) -> pd.DataFrame:
        """Open lots, one row each, by instrument then open date and lot id.

        Columns: ``lot_id`` (int), ``instrument``, ``open_date``, ``holding_start`` (earlier
        than ``open_date`` only for wash-sale replacements), ``quantity``, ``cost_per_share``
        (purchase price), ``fees`` (allocated to the open shares), ``wash_adjustment``
        (disallowed loss added), ``cost_basis``, ``basis_per_share`` (currency).
        """
        return pd.DataFrame(self._lot_columns(self.lot_records()))

    @staticmethod
    def _lot_columns(lots: list[Lot]) -> dict[str, Any]:
        return {
            "lot_id": _ints([x.lot_id for x in lots]),
            "instrument": _strs([x.instrument for x in lots]),
            "open_date": _dates([x.open_date for x in lots]),
            "holding_start": _dates([x.holding_start for x in lots]),
            "quantity": _floats([x.quantity for x in lots]),
            "cost_per_share": _floats([x.price for x in lots]),
            "fees": _floats([x.fees for x in lots]),
            "wash_adjustment": _floats([x.adjustment for x in lots]),
            "cost_basis": _floats([x.cost_basis for x in lots]),
            "basis_per_share": _floats([x.basis_per_share for x in lots]),
        }

    def positions(self) -> pd.DataFrame:
        """Per instrument (index ``instrument``): ``quantity`` (shares), ``cost_basis``
        (currency, fees and wash-sale adjustments included), ``avg_cost`` (basis per share),
        ``n_lots``. Unlike :class:`~portlab.state.PortfolioState`'s ``avg_price`` the basis
        follows the lots actually relieved (FIFO etc.) and includes fees."""
        q = _floats([sum(x.quantity for x in lots) for lots in self._lots.values()])
        basis = _floats([sum(x.cost_basis for x in lots) for lots in self._lots.values()])
        return pd.DataFrame(
            {
                "quantity": q,
                "cost_basis": basis,
                "avg_cost": basis / q,
                "n_lots": _ints([len(lots) for lots in self._lots.values()]),
            },
            index=pd.Index(list(self._lots), name="instrument", dtype="str"),
        )

    def unrealized(self, prices: PricesLike, as_of: DateLike) -> pd.DataFrame:
        """Unrealized gain of every open lot at ``prices`` on ``as_of``.

        Parameters
        ----------
        prices : mapping, Series, DataFrame or Market
            Price per share by instrument (:data:`~portlab.types.PricesLike`); a DataFrame
            (dates x instruments) or a Market is read at its last row dated on or before
            ``as_of``.
        as_of : str, Timestamp, datetime, date or datetime64
            Valuation date, not before any open lot's ``open_date``.

        Returns
        -------
        DataFrame
            The :meth:`lots` columns plus ``price``, ``market_value``, ``unrealized_gain``
            (currency), ``unrealized_return`` (fraction of cost basis), ``holding_days``,
            ``term`` (if sold on ``as_of``) and ``days_to_long_term`` (calendar days until a
            sale would be long-term, 0 when it already is).

        Raises
        ------
        DataError
            A held instrument's price is missing, NaN or not positive (names it).
        """
        as_of = to_date(as_of, "as_of")
        lots = self.lot_records()
        late = [x for x in lots if x.open_date > as_of]
        if late:
            x = late[0]
            raise ValidationError(
                f"as_of {as_of:%Y-%m-%d} is before lot {x.lot_id} ({x.instrument}) opened "
                f"{x.open_date:%Y-%m-%d}"
            )
        pmap = prices_at(prices, as_of)
        cols = self._lot_columns(lots)
        price = _floats([_price(pmap, x.instrument) for x in lots])
        value = cols["quantity"] * price
        end = day_key(as_of)
        first = [first_long_term_date(x.holding_start) for x in lots]
        cols.update(
            price=price,
            market_value=value,
            unrealized_gain=value - cols["cost_basis"],
            unrealized_return=(value - cols["cost_basis"]) / cols["cost_basis"],
            holding_days=_ints([(as_of - x.holding_start).days for x in lots]),
            term=_strs([_term(x.holding_start, end) for x in lots]),
            days_to_long_term=_ints([max(0, (f - as_of).days) for f in first]),
        )
        return pd.DataFrame(cols)

    def realized(self) -> pd.DataFrame:
        """Every lot relief so far, in order.

        Columns: ``lot_id``, ``instrument``, ``open_date``, ``holding_start``, ``close_date``,
        ``holding_days`` (calendar days from ``holding_start``), ``term`` (SHORT/LONG),
        ``quantity``, ``cost_per_share`` (purchase price), ``sale_price``, ``proceeds`` (net of
        the sale fee's share), ``cost_basis``, ``gain`` (= proceeds - cost_basis),
        ``wash_sale_disallowed`` (>= 0, loss disallowed by a wash sale) and
        ``recognized_gain`` (= gain + wash_sale_disallowed).
        """
        return _realized_frame(_chain_rows(self._realized))

    def realized_summary(self) -> pd.DataFrame:
        """Realized totals by term: index ``term`` = SHORT, LONG, TOTAL; columns
        ``proceeds``, ``cost_basis``, ``gain``, ``wash_sale_disallowed``,
        ``recognized_gain`` (currency) and ``n_reliefs``."""
        rows = _chain_rows(self._realized)
        terms = [_term(r.holding_start, day_key(r.close_date)) for r in rows]
        long = np.array([t == Term.LONG.value for t in terms], dtype=bool).reshape(-1)
        proceeds = _floats([r.proceeds for r in rows])
        basis = _floats([r.cost_basis for r in rows])
        disallowed = _floats([r.disallowed_loss for r in rows])
        out = {}
        for term, mask in (("SHORT", ~long), ("LONG", long), ("TOTAL", np.ones_like(long))):
            p, b, d = proceeds[mask].sum(), basis[mask].sum(), disallowed[mask].sum()
            out[term] = (p, b, p - b, d, p - b + d, int(mask.sum()))
        cols = ["proceeds", "cost_basis", "gain", "wash_sale_disallowed", "recognized_gain"]
        df = pd.DataFrame.from_dict(out, orient="index", columns=[*cols, "n_reliefs"])
        df.index = pd.Index(list(out), name="term", dtype="str")
        return df

    def wash_sale_adjustments(self) -> pd.DataFrame:
        """The wash sales applied by :meth:`from_trades` with ``wash_sales=True`` (else
        empty): one row per (loss lot, replacement) match.

        Columns: ``instrument``, ``sale_date``, ``sold_lot_id``, ``quantity`` (matched
        shares), ``loss_per_share``, ``disallowed_loss`` (= loss_per_share * quantity),
        ``replacement_lot_id`` (the lot that carries the adjustment), ``replacement_date``
        (its purchase date), ``adjusted_cost_per_share`` (its basis per share, adjustment
        included) and ``adjusted_holding_start`` (its tacked holding-period start).
        """
        col = {c: [r[k] for r in self._wash] for k, c in enumerate(_WASH_COLUMNS)}
        return pd.DataFrame(
            {
                "instrument": _strs(col["instrument"]),
                "sale_date": _dates(col["sale_date"]),
                "sold_lot_id": _ints(col["sold_lot_id"]),
                "quantity": _floats(col["quantity"]),
                "loss_per_share": _floats(col["loss_per_share"]),
                "disallowed_loss": _floats(col["disallowed_loss"]),
                "replacement_lot_id": _ints(col["replacement_lot_id"]),
                "replacement_date": _dates(col["replacement_date"]),
                "adjusted_cost_per_share": _floats(col["adjusted_cost_per_share"]),
                "adjusted_holding_start": _dates(col["adjusted_holding_start"]),
            }
        )


def _realized_frame(rows: Iterable[Relief]) -> pd.DataFrame:
    rows = list(rows)
    proceeds = _floats([r.proceeds for r in rows])
    basis = _floats([r.cost_basis for r in rows])
    disallowed = _floats([r.disallowed_loss for r in rows])
    return pd.DataFrame(
        {
            "lot_id": _ints([r.lot_id for r in rows]),
            "instrument": _strs([r.instrument for r in rows]),
            "open_date": _dates([r.open_date for r in rows]),
            "holding_start": _dates([r.holding_start for r in rows]),
            "close_date": _dates([r.close_date for r in rows]),
            "holding_days": _ints([(r.close_date - r.holding_start).days for r in rows]),
            "term": _strs([_term(r.holding_start, day_key(r.close_date)) for r in rows]),
            "quantity": _floats([r.quantity for r in rows]),
            "cost_per_share": _floats([r.cost_per_share for r in rows]),
            "sale_price": _floats([r.sale_price for r in rows]),
            "proceeds": proceeds,
            "cost_basis": basis,
            "gain": proceeds - basis,
            "wash_sale_disallowed": disallowed,
            "recognized_gain": proceeds - basis + disallowed,
        }
    )


def wash_sales(trades: TradesLike, *, method: LotMethod | str = LotMethod.FIFO) -> pd.DataFrame:
    """Wash sales in a completed trade history: every loss sale with a purchase of the same
    instrument within 30 days before or after it, the disallowed loss and the basis adjustment
    of the replacement lot.

    Parameters
    ----------
    trades : DataFrame or executions (:data:`~portlab.types.TradesLike`)
        As :meth:`LotLedger.from_trades` takes.
    method : LotMethod or str, default FIFO
        Lot relief for the sales.

    Returns
    -------
    DataFrame
        Columns of :meth:`LotLedger.wash_sale_adjustments`; empty when nothing is washed.
    """
    return LotLedger.from_trades(trades, method, wash_sales=True).wash_sale_adjustments()
