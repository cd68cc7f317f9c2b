"""Conflict resolution (specification §4): at most one candidate trade per instrument.

Signals on the same instrument (one strategy or several, same side or opposite) are resolved
by the chosen :class:`~portlab.engine.config.Resolution`; a rebalance adjustment on the same
instrument either blends with the result (same direction) or conflicts with it (opposite
direction). Every signal that loses is recorded with the winner and the rule.

Resolution of a signal against an opposite rebalance adjustment: NET adds the two trades;
FIRST_IN_FIRST_OUT keeps the earlier; every other method compares priorities, a tie going
to the portfolio's request.
"""

from __future__ import annotations

import numpy as np

from portlab.engine.columns import CANDIDATES
from portlab.engine.config import SizingConfig
from portlab.engine.enums import Resolution, SizingMethod
from portlab.engine.outcome import Rejections, RejectReason, Source
from portlab.engine.signals import PRIORITY_LEVELS
from portlab.engine.table import Table, concat, length, object_array, take
from portlab.engine.tolerances import CHANGE_TOL, SIZE_TOL

__all__ = ["CANDIDATE_COLUMNS", "resolve"]

#: Aggregation weight floor on confidence: a signal of confidence 0 keeps a weight (strategy
#: weight × 1e-12) so that a weighted average over only such signals is still defined, while
#: any real confidence outweighs it.
_MIN_CONFIDENCE = 1e-12

_SELECT = {
    Resolution.HIGHEST_PRIORITY,
    Resolution.BEST_RISK_REWARD,
    Resolution.PERFORMANCE_WEIGHTED,
    Resolution.FIRST_IN_FIRST_OUT,
}

#: columns of a candidate table, one row per instrument to trade
#: (:data:`portlab.engine.columns.CANDIDATES`)
CANDIDATE_COLUMNS = CANDIDATES.names
# signal columns carried over to candidates unchanged
_CARRY = (
    "instrument",
    "instrument_id",
    "kelly",
    "kelly_raw",
    "target_size",
    "priority",
    "edge",
    "reward_risk",
    "loss_fraction",
    "kelly_horizon_days",
    "confidence",
    "timestamp",
    "urgency",
    "lot_size",
    "strength",
    "expected_return",
    "success_probability",
    "payoff",
)


def _order(signals: Table, method: Resolution, position_side: np.ndarray) -> np.ndarray:
    """Row order that puts each instrument's winning signal first (deterministic ties)."""
    ids, ts = signals["signal_id"].astype(str), signals["timestamp"]
    pri, conf = signals["priority"], signals["confidence"]
    if method is Resolution.HIGHEST_PRIORITY:
        keys = [ids, ts, -conf, -pri]
    elif method is Resolution.BEST_RISK_REWARD:
        keys = [ids, ts, -conf, -pri, -np.nan_to_num(signals["reward_risk"], nan=-np.inf)]
    elif method is Resolution.PERFORMANCE_WEIGHTED:
        keys = [ids, ts, -pri, -(conf * signals["performance_score"])]
    else:  # FIRST_IN_FIRST_OUT: the existing position's side first, then the earliest signal
        side = position_side[signals["instrument"]]
        against = (side != 0) & (signals["direction"] != side)
        keys = [ids, ts, against.astype(int)]
    return np.lexsort([*keys, signals["instrument"]])


def _groups(keys_sorted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First-row mask and group sizes of a sorted key array."""
    first = (
        np.r_[True, keys_sorted[1:] != keys_sorted[:-1]] if len(keys_sorted) else np.zeros(0, bool)
    )
    sizes = np.diff(np.r_[np.flatnonzero(first), len(keys_sorted)])
    return first, sizes


def _select(signals: Table, method: Resolution, w: np.ndarray, rej: Rejections) -> Table:
    s = take(signals, _order(signals, method, np.sign(w)))
    first, size = _groups(s["instrument"])
    win = take(s, first)
    win["conflicted"] = size > 1
    win["signal_ids"] = object_array([x] for x in win["signal_id"])
    win["signal_strategies"] = object_array([x] for x in win["strategy_id"])
    win["strategy_shares"] = object_array([(x, 1.0)] for x in win["strategy_id"])
    lost = ~first
    if lost.any():
        winner = np.repeat(win["signal_id"], size)[lost]
        win_pri = np.repeat(win["priority"], size)[lost]
        rej.add(
            Source.SIGNAL,
            s["signal_id"][lost],
            s["instrument_id"][lost],
            s["strategy_id"][lost],
            RejectReason.CONFLICT_LOST,
            [
                f"lost to {wid} under {method.value} (priority {PRIORITY_LEVELS[wp]} vs {PRIORITY_LEVELS[lp]})"
                for wid, wp, lp in zip(winner, win_pri, s["priority"][lost], strict=True)
            ],
            rule=method.value,
            winner=winner,
        )
    win["target_weight"] = win["direction"] * win["target_size"]
    return win


def _combine(
    signals: Table, method: Resolution, vol: np.ndarray, cfg: SizingConfig, rej: Rejections
) -> Table:
    # canonical row order: the sums below then do not depend on the order signals arrived in
    # (floating-point addition is not associative; the allocation solver amplifies last bits)
    ids = signals["signal_id"].astype(str)
    canonical = np.lexsort([ids, signals["instrument"]])
    signals, ids = take(signals, canonical), ids[canonical]
    uniq, codes = np.unique(signals["instrument"], return_inverse=True)
    if method is Resolution.NET:
        weight = np.ones(len(codes))
    else:
        weight = signals["strategy_weight"] * np.maximum(signals["confidence"], _MIN_CONFIDENCE)

    def combined(sizes: np.ndarray, cap: bool) -> np.ndarray:
        """Each instrument's signed combination of its signals' ``sizes``."""
        signed = signals["direction"] * sizes
        if method is Resolution.NET:
            out = np.bincount(codes, weights=signed)
            if cap:
                out = np.clip(out, -cfg.max_kelly_fraction, cfg.max_kelly_fraction)
        else:
            out = np.bincount(codes, weights=weight * signed) / np.bincount(codes, weights=weight)
            if method is Resolution.VOLATILITY_ADJUSTED:
                out = out * np.minimum(1.0, cfg.volatility_target / vol[uniq])
        return np.where(np.abs(out) <= SIZE_TOL, 0.0, out)  # opposing sizes that cancel

    # the sizing method's targets are combined; so are the Kelly fractions, for the record
    # (capped like a Kelly fraction, and so is the target under KELLY: the two are one)
    kelly = combined(signals["kelly"], cap=True)
    target = combined(signals["target_size"], cap=cfg.method is SizingMethod.KELLY)
    signed = signals["direction"] * signals["target_size"]
    d_group = np.sign(target).astype(int)
    contrib = weight * signed * d_group[codes]
    # the representative: largest weighted contribution in the final direction
    order = np.lexsort([ids, -contrib, codes])
    s_codes = codes[order]
    first, size = _groups(s_codes)
    win = take(signals, order[first])
    win["conflicted"] = size > 1
    win["target_weight"] = target
    win["direction"] = d_group
    win["target_size"] = np.abs(target)
    win["kelly"] = np.abs(kelly)
    win["kelly_raw"] = np.abs(kelly)
    ids_sorted = signals["signal_id"][order]
    starts = np.flatnonzero(first)
    win["signal_ids"] = object_array(
        list(ids_sorted[a : a + k]) for a, k in zip(starts, size, strict=True)
    )
    strat_sorted = signals["strategy_id"][order]
    win["signal_strategies"] = object_array(
        list(strat_sorted[a : a + k]) for a, k in zip(starts, size, strict=True)
    )
    # budget attribution: each strategy's share of the contributions in the final direction
    pos = np.maximum(contrib, 0.0)[order]
    strat = signals["strategy_id"][order]
    shares = []
    for a, k in zip(starts, size, strict=True):
        tot = pos[a : a + k].sum()
        by: dict = {}
        for st, p in zip(strat[a : a + k], pos[a : a + k], strict=True):
            by[st] = by.get(st, 0.0) + p
        shares.append([(st, p / tot) for st, p in by.items() if p > 0] if tot > 0 else [])
    win["strategy_shares"] = object_array(shares)
    zero = d_group == 0
    if zero.any():
        lost = np.isin(codes, np.flatnonzero(zero))
        rej.add(
            Source.SIGNAL,
            signals["signal_id"][lost],
            signals["instrument_id"][lost],
            signals["strategy_id"][lost],
            RejectReason.NETTED_OUT,
            "opposing signals cancel out",
            rule=method.value,
        )
        win = take(win, ~zero)
    return win


def resolve(
    signals: Table,
    adjustments: Table,
    w: np.ndarray,
    vol: np.ndarray,
    method: Resolution,
    cfg: SizingConfig,
    rej: Rejections,
) -> Table:
    """Resolve signals and rebalance adjustments into at most one candidate per instrument.

    Parameters
    ----------
    signals : Table
        Enriched, Kelly-sized signals (:data:`~portlab.engine.columns.SIGNALS`,
        :data:`~portlab.engine.columns.ENRICHMENT` and :data:`~portlab.engine.columns.KELLY`).
    adjustments : Table
        Instrument-level rebalance adjustments, one per instrument
        (:data:`~portlab.engine.columns.ADJUSTMENTS`).
    w : ndarray, shape (n,)
        Current weights.
    vol : ndarray, shape (n,)
        Annualised volatilities.
    method : Resolution
    cfg : SizingConfig
    rej : Rejections
        Ledger that receives every losing signal / adjustment.

    Returns
    -------
    Table with :data:`CANDIDATE_COLUMNS`.
    """
    m = length(signals)
    if m:
        # each instrument's signals by its own aggregator (a portfolio strategy map), or all
        # by ``method``
        chosen = signals.get("aggregator")
        groups = [method] if chosen is None else [Resolution(a) for a in sorted(set(chosen))]
        parts = []
        for how in groups:
            part = signals if chosen is None else take(signals, chosen == how.value)
            part = (
                _select(part, how, w, rej) if how in _SELECT else _combine(part, how, vol, cfg, rej)
            )
            part["rule"] = np.where(part["conflicted"], how.value, "").astype(object)
            parts.append(part)
        if len(parts) > 1:  # instrument order, as one group gives
            win = concat(parts, list(parts[0]))
            win = take(win, np.argsort(win["instrument"], kind="stable"))
        else:
            win = parts[0]
        k = length(win)
        candidates = {c: win[c] for c in _CARRY}
        trade = win["direction"] * (win["target_weight"] - w[win["instrument"]])
        candidates.update(
            direction=win["direction"],
            signal_trade=np.maximum(trade, 0.0),
            rebalance_trade=np.full(k, np.nan),
            winner_id=win["signal_id"],
            signal_ids=win["signal_ids"],
            signal_strategies=win["signal_strategies"],
            rebalance_ids=object_array([] for _ in range(k)),
            strategy_shares=win["strategy_shares"],
            origin=np.full(k, "SIGNAL", dtype=object),
            conflicted=win["conflicted"],
            rule=win["rule"],
            request_id=np.full(k, None, dtype=object),
        )
    else:
        candidates = {c: np.empty(0, dtype=object) for c in CANDIDATE_COLUMNS}
    if not length(adjustments):
        return candidates
    return _merge_rebalance(candidates, adjustments, method, rej)


def _merge_rebalance(
    candidates: Table, adjustments: Table, method: Resolution, rej: Rejections
) -> Table:
    candidates = {k: v.copy() for k, v in candidates.items()}  # rows edited in place below
    where = {int(i): k for k, i in enumerate(candidates["instrument"])}
    drop: list[int] = []
    add: list[int] = []
    overriding: set = set()
    for r in range(length(adjustments)):
        instrument = int(adjustments["instrument"][r])
        change = float(adjustments["weight_change"][r])
        adj = adjustments["adjustment_id"][r]
        name = adjustments["instrument_id"][r]
        prio, ts = int(adjustments["priority"][r]), adjustments["timestamp"][r]
        if instrument not in where:
            add.append(r)
            continue
        k = where[instrument]
        signal_direction = int(candidates["direction"][k])
        if np.sign(change) == signal_direction:  # same direction: blended during sizing
            candidates["rebalance_trade"][k] = abs(change)
            candidates["rebalance_ids"][k] = [adj]
            candidates["origin"][k] = "BOTH"
            candidates["request_id"][k] = adjustments["request_id"][r]
            candidates["priority"][k] = max(int(candidates["priority"][k]), prio)
            continue
        candidates["conflicted"][k] = True
        candidates["rule"][k] = method.value
        ids = candidates["signal_ids"][k]
        if method is Resolution.NET:
            net = signal_direction * candidates["signal_trade"][k] + change
            candidates["rebalance_ids"][k] = [adj]
            candidates["origin"][k] = "BOTH"
            candidates["request_id"][k] = adjustments["request_id"][r]
            if abs(net) < CHANGE_TOL:
                drop.append(k)
                rej.add(
                    Source.SIGNAL,
                    ids,
                    [name] * len(ids),
                    candidates["signal_strategies"][k],
                    RejectReason.NETTED_OUT,
                    "cancelled by a rebalance adjustment",
                    rule=method.value,
                )
                rej.add(
                    Source.REBALANCE,
                    [adj],
                    [name],
                    None,
                    RejectReason.NETTED_OUT,
                    "cancelled by opposing signals",
                    rule=method.value,
                )
                continue
            candidates["direction"][k] = int(np.sign(net))
            candidates["signal_trade"][k] = np.nan
            candidates["rebalance_trade"][k] = abs(net)
            continue
        if method is Resolution.FIRST_IN_FIRST_OUT:
            signal_wins = bool(candidates["timestamp"][k] < ts)
            why = "earlier" if signal_wins else "later"
        else:
            signal_wins = int(candidates["priority"][k]) > prio
            why = f"priority {PRIORITY_LEVELS[int(candidates['priority'][k])]} vs {PRIORITY_LEVELS[prio]}"
        if signal_wins:
            rej.add(
                Source.REBALANCE,
                [adj],
                [name],
                None,
                RejectReason.OVERRIDDEN,
                f"opposed by signal {candidates['winner_id'][k]} ({why})",
                rule=method.value,
                winner=[candidates["winner_id"][k]],
            )
        else:
            rej.add(
                Source.SIGNAL,
                ids,
                [name] * len(ids),
                candidates["signal_strategies"][k],
                RejectReason.OVERRIDDEN,
                f"opposed by rebalance adjustment {adj} ({why})",
                rule=method.value,
                winner=[adj] * len(ids),
            )
            drop.append(k)
            add.append(r)
            overriding.add(adj)
    if drop:
        keep = np.ones(length(candidates), dtype=bool)
        keep[drop] = False
        candidates = take(candidates, keep)
    if not add:
        return candidates
    a = take(adjustments, np.array(add))
    n = len(add)
    over = np.array([x in overriding for x in a["adjustment_id"]], dtype=bool)
    extra = {
        "instrument": a["instrument"].astype(int),
        "instrument_id": a["instrument_id"],
        "direction": np.sign(a["weight_change"]).astype(int),
        "kelly": np.full(n, np.nan),
        "kelly_raw": np.full(n, np.nan),
        "target_size": np.full(n, np.nan),
        "signal_trade": np.full(n, np.nan),
        "rebalance_trade": np.abs(a["weight_change"].astype(float)),
        "priority": a["priority"].astype(int),
        "edge": np.full(n, np.nan),
        "reward_risk": np.full(n, np.nan),
        "loss_fraction": np.full(n, np.nan),
        "kelly_horizon_days": np.full(n, np.nan),
        "confidence": np.full(n, np.nan),
        "timestamp": a["timestamp"],
        "winner_id": a["adjustment_id"],
        "signal_ids": object_array([] for _ in range(n)),
        "signal_strategies": object_array([] for _ in range(n)),
        "rebalance_ids": object_array([x] for x in a["adjustment_id"]),
        "strategy_shares": object_array([] for _ in range(n)),
        "origin": np.full(n, "REBALANCE", dtype=object),
        "conflicted": over,
        "urgency": a["urgency"],
        "lot_size": np.ones(n),
        "rule": np.where(over, method.value, "").astype(object),
        "request_id": a["request_id"],
        "strength": np.full(n, None, dtype=object),
        "expected_return": np.full(n, np.nan),
        "success_probability": np.full(n, np.nan),
        "payoff": np.full(n, np.nan),
    }
    return concat([candidates, extra], CANDIDATE_COLUMNS) if length(candidates) else extra
