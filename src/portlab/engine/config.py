"""Configuration of the coordination engine: the policy, sizing, risk-loop and execution
settings.

Defaults are the default policy (specification §2): 5% position, 25% sector, 60% correlated
exposure (soft), 20% volatility, 2x leverage; 25% Kelly cap; 1% minimum position; and the risk
feedback loop (specification §6) of at most 3 iterations never resizing below half the
original. The bundled ``portlab.datasets.example_paths()["policy"]`` spells every one of them
out, with its unit. The configuration choices (:class:`Resolution`, :class:`AllocationMode`,
:class:`KellyFormula`, :class:`MinSizeRule`) are defined in :mod:`portlab.engine.enums`.

Units
    Sizes, limits and exposures are **fractions of portfolio value (NAV), not percent**:
    ``0.05`` is 5%. Volatilities are annualised fractions (``0.20`` = 20% a year). Leverage is
    a multiple (``2.0`` = gross exposure twice NAV). Each field's docstring gives its unit and
    range. A number above 1 where a fraction is expected is refused as a likely percentage
    (``max_position_size: 5`` → "5 looks like a percentage; limits are fractions of NAV: write
    0.05 for 5%"). Every number must be finite (``.inf`` and ``.nan`` are refused), and
    ``null``, ``true``/``false`` and text are not numbers (text that spells a number, such
    as ``"5e-2"``, which YAML 1.1 leaves a string, is read as that number). Booleans
    (``hard``, ``allow_short``, ``fractional_shares``) must be ``true`` or ``false`` (not 1
    or 0). Enum settings accept their names in any letter case.

Reading YAML (:func:`load_config`, ``Policy.from_yaml`` ...)
    A ``Path``, or a string naming an existing file, is read as a file whatever its suffix
    (through :func:`portlab.io.read_text`: UTF-8, gzip transparent; a file that is not UTF-8
    is a :class:`~portlab.exceptions.DataError` naming it). A string that looks like a path
    (ends in ``.yaml``/``.yml``/``.json``, or holds a path separator and neither a newline
    nor ``": "``) but names no file is a ConfigError ``"policy.yaml: no such file"``. Any
    other string is YAML text. A key given twice in one mapping is an error naming the key
    and both lines (YAML would silently keep the last).

Errors
    Every problem is a :class:`~portlab.exceptions.ConfigError`, one line per problem:
    ``"<file>:<line>: policy.max_position_size: <what is wrong and what to write>"`` (without
    the file part for mappings and keyword arguments). Unknown settings name the closest
    valid one.
"""

from __future__ import annotations

import contextvars
import difflib
import enum
import math
from collections.abc import Mapping
from pathlib import Path
from statistics import NormalDist
from typing import Any, ClassVar, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic import ValidationError as PydanticError

from portlab.engine._config_values import (
    ERROR_TYPE,
    Bad,
    Num,
    at,
    boolean,
    choice,
    fail,
    number,
    render,
    shown,
)
from portlab.engine._config_yaml import Document
from portlab.engine.enums import (
    AllocationMode,
    ImpactAction,
    KellyFormula,
    MinSizeRule,
    OrderType,
    Resolution,
    SizingMethod,
    TimeInForce,
)
from portlab.exceptions import ConfigError, InputRepairWarning, warn

__all__ = [
    "TRADING_DAYS",
    "AllocationMode",
    "ExecutionRulesConfig",
    "ImpactAction",
    "KellyFormula",
    "MinSizeRule",
    "OrderType",
    "Policy",
    "Resolution",
    "RiskLoopConfig",
    "Rule",
    "SizingConfig",
    "SizingMethod",
    "TimeInForce",
    "load_config",
    "load_settings",
]


# -- input checks: one readable message per problem -------------------------------------------

_SECTIONS = ("policy", "sizing", "risk_loop")
#: the section of the execution rules: read by ``Coordinator.from_yaml`` and
#: ``ExecutionRulesConfig.from_yaml``, not by :func:`load_config` (its three sections above)
_EXECUTION = "execution"
#: while set, a model's __init__ lets pydantic's error through so that the caller can name
#: the file and line of each problem
_RAW = contextvars.ContextVar("portlab_config_raw", default=False)


def _owner(key: str) -> str | None:
    for cls in (Policy, SizingConfig, RiskLoopConfig):
        if key in cls.model_fields:
            return cls._section
    return None


def _a(section: str) -> str:
    """``section`` with its indefinite article: "a policy", "an execution"."""
    return f"{'an' if section[0] in 'aeiou' else 'a'} {section}"


def _unknown(section: str, fields: list[str], key: str) -> str:
    """Message for a setting ``key`` that ``section`` does not have."""
    owner = _owner(key)
    if owner is not None and owner != section:
        return f"not {_a(section)} setting: {key} is {_a(owner)} setting, put it under {owner}:"
    if key in (*_SECTIONS, _EXECUTION):
        return f"{key} is a section: put it at the top level, not inside {section}:"
    close = difflib.get_close_matches(key, [*fields, *_SECTIONS], n=1, cutoff=0.6)
    if close:
        return f"unknown setting; did you mean {close[0]}?"
    return f"unknown setting; the {section} settings are {', '.join(fields)}"


class _Config(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True, defer_build=True)

    _section: ClassVar[str] = "config"
    _numbers: ClassVar[dict[str, Num]] = {}

    def __init__(self, /, **data: object) -> None:
        # one error type for users: ConfigError, one line per problem naming the field
        try:
            super().__init__(**data)
        except PydanticError as exc:
            if _RAW.get():
                raise
            section = type(self)._section
            problems = [((), (section, *loc), m) for loc, m in _problems(type(self), exc)]
            raise ConfigError(render(problems, None, {})) from None

    @classmethod
    def model_validate(cls, obj: object, **kwargs: object) -> Self:
        """Build from a mapping of settings (or return ``obj`` when it already is one).

        Raises
        ------
        ConfigError
            ``obj`` is not a mapping, or a setting is invalid (one line per problem).
        """
        if isinstance(obj, cls):
            return obj
        if not isinstance(obj, Mapping):
            raise ConfigError(
                f"{cls._section}: expected a mapping of {cls._section} settings, got {shown(obj)}"
            )
        return cls(**{str(k): v for k, v in obj.items()})

    @classmethod
    def from_yaml(cls, source: str | Path) -> Self:
        """Load from a YAML file or YAML text: a mapping of this model's settings.

        The mapping may also sit under its section name (``policy:``, ``sizing:``,
        ``risk_loop:``, ``execution:``), so a whole configuration file can be given; a
        missing section gives the defaults. See the module docstring for how ``source`` is read.

        Raises
        ------
        ConfigError
            No such file, invalid YAML, a duplicate key or an invalid setting; each message
            names the file, the line and the setting.
        DataError
            The file is not UTF-8 or cannot be read.
        """
        doc = Document.read(source)
        data, prefix = doc.data, ()
        if isinstance(data, dict) and data and {str(k) for k in data} <= {*_SECTIONS, _EXECUTION}:
            data, prefix = data.get(cls._section), (cls._section,)
        obj, problems = _validate(cls, {} if data is None else data, prefix)
        if problems:
            raise ConfigError(render(problems, doc.where, doc.lines))
        return obj

    def to_yaml(self) -> str:
        """Serialise to YAML text that :meth:`from_yaml` reads back."""
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False)

    @field_validator("*", mode="before")
    @classmethod
    def _check_input(cls, value: Any, info: Any) -> Any:
        name = info.field_name
        field = cls.model_fields[name]
        kind = field.annotation
        try:
            if kind is Rule:
                return _rule_input(cls, name, value)
            if name in cls._numbers:
                spec = cls._numbers[name]
                example = spec.example if spec.example is not None else field.default
                return number(value, spec, example)
            if kind is bool:
                return boolean(value)
            if isinstance(kind, type) and issubclass(kind, enum.Enum):
                return choice(value, kind)
        except Bad as bad:
            raise fail(str(bad)) from None
        return value


def _rule_input(cls: type[_Config], name: str, value: Any) -> Rule:
    """A Policy rule from a number, a ``{limit, hard}`` mapping or a Rule, checked against the
    field's range (a number or a mapping without ``hard`` keeps the field's default hardness)."""
    spec = cls._numbers[name]
    default = cls.model_fields[name].get_default(call_default_factory=True)
    example = f"{{limit: {default.limit:g}, hard: {shown(default.hard)}}}"
    if isinstance(value, Rule):
        number(value.limit, spec, default.limit)
        return value
    if not isinstance(value, Mapping):
        limit = number(value, spec, default.limit, hint=f", or {example}")
        return Rule(limit=limit, hard=default.hard)
    for key in value:
        if str(key) not in ("limit", "hard"):
            close = difflib.get_close_matches(str(key), ["limit", "hard"], n=1)
            guess = f"did you mean {close[0]}? " if close else ""
            raise Bad(f"unknown key {key} in the rule; {guess}write {example}")
    if "limit" not in value:
        raise Bad(f"the rule has no limit; write {example}")
    try:
        limit = number(value["limit"], spec, default.limit)
    except Bad as bad:
        raise Bad(f"limit: {bad}") from None
    try:
        hard = boolean(value.get("hard", default.hard))
    except Bad as bad:
        raise Bad(f"hard: {bad}") from None
    return Rule(limit=limit, hard=hard)


def _problems(cls: type[_Config], exc: PydanticError) -> list[tuple[tuple[str, ...], str]]:
    """``(field path, message)`` per pydantic error, without pydantic's boilerplate."""
    out: list[tuple[tuple[str, ...], str]] = []
    for err in exc.errors(include_url=False):
        loc = tuple(str(p) for p in err["loc"])
        ctx = err.get("ctx") or {}
        if err["type"] == ERROR_TYPE:
            msg = str(ctx["message"])
            if not loc and ctx.get("field"):
                loc = (str(ctx["field"]),)
        elif err["type"] == "extra_forbidden" and loc:
            msg = _unknown(cls._section, list(cls.model_fields), loc[-1])
        else:
            msg = err["msg"].removeprefix("Value error, ")
        if (loc, msg) not in out:
            out.append((loc, msg))
    return out


def _validate(cls: type[_Config], data: Any, prefix: tuple[str, ...]) -> tuple[Any, list]:
    """``(model, [])`` or ``(None, problems)``: problems as ``(yaml path, shown path, msg)``."""
    section = cls._section
    if not isinstance(data, dict):
        msg = f"expected a mapping of {section} settings (name: value lines), got {shown(data)}"
        return None, [(prefix, (section,), msg)]
    token = _RAW.set(True)
    try:
        return cls(**{str(k): v for k, v in data.items()}), []
    except PydanticError as exc:
        return None, [((*prefix, *loc), (section, *loc), m) for loc, m in _problems(cls, exc)]
    finally:
        _RAW.reset(token)


# -- the models ---------------------------------------------------------------------------------

_NAV_LIMIT = Num(0, 1, "limits are fractions of NAV", lo_open=True)


class Rule(_Config):
    """One policy limit.

    Parameters
    ----------
    limit : float
        The limit: a fraction of NAV, an annualised volatility (fraction) or a gross leverage
        multiple, depending on the rule; positive and finite. :class:`Policy` checks each
        rule's range.
    hard : bool
        A hard rule is never breached by an emitted decision (trades are resized or rejected);
        a soft rule only produces warnings.
    """

    _section: ClassVar[str] = "rule"
    _numbers: ClassVar[dict[str, Num]] = {
        "limit": Num(
            0, math.inf, "a limit is a fraction of NAV, a volatility or a leverage multiple",
            what="a number", lo_open=True, percent=False, example=0.05,
        ),
    }  # fmt: skip

    limit: float
    hard: bool = True


def _rule(limit: float, hard: bool = True) -> Any:
    return Field(default_factory=lambda: Rule(limit=limit, hard=hard))


class Policy(_Config):
    """Portfolio policy enforced on every decision (defaults: the default policy, specification §2).

    A rule may be given as a number (the limit, keeping the rule's default hardness) or as
    ``{"limit": ..., "hard": ...}`` (without ``hard``: the rule's default hardness too, so
    ``max_correlation_exposure: {limit: 0.5}`` stays soft).

    Parameters
    ----------
    max_position_size : Rule
        Largest ``|weight|`` of one instrument after the trade; a fraction of NAV in (0, 1].
        Default 0.05 (5%), hard.
    max_sector_exposure : Rule
        Largest gross exposure (sum of ``|weight|``) of one sector; a fraction of NAV in
        (0, 1]. Default 0.25, hard. To report a sector breach without enforcing it, make the
        rule soft (``hard: false``).
    max_correlation_exposure : Rule
        Largest gross exposure of a correlated cluster: instrument ``k`` and every instrument
        whose correlation with ``k`` is at least ``correlation_threshold``; a fraction of NAV
        in (0, 1]. Default 0.60, soft (the default policy reports it as a warning).
    max_portfolio_volatility : Rule
        Largest ex-ante annualised portfolio volatility; a fraction in (0, 1]. Default 0.20
        (20% a year), hard.
    max_leverage : Rule
        Largest gross exposure over NAV; a multiple in (0, 10]. Default 2.0 (2x), hard. Above
        10x is refused (a value such as 200 is read as "200%": write 2).
    var_limit : Rule
        Largest 1-day portfolio value at risk at ``var_limit_confidence``, a fraction of NAV in
        (0, 1]: the parametric (normal) VaR of the ex-ante volatility,
        ``z × σ_p / √252``, so a hard VaR limit is the volatility limit
        ``var_limit × √252 / z`` (:meth:`var_volatility`) and is enforced wherever the
        volatility limit is. Default 0.02 (2% of NAV), soft (reported in the compliance
        block; make it hard to enforce it).
    var_limit_confidence : float
        Confidence of the VaR limit, a probability in (0.5, 1). Default 0.95.
    max_position_risk : Rule
        Largest standalone risk of one position after the trade, ``|weight| × σ`` (σ the
        instrument's annualised volatility), a fraction of NAV in (0, 1]; a hard rule caps
        each instrument's position at ``max_position_risk / σ``. Default 0.05 (the implementation plan's
        ``RiskManagementConfig``), soft (reported in the compliance block; make it hard to
        enforce it). The risk feedback loop's ``max_position_risk``
        (:class:`RiskLoopConfig`) is a different setting: the tolerance above which the loop
        resizes trades, whatever this rule's hardness.
    correlation_threshold : float
        Correlation in (0, 1] at or above which two instruments count as correlated.
        Default 0.7.
    allow_short : bool
        Whether a SELL may take a position below zero. Default False (SELL signals reduce or
        close longs).
    cash_floor : float
        Cash after the batch must stay at or above ``cash_floor × NAV``; a fraction of NAV in
        [-10, 1]. 0 (default) forbids borrowing; negative values allow margin (the leverage
        limit still applies).

    Raises
    ------
    ConfigError
        A limit above 1 where a fraction is expected ("5 looks like a percentage; limits are
        fractions of NAV: write 0.05 for 5%"), outside its range, not finite, null, a boolean
        or text; an unknown setting (the closest valid name is suggested); a position limit
        above the sector limit. One line per problem.

    Notes
    -----
    A portfolio may already breach a limit. Trades that reduce the breached measure are always
    allowed; no trade may increase it: after the batch every hard measure is at most
    ``max(limit, value before)``.

    Examples
    --------
    >>> policy = Policy(max_position_size=0.04, max_correlation_exposure={"limit": 0.5})
    >>> policy.max_position_size
    Rule(limit=0.04, hard=True)
    >>> policy.max_correlation_exposure.hard  # a mapping without hard keeps the default (soft)
    False
    >>> Policy(max_position_size=5)
    Traceback (most recent call last):
    ...
    portlab.exceptions.ConfigError: policy.max_position_size: 5 looks like a percentage; limits are fractions of NAV: write 0.05 for 5%
    """

    _section: ClassVar[str] = "policy"
    _numbers: ClassVar[dict[str, Num]] = {
        "max_position_size": _NAV_LIMIT,
        "max_sector_exposure": _NAV_LIMIT,
        "max_correlation_exposure": _NAV_LIMIT,
        "max_portfolio_volatility": Num(0, 1, "volatilities are annualised fractions", lo_open=True),
        "max_leverage": Num(
            0, 10, "leverage is gross exposure over NAV, a multiple (2 = 2x)",
            what="a multiple", lo_open=True,
        ),
        "correlation_threshold": Num(0, 1, "correlations are at most 1", what="a correlation", lo_open=True),
        "var_limit": Num(0, 1, "VaR is a fraction of NAV", lo_open=True),
        "var_limit_confidence": Num(
            0.5, 1, "confidence is a probability", what="a probability", lo_open=True, hi_open=True
        ),
        "max_position_risk": Num(
            0, 1, "position risk (|weight| x annualised volatility) is a fraction of NAV",
            lo_open=True,
        ),
        "cash_floor": Num(-10, 1, "the cash floor is a fraction of NAV (negative allows borrowing)"),
    }  # fmt: skip

    max_position_size: Rule = _rule(0.05)
    max_sector_exposure: Rule = _rule(0.25)
    max_correlation_exposure: Rule = _rule(0.60, hard=False)
    max_portfolio_volatility: Rule = _rule(0.20)
    max_leverage: Rule = _rule(2.0)
    var_limit: Rule = _rule(0.02, hard=False)
    var_limit_confidence: float = 0.95
    max_position_risk: Rule = _rule(0.05, hard=False)
    correlation_threshold: float = 0.7
    allow_short: bool = False
    cash_floor: float = 0.0

    @model_validator(mode="after")
    def _consistent(self) -> Policy:
        pos, sector = self.max_position_size.limit, self.max_sector_exposure.limit
        if pos > sector:
            raise fail(
                f"{pos:g} is above max_sector_exposure {sector:g}: one position cannot exceed "
                "its sector's limit; lower max_position_size or raise max_sector_exposure",
                field="max_position_size",
            )
        return self

    def rules(self) -> dict[str, Rule]:
        """The limits by name: the default policy's five, in its order (specification §2),
        then the VaR limit and the position risk limit."""
        return {
            "position": self.max_position_size,
            "sector": self.max_sector_exposure,
            "correlation": self.max_correlation_exposure,
            "volatility": self.max_portfolio_volatility,
            "leverage": self.max_leverage,
            "var": self.var_limit,
            "position_risk": self.max_position_risk,
        }

    def var_of(self, volatility: Any) -> Any:
        """The 1-day parametric (normal) VaR at ``var_limit_confidence`` of an annualised portfolio
        ``volatility`` (a float or an array): ``z × σ / √252``, a fraction of NAV; what
        ``var_limit`` bounds.

        >>> round(Policy().var_of(0.20), 5)
        0.02072
        """
        return (
            NormalDist().inv_cdf(self.var_limit_confidence) / math.sqrt(TRADING_DAYS) * volatility
        )

    def var_volatility(self) -> float:
        """The annualised portfolio volatility whose VaR (:meth:`var_of`) is ``var_limit``:
        ``var_limit × √252 / z``.

        >>> round(Policy(var_limit=0.02).var_volatility(), 4)
        0.193
        """
        return self.var_limit.limit / self.var_of(1.0)

    def volatility_cap(self) -> tuple[str, Rule]:
        """The portfolio-variance limit the engine enforces: the tighter of the hard
        volatility limit and the hard VaR limit, as an annualised volatility, with the name of
        the rule it comes from (``"volatility"`` or ``"var"``). Neither hard: the (soft)
        volatility rule.

        >>> name, rule = Policy(var_limit={"limit": 0.015, "hard": True}).volatility_cap()
        >>> name, round(rule.limit, 4), rule.hard
        ('var', 0.1448, True)
        """
        hard = [
            (name, limit)
            for name, limit, rule in (
                ("volatility", self.max_portfolio_volatility.limit, self.max_portfolio_volatility),
                ("var", self.var_volatility(), self.var_limit),
            )
            if rule.hard
        ]
        if not hard:
            return "volatility", self.max_portfolio_volatility
        name, limit = min(hard, key=lambda item: item[1])
        return name, Rule(limit=limit, hard=True)


_UNIT_WEIGHT = Num(0, 1, "it is a weight between 0 and 1", what="a number")
#: trading days in a year: annualised volatilities scale to a horizon of h days by √(h / 252)
TRADING_DAYS = 252.0


class SizingConfig(_Config):
    """Position sizing settings (specification §3; defaults: the default policy, §2).

    Parameters
    ----------
    method : SizingMethod
        How a signal's target exposure is set: KELLY (default), FIXED_FRACTIONAL,
        EQUAL_WEIGHT, VOLATILITY_TARGET or RISK_PARITY (see :class:`SizingMethod`). The
        Kelly fraction is computed under every method: a signal without an edge in its
        direction is rejected (NO_EDGE) whatever the method.
    fixed_fraction : float
        FIXED_FRACTIONAL's exposure per signal at confidence 1, a fraction of NAV in (0, 1];
        scaled by the signal's confidence. Default 0.02.
    risk_target : float
        VOLATILITY_TARGET's annualised volatility of each position, a fraction of NAV in
        (0, 1]: the exposure is ``risk_target / σ`` (σ the instrument's annualised
        volatility). Default 0.01.
    kelly_formula : KellyFormula
        Kelly fraction for signals with a stop price. Default BINARY_BET.
    kelly_multiplier : float
        Fractional Kelly: the Kelly fraction is multiplied by this before the cap; a multiple
        in (0, 2] (0.5 = half Kelly). Default 1. Above 2 the expected log growth of Kelly
        betting is negative, so larger values are refused.
    max_kelly_fraction : float
        Cap on the Kelly fraction; a fraction of NAV in (0, 1]. Default 0.25.
    min_position_size : float
        Smallest position-increasing trade; a fraction of NAV in [0, 1). Default 0.01; see
        ``min_size_rule``.
    min_size_rule : MinSizeRule
        ROUND_UP (default) or DROP.
    correlation_penalty : float
        Correlation adjustment factor ``1 - penalty × max(0, ρ)``, where ρ is the correlation
        of the instrument's returns with the current holdings' returns in the trade's
        direction; in [0, 1]. Default 0.5.
    rebalance_blend : float
        Weight in [0, 1] of a matching rebalance request's size when blending it with a
        signal-driven size of the same direction (0 = signal only, 1 = rebalance only).
        Default 0.5.
    default_horizon_days : float
        Horizon, in trading days (0, 2520], of a signal's ``expected_return`` when the signal
        gives none; used by the continuous Kelly fraction ``μ / σ²`` of signals without a
        stop. Default 21 (about a month).
    volatility_target : float
        Annualised volatility, a fraction in (0, 1], above which VOLATILITY_ADJUSTED
        aggregation scales a combined signal down by ``volatility_target / σ``. Default 0.20.
    rebalance_edge : float
        Expected edge (a return, fraction in [0, 1]) credited to rebalance-driven trades when
        allocation ranks them against signal-driven trades. Default 0.02.
    allocation : AllocationMode
        OPTIMAL (default) or GREEDY.
    fractional_shares : bool
        Allow fractional share quantities. Default False (whole shares, or multiples of the
        signal's lot size).
    var_confidence : float
        Confidence of the VaR figures in the decisions, a probability in (0.5, 1).
        Default 0.95.

    Raises
    ------
    ConfigError
        As :class:`Policy`: a setting out of range (a likely percentage is named as such),
        not finite, null, a boolean or text where a number is required; an unknown setting.
    """

    _section: ClassVar[str] = "sizing"
    _numbers: ClassVar[dict[str, Num]] = {
        "kelly_multiplier": Num(
            0, 2, "it multiplies the Kelly fraction (1 = full Kelly, 0.5 = half Kelly); "
            "beyond 2 the expected log growth is negative", what="a multiple", lo_open=True,
        ),
        "max_kelly_fraction": Num(0, 1, "the Kelly cap is a fraction of NAV", lo_open=True),
        "fixed_fraction": Num(0, 1, "the exposure per signal is a fraction of NAV", lo_open=True),
        "risk_target": Num(
            0, 1, "the position's volatility is an annualised fraction of NAV", lo_open=True
        ),
        "min_position_size": Num(0, 1, "sizes are fractions of NAV", hi_open=True),
        "correlation_penalty": _UNIT_WEIGHT,
        "rebalance_blend": _UNIT_WEIGHT,
        "default_horizon_days": Num(
            0, 2520, "the horizon is in trading days (21 is about a month, 252 a year)",
            what="a number of days", lo_open=True, percent=False,
        ),
        "volatility_target": Num(0, 1, "volatilities are annualised fractions", lo_open=True),
        "rebalance_edge": Num(0, 1, "the edge is an expected return, a fraction"),
        "var_confidence": Num(
            0.5, 1, "confidence is a probability", what="a probability", lo_open=True, hi_open=True
        ),
    }  # fmt: skip

    method: SizingMethod = SizingMethod.KELLY
    fixed_fraction: float = 0.02
    risk_target: float = 0.01
    kelly_formula: KellyFormula = KellyFormula.BINARY_BET
    kelly_multiplier: float = 1.0
    max_kelly_fraction: float = 0.25
    min_position_size: float = 0.01
    min_size_rule: MinSizeRule = MinSizeRule.ROUND_UP
    correlation_penalty: float = 0.5
    rebalance_blend: float = 0.5
    default_horizon_days: float = 21.0
    volatility_target: float = 0.20
    rebalance_edge: float = 0.02
    allocation: AllocationMode = AllocationMode.OPTIMAL
    fractional_shares: bool = False
    var_confidence: float = 0.95


class RiskLoopConfig(_Config):
    """The risk feedback loop (specification §6).

    After allocation the loop checks each position's standalone risk (``|weight| × σ``,
    annualised) and the portfolio volatility; while either is above tolerance it resizes the
    offending trades, at most ``max_iterations`` times, never below ``min_resize`` of the
    size they came in with; a trade that would have to go lower is dropped with a reason.

    Parameters
    ----------
    max_iterations : int
        Resize passes, a whole number in [1, 20]. Default 3.
    min_resize : float
        Smallest size a trade may be resized to, a fraction of its size in (0, 1]. Default 0.5.
    max_position_risk : float
        Largest standalone position risk ``|weight| × σ`` (σ annualised), a fraction of NAV
        in (0, 1]. Default 0.05.
    """

    _section: ClassVar[str] = "risk_loop"
    _numbers: ClassVar[dict[str, Num]] = {
        "max_iterations": Num(
            1, 20, "it counts resize passes", what="a whole number", percent=False, integer=True
        ),
        "min_resize": Num(0, 1, "it is a fraction of the trade's size", lo_open=True),
        "max_position_risk": Num(
            0, 1, "position risk (|weight| x annualised volatility) is a fraction of NAV",
            lo_open=True,
        ),
    }  # fmt: skip

    max_iterations: int = 3
    min_resize: float = 0.5
    max_position_risk: float = 0.05


#: the impact limit's range (it has no default: off unless given)
_IMPACT_LIMIT = Num(
    0, 1, "the impact is a fraction of the price (0.005 = 50 bp)", lo_open=True, example=0.005
)


class ExecutionRulesConfig(_Config):
    """Execution rules: order type, time in force, limit price and the market impact limit
    (the implementation plan's ``ExecutionRulesConfig``; specification §7).

    The defaults leave the engine's execution strategy as it is (order type by urgency, no
    impact limit); the plan's own example (LIMIT orders, a 0.5% impact limit) is
    ``ExecutionRulesConfig(default_order_type="LIMIT", market_impact_limit=0.005)``.

    Parameters
    ----------
    default_order_type : OrderType
        AUTO (default): by urgency, MARKET for CRITICAL and LIMIT otherwise; MARKET or LIMIT:
        every decision's order type.
    time_in_force : TimeInForce
        DAY (default), GTC or IOC, for every order (each child order of a split trade).
    price_threshold : float
        Distance of a LIMIT order's limit price from the last price, a fraction of the price
        in [0, 0.5]: a BUY's limit is ``price × (1 + price_threshold)``, a SELL's
        ``price × (1 - price_threshold)`` (the worst price the order accepts). Default 0.01.
        MARKET orders have no limit price (NaN).
    market_impact_limit : float or None
        Largest estimated market impact of one order, a fraction of the price in (0, 1]
        (0.005 = 50 bp); None (default) applies no limit. The estimate is the square-root
        model of :func:`portlab.engine.execution.market_impact`,
        ``impact_coefficient × σ_daily × sqrt(shares / ADV)``; it needs the market's volumes
        (a trade without an estimate is left as it is, with the warning
        ``market_impact_not_estimated``).
    impact_action : ImpactAction
        What a trade above the limit gets: SPLIT (default) into child orders, one a trading
        day, each under the limit; or SHRINK to the size whose impact equals the limit.
    impact_coefficient : float
        ``k`` of the square-root model, a multiple in (0, 10]. Default 1 (empirical
        estimates are of order one; see :mod:`portlab.engine.execution`).

    Raises
    ------
    ConfigError
        As :class:`Policy`: a setting out of range (a likely percentage is named as such), not
        finite, a boolean or text where a number is required; an unknown choice or setting.
        ``market_impact_limit: null`` is allowed (no limit).

    Examples
    --------
    >>> rules = ExecutionRulesConfig(default_order_type="limit", market_impact_limit=0.005)
    >>> rules.default_order_type, rules.time_in_force, rules.impact_action
    (<OrderType.LIMIT: 'LIMIT'>, <TimeInForce.DAY: 'DAY'>, <ImpactAction.SPLIT: 'SPLIT'>)
    >>> ExecutionRulesConfig(market_impact_limit=5)
    Traceback (most recent call last):
    ...
    portlab.exceptions.ConfigError: execution.market_impact_limit: 5 looks like a percentage; the impact is a fraction of the price (0.005 = 50 bp): write 0.05 for 5%
    """

    _section: ClassVar[str] = "execution"
    _numbers: ClassVar[dict[str, Num]] = {
        "price_threshold": Num(
            0, 0.5, "the limit price's distance from the last price is a fraction of the price"
        ),
        "impact_coefficient": Num(
            0, 10, "it multiplies the square-root impact (1 is the usual calibration)",
            what="a multiple", lo_open=True, percent=False,
        ),
    }  # fmt: skip

    default_order_type: OrderType = OrderType.AUTO
    time_in_force: TimeInForce = TimeInForce.DAY
    price_threshold: float = 0.01
    market_impact_limit: float | None = None
    impact_action: ImpactAction = ImpactAction.SPLIT
    impact_coefficient: float = 1.0

    @field_validator("market_impact_limit", mode="before")
    @classmethod
    def _check_impact_limit(cls, value: Any) -> float | None:
        if value is None:  # no limit
            return None
        try:
            return number(value, _IMPACT_LIMIT, 0.005, hint=", or null for no limit")
        except Bad as bad:
            raise fail(str(bad)) from None


# -- one file of all three sections -------------------------------------------------------------


def load_config(source: str | Path) -> tuple[Policy, SizingConfig, RiskLoopConfig]:
    r"""Read one YAML file (or YAML text) with optional ``policy``, ``sizing`` and
    ``risk_loop`` sections.

    A file whose top level holds policy settings directly (no sections) is read as a policy.
    A missing or empty section gives that part's defaults; an empty file gives all defaults
    with an :class:`~portlab.exceptions.InputRepairWarning`. How ``source`` is read (file or
    text) is described in the module docstring.

    Returns
    -------
    tuple of Policy, SizingConfig, RiskLoopConfig

    Raises
    ------
    ConfigError
        No such file, invalid YAML, a duplicate key, an unknown section or setting, or an
        invalid value: all problems of the file, one line each
        (``"policy.yaml:3: policy.max_position_size: 5 looks like a percentage; ..."``).
    DataError
        The file is not UTF-8 or cannot be read (the message names it).

    Examples
    --------
    >>> text = "policy:\n  max_position_size: 0.04\nsizing:\n  kelly_multiplier: 0.5\n"
    >>> policy, sizing, loop = load_config(text)
    >>> policy.max_position_size.limit, sizing.kelly_multiplier, loop.max_iterations
    (0.04, 0.5, 3)
    """
    policy, sizing, loop = read_sections(source, (Policy, SizingConfig, RiskLoopConfig))
    return policy, sizing, loop


def load_settings(source: str | Path) -> dict[str, Any]:
    r"""Read a coordinator's settings file: the sections of :func:`load_config` and
    ``execution`` (:class:`ExecutionRulesConfig`), as keyword arguments of
    :class:`~portlab.Coordinator` (what ``Coordinator.from_yaml`` and the command line,
    the console's policy upload, sweeps and reports read).

    Returns
    -------
    dict
        ``policy``, ``sizing``, ``risk_loop``, ``execution``: the models (defaults for a
        missing section).

    Raises
    ------
    ConfigError, DataError
        As :func:`load_config`.

    Examples
    --------
    >>> text = "policy:\n  max_position_size: 0.04\nexecution:\n  time_in_force: GTC\n"
    >>> settings = load_settings(text)
    >>> settings["policy"].max_position_size.limit, settings["execution"].time_in_force.value
    (0.04, 'GTC')
    """
    models = (Policy, SizingConfig, RiskLoopConfig, ExecutionRulesConfig)
    found = read_sections(source, models)
    return {cls._section: obj for cls, obj in zip(models, found, strict=True)}


def read_sections(source: str | Path, models: tuple[type[_Config], ...]) -> list[Any]:
    """The sections of ``models`` (policy first) read from one YAML file or text, as
    :func:`load_config` reads its three (which this is; ``Coordinator.from_yaml`` reads the
    ``execution`` section too): one model per section, defaults for a missing one; a file
    without any section is a policy."""
    sections = tuple(cls._section for cls in models)
    doc = Document.read(source)
    data = doc.data
    if data is None:
        if doc.where is not None:
            warn(f"{doc.where}: no settings in the file; the defaults apply", InputRepairWarning)
        return [cls() for cls in models]
    if not isinstance(data, dict):
        raise ConfigError(
            f"{at(doc.where, 1)}expected a mapping with {', '.join(sections[:-1])} and "
            f"{sections[-1]} sections, got {shown(data)}"
        )
    found: list[Any] = []
    problems: list[tuple[tuple[str, ...], tuple[str, ...], str]] = []
    if not set(sections) & {str(k) for k in data}:
        obj, problems = _validate(models[0], data, ())
        found = [obj, *(cls() for cls in models[1:])]
    else:
        for key in data:
            if str(key) not in sections:
                problems.append(((str(key),), (str(key),), _top_level(str(key), sections)))
        for cls in models:
            body = data.get(cls._section)
            obj, more = _validate(cls, {} if body is None else body, (cls._section,))
            found.append(obj)
            problems += more
    if problems:
        raise ConfigError(render(problems, doc.where, doc.lines))
    return found


def _top_level(key: str, sections: tuple[str, ...] = _SECTIONS) -> str:
    owner = _owner(key)
    if owner is not None and owner in sections:
        return f"{_a(owner)} setting at the top level: put it under {owner}:"
    close = difflib.get_close_matches(key, sections, n=1, cutoff=0.6)
    guess = f"did you mean {close[0]}? " if close else ""
    return f"unknown section; {guess}the sections are {', '.join(sections)}"
