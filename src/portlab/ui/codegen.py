"""Python code that reproduces a view-model's result: what ``to_code()`` returns.

The code is a plain script: imports, the inputs (loaded from the bundled sample, or named
variables the caller defines), then the ``portlab.Coordinator`` / ``portlab.analytics`` calls
with the model's current settings written as literals. Floats are written with ``repr``, which
round-trips exactly, so running the script gives the model's numbers to the last bit.

Settings equal to portlab's defaults are left out, so the script shows what was changed.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from portlab.engine import (
    AdaptiveConfig,
    Coordinator,
    ExecutionRulesConfig,
    Policy,
    Resolution,
    RiskLoopConfig,
    SizingConfig,
)
from portlab.ui.inputs import SAMPLE_CODE

__all__ = ["coordinator_code", "inputs_code", "literal", "script"]


def literal(value: Any, indent: int = 0, prefix: int = 0) -> str:
    """``value`` as a Python literal (enums by value, Timestamps as ``pd.Timestamp(...)``).

    Parameters
    ----------
    value : Any
        Numbers, strings, booleans, None, enums, Timestamps, and lists, tuples and dicts of
        them.
    indent : int
        Indentation of the line the literal is on: a dict or list too long for one line is
        written one item per line, indented four more, its closing bracket at ``indent``.
    prefix : int
        Characters before the literal on its first line, after the indentation
        (``policy=`` is 7).

    Examples
    --------
    >>> from portlab.engine import Resolution
    >>> literal({"limit": 0.05, "hard": True, "resolution": Resolution.NET})
    "{'limit': 0.05, 'hard': True, 'resolution': 'NET'}"
    >>> literal(pd.Timestamp("2022-01-03"))
    "pd.Timestamp('2022-01-03 00:00:00')"
    >>> print(literal({"a_long_setting_name": [0.1] * 8, "another_one": "x" * 30}))
    {
        'a_long_setting_name': [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1],
        'another_one': 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
    }
    """
    value = _plain(value)
    text = _repr(value)
    if indent + prefix + len(text) <= _WIDTH or not isinstance(value, dict | list) or not value:
        return text
    pad = " " * (indent + 4)
    if isinstance(value, dict):
        items = [
            f"{pad}{_repr(k)}: {literal(v, indent + 4, len(_repr(k)) + 2)},"
            for k, v in value.items()
        ]
        opening, closing = "{", "}"
    else:
        items = [f"{pad}{literal(v, indent + 4)}," for v in value]
        opening, closing = "[", "]"
    return "\n".join([opening, *items, " " * indent + closing])


def _repr(value: Any) -> str:
    """One-line Python source of a plain value (see :func:`literal`)."""
    if isinstance(value, pd.Timestamp):
        return f"pd.Timestamp({str(value)!r})"
    if isinstance(value, float) and math.isnan(value):
        return "float('nan')"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_repr(k)}: {_repr(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_repr(v) for v in value) + "]"
    if isinstance(value, tuple):
        inner = ", ".join(_repr(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value)


_WIDTH = 96  # line length of the generated code


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_plain(v) for v in value)
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return value.item()
    return value


def _changed(model: Any, default: Any) -> dict[str, Any]:
    """The settings of a pydantic config model that differ from the defaults (JSON form)."""
    now, base = model.model_dump(mode="json"), default.model_dump(mode="json")
    return {k: v for k, v in now.items() if base.get(k) != v}


def coordinator_code(coordinator: Coordinator, name: str = "coordinator") -> list[str]:
    """Lines that build ``coordinator`` (only its settings that differ from the defaults).

    Examples
    --------
    >>> print("\\n".join(coordinator_code(Coordinator(policy={"max_position_size": 0.04}))))
    coordinator = portlab.Coordinator(
        policy={'max_position_size': {'limit': 0.04, 'hard': True}},
    )
    """
    args: list[str] = []
    for key, model, default in (
        ("policy", coordinator.policy, Policy()),
        ("sizing", coordinator.sizing, SizingConfig()),
    ):
        changed = _changed(model, default)
        if changed:
            args.append(f"{key}={literal(changed, 4, len(key) + 1)}")
    if coordinator.resolution is not Resolution.HIGHEST_PRIORITY:
        args.append(f"resolution=portlab.Resolution.{coordinator.resolution.name}")
    loop = _changed(coordinator.risk_loop, RiskLoopConfig())
    if loop:
        args.append(f"risk_loop={literal(loop, 4, 10)}")
    execution = _changed(coordinator.execution, ExecutionRulesConfig())
    if execution:
        args.append(f"execution={literal(execution, 4, 10)}")
    if coordinator.portfolio is not None:
        mapped = coordinator.portfolio.model_dump(mode="json", exclude_defaults=True)
        args.append(f"portfolio={literal(mapped, 4, 10)}")
    adaptive = coordinator.adaptive
    if isinstance(adaptive, AdaptiveConfig):
        args.append(f"adaptive={literal(_changed(adaptive, AdaptiveConfig()), 4, 9)}")
    elif adaptive is not None:  # a state (learned): as data, without its change log
        described = {**adaptive.to_dict(), "changes": []}
        args.append(f"adaptive=portlab.engine.AdaptiveState.from_dict({literal(described, 4, 42)})")
    if coordinator.strategies and not (coordinator.portfolio and coordinator.portfolio.allocations):
        items = []
        for strategy in coordinator.strategies.values():
            fields = strategy.model_dump(mode="json", exclude_defaults=True)
            kwargs = ", ".join(f"{k}={literal(v)}" for k, v in fields.items())
            items.append(f"        portlab.Strategy({kwargs}),")
        args.append("\n".join(["strategies=[", *items, "    ]"]))
    if not args:
        return [f"{name} = portlab.Coordinator()"]
    return [f"{name} = portlab.Coordinator(", *(f"    {a}," for a in args), ")"]


def inputs_code(
    uses: Iterable[str],
    from_sample: Iterable[str],
    model: str,
    empty: Iterable[str] = (),
) -> tuple[list[str], list[str]]:
    """The import lines and the lines that define the inputs a model uses.

    Parameters
    ----------
    uses : iterable of str
        The inputs the code needs (names of :data:`~portlab.ui.inputs.INPUT_NAMES`).
    from_sample : iterable of str
        Those taken from the bundled sample: they are loaded.
    model : str
        The model's class name, for the comment.
    empty : iterable of str
        Those that are None: they are set to None. The others are expected as variables of
        the same name (a comment says so).

    Returns
    -------
    (list of str, list of str)
        Imports (of :mod:`portlab.datasets`), then definitions.

    Examples
    --------
    >>> imports, lines = inputs_code(
    ...     ["market", "state", "rebalance_requests"], ["market"], "PolicyModel",
    ...     empty=["rebalance_requests"])
    >>> print("\\n".join(imports + lines))
    from portlab.datasets import load_sample
    # state: the object given to PolicyModel(...); define it before running this code
    market = load_sample()
    rebalance_requests = None
    """
    uses = list(uses)
    sample = [n for n in uses if n in set(from_sample)]
    empty = [n for n in uses if n in set(empty) and n not in sample]
    loaders = []
    lines: list[str] = []
    if "market" in sample:
        loaders.append("load_sample")
        lines.append(f"market = {SAMPLE_CODE['market']}")
    if any(n != "market" for n in sample):
        loaders.insert(0, "example_batch")
        lines.append("batch = example_batch()")
    lines += [f"{n} = {SAMPLE_CODE[n]}" for n in sample if n != "market"]
    lines += [f"{n} = None" for n in empty]
    given = [n for n in uses if n not in sample and n not in empty]
    if given:
        what = "objects" if len(given) > 1 else "object"
        them = "them" if len(given) > 1 else "it"
        lines.insert(
            0,
            f"# {', '.join(given)}: the {what} given to {model}(...); define {them} before "
            "running this code",
        )
    imports = [f"from portlab.datasets import {', '.join(loaders)}"] if loaders else []
    return imports, lines


def script(imports: Iterable[str], inputs: Iterable[str], body: Iterable[str]) -> str:
    """Join the parts of a script with a blank line between them."""
    parts = ["\n".join(p) for p in (list(imports), list(inputs), list(body)) if p]
    return "\n\n".join(parts) + "\n"
