"""The engine's column tables and their columns, declared once: name, unit, one-line meaning.

The stages pass column tables (``dict[str, ndarray]`` of equal lengths, see
:mod:`portlab.engine.table`) instead of DataFrames. Each table's columns are listed here;
the stage modules read and write exactly these names. A table grows as it goes through the
pipeline, so a stage's additions are a schema of their own:

============================  ===========================================================
table                         columns
============================  ===========================================================
signals                       :data:`SIGNALS` (validated input; :data:`READ_FLAGS` while
                              read), then :data:`ENRICHMENT`
                              (matched to the market and the strategy registry), then
                              :data:`KELLY` (Kelly sizing); the winners of conflict
                              resolution get :data:`RESOLUTION` too
rebalance adjustments         :data:`ADJUSTMENTS`, one row per instrument to adjust
candidates                    :data:`CANDIDATES` (one trade per instrument after conflict
                              resolution), then :data:`SIZING`, :data:`ALLOCATION`,
                              :data:`EXECUTION`; a candidate that is dropped gets
                              :data:`OUTCOME`
decisions (public)            :data:`DECISIONS`: ``CoordinationResult.decisions``
waterfall (public)            :data:`WATERFALL`: ``CoordinationResult.waterfall``
rejections (public)           :data:`REJECTIONS`: ``CoordinationResult.rejections``
============================  ===========================================================

Conventions: ``instrument`` is a position in the market's universe (``0..n-1``, an index
into the arrays of :class:`~portlab.engine.book.Book`), ``instrument_id`` its name;
``direction`` is +1 for BUY and -1 for SELL; a *size* or *trade* ``x >= 0`` is a fraction
of NAV and moves the instrument's weight by ``direction · x``; times are int64 nanoseconds
since 1970, UTC (:mod:`portlab.engine.times`); priorities are ranks 0..3 (LOW, MEDIUM, HIGH,
CRITICAL). The public tables keep the names of the event contracts (specification §1) and
are part of the API.

Examples
--------
>>> CANDIDATES["direction"]
Column(name='direction', unit='+1/-1', meaning='+1 BUY, -1 SELL')
>>> print(ADJUSTMENTS.describe().splitlines()[5])
  weight_change   [signed fraction of NAV] target weight minus the actual current weight
>>> len(DECISIONS), "outcome" in WATERFALL
(56, True)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

__all__ = [
    "ADJUSTMENTS",
    "ALLOCATION",
    "CANDIDATES",
    "CHANGES",
    "DECISIONS",
    "ENRICHMENT",
    "EXECUTION",
    "FILLS",
    "KELLY",
    "OUTCOME",
    "OUTCOMES",
    "READ_FLAGS",
    "REJECTIONS",
    "RESOLUTION",
    "SIGNALS",
    "SIZING",
    "STRATEGY_MAP",
    "WATERFALL",
    "Column",
    "Schema",
]


@dataclass(frozen=True)
class Column:
    """One column: its name, its unit (or kind of value) and what it means."""

    name: str
    unit: str
    meaning: str


@dataclass(frozen=True)
class Schema:
    """The columns of one table (or of one stage's additions to it), in order."""

    title: str
    columns: tuple[Column, ...]

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.title}: a column is declared twice")

    @property
    def names(self) -> tuple[str, ...]:
        """Column names in order."""
        return tuple(c.name for c in self.columns)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.columns)

    def __contains__(self, name: object) -> bool:
        return name in self.names

    def __getitem__(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.title} has no column {name!r}")

    def __add__(self, other: Schema) -> Schema:
        return Schema(f"{self.title} + {other.title}", self.columns + other.columns)

    def describe(self) -> str:
        """The schema as text: one line per column, ``name [unit]: meaning``."""
        width = max((len(c.name) for c in self.columns), default=0)
        lines = [f"{self.title}:"]
        lines += [f"  {c.name:<{width}}  [{c.unit}] {c.meaning}" for c in self.columns]
        return "\n".join(lines)

    def mismatch(self, table: Mapping[str, object]) -> tuple[list[str], list[str]]:
        """Columns of this schema that ``table`` lacks, and columns it has beyond them."""
        missing = [n for n in self.names if n not in table]
        extra = [n for n in table if n not in self.names]
        return missing, extra


def _pick(title: str, source: Schema, names: tuple[str, ...], *more: Column) -> Schema:
    """A schema of some of ``source``'s columns (same meaning and unit) plus ``more``."""
    extra = {c.name: c for c in more}
    return Schema(title, tuple(extra[n] if n in extra else source[n] for n in names))


_FRACTION = "fraction of NAV"
_PRIORITY = "rank 0..3"

# -- signals ------------------------------------------------------------------------------

#: A validated signal, one row per signal (:func:`portlab.engine.signals.signal_table`).
SIGNALS = Schema(
    "signals",
    (
        Column("signal_id", "text", "the signal's eventId ('row-<i>' for a row without one)"),
        Column("timestamp", "int64 ns UTC", "when the signal was issued (as_of when not given)"),
        Column("instrument_id", "text", "the instrument's name"),
        Column("action", "text", "BUY, SELL or HOLD"),
        Column("direction", "+1/-1/0", "+1 BUY, -1 SELL, 0 HOLD"),
        Column("confidence", "probability", "the strategy's confidence in the signal"),
        Column("success_probability", "probability", "chance of reaching the target (NaN: not given)"),
        Column("signal_score", "[-1, 1]", "the strategy's score of the signal (NaN: not given)"),
        Column("price_target", "currency", "price expected at the horizon (NaN: not given)"),
        Column("stop_price", "currency", "price at which the trade is abandoned (NaN: none)"),
        Column("expected_return", "fraction", "expected price return over the horizon (NaN: not given)"),
        Column("horizon_days", "trading days", "horizon of expected_return as given (NaN: not given)"),
        Column("lot_size", "shares", "trade in multiples of this (1 when not given)"),
        Column("strength", "text", "WEAK, MODERATE, STRONG, VERY_STRONG or None"),
        Column("urgency", "text", "LOW, NORMAL (when not given), HIGH or CRITICAL"),
        Column("strategy_id", "text", "the strategy that issued it ('default' when not given)"),
    ),
)  # fmt: skip

#: Flags set while signals are read, before :data:`SIGNALS` is checked (then dropped).
READ_FLAGS = Schema(
    "signal read flags",
    (
        Column("timestamp_unparsed", "bool", "the timestamp given is not a time"),
        Column("timestamp_out_of_range", "bool", "the timestamp lies outside 1677..2262"),
    ),
)

#: Added by :func:`portlab.engine.signals.enrich`: the signal matched to market and registry.
ENRICHMENT = Schema(
    "signal enrichment",
    (
        Column("instrument", "position", "the instrument's position in the market universe"),
        Column("performance_tier", "PerformanceTier", "tier of the strategy's track record"),
        Column("performance_score", "[0, 1]", "the strategy's track-record score"),
        Column("strategy_weight", "weight", "the strategy's aggregation weight"),
        Column("priority", _PRIORITY, "priority from confidence, urgency and track record"),
    ),
)  # fmt: skip

#: Added to signals by a per-instrument strategy map (:mod:`portlab.engine.strategymap`).
STRATEGY_MAP = Schema(
    "strategy map",
    (
        Column("aggregator", "Resolution", "the instrument's own conflict resolution method"),
    ),
)  # fmt: skip

#: Added by the Kelly sizing of signals (specification §3).
KELLY = Schema(
    "Kelly sizing",
    (
        Column("kelly", _FRACTION, "Kelly fraction × multiplier, capped (the target under KELLY)"),
        Column("kelly_raw", "fraction", "Kelly fraction before multiplier and cap (<= 0: no edge)"),
        Column("edge", "fraction", "expected return of the trade in its direction over the horizon"),
        Column("reward_risk", "ratio", "reward over risk: payoff with a stop, edge / σ_h without"),
        Column("loss_fraction", "fraction", "loss at the stop, or the 99% move over the horizon"),
        Column("payoff", "ratio", "b = gain at the target / loss at the stop (NaN without a stop)"),
        Column("kelly_horizon_days", "trading days", "horizon the Kelly fraction used"),
        Column("target_size", _FRACTION, "target exposure of the sizing method (SizingConfig.method; the capped Kelly fraction under KELLY)"),
    ),
)  # fmt: skip

#: Added to each instrument's winning signal row by conflict resolution (specification §4).
RESOLUTION = Schema(
    "conflict resolution",
    (
        Column("target_weight", "signed fraction of NAV", "the weight the resolved signals aim at"),
        Column("conflicted", "bool", "more than one input competed for the instrument"),
        Column("signal_ids", "list of text", "every signal that ends in this candidate, winner first"),
        Column("signal_strategies", "list of text", "their strategies, in the same order"),
        Column("strategy_shares", "list of (text, fraction)", "each strategy's share of the trade, for budgets"),
    ),
)  # fmt: skip

# -- rebalance adjustments ------------------------------------------------------------------

#: Instrument-level rebalance adjustments (:func:`portlab.engine.rebalance.adjustments`).
ADJUSTMENTS = Schema(
    "rebalance adjustments",
    (
        Column("adjustment_id", "text", "'<request eventId>/<instrument>' (sector: '/sector:<name>/<instrument>')"),
        Column("request_id", "text", "the request's eventId"),
        Column("instrument_id", "text", "the instrument's name"),
        Column("instrument", "position", "the instrument's position in the market universe"),
        Column("weight_change", "signed fraction of NAV", "target weight minus the actual current weight"),
        Column("priority", _PRIORITY, "from the adjustment's priority or urgency (+1 if RISK_DRIVEN)"),
        Column("urgency", "text", "LOW, NORMAL, HIGH or CRITICAL"),
        Column("timestamp", "int64 ns UTC", "the request's time (NO_TIME when not given)"),
        Column("rebalance_type", "text", "the request's rebalance_type"),
    ),
)  # fmt: skip

# -- candidates -----------------------------------------------------------------------------

#: One trade per instrument after conflict resolution (:func:`portlab.engine.conflicts.resolve`).
CANDIDATES = Schema(
    "candidates",
    (
        ENRICHMENT["instrument"],
        SIGNALS["instrument_id"],
        Column("direction", "+1/-1", "+1 BUY, -1 SELL"),
        KELLY["kelly"],
        KELLY["kelly_raw"],
        KELLY["target_size"],
        Column("signal_trade", _FRACTION, "trade from the current weight toward the target (NaN: none)"),
        Column("rebalance_trade", _FRACTION, "trade the rebalance adjustment wants (NaN: none)"),
        Column("priority", _PRIORITY, "the winner's priority (raised by a same-direction adjustment)"),
        KELLY["edge"],
        KELLY["reward_risk"],
        KELLY["loss_fraction"],
        KELLY["kelly_horizon_days"],
        SIGNALS["confidence"],
        SIGNALS["timestamp"],
        Column("winner_id", "text", "the winning signal's or adjustment's id"),
        RESOLUTION["signal_ids"],
        RESOLUTION["signal_strategies"],
        Column("rebalance_ids", "list of text", "the adjustments that end in this candidate"),
        RESOLUTION["strategy_shares"],
        Column("origin", "text", "SIGNAL, REBALANCE or BOTH"),
        RESOLUTION["conflicted"],
        SIGNALS["urgency"],
        SIGNALS["lot_size"],
        Column("rule", "text", "the resolution method that decided a conflict ('' if none)"),
        Column("request_id", "text", "the rebalance request behind it (None if none)"),
        SIGNALS["strength"],
        SIGNALS["expected_return"],
        SIGNALS["success_probability"],
        KELLY["payoff"],
    ),
)  # fmt: skip

#: Added by sizing: policy headroom, correlation adjustment, blending, minimum size (§3).
SIZING = Schema(
    "sizing",
    (
        Column("current_weight", "signed fraction of NAV", "the instrument's weight before the batch"),
        Column("policy_cap", _FRACTION, "room under the tightest hard limit for this trade alone"),
        Column("binding_rule", "text", "the rule that gives policy_cap"),
        Column("policy_constrained", _FRACTION, "wanted trade capped at policy_cap"),
        Column("book_correlation", "correlation", "correlation with the rest of the holdings"),
        Column("correlation_factor", "multiple", "1 - penalty × max(0, direction × book_correlation)"),
        Column("correlation_adjusted", _FRACTION, "policy_constrained × correlation_factor"),
        Column("blended", _FRACTION, "after blending with a same-direction rebalance trade"),
        Column("min_size_applied", "bool", "raised to the minimum position size"),
        Column("sized", _FRACTION, "the size that goes to allocation"),
        Column("headroom_position", _FRACTION, "room under the position limit (inf: soft)"),
        Column("headroom_short_selling", _FRACTION, "room before a short position when shorts are not allowed"),
        Column("headroom_sector", _FRACTION, "room under the sector limit (inf: soft)"),
        Column("headroom_leverage", _FRACTION, "room under the leverage limit (inf: soft)"),
        Column("headroom_cash", _FRACTION, "cash above the cash floor (inf for a SELL)"),
        Column("headroom_volatility", _FRACTION, "room under the portfolio volatility limit (inf: soft)"),
        Column("headroom_correlation", _FRACTION, "room under the correlated-exposure limit (inf: soft)"),
        Column("headroom_var", _FRACTION, "room under the 1-day VaR limit (inf: soft)"),
        Column("headroom_position_risk", _FRACTION, "room under the position risk limit, |w| σ (inf: soft)"),
    ),
)  # fmt: skip

#: Added by capital allocation (§5) and the risk feedback loop (§6).
ALLOCATION = Schema(
    "allocation",
    (
        Column("allocated", _FRACTION, "size after allocating the batch's joint limits"),
        Column("allocation_binding", "text", "the limit that cut it ('' if none)"),
        Column("allocation_solver", "text", "unconstrained, greedy, lp or socp"),
        Column("risk_adjusted", _FRACTION, "size after the risk feedback loop"),
        Column("risk_iterations", "count", "resize passes the risk loop made"),
    ),
)  # fmt: skip

#: Added by the market impact rule (:func:`portlab.engine.execution.impact_rule`), rounding
#: to shares and the final check of the hard limits (§7).
EXECUTION = Schema(
    "execution",
    (
        Column("impact_estimate", "fraction of price", "estimated market impact of the risk_adjusted trade, square-root model (NaN: no volumes)"),
        Column("impact_size", _FRACTION, "risk_adjusted, cut to the market impact limit under SHRINK"),
        Column("shares", "shares", "whole shares (or lots) to trade, positive"),
        Column("final_size", _FRACTION, "the decision's size: impact_size, or executed_size if trimmed"),
        Column("executed_size", _FRACTION, "|shares| × price / NAV"),
        Column("trimmed_by", "text", "the rule whose final check trimmed it ('' if none)"),
    ),
)  # fmt: skip

#: Added to a candidate when it leaves the pipeline (and to every waterfall row).
OUTCOME = Schema(
    "outcome",
    (Column("outcome", "text", "DECIDED, or the RejectReason that dropped it"),),
)

# -- public tables --------------------------------------------------------------------------

_EVERY_CANDIDATE_COLUMN = CANDIDATES + SIZING + ALLOCATION + EXECUTION + OUTCOME

#: ``CoordinationResult.waterfall``: every candidate's sizing steps, in pipeline order.
WATERFALL = _pick(
    "waterfall",
    _EVERY_CANDIDATE_COLUMN,
    (
        "instrument_id", "action", "origin", "winner_id", "priority", "conflicted", "rule",
        "current_weight", "kelly_raw", "kelly", "sizing_method", "target_size", "signal_trade",
        "rebalance_trade",
        "headroom_position", "headroom_short_selling", "headroom_sector", "headroom_leverage",
        "headroom_cash", "headroom_volatility", "headroom_correlation", "headroom_var",
        "headroom_position_risk",
        "policy_cap",
        "binding_rule", "policy_constrained", "book_correlation", "correlation_factor",
        "correlation_adjusted", "blended", "min_size_applied", "sized", "allocated",
        "allocation_binding", "allocation_solver", "risk_adjusted", "risk_iterations",
        "impact_estimate", "impact_size", "final_size", "shares", "trimmed_by", "outcome",
    ),
    Column("action", "text", "BUY or SELL"),
    Column("sizing_method", "SizingMethod", "the run's sizing method: what set target_size"),
)  # fmt: skip

_CHECK = "PASSED, or WARNING (near or, for a soft limit, above it)"

#: ``CoordinationResult.decisions``: every field of CoordinatedTradingDecisionEvent, flat.
DECISIONS = Schema(
    "decisions",
    (
        Column("decision_id", "text", "UUID 5 of the winner, the instrument and the time"),
        Column("timestamp", "Timestamp UTC", "time stamped on the decision (as_of)"),
        Column("instrument_id", "text", "the instrument's name"),
        Column("action", "text", "BUY or SELL"),
        Column("position_size", _FRACTION, "the trade's size (final_size)"),
        Column("trade_amount", "currency", "position_size × NAV"),
        Column("share_quantity", "shares", "shares to trade, positive (the side is action)"),
        Column("price", "currency", "last price"),
        Column("notional", "currency", "share_quantity × price"),
        Column("confidence", "probability", "the winning signal's confidence (NaN: rebalance only)"),
        Column("priority", "text", "LOW, MEDIUM, HIGH or CRITICAL"),
        Column("origin", "text", "SIGNAL, REBALANCE or BOTH"),
        Column("signal_id", "text", "the winning signal (None: rebalance only)"),
        Column("signal_ids", "list of text", "every signal that ends in the decision, winner first"),
        Column("rebalance_ids", "list of text", "the rebalance adjustments behind it"),
        Column("strategy_id", "text", "the strategy with the largest share (None: rebalance only)"),
        Column("conflicted", "bool", "more than one input competed for the instrument"),
        Column("signal_confidence", "probability", "as confidence, NaN without a signal"),
        Column("signal_strength", "text", "the winning signal's strength"),
        Column("expected_return", "fraction", "the winning signal's expected return"),
        Column("current_position", "signed fraction of NAV", "weight before the trade"),
        Column("target_position", "signed fraction of NAV", "weight after the trade"),
        Column("sector", "text", "the instrument's sector ('Unknown': a sector of its own)"),
        Column("sector_before", _FRACTION, "the sector's gross exposure before the batch"),
        Column("sector_after", _FRACTION, "it after this trade alone"),
        Column("sector_limit", _FRACTION, "the sector limit"),
        Column("correlation_impact", "correlation", "correlation with the rest of the holdings"),
        Column("risk_contribution", "annualised volatility", "w_i (Σw)_i / σ after the batch"),
        Column("kelly_fraction", _FRACTION, "the Kelly target (NaN: rebalance only)"),
        CANDIDATES["signal_trade"],
        SIZING["policy_constrained"],
        SIZING["correlation_adjusted"],
        Column("final_size", _FRACTION, "as position_size"),
        Column("position_var_1d", "currency", "1-day VaR of the trade alone at var_confidence"),
        Column("portfolio_var_impact", _FRACTION, "change in the portfolio's 1-day VaR from this trade alone"),
        Column("max_loss_estimate", "currency", "trade_amount × loss at the stop (or 99% 1-day move)"),
        Column("risk_reward_ratio", "ratio", "reward_risk (0 when unknown)"),
        Column("order_type", "text", "MARKET or LIMIT"),
        Column("execution_algorithm", "text", "IMMEDIATE, TWAP or VWAP"),
        Column("time_horizon", "text", "immediate, 30_minutes, 1_hour, 4_hours, 1_day or N_days"),
        Column("urgency", "text", "LOW, NORMAL, HIGH or CRITICAL"),
        Column("participation", "fraction", "share_quantity over average daily volume (NaN: unknown)"),
        Column("time_in_force", "text", "DAY, GTC or IOC (ExecutionRulesConfig.time_in_force)"),
        Column("limit_price", "currency", "price × (1 ± price_threshold) for a LIMIT order (NaN: MARKET)"),
        Column("market_impact", "fraction of price", "estimated impact of the whole order, square-root model (NaN: no volumes)"),
        Column("child_orders", "count", "daily orders the trade is split into under the impact limit (1: one order)"),
        Column("position_limit_check", "text", _CHECK),
        Column("sector_limit_check", "text", _CHECK),
        Column("correlation_limit_check", "text", _CHECK + "; WARNING too when highly correlated"),
        Column("leverage_limit_check", "text", _CHECK),
        Column("volatility_limit_check", "text", _CHECK),
        Column("var_limit_check", "text", _CHECK + " of the 1-day VaR limit"),
        Column("position_risk_limit_check", "text", _CHECK + " of the position risk limit (|w| σ)"),
        Column("violations", "list of text", "soft limits above their limit after the batch"),
        Column("warnings", "list of text", "codes such as position_near_limit"),
        Column("reasoning", "text", "every sizing step in words"),
    ),
)  # fmt: skip

#: ``CoordinationResult.rejections``: one row per input that did not become a decision.
REJECTIONS = Schema(
    "rejections",
    (
        Column("source", "text", "SIGNAL or REBALANCE"),
        Column("id", "text", "the signal's eventId or the adjustment's id"),
        Column("instrument_id", "text", "the instrument's name (None if unknown)"),
        Column("strategy_id", "text", "the signal's strategy (None for adjustments)"),
        Column("reason", "text", "a RejectReason"),
        Column("rule", "text", "the policy rule or resolution method ('' if none)"),
        Column("detail", "text", "what happened, in words"),
        Column("winner_id", "text", "what won a conflict (None if none)"),
        Column("field", "text", "dotted path of the invalid field ('' if none)"),
    ),
)  # fmt: skip

# -- realized outcomes and adaptation (portlab.engine.realized, portlab.engine.adaptation) ------

#: Realized outcomes of decisions (:func:`portlab.engine.realized.outcomes`), one row per
#: decision with a strategy.
OUTCOMES = Schema(
    "outcomes",
    (
        Column("decision_id", "text", "the decision's id (the journal's event_id)"),
        Column("strategy_id", "text", "the strategy the decision is credited to"),
        Column("instrument_id", "text", "the instrument's name"),
        Column("signal_id", "text", "the winning signal"),
        Column("decided_at", "Timestamp UTC", "the decision's time"),
        Column("direction", "+1/-1", "+1 BUY, -1 SELL"),
        Column("stated_p", "probability", "what Kelly read: the signal's success_probability, else its confidence"),
        Column("horizon_days", "trading days", "the signal's horizon, else the default"),
        Column("entry_price", "currency", "the fills' quantity-weighted price, or the decision's price"),
        Column("entry_source", "EntrySource", "FILL or DECISION (missing: no fill matched)"),
        Column("filled_at", "Timestamp UTC", "the last matched fill (NaT: none, or no trades given)"),
        Column("exit_at", "Timestamp UTC", "the date horizon_days trading days after the decision date"),
        Column("exit_price", "currency", "the price on exit_at (NaN: not realized)"),
        Column("return", "fraction", "direction × (exit_price / entry_price - 1) (NaN: not realized)"),
        Column("win", "bool", "return > 0"),
        Column("realized", "bool", "known at as_of: exit (and fill) at or before it, prices known"),
        Column("known_at", "Timestamp UTC", "max(exit_at, filled_at): when the outcome became known"),
    ),
)  # fmt: skip

#: The executed trades :func:`portlab.engine.realized.outcomes` reads from a table (a
#: backtest's trades; ``quantity``, ``executed_price`` and ``timestamp`` are read too).
FILLS = Schema(
    "fills",
    (
        Column("decision_id", "text", "the decision the fill executes"),
        Column("shares", "shares", "signed quantity filled (SELL negative)"),
        Column("price", "currency", "fill price"),
        Column("date", "date", "when it filled"),
        Column("kind", "text", "DECISION, or LIQUIDATION (not a decision's fill: left out)"),
    ),
)  # fmt: skip

#: ``AdaptiveState.changes`` (:mod:`portlab.engine.adaptation`): one row per change.
CHANGES = Schema(
    "adaptation changes",
    (
        Column("time", "Timestamp UTC", "when the outcome that completed the period became known"),
        Column("strategy_id", "text", "the strategy"),
        Column("quantity", "AdaptedQuantity", "calibration, kelly_scale or priority_shift"),
        Column("old", "multiple (tiers)", "the value before"),
        Column("new", "multiple (tiers)", "the value after"),
        Column("target", "multiple (tiers)", "what the evidence supported"),
        Column("n_outcomes", "count", "outcomes in the evidence"),
        Column("stated_p", "probability", "their mean stated success probability"),
        Column("hit_rate", "fraction", "their realized hit rate"),
        Column("standard_error", "fraction", "the hit rate's standard error were the strategy calibrated"),
        Column("realized_tier", "PerformanceTier", "tier of the evidence's track record"),
    ),
)  # fmt: skip
