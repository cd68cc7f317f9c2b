"""Checks of single configuration values and the wording of configuration errors (private).

The rules (units, ranges, a likely percentage named as such, finite numbers only, booleans
and enum names) are described in :mod:`portlab.engine.config`, whose models apply them; this
module knows nothing of the models. Messages show values as people read them
(:func:`shown`), never reprs of numpy numbers.
"""

from __future__ import annotations

import difflib
import enum
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from pydantic_core import PydanticCustomError

__all__ = [
    "ERROR_TYPE",
    "Bad",
    "Num",
    "at",
    "boolean",
    "choice",
    "fail",
    "number",
    "render",
    "shown",
]

E = TypeVar("E", bound=enum.Enum)

#: pydantic error type of a message written by this module (read back by the models)
ERROR_TYPE = "portlab_config"


@dataclass(frozen=True)
class Num:
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


class Bad(Exception):
    """One problem with one input value (message only; the caller adds where)."""


def fail(message: str, field: str | None = None) -> PydanticCustomError:
    """The pydantic error carrying ``message`` (and the field it is about, if not the current)."""
    # the message goes in the context: braces in it are not template fields
    return PydanticCustomError(ERROR_TYPE, "{message}", {"message": message, "field": field})


def shown(value: object) -> str:
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


def number(value: object, spec: Num, example: float, hint: str = "") -> float:
    """``value`` as a finite number within ``spec``'s range, or :class:`Bad`."""
    write = f"write {spec.what} such as {example:g}{hint}"
    if value is None:
        raise Bad(f"no value (null); {write}, or leave the line out for the default")
    if isinstance(value, bool | np.bool_):
        raise Bad(f"{shown(value)} is not a number; {write}")
    if isinstance(value, str):
        text = value.strip()
        try:
            x = float(text)
        except ValueError:
            pct = _percent(text)
            if pct is not None and spec.percent:
                raise Bad(
                    f"{shown(value)} is not a number; write {pct / 100:g} for {pct:g}% "
                    f"({spec.what} such as {example:g}{hint})"
                ) from None
            raise Bad(f"{shown(value)} is not a number; {write}") from None
    elif isinstance(value, numbers.Real):
        x = _float(value)
    else:
        raise Bad(f"expected {spec.what} such as {example:g}{hint}, got {shown(value)}")
    if not math.isfinite(x):
        raise Bad(f"{x:g} is not a finite number; {write}")
    if spec.integer:
        if x != int(x):
            raise Bad(f"{x:g} is not a whole number; {write}")
        x = int(x)
    if x > spec.hi or (spec.hi_open and x == spec.hi):
        as_pct = x / 100
        if spec.percent and x > 1 and _within(as_pct, spec):
            if spec.hi <= 1:
                raise Bad(
                    f"{x:g} looks like a percentage; {spec.unit}: write {as_pct:g} for {x:g}%"
                )
            raise Bad(
                f"{x:g} is too large: it must be at most {spec.hi:g}; {spec.unit}; "
                f"for {x:g}% write {as_pct:g}"
            )
        bound = "below" if spec.hi_open else "at most"
        raise Bad(f"{x:g} is too large: it must be {bound} {spec.hi:g}; {spec.unit}")
    if x < spec.lo or (spec.lo_open and x == spec.lo):
        bound = "above" if spec.lo_open else "at least"
        raise Bad(f"{x:g} is too small: it must be {bound} {spec.lo:g}; {spec.unit}")
    return x


def _within(x: float, spec: Num) -> bool:
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


def boolean(value: object) -> bool:
    """``value`` as a bool: a bool, or the text true/false in any letter case; else :class:`Bad`."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise Bad(f"{shown(value)} is not true or false; write true or false")


def choice(value: object, kind: type[E]) -> E:
    """The member of ``kind`` that ``value`` is or names (any letter case); else :class:`Bad`."""
    if isinstance(value, kind):
        return value
    names = [m.value for m in kind]
    if isinstance(value, str):
        for m in kind:
            if m.value.lower() == value.strip().lower():
                return m
        close = difflib.get_close_matches(value.strip().upper(), names, n=1)
        guess = f" (did you mean {close[0]}?)" if close else ""
        raise Bad(f"{shown(value)} is not one of {', '.join(names)}{guess}")
    raise Bad(f"expected one of {', '.join(names)}, got {shown(value)}")


# -- where a problem is, in messages -------------------------------------------------------------


def render(problems: list, where: str | None, lines: dict) -> str:
    """One line per problem ``(yaml path, shown path, message)``: ``file:line: path: message``.

    ``lines`` maps a YAML key path to its line (the line of the longest known prefix of a
    problem's path is used); ``where`` is the file name, or None for text and keyword arguments.
    """
    out = []
    for yaml_path, label, msg in problems:
        line = None
        for n in range(len(yaml_path), 0, -1):
            line = lines.get(yaml_path[:n])
            if line is not None:
                break
        name = ".".join(label)
        out.append(f"{at(where, line)}{name}: {msg}" if name else f"{at(where, line)}{msg}")
    return "\n".join(dict.fromkeys(out))


def at(where: str | None, line: int | None, column: int | None = None) -> str:
    """The prefix naming where a problem is: ``"file:line: "``, ``"line 3, column 5: "``, ``""``."""
    if where is None:
        if line is None:
            return ""
        return f"line {line}, column {column}: " if column else f"line {line}: "
    if line is None:
        return f"{where}: "
    return f"{where}:{line}:{column}: " if column else f"{where}:{line}: "
