"""Stage 6 — decide: amounts, shares, risk metrics, compliance and reasoning per decision.

The decisions DataFrame holds one row per decision with every field of seed 000's
``CoordinatedTradingDecisionEvent`` (flat) plus the detail behind them; :func:`decision_events`
turns its rows into the events, field for field.

An instrument without a sector (``"Unknown"``) is a sector of its own (see
:mod:`portlab.engine.book`): its ``sector_before``/``sector_after`` are its own gross weight
and its compliance warnings include ``sector_unknown_limit_not_applied``.
"""

from __future__ import annotations

import uuid

import numpy as np
import pandas as pd

from portlab.engine._table import Table, length, obj
from portlab.engine.book import Book
from portlab.engine.config import Policy, SizingConfig
from portlab.engine.execution import execution_strategy
from portlab.engine.outcome import fmt_pct
from portlab.engine.signals import PRIORITY_LEVELS
from portlab.engine.sizing import TRADING_DAYS, var_z

__all__ = ["DECISION_COLUMNS", "build_decisions", "decision_events"]

_NAMESPACE = uuid.UUID("6f1c2b9e-4a8d-4c3e-9b7a-0d5e8f2a1c34")

DECISION_COLUMNS = (
    "decision_id",
    "timestamp",
    "instrument_id",
    "action",
    "position_size",
    "trade_amount",
    "share_quantity",
    "price",
    "notional",
    "confidence",
    "priority",
    "origin",
    "signal_id",
    "signal_ids",
    "rebalance_ids",
    "strategy_id",
    "conflicted",
    "signal_confidence",
    "signal_strength",
    "expected_return",
    "current_position",
    "target_position",
    "sector",
    "sector_before",
    "sector_after",
    "sector_limit",
    "correlation_impact",
    "risk_contribution",
    "kelly_fraction",
    "signal_trade",
    "policy_constrained",
    "correlation_adjusted",
    "final_size",
    "position_var_1d",
    "portfolio_var_impact",
    "max_loss_estimate",
    "risk_reward_ratio",
    "order_type",
    "execution_algorithm",
    "time_horizon",
    "urgency",
    "participation",
    "position_limit_check",
    "sector_limit_check",
    "correlation_limit_check",
    "leverage_limit_check",
    "volatility_limit_check",
    "violations",
    "warnings",
    "reasoning",
)


def build_decisions(
    cand: Table,
    book: Book,
    policy: Policy,
    cfg: SizingConfig,
    constraints: dict,
    when: pd.Timestamp,
) -> Table:
    """The decision columns (:data:`DECISION_COLUMNS`) of the surviving candidates."""
    m = length(cand)
    if m == 0:
        return {c: np.empty(0, dtype=object) for c in DECISION_COLUMNS}
    inst = cand["inst"].astype(int)
    d = cand["d"].astype(int)
    size = cand["final_size"].astype(float)
    shares = cand["shares"].astype(float)
    price = book.price[inst]
    nav = book.nav
    w0 = book.w[inst]
    amount = size * nav
    # portfolio after the whole batch
    executed = d * cand["executed_size"].astype(float)
    w1 = book.w.copy()
    np.add.at(w1, inst, executed)
    g1 = book._cov0 @ w1
    var1 = float(w1 @ g1)
    sigma1 = np.sqrt(max(var1, 0.0))
    # per-decision standalone impact
    diag, g0 = book.diag[inst], book.g[inst]
    z = var_z(cfg.var_confidence)
    daily = np.sqrt(1.0 / TRADING_DAYS)
    var_alone = book.variance + 2 * d * size * g0 + size * size * diag
    var_impact = z * daily * (np.sqrt(np.maximum(var_alone, 0.0)) - book.volatility)
    position_var = z * daily * book.vol[inst] * amount
    loss = cand["loss"].astype(float)
    loss = np.where(np.isnan(loss), var_z(0.99) * daily * book.vol[inst], loss)
    max_loss = amount * loss
    rr = np.nan_to_num(cand["reward_risk"].astype(float), nan=0.0)
    sec = book.sector[inst]
    sec_before = book.sector_gross[sec]
    sec_after = sec_before + np.abs(w0 + d * size) - np.abs(w0)
    risk_contrib = np.where(sigma1 > 0, w1[inst] * g1[inst] / max(sigma1, 1e-300), 0.0)

    timeframe = np.array(
        [
            constraints.get(r, {}).get("execution_timeframe") if r else None
            for r in cand["request_id"]
        ],
        dtype=object,
    )
    urgency = np.array(
        [u if isinstance(u, str) else "NORMAL" for u in cand["urgency"]], dtype=object
    )
    ex = execution_strategy(
        urgency, size, shares, None if book.adv is None else book.adv[inst], timeframe
    )
    comp = _compliance(book, policy, inst, d, size, w1, cand["book_correlation"].astype(float))

    ids = obj(
        [
            str(uuid.uuid5(_NAMESPACE, f"{w}|{i}|{when.isoformat()}"))
            for w, i in zip(cand["winner_id"], cand["instrument_id"], strict=True)
        ]
    )
    has_sig = np.array([bool(x) for x in cand["signal_ids"]], dtype=bool)
    out = {
        "decision_id": ids,
        "timestamp": np.full(m, when, dtype=object),
        "instrument_id": cand["instrument_id"].astype(object),
        "action": np.where(d > 0, "BUY", "SELL").astype(object),
        "position_size": size,
        "trade_amount": amount,
        "share_quantity": shares,
        "price": price,
        "notional": shares * price,
        "confidence": np.where(has_sig, cand["confidence"].astype(float), np.nan),
        "priority": np.asarray(PRIORITY_LEVELS, dtype=object)[cand["priority"].astype(int)],
        "origin": cand["origin"].astype(object),
        "signal_id": np.where(has_sig, cand["winner_id"].astype(object), None),
        "signal_ids": cand["signal_ids"],
        "rebalance_ids": cand["rebalance_ids"],
        "strategy_id": obj(sh[0][0] if sh else None for sh in cand["strategy_shares"]),
        "conflicted": cand["conflicted"].astype(bool),
        "signal_confidence": cand["confidence"].astype(float),
        "signal_strength": cand["strength"],
        "expected_return": cand["expected_return"].astype(float),
        "current_position": w0,
        "target_position": w0 + d * size,
        "sector": np.asarray(book.sector_labels, dtype=object)[sec],
        "sector_before": sec_before,
        "sector_after": sec_after,
        "sector_limit": policy.max_sector_exposure.limit,
        "correlation_impact": cand["book_correlation"].astype(float),
        "risk_contribution": risk_contrib,
        "kelly_fraction": cand["kelly"].astype(float),
        "signal_trade": cand["signal_trade"].astype(float),
        "policy_constrained": cand["policy_constrained"].astype(float),
        "correlation_adjusted": cand["correlation_adjusted"].astype(float),
        "final_size": size,
        "position_var_1d": position_var,
        "portfolio_var_impact": var_impact,
        "max_loss_estimate": max_loss,
        "risk_reward_ratio": rr,
        **{
            k: ex[k]
            for k in (
                "order_type",
                "execution_algorithm",
                "time_horizon",
                "urgency",
                "participation",
            )
        },
        **comp,
    }
    out["reasoning"] = obj(_reasoning(cand, out, cfg))
    return {c: out[c] for c in DECISION_COLUMNS}


def _compliance(book, policy, inst, d, size, w1, rho) -> dict[str, object]:
    rules = policy.rules()
    m = len(inst)
    w0 = book.w[inst]
    target = w0 + d * size
    checks: dict[str, np.ndarray] = {}
    violations = [[] for _ in range(m)]
    warnings = [[] for _ in range(m)]

    def judge(
        name: str,
        key: str,
        after: np.ndarray,
        before: np.ndarray,
        limit: float,
        hard: bool,
        code: str,
    ):
        status = np.full(m, "PASSED", dtype=object)
        over = after > limit + 1e-12
        near = ~over & (after > 0.9 * limit)
        for j in np.flatnonzero(over):
            if hard:  # only reachable when the measure was already above and the trade reduced it
                warnings[j].append(f"{code}_still_above_limit")
            else:
                violations[j].append(f"{key}: {after[j]:.4f} > {limit:.4f} (soft limit)")
            status[j] = "WARNING"
        for j in np.flatnonzero(near):
            warnings[j].append(f"{code}_near_limit")
        checks[name] = status

    pos = rules["position"]
    judge(
        "position_limit_check",
        "max_position_size",
        np.abs(target),
        np.abs(w0),
        pos.limit,
        pos.hard,
        "position",
    )
    sec = book.sector[inst]
    sec1 = np.bincount(book.sector, weights=np.abs(w1), minlength=len(book.sector_labels))[sec]
    judge(
        "sector_limit_check",
        "max_sector_exposure",
        sec1,
        book.sector_gross[sec],
        rules["sector"].limit,
        rules["sector"].hard,
        "sector_exposure",
    )
    if book.sector_unknown is not None:  # a sector of its own: the sector limit does not bind
        for j in np.flatnonzero(book.sector_unknown[inst]):
            warnings[j].append("sector_unknown_limit_not_applied")
    cor = rules["correlation"]
    cluster_after = book.cluster_exposure(inst, w1)
    judge(
        "correlation_limit_check",
        "max_correlation_exposure",
        cluster_after,
        book.cluster_exposure(inst),
        cor.limit,
        cor.hard,
        "correlated_exposure",
    )
    high = (d * rho >= policy.correlation_threshold) & (d * w0 >= 0)
    for j in np.flatnonzero(high):
        warnings[j].append("high_correlation_with_existing_positions")
    checks["correlation_limit_check"] = np.where(high, "WARNING", checks["correlation_limit_check"])
    lev = rules["leverage"]
    gross1 = np.full(m, np.abs(w1).sum())
    judge(
        "leverage_limit_check",
        "max_leverage",
        gross1,
        np.full(m, book.gross),
        lev.limit,
        lev.hard,
        "leverage",
    )
    vol = rules["volatility"]
    sigma1 = np.full(m, np.sqrt(max(float(w1 @ (book._cov0 @ w1)), 0.0)))
    judge(
        "volatility_limit_check",
        "max_portfolio_volatility",
        sigma1,
        np.full(m, book.volatility),
        vol.limit,
        vol.hard,
        "portfolio_volatility",
    )
    return {**checks, "violations": obj(violations), "warnings": obj(warnings)}


def _reasoning(cand: Table, out: dict, cfg: SizingConfig) -> list[str]:
    texts = []
    for k in range(length(cand)):
        c = {key: v[k] for key, v in cand.items()}
        parts = []
        if c["signal_ids"] and not np.isnan(c["kelly"]):
            if not np.isnan(c["payoff"]):
                p = (
                    c["success_probability"]
                    if not np.isnan(c["success_probability"])
                    else c["confidence"]
                )
                how = f"p={p:.2f}, payoff {c['payoff']:.2f}"
            else:
                how = f"expected {c['edge']:.2%} over {c['horizon']:g} days"
            parts.append(f"Kelly {fmt_pct(c['kelly'])} ({how})")
            if not np.isnan(c["signal_trade"]):
                parts.append(
                    f"trade {fmt_pct(c['signal_trade'])} toward it from {fmt_pct(c['current_weight'])}"
                )
        else:
            parts.append(
                f"rebalance toward target: trade {fmt_pct(c['rebalance_trade'])} from {fmt_pct(c['current_weight'])}"
            )
        want = c["signal_trade"] if not np.isnan(c["signal_trade"]) else c["rebalance_trade"]
        if c["policy_constrained"] < want - 1e-12:
            parts.append(
                f"capped at {fmt_pct(c['policy_constrained'])} by the {c['binding_rule']} limit"
            )
        if c["correlation_factor"] < 1 - 1e-12:
            parts.append(
                f"x{c['correlation_factor']:.3f} for correlation {c['book_correlation']:.2f} with holdings "
                f"-> {fmt_pct(c['correlation_adjusted'])}"
            )
        if c["signal_ids"] and not np.isnan(c["rebalance_trade"]):
            parts.append(
                f"blended {cfg.rebalance_blend:.0%} with rebalance {fmt_pct(c['rebalance_trade'])} -> {fmt_pct(c['blended'])}"
            )
        if c["min_size_applied"]:
            parts.append(f"raised to the {fmt_pct(cfg.min_position_size)} minimum")
        if c["allocated"] < c["sized"] - 1e-12:
            parts.append(f"allocation cut to {fmt_pct(c['allocated'])} ({c['allocation_binding']})")
        if c["risk_adjusted"] < c["allocated"] - 1e-12:
            parts.append(f"risk loop resized to {fmt_pct(c['risk_adjusted'])}")
        if c["trimmed_by"]:
            parts.append(f"trimmed by the final {c['trimmed_by']} check")
        if c["conflicted"]:
            parts.append(f"conflict resolved by {c['rule']}")
        parts.append(f"{out['share_quantity'][k]:,.0f} shares at {out['price'][k]:,.2f}")
        texts.append("; ".join(parts))
    return texts


def decision_events(decisions: pd.DataFrame) -> list:
    """Rows of a decisions frame as :class:`~portlab.events.CoordinatedTradingDecisionEvent`."""
    from portlab.events import CoordinatedTradingDecisionEvent

    def num(x, default=0.0) -> float:
        return default if x is None or (isinstance(x, float) and np.isnan(x)) else float(x)

    events = []
    for r in decisions.itertuples(index=False):
        basis = None
        if isinstance(r.signal_id, str):
            basis = {
                "signal_id": r.signal_id,
                "signal_confidence": num(r.signal_confidence),
                "signal_strength": r.signal_strength
                if isinstance(r.signal_strength, str)
                else "MODERATE",
                "expected_return": num(r.expected_return),
            }
        body = {
            "eventId": r.decision_id,
            "timestamp": r.timestamp,
            "decision": {
                "instrument_id": r.instrument_id,
                "action": r.action,
                "position_size": float(r.position_size),
                "trade_amount": round(float(r.trade_amount), 2),
                "share_quantity": int(round(r.share_quantity))
                if float(r.share_quantity).is_integer()
                else int(r.share_quantity),
                "confidence": num(r.confidence, 1.0),
                "priority": r.priority,
            },
            "signal_basis": basis,
            "portfolio_context": {
                "current_position": float(r.current_position),
                "target_position": float(r.target_position),
                "sector_exposure_impact": {
                    "sector": str(r.sector),
                    "before": float(r.sector_before),
                    "after": float(r.sector_after),
                    "limit": float(r.sector_limit),
                },
                "correlation_impact": float(r.correlation_impact),
                "risk_contribution": float(r.risk_contribution),
            },
            "position_sizing": {
                "kelly_fraction": num(r.kelly_fraction),
                "policy_constrained": float(r.policy_constrained),
                "correlation_adjusted": float(r.correlation_adjusted),
                "final_size": float(r.final_size),
                "sizing_reasoning": r.reasoning,
            },
            "risk_metrics": {
                "position_var_1d": round(float(r.position_var_1d), 2),
                "portfolio_var_impact": float(r.portfolio_var_impact),
                "max_loss_estimate": round(float(r.max_loss_estimate), 2),
                "risk_reward_ratio": float(r.risk_reward_ratio),
            },
            "execution_strategy": {
                "order_type": r.order_type,
                "execution_algorithm": r.execution_algorithm,
                "time_horizon": r.time_horizon,
                "urgency": r.urgency,
            },
            "policy_compliance": {
                "position_limit_check": r.position_limit_check,
                "sector_limit_check": r.sector_limit_check,
                "correlation_limit_check": r.correlation_limit_check,
                "violations": list(r.violations),
                "warnings": list(r.warnings),
            },
        }
        if basis is None:
            body.pop("signal_basis")
        events.append(CoordinatedTradingDecisionEvent.model_validate(body))
    return events
