"""Configuration of the coordination engine: the policy, sizing and risk-loop settings.

Defaults are the seed's (``000_7eb51db11442dd7b``: 5% position, 25% sector, 60% correlated
exposure, 20% volatility, 2x leverage; 25% Kelly cap; 1% minimum position; ``004``: risk
feedback loop of at most 3 iterations never resizing below half the original). The bundled
``portlab.datasets.example_paths()["policy"]`` spells every one of them out, with its unit.

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
import numbers
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic import ValidationError as PydanticError
from pydantic_core import PydanticCustomError

from portlab.exceptions import ConfigError, InputRepairWarning, warn
from portlab.io import read_text

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


# -- input checks: one readable message per problem -------------------------------------------

_SECTIONS = ("policy", "sizing", "risk_loop")
_ERROR = "portlab_config"
#: while set, a model's __init__ lets pydantic's error through so that the caller can name
#: the file and line of each problem
_RAW = contextvars.ContextVar("portlab_config_raw", default=False)


@dataclass(frozen=True)
class _Num:
    """Range and unit of one numeric setting (the example is the field's default)."""

    lo: float
    hi: float
    unit: str
    what: str = "a fraction"
    lo_open: bool = False
    hi_open: bool = False
    percent: bool = True  # a value above ``hi`` may be a percentage
    integer: bool = False
    example: float | None = None


class _Bad(Exception):
    """One problem with one input value (message only; the caller adds where)."""


def _fail(message: str, field: str | None = None) -> PydanticCustomError:
    # the message goes in the context: braces in it are not template fields
    return PydanticCustomError(_ERROR, "{message}", {"message": message, "field": field})


def _shown(value: Any) -> str:
    """A value as a person reads it in a message (no reprs of numpy numbers)."""
    if value is None:
        return "null"
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, numbers.Real):
        return f"{_float(value):g}"
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return f"'{text}'"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"


def _float(value: numbers.Real) -> float:
    try:
        return float(value)
    except OverflowError:  # an integer beyond float range
        return math.inf if value > 0 else -math.inf


def _number(value: Any, spec: _Num, example: float, hint: str = "") -> float:
    """``value`` as a finite number within ``spec``'s range, or :class:`_Bad`."""
    write = f"write {spec.what} such as {example:g}{hint}"
    if value is None:
        raise _Bad(f"no value (null); {write}, or leave the line out for the default")
    if isinstance(value, bool | np.bool_):
        raise _Bad(f"{_shown(value)} is not a number; {write}")
    if isinstance(value, str):
        text = value.strip()
        try:
            x = float(text)
        except ValueError:
            pct = _percent(text)
            if pct is not None and spec.percent:
                raise _Bad(
                    f"{_shown(value)} is not a number; write {pct / 100:g} for {pct:g}% "
                    f"({spec.what} such as {example:g}{hint})"
                ) from None
            raise _Bad(f"{_shown(value)} is not a number; {write}") from None
    elif isinstance(value, numbers.Real):
        x = _float(value)
    else:
        raise _Bad(f"expected {spec.what} such as {example:g}{hint}, got {_shown(value)}")
    if not math.isfinite(x):
        raise _Bad(f"{x:g} is not a finite number; {write}")
    if spec.integer:
        if x != int(x):
            raise _Bad(f"{x:g} is not a whole number; {write}")
        x = int(x)
    if x > spec.hi or (spec.hi_open and x == spec.hi):
        as_pct = x / 100
        if spec.percent and x > 1 and _within(as_pct, spec):
            if spec.hi <= 1:
                raise _Bad(
                    f"{x:g} looks like a percentage; {spec.unit}: write {as_pct:g} for {x:g}%"
                )
            raise _Bad(
                f"{x:g} is too large: it must be at most {spec.hi:g}; {spec.unit}; "
                f"for {x:g}% write {as_pct:g}"
            )
        bound = "below" if spec.hi_open else "at most"
        raise _Bad(f"{x:g} is too large: it must be {bound} {spec.hi:g}; {spec.unit}")
    if x < spec.lo or (spec.lo_open and x == spec.lo):
        bound = "above" if spec.lo_open else "at least"
        raise _Bad(f"{x:g} is too small: it must be {bound} {spec.lo:g}; {spec.unit}")
    return x


def _within(x: float, spec: _Num) -> bool:
    above = x > spec.lo or (x == spec.lo and not spec.lo_open)
    return above and (x < spec.hi or (x == spec.hi and not spec.hi_open))


def _percent(text: str) -> float | None:
    if not text.endswith("%"):
        return None
    try:
        pct = float(text[:-1].strip())
    except ValueError:
        return None
    return pct if math.isfinite(pct) else None


def _boolean(value: Any) -> bool:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise _Bad(f"{_shown(value)} is not true or false; write true or false")


def _choice(value: Any, kind: type[enum.Enum]) -> enum.Enum:
    if isinstance(value, kind):
        return value
    names = [m.value for m in kind]
    if isinstance(value, str):
        for m in kind:
            if m.value.lower() == value.strip().lower():
                return m
        close = difflib.get_close_matches(value.strip().upper(), names, n=1)
        guess = f" (did you mean {close[0]}?)" if close else ""
        raise _Bad(f"{_shown(value)} is not one of {', '.join(names)}{guess}")
    raise _Bad(f"expected one of {', '.join(names)}, got {_shown(value)}")


def _owner(key: str) -> str | None:
    for cls in (Policy, SizingConfig, RiskLoopConfig):
        if key in cls.model_fields:
            return cls._section
    return None


def _unknown(section: str, fields: list[str], key: str) -> str:
    """Message for a setting ``key`` that ``section`` does not have."""
    owner = _owner(key)
    if owner is not None and owner != section:
        return f"not a {section} setting: {key} is a {owner} setting, put it under {owner}:"
    if key in _SECTIONS:
        return f"{key} is a section: put it at the top level, not inside {section}:"
    close = difflib.get_close_matches(key, [*fields, *_SECTIONS], n=1, cutoff=0.6)
    if close:
        return f"unknown setting; did you mean {close[0]}?"
    return f"unknown setting; the {section} settings are {', '.join(fields)}"


class _Config(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    _section: ClassVar[str] = "config"
    _numbers: ClassVar[dict[str, _Num]] = {}

    def __init__(self, /, **data: Any) -> None:
        # one error type for users: ConfigError, one line per problem naming the field
        try:
            super().__init__(**data)
        except PydanticError as exc:
            if _RAW.get():
                raise
            section = type(self)._section
            problems = [((), (section, *loc), m) for loc, m in _problems(type(self), exc)]
            raise ConfigError(_render(problems, None, {})) from None

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> Any:
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
                f"{cls._section}: expected a mapping of {cls._section} settings, got {_shown(obj)}"
            )
        return cls(**{str(k): v for k, v in obj.items()})

    @classmethod
    def from_yaml(cls, source: str | Path) -> Any:
        """Load from a YAML file or YAML text: a mapping of this model's settings.

        The mapping may also sit under its section name (``policy:``, ``sizing:``,
        ``risk_loop:``), so a whole configuration file can be given; a missing section gives
        the defaults. See the module docstring for how ``source`` is read.

        Raises
        ------
        ConfigError
            No such file, invalid YAML, a duplicate key or an invalid setting; each message
            names the file, the line and the setting.
        DataError
            The file is not UTF-8 or cannot be read.
        """
        doc = _Document.read(source)
        data, prefix = doc.data, ()
        if isinstance(data, dict) and data and {str(k) for k in data} <= set(_SECTIONS):
            data, prefix = data.get(cls._section), (cls._section,)
        obj, problems = _validate(cls, {} if data is None else data, prefix)
        if problems:
            raise ConfigError(_render(problems, doc.where, doc.lines))
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
                return _number(value, spec, example)
            if kind is bool:
                return _boolean(value)
            if isinstance(kind, type) and issubclass(kind, enum.Enum):
                return _choice(value, kind)
        except _Bad as bad:
            raise _fail(str(bad)) from None
        return value


def _rule_input(cls: type[_Config], name: str, value: Any) -> Rule:
    """A Policy rule from a number, a ``{limit, hard}`` mapping or a Rule, checked against the
    field's range (a number or a mapping without ``hard`` keeps the field's default hardness)."""
    spec = cls._numbers[name]
    default = cls.model_fields[name].get_default(call_default_factory=True)
    example = f"{{limit: {default.limit:g}, hard: {_shown(default.hard)}}}"
    if isinstance(value, Rule):
        _number(value.limit, spec, default.limit)
        return value
    if not isinstance(value, Mapping):
        limit = _number(value, spec, default.limit, hint=f", or {example}")
        return Rule(limit=limit, hard=default.hard)
    for key in value:
        if str(key) not in ("limit", "hard"):
            close = difflib.get_close_matches(str(key), ["limit", "hard"], n=1)
            guess = f"did you mean {close[0]}? " if close else ""
            raise _Bad(f"unknown key {key} in the rule; {guess}write {example}")
    if "limit" not in value:
        raise _Bad(f"the rule has no limit; write {example}")
    try:
        limit = _number(value["limit"], spec, default.limit)
    except _Bad as bad:
        raise _Bad(f"limit: {bad}") from None
    try:
        hard = _boolean(value.get("hard", default.hard))
    except _Bad as bad:
        raise _Bad(f"hard: {bad}") from None
    return Rule(limit=limit, hard=hard)


def _problems(cls: type[_Config], exc: PydanticError) -> list[tuple[tuple[str, ...], str]]:
    """``(field path, message)`` per pydantic error, without pydantic's boilerplate."""
    out: list[tuple[tuple[str, ...], str]] = []
    for err in exc.errors(include_url=False):
        loc = tuple(str(p) for p in err["loc"])
        ctx = err.get("ctx") or {}
        if err["type"] == _ERROR:
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
        msg = f"expected a mapping of {section} settings (name: value lines), got {_shown(data)}"
        return None, [(prefix, (section,), msg)]
    token = _RAW.set(True)
    try:
        return cls(**{str(k): v for k, v in data.items()}), []
    except PydanticError as exc:
        return None, [((*prefix, *loc), (section, *loc), m) for loc, m in _problems(cls, exc)]
    finally:
        _RAW.reset(token)


def _render(problems: list, where: str | None, lines: dict) -> str:
    """One line per problem ``(yaml path, shown path, message)``: ``file:line: path: message``."""
    out = []
    for yaml_path, shown, msg in problems:
        line = None
        for n in range(len(yaml_path), 0, -1):
            line = lines.get(yaml_path[:n])
            if line is not None:
                break
        name = ".".join(shown)
        out.append(f"{_at(where, line)}{name}: {msg}" if name else f"{_at(where, line)}{msg}")
    return "\n".join(dict.fromkeys(out))


def _at(where: str | None, line: int | None, column: int | None = None) -> str:
    if where is None:
        if line is None:
            return ""
        return f"line {line}, column {column}: " if column else f"line {line}: "
    if line is None:
        return f"{where}: "
    return f"{where}:{line}:{column}: " if column else f"{where}:{line}: "


# -- the models ---------------------------------------------------------------------------------

_NAV_LIMIT = _Num(0, 1, "limits are fractions of NAV", lo_open=True)


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
    _numbers: ClassVar[dict[str, _Num]] = {
        "limit": _Num(
            0, math.inf, "a limit is a fraction of NAV, a volatility or a leverage multiple",
            what="a number", lo_open=True, percent=False, example=0.05,
        ),
    }  # fmt: skip

    limit: float
    hard: bool = True


def _rule(limit: float, hard: bool = True) -> Any:
    return Field(default_factory=lambda: Rule(limit=limit, hard=hard))


class Policy(_Config):
    """Portfolio policy enforced on every decision (seed 000 defaults).

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
        in (0, 1]. Default 0.60, soft (the seed reports it as a warning).
    max_portfolio_volatility : Rule
        Largest ex-ante annualised portfolio volatility; a fraction in (0, 1]. Default 0.20
        (20% a year), hard.
    max_leverage : Rule
        Largest gross exposure over NAV; a multiple in (0, 10]. Default 2.0 (2x), hard. Above
        10x is refused (a value such as 200 is read as "200%": write 2).
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
    """

    _section: ClassVar[str] = "policy"
    _numbers: ClassVar[dict[str, _Num]] = {
        "max_position_size": _NAV_LIMIT,
        "max_sector_exposure": _NAV_LIMIT,
        "max_correlation_exposure": _NAV_LIMIT,
        "max_portfolio_volatility": _Num(0, 1, "volatilities are annualised fractions", lo_open=True),
        "max_leverage": _Num(
            0, 10, "leverage is gross exposure over NAV, a multiple (2 = 2x)",
            what="a multiple", lo_open=True,
        ),
        "correlation_threshold": _Num(0, 1, "correlations are at most 1", what="a correlation", lo_open=True),
        "cash_floor": _Num(-10, 1, "the cash floor is a fraction of NAV (negative allows borrowing)"),
    }  # fmt: skip

    max_position_size: Rule = _rule(0.05)
    max_sector_exposure: Rule = _rule(0.25)
    max_correlation_exposure: Rule = _rule(0.60, hard=False)
    max_portfolio_volatility: Rule = _rule(0.20)
    max_leverage: Rule = _rule(2.0)
    correlation_threshold: float = 0.7
    allow_short: bool = False
    cash_floor: float = 0.0

    @model_validator(mode="after")
    def _consistent(self) -> Policy:
        pos, sector = self.max_position_size.limit, self.max_sector_exposure.limit
        if pos > sector:
            raise _fail(
                f"{pos:g} is above max_sector_exposure {sector:g}: one position cannot exceed "
                "its sector's limit; lower max_position_size or raise max_sector_exposure",
                field="max_position_size",
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


_UNIT_WEIGHT = _Num(0, 1, "it is a weight between 0 and 1", what="a number")


class SizingConfig(_Config):
    """Position sizing settings (seed 000 ``PortfolioAwarePositionSizer`` and seed 004).

    Parameters
    ----------
    kelly_formula : KellyFormula
        Kelly fraction for signals with a stop price. Default BINARY_BET.
    kelly_multiplier : float
        Fractional Kelly: the Kelly fraction is multiplied by this before the cap; a multiple
        in (0, 2] (0.5 = half Kelly). Default 1. Above 2 the expected log growth of Kelly
        betting is negative, so larger values are refused.
    max_kelly_fraction : float
        Cap on the Kelly fraction; a fraction of NAV in (0, 1] (seed: 0.25).
    min_position_size : float
        Smallest position-increasing trade; a fraction of NAV in [0, 1) (seed: 0.01); see
        ``min_size_rule``.
    min_size_rule : MinSizeRule
        ROUND_UP (seed) or DROP.
    correlation_penalty : float
        Correlation adjustment factor ``1 - penalty × max(0, ρ)``, where ρ is the correlation
        of the instrument's returns with the current holdings' returns in the trade's
        direction; in [0, 1] (seed 004 ``adjustment_factor`` 0.5).
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
    _numbers: ClassVar[dict[str, _Num]] = {
        "kelly_multiplier": _Num(
            0, 2, "it multiplies the Kelly fraction (1 = full Kelly, 0.5 = half Kelly); "
            "beyond 2 the expected log growth is negative", what="a multiple", lo_open=True,
        ),
        "max_kelly_fraction": _Num(0, 1, "the Kelly cap is a fraction of NAV", lo_open=True),
        "min_position_size": _Num(0, 1, "sizes are fractions of NAV", hi_open=True),
        "correlation_penalty": _UNIT_WEIGHT,
        "rebalance_blend": _UNIT_WEIGHT,
        "default_horizon_days": _Num(
            0, 2520, "the horizon is in trading days (21 is about a month, 252 a year)",
            what="a number of days", lo_open=True, percent=False,
        ),
        "volatility_target": _Num(0, 1, "volatilities are annualised fractions", lo_open=True),
        "rebalance_edge": _Num(0, 1, "the edge is an expected return, a fraction"),
        "var_confidence": _Num(
            0.5, 1, "confidence is a probability", what="a probability", lo_open=True, hi_open=True
        ),
    }  # fmt: skip

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
    """The risk feedback loop of seed 004.

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
    _numbers: ClassVar[dict[str, _Num]] = {
        "max_iterations": _Num(
            1, 20, "it counts resize passes", what="a whole number", percent=False, integer=True
        ),
        "min_resize": _Num(0, 1, "it is a fraction of the trade's size", lo_open=True),
        "max_position_risk": _Num(
            0, 1, "position risk (|weight| x annualised volatility) is a fraction of NAV",
            lo_open=True,
        ),
    }  # fmt: skip

    max_iterations: int = 3
    min_resize: float = 0.5
    max_position_risk: float = 0.05


# -- YAML ----------------------------------------------------------------------------------------

_PATH_SUFFIXES = (".yaml", ".yml", ".json")
_MERGE_TAG = "tag:yaml.org,2002:merge"


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, key: Any, line: int, first: int, node: yaml.Node) -> None:
        super().__init__(f"duplicate key {key}")
        self.key, self.line, self.first, self.node = key, line, first, node


class _Loader(yaml.SafeLoader):
    """PyYAML's SafeLoader refusing a key given twice in one mapping (merge keys aside)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        if isinstance(node, yaml.MappingNode):
            first: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == _MERGE_TAG:
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    seen = key in first
                except TypeError:  # unhashable: the base constructor reports it
                    continue
                line = key_node.start_mark.line + 1
                if seen:
                    raise _DuplicateKey(key, line, first[key], node)
                first[key] = line
        return super().construct_mapping(node, deep=deep)


def _looks_like_path(text: str) -> bool:
    if text.strip().lower().endswith(_PATH_SUFFIXES):
        return True
    return ("/" in text or "\\" in text or os.sep in text) and ": " not in text


@dataclass(frozen=True)
class _Document:
    """A parsed YAML source: its data, its file name (None for text), line of each key path."""

    data: Any
    where: str | None
    lines: dict[tuple[str, ...], int]

    @classmethod
    def read(cls, source: Any) -> _Document:
        if isinstance(source, os.PathLike):
            name = os.fsdecode(os.fspath(source))
            if not os.path.lexists(name):
                raise ConfigError(f"{name}: no such file")
            return cls.parse(read_text(name), name)
        if isinstance(source, str):
            single = "\n" not in source and len(source) < 4096
            if single and source and os.path.exists(source):  # a folder: DataError
                return cls.parse(read_text(source), source)
            if single and source and _looks_like_path(source):
                raise ConfigError(f"{source}: no such file")
            doc = cls.parse(source, None)
            if single and isinstance(doc.data, str):  # neither a file nor settings
                raise ConfigError(
                    f"{source.strip()}: no such file, and not YAML settings "
                    "(such as 'max_position_size: 0.05')"
                )
            return doc
        raise ConfigError(
            f"expected a YAML file path or YAML text, got {_shown(source)}"
            if source is not None
            else "expected a YAML file path or YAML text, got None"
        )

    @classmethod
    def parse(cls, text: str, where: str | None) -> _Document:
        loader = _Loader(text)
        paths: dict[int, tuple[str, ...]] = {}
        lines: dict[tuple[str, ...], int] = {}
        try:
            node = loader.get_single_node()
            if node is None:
                return cls(None, where, lines)
            _index(node, paths, lines)
            data = loader.construct_document(node)
        except _DuplicateKey as dup:
            path = ".".join((*paths.get(id(dup.node), ()), str(dup.key)))
            raise ConfigError(
                f"{_at(where, dup.line)}{path}: duplicate key (first given on line {dup.first}); "
                "keep one of them"
            ) from None
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            problem = exc.problem or "cannot be parsed"
            if exc.context:
                problem = f"{problem} ({exc.context})"
            if "'\\t'" in problem:
                problem += "; indent with spaces, not tabs"
            at = _at(where, mark.line + 1, mark.column + 1) if mark else _at(where, None)
            raise ConfigError(f"{at}not valid YAML: {problem}") from None
        except yaml.YAMLError as exc:
            raise ConfigError(
                f"{_at(where, None)}not valid YAML: {' '.join(str(exc).split())}"
            ) from None
        except RecursionError:
            raise ConfigError(
                f"{_at(where, None)}nested too deeply to be a configuration"
            ) from None
        finally:
            loader.dispose()
        return cls(data, where, lines)


def _index(root: yaml.Node, paths: dict, lines: dict) -> None:
    """The key path of every mapping node and the line of every key (iterative: no recursion
    limit, and aliases are visited once)."""
    stack: list[tuple[yaml.Node, tuple[str, ...]]] = [(root, ())]
    seen: set[int] = set()
    while stack:
        node, path = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        paths[id(node)] = path
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                sub = (*path, key.value if isinstance(key, yaml.ScalarNode) else "?")
                lines.setdefault(sub, key.start_mark.line + 1)
                stack.append((value, sub))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((value, (*path, str(i))) for i, value in enumerate(node.value))


def load_config(source: str | Path) -> tuple[Policy, SizingConfig, RiskLoopConfig]:
    """Read one YAML file (or YAML text) with optional ``policy``, ``sizing`` and
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
    """
    doc = _Document.read(source)
    data = doc.data
    if data is None:
        if doc.where is not None:
            warn(f"{doc.where}: no settings in the file; the defaults apply", InputRepairWarning)
        return Policy(), SizingConfig(), RiskLoopConfig()
    if not isinstance(data, dict):
        raise ConfigError(
            f"{_at(doc.where, 1)}expected a mapping with policy, sizing and risk_loop "
            f"sections, got {_shown(data)}"
        )
    models: list[Any] = []
    problems: list[tuple[tuple[str, ...], tuple[str, ...], str]] = []
    if not set(_SECTIONS) & {str(k) for k in data}:
        obj, problems = _validate(Policy, data, ())
        models = [obj, SizingConfig(), RiskLoopConfig()]
    else:
        for key in data:
            if str(key) not in _SECTIONS:
                problems.append(((str(key),), (str(key),), _top_level(str(key))))
        for cls in (Policy, SizingConfig, RiskLoopConfig):
            body = data.get(cls._section)
            obj, found = _validate(cls, {} if body is None else body, (cls._section,))
            models.append(obj)
            problems += found
    if problems:
        raise ConfigError(_render(problems, doc.where, doc.lines))
    return models[0], models[1], models[2]


def _top_level(key: str) -> str:
    owner = _owner(key)
    if owner is not None:
        return f"a {owner} setting at the top level: put it under {owner}:"
    close = difflib.get_close_matches(key, _SECTIONS, n=1, cutoff=0.6)
    guess = f"did you mean {close[0]}? " if close else ""
    return f"unknown section; {guess}the sections are {', '.join(_SECTIONS)}"
