"""Configuration of the coordination engine: the policy, sizing and risk-loop settings.

Defaults are the seed's (``000_7eb51db11442dd7b``: 5% position, 25% sector, 60% correlated
exposure, 20% volatility, 2x leverage; 25% Kelly cap; 1% minimum position; ``004``: risk
feedback loop of at most 3 iterations never resizing below half the original).

All sizes, limits and exposures are fractions of portfolio value (NAV), not percent;
volatilities are annualised.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic import ValidationError as PydanticError

from portlab.exceptions import ConfigError

__all__ = [
    "AllocationMode",
    "KellyFormula",
    "MinSizeRule",
    "Policy",
    "Resolution",
    "RiskLoopConfig",
    "Rule",
    "SizingConfig",
    "load_config",
]


class Resolution(enum.StrEnum):
    """How several signals (and a rebalance request) on one instrument become one decision.

    The first four select a winner (seed 003); the last three combine the signals' sized
    targets (NET: sum of signed Kelly targets; WEIGHTED_AVERAGE and VOLATILITY_ADJUSTED: the
    weighted aggregators of seed 004).
    """

    HIGHEST_PRIORITY = "HIGHEST_PRIORITY"
    BEST_RISK_REWARD = "BEST_RISK_REWARD"
    PERFORMANCE_WEIGHTED = "PERFORMANCE_WEIGHTED"
    FIRST_IN_FIRST_OUT = "FIRST_IN_FIRST_OUT"
    NET = "NET"
    WEIGHTED_AVERAGE = "WEIGHTED_AVERAGE"
    VOLATILITY_ADJUSTED = "VOLATILITY_ADJUSTED"


class AllocationMode(enum.StrEnum):
    """How capital is shared when the sized trades want more than the batch limits allow.

    OPTIMAL solves a linear program (HiGHS) maximising priority-weighted expected edge, or a
    second-order cone program (cvxpy + Clarabel) when the portfolio volatility limit binds.
    GREEDY fills trades in priority order, each taking what the remaining capacity allows.
    """

    OPTIMAL = "OPTIMAL"
    GREEDY = "GREEDY"


class KellyFormula(enum.StrEnum):
    """Which Kelly fraction a stop-bounded signal gets.

    BINARY_BET is the classic ``f = p - (1 - p) / b`` with ``b`` = reward / risk implied by
    price target and stop: the fraction of capital to commit (the seed's convention).
    GROWTH_OPTIMAL is the position that maximises expected log growth when the trade either
    reaches the target (return ``u``) or the stop (loss ``l``): ``f / l``; it is larger by
    ``1 / l`` and is usually cut by the Kelly cap.
    """

    BINARY_BET = "BINARY_BET"
    GROWTH_OPTIMAL = "GROWTH_OPTIMAL"


class MinSizeRule(enum.StrEnum):
    """What happens to a trade that increases a position by less than ``min_position_size``.

    ROUND_UP raises it to the minimum when policy headroom allows (the seed's rule) and drops
    it otherwise; DROP always drops it.
    """

    ROUND_UP = "ROUND_UP"
    DROP = "DROP"


class _Config(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    def __init__(self, **data: Any) -> None:
        # one error type for users: ConfigError naming the model and the field
        try:
            super().__init__(**data)
        except PydanticError as exc:
            raise ConfigError(_describe(type(self).__name__, exc)) from None

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> Any:
        try:
            return super().model_validate(obj, **kwargs)
        except PydanticError as exc:
            raise ConfigError(_describe(cls.__name__, exc)) from None

    @classmethod
    def from_yaml(cls, source: str | Path) -> Any:
        """Load from a YAML file path or YAML text (a mapping of this model's fields)."""
        data = _read_yaml(source)
        key = {"Policy": "policy", "SizingConfig": "sizing", "RiskLoopConfig": "risk_loop"}
        # accept both a bare mapping and one nested under the section name
        section = key.get(cls.__name__)
        if section and isinstance(data, dict) and set(data) == {section}:
            data = data[section]
        return _validated(cls, data, str(source)[:80])

    def to_yaml(self) -> str:
        """Serialise to YAML text that :meth:`from_yaml` reads back."""
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False)


class Rule(_Config):
    """One policy limit.

    Parameters
    ----------
    limit : float
        The limit, a fraction of NAV (or annualised volatility, or gross leverage multiple).
    hard : bool
        A hard rule is never breached by an emitted decision (trades are resized or rejected);
        a soft rule only produces warnings.
    """

    limit: float = Field(gt=0)
    hard: bool = True


def _rule(limit: float, hard: bool = True) -> Any:
    return Field(default_factory=lambda: Rule(limit=limit, hard=hard))


class Policy(_Config):
    """Portfolio policy enforced on every decision (seed 000 defaults).

    A rule may be given as a number (the limit, keeping the rule's default hardness) or as
    ``{"limit": ..., "hard": ...}``.

    Parameters
    ----------
    max_position_size : Rule
        Largest ``|weight|`` of one instrument after the trade. Default 5%, hard.
    max_sector_exposure : Rule
        Largest gross exposure (sum of ``|weight|``) of one sector. Default 25%, hard.
    max_correlation_exposure : Rule
        Largest gross exposure of a correlated cluster: instrument ``k`` and every instrument
        whose correlation with ``k`` is at least ``correlation_threshold``. Default 60%, soft
        (the seed reports it as a warning).
    max_portfolio_volatility : Rule
        Largest ex-ante annualised portfolio volatility. Default 20%, hard.
    max_leverage : Rule
        Largest gross exposure over NAV. Default 2.0, hard.
    correlation_threshold : float
        Correlation at or above which two instruments count as correlated. Default 0.7.
    allow_short : bool
        Whether a SELL may take a position below zero. Default False (SELL signals reduce or
        close longs).
    cash_floor : float
        Cash after the batch must stay at or above ``cash_floor × NAV``. 0 forbids borrowing;
        negative values allow margin (the leverage limit still applies).

    Notes
    -----
    A portfolio may already breach a limit. Trades that reduce the breached measure are always
    allowed; no trade may increase it: after the batch every hard measure is at most
    ``max(limit, value before)``.
    """

    max_position_size: Rule = _rule(0.05)
    max_sector_exposure: Rule = _rule(0.25)
    max_correlation_exposure: Rule = _rule(0.60, hard=False)
    max_portfolio_volatility: Rule = _rule(0.20)
    max_leverage: Rule = _rule(2.0)
    correlation_threshold: float = Field(default=0.7, gt=0, le=1)
    allow_short: bool = False
    cash_floor: float = Field(default=0.0, ge=-10, le=1)

    @field_validator(
        "max_position_size",
        "max_sector_exposure",
        "max_correlation_exposure",
        "max_portfolio_volatility",
        "max_leverage",
        mode="before",
    )
    @classmethod
    def _number_is_limit(cls, value: Any, info: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            hard = cls.model_fields[info.field_name].default_factory().hard
            return {"limit": float(value), "hard": hard}
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Policy:
        if self.max_position_size.limit > self.max_sector_exposure.limit:
            raise ValueError(
                f"max_position_size {self.max_position_size.limit} exceeds "
                f"max_sector_exposure {self.max_sector_exposure.limit}"
            )
        return self

    def rules(self) -> dict[str, Rule]:
        """The five limits by name, in the seed's order."""
        return {
            "position": self.max_position_size,
            "sector": self.max_sector_exposure,
            "correlation": self.max_correlation_exposure,
            "volatility": self.max_portfolio_volatility,
            "leverage": self.max_leverage,
        }


class SizingConfig(_Config):
    """Position sizing settings (seed 000 ``PortfolioAwarePositionSizer`` and seed 004).

    Parameters
    ----------
    kelly_formula : KellyFormula
        Kelly fraction for signals with a stop price. Default BINARY_BET.
    kelly_multiplier : float
        Fractional Kelly: the Kelly fraction is multiplied by this before the cap. Default 1.
    max_kelly_fraction : float
        Cap on the Kelly fraction (seed: 25%).
    min_position_size : float
        Smallest position-increasing trade (seed: 1% of NAV); see ``min_size_rule``.
    min_size_rule : MinSizeRule
        ROUND_UP (seed) or DROP.
    correlation_penalty : float
        Correlation adjustment factor ``1 - penalty × max(0, ρ)``, where ρ is the correlation
        of the instrument's returns with the current holdings' returns in the trade's
        direction (seed 004 ``adjustment_factor`` 0.5).
    rebalance_blend : float
        Weight of a matching rebalance request's size when blending it with a signal-driven
        size of the same direction (0 = signal only, 1 = rebalance only). Default 0.5.
    default_horizon_days : float
        Horizon, in trading days, of a signal's ``expected_return`` when the signal gives none;
        used by the continuous Kelly fraction ``μ / σ²`` of signals without a stop. Default 21.
    volatility_target : float
        Annualised volatility above which VOLATILITY_ADJUSTED aggregation scales a combined
        signal down by ``volatility_target / σ``. Default 0.20.
    rebalance_edge : float
        Expected edge (fraction) credited to rebalance-driven trades when allocation ranks them
        against signal-driven trades. Default 0.02.
    allocation : AllocationMode
        OPTIMAL (default) or GREEDY.
    fractional_shares : bool
        Allow fractional share quantities. Default False (whole shares, or multiples of the
        signal's lot size).
    var_confidence : float
        Confidence of the VaR figures in the decisions. Default 0.95.
    """

    kelly_formula: KellyFormula = KellyFormula.BINARY_BET
    kelly_multiplier: float = Field(default=1.0, gt=0, le=10)
    max_kelly_fraction: float = Field(default=0.25, gt=0, le=10)
    min_position_size: float = Field(default=0.01, ge=0, lt=1)
    min_size_rule: MinSizeRule = MinSizeRule.ROUND_UP
    correlation_penalty: float = Field(default=0.5, ge=0, le=1)
    rebalance_blend: float = Field(default=0.5, ge=0, le=1)
    default_horizon_days: float = Field(default=21.0, gt=0)
    volatility_target: float = Field(default=0.20, gt=0)
    rebalance_edge: float = Field(default=0.02, ge=0)
    allocation: AllocationMode = AllocationMode.OPTIMAL
    fractional_shares: bool = False
    var_confidence: float = Field(default=0.95, gt=0.5, lt=1)


class RiskLoopConfig(_Config):
    """The risk feedback loop of seed 004.

    After allocation the loop checks each position's standalone risk (``|weight| × σ``,
    annualised) and the portfolio volatility; while either is above tolerance it resizes the
    offending trades, at most ``max_iterations`` times, never below ``min_resize`` of the
    size they came in with; a trade that would have to go lower is dropped with a reason.
    """

    max_iterations: int = Field(default=3, ge=1, le=20)
    min_resize: float = Field(default=0.5, gt=0, le=1)
    max_position_risk: float = Field(default=0.05, gt=0)


def _read_yaml(source: str | Path) -> Any:
    text = str(source)
    path = Path(text) if "\n" not in text and len(text) < 4096 else None
    try:
        if path is not None and path.suffix in {".yaml", ".yml", ".json"}:
            if not path.is_file():
                raise ConfigError(f"{path}: no such file")
            text = path.read_text()
        return yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {exc}") from None


def _describe(name: str, exc: PydanticError) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    return f"{name}.{loc}: {err['msg']}" if loc else f"{name}: {err['msg']}"


def _validated(cls: type[_Config], data: Any, where: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping of {cls.__name__} fields")
    try:
        return cls.model_validate(data)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def load_config(source: str | Path) -> tuple[Policy, SizingConfig, RiskLoopConfig]:
    """Read one YAML file with optional ``policy``, ``sizing`` and ``risk_loop`` sections.

    A file whose top level holds policy fields directly (no sections) is read as a policy.
    """
    data = _read_yaml(source)
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping")
    where = str(source)[:80]
    if not {"policy", "sizing", "risk_loop"} & data.keys():
        return _validated(Policy, data, where), SizingConfig(), RiskLoopConfig()
    unknown = set(data) - {"policy", "sizing", "risk_loop"}
    if unknown:
        raise ConfigError(f"{where}: unknown section(s) {sorted(unknown)}")
    return (
        _validated(Policy, data.get("policy") or {}, where),
        _validated(SizingConfig, data.get("sizing") or {}, where),
        _validated(RiskLoopConfig, data.get("risk_loop") or {}, where),
    )
