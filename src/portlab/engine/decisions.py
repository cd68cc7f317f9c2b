"""Decide: amounts, shares, risk metrics, compliance and reasoning per decision (§7).

The decisions DataFrame holds one row per decision with every field of the
``CoordinatedTradingDecisionEvent`` contract (flat; specification §1) plus the detail behind
them (:data:`~portlab.engine.columns.DECISIONS`); :func:`decision_events` turns its rows into
the events, field for field.

An instrument without a sector (``"Unknown"``) is a sector of its own (see
:mod:`portlab.engine.book`): its ``sector_before``/``sector_after`` are its own gross weight
and its compliance warnings include ``sector_unknown_limit_not_applied``.
"""

from __future__ import annotations

import functools
import math
import uuid
from collections import namedtuple
from collections.abc import Iterator

import numpy as np
import pandas as pd

from portlab.engine.book import Book
from portlab.engine.columns import DECISIONS
from portlab.engine.config import ExecutionRulesConfig, Policy, SizingConfig
from portlab.engine.enums import ImpactAction, SizingMethod
from portlab.engine.execution import execution_rules, execution_strategy
from portlab.engine.outcome import fmt_pct
from portlab.engine.rebalance import RequestConstraints
from portlab.engine.signals import PRIORITY_LEVELS
from portlab.engine.sizing import LOSS_QUANTILE, TRADING_DAYS, var_z
from portlab.engine.table import Table, length, object_array
from portlab.engine.tolerances import SIZE_TOL
from portlab.events import CoordinatedTradingDecisionEvent

__all__ = ["DECISION_COLUMNS", "build_decisions", "decision_events"]

_NAMESPACE = uuid.UUID("6f1c2b9e-4a8d-4c3e-9b7a-0d5e8f2a1c34")

#: columns of ``CoordinationResult.decisions`` (:data:`portlab.engine.columns.DECISIONS`)
DECISION_COLUMNS = DECISIONS.names
#: A measure at or above this fraction of its limit is near it: a warning, and the
#: workbench's amber (at 90% a limit still leaves a tenth of its room)
NEAR_LIMIT = 0.9


def build_decisions(
    candidates: Table,
    book: Book,
    policy: Policy,
    cfg: SizingConfig,
    constraints: dict[str, RequestConstraints],
    when: pd.Timestamp,
    *,
    rules: ExecutionRulesConfig | None = None,
) -> Table:
    """The decision columns (:data:`DECISION_COLUMNS`) of the surviving candidates.

    Parameters
    ----------
    candidates : Table
        The candidates that survived every stage (:data:`~portlab.engine.columns.CANDIDATES`
        through :data:`~portlab.engine.columns.EXECUTION`).
    book, policy, cfg
    constraints : dict
        The rebalance requests' constraints by request id.
    when : Timestamp
        Time stamped on the decisions (UTC).
    rules : ExecutionRulesConfig, optional
        The execution rules (default: the defaults, which leave the execution strategy by
        urgency as it is).
    """
    rules = ExecutionRulesConfig() if rules is None else rules
    m = length(candidates)
    if m == 0:
        return {c: np.empty(0, dtype=object) for c in DECISION_COLUMNS}
    instrument = candidates["instrument"].astype(int)
    direction = candidates["direction"].astype(int)
    size = candidates["final_size"].astype(float)
    shares = candidates["shares"].astype(float)
    price = book.price[instrument]
    nav = book.nav
    w0 = book.w[instrument]
    amount = size * nav
    # portfolio after the whole batch
    executed = direction * candidates["executed_size"].astype(float)
    w1 = book.w.copy()
    np.add.at(w1, instrument, executed)
    g1 = book.covariance @ w1
    var1 = float(w1 @ g1)
    sigma1 = np.sqrt(max(var1, 0.0))
    # per-decision standalone impact
    diag, g0 = book.diag[instrument], book.g[instrument]
    z = var_z(cfg.var_confidence)
    daily = np.sqrt(1.0 / TRADING_DAYS)
    var_alone = book.variance + 2 * direction * size * g0 + size * size * diag
    var_impact = z * daily * (np.sqrt(np.maximum(var_alone, 0.0)) - book.volatility)
    position_var = z * daily * book.vol[instrument] * amount
    loss = candidates["loss_fraction"].astype(float)
    loss = np.where(np.isnan(loss), var_z(LOSS_QUANTILE) * daily * book.vol[instrument], loss)
    max_loss = amount * loss
    rr = np.nan_to_num(candidates["reward_risk"].astype(float), nan=0.0)
    sec = book.sector[instrument]
    sec_before = book.sector_gross[sec]
    sec_after = sec_before + np.abs(w0 + direction * size) - np.abs(w0)
    risk_contrib = w1[instrument] * g1[instrument] / sigma1 if sigma1 > 0 else np.zeros(m)

    timeframe = np.array(
        [
            constraints.get(r, {}).get("execution_timeframe") if r else None
            for r in candidates["request_id"]
        ],
        dtype=object,
    )
    urgency = np.array(
        [u if isinstance(u, str) else "NORMAL" for u in candidates["urgency"]], dtype=object
    )
    adv = None if book.adv is None else book.adv[instrument]
    ex = execution_strategy(urgency, size, shares, adv, timeframe)
    daily_vol = book.vol[instrument] * daily
    ex.update(execution_rules(ex, rules, direction, price, shares, adv, daily_vol))
    rho = candidates["book_correlation"].astype(float)
    comp = _compliance(book, policy, instrument, direction, size, w1, rho)

    ids = object_array(
        [
            str(uuid.uuid5(_NAMESPACE, f"{w}|{i}|{when.isoformat()}"))
            for w, i in zip(candidates["winner_id"], candidates["instrument_id"], strict=True)
        ]
    )
    has_sig = np.array([bool(x) for x in candidates["signal_ids"]], dtype=bool)
    out = {
        "decision_id": ids,
        "timestamp": np.full(m, when, dtype=object),
        "instrument_id": candidates["instrument_id"].astype(object),
        "action": np.where(direction > 0, "BUY", "SELL").astype(object),
        "position_size": size,
        "trade_amount": amount,
        "share_quantity": shares,
        "price": price,
        "notional": shares * price,
        "confidence": np.where(has_sig, candidates["confidence"].astype(float), np.nan),
        "priority": np.asarray(PRIORITY_LEVELS, dtype=object)[candidates["priority"].astype(int)],
        "origin": candidates["origin"].astype(object),
        "signal_id": np.where(has_sig, candidates["winner_id"].astype(object), None),
        "signal_ids": candidates["signal_ids"],
        "rebalance_ids": candidates["rebalance_ids"],
        "strategy_id": object_array(
            sh[0][0] if sh else None for sh in candidates["strategy_shares"]
        ),
        "conflicted": candidates["conflicted"].astype(bool),
        "signal_confidence": candidates["confidence"].astype(float),
        "signal_strength": candidates["strength"],
        "expected_return": candidates["expected_return"].astype(float),
        "current_position": w0,
        "target_position": w0 + direction * size,
        "sector": np.asarray(book.sector_labels, dtype=object)[sec],
        "sector_before": sec_before,
        "sector_after": sec_after,
        "sector_limit": policy.max_sector_exposure.limit,
        "correlation_impact": candidates["book_correlation"].astype(float),
        "risk_contribution": risk_contrib,
        "kelly_fraction": candidates["kelly"].astype(float),
        "signal_trade": candidates["signal_trade"].astype(float),
        "policy_constrained": candidates["policy_constrained"].astype(float),
        "correlation_adjusted": candidates["correlation_adjusted"].astype(float),
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
                "time_in_force",
                "limit_price",
                "market_impact",
                "child_orders",
            )
        },
        **comp,
    }
    if rules.market_impact_limit is not None:
        for j in np.flatnonzero(np.isnan(out["market_impact"])):
            out["warnings"][j] = [*out["warnings"][j], "market_impact_not_estimated"]
    out["reasoning"] = object_array(_reasoning(candidates, out, cfg, rules))
    return {c: out[c] for c in DECISION_COLUMNS}


def _compliance(
    book: Book,
    policy: Policy,
    instrument: np.ndarray,
    direction: np.ndarray,
    size: np.ndarray,
    w1: np.ndarray,
    rho: np.ndarray,
) -> dict[str, np.ndarray]:
    rules = policy.rules()
    m = len(instrument)
    w0 = book.w[instrument]
    target = w0 + direction * size
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
        over = after > limit + SIZE_TOL
        near = ~over & (after > NEAR_LIMIT * limit)
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
    sec = book.sector[instrument]
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
        for j in np.flatnonzero(book.sector_unknown[instrument]):
            warnings[j].append("sector_unknown_limit_not_applied")
    cor = rules["correlation"]
    cluster_after = book.cluster_exposure(instrument, w1)
    judge(
        "correlation_limit_check",
        "max_correlation_exposure",
        cluster_after,
        book.cluster_exposure(instrument),
        cor.limit,
        cor.hard,
        "correlated_exposure",
    )
    high = (direction * rho >= policy.correlation_threshold) & (direction * w0 >= 0)
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
    sigma1 = np.full(m, np.sqrt(max(float(w1 @ (book.covariance @ w1)), 0.0)))
    judge(
        "volatility_limit_check",
        "max_portfolio_volatility",
        sigma1,
        np.full(m, book.volatility),
        vol.limit,
        vol.hard,
        "portfolio_volatility",
    )
    # the 1-day parametric VaR of that volatility, against the VaR limit
    judge(
        "var_limit_check",
        "var_limit",
        policy.var_of(sigma1),
        np.full(m, policy.var_of(book.volatility)),
        rules["var"].limit,
        rules["var"].hard,
        "portfolio_var",
    )
    # the position's standalone risk |w| σ (annualised), against the position risk limit
    sigma = book.vol[instrument]
    judge(
        "position_risk_limit_check",
        "max_position_risk",
        np.abs(target) * sigma,
        np.abs(w0) * sigma,
        rules["position_risk"].limit,
        rules["position_risk"].hard,
        "position_risk",
    )
    return {**checks, "violations": object_array(violations), "warnings": object_array(warnings)}


def _impact_text(candidate: dict, out: dict, k: int, rules: ExecutionRulesConfig) -> str:
    """What the market impact limit did to decision ``k`` ("" without a limit)."""
    limit = rules.market_impact_limit
    if limit is None:
        return ""
    before, now = candidate["impact_estimate"], out["market_impact"][k]
    if np.isnan(before) or np.isnan(now):
        return "market impact not estimated (no volume or volatility data)"
    if candidate["impact_size"] < candidate["risk_adjusted"] - SIZE_TOL:
        return (
            f"market impact {before:.2%} above the {limit:.2%} limit: shrunk to "
            f"{fmt_pct(candidate['impact_size'])} (impact {now:.2%})"
        )
    n = int(out["child_orders"][k])
    if rules.impact_action is ImpactAction.SPLIT and n > 1:
        return (
            f"market impact {now:.2%} above the {limit:.2%} limit: split into {n} daily "
            f"orders of {now / np.sqrt(n):.2%} impact each"
        )
    return f"market impact {now:.2%} within the {limit:.2%} limit"


def _reasoning(
    candidates: Table, out: dict, cfg: SizingConfig, rules: ExecutionRulesConfig
) -> list[str]:
    texts = []
    for k in range(length(candidates)):
        candidate = {key: v[k] for key, v in candidates.items()}
        parts = []
        if candidate["signal_ids"] and not np.isnan(candidate["kelly"]):
            if not np.isnan(candidate["payoff"]):
                p = (
                    candidate["success_probability"]
                    if not np.isnan(candidate["success_probability"])
                    else candidate["confidence"]
                )
                how = f"p={p:.2f}, payoff {candidate['payoff']:.2f}"
            else:
                how = f"expected {candidate['edge']:.2%} over {candidate['kelly_horizon_days']:g} days"
            if cfg.method is SizingMethod.KELLY:
                parts.append(f"Kelly {fmt_pct(candidate['kelly'])} ({how})")
            else:  # the method's target, with the Kelly fraction it was checked against
                parts.append(
                    f"{cfg.method.label} size {fmt_pct(candidate['target_size'])} "
                    f"(Kelly {fmt_pct(candidate['kelly'])}: {how})"
                )
            if not np.isnan(candidate["signal_trade"]):
                parts.append(
                    f"trade {fmt_pct(candidate['signal_trade'])} toward it from {fmt_pct(candidate['current_weight'])}"
                )
        else:
            parts.append(
                f"rebalance toward target: trade {fmt_pct(candidate['rebalance_trade'])} from {fmt_pct(candidate['current_weight'])}"
            )
        want = (
            candidate["signal_trade"]
            if not np.isnan(candidate["signal_trade"])
            else candidate["rebalance_trade"]
        )
        if candidate["policy_constrained"] < want - SIZE_TOL:
            parts.append(
                f"capped at {fmt_pct(candidate['policy_constrained'])} by the {candidate['binding_rule'].replace('_', ' ')} limit"
            )
        if candidate["correlation_factor"] < 1 - SIZE_TOL:
            parts.append(
                f"x{candidate['correlation_factor']:.3f} for correlation {candidate['book_correlation']:.2f} with holdings "
                f"-> {fmt_pct(candidate['correlation_adjusted'])}"
            )
        if candidate["signal_ids"] and not np.isnan(candidate["rebalance_trade"]):
            parts.append(
                f"blended {cfg.rebalance_blend:.0%} with rebalance {fmt_pct(candidate['rebalance_trade'])} -> {fmt_pct(candidate['blended'])}"
            )
        if candidate["min_size_applied"]:
            parts.append(f"raised to the {fmt_pct(cfg.min_position_size)} minimum")
        if candidate["allocated"] < candidate["sized"] - SIZE_TOL:
            parts.append(
                f"allocation cut to {fmt_pct(candidate['allocated'])} ({candidate['allocation_binding']})"
            )
        if candidate["risk_adjusted"] < candidate["allocated"] - SIZE_TOL:
            parts.append(f"risk loop resized to {fmt_pct(candidate['risk_adjusted'])}")
        impact = _impact_text(candidate, out, k, rules)
        if impact:
            parts.append(impact)
        if candidate["trimmed_by"]:
            parts.append(f"trimmed by the final {candidate['trimmed_by']} check")
        if candidate["conflicted"]:
            parts.append(f"conflict resolved by {candidate['rule']}")
        parts.append(f"{out['share_quantity'][k]:,.0f} shares at {out['price'][k]:,.2f}")
        texts.append("; ".join(parts))
    return texts


@functools.lru_cache(maxsize=8)
def _row_type(columns: tuple[str, ...]) -> type:
    return namedtuple("DecisionRow", columns, rename=True)


def _values(column: pd.Series) -> list:
    """``column.tolist()``; a time column's Timestamps made once per distinct time (a
    batch's decisions share one), not once per row."""
    if not pd.api.types.is_datetime64_any_dtype(column.dtype):
        return column.tolist()
    codes, times = pd.factorize(column)
    stamps = [*times, pd.NaT]  # code -1 (a missing time) picks the last
    return [stamps[c] for c in codes.tolist()]


def decision_events(decisions: pd.DataFrame) -> list[CoordinatedTradingDecisionEvent]:
    """Rows of a decisions frame as :class:`~portlab.events.CoordinatedTradingDecisionEvent`."""
    return [CoordinatedTradingDecisionEvent.model_validate(b) for b in _event_bodies(decisions)]


def _event_bodies(decisions: pd.DataFrame) -> Iterator[dict]:
    """The JSON dicts of the decision events, one per row (the contract's field names, in
    its order)."""

    def num(x, default=0.0) -> float:
        return default if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)

    # one list per column, then rows as named tuples: itertuples goes through pandas' row
    # indexing, which costs more than building the events themselves
    row_type = _row_type(tuple(str(c) for c in decisions.columns))
    values = [_values(decisions[c]) for c in decisions.columns]
    for r in map(row_type._make, zip(*values, strict=True)):
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
        yield body
