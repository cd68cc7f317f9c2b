"""Small helpers for engine tests: markets, portfolios, signal batches, rebalance requests,
and the policy measures of a portfolio recomputed from their definitions.

The measures here are written from the policy's documented definitions with plain numpy;
they deliberately do not use the engine's own helpers (``portlab.engine.book`` and friends),
so that a test comparing the two is a real cross-check.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from portlab.datasets import load_sample, synthetic
from portlab.market import Market
from portlab.state import PortfolioState

__all__ = [
    "SIGNAL_COLUMNS",
    "Measures",
    "Universe",
    "apply_decisions",
    "event_dicts",
    "holdings",
    "measures",
    "rebalance_request",
    "sample_market",
    "signals_frame",
    "signed_shares",
    "state_from_weights",
    "state_measures",
    "synthetic_market",
    "universe",
]

#: the DataFrame columns of a signal batch, in order
SIGNAL_COLUMNS = (
    "signal_id",
    "timestamp",
    "instrument_id",
    "action",
    "confidence",
    "strength",
    "signal_score",
    "price_target",
    "expected_return",
    "success_probability",
    "strategy_id",
    "stop_price",
    "urgency",
    "horizon_days",
    "lot_size",
)


# -- markets ------------------------------------------------------------------------------


@functools.cache
def synthetic_market(n_instruments: int, n_sectors: int, seed: int) -> Market:
    """A small synthetic factor-model market (built once per process per arguments)."""
    return synthetic(n_instruments=n_instruments, n_days=80, n_sectors=n_sectors, seed=seed)


@functools.cache
def sample_market() -> Market:
    """The bundled real 20-stock sample (built once per process)."""
    return load_sample()


@dataclass(frozen=True)
class Universe:
    """A market's data as plain arrays, aligned with ``names``."""

    names: pd.Index
    price: np.ndarray
    cov: np.ndarray
    corr: np.ndarray
    sector: np.ndarray  # int code per instrument
    n_sectors: int


_UNIVERSES: dict[int, tuple[Market, Universe]] = {}


def universe(market: Market) -> Universe:
    """Arrays of ``market`` (cached per market object)."""
    hit = _UNIVERSES.get(id(market))
    if hit is not None and hit[0] is market:
        return hit[1]
    names = market.instruments
    price = market.last_prices.reindex(names).to_numpy(dtype=float)
    cov = np.array(market.risk_model()[0], dtype=float)
    vol = np.sqrt(np.diag(cov))
    corr = cov / np.outer(vol, vol)
    labels = market.sectors.reindex(names).astype(str).to_numpy()
    uniq, codes = np.unique(labels, return_inverse=True)
    u = Universe(names, price, cov, corr, codes, len(uniq))
    _UNIVERSES[id(market)] = (market, u)
    return u


# -- portfolios ---------------------------------------------------------------------------


def state_from_weights(
    market: Market, weights: Mapping[str, float], cash: float, base: float = 1_000_000.0
) -> PortfolioState:
    """Whole-share holdings worth about ``weight × base`` each, plus ``cash`` (currency).

    ``avg_price`` is the current price; zero quantities are left out.
    """
    price = market.last_prices
    positions = {}
    for name, w in weights.items():
        q = round(w * base / float(price[name]))
        if q != 0:
            positions[name] = {"quantity": float(q), "avg_price": float(price[name])}
    return PortfolioState(positions=positions, cash=float(cash))


# -- signals ------------------------------------------------------------------------------


def signals_frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """A signal batch DataFrame with every column of :data:`SIGNAL_COLUMNS`.

    Missing keys become NaN/None; ``timestamp`` values are parsed as UTC.
    """
    frame = pd.DataFrame([dict(r) for r in rows], columns=list(SIGNAL_COLUMNS))
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    for col in (
        "confidence",
        "signal_score",
        "price_target",
        "expected_return",
        "success_probability",
        "stop_price",
        "horizon_days",
        "lot_size",
    ):
        frame[col] = pd.to_numeric(frame[col]).astype(float)
    return frame


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def event_dicts(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The same batch as TradingSignalEvent JSON dicts (seed shape plus engine extensions)."""
    out = []
    for r in rows:
        signal = {
            "instrument_id": r["instrument_id"],
            "action": r["action"],
            "confidence": r["confidence"],
            "strength": r["strength"],
            "signal_score": r["signal_score"],
        }
        for key in ("strategy_id", "urgency"):
            if _present(r.get(key)):
                signal[key] = r[key]
        if _present(r.get("lot_size")):
            signal["lot_size"] = int(r["lot_size"])
        outcomes = {
            "price_target": r["price_target"],
            "expected_return": r["expected_return"],
            "success_probability": r["success_probability"],
        }
        for key in ("stop_price", "horizon_days"):
            if _present(r.get(key)):
                outcomes[key] = r[key]
        ts = pd.Timestamp(r["timestamp"])
        ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
        out.append(
            {
                "eventId": r["signal_id"],
                "timestamp": ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z",
                "signal": signal,
                "expected_outcomes": outcomes,
            }
        )
    return out


def rebalance_request(
    request_id: str,
    adjustments: Sequence[Mapping[str, Any]],
    *,
    timestamp: str = "2020-04-01T12:00:00.000Z",
    rebalance_type: str = "TACTICAL",
    max_turnover: float = 1.0,
    min_trade_size: float = 0.0,
) -> dict[str, Any]:
    """A RebalanceRequestEvent JSON dict.

    Each adjustment is ``{"instrument_id": ..., "target_weight": ...}``,
    ``{"sector": ..., "target_exposure": ..., "affected_instruments": [...]}`` or
    ``{"strategy_id": ..., "target_weight": ...}``; the bookkeeping fields the schema requires
    (current values, ``adjustment_needed``, ``priority``) are filled in.
    """
    full = []
    for a in adjustments:
        a = dict(a)
        if "instrument_id" in a:
            a.setdefault("current_weight", 0.0)
            a.setdefault("adjustment_needed", a["target_weight"] - a["current_weight"])
        elif "sector" in a:
            a.setdefault("current_exposure", 0.0)
            a.setdefault("adjustment_needed", a["target_exposure"] - a["current_exposure"])
            a.setdefault("affected_instruments", [])
        else:
            a.setdefault("current_weight", 0.0)
            a.setdefault("adjustment_needed", a["target_weight"] - a["current_weight"])
            a.setdefault("priority", "MEDIUM")
        full.append(a)
    return {
        "eventId": request_id,
        "timestamp": timestamp,
        "portfolio_id": "main_portfolio",
        "rebalance_type": rebalance_type,
        "target_adjustments": full,
        "constraints": {
            "max_turnover": max_turnover,
            "min_trade_size": min_trade_size,
            "execution_timeframe": "1_day",
        },
    }


# -- measures -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Measures:
    """Policy measures of one portfolio, from the definitions (fractions of NAV)."""

    w: np.ndarray  # signed weights
    qty: np.ndarray  # signed quantities
    cash: float  # currency
    nav: float  # currency
    position: np.ndarray  # |w|
    sector: np.ndarray  # gross exposure per sector code
    leverage: float  # Σ|w|
    volatility: float  # sqrt(wᵀ Σ w)
    cluster: np.ndarray  # per k: Σ|w_j| over j with corr(k, j) >= threshold (k included)


def measures(u: Universe, qty: np.ndarray, cash: float, nav: float, threshold: float) -> Measures:
    """The measures of holding ``qty`` and ``cash`` at the universe's prices, over ``nav``."""
    mv = np.where(qty != 0, qty * np.nan_to_num(u.price), 0.0)
    w = mv / nav
    a = np.abs(w)
    sector = np.zeros(u.n_sectors)
    np.add.at(sector, u.sector, a)
    member = u.corr >= threshold
    np.fill_diagonal(member, True)
    return Measures(
        w=w,
        qty=qty,
        cash=cash,
        nav=nav,
        position=a,
        sector=sector,
        leverage=float(a.sum()),
        volatility=float(np.sqrt(max(float(w @ u.cov @ w), 0.0))),
        cluster=member.astype(float) @ a,
    )


def holdings(u: Universe, state: PortfolioState) -> np.ndarray:
    """Signed quantities of ``state`` over the universe (from ``state.to_dict()``)."""
    pos = state.to_dict()["positions"]
    return np.array([float(pos[n]["quantity"]) if n in pos else 0.0 for n in u.names])


def signed_shares(u: Universe, decisions: pd.DataFrame) -> np.ndarray:
    """The decisions' signed share quantities over the universe (BUY +, SELL -)."""
    out = np.zeros(len(u.names))
    idx = u.names.get_indexer(decisions["instrument_id"])
    assert (idx >= 0).all(), "a decision names an instrument outside the market"
    sign = np.where(decisions["action"].to_numpy() == "BUY", 1.0, -1.0)
    np.add.at(out, idx, sign * decisions["share_quantity"].to_numpy(dtype=float))
    return out


def state_measures(u: Universe, state: PortfolioState, threshold: float) -> Measures:
    """Measures of ``state`` at the universe's prices."""
    qty = holdings(u, state)
    cash = float(state.to_dict()["cash"])
    nav = cash + float(np.where(qty != 0, qty * np.nan_to_num(u.price), 0.0).sum())
    return measures(u, qty, cash, nav, threshold)


def apply_decisions(
    u: Universe, state: PortfolioState, decisions: pd.DataFrame, threshold: float
) -> tuple[Measures, Measures]:
    """Measures before and after executing every decision at the last prices (no fees)."""
    before = state_measures(u, state, threshold)
    trade = signed_shares(u, decisions)
    cash = before.cash - float(np.sum(np.where(trade != 0, trade * np.nan_to_num(u.price), 0.0)))
    # prices do not move and there are no fees: NAV is unchanged
    return before, measures(u, before.qty + trade, cash, before.nav, threshold)
