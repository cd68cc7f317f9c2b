"""Tests of portlab.events: the event contracts, batch parsing and DataFrame conversion.

The JSON examples below are those of docs/specification.md §1 "Event contracts" (the same
JSON, checked by ``test_examples_are_those_of_the_specification``: the engine's short
rebalance request and the full one, the full decision), plus the subset of a decision that
portfolio management reads; a placeholder such as ``"STRATEGIC|TACTICAL|RISK_DRIVEN"`` lists
the allowed values and is expanded into one example per value.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import portlab.events as ev
from portlab.events import (
    SIGNAL_COLUMNS,
    Action,
    CoordinatedTradingDecisionEvent,
    EventBatch,
    EventError,
    InstrumentAdjustment,
    PerformanceAttributionEvent,
    PortfolioOptimizationEvent,
    RebalanceRequestEvent,
    SectorAdjustment,
    StrategyAdjustment,
    TradeExecutedEvent,
    TradingSignalEvent,
    Urgency,
    events_from_frame,
    events_to_frame,
    parse_events,
    parse_rebalance_requests,
    parse_signals,
    read_jsonl,
    signals_from_frame,
    signals_to_frame,
    write_jsonl,
)
from portlab.exceptions import DataError, EventValidationError, PortlabError

# ------------------------------------------------------ the examples of the specification

SPEC_TRADING_SIGNAL = """\
{
  "eventId": "uuid",
  "timestamp": "2025-06-21T10:30:00.200Z",
  "signal": {
    "instrument_id": "AAPL",
    "action": "BUY",
    "confidence": 0.81,
    "strength": "STRONG",
    "signal_score": 0.78
  },
  "expected_outcomes": {
    "price_target": 155.25,
    "expected_return": 0.025,
    "success_probability": 0.78
  }
}
"""

SPEC_REBALANCE_REQUEST_SHORT = """\
{
  "eventId": "uuid",
  "timestamp": "2025-06-21T10:30:00.100Z",
  "portfolio_id": "main_portfolio",
  "rebalance_type": "STRATEGIC|TACTICAL|RISK_DRIVEN",
  "target_adjustments": [
    {
      "instrument_id": "AAPL",
      "current_weight": 0.04,
      "target_weight": 0.06,
      "adjustment_needed": 0.02,
      "urgency": "NORMAL"
    }
  ],
  "constraints": {
    "max_turnover": 0.10,
    "min_trade_size": 1000,
    "execution_timeframe": "1_day"
  }
}
"""

SPEC_COORDINATED_DECISION = """\
{
  "eventId": "uuid",
  "timestamp": "2025-06-21T10:30:00.300Z",
  "decision": {
    "instrument_id": "AAPL",
    "action": "BUY",
    "position_size": 0.03,
    "trade_amount": 30000.00,
    "share_quantity": 197,
    "confidence": 0.81,
    "priority": "HIGH"
  },
  "signal_basis": {
    "signal_id": "signal-uuid-123",
    "signal_confidence": 0.81,
    "signal_strength": "STRONG",
    "expected_return": 0.025
  },
  "portfolio_context": {
    "current_position": 0.01,
    "target_position": 0.04,
    "sector_exposure_impact": {
      "sector": "technology",
      "before": 0.15,
      "after": 0.18,
      "limit": 0.25
    },
    "correlation_impact": 0.12,
    "risk_contribution": 0.008
  },
  "position_sizing": {
    "kelly_fraction": 0.045,
    "policy_constrained": 0.035,
    "correlation_adjusted": 0.032,
    "final_size": 0.030,
    "sizing_reasoning": "Kelly reduced by correlation risk and sector limits"
  },
  "risk_metrics": {
    "position_var_1d": 900.00,
    "portfolio_var_impact": 0.003,
    "max_loss_estimate": 1500.00,
    "risk_reward_ratio": 2.5
  },
  "execution_strategy": {
    "order_type": "LIMIT",
    "execution_algorithm": "TWAP",
    "time_horizon": "4_hours",
    "urgency": "NORMAL"
  },
  "policy_compliance": {
    "position_limit_check": "PASSED",
    "sector_limit_check": "PASSED",
    "correlation_limit_check": "WARNING",
    "violations": [],
    "warnings": ["high_correlation_with_existing_positions"]
  }
}
"""

SPEC_COORDINATED_DECISION_SUBSET = """\
{
  "eventId": "uuid",
  "timestamp": "2025-06-21T10:30:00.300Z",
  "decision": {
    "instrument_id": "AAPL",
    "action": "BUY",
    "position_size": 0.03,
    "trade_amount": 30000.00
  },
  "portfolio_context": {
    "sector_exposure_impact": {
      "sector": "technology",
      "before": 0.15,
      "after": 0.18
    },
    "risk_contribution": 0.008
  }
}
"""

SPEC_TRADE_EXECUTED = """\
{
  "eventId": "uuid",
  "timestamp": "2025-06-21T10:35:00.000Z",
  "execution": {
    "instrument_id": "AAPL",
    "action": "BUY",
    "quantity": 197,
    "executed_price": 152.28,
    "total_amount": 29999.16
  }
}
"""

SPEC_REBALANCE_REQUEST_FULL = """\
{
  "eventId": "uuid",
  "timestamp": "2025-06-21T11:00:00.000Z",
  "portfolio_id": "main_portfolio",
  "rebalance_type": "STRATEGIC|TACTICAL|RISK_DRIVEN|TIME_BASED",
  "trigger_reason": {
    "type": "WEIGHT_DEVIATION",
    "description": "Technology sector weight exceeded target by 6%",
    "severity": "MEDIUM",
    "urgency": "NORMAL"
  },
  "target_adjustments": [
    {
      "strategy_id": "momentum_strategy",
      "current_weight": 0.35,
      "target_weight": 0.30,
      "adjustment_needed": -0.05,
      "priority": "HIGH"
    },
    {
      "sector": "technology",
      "current_exposure": 0.31,
      "target_exposure": 0.25,
      "adjustment_needed": -0.06,
      "affected_instruments": ["AAPL", "MSFT", "GOOGL"]
    }
  ],
  "constraints": {
    "max_turnover": 0.10,
    "min_trade_size": 1000,
    "execution_timeframe": "1_day",
    "cost_limit": 0.002
  },
  "risk_considerations": {
    "current_portfolio_var": 0.025,
    "target_portfolio_var": 0.022,
    "correlation_impact": "REDUCE_TECH_CORRELATION",
    "liquidity_requirements": "NORMAL"
  }
}
"""

SPEC_PORTFOLIO_OPTIMIZATION = """\
{
  "eventId": "uuid",
  "timestamp": "2025-06-21T11:00:00.100Z",
  "portfolio_id": "main_portfolio",
  "optimization_result": {
    "optimal_strategy_weights": {
      "momentum_strategy": 0.30,
      "mean_reversion_strategy": 0.25,
      "trend_following_strategy": 0.20,
      "arbitrage_strategy": 0.15,
      "defensive_strategy": 0.10
    },
    "risk_budget_allocation": {
      "momentum_strategy": 0.35,
      "mean_reversion_strategy": 0.25,
      "trend_following_strategy": 0.20,
      "arbitrage_strategy": 0.10,
      "defensive_strategy": 0.10
    },
    "expected_portfolio_metrics": {
      "expected_return": 0.12,
      "expected_volatility": 0.18,
      "sharpe_ratio": 0.67,
      "max_drawdown": 0.15
    }
  },
  "market_regime": {
    "detected_regime": "TRENDING_MARKET",
    "confidence": 0.82,
    "regime_adjustments": ["INCREASE_MOMENTUM", "REDUCE_MEAN_REVERSION"]
  },
  "optimization_reasoning": {
    "primary_factors": ["strong_momentum_performance", "low_correlation_environment"],
    "adjustments_made": ["increased_momentum_allocation", "reduced_defensive_allocation"],
    "risk_considerations": ["correlation_regime_stable", "volatility_within_targets"]
  }
}
"""

SPEC_PERFORMANCE_ATTRIBUTION = """\
{
  "eventId": "uuid",
  "timestamp": "2025-06-21T11:00:00.200Z",
  "portfolio_id": "main_portfolio",
  "attribution_period": {
    "start": "2025-06-01T00:00:00.000Z",
    "end": "2025-06-21T00:00:00.000Z"
  },
  "portfolio_performance": {
    "total_return": 0.045,
    "benchmark_return": 0.038,
    "excess_return": 0.007,
    "tracking_error": 0.025,
    "information_ratio": 0.28,
    "sharpe_ratio": 1.85
  },
  "strategy_attribution": {
    "momentum_strategy": {
      "return_contribution": 0.018,
      "risk_contribution": 0.012,
      "weight": 0.32,
      "performance": "OUTPERFORMING"
    },
    "mean_reversion_strategy": {
      "return_contribution": 0.008,
      "risk_contribution": 0.006,
      "weight": 0.24,
      "performance": "NEUTRAL"
    }
  },
  "sector_attribution": {
    "technology": {
      "return_contribution": 0.022,
      "weight_effect": 0.008,
      "selection_effect": 0.014,
      "interaction_effect": 0.000
    }
  },
  "risk_attribution": {
    "systematic_risk": 0.65,
    "idiosyncratic_risk": 0.35,
    "factor_exposures": {
      "market_beta": 1.05,
      "size_factor": -0.15,
      "value_factor": 0.08,
      "momentum_factor": 0.25
    }
  }
}
"""

SPEC_EXAMPLES: dict[str, tuple[type[ev.EventModel], str]] = {
    "TradingSignalEvent": (TradingSignalEvent, SPEC_TRADING_SIGNAL),
    "RebalanceRequestEvent-short": (RebalanceRequestEvent, SPEC_REBALANCE_REQUEST_SHORT),
    "CoordinatedTradingDecisionEvent": (
        CoordinatedTradingDecisionEvent,
        SPEC_COORDINATED_DECISION,
    ),
    "CoordinatedTradingDecisionEvent-subset": (
        CoordinatedTradingDecisionEvent,
        SPEC_COORDINATED_DECISION_SUBSET,
    ),
    "TradeExecutedEvent": (TradeExecutedEvent, SPEC_TRADE_EXECUTED),
    "RebalanceRequestEvent-full": (RebalanceRequestEvent, SPEC_REBALANCE_REQUEST_FULL),
    "PortfolioOptimizationEvent": (PortfolioOptimizationEvent, SPEC_PORTFOLIO_OPTIMIZATION),
    "PerformanceAttributionEvent": (
        PerformanceAttributionEvent,
        SPEC_PERFORMANCE_ATTRIBUTION,
    ),
}

_ALTERNATIVES = re.compile(r'"([A-Z_]+(?:\|[A-Z_]+)+)"')


def expand_alternatives(text: str) -> list[tuple[str, str]]:
    """One ``(label, text)`` per alternative of each ``"A|B|C"`` placeholder (product)."""
    match = _ALTERNATIVES.search(text)
    if match is None:
        return [("", text)]
    out = []
    for value in match.group(1).split("|"):
        head = text[: match.start()] + json.dumps(value)
        for label, rest in expand_alternatives(text[match.end() :]):
            out.append(("-".join(filter(None, [value, label])), head + rest))
    return out


EXPANDED = [
    pytest.param(model, text, id=f"{name}-{label}" if label else name)
    for name, (model, raw) in SPEC_EXAMPLES.items()
    for label, text in expand_alternatives(raw)
]


def test_examples_expand_as_expected() -> None:
    assert len(SPEC_EXAMPLES) == 8
    assert len(EXPANDED) == 13  # 3 + 4 rebalance types, 6 examples without placeholders
    labels = [label for label, _ in expand_alternatives(SPEC_REBALANCE_REQUEST_FULL)]
    assert labels == ["STRATEGIC", "TACTICAL", "RISK_DRIVEN", "TIME_BASED"]


SPECIFICATION = Path(__file__).resolve().parents[1] / "docs" / "specification.md"


def _specification_event_examples() -> list[Any]:
    """The JSON blocks of the specification's §1 that are events (not the portfolio file)."""
    text = SPECIFICATION.read_text(encoding="utf-8")
    section = text[text.index("## §1 Event contracts") : text.index("## §2 The default policy")]
    blocks = re.findall(r"^```json\n(.*?)^```", section, re.M | re.S)
    return [json.loads(b) for b in blocks if '"eventId"' in b]


def test_examples_are_those_of_the_specification() -> None:
    # the specification is the reference users read: its examples and these must not drift
    ours = [json.loads(raw) for _, raw in SPEC_EXAMPLES.values()]
    theirs = _specification_event_examples()
    assert len(theirs) == 7  # every example but the consumers' decision subset
    for example in theirs:
        assert example in ours


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize(("model", "text"), EXPANDED)
def test_spec_example_round_trips(model: type[ev.EventModel], text: str) -> None:
    event = model.from_json(text)
    assert type(event) is model
    assert json.loads(event.to_json()) == json.loads(text)
    assert event.to_dict() == json.loads(text)
    # bytes and dicts are accepted too, and re-validation is stable
    assert model.from_json(text.encode()) == event
    assert model.from_dict(json.loads(text)) == event
    assert model.from_json(event.to_json()) == event


@pytest.mark.parametrize(("model", "text"), EXPANDED)
def test_spec_example_round_trips_through_frame(model: type[ev.EventModel], text: str) -> None:
    event = model.from_json(text)
    frame = events_to_frame([event, event.model_copy(update={"event_id": "second"})])
    assert len(frame) == 2
    assert "eventId" in frame.columns and "timestamp" in frame.columns
    assert str(frame["timestamp"].dtype) == "datetime64[us, UTC]"
    batch = events_from_frame(frame, model)
    assert batch.errors == []
    assert [e.to_dict() for e in batch.events][0] == json.loads(text)
    assert batch.events[1].event_id == "second"


def test_placeholder_itself_is_not_a_value() -> None:
    with pytest.raises(EventValidationError) as info:
        RebalanceRequestEvent.from_json(SPEC_REBALANCE_REQUEST_SHORT)
    assert [e.field for e in info.value.errors] == ["rebalance_type"]


def test_enums_serialise_as_plain_strings() -> None:
    event = TradingSignalEvent.from_json(SPEC_TRADING_SIGNAL)
    assert type(event.signal.action) is Action
    dumped = event.to_dict()
    assert type(dumped["signal"]["action"]) is str
    assert json.dumps(dumped)  # plain JSON types only
    assert str(Action.BUY) == "BUY" and Action("SELL") is Action.SELL


def test_dotted_nested_fields_of_decision() -> None:
    (_, text), *_ = expand_alternatives(SPEC_COORDINATED_DECISION)
    event = CoordinatedTradingDecisionEvent.from_json(text)
    assert event.decision.trade_amount == 30000.0
    assert event.decision.share_quantity == 197
    assert event.portfolio_context.sector_exposure_impact.limit == 0.25
    assert event.policy_compliance is not None
    assert event.policy_compliance.correlation_limit_check == "WARNING"
    assert event.execution_strategy is not None
    assert event.execution_strategy.urgency is Urgency.NORMAL
    assert event.instrument_id == "AAPL" and event.action is Action.BUY
    frame = events_to_frame([event])
    assert frame.loc[0, "decision.trade_amount"] == 30000.0
    assert frame.loc[0, "policy_compliance.warnings"] == [
        "high_correlation_with_existing_positions"
    ]
    assert frame.loc[0, "policy_compliance.violations"] == []


def test_decision_subset_leaves_the_rest_unset() -> None:
    event = CoordinatedTradingDecisionEvent.from_json(SPEC_COORDINATED_DECISION_SUBSET)
    assert event.decision.share_quantity is None
    assert event.decision.confidence is None and event.decision.priority is None
    assert event.signal_basis is None and event.position_sizing is None
    assert event.portfolio_context.sector_exposure_impact.limit is None
    assert set(event.to_dict()) == {"eventId", "timestamp", "decision", "portfolio_context"}


def test_target_adjustments_parse_as_their_kind() -> None:
    text = expand_alternatives(SPEC_REBALANCE_REQUEST_FULL)[0][1]
    event = RebalanceRequestEvent.from_json(text)
    kinds = [type(a) for a in event.target_adjustments]
    assert kinds == [StrategyAdjustment, SectorAdjustment]
    assert event.strategy_adjustments[0].strategy_id == "momentum_strategy"
    assert event.sector_adjustments[0].affected_instruments == ["AAPL", "MSFT", "GOOGL"]
    assert event.instrument_adjustments == []
    assert event.constraints.cost_limit == 0.002
    assert event.trigger_reason is not None and event.trigger_reason.type == "WEIGHT_DEVIATION"
    short = RebalanceRequestEvent.from_json(expand_alternatives(SPEC_REBALANCE_REQUEST_SHORT)[0][1])
    assert isinstance(short.target_adjustments[0], InstrumentAdjustment)
    assert short.target_adjustments[0].urgency is Urgency.NORMAL
    assert short.constraints.cost_limit is None


def test_target_adjustment_without_a_key_is_an_error() -> None:
    data = json.loads(expand_alternatives(SPEC_REBALANCE_REQUEST_FULL)[0][1])
    data["target_adjustments"].append({"current_weight": 0.1})
    data["target_adjustments"][0]["priority"] = "URGENT"
    batch = parse_rebalance_requests([data])
    assert batch.events == []
    fields = {e.field: e.message for e in batch.errors}
    assert fields.keys() == {"target_adjustments.2", "target_adjustments.0.priority"}
    assert "instrument_id" in fields["target_adjustments.2"]


def test_mixed_adjustment_keys_are_rejected() -> None:
    data = json.loads(expand_alternatives(SPEC_REBALANCE_REQUEST_SHORT)[0][1])
    data["target_adjustments"][0]["sector"] = "technology"
    batch = parse_rebalance_requests([data])
    assert [(e.field, e.message) for e in batch.errors] == [
        ("target_adjustments.0.sector", "Extra inputs are not permitted")
    ]


def test_adjustment_models_can_be_passed_directly() -> None:
    request = RebalanceRequestEvent(
        portfolio_id="p",
        rebalance_type="TACTICAL",
        target_adjustments=[
            InstrumentAdjustment(
                instrument_id="AAPL",
                current_weight=0.1,
                target_weight=0.05,
                adjustment_needed=-0.05,
            ),
            SectorAdjustment(
                sector="tech",
                current_exposure=0.3,
                target_exposure=0.25,
                adjustment_needed=-0.05,
                affected_instruments=["AAPL"],
            ),
        ],
        constraints={"max_turnover": 0.1, "min_trade_size": 1000, "execution_timeframe": "1_day"},
    )
    again = RebalanceRequestEvent.from_json(request.to_json())
    assert again == request
    assert [type(a) for a in again.target_adjustments] == [InstrumentAdjustment, SectorAdjustment]


# --------------------------------------------------------------------------- eventId, timestamp


def _signal_data(**signal: Any) -> dict[str, Any]:
    data = json.loads(SPEC_TRADING_SIGNAL)
    data["signal"].update(signal)
    return data


def test_event_id_and_timestamp_default_and_are_always_written() -> None:
    data = _signal_data()
    del data["eventId"], data["timestamp"]
    a, b = TradingSignalEvent.from_dict(data), TradingSignalEvent.from_dict(data)
    # issue #8: the id is derived from the content (it used to be a random UUID4)
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
    expected = "sig-" + hashlib.sha256(canonical.encode()).hexdigest()[:16]
    assert a.event_id == b.event_id == expected
    assert a.timestamp.tzinfo is UTC
    assert abs(a.timestamp - datetime.now(UTC)) < timedelta(seconds=5)
    dumped = a.to_dict()
    assert dumped["eventId"] == a.event_id == a.eventId == a.signal_id
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", dumped["timestamp"])


def test_timestamps_are_utc_with_millisecond_format() -> None:
    naive = TradingSignalEvent.from_dict({**_signal_data(), "timestamp": "2025-06-21T10:30:00"})
    assert naive.timestamp == datetime(2025, 6, 21, 10, 30, tzinfo=UTC)
    assert naive.to_dict()["timestamp"] == "2025-06-21T10:30:00.000Z"
    offset = TradingSignalEvent.from_dict(
        {**_signal_data(), "timestamp": "2025-06-21T12:30:00.250+02:00"}
    )
    assert offset.to_dict()["timestamp"] == "2025-06-21T10:30:00.250Z"
    tz = timezone(timedelta(hours=-5))
    built = TradingSignalEvent(
        timestamp=datetime(2025, 6, 21, 5, 30, 0, 123456, tzinfo=tz),
        signal=naive.signal,
        expected_outcomes=naive.expected_outcomes,
    )
    assert built.timestamp == datetime(2025, 6, 21, 10, 30, 0, 123000, tzinfo=UTC)
    assert built.to_dict()["timestamp"] == "2025-06-21T10:30:00.123Z"
    from_pandas = built.model_copy()
    assert (
        TradingSignalEvent.from_dict(
            {**built.to_dict(), "timestamp": pd.Timestamp("2025-06-21 10:30:00.123", tz="UTC")}
        )
        == from_pandas
    )
    assert type(from_pandas.timestamp) is datetime


def test_events_are_immutable() -> None:
    event = TradingSignalEvent.from_json(SPEC_TRADING_SIGNAL)
    with pytest.raises(pydantic.ValidationError):
        event.signal.confidence = 0.5  # type: ignore[misc]
    changed = event.model_copy(update={"event_id": "other"})
    assert changed.event_id == "other" and event.event_id == "uuid"


# --------------------------------------------------------------------------- engine extensions


def test_signal_extension_fields_round_trip_when_set() -> None:
    data = _signal_data(strategy_id="momentum", urgency="HIGH", lot_size=100)
    data["expected_outcomes"].update(stop_price=148.5, horizon_days=5)
    event = TradingSignalEvent.from_dict(data)
    assert event.strategy == "momentum"
    assert event.signal.urgency is Urgency.HIGH and event.signal.lot_size == 100
    assert event.expected_outcomes.stop_price == 148.5
    assert event.expected_outcomes.horizon_days == 5.0
    assert json.loads(event.to_json()) == data
    assert TradingSignalEvent.from_json(event.to_json()) == event


def test_signal_convenience_properties() -> None:
    event = TradingSignalEvent.from_json(SPEC_TRADING_SIGNAL)
    assert event.signal_id == "uuid"
    assert event.instrument_id == "AAPL"
    assert event.action is Action.BUY
    assert event.strategy == "default"
    assert event.signal.strategy_id is None and event.expected_outcomes.stop_price is None


@pytest.mark.parametrize(
    ("block", "field", "value"),
    [
        ("signal", "lot_size", 0),
        ("signal", "lot_size", 2.5),
        ("signal", "urgency", "SOON"),
        ("expected_outcomes", "stop_price", 0.0),
        ("expected_outcomes", "horizon_days", -1),
        ("expected_outcomes", "horizon_days", math.inf),
    ],
)
def test_signal_extension_fields_are_validated(block: str, field: str, value: Any) -> None:
    data = _signal_data()
    data[block][field] = value
    batch = parse_signals([data])
    assert [e.field for e in batch.errors] == [f"{block}.{field}"]


def test_trade_executed_rules() -> None:
    good = json.loads(SPEC_TRADE_EXECUTED)
    event = TradeExecutedEvent.from_dict(good)
    assert event.signed_quantity == 197 and event.instrument_id == "AAPL"
    cases = {
        "action": "HOLD",
        "quantity": 0,
        "executed_price": -1.0,
        "total_amount": -0.01,
    }
    for field, value in cases.items():
        data = json.loads(SPEC_TRADE_EXECUTED)
        data["execution"][field] = value
        batch = parse_events([data], TradeExecutedEvent)
        assert [e.field for e in batch.errors] == [f"execution.{field}"], field
    sell = json.loads(SPEC_TRADE_EXECUTED)
    sell["execution"]["action"] = "SELL"
    assert TradeExecutedEvent.from_dict(sell).signed_quantity == -197


def test_attribution_period_must_be_ordered() -> None:
    data = json.loads(SPEC_PERFORMANCE_ATTRIBUTION)
    data["attribution_period"]["end"] = "2025-05-01T00:00:00.000Z"
    batch = parse_events([data], PerformanceAttributionEvent)
    assert [e.field for e in batch.errors] == ["attribution_period"]


# --------------------------------------------------------------------------- malformed events


def _malformed(kind: str) -> tuple[dict[str, Any], str]:
    """A bad signal of the given kind, and the field its error should name."""
    data = _signal_data()
    data["eventId"] = f"bad-{kind}"
    if kind == "missing field":
        del data["signal"]["strength"]
        return data, "signal.strength"
    if kind == "wrong type":
        data["signal"]["confidence"] = "high"
        return data, "signal.confidence"
    if kind == "numeric string":
        data["expected_outcomes"]["price_target"] = "155.25"
        return data, "expected_outcomes.price_target"
    if kind == "boolean number":
        data["signal"]["signal_score"] = True
        return data, "signal.signal_score"
    if kind == "block of wrong type":
        data["signal"] = "AAPL BUY"
        return data, "signal"
    if kind == "confidence 1.2":
        data["signal"]["confidence"] = 1.2
        return data, "signal.confidence"
    if kind == "signal_score -1.5":
        data["signal"]["signal_score"] = -1.5
        return data, "signal.signal_score"
    if kind == "unknown action":
        data["signal"]["action"] = "BUYY"
        return data, "signal.action"
    if kind == "NaN price":
        data["expected_outcomes"]["price_target"] = math.nan
        return data, "expected_outcomes.price_target"
    if kind == "negative price":
        data["expected_outcomes"]["price_target"] = -3.0
        return data, "expected_outcomes.price_target"
    if kind == "extra field":
        data["signal"]["confidnce"] = 0.5
        return data, "signal.confidnce"
    if kind == "extra top-level field":
        data["sigal"] = {}
        return data, "sigal"
    if kind == "empty instrument":
        data["signal"]["instrument_id"] = ""
        return data, "signal.instrument_id"
    raise AssertionError(kind)


MALFORMED = [
    "missing field",
    "wrong type",
    "numeric string",
    "boolean number",
    "block of wrong type",
    "confidence 1.2",
    "signal_score -1.5",
    "unknown action",
    "NaN price",
    "negative price",
    "extra field",
    "extra top-level field",
    "empty instrument",
]


@pytest.mark.parametrize("kind", MALFORMED)
def test_malformed_event_names_event_and_field(kind: str) -> None:
    bad, field = _malformed(kind)
    good = [_signal_data() for _ in range(3)]
    for i, g in enumerate(good):
        g["eventId"] = f"good-{i}"
    batch = parse_signals([good[0], bad, good[1], json.dumps(good[2])])
    assert [e.event_id for e in batch.events] == ["good-0", "good-1", "good-2"]
    assert len(batch.errors) == 1
    (error,) = batch.errors
    assert (error.index, error.event_id, error.field) == (1, f"bad-{kind}", field)
    assert error.line is None
    text = str(error)
    assert text.startswith(f"event 1 (eventId 'bad-{kind}'), field {field}: ")
    with pytest.raises(EventValidationError) as info:
        TradingSignalEvent.from_dict(bad)
    assert [e.field for e in info.value.errors] == [field]
    with pytest.raises(EventValidationError):
        TradingSignalEvent.from_json(json.dumps(bad))


def test_error_messages_are_readable() -> None:
    bad, _ = _malformed("confidence 1.2")
    bad["eventId"] = "abc"
    batch = parse_signals([_signal_data(), _signal_data(), _signal_data(), bad])
    # the three unchanged copies share eventId "uuid": the later two are duplicates
    assert str(batch.errors[-1]) == (
        "event 3 (eventId 'abc'), field signal.confidence: Input should be less than or equal to 1"
    )
    action = parse_signals([_malformed("unknown action")[0]]).errors[0]
    assert action.message == "Input should be 'BUY', 'SELL' or 'HOLD'"
    nan = parse_signals([_malformed("NaN price")[0]]).errors[0]
    assert nan.message == "Input should be a finite number"


def test_duplicate_event_ids_flag_later_occurrences() -> None:
    records = []
    for event_id in ["a", "b", "a", "c", "a"]:
        data = _signal_data()
        data["eventId"] = event_id
        records.append(data)
    batch = parse_signals(records)
    assert [e.event_id for e in batch.events] == ["a", "b", "c"]
    assert [(e.index, e.event_id, e.field) for e in batch.errors] == [
        (2, "a", "eventId"),
        (4, "a", "eventId"),
    ]
    assert "duplicate eventId 'a'" in batch.errors[0].message
    assert "first seen at event 0" in str(batch.errors[1])


def test_bad_first_occurrence_does_not_hide_a_good_duplicate() -> None:
    bad, _ = _malformed("confidence 1.2")
    good = _signal_data()
    good["eventId"] = bad["eventId"]
    batch = parse_signals([bad, good])
    assert [e.index for e in batch.errors] == [0]
    assert len(batch.events) == 1


def test_several_errors_of_one_event_are_all_reported() -> None:
    data = _signal_data(confidence=2.0, action="BUYY")
    del data["expected_outcomes"]
    batch = parse_signals([data])
    assert sorted(e.field for e in batch.errors) == [
        "expected_outcomes",
        "signal.action",
        "signal.confidence",
    ]
    assert {e.index for e in batch.errors} == {0}


def test_records_that_are_not_objects() -> None:
    signal = TradingSignalEvent.from_json(SPEC_TRADING_SIGNAL)
    other = TradeExecutedEvent.from_json(SPEC_TRADE_EXECUTED)
    batch = parse_signals(["{not json", "[1, 2]", 42, other, signal])
    assert batch.events == [signal]
    assert [(e.index, e.field) for e in batch.errors] == [(0, ""), (1, ""), (2, ""), (3, "")]
    assert batch.errors[0].message.startswith("not valid JSON")
    assert "TradingSignalEvent" in batch.errors[3].message
    assert str(batch.errors[0]).startswith("event 0: not valid JSON")


def test_raise_if_errors() -> None:
    good = parse_signals([SPEC_TRADING_SIGNAL], source="feed")
    assert good.ok and good.raise_if_errors() is good
    bad = parse_signals([_malformed("confidence 1.2")[0], "{"], source="feed")
    assert not bad.ok
    with pytest.raises(EventValidationError) as info:
        bad.raise_if_errors()
    err = info.value
    assert isinstance(err, PortlabError) and isinstance(err, ValueError)
    assert err.source == "feed" and err.errors == bad.errors
    assert str(err).startswith(
        "feed: event 0 (eventId 'bad-confidence 1.2'), field signal.confidence"
    )
    assert str(err).endswith("(and 1 more)")


def test_event_batch_is_a_frozen_dataclass() -> None:
    batch = EventBatch(events=[], errors=[])
    with pytest.raises(AttributeError):
        batch.events = []  # type: ignore[misc]
    error = EventError(index=0, event_id=None, field="x", message="m")
    assert error.line is None and str(error) == "event 0, field x: m"


# --------------------------------------------------------------------------- JSON Lines


def test_read_jsonl_reports_line_numbers(tmp_path: Path) -> None:
    good = [_signal_data() for _ in range(3)]
    for i, g in enumerate(good):
        g["eventId"] = f"s{i}"
    bad, _ = _malformed("confidence 1.2")
    lines = [
        json.dumps(good[0]),
        "",
        json.dumps(bad),
        "   ",
        "this is not json",
        json.dumps(good[1]),
        json.dumps(good[0]),
        json.dumps(good[2]),
        "",
    ]
    path = tmp_path / "signals.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    batch = read_jsonl(path, TradingSignalEvent)
    assert [e.event_id for e in batch.events] == ["s0", "s1", "s2"]
    assert [(e.line, e.index, e.field) for e in batch.errors] == [
        (3, 1, "signal.confidence"),
        (5, 2, ""),
        (7, 4, "eventId"),
    ]
    assert all(e.source == str(path) for e in batch.errors)
    assert batch.source == str(path)
    assert str(batch.errors[0]).startswith("line 3: event 1 (eventId 'bad-confidence 1.2')")
    assert "not valid JSON" in batch.errors[1].message
    with pytest.raises(EventValidationError, match=r"signals\.jsonl: line 3: event 1"):
        batch.raise_if_errors()


def test_write_then_read_jsonl(tmp_path: Path) -> None:
    events = [model.from_json(text) for model, text in _first_alternatives()]
    decisions = [e for e in events if isinstance(e, CoordinatedTradingDecisionEvent)]
    decisions[1] = decisions[1].model_copy(update={"event_id": "other"})
    path = tmp_path / "decisions.jsonl"
    assert write_jsonl(path, decisions) == 2
    batch = read_jsonl(str(path), CoordinatedTradingDecisionEvent)
    assert batch.ok and batch.events == decisions


def _first_alternatives() -> list[tuple[type[ev.EventModel], str]]:
    return [(model, expand_alternatives(raw)[0][1]) for model, raw in SPEC_EXAMPLES.values()]


# --------------------------------------------------------------------------- DataFrames

_ids = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=12)
_unit = st.floats(0, 1, allow_nan=False)
_price = st.floats(0.01, 1e6, allow_nan=False, allow_infinity=False)
_times = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@st.composite
def signals(draw: st.DrawFn) -> TradingSignalEvent:
    """A valid TradingSignalEvent, with the optional extension fields sometimes set."""
    signal: dict[str, Any] = {
        "instrument_id": draw(_ids),
        "action": draw(st.sampled_from(list(Action))),
        "confidence": draw(_unit),
        "strength": draw(st.sampled_from(list(ev.Strength))),
        "signal_score": draw(st.floats(-1, 1, allow_nan=False)),
    }
    outcomes: dict[str, Any] = {
        "price_target": draw(_price),
        "expected_return": draw(st.floats(-1, 10, allow_nan=False)),
        "success_probability": draw(_unit),
    }
    optional = {
        ("signal", "strategy_id"): _ids,
        ("signal", "urgency"): st.sampled_from(list(Urgency)),
        ("signal", "lot_size"): st.integers(1, 10_000),
        ("expected_outcomes", "stop_price"): _price,
        ("expected_outcomes", "horizon_days"): st.floats(0.01, 365, allow_nan=False),
    }
    for (block, name), strategy in optional.items():
        if draw(st.booleans()):
            (signal if block == "signal" else outcomes)[name] = draw(strategy)
    return TradingSignalEvent(
        event_id=draw(_ids),
        timestamp=draw(_times),
        signal=signal,
        expected_outcomes=outcomes,
    )


def _unique(events: list[TradingSignalEvent]) -> list[TradingSignalEvent]:
    return [e.model_copy(update={"event_id": f"{i}-{e.event_id}"}) for i, e in enumerate(events)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(signals(), max_size=8))
def test_signals_frame_round_trip(events: list[TradingSignalEvent]) -> None:
    events = _unique(events)
    frame = signals_to_frame(events)
    assert tuple(frame.columns) == SIGNAL_COLUMNS
    assert len(frame) == len(events)
    batch = signals_from_frame(frame)
    assert batch.errors == []
    assert batch.events == events
    assert [e.to_dict() for e in batch.events] == [e.to_dict() for e in events]


def test_signals_to_frame_columns_and_dtypes() -> None:
    example = TradingSignalEvent.from_json(SPEC_TRADING_SIGNAL)
    data = _signal_data(strategy_id="momentum", urgency="HIGH", lot_size=100)
    data["eventId"] = "ext"
    data["expected_outcomes"]["stop_price"] = 150.0
    extended = TradingSignalEvent.from_dict(data)
    frame = signals_to_frame(iter([example, extended]))
    assert tuple(frame.columns) == SIGNAL_COLUMNS
    assert list(frame.index) == [0, 1]
    assert str(frame["timestamp"].dtype) == "datetime64[us, UTC]"
    assert frame.loc[0, "timestamp"] == pd.Timestamp("2025-06-21T10:30:00.200Z")
    assert frame["signal_id"].tolist() == ["uuid", "ext"]
    assert frame["action"].tolist() == ["BUY", "BUY"] and type(frame.loc[0, "action"]) is str
    assert frame.loc[0, "confidence"] == 0.81
    assert pd.isna(frame.loc[0, "strategy_id"]) and frame.loc[1, "strategy_id"] == "momentum"
    assert pd.isna(frame.loc[0, "urgency"]) and frame.loc[1, "urgency"] == "HIGH"
    assert np.isnan(frame.loc[0, "lot_size"]) and frame.loc[1, "lot_size"] == 100
    assert np.isnan(frame.loc[1, "horizon_days"])
    for column in ("confidence", "price_target", "stop_price", "lot_size"):
        assert frame[column].dtype == np.float64


def test_signals_to_frame_of_nothing() -> None:
    frame = signals_to_frame([])
    assert frame.empty and tuple(frame.columns) == SIGNAL_COLUMNS
    assert str(frame["timestamp"].dtype) == "datetime64[us, UTC]"
    assert frame["confidence"].dtype == np.float64
    assert signals_from_frame(frame).events == []


def test_signals_from_a_hand_made_frame() -> None:
    frame = pd.DataFrame(
        {
            "instrument_id": ["AAPL", "MSFT", "GOOGL", "AMZN"],
            "action": ["BUY", "SELL", "BUYY", "HOLD"],
            "confidence": [0.8, 1.2, 0.5, np.nan],
            "strength": ["STRONG", "WEAK", "MODERATE", "WEAK"],
            "signal_score": [0.7, -0.4, 0.1, 0.0],
            "price_target": [155.0, 300.0, 120.0, 80.0],
            "expected_return": [0.02, -0.01, 0.01, 0.0],
            "success_probability": [0.7, 0.6, 0.5, 0.5],
            "lot_size": [100, np.nan, 1, 1],
            "timestamp": pd.to_datetime(["2025-06-21 10:30"] * 4),  # naive: taken as UTC
            "note": ["extra columns are ignored"] * 4,
        },
        index=[10, 20, 30, 40],
    )
    batch = signals_from_frame(frame)
    assert [e.instrument_id for e in batch.events] == ["AAPL"]
    assert batch.events[0].signal.lot_size == 100 and type(batch.events[0].signal.lot_size) is int
    assert batch.events[0].timestamp == datetime(2025, 6, 21, 10, 30, tzinfo=UTC)
    assert batch.events[0].strategy == "default"
    assert [(e.index, e.field) for e in batch.errors] == [
        (1, "signal.confidence"),
        (2, "signal.action"),
        (3, "signal.confidence"),
    ]
    assert batch.errors[2].message == "Field required"
    assert all(e.event_id is None for e in batch.errors)  # ids were generated, not given
    assert len({e.event_id for e in batch.events}) == 1


def test_signals_from_frame_reports_signal_ids_and_duplicates() -> None:
    example = TradingSignalEvent.from_json(SPEC_TRADING_SIGNAL)
    frame = signals_to_frame([example, example, example])
    frame.loc[2, "signal_id"] = "third"
    frame.loc[2, "price_target"] = -1.0
    batch = signals_from_frame(frame)
    assert batch.events == [example]
    assert [(e.index, e.event_id, e.field) for e in batch.errors] == [
        (1, "uuid", "eventId"),
        (2, "third", "expected_outcomes.price_target"),
    ]


def test_signals_from_frame_needs_the_required_columns() -> None:
    frame = signals_to_frame([TradingSignalEvent.from_json(SPEC_TRADING_SIGNAL)])
    with pytest.raises(DataError, match="confidence"):
        signals_from_frame(frame.drop(columns=["confidence"]))
    with pytest.raises(DataError, match="duplicate"):
        signals_from_frame(pd.concat([frame, frame[["action"]]], axis=1))
    with pytest.raises(DataError):
        signals_from_frame(frame.to_dict())  # type: ignore[arg-type]
    optional = [c for c in SIGNAL_COLUMNS if c in {"signal_id", "timestamp", "urgency"}]
    batch = signals_from_frame(frame.drop(columns=optional))
    assert batch.ok and batch.events[0].event_id != "uuid"


def test_events_frame_flattens_dicts_and_keeps_lists() -> None:
    event = PerformanceAttributionEvent.from_json(SPEC_PERFORMANCE_ATTRIBUTION)
    frame = events_to_frame([event])
    assert frame.loc[0, "strategy_attribution.momentum_strategy.weight"] == 0.32
    assert frame.loc[0, "risk_attribution.factor_exposures.market_beta"] == 1.05
    assert str(frame["attribution_period.start"].dtype) == "datetime64[us, UTC]"
    optimization = PortfolioOptimizationEvent.from_json(SPEC_PORTFOLIO_OPTIMIZATION)
    frame = events_to_frame([optimization])
    assert frame.loc[0, "market_regime.regime_adjustments"] == [
        "INCREASE_MOMENTUM",
        "REDUCE_MEAN_REVERSION",
    ]
    rebalance = RebalanceRequestEvent.from_json(
        expand_alternatives(SPEC_REBALANCE_REQUEST_FULL)[0][1]
    )
    frame = events_to_frame([rebalance])
    adjustments = frame.loc[0, "target_adjustments"]
    assert adjustments[0]["priority"] == "HIGH" and type(adjustments[0]["priority"]) is str
    assert events_to_frame([]).empty


def test_events_frame_of_mixed_subsets_and_bad_rows() -> None:
    full = CoordinatedTradingDecisionEvent.from_json(SPEC_COORDINATED_DECISION)
    subset = CoordinatedTradingDecisionEvent.from_json(SPEC_COORDINATED_DECISION_SUBSET)
    subset = subset.model_copy(update={"event_id": "subset"})
    frame = events_to_frame([full, subset])
    assert pd.isna(frame.loc[1, "decision.share_quantity"])
    batch = events_from_frame(frame, CoordinatedTradingDecisionEvent)
    assert batch.ok and batch.events == [full, subset]
    assert batch.events[0].decision.share_quantity == 197
    assert [e.to_dict() for e in batch.events] == [full.to_dict(), subset.to_dict()]
    frame.loc[1, "decision.position_size"] = -0.5
    bad = events_from_frame(frame, CoordinatedTradingDecisionEvent)
    assert bad.events == [full]
    assert [(e.index, e.event_id, e.field) for e in bad.errors] == [
        (1, "subset", "decision.position_size")
    ]


def test_public_names() -> None:
    assert set(ev.__all__) <= set(dir(ev))
    assert {
        "TradingSignalEvent",
        "RebalanceRequestEvent",
        "CoordinatedTradingDecisionEvent",
        "TradeExecutedEvent",
        "PortfolioOptimizationEvent",
        "PerformanceAttributionEvent",
    } == set(ev.EVENT_TYPES)
    for name in ev.__all__:
        assert getattr(ev, name) is not None, name
