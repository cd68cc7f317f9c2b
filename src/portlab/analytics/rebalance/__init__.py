"""Rebalancing (specification §10, "Rebalancing triggers"): when to rebalance, and the
least-cost trades that do it.

Triggers -- :func:`evaluate_triggers` returns one :class:`~portlab.events.RebalanceRequestEvent`
per firing trigger (the event contract of specification §1), for
:meth:`portlab.Coordinator.coordinate`. Each trigger (:class:`TriggerKind`) measures one value
and fires when it exceeds the threshold (the default in brackets); the request's
``rebalance_type`` follows the trigger:

* TIME_BASED -- scheduled dates since ``last_rebalance`` (> 0; always when there is none);
  ``TIME_BASED``.
* WEIGHT_DEVIATION -- ``max |weight - target|`` (0.05); ``TACTICAL``.
* RISK_BUDGET_BREACH -- ``max(risk share / budget - 1)`` over instruments and sectors (0.10);
  ``RISK_DRIVEN``.
* VOLATILITY_SPIKE -- ``recent vol / long-run vol - 1`` of the portfolio (0.25); ``RISK_DRIVEN``.
* CORRELATION_REGIME_CHANGE -- ``|recent - long-run mean pairwise correlation|`` (0.20);
  ``RISK_DRIVEN``.
* PERFORMANCE_DIVERGENCE -- ``|trailing return - reference return|`` of the portfolio and of
  each instrument (0.15); ``STRATEGIC``.

Every comparison is strict: ``observed - threshold > 1e-9`` fires, so a drift of exactly 5%
(or 5% plus float noise below 1e-9) does not.

Recommendations -- :func:`recommend_trades` solves the least-cost trade list (turnover plus
proportional costs) that brings every weight inside its tolerance band, in whole lots.

The requests are built in :mod:`._requests`, the triggers' settings are in :mod:`._settings`
and their measurements in :mod:`._triggers`, the trade list in :mod:`._trades`.
"""

from portlab.analytics.rebalance._requests import evaluate_triggers, trigger_status
from portlab.analytics.rebalance._settings import (
    REBALANCE_TYPES,
    Frequency,
    PerformanceReference,
    RebalanceTriggers,
    TriggerKind,
)
from portlab.analytics.rebalance._trades import TRADE_COLUMNS, BandType, recommend_trades
from portlab.analytics.rebalance._triggers import mean_pairwise_correlation

__all__ = [
    "REBALANCE_TYPES",
    "TRADE_COLUMNS",
    "BandType",
    "Frequency",
    "PerformanceReference",
    "RebalanceTriggers",
    "TriggerKind",
    "evaluate_triggers",
    "mean_pairwise_correlation",
    "recommend_trades",
    "trigger_status",
]
