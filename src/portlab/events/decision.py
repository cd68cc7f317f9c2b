"""``CoordinatedTradingDecisionEvent``: the coordination engine's output.

The engine produces the full form (``docs/specification.md`` §1 and §7); consumers on the
portfolio management side read a subset (``decision`` with four fields, ``portfolio_context``
with only ``sector_exposure_impact`` without ``limit`` and ``risk_contribution``). One model
reads both: what the subset lacks is optional.
"""

from __future__ import annotations

from portlab.events._types import (
    Action,
    CheckStatus,
    EventBlock,
    EventModel,
    Finite,
    NonEmptyStr,
    NonNegative,
    NonNegativeInt,
    Priority,
    Probability,
    Strength,
    Urgency,
)

__all__ = [
    "CoordinatedTradingDecisionEvent",
    "Decision",
    "ExecutionStrategy",
    "PolicyCompliance",
    "PortfolioContext",
    "PositionSizing",
    "RiskMetrics",
    "SectorExposureImpact",
    "SignalBasis",
]


class Decision(EventBlock):
    """The ``decision`` block: what to trade and how much.

    Attributes
    ----------
    instrument_id : str
        Instrument identifier.
    action : Action
        ``BUY``, ``SELL`` or ``HOLD``.
    position_size : float
        Size of the trade as a fraction of portfolio value (``>= 0``; the direction is in
        ``action``).
    trade_amount : float
        Value of the trade in currency (``>= 0``).
    share_quantity : int, optional
        Number of shares (``>= 0``).
    confidence : float, optional
        Confidence carried over from the signal, in ``[0, 1]``.
    priority : Priority, optional
        Execution priority.
    """

    instrument_id: NonEmptyStr
    action: Action
    position_size: NonNegative
    trade_amount: NonNegative
    share_quantity: NonNegativeInt | None = None
    confidence: Probability | None = None
    priority: Priority | None = None


class SignalBasis(EventBlock):
    """The signal a decision is based on.

    Attributes
    ----------
    signal_id : str
        ``eventId`` of the :class:`~portlab.events.TradingSignalEvent`.
    signal_confidence : float
        The signal's confidence, in ``[0, 1]``.
    signal_strength : Strength
        The signal's strength.
    expected_return : float
        The signal's expected return (fraction).
    """

    signal_id: NonEmptyStr
    signal_confidence: Probability
    signal_strength: Strength
    expected_return: Finite


class SectorExposureImpact(EventBlock):
    """Effect of a decision on its sector's exposure.

    Attributes
    ----------
    sector : str
        Sector name.
    before, after : float
        Sector exposure before and after the trade (fractions of portfolio value).
    limit : float, optional
        The sector exposure limit applied (fraction of portfolio value).
    """

    sector: NonEmptyStr
    before: Finite
    after: Finite
    limit: Finite | None = None


class PortfolioContext(EventBlock):
    """Portfolio-level context of a decision.

    Attributes
    ----------
    current_position, target_position : float, optional
        Instrument weight before and after (fractions of portfolio value).
    sector_exposure_impact : SectorExposureImpact
        Sector exposure before/after.
    correlation_impact : float, optional
        Correlation-weighted exposure added by the trade (fraction).
    risk_contribution : float
        Contribution of the position to portfolio risk (fraction).
    """

    current_position: Finite | None = None
    target_position: Finite | None = None
    sector_exposure_impact: SectorExposureImpact
    correlation_impact: Finite | None = None
    risk_contribution: Finite


class PositionSizing(EventBlock):
    """The sizing waterfall of a decision, each stage a fraction of portfolio value.

    Attributes
    ----------
    kelly_fraction : float
        Capped Kelly size.
    policy_constrained : float
        After policy limits.
    correlation_adjusted : float
        After the correlation adjustment.
    final_size : float
        Final size (after rebalance blending and minimum size).
    sizing_reasoning : str
        Human-readable explanation.
    """

    kelly_fraction: Finite
    policy_constrained: Finite
    correlation_adjusted: Finite
    final_size: Finite
    sizing_reasoning: str


class RiskMetrics(EventBlock):
    """Risk of the decided position.

    Attributes
    ----------
    position_var_1d : float
        One-day value at risk of the position, in currency.
    portfolio_var_impact : float
        Change of portfolio VaR, as a fraction of portfolio value.
    max_loss_estimate : float
        Estimated maximum loss, in currency.
    risk_reward_ratio : float
        Expected reward divided by risk.
    """

    position_var_1d: Finite
    portfolio_var_impact: Finite
    max_loss_estimate: Finite
    risk_reward_ratio: Finite


class ExecutionStrategy(EventBlock):
    """How the decision should be executed.

    Attributes
    ----------
    order_type : str
        E.g. ``"LIMIT"`` or ``"MARKET"``.
    execution_algorithm : str
        E.g. ``"TWAP"``, ``"VWAP"``.
    time_horizon : str
        E.g. ``"4_hours"``.
    urgency : Urgency
        Execution urgency.
    """

    order_type: NonEmptyStr
    execution_algorithm: NonEmptyStr
    time_horizon: NonEmptyStr
    urgency: Urgency


class PolicyCompliance(EventBlock):
    """Outcome of the policy checks for a decision.

    Attributes
    ----------
    position_limit_check, sector_limit_check, correlation_limit_check : CheckStatus
        ``PASSED``, ``WARNING`` or ``FAILED``.
    violations : list of str
        Hard-limit violations (empty for an executable decision).
    warnings : list of str
        Soft-limit warnings.
    """

    position_limit_check: CheckStatus
    sector_limit_check: CheckStatus
    correlation_limit_check: CheckStatus
    violations: list[str]
    warnings: list[str]


class CoordinatedTradingDecisionEvent(EventModel):
    """An execution-ready, policy-checked trading decision.

    Attributes
    ----------
    event_id : str
        ``"eventId"`` in JSON.
    timestamp : datetime
        UTC time of the decision.
    decision : Decision
        What to trade and how much.
    signal_basis : SignalBasis, optional
        The signal behind the decision.
    portfolio_context : PortfolioContext
        Position and sector exposure before/after, risk contribution.
    position_sizing : PositionSizing, optional
        The sizing waterfall.
    risk_metrics : RiskMetrics, optional
        Risk of the position.
    execution_strategy : ExecutionStrategy, optional
        Order type, algorithm, horizon, urgency.
    policy_compliance : PolicyCompliance, optional
        Policy check results.
    coordination_reasoning : str, optional
        portlab extension: why the engine decided as it did.
    """

    decision: Decision
    signal_basis: SignalBasis | None = None
    portfolio_context: PortfolioContext
    position_sizing: PositionSizing | None = None
    risk_metrics: RiskMetrics | None = None
    execution_strategy: ExecutionStrategy | None = None
    policy_compliance: PolicyCompliance | None = None
    coordination_reasoning: str | None = None

    @property
    def instrument_id(self) -> str:
        """Instrument the decision is about."""
        return self.decision.instrument_id

    @property
    def action(self) -> Action:
        """``BUY``, ``SELL`` or ``HOLD``."""
        return self.decision.action
