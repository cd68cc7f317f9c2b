"""Realized outcomes of decisions: what each decision earned by its horizon (issue 14).

A decision's *outcome* is its trade marked to market at the decision's horizon: the return in
the decision's direction from its entry price to the price ``h`` trading days after the
decision date,

    ``return = direction × (exit_price / entry_price - 1)``,  ``win = return > 0``,

where ``h`` is the winning signal's ``horizon_days`` (rounded up to whole trading days) or,
when the signal gives none, ``default_horizon_days`` (the engine's
``SizingConfig.default_horizon_days``, 21). The entry price is the fill price when executed
trades are given (the quantity-weighted average of the fills matched to the decision: a
:class:`~portlab.events.TradeExecutedEvent` carries no decision id, so a fill is matched to
the latest decision on its instrument and side at or before its time, unless its ``eventId``
is the decision's id; a backtest's trades name their decision), else the decision's price.
The *stated* probability is what the engine's Kelly sizing read: the signal's
``success_probability``, else its ``confidence``.

An outcome is *realized* at ``known_at``, the later of its exit date and its last fill, once
that lies at or before ``as_of`` and the exit price is known. Prices after ``as_of`` are
never read, so outcomes computed ``as_of`` a date use only what was known then.

Rebalance-only decisions (no strategy) have no outcome. Decisions come from
``CoordinationResult.decisions``, a backtest's ``decisions`` or a journal
(:func:`journal_outcomes`).

Examples
--------
One BUY decided on 2022-12-20 at 100 with a 3-day horizon, filled at 101; the price is 104
three trading days later:

>>> import pandas as pd
>>> prices = pd.DataFrame({"AAPL": [100.0, 101.0, 102.0, 104.0, 99.0]},
...                       index=pd.bdate_range("2022-12-20", periods=5))
>>> decisions = pd.DataFrame({
...     "decision_id": ["d1"], "timestamp": [pd.Timestamp("2022-12-20", tz="UTC")],
...     "instrument_id": ["AAPL"], "action": ["BUY"], "price": [100.0],
...     "signal_id": ["s1"], "strategy_id": ["momentum"]})
>>> signals = pd.DataFrame({"signal_id": ["s1"], "instrument_id": ["AAPL"], "action": ["BUY"],
...                         "confidence": [0.7], "success_probability": [0.6],
...                         "horizon_days": [3.0]})
>>> fills = pd.DataFrame({"decision_id": ["d1"], "date": [pd.Timestamp("2022-12-21")],
...                       "shares": [10.0], "price": [101.0]})
>>> o = outcomes(decisions, prices, signals=signals, trades=fills)
>>> row = o.iloc[0]
>>> float(row["stated_p"]), float(row["entry_price"]), float(row["exit_price"]), bool(row["win"])
(0.6, 101.0, 104.0, True)
>>> round(float(o.loc[0, "return"]), 6), str(o.loc[0, "exit_at"].date())
(0.029703, '2022-12-23')
>>> bool(outcomes(decisions, prices, signals=signals, as_of="2022-12-22").loc[0, "realized"])
False
"""

from __future__ import annotations

import enum
import math
from typing import Any, Protocol

import numpy as np
import pandas as pd

from portlab.dates import DateLike, as_utc
from portlab.engine.columns import OUTCOMES
from portlab.engine.outcome import Rejections
from portlab.engine.signals import signal_table
from portlab.engine.times import NO_TIME
from portlab.exceptions import ValidationError
from portlab.market import Market
from portlab.types import SignalsLike, TradesLike

__all__ = [
    "DEFAULT_HORIZON_DAYS",
    "OUTCOME_COLUMNS",
    "DecisionJournal",
    "EntrySource",
    "journal_outcomes",
    "outcomes",
    "realized",
    "with_stated",
]

#: horizon of a decision whose signal gives none, trading days (SizingConfig's default)
DEFAULT_HORIZON_DAYS = 21.0

#: columns of :func:`outcomes`, in order (:data:`portlab.engine.columns.OUTCOMES`: units and
#: meanings)
OUTCOME_COLUMNS = OUTCOMES.names

_DIRECTION = {"BUY": 1, "SELL": -1}


class EntrySource(enum.StrEnum):
    """Where an outcome's entry price comes from."""

    FILL = "FILL"  #: the quantity-weighted price of the fills matched to the decision
    DECISION = "DECISION"  #: the decision's price (the last price when it was decided)


class DecisionJournal(Protocol):
    """What :func:`journal_outcomes` reads: a :class:`portlab.journal.Journal` is one (the
    engine never imports the journal)."""

    def decisions(self, start: Any = None, end: Any = None) -> pd.DataFrame:
        """Journaled decisions (``event_id``, ``run_id``, ``timestamp``, ...)."""

    def inputs(self, run_id: str) -> Any:
        """A run's inputs (with ``signals`` as given)."""


def outcomes(
    decisions: pd.DataFrame,
    prices: pd.DataFrame | Market,
    *,
    signals: SignalsLike = None,
    trades: TradesLike | None = None,
    as_of: DateLike | None = None,
    default_horizon_days: float = DEFAULT_HORIZON_DAYS,
) -> pd.DataFrame:
    """Each decision's outcome, marked to market at its horizon (see the module docstring).

    Parameters
    ----------
    decisions : DataFrame
        Columns ``decision_id`` (or the journal's ``event_id``), ``timestamp``,
        ``instrument_id``, ``action`` (BUY/SELL), ``price`` (currency), ``signal_id`` and
        ``strategy_id``, as in ``CoordinationResult.decisions`` or a backtest's decisions.
        Rows without a strategy (rebalance-only decisions) are left out. Never mutated.
    prices : DataFrame or Market
        Close prices, dates × instruments (a Market's ``prices``); a missing price is the
        last known one. Rows after ``as_of`` are not read.
    signals : list of events or dicts, or DataFrame, optional
        The signals the decisions came from (as given to the coordinator): their
        ``success_probability`` (else ``confidence``) and ``horizon_days``, by ``signal_id``.
        Not needed when ``decisions`` already has the columns ``stated_p`` and
        ``horizon_days``; without either, ``stated_p`` is the decision's ``confidence`` (NaN
        when it has none) and the horizon the default.
    trades : DataFrame or TradeExecutedEvents, optional
        Executed trades. A DataFrame with a ``decision_id`` column (a backtest's ``trades``:
        ``shares``, ``price``, ``date``, ``kind``) is matched by id; events (or their JSON
        dicts) by ``eventId`` = decision id, else to the latest decision on the same
        instrument and side at or before the fill. When given, only decisions with a fill
        have an outcome, at the fill price; when None, every decision counts at its price.
    as_of : date-like, optional
        Only what was known then: later prices and fills are not read, and an outcome is
        realized when ``known_at <= as_of``. Default: everything given.
    default_horizon_days : float
        Horizon of a decision whose signal gives none, trading days (> 0).

    Returns
    -------
    DataFrame
        One row per decision with a strategy, columns :data:`OUTCOME_COLUMNS`, ordered by
        ``decided_at`` then ``decision_id``.

    Raises
    ------
    ValidationError
        ``decisions`` lacks a required column, ``prices`` is not a DataFrame or Market, or
        ``trades`` is of a kind it does not read.
    """
    if not isinstance(decisions, pd.DataFrame):
        raise ValidationError(f"decisions: expected a DataFrame, got {type(decisions).__name__}")
    if not (math.isfinite(default_horizon_days) and default_horizon_days > 0):
        raise ValidationError(
            f"default_horizon_days must be a positive number of trading days, got "
            f"{default_horizon_days!r}"
        )
    frame = _decision_frame(decisions)
    if "stated_p" not in frame.columns or "horizon_days" not in frame.columns:
        kept = decisions.loc[_has_strategy(decisions)]
        frame = frame.assign(**_stated(kept, signals, default_horizon_days))
    cutoff = None if as_of is None else as_utc(as_of, "as_of")
    return _mark(frame, _price_frame(prices, cutoff), trades, cutoff)


def journal_outcomes(
    journal: DecisionJournal,
    prices: pd.DataFrame | Market,
    *,
    trades: TradesLike | None = None,
    as_of: DateLike | None = None,
    default_horizon_days: float = DEFAULT_HORIZON_DAYS,
) -> pd.DataFrame:
    """:func:`outcomes` of every decision in a decision journal decided at or before
    ``as_of``, with each run's own recorded signals.

    Parameters
    ----------
    journal : Journal
        A :class:`portlab.journal.Journal` (anything with its ``decisions`` and ``inputs``).
    prices, trades, as_of, default_horizon_days
        As for :func:`outcomes`.

    Returns
    -------
    DataFrame
        Columns :data:`OUTCOME_COLUMNS`: the same rows as :func:`outcomes` of the runs'
        decisions and signals in memory.

    Notes
    -----
    Reads every run's inputs (their signals) once per call: for a long journal compute the
    outcomes once and pass them to :func:`~portlab.engine.learning.update`.
    """
    cutoff = None if as_of is None else as_utc(as_of, "as_of")
    found = journal.decisions(end=cutoff) if cutoff is not None else journal.decisions()
    parts = [
        with_stated(rows, journal.inputs(str(run_id)).signals, default_horizon_days)
        for run_id, rows in found.groupby("run_id", sort=True)
    ]
    if parts:
        frame = pd.concat(parts, ignore_index=True)
    else:
        frame = found.assign(stated_p=np.zeros(0), horizon_days=np.zeros(0))
    return outcomes(
        frame, prices, trades=trades, as_of=as_of, default_horizon_days=default_horizon_days
    )


def with_stated(
    decisions: pd.DataFrame,
    signals: SignalsLike,
    default_horizon_days: float = DEFAULT_HORIZON_DAYS,
) -> pd.DataFrame:
    """``decisions`` with a strategy (rebalance-only rows left out), with the columns
    ``stated_p`` and ``horizon_days`` of their winning signals added (see :func:`outcomes`):
    what :func:`outcomes` reads without the signals. Never mutates ``decisions``.

    Raises
    ------
    ValidationError
        ``decisions`` lacks a column :func:`outcomes` needs.
    """
    _check_columns(decisions)
    kept = decisions.loc[_has_strategy(decisions)]
    return kept.assign(**_stated(kept, signals, default_horizon_days))


def realized(frame: pd.DataFrame, as_of: DateLike | None = None) -> pd.DataFrame:
    """The realized outcomes of ``frame`` (known at or before ``as_of`` when given), in the
    order they became known: ``known_at``, then ``decided_at``, then ``decision_id``.

    This order never changes as time goes on (an outcome known later sorts after every one
    known earlier), which is what makes learning from a growing history deterministic.
    """
    missing = [c for c in ("realized", "known_at", "decided_at", "decision_id") if c not in frame]
    if missing:
        raise ValidationError(
            f"outcomes: missing column(s) {missing} (see portlab.engine.realized.OUTCOME_COLUMNS)"
        )
    keep = frame["realized"].to_numpy(dtype=bool)
    if as_of is not None:
        cutoff = as_utc(as_of, "as_of")
        keep = keep & np.asarray(pd.DatetimeIndex(frame["known_at"]) <= cutoff, dtype=bool)
    out = frame.loc[keep]
    return out.sort_values(["known_at", "decided_at", "decision_id"], kind="stable").reset_index(
        drop=True
    )


# -- building blocks ----------------------------------------------------------------------------


def _utc_index(values: Any) -> pd.DatetimeIndex:
    """Times as a UTC DatetimeIndex in nanoseconds (naive ones taken as UTC)."""
    if isinstance(values, pd.Series | pd.Index) and pd.api.types.is_datetime64_any_dtype(
        values.dtype
    ):
        idx = pd.DatetimeIndex(values)
        idx = idx.tz_localize("UTC") if idx.tz is None else idx.tz_convert("UTC")
    else:
        idx = pd.DatetimeIndex(pd.to_datetime(pd.Series(values, dtype=object), utc=True))
    return idx.as_unit("ns")


def _check_columns(decisions: pd.DataFrame) -> None:
    """ValidationError naming the columns an outcome needs that ``decisions`` lacks."""
    need = ("timestamp", "instrument_id", "action", "price", "strategy_id")
    missing = [c for c in need if c not in decisions.columns]
    if "decision_id" not in decisions.columns and "event_id" not in decisions.columns:
        missing.insert(0, "decision_id")
    if missing:
        raise ValidationError(
            f"decisions: missing column(s) {missing} (CoordinationResult.decisions, a "
            "backtest's decisions or Journal.decisions have them)"
        )


def _decision_frame(decisions: pd.DataFrame) -> pd.DataFrame:
    """The decision columns the outcomes need, rebalance-only rows left out."""
    _check_columns(decisions)
    frame = decisions.rename(columns={"event_id": "decision_id"})
    frame = frame.loc[_has_strategy(frame)]
    out = pd.DataFrame(
        {
            "decision_id": frame["decision_id"].astype(str).to_numpy(dtype=object),
            "strategy_id": frame["strategy_id"].astype(str).to_numpy(dtype=object),
            "instrument_id": frame["instrument_id"].astype(str).to_numpy(dtype=object),
            "signal_id": (
                frame["signal_id"].to_numpy(dtype=object)
                if "signal_id" in frame
                else np.full(len(frame), None, dtype=object)
            ),
            "decided_at": _utc_index(frame["timestamp"]),
            "direction": frame["action"].map(_DIRECTION).to_numpy(dtype=np.int64),
            "price": frame["price"].to_numpy(dtype=np.float64),
        }
    )
    for c in ("stated_p", "horizon_days"):
        if c in frame.columns:
            out[c] = frame[c].to_numpy(dtype=np.float64)
    return out


def _has_strategy(decisions: pd.DataFrame) -> np.ndarray:
    """Rows with a strategy (not rebalance-only)."""
    strategy = decisions["strategy_id"]
    return (strategy.notna() & (strategy.astype(str) != "")).to_numpy(dtype=bool)


def _stated(
    kept: pd.DataFrame, signals: SignalsLike, default_horizon_days: float
) -> dict[str, np.ndarray]:
    """``stated_p`` and ``horizon_days`` of each decision (``kept``: those with a strategy),
    from its winning signal."""
    n = len(kept)
    p = np.full(n, np.nan)
    h = np.full(n, np.nan)
    if signals is not None:
        ids, sp, conf, horizon = _signal_fields(signals)
        by_id = pd.Index(ids.astype(str))
        if not by_id.is_unique:  # the engine rejects a repeated id: its first row counts
            first = ~by_id.duplicated()
            by_id, sp, conf, horizon = by_id[first], sp[first], conf[first], horizon[first]
        at = by_id.get_indexer(kept["signal_id"].astype(str))
        ok = at >= 0
        p[ok] = np.where(np.isnan(sp[at[ok]]), conf[at[ok]], sp[at[ok]])
        h[ok] = horizon[at[ok]]
    elif "confidence" in kept.columns:
        p = kept["confidence"].to_numpy(dtype=np.float64)
    return {"stated_p": p, "horizon_days": np.where(np.isnan(h), default_horizon_days, h)}


def _signal_fields(signals: SignalsLike) -> tuple[np.ndarray, ...]:
    """Signal ids, success probabilities, confidences and horizons (NaN where not given): a
    DataFrame's columns as they are (a decision's signal passed the engine's checks), other
    forms read as the engine reads them."""
    if isinstance(signals, pd.DataFrame) and {"signal_id", "confidence"} <= set(signals.columns):

        def number(name: str) -> np.ndarray:
            if name not in signals.columns:
                return np.full(len(signals), np.nan)
            return pd.to_numeric(signals[name], errors="coerce").to_numpy(dtype=np.float64)

        ids = signals["signal_id"].to_numpy(dtype=object)
        return ids, number("success_probability"), number("confidence"), number("horizon_days")
    table = signal_table(signals, Rejections(), NO_TIME)
    return (
        table["signal_id"],
        table["success_probability"],
        table["confidence"],
        table["horizon_days"],
    )


def _price_frame(prices: pd.DataFrame | Market, cutoff: pd.Timestamp | None) -> pd.DataFrame:
    """Close prices up to ``cutoff``, the last known price carried over gaps."""
    frame = prices.prices if isinstance(prices, Market) else prices
    if not isinstance(frame, pd.DataFrame) or not isinstance(frame.index, pd.DatetimeIndex):
        raise ValidationError(
            "prices: expected a Market or a DataFrame of prices indexed by date, got "
            f"{type(prices).__name__}"
        )
    if cutoff is not None:
        index = frame.index
        limit = cutoff.tz_convert(index.tz) if index.tz is not None else cutoff.tz_localize(None)
        frame = frame.loc[index <= limit]
    return frame.ffill()


def _fills(
    trades: TradesLike, frame: pd.DataFrame, cutoff: pd.Timestamp | None
) -> tuple[np.ndarray, pd.DatetimeIndex]:
    """Each decision's fill VWAP (NaN: no fill) and its last fill time (NaT: none)."""
    if isinstance(trades, pd.DataFrame):
        ids, qty, px, at = _frame_fills(trades)
    else:
        ids, qty, px, at = _event_fills(trades, frame)
    if cutoff is not None:
        known = np.asarray(at <= cutoff, dtype=bool)
        ids, qty, px, at = ids[known], qty[known], px[known], at[known]
    row = pd.Index(frame["decision_id"]).get_indexer(ids)
    ok = row >= 0
    n = len(frame)
    volume = np.bincount(row[ok], weights=np.abs(qty[ok]), minlength=n)
    value = np.bincount(row[ok], weights=np.abs(qty[ok]) * px[ok], minlength=n)
    with np.errstate(divide="ignore", invalid="ignore"):
        vwap = np.where(volume > 0, value / volume, np.nan)
    last = np.full(n, np.iinfo(np.int64).min)
    np.maximum.at(last, row[ok], at.asi8[ok])
    filled = pd.DatetimeIndex(np.where(volume > 0, last, np.iinfo(np.int64).min).view("M8[ns]"))
    return vwap, filled.tz_localize("UTC")


def _frame_fills(trades: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, Any]:
    """Fills of a trades table that names each fill's decision (a backtest's trades)."""
    qty_col = next((c for c in ("shares", "quantity") if c in trades.columns), None)
    px_col = next((c for c in ("price", "executed_price") if c in trades.columns), None)
    at_col = next((c for c in ("date", "timestamp") if c in trades.columns), None)
    if "decision_id" not in trades.columns or None in (qty_col, px_col, at_col):
        raise ValidationError(
            "trades: a DataFrame of trades needs the columns decision_id, shares (or "
            "quantity), price (or executed_price) and date (or timestamp), as a backtest's "
            "trades have; give executions as TradeExecutedEvents"
        )
    rows = trades
    if "kind" in rows.columns:  # a backtest's liquidations are not decisions' fills
        rows = rows.loc[rows["kind"].astype(str) != "LIQUIDATION"]
    rows = rows.loc[rows["decision_id"].notna()]
    return (
        rows["decision_id"].astype(str).to_numpy(dtype=object),
        rows[qty_col].to_numpy(dtype=np.float64),
        rows[px_col].to_numpy(dtype=np.float64),
        _utc_index(rows[at_col]),
    )


def _event_fills(
    trades: Any, frame: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.DatetimeIndex]:
    """Fills of executions, each given the decision it belongs to (see :func:`outcomes`)."""
    from portlab.records import executions, field, parse_execution

    names, qty, px, times, event_ids = [], [], [], [], []
    for label, record in executions(trades):
        iid, q, p, _ = parse_execution(record, label)
        when = field(record, "timestamp")
        if when is None:
            raise ValidationError(f"{label}: timestamp: required to match a fill to a decision")
        names.append(iid)
        qty.append(q)
        px.append(p)
        times.append(when)
        event_ids.append(field(record, "eventId") or field(record, "event_id"))
    at = _utc_index(times) if times else pd.DatetimeIndex([], tz="UTC").as_unit("ns")
    ids = np.full(len(names), None, dtype=object)
    by_id = pd.Index(frame["decision_id"]).get_indexer(
        pd.Index([str(e) for e in event_ids], dtype=object)
    )
    ids[by_id >= 0] = frame["decision_id"].to_numpy()[by_id[by_id >= 0]]
    todo = np.flatnonzero(by_id < 0)
    if len(todo):
        fills = pd.DataFrame(
            {
                "at": at[todo],
                "instrument_id": np.asarray(names, dtype=object)[todo],
                "direction": np.sign(np.asarray(qty)[todo]).astype(np.int64),
            },
            index=todo,
        ).sort_values("at", kind="stable")
        made = frame[["decision_id", "decided_at", "instrument_id", "direction"]].sort_values(
            "decided_at", kind="stable"
        )
        matched = pd.merge_asof(  # rows in the order of ``fills``
            fills,
            made,
            left_on="at",
            right_on="decided_at",
            by=["instrument_id", "direction"],
            direction="backward",
        )
        ids[fills.index.to_numpy()] = matched["decision_id"].to_numpy(dtype=object)
    keep = np.array([i is not None and i == i for i in ids], dtype=bool)
    return (
        ids[keep].astype(str).astype(object),
        np.asarray(qty, dtype=np.float64)[keep],
        np.asarray(px, dtype=np.float64)[keep],
        at[keep],
    )


def _mark(
    frame: pd.DataFrame,
    prices: pd.DataFrame,
    trades: TradesLike | None,
    cutoff: pd.Timestamp | None,
) -> pd.DataFrame:
    """The outcome columns of decision rows (with ``stated_p`` and ``horizon_days``)."""
    n = len(frame)
    dates = prices.index
    naive = dates.tz_convert("UTC").tz_localize(None) if dates.tz is not None else dates
    naive = naive.as_unit("ns")
    decided = pd.DatetimeIndex(frame["decided_at"]).tz_convert("UTC").tz_localize(None)
    start = naive.searchsorted(decided, side="right") - 1
    steps = np.ceil(frame["horizon_days"].to_numpy(dtype=np.float64) - 1e-9).astype(np.int64)
    end = start + np.maximum(steps, 1)
    inside = (start >= 0) & (end < len(naive))
    col = prices.columns.get_indexer(pd.Index(frame["instrument_id"], dtype=object))
    matrix = prices.to_numpy(dtype=np.float64, na_value=np.nan)
    safe_end = np.clip(end, 0, max(len(naive) - 1, 0))
    exit_price = np.full(n, np.nan)
    priced = inside & (col >= 0)
    if len(naive):
        exit_price[priced] = matrix[safe_end[priced], col[priced]]
    exit_at = pd.DatetimeIndex(
        np.where(inside, naive[safe_end].asi8 if len(naive) else 0, np.iinfo(np.int64).min).view(
            "M8[ns]"
        )
    ).tz_localize("UTC")
    if trades is None:
        entry = frame["price"].to_numpy(dtype=np.float64)
        source = np.full(n, EntrySource.DECISION.value, dtype=object)
        filled_at = pd.DatetimeIndex(np.full(n, np.datetime64("NaT"), dtype="M8[ns]")).tz_localize(
            "UTC"
        )
        has_entry = np.isfinite(entry) & (entry > 0)
        known_at = exit_at
    else:
        entry, filled_at = _fills(trades, frame, cutoff)
        source = np.where(np.isfinite(entry), EntrySource.FILL.value, None).astype(object)
        has_entry = np.isfinite(entry)
        known_at = pd.DatetimeIndex(
            np.maximum(exit_at.asi8, np.where(has_entry, filled_at.asi8, exit_at.asi8)).view(
                "M8[ns]"
            )
        ).tz_localize("UTC")
        known_at = known_at.where(inside)
    direction = frame["direction"].to_numpy(dtype=np.int64)
    ok = inside & has_entry & np.isfinite(exit_price)
    if cutoff is not None:
        ok &= np.asarray(known_at <= cutoff, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        ret = np.where(ok, direction * (exit_price / entry - 1.0), np.nan)
    out = pd.DataFrame(
        {
            "decision_id": frame["decision_id"].to_numpy(dtype=object),
            "strategy_id": frame["strategy_id"].to_numpy(dtype=object),
            "instrument_id": frame["instrument_id"].to_numpy(dtype=object),
            "signal_id": frame["signal_id"].to_numpy(dtype=object),
            "decided_at": pd.DatetimeIndex(frame["decided_at"]),
            "direction": direction,
            "stated_p": frame["stated_p"].to_numpy(dtype=np.float64),
            "horizon_days": frame["horizon_days"].to_numpy(dtype=np.float64),
            "entry_price": entry,
            "entry_source": source,
            "filled_at": filled_at,
            "exit_at": exit_at,
            "exit_price": np.where(ok, exit_price, np.nan),
            "return": ret,
            "win": ok & (ret > 0),
            "realized": ok,
            "known_at": known_at,
        },
        columns=list(OUTCOME_COLUMNS),
    )
    return out.sort_values(["decided_at", "decision_id"], kind="stable").reset_index(drop=True)
