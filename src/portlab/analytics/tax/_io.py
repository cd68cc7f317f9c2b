"""Reading trades (tables and executed events) and prices for :mod:`portlab.analytics.tax`.
Private: use :mod:`portlab.analytics.tax`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from portlab.analytics.tax._lots import Trade, to_date
from portlab.exceptions import DataError, ValidationError
from portlab.records import as_map as _as_map
from portlab.records import executions as _executions
from portlab.records import field as _field
from portlab.records import instrument_id, number
from portlab.records import parse_execution as _parse_execution

if TYPE_CHECKING:
    from portlab.types import ExecutionsLike, PricesLike, TradesLike

__all__ = ["parse_trades", "prices_at", "trades_from_events", "trades_from_frame"]


# --------------------------------------------------------------------------- parsing trades

#: Column names read by :func:`trades_from_frame`, first match wins.
_DATE_COLUMNS = ("date", "timestamp", "trade_date")
_INSTRUMENT_COLUMNS = ("instrument", "instrument_id", "ticker")
_QUANTITY_COLUMNS = ("shares", "quantity")
_PRICE_COLUMNS = ("price", "executed_price")
_FEE_COLUMNS = ("fee", "fees", "cost", "commission")

#: An implied fee (``total_amount`` against ``quantity * price``) may be this much below zero:
#: totals rounded to cents. It is kept as is, so cash flows match PortfolioState exactly.
FEE_ROUNDING = 0.01


def _implied_fee(action_buy: bool, quantity: float, price: float, total: float, where: str):
    fee = total - quantity * price if action_buy else quantity * price - total
    if fee < -FEE_ROUNDING:
        side = "above" if not action_buy else "below"
        raise ValidationError(
            f"{where}: total_amount {total!r} is {side} quantity * price = {quantity * price!r} "
            "by more than a cent (a negative fee)"
        )
    return fee


def trades_from_events(events: ExecutionsLike) -> list[Trade]:
    """Parse TradeExecutedEvents (or their JSON dicts), in date order (stable)."""
    out = []
    for label, ev in _executions(events):
        iid, dq, price, total = _parse_execution(ev, label)
        event_id = _field(ev, "eventId")
        where = f"{label} (eventId={event_id})" if event_id is not None else label
        stamp = _field(ev, "timestamp")
        if stamp is None:
            raise ValidationError(f"{where}: timestamp: missing (tax lots need trade dates)")
        fee = _implied_fee(dq > 0, abs(dq), price, total, where)
        out.append(Trade(to_date(stamp, f"{where}: timestamp"), iid, dq, price, fee, None, where))
    return sorted(out, key=lambda t: t.date)


def _column(df: pd.DataFrame, names: tuple[str, ...], what: str, required: bool = True):
    for name in names:
        if name in df.columns:
            return name
    if required:
        raise ValidationError(f"{what}: needs a column named one of {list(names)}")
    return None


def _numeric(df: pd.DataFrame, col: str, what: str) -> np.ndarray:
    values = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(values)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValidationError(
            f"{what} row {df.index[i]!r}: {col}: must be a finite number (got {df[col].iloc[i]!r})"
        )
    return values


def _date_list(raw: pd.Series, labels: pd.Index, what: str) -> list[pd.Timestamp]:
    """Calendar dates of ``raw`` (see :func:`to_date`), vectorized when the column parses as
    one; else element by element, naming the first bad row."""
    try:
        parsed = pd.to_datetime(raw)
        if isinstance(parsed.dtype, pd.DatetimeTZDtype):
            parsed = parsed.dt.tz_localize(None)
        if not parsed.isna().any():
            return parsed.dt.normalize().tolist()
    except (TypeError, ValueError, OverflowError):
        pass
    return [to_date(v, f"{what} row {k!r}: date") for k, v in zip(labels, raw, strict=True)]


def trades_from_frame(df: pd.DataFrame, what: str = "trades") -> list[Trade]:
    """Parse a trades table (see :meth:`LotLedger.from_trades`), in date order (stable)."""
    if not isinstance(df, pd.DataFrame):
        raise ValidationError(f"{what}: expected a DataFrame (got {type(df).__name__})")
    df = df.rename(columns=lambda c: c.removeprefix("execution.") if isinstance(c, str) else c)
    date_col = _column(df, _DATE_COLUMNS, what, required=False)
    if date_col is None and not isinstance(df.index, pd.DatetimeIndex):
        raise ValidationError(f"{what}: needs a date column {list(_DATE_COLUMNS)} or a date index")
    dates = _date_list(df[date_col] if date_col else df.index.to_series(), df.index, what)
    inst = df[_column(df, _INSTRUMENT_COLUMNS, what)].tolist()
    qcol = _column(df, _QUANTITY_COLUMNS, what)
    qty = _numeric(df, qcol, what)
    price = _numeric(df, _column(df, _PRICE_COLUMNS, what), what)
    fee_col = _column(df, _FEE_COLUMNS, what, required=False)
    fees = _numeric(df, fee_col, what) if fee_col else None
    totals = (
        _numeric(df, "total_amount", what)
        if fee_col is None and ("total_amount" in df.columns)
        else None
    )
    if "action" in df.columns:
        actions = [str(getattr(a, "value", a)).upper() for a in df["action"]]
        sign = np.array([1.0 if a == "BUY" else -1.0 if a == "SELL" else np.nan for a in actions])
        bad = np.isnan(sign) | (qty <= 0)
        if bad.any():
            i = int(np.argmax(bad))
            field = (
                f"action: must be BUY or SELL (got {actions[i]!r})"
                if np.isnan(sign[i])
                else (f"{qcol}: must be > 0 with an action column (got {qty[i]!r})")
            )
            raise ValidationError(f"{what} row {df.index[i]!r}: {field}")
        qty = qty * sign
    lots = df["lots"].tolist() if "lots" in df.columns else [None] * len(df)
    out = []
    for i, label in enumerate(df.index):
        if qty[i] == 0:
            continue  # a zero-share trade has no tax effect
        where = f"{what} row {label!r}"
        instrument = instrument_id(inst[i], f"{where}: instrument")
        p = number(price[i], f"{where}: price", positive=True)
        if fees is not None:
            fee = number(fees[i], f"{where}: fee", nonnegative=True)
        elif totals is not None:
            fee = _implied_fee(qty[i] > 0, abs(qty[i]), p, totals[i], where)
        else:
            fee = 0.0
        lot = (
            lots[i]
            if lots[i] is not None and not (np.isscalar(lots[i]) and pd.isna(lots[i]))
            else None
        )
        out.append(Trade(dates[i], instrument, float(qty[i]), p, fee, lot, where))
    return sorted(out, key=lambda t: t.date)


def parse_trades(trades: TradesLike, what: str = "trades") -> list[Trade]:
    """A trades table (DataFrame) or executions (events, dicts, iterables of them)."""
    if isinstance(trades, pd.DataFrame):
        return trades_from_frame(trades, what)
    return trades_from_events(trades)


def prices_at(prices: PricesLike, as_of: pd.Timestamp) -> Mapping:
    """Prices as a mapping: a mapping or Series as given; a DataFrame (dates x instruments) or
    a Market (its ``prices``): the last row dated on or before ``as_of``."""
    if not isinstance(prices, pd.DataFrame | pd.Series | Mapping) and isinstance(
        getattr(prices, "prices", None), pd.DataFrame
    ):
        prices = prices.prices
    if isinstance(prices, pd.DataFrame):
        try:
            index = pd.DatetimeIndex(prices.index)
        except (TypeError, ValueError):
            raise DataError("prices: a DataFrame of prices needs a date index") from None
        n = int(index.searchsorted(as_of, side="right"))
        if n == 0:
            raise DataError(f"prices: no row dated on or before {as_of:%Y-%m-%d}")
        return prices.iloc[n - 1].to_dict()
    return _as_map(prices, "prices")
