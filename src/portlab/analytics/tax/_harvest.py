"""Tax-loss harvesting candidates with wash-sale risk (re-exported by
:mod:`portlab.analytics.tax`)."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd

from portlab.analytics.tax._io import trades_from_events
from portlab.analytics.tax._ledger import LotLedger
from portlab.analytics.tax._lots import (
    WASH_SALE_WINDOW_DAYS,
    Lot,
    Term,
    to_date,
)
from portlab.exceptions import ValidationError
from portlab.records import number

if TYPE_CHECKING:
    from portlab.dates import DateLike
    from portlab.types import PricesLike, TradesLike

__all__ = ["HarvestLevel", "harvest_candidates"]


class HarvestLevel(enum.StrEnum):
    """Rows of :func:`harvest_candidates`: one per loss LOT, or one per INSTRUMENT (all its
    loss lots sold together; its lots with a gain are kept)."""

    LOT = "LOT"
    INSTRUMENT = "INSTRUMENT"


class _Buy(NamedTuple):
    date: pd.Timestamp
    instrument: str
    quantity: float
    price: float  # NaN when not known
    source: str


def _buys(
    trades: TradesLike | pd.Series | None, what: str, default_date: pd.Timestamp | None
) -> list[_Buy]:
    """The purchases in ``trades`` (None, a Series of signed shares by instrument, a DataFrame
    or executed events). A missing date is ``default_date`` (an error when None)."""
    if trades is None:
        return []
    source = what.removesuffix("_trades")
    if isinstance(trades, pd.Series):
        if default_date is None:
            raise ValidationError(f"{what}: a Series has no dates; pass a DataFrame with a date")
        q = pd.to_numeric(trades, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        return [
            _Buy(default_date, str(i), float(x), np.nan, source)
            for i, x in zip(trades.index, q, strict=True)
            if x > 0
        ]
    if not isinstance(trades, pd.DataFrame):
        return [
            _Buy(t.date, t.instrument, t.quantity, t.price, source)
            for t in trades_from_events(trades)
            if t.quantity > 0
        ]
    df = trades.rename(columns=lambda c: c.removeprefix("execution.") if isinstance(c, str) else c)
    date_col = next((c for c in ("date", "timestamp", "trade_date") if c in df.columns), None)
    inst_col = next((c for c in ("instrument", "instrument_id", "ticker") if c in df.columns), None)
    qty_col = next((c for c in ("shares", "quantity") if c in df.columns), None)
    price_col = next((c for c in ("price", "executed_price") if c in df.columns), None)
    if inst_col is None or qty_col is None:
        raise ValidationError(f"{what}: needs an instrument and a shares/quantity column")
    if date_col is None and default_date is None and not isinstance(df.index, pd.DatetimeIndex):
        raise ValidationError(f"{what}: needs a date column (date, timestamp or trade_date)")
    out = []
    for n, label in enumerate(df.index):
        where = f"{what} row {label!r}"
        q = number(pd.to_numeric(df[qty_col].iloc[n], errors="coerce"), f"{where}: {qty_col}")
        if "action" in df.columns:
            action = str(getattr(df["action"].iloc[n], "value", df["action"].iloc[n])).upper()
            if action not in ("BUY", "SELL"):
                raise ValidationError(f"{where}: action: must be BUY or SELL (got {action!r})")
            q = abs(q) if action == "BUY" else -abs(q)
        if q <= 0:
            continue
        if date_col is not None:
            date = to_date(df[date_col].iloc[n], f"{where}: {date_col}")
        elif isinstance(df.index, pd.DatetimeIndex):
            date = to_date(label, f"{where}: date")
        else:
            date = default_date
        price = float(pd.to_numeric(df[price_col].iloc[n])) if price_col else np.nan
        out.append(_Buy(date, str(df[inst_col].iloc[n]), q, price, source))
    return out


def _conflicts(
    ledger_lots: list[Lot], sold: set[int], buys: list[_Buy], as_of: pd.Timestamp
) -> list[tuple]:
    """Purchases that would wash a sale of lots ``sold`` on ``as_of``: ``(date, source,
    quantity, description)``. Ledger lots of the same purchase as a sold lot, and lots already
    used as a replacement, do not count; a recent buy matching a sold lot's instrument, date
    and price is taken to be that lot's own purchase."""
    lo = as_of - pd.Timedelta(days=WASH_SALE_WINDOW_DAYS)
    hi = as_of + pd.Timedelta(days=WASH_SALE_WINDOW_DAYS)
    sold_lots = [x for x in ledger_lots if x.lot_id in sold]
    acqs = {x.acquisition for x in sold_lots}
    out = []
    for x in ledger_lots:
        if x.lot_id in sold or x.acquisition in acqs or x.replacement:
            continue
        if lo <= x.open_date <= hi:
            out.append(
                (
                    x.open_date,
                    "ledger",
                    x.quantity,
                    f"lot {x.lot_id}: bought {x.quantity:g} on {x.open_date:%Y-%m-%d}",
                )
            )
    for b in buys:
        if not lo <= b.date <= hi:
            continue
        own = any(
            b.date == x.open_date and (np.isnan(b.price) or b.price == x.price) for x in sold_lots
        )
        if b.source == "recent" and own:
            continue
        out.append(
            (b.date, b.source, b.quantity, f"{b.source} BUY {b.quantity:g} on {b.date:%Y-%m-%d}")
        )
    return out


def harvest_candidates(
    ledger: LotLedger,
    prices: PricesLike,
    as_of: DateLike,
    *,
    min_loss: float = 0.0,
    min_loss_fraction: float = 0.0,
    level: HarvestLevel | str = HarvestLevel.LOT,
    recent_trades: TradesLike | None = None,
    planned_trades: TradesLike | pd.Series | None = None,
) -> pd.DataFrame:
    """Lots (or instruments) whose sale on ``as_of`` would realize a loss, with wash-sale risk.

    Parameters
    ----------
    ledger : LotLedger
    prices : mapping, Series, DataFrame or Market
        As :meth:`LotLedger.unrealized` takes (:data:`~portlab.types.PricesLike`).
    as_of : str, Timestamp, datetime, date or datetime64
        The prospective sale date.
    min_loss : float, default 0.0
        Keep rows whose unrealized loss (currency, > 0) is at least this.
    min_loss_fraction : float, default 0.0
        And whose loss as a fraction of cost basis (``0.1`` is 10 %) is at least this.
    level : HarvestLevel or str, default LOT
        One row per loss lot, or per instrument (its loss lots together; thresholds apply to
        the sum).
    recent_trades, planned_trades : DataFrame, events or (planned only) Series, optional
        Purchases outside the ledger's lots (e.g. other accounts) and planned purchases
        (e.g. ``CoordinationResult.trades()``, a Series of signed shares dated ``as_of``; a
        Series of recent trades has no dates, a ``ValidationError``).
        Columns as :meth:`LotLedger.from_trades` reads (price optional; a planned trade
        without a date is dated ``as_of``). Sales in them are ignored.

    Returns
    -------
    DataFrame
        Sorted by ``unrealized_loss`` (largest first). Columns: ``instrument``, ``lot_id``
        (LOT) or ``lot_ids`` (tuple, INSTRUMENT), ``quantity``, ``cost_basis``,
        ``market_value``, ``unrealized_loss`` (> 0, currency), ``loss_fraction``,
        ``short_term_loss``, ``long_term_loss``, ``term`` (SHORT, LONG, or MIXED for an
        instrument with both), ``days_to_long_term`` (the soonest of the lots),
        ``wash_sale_risk`` (bool: a purchase of the instrument, other than the sold lots'
        own, 30 days before to 30 days after ``as_of``, in the ledger's lots, recent or
        planned trades), ``replacement_quantity`` (shares of all those purchases: a loss is
        disallowed in proportion, up to all of it), and the nearest conflicting purchase:
        ``conflict_source`` (ledger / recent / planned), ``conflict_date`` and ``conflict``
        (a description), empty when there is none.
    """
    as_of = to_date(as_of, "as_of")
    min_loss = number(min_loss, "min_loss", nonnegative=True)
    min_frac = number(min_loss_fraction, "min_loss_fraction", nonnegative=True)
    try:
        level = HarvestLevel(level)
    except ValueError:
        raise ValidationError(f"level: must be LOT or INSTRUMENT (got {level!r})") from None
    un = ledger.unrealized(prices, as_of)
    buys = _buys(recent_trades, "recent_trades", None)
    buys += _buys(planned_trades, "planned_trades", as_of)
    by_inst: dict[str, list[Lot]] = {}
    for lot in ledger.lot_records():
        by_inst.setdefault(lot.instrument, []).append(lot)
    loss = un.loc[un["unrealized_gain"] < 0].copy()
    loss["unrealized_loss"] = -loss["unrealized_gain"]
    is_long = loss["term"] == Term.LONG.value
    loss["short_term_loss"] = np.where(is_long, 0.0, loss["unrealized_loss"])
    loss["long_term_loss"] = np.where(is_long, loss["unrealized_loss"], 0.0)
    sums = [
        "quantity",
        "cost_basis",
        "market_value",
        "unrealized_loss",
        "short_term_loss",
        "long_term_loss",
    ]
    if level is HarvestLevel.LOT:
        groups = [(r.instrument, (r.lot_id,), r) for r in loss.itertuples(index=False)]
        rows = [
            {
                "instrument": i,
                "lot_id": ids[0],
                **{c: getattr(r, c) for c in sums},
                "term": r.term,
                "days_to_long_term": r.days_to_long_term,
            }
            for i, ids, r in groups
        ]
    else:
        rows = []
        for inst, g in loss.groupby("instrument", sort=False):
            terms = set(g["term"])
            rows.append(
                {
                    "instrument": inst,
                    "lot_ids": tuple(g["lot_id"].tolist()),
                    **{c: float(g[c].sum()) for c in sums},
                    "term": terms.pop() if len(terms) == 1 else "MIXED",
                    "days_to_long_term": int(g["days_to_long_term"].min()),
                }
            )
    key = "lot_id" if level is HarvestLevel.LOT else "lot_ids"
    out = []
    for row in rows:
        frac = row["unrealized_loss"] / row["cost_basis"]
        if row["unrealized_loss"] < min_loss or frac < min_frac:
            continue
        sold = set(row[key]) if level is HarvestLevel.INSTRUMENT else {row[key]}
        inst_buys = [b for b in buys if b.instrument == row["instrument"]]
        conflicts = _conflicts(by_inst.get(row["instrument"], []), sold, inst_buys, as_of)
        nearest = min(conflicts, key=lambda c: (abs((c[0] - as_of).days), c[0]), default=None)
        out.append(
            {
                **row,
                "loss_fraction": frac,
                "wash_sale_risk": nearest is not None,
                "replacement_quantity": float(sum(c[2] for c in conflicts)),
                "conflict_source": nearest[1] if nearest else "",
                "conflict_date": nearest[0] if nearest else pd.NaT,
                "conflict": nearest[3] if nearest else "",
            }
        )
    cols = [
        "instrument",
        key,
        *sums[:4],
        "loss_fraction",
        *sums[4:],
        "term",
        "days_to_long_term",
        "wash_sale_risk",
        "replacement_quantity",
        "conflict_source",
        "conflict_date",
        "conflict",
    ]
    df = pd.DataFrame(out, columns=cols)
    df = df.astype(
        {"wash_sale_risk": bool, "conflict_date": "datetime64[ns]", "days_to_long_term": np.int64}
    )
    for c in [*sums, "loss_fraction", "replacement_quantity"]:
        df[c] = df[c].astype(float)
    for c in ("instrument", "term", "conflict_source", "conflict"):
        df[c] = df[c].astype("str")
    if level is HarvestLevel.LOT:
        df["lot_id"] = df["lot_id"].astype(np.int64)
    by = ["unrealized_loss", "instrument"] + (["lot_id"] if level is HarvestLevel.LOT else [])
    order = df.sort_values(by, ascending=[False] + [True] * (len(by) - 1)).index
    return df.loc[order].reset_index(drop=True)
