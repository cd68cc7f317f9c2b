"""Rebalance requests from the triggers: :func:`evaluate_triggers` (the events) and
:func:`trigger_status` (every trigger's reading as a table)."""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from portlab.analytics.rebalance._settings import (
    REBALANCE_TYPES,
    RebalanceTriggers,
)
from portlab.analytics.rebalance._trades import (
    portfolio_view,
)
from portlab.analytics.rebalance._triggers import (
    Context,
    Reading,
    measure,
)
from portlab.dates import as_naive_utc
from portlab.exceptions import ConfigError, ValidationError

if TYPE_CHECKING:
    from portlab.dates import DateLike
    from portlab.events import RebalanceRequestEvent
    from portlab.market import Market
    from portlab.state import PortfolioState

__all__ = ["evaluate_triggers", "trigger_status"]

_STATUS_COLUMNS = ["observed", "threshold", "ratio", "fired", "severity", "description"]


def _context(state, market, targets, as_of, last_rebalance, risk_budgets, config) -> Context:
    if config is None:
        config = RebalanceTriggers()
    elif isinstance(config, Mapping):
        try:
            config = RebalanceTriggers(**dict(config))
        except TypeError as err:
            raise ConfigError(f"RebalanceTriggers: {err}") from None
    elif not isinstance(config, RebalanceTriggers):
        raise ConfigError(
            f"config: expected RebalanceTriggers or a mapping (got {type(config).__name__})"
        )
    when = as_naive_utc(as_of, "as_of")
    last = None if last_rebalance is None else as_naive_utc(last_rebalance, "last_rebalance")
    if last is not None and last > when:
        raise ValidationError(f"last_rebalance {last} is after as_of {when}")
    if when.normalize() < market.dates[-1]:  # no look-ahead: the market as known at as_of
        market = market.truncate(when)
    view = portfolio_view(state, market, targets)
    pid = getattr(state, "portfolio_id", None) or "main_portfolio"
    return Context(view, market, config, when, last, risk_budgets, pid)


def trigger_status(
    state: PortfolioState,
    market: Market,
    targets: pd.Series | Mapping[str, float],
    *,
    as_of: DateLike,
    last_rebalance: DateLike | None = None,
    risk_budgets: pd.Series | Mapping[str, float] | None = None,
    config: RebalanceTriggers | Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Every enabled trigger's measurement, fired or not (how close is each to firing?).

    Parameters are those of :func:`evaluate_triggers`.

    Returns
    -------
    DataFrame, index ``trigger`` (TriggerKind values)
        ``observed`` and ``threshold`` (the trigger's units, see the module notes; NaN when
        it cannot be measured, e.g. no portfolio volatility, and for TIME_BASED without a
        last rebalance, which fires), ``ratio`` (``observed / threshold``; NaN for
        TIME_BASED), ``fired`` (bool), ``severity`` (None when not fired), ``description``.
    """
    ctx = _context(state, market, targets, as_of, last_rebalance, risk_budgets, config)
    rows = []
    for r in measure(ctx):
        ratio = r.observed / r.threshold if r.threshold > 0 else math.nan
        rows.append((r.observed, r.threshold, ratio, r.fired, r.severity, r.description))
    index = pd.Index([k.value for k in ctx.config.enabled], name="trigger")
    return pd.DataFrame(rows, index=index, columns=_STATUS_COLUMNS)


def _var(w: np.ndarray, cov: np.ndarray, z: float, scale: float) -> float:
    """Parametric normal zero-mean VaR of weights ``w`` (fraction of NAV)."""
    return float(z * math.sqrt(max(float(w @ cov @ w), 0.0) * scale))


def _diversification(w: np.ndarray, cov: np.ndarray) -> float:
    sigma = math.sqrt(max(float(w @ cov @ w), 0.0))
    return float(np.abs(w) @ np.sqrt(np.diag(cov)) / sigma) if sigma > 0 else math.nan


def _risk_considerations(ctx: Context, after: np.ndarray) -> dict[str, Any] | str:
    """The request's ``risk_considerations``, or a note saying why it is left out."""
    v, cfg = ctx.view, ctx.config
    cov, missing = ctx.cov_for((v.w != 0) | (after != 0))
    if missing:
        return f"no VaR: the market has no covariance for {missing[:10]}"
    z = NormalDist().inv_cdf(cfg.var_confidence)
    scale = cfg.var_horizon / ctx.market.periods_per_year
    before_dr, after_dr = _diversification(v.w, cov), _diversification(after, cov)
    impact = "NEUTRAL"
    if math.isfinite(before_dr) and math.isfinite(after_dr):
        if after_dr > before_dr * 1.01:
            impact = "INCREASE_DIVERSIFICATION"
        elif after_dr < before_dr / 1.01:
            impact = "REDUCE_DIVERSIFICATION"
    liquidity = "NORMAL"
    adv = ctx.market.adv()
    if adv is not None:
        shares = np.abs(after - v.w) * v.nav / v.price
        daily = adv.to_numpy(dtype=float)[v.pos]
        with np.errstate(divide="ignore", invalid="ignore"):
            part = np.where(daily > 0, shares / daily, np.nan)
        if np.nanmax(part, initial=0.0) > cfg.adv_participation:
            liquidity = "HIGH"
    return {
        "current_portfolio_var": _var(v.w, cov, z, scale),
        "target_portfolio_var": _var(after, cov, z, scale),
        "correlation_impact": impact,
        "liquidity_requirements": liquidity,
    }


def _event(ctx: Context, reading: Reading) -> RebalanceRequestEvent:
    from portlab.events import RebalanceRequestEvent

    v, cfg = ctx.view, ctx.config
    pid = ctx.portfolio_id
    after = v.w.copy()
    rows = []
    for i, name in enumerate(v.ids):
        if name in reading.adjustments:
            target, urgency = reading.adjustments[name]
            after[i] = target
            rows.append(
                {
                    "instrument_id": name,
                    "current_weight": float(v.w[i]),
                    "target_weight": target,
                    "adjustment_needed": target - float(v.w[i]),
                    "urgency": urgency,
                }
            )
    risk = _risk_considerations(ctx, after)
    description = (
        reading.description if isinstance(risk, dict) else f"{reading.description}; {risk}"
    )
    stamp = ctx.as_of.tz_localize("UTC")
    key = f"portlab:rebalance:{pid}:{stamp.isoformat()}:{reading.kind.value}"
    data = {
        "eventId": str(uuid.uuid5(uuid.NAMESPACE_URL, key)),
        "timestamp": stamp,
        "portfolio_id": pid,
        "rebalance_type": REBALANCE_TYPES[reading.kind],
        "trigger_reason": {
            "type": reading.kind.value,
            "description": description,
            "severity": reading.severity,
            "urgency": reading.urgency,
        },
        "target_adjustments": rows,
        "constraints": {
            "max_turnover": cfg.max_turnover,
            "min_trade_size": cfg.min_trade_size,
            "execution_timeframe": cfg.execution_timeframe,
            "cost_limit": cfg.cost_limit,
        },
    }
    if isinstance(risk, dict):
        data["risk_considerations"] = risk
    return RebalanceRequestEvent.model_validate(data)


def evaluate_triggers(
    state: PortfolioState,
    market: Market,
    targets: pd.Series | Mapping[str, float],
    *,
    as_of: DateLike,
    last_rebalance: DateLike | None = None,
    risk_budgets: pd.Series | Mapping[str, float] | None = None,
    config: RebalanceTriggers | Mapping[str, Any] | None = None,
) -> list[RebalanceRequestEvent]:
    """Evaluate the rebalancing triggers; one rebalance request per trigger that fires.

    Parameters
    ----------
    state : PortfolioState
        Current holdings and cash, valued at the last prices on or before ``as_of``.
    market : Market
        Prices, returns, sectors, benchmark, covariance. Only data on or before ``as_of`` is
        used (the market is truncated when it runs later).
    targets : Series or mapping
        Instrument id -> target weight (fraction of NAV); held instruments without one have
        target 0.
    as_of : str, Timestamp, datetime, date or datetime64
        Evaluation time (:data:`~portlab.dates.DateLike`; naive values are UTC); also the
        requests' ``timestamp``.
    last_rebalance : str, Timestamp, datetime, date or datetime64, optional
        Date of the last rebalance, for TIME_BASED; None means never (the trigger fires).
    risk_budgets : Series or mapping, optional
        Budget of portfolio risk share (fraction in [0, 1]) per instrument id and/or sector
        label. Default: the target portfolio's own risk shares, for instruments where positive.
    config : RebalanceTriggers or mapping, optional
        Thresholds, windows and request settings (the defaults of specification §10).

    Returns
    -------
    list of RebalanceRequestEvent
        In :class:`TriggerKind` order. Each has ``trigger_reason`` (type, description,
        severity from ``observed / threshold``, urgency from severity; TIME_BASED: LOW /
        NORMAL), ``target_adjustments`` (instrument-level: current, target, adjustment needed,
        per-instrument urgency), ``constraints`` from the config and ``risk_considerations``
        (parametric VaR before and after the adjustments, fractions of NAV; left out, with a
        note in the description, when the market has no covariance for an instrument involved).
        Event ids are UUID5s of portfolio, time and trigger: the same inputs give the same
        events.

    Notes
    -----
    What each request asks for:

    * TIME_BASED: every instrument off target, to its target.
    * WEIGHT_DEVIATION: the instruments beyond the threshold, to their targets.
    * RISK_BUDGET_BREACH: each breaching instrument (or every member of a breaching sector)
      scaled by the factor that brings its risk share back to the budget, other weights fixed
      (closed form); the target weight when nothing else in the portfolio carries risk. An
      instrument in several breaches takes the smallest resulting ``|weight|``.
    * VOLATILITY_SPIKE: every holding scaled by ``long-run vol / recent vol`` (recent realised
      volatility back to the long-run level). Portfolio returns use today's weights over the
      windows; a missing return counts as 0.
    * CORRELATION_REGIME_CHANGE: every instrument off target, to its target. Correlations are
      over held or targeted instruments with no missing return in the long window.
    * PERFORMANCE_DIVERGENCE: every instrument off target when the portfolio diverges, else the
      diverging instruments. Trailing returns compound ``performance_window`` rows (a missing
      return counts as 0); the portfolio's is the buy-and-hold return of a book that has
      today's weights at the end of the window: ``1 / (1 - Σw + Σ w/G) - 1`` with ``G`` each
      instrument's growth factor; the target portfolio's is the same with the targets.

    A request may list no adjustment (a trigger fired but its instruments are at target). The
    coordination engine resolves several requests adjusting one instrument by keeping the
    latest (equal timestamps: the larger eventId).

    Raises
    ------
    ValidationError
        Malformed targets, budgets or dates.
    ConfigError
        An invalid config.
    DataError
        Missing prices for held or targeted instruments, missing covariance for them when
        RISK_BUDGET_BREACH is enabled, or too few return rows for an enabled trigger's window.
    """
    ctx = _context(state, market, targets, as_of, last_rebalance, risk_budgets, config)
    return [_event(ctx, r) for r in measure(ctx) if r.fired]
