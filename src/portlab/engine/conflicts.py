"""Stage 2 — aggregate and resolve conflicts: at most one candidate trade per instrument.

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

from portlab.engine._table import Table, concat, length, obj, take
from portlab.engine.config import Resolution, SizingConfig
from portlab.engine.outcome import Rejections, RejectReason, Source
from portlab.engine.signals import PRIORITY_LEVELS

__all__ = ["CANDIDATE_COLUMNS", "resolve"]

_ZERO = 1e-12  # a combined Kelly target this small counts as netted out

_SELECT = {
    Resolution.HIGHEST_PRIORITY,
    Resolution.BEST_RISK_REWARD,
    Resolution.PERFORMANCE_WEIGHTED,
    Resolution.FIRST_IN_FIRST_OUT,
}

#: columns of a candidate table (one row per instrument to trade)
CANDIDATE_COLUMNS = (
    "inst",
    "instrument_id",
    "d",
    "kelly",
    "kelly_raw",
    "signal_trade",
    "rebalance_trade",
    "priority",
    "edge",
    "reward_risk",
    "loss",
    "horizon",
    "confidence",
    "timestamp",
    "winner_id",
    "signal_ids",
    "signal_strategies",
    "rebalance_ids",
    "strategy_shares",
    "origin",
    "conflicted",
    "urgency",
    "lot_size",
    "rule",
    "request_id",
    "strength",
    "expected_return",
    "success_probability",
    "payoff",
)
# signal columns carried over to candidates unchanged
_CARRY = (
    "inst",
    "instrument_id",
    "kelly",
    "kelly_raw",
    "priority",
    "edge",
    "reward_risk",
    "loss",
    "horizon",
    "confidence",
    "timestamp",
    "urgency",
    "lot_size",
    "strength",
    "expected_return",
    "success_probability",
    "payoff",
)


def _order(sig: Table, method: Resolution, position_side: np.ndarray) -> np.ndarray:
    """Row order that puts each instrument's winning signal first (deterministic ties)."""
    ids, ts = sig["signal_id"].astype(str), sig["timestamp"]
    pri, conf = sig["priority"], sig["confidence"]
    if method is Resolution.HIGHEST_PRIORITY:
        keys = [ids, ts, -conf, -pri]
    elif method is Resolution.BEST_RISK_REWARD:
        keys = [ids, ts, -conf, -pri, -np.nan_to_num(sig["reward_risk"], nan=-np.inf)]
    elif method is Resolution.PERFORMANCE_WEIGHTED:
        keys = [ids, ts, -pri, -(conf * sig["perf_score"])]
    else:  # FIRST_IN_FIRST_OUT: the existing position's side first, then the earliest signal
        side = position_side[sig["inst"]]
        against = (side != 0) & (sig["direction"] != side)
        keys = [ids, ts, against.astype(int)]
    return np.lexsort([*keys, sig["inst"]])


def _groups(inst_sorted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First-row mask and group sizes of a sorted key array."""
    first = (
        np.r_[True, inst_sorted[1:] != inst_sorted[:-1]] if len(inst_sorted) else np.zeros(0, bool)
    )
    sizes = np.diff(np.r_[np.flatnonzero(first), len(inst_sorted)])
    return first, sizes


def _select(sig: Table, method: Resolution, w: np.ndarray, rej: Rejections) -> Table:
    s = take(sig, _order(sig, method, np.sign(w)))
    first, size = _groups(s["inst"])
    win = take(s, first)
    win["conflicted"] = size > 1
    win["signal_ids"] = obj([x] for x in win["signal_id"])
    win["signal_strategies"] = obj([x] for x in win["strategy_id"])
    win["strategy_shares"] = obj([(x, 1.0)] for x in win["strategy_id"])
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
    win["target"] = win["direction"] * win["kelly"]
    return win


def _combine(
    sig: Table, method: Resolution, vol: np.ndarray, cfg: SizingConfig, rej: Rejections
) -> Table:
    # canonical row order: the sums below then do not depend on the order signals arrived in
    # (floating-point addition is not associative; the allocation solver amplifies last bits)
    ids = sig["signal_id"].astype(str)
    canonical = np.lexsort([ids, sig["inst"]])
    sig, ids = take(sig, canonical), ids[canonical]
    uniq, codes = np.unique(sig["inst"], return_inverse=True)
    signed = sig["direction"] * sig["kelly"]
    if method is Resolution.NET:
        weight = np.ones(len(codes))
        target = np.clip(
            np.bincount(codes, weights=signed), -cfg.max_kelly_fraction, cfg.max_kelly_fraction
        )
    else:
        weight = sig["strategy_weight"] * np.maximum(sig["confidence"], 1e-12)
        target = np.bincount(codes, weights=weight * signed) / np.bincount(codes, weights=weight)
        if method is Resolution.VOLATILITY_ADJUSTED:
            target = target * np.minimum(1.0, cfg.volatility_target / vol[uniq])
    target = np.where(np.abs(target) <= _ZERO, 0.0, target)  # opposing sizes that cancel
    d_group = np.sign(target).astype(int)
    contrib = weight * signed * d_group[codes]
    # the representative: largest weighted contribution in the final direction
    order = np.lexsort([ids, -contrib, codes])
    s_codes = codes[order]
    first, size = _groups(s_codes)
    win = take(sig, order[first])
    win["conflicted"] = size > 1
    win["target"] = target
    win["direction"] = d_group
    win["kelly"] = np.abs(target)
    win["kelly_raw"] = np.abs(target)
    ids_sorted = sig["signal_id"][order]
    starts = np.flatnonzero(first)
    win["signal_ids"] = obj(list(ids_sorted[a : a + k]) for a, k in zip(starts, size, strict=True))
    strat_sorted = sig["strategy_id"][order]
    win["signal_strategies"] = obj(
        list(strat_sorted[a : a + k]) for a, k in zip(starts, size, strict=True)
    )
    # budget attribution: each strategy's share of the contributions in the final direction
    pos = np.maximum(contrib, 0.0)[order]
    strat = sig["strategy_id"][order]
    shares = []
    for a, k in zip(starts, size, strict=True):
        tot = pos[a : a + k].sum()
        by: dict = {}
        for st, p in zip(strat[a : a + k], pos[a : a + k], strict=True):
            by[st] = by.get(st, 0.0) + p
        shares.append([(st, p / tot) for st, p in by.items() if p > 0] if tot > 0 else [])
    win["strategy_shares"] = obj(shares)
    zero = d_group == 0
    if zero.any():
        lost = np.isin(codes, np.flatnonzero(zero))
        rej.add(
            Source.SIGNAL,
            sig["signal_id"][lost],
            sig["instrument_id"][lost],
            sig["strategy_id"][lost],
            RejectReason.NETTED_OUT,
            "opposing signals cancel out",
            rule=method.value,
        )
        win = take(win, ~zero)
    return win


def resolve(
    sig: Table,
    rb: Table,
    w: np.ndarray,
    vol: np.ndarray,
    method: Resolution,
    cfg: SizingConfig,
    rej: Rejections,
) -> Table:
    """Resolve signals and rebalance adjustments into at most one candidate per instrument.

    Parameters
    ----------
    sig : Table
        Enriched, Kelly-sized signals (``inst``, ``direction``, ``kelly`` ...).
    rb : Table
        Instrument-level rebalance adjustments, one per instrument: ``inst``, ``delta``
        (signed weight change wanted), ``priority``, ``timestamp``, ``adj_id`` ...
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
    m = length(sig)
    if m:
        win = (
            _select(sig, method, w, rej)
            if method in _SELECT
            else _combine(sig, method, vol, cfg, rej)
        )
        k = length(win)
        cand = {c: win[c] for c in _CARRY}
        cand.update(
            d=win["direction"],
            signal_trade=np.maximum(win["direction"] * (win["target"] - w[win["inst"]]), 0.0),
            rebalance_trade=np.full(k, np.nan),
            winner_id=win["signal_id"],
            signal_ids=win["signal_ids"],
            signal_strategies=win["signal_strategies"],
            rebalance_ids=obj([] for _ in range(k)),
            strategy_shares=win["strategy_shares"],
            origin=np.full(k, "SIGNAL", dtype=object),
            conflicted=win["conflicted"],
            rule=np.where(win["conflicted"], method.value, "").astype(object),
            request_id=np.full(k, None, dtype=object),
        )
    else:
        cand = {c: np.empty(0, dtype=object) for c in CANDIDATE_COLUMNS}
    if not length(rb):
        return cand
    return _merge_rebalance(cand, rb, method, rej)


def _merge_rebalance(cand: Table, rb: Table, method: Resolution, rej: Rejections) -> Table:
    cand = {k: v.copy() for k, v in cand.items()}
    where = {int(i): k for k, i in enumerate(cand["inst"])}
    drop: list[int] = []
    add: list[int] = []
    overriding: set = set()
    for r in range(length(rb)):
        inst, delta, adj = int(rb["inst"][r]), float(rb["delta"][r]), rb["adj_id"][r]
        name, prio, ts = rb["instrument_id"][r], int(rb["priority"][r]), rb["timestamp"][r]
        if inst not in where:
            add.append(r)
            continue
        k = where[inst]
        d_sig = int(cand["d"][k])
        if np.sign(delta) == d_sig:  # same direction: blended during sizing
            cand["rebalance_trade"][k] = abs(delta)
            cand["rebalance_ids"][k] = [adj]
            cand["origin"][k] = "BOTH"
            cand["request_id"][k] = rb["request_id"][r]
            cand["priority"][k] = max(int(cand["priority"][k]), prio)
            continue
        cand["conflicted"][k] = True
        cand["rule"][k] = method.value
        ids = cand["signal_ids"][k]
        if method is Resolution.NET:
            net = d_sig * cand["signal_trade"][k] + delta
            cand["rebalance_ids"][k] = [adj]
            cand["origin"][k] = "BOTH"
            cand["request_id"][k] = rb["request_id"][r]
            if abs(net) < 1e-15:
                drop.append(k)
                rej.add(
                    Source.SIGNAL,
                    ids,
                    [name] * len(ids),
                    cand["signal_strategies"][k],
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
            cand["d"][k] = int(np.sign(net))
            cand["signal_trade"][k] = np.nan
            cand["rebalance_trade"][k] = abs(net)
            continue
        if method is Resolution.FIRST_IN_FIRST_OUT:
            signal_wins = bool(cand["timestamp"][k] < ts)
            why = "earlier" if signal_wins else "later"
        else:
            signal_wins = int(cand["priority"][k]) > prio
            why = f"priority {PRIORITY_LEVELS[int(cand['priority'][k])]} vs {PRIORITY_LEVELS[prio]}"
        if signal_wins:
            rej.add(
                Source.REBALANCE,
                [adj],
                [name],
                None,
                RejectReason.OVERRIDDEN,
                f"opposed by signal {cand['winner_id'][k]} ({why})",
                rule=method.value,
                winner=[cand["winner_id"][k]],
            )
        else:
            rej.add(
                Source.SIGNAL,
                ids,
                [name] * len(ids),
                cand["signal_strategies"][k],
                RejectReason.OVERRIDDEN,
                f"opposed by rebalance adjustment {adj} ({why})",
                rule=method.value,
                winner=[adj] * len(ids),
            )
            drop.append(k)
            add.append(r)
            overriding.add(adj)
    if drop:
        keep = np.ones(length(cand), dtype=bool)
        keep[drop] = False
        cand = take(cand, keep)
    if not add:
        return cand
    a = take(rb, np.array(add))
    n = len(add)
    over = np.array([x in overriding for x in a["adj_id"]], dtype=bool)
    extra = {
        "inst": a["inst"].astype(int),
        "instrument_id": a["instrument_id"],
        "d": np.sign(a["delta"]).astype(int),
        "kelly": np.full(n, np.nan),
        "kelly_raw": np.full(n, np.nan),
        "signal_trade": np.full(n, np.nan),
        "rebalance_trade": np.abs(a["delta"].astype(float)),
        "priority": a["priority"].astype(int),
        "edge": np.full(n, np.nan),
        "reward_risk": np.full(n, np.nan),
        "loss": np.full(n, np.nan),
        "horizon": np.full(n, np.nan),
        "confidence": np.full(n, np.nan),
        "timestamp": a["timestamp"],
        "winner_id": a["adj_id"],
        "signal_ids": obj([] for _ in range(n)),
        "signal_strategies": obj([] for _ in range(n)),
        "rebalance_ids": obj([x] for x in a["adj_id"]),
        "strategy_shares": obj([] for _ in range(n)),
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
    return concat([cand, extra], CANDIDATE_COLUMNS) if length(cand) else extra
