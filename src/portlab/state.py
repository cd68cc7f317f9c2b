"""Portfolio state: positions and cash, valued against prices, updated by executions.

Conventions: quantities are signed share counts (negative = short); weights and exposures are
fractions of NAV (``cash + sum(quantity * price)``), not percent; amounts are in currency. Prices
are a mapping or a Series indexed by instrument id. ``avg_price`` is the quantity-weighted average
execution price of the open position. Fees (``total_amount`` minus ``quantity * price``) reach
cash only, never ``avg_price`` or ``realized_pnl`` (which is gross of fees), so at any prices
``NAV == book value at start + change in realized_pnl + unrealized_pnl - fees``.
"""

from __future__ import annotations

import functools
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from portlab.exceptions import DataError, ValidationError
from portlab.formatting import format_value
from portlab.io import read_text
from portlab.records import CLOSE_TOLERANCE, Frozen, freeze, make_frozen
from portlab.records import as_map as _as_map
from portlab.records import executions as _executions
from portlab.records import instrument_id as _instrument_id
from portlab.records import number as _number
from portlab.records import parse_execution as _parse_execution
from portlab.records import price as _price

__all__ = ["PortfolioState", "Position"]

Prices: TypeAlias = "Mapping[str, float] | pd.Series"

_STATE_KEYS = ("positions", "cash", "portfolio_id", "realized_pnl")
_POSITION_KEYS = ("quantity", "avg_price")


@dataclass(frozen=True, slots=True)
class Position:
    """One holding: signed ``quantity`` (shares; < 0 short) and ``avg_price`` (average
    execution price excluding fees, > 0 unless ``quantity == 0``); ValidationError otherwise."""

    quantity: float
    avg_price: float

    def __post_init__(self) -> None:
        q = _number(self.quantity, "Position.quantity")
        a = _number(self.avg_price, "Position.avg_price", positive=q != 0, nonnegative=True)
        object.__setattr__(self, "quantity", q)
        object.__setattr__(self, "avg_price", a)

    @property
    def cost_basis(self) -> float:
        """``quantity * avg_price`` in currency (negative for a short)."""
        return self.quantity * self.avg_price


@functools.lru_cache(maxsize=16)
def _universe_index(names: tuple[str, ...]) -> dict[str, int]:
    """Position of each id in a universe (cached: the engine reuses a few universes)."""
    index = {iid: i for i, iid in enumerate(names)}
    if len(index) != len(names):
        raise ValidationError("instruments: the universe has duplicate ids")
    return index


def _to_position(iid: str, value: Any) -> Position:
    if isinstance(value, Position):
        return value
    path = f"positions.{iid}"
    if not isinstance(value, Mapping):
        raise ValidationError(
            f"{path}: expected a mapping of quantity, avg_price (got {format_value(value)})"
        )
    extra = sorted(map(str, set(value) - set(_POSITION_KEYS)))
    if extra:
        raise ValidationError(f"{path}: unknown field(s) {extra}; expected quantity, avg_price")
    for field in _POSITION_KEYS:
        if field not in value:
            raise ValidationError(f"{path}.{field}: missing")
    q = _number(value["quantity"], f"{path}.quantity")
    a = _number(value["avg_price"], f"{path}.avg_price", positive=q != 0, nonnegative=True)
    return Position(q, a)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``json.loads`` hook: a key repeated within one object is an error, not "last wins"."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValidationError(f"key {key!r} appears twice in the same JSON object")
        out[key] = value
    return out


def _book(positions: dict[str, Position], iid: str, dq: float, price: float) -> float:
    """Book a trade of ``dq`` shares (signed) at ``price`` into ``positions`` in place.

    Returns the realized PnL (gross of fees).
    """
    old = positions.get(iid)
    if old is None:
        positions[iid] = Position(dq, price)
        return 0.0
    q0, a0 = old.quantity, old.avg_price
    new_q = q0 + dq
    if (q0 > 0) == (dq > 0):  # adding in the same direction: weighted average price
        positions[iid] = Position(new_q, (q0 * a0 + dq * price) / new_q)
        return 0.0
    if abs(new_q) <= CLOSE_TOLERANCE * max(abs(q0), abs(dq)):  # full close
        del positions[iid]
        return (price - a0) * q0
    closed = math.copysign(min(abs(dq), abs(q0)), q0)  # signed like the position
    # partial reduction keeps the average price; a flip opens the remainder at this price
    positions[iid] = Position(new_q, a0 if (new_q > 0) == (q0 > 0) else price)
    return (price - a0) * closed


class PortfolioState(Frozen):
    """An immutable snapshot of a portfolio's holdings.

    Parameters
    ----------
    positions : mapping of str to Position or mapping, optional
        Instrument id -> :class:`Position` or ``{"quantity": ..., "avg_price": ...}``. Copied;
        zero-quantity positions are dropped.
    cash : float, default 0.0
        Cash in currency (negative when borrowed).
    portfolio_id : str, default "main_portfolio"
    realized_pnl : float, default 0.0
        Cumulative realized PnL in currency, gross of fees.

    Raises
    ------
    ValidationError
        On malformed input, naming the field: ``positions.AAPL.avg_price: must be > 0 (got -1.0)``.

    Notes
    -----
    Valuation methods take ``prices`` and raise DataError naming any held instrument whose
    price is missing, NaN or not positive; weights and exposures also need NAV > 0. Prices of
    instruments not held are ignored.

    Examples
    --------
    >>> s = PortfolioState({"AAPL": {"quantity": 100, "avg_price": 150.0}}, cash=100_000.0)
    >>> s.total_value({"AAPL": 160.0})
    116000.0
    """

    __slots__ = ("_cash", "_portfolio_id", "_positions", "_realized_pnl")
    frozen_hint = "apply() returns a new state"

    def __init__(
        self,
        positions: Mapping[str, Position | Mapping[str, float]] | None = None,
        cash: float = 0.0,
        *,
        portfolio_id: str = "main_portfolio",
        realized_pnl: float = 0.0,
    ) -> None:
        positions = {} if positions is None else positions
        if not isinstance(positions, Mapping):
            raise ValidationError(f"positions: expected a mapping (got {type(positions).__name__})")
        clean: dict[str, Position] = {}
        for iid, value in positions.items():
            pos = _to_position(_instrument_id(iid, "positions"), value)
            if pos.quantity != 0:
                clean[iid] = pos
        if not isinstance(portfolio_id, str) or not portfolio_id:
            raise ValidationError(
                f"portfolio_id: must be a non-empty string (got {format_value(portfolio_id)})"
            )
        freeze(
            self,
            _positions=clean,
            _cash=_number(cash, "cash"),
            _portfolio_id=portfolio_id,
            _realized_pnl=_number(realized_pnl, "realized_pnl"),
        )

    @classmethod
    def _trusted(
        cls, positions: dict[str, Position], cash: float, portfolio_id: str, realized: float
    ) -> PortfolioState:
        """Build from validated parts; the new state owns ``positions``."""
        return make_frozen(
            cls,
            _positions=positions,
            _cash=cash,
            _portfolio_id=portfolio_id,
            _realized_pnl=realized,
        )

    def _key(self) -> tuple[dict[str, Position], float, str, float]:
        return (self._positions, self._cash, self._portfolio_id, self._realized_pnl)

    @property
    def positions(self) -> Mapping[str, Position]:
        """Read-only view: instrument id -> :class:`Position` (no zero quantities)."""
        return MappingProxyType(self._positions)

    @property
    def cash(self) -> float:
        """Cash in currency."""
        return self._cash

    @property
    def portfolio_id(self) -> str:
        return self._portfolio_id

    @property
    def realized_pnl(self) -> float:
        """Cumulative realized PnL in currency, gross of fees."""
        return self._realized_pnl

    @property
    def instruments(self) -> tuple[str, ...]:
        """Held instrument ids, in insertion order."""
        return tuple(self._positions)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PortfolioState):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash((frozenset(self._positions.items()), *self._key()[1:]))

    def __repr__(self) -> str:
        shown = ", ".join(f"{k!r}: {p.quantity:g}" for k, p in list(self._positions.items())[:5])
        more = f", ... +{len(self._positions) - 5}" if len(self._positions) > 5 else ""
        return (
            f"PortfolioState(portfolio_id={self._portfolio_id!r}, positions={{{shown}{more}}}, "
            f"cash={self._cash:.2f}, realized_pnl={self._realized_pnl:.2f})"
        )

    # -- construction and serialization ---------------------------------------------------
    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PortfolioState:
        """Build from the portfolio JSON shape (specification §1, "Portfolio state").

        ``{"positions": {"AAPL": {"quantity": 100, "avg_price": 150.0}}, "cash": 100000.0}``,
        with optional ``portfolio_id`` and ``realized_pnl``; ``positions`` and ``cash`` default
        to none and 0.

        Raises
        ------
        ValidationError
            Naming the field: an unknown key (``Cash``), a position that is not a mapping of
            ``quantity`` and ``avg_price``, a value that is not a finite number
            (``positions.AAPL.quantity: must be a number (got '100')``).
        """
        if not isinstance(d, Mapping):
            raise ValidationError(
                "portfolio state: expected a mapping of positions and cash "
                f"(got {type(d).__name__})"
            )
        extra = sorted(map(str, set(d) - set(_STATE_KEYS)))
        if extra:
            raise ValidationError(
                f"portfolio state: unknown field(s) {extra}; expected "
                "positions, cash (and optionally portfolio_id, realized_pnl)"
            )
        return cls(
            d.get("positions"),
            d.get("cash", 0.0),
            portfolio_id=d.get("portfolio_id", "main_portfolio"),
            realized_pnl=d.get("realized_pnl", 0.0),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict read back by :meth:`from_dict`."""
        positions = {
            k: {"quantity": p.quantity, "avg_price": p.avg_price}
            for k, p in self._positions.items()
        }
        return {
            "positions": positions,
            "cash": self._cash,
            "portfolio_id": self._portfolio_id,
            "realized_pnl": self._realized_pnl,
        }

    @classmethod
    def from_json(cls, source: str | os.PathLike[str]) -> PortfolioState:
        """Build from JSON text (starting with ``{``) or the path of a JSON file.

        The file is read by :func:`portlab.io.read_text`: UTF-8, a byte-order mark is dropped
        (as by the signal reader), gzip is decompressed. Its content has
        :meth:`from_dict`'s shape.

        Raises
        ------
        DataError
            The file is missing, a folder, not UTF-8 (naming the line) or empty. The message
            starts with the file name.
        ValidationError
            Not JSON (naming the line and column), a key repeated in one object (JSON readers
            would keep the last silently), or a shape :meth:`from_dict` refuses (naming the
            field). Messages start with the file name when ``source`` is a path.
        """
        if isinstance(source, str) and source.lstrip("\ufeff \t\r\n").startswith(("{", "[")):
            text, where = source.lstrip("\ufeff"), None
        elif isinstance(source, str) and not source.strip():
            raise ValidationError("source: an empty string (expected JSON text or a file path)")
        elif isinstance(source, str | os.PathLike):
            where = os.fspath(source)
            text = read_text(where)
            if not text.strip():
                raise DataError(
                    f'{where}: the file is empty (expected {{"positions": {{...}}, "cash": ...}})'
                )
        else:
            raise ValidationError(
                f"source: expected JSON text or a file path (got {type(source).__name__})"
            )
        prefix = f"{where}: " if where is not None else ""
        try:
            data = json.loads(text, object_pairs_hook=_unique_keys)
        except json.JSONDecodeError as err:
            raise ValidationError(
                f"{prefix}invalid JSON at line {err.lineno}, column {err.colno}: {err.msg}"
            ) from None
        except ValidationError as err:
            raise ValidationError(f"{prefix}{err}") from None
        try:
            return cls.from_dict(data)
        except ValidationError as err:
            if where is None:
                raise
            raise ValidationError(f"{prefix}{err}") from None

    def to_json(self, *, indent: int | None = None) -> str:
        """JSON text of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_frame(
        cls,
        df: pd.DataFrame,
        cash: float = 0.0,
        *,
        portfolio_id: str = "main_portfolio",
        realized_pnl: float = 0.0,
    ) -> PortfolioState:
        """Build from columns ``instrument_id, quantity, avg_price`` (``instrument_id`` may be
        the index's name instead); other columns are ignored, duplicate ids are an error."""
        if not isinstance(df, pd.DataFrame):
            raise ValidationError(f"from_frame: expected a DataFrame (got {type(df).__name__})")
        if "instrument_id" not in df.columns and df.index.name == "instrument_id":
            df = df.reset_index()
        missing = [c for c in ("instrument_id", *_POSITION_KEYS) if c not in df.columns]
        if missing:
            raise ValidationError(f"from_frame: missing column(s) {missing}")
        ids = df["instrument_id"].tolist()
        if len(set(ids)) != len(ids):
            dups = sorted({str(i) for i in ids if ids.count(i) > 1})
            raise ValidationError(f"from_frame: duplicate instrument_id(s) {dups}")
        rows = zip(ids, df["quantity"].tolist(), df["avg_price"].tolist(), strict=True)
        positions = {i: {"quantity": q, "avg_price": a} for i, q, a in rows}
        return cls(positions, cash, portfolio_id=portfolio_id, realized_pnl=realized_pnl)

    def to_frame(self) -> pd.DataFrame:
        """Positions (no cash) as columns ``instrument_id, quantity, avg_price``."""
        pos = self._positions.values()
        return pd.DataFrame(
            {
                "instrument_id": list(self._positions),
                "quantity": np.array([p.quantity for p in pos], dtype=float),
                "avg_price": np.array([p.avg_price for p in pos], dtype=float),
            }
        )

    @classmethod
    def from_weights(
        cls,
        weights: Mapping[str, float] | pd.Series,
        prices: Prices,
        total_value: float,
        *,
        whole_shares: bool = True,
        portfolio_id: str = "main_portfolio",
    ) -> PortfolioState:
        """A portfolio holding ``weights`` of ``total_value``, bought at ``prices``.

        Parameters
        ----------
        weights : mapping or Series
            Instrument id -> fraction of NAV (``0.05`` = 5 %); negative for a short.
        prices : mapping or Series
            Instrument id -> price; required for every non-zero weight (else DataError).
        total_value : float
            NAV in currency, > 0.
        whole_shares : bool, default True
            Round quantities toward zero to whole shares; the remainder stays in cash.

        Returns
        -------
        PortfolioState
            ``quantity = weight * total_value / price``, ``avg_price = price`` and
            ``cash = total_value - sum(quantity * price)``: NAV at ``prices`` is
            ``total_value`` and each weight is met within one share's value.
        """
        wmap, pmap = _as_map(weights, "weights"), _as_map(prices, "prices")
        value = _number(total_value, "total_value", positive=True)
        positions: dict[str, Position] = {}
        for iid, w in wmap.items():
            w = _number(w, f"weights.{_instrument_id(iid, 'weights')}")
            if w == 0:
                continue
            p = _price(pmap, iid, "weighted instrument")
            q = w * value / p
            if whole_shares:  # 99.9999999999 shares is float noise for 100, not 99
                r = round(q)
                q = float(r) if abs(q - r) <= 1e-9 * max(1.0, abs(q)) else float(math.trunc(q))
            if q != 0:
                positions[iid] = Position(q, p)
        cash = value - math.fsum(p.quantity * p.avg_price for p in positions.values())
        return cls._trusted(positions, cash, portfolio_id, 0.0)

    # -- valuation ------------------------------------------------------------------------
    def _market_values(self, prices: Prices) -> tuple[list[str], list[float]]:
        pmap = _as_map(prices, "prices")
        return list(self._positions), [
            p.quantity * _price(pmap, i) for i, p in self._positions.items()
        ]

    def _nav(self, mvs: list[float], *, positive: bool = False) -> float:
        nav = math.fsum([self._cash, *mvs])
        if positive and not nav > 0:
            raise DataError(f"net asset value is {nav:,.2f}; weights and exposures need NAV > 0")
        return nav

    @staticmethod
    def _series(ids: list[str], values: Any, name: str) -> pd.Series:
        index = pd.Index(ids, name="instrument_id")
        return pd.Series(np.asarray(values, dtype=float), index=index, name=name)

    def market_values(self, prices: Prices) -> pd.Series:
        """Signed market value ``quantity * price`` per held instrument, in currency."""
        return self._series(*self._market_values(prices), "market_value")

    def total_value(self, prices: Prices) -> float:
        """NAV in currency: ``cash + sum(quantity * price)``."""
        return self._nav(self._market_values(prices)[1])

    def weights(self, prices: Prices) -> pd.Series:
        """Signed weight per held instrument: market value / NAV (a fraction, not percent)."""
        ids, mvs = self._market_values(prices)
        return self._series(ids, np.asarray(mvs) / self._nav(mvs, positive=True), "weight")

    def gross_exposure(self, prices: Prices) -> float:
        """``sum(|market value|) / NAV``: longs plus shorts as a fraction of NAV."""
        mvs = self._market_values(prices)[1]
        return math.fsum(map(abs, mvs)) / self._nav(mvs, positive=True)

    def net_exposure(self, prices: Prices) -> float:
        """``sum(market value) / NAV``: longs minus shorts as a fraction of NAV."""
        mvs = self._market_values(prices)[1]
        return math.fsum(mvs) / self._nav(mvs, positive=True)

    def leverage(self, prices: Prices) -> float:
        """Gross market value over NAV, i.e. :meth:`gross_exposure` (``2.0`` is 2x)."""
        return self.gross_exposure(prices)

    def sector_exposures(
        self,
        prices: Prices,
        sectors: Mapping[str, str] | pd.Series | pd.DataFrame,
        *,
        gross: bool = True,
    ) -> pd.Series:
        """Exposure per sector as a fraction of NAV, indexed by sector name (sorted).

        Parameters
        ----------
        prices : mapping or Series
        sectors : mapping, Series or DataFrame
            Instrument id -> sector. A DataFrame needs a ``sector`` column, keyed by an
            ``instrument_id`` or ``ticker`` column, else by its index. Held instruments missing
            here, or with a NaN sector, count as ``"Unknown"``.
        gross : bool, default True
            Sum ``|weight|`` per sector; if False, sum signed weights.
        """
        if isinstance(sectors, pd.DataFrame):
            if "sector" not in sectors.columns:
                raise ValidationError("sectors: DataFrame needs a 'sector' column")
            key = next((c for c in ("instrument_id", "ticker") if c in sectors.columns), None)
            sectors = sectors.set_index(key)["sector"] if key else sectors["sector"]
        smap = _as_map(sectors, "sectors")
        w = self.weights(prices)
        acc: dict[str, float] = {}
        for iid, wi in zip(w.index, w.to_numpy(), strict=True):
            s = smap.get(iid)
            s = "Unknown" if s is None or (not isinstance(s, str) and pd.isna(s)) else str(s)
            acc[s] = acc.get(s, 0.0) + (abs(wi) if gross else wi)
        out = pd.Series(acc, dtype=float, name="exposure")
        out.index.name = "sector"
        return out.sort_index()

    def unrealized_pnl(self, prices: Prices) -> pd.Series:
        """``(price - avg_price) * quantity`` per held instrument, in currency."""
        pmap = _as_map(prices, "prices")
        pnl = [(_price(pmap, i) - p.avg_price) * p.quantity for i, p in self._positions.items()]
        return self._series(list(self._positions), pnl, "unrealized_pnl")

    def quantities(self, instruments: Sequence[str]) -> np.ndarray:
        """Signed quantities aligned to a universe (pure Python/numpy: no pandas).

        Parameters
        ----------
        instruments : sequence of str, length n
            The universe, without duplicates.

        Returns
        -------
        ndarray of float, shape (n,)
            Quantity per instrument, 0.0 where not held.

        Raises
        ------
        DataError
            If a held instrument is not in ``instruments`` (names it).
        """
        if isinstance(instruments, str):
            raise ValidationError("instruments: expected a sequence of ids, not one string")
        index = _universe_index(tuple(instruments))
        out = np.zeros(len(index))
        missing = []
        for iid, pos in self._positions.items():
            i = index.get(iid)
            if i is None:
                missing.append(iid)
            else:
                out[i] = pos.quantity
        if missing:
            raise DataError(f"held instrument(s) not in the universe: {missing}")
        return out

    # -- updates --------------------------------------------------------------------------
    def apply_trade(
        self, instrument_id: str, quantity: float, price: float, total_amount: float | None = None
    ) -> PortfolioState:
        """A new state after trading ``quantity`` shares at ``price``.

        Parameters
        ----------
        instrument_id : str
        quantity : float
            Signed and non-zero: > 0 buys, < 0 sells.
        price : float
            Execution price, > 0.
        total_amount : float, optional
            Cash paid (buy) or received (sell) including fees, >= 0; default
            ``|quantity| * price``.

        Notes
        -----
        Opening or adding sets ``avg_price`` to the quantity-weighted average of the old
        ``avg_price`` and ``price``. Reducing keeps ``avg_price`` and realizes
        ``(price - avg_price) * closed`` with ``closed`` signed like the position (a short cover
        realizes ``(avg_price - price) * |closed|``). A full close removes the position; trading
        through zero closes it and opens the remainder at ``price``. Fees change cash only.
        """
        iid = _instrument_id(instrument_id, "instrument_id")
        dq = _number(quantity, "quantity")
        if dq == 0:
            raise ValidationError("quantity: must be non-zero")
        p = _number(price, "price", positive=True)
        total = abs(dq) * p
        if total_amount is not None:
            total = _number(total_amount, "total_amount", nonnegative=True)
        positions = dict(self._positions)
        realized = self._realized_pnl + _book(positions, iid, dq, p)
        cash = self._cash - total if dq > 0 else self._cash + total
        return self._trusted(positions, cash, self._portfolio_id, realized)

    def apply(self, executions: Any) -> PortfolioState:
        """A new state after applying executions in order (``self`` is unchanged).

        Parameters
        ----------
        executions : TradeExecutedEvent, dict, or iterable of them
            Events (duck-typed on ``.eventId`` and ``.execution.instrument_id``, ``action``,
            ``quantity``, ``executed_price``, ``total_amount``), dicts in the event's JSON
            shape ``{"eventId": ..., "execution": {"instrument_id": "AAPL", "action": "BUY",
            "quantity": 197, "executed_price": 152.28, "total_amount": 29999.16}}``, or bare
            execution records. BUY pays ``total_amount`` (default ``quantity *
            executed_price``) from cash, SELL receives it; positions follow :meth:`apply_trade`.

        Raises
        ------
        ValidationError
            On a malformed execution, naming its index, eventId, instrument and field; then
            nothing is applied.
        """
        positions = dict(self._positions)
        cash, realized = self._cash, self._realized_pnl
        for label, ex in _executions(executions):
            iid, dq, p, total = _parse_execution(ex, label)
            realized += _book(positions, iid, dq, p)
            cash = cash - total if dq > 0 else cash + total
        return self._trusted(positions, cash, self._portfolio_id, realized)
