"""Scenarios: a kind and a flat mapping of parameters (axis name -> value), with an id that is
a digest of their content and of the shared inputs they read."""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from portlab.exceptions import ConfigError, PortlabError, warn
from portlab.sweep._handlers import handler, metrics
from portlab.sweep._kinds import SweepKind
from portlab.sweep._settings import unknown_axis

if TYPE_CHECKING:
    from portlab.sweep._inputs import SweepInputs

__all__ = ["HEAD", "Scenario", "expand", "scenario_id"]

#: the first columns of a sweep's results, before the parameters and the metrics
HEAD = ("scenario", "kind", "status", "error", "seconds")
#: hex digits of a scenario id
ID_LENGTH = 12


@dataclass(frozen=True, eq=False)
class Scenario:
    """One scenario of a sweep.

    Attributes
    ----------
    kind : SweepKind
    parameters : mapping of str to a scalar
        Axis name -> value, in canonical form (as the engine holds it).
    id : str
        :func:`scenario_id`: 12 hex digits of a SHA-256 of the kind, the parameters and the
        digests of the shared inputs the scenario reads. Equal content, equal id.
    """

    kind: SweepKind
    parameters: Mapping[str, Any]
    id: str

    def __post_init__(self) -> None:
        if not isinstance(self.parameters, MappingProxyType):  # read-only, as the id covers it
            object.__setattr__(self, "parameters", MappingProxyType(dict(self.parameters)))
        object.__setattr__(self, "kind", SweepKind(self.kind))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Scenario) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.parameters.items())
        return f"Scenario({self.id}, {self.kind.value}: {shown})"

    def __reduce__(self) -> tuple:  # a MappingProxyType does not pickle
        return (Scenario, (self.kind, dict(self.parameters), self.id))


def scenario_id(kind: SweepKind, parameters: Mapping[str, Any], inputs: Mapping[str, str]) -> str:
    """12 hex digits of the SHA-256 of the canonical JSON of ``kind``, ``parameters`` and the
    input digests ``inputs``.

    Examples
    --------
    >>> a = scenario_id(SweepKind.COORDINATION, {"resolution": "HIGHEST_PRIORITY"}, {"book": "x"})
    >>> a == scenario_id("coordination", {"resolution": "HIGHEST_PRIORITY"}, {"book": "x"})
    True
    >>> a == scenario_id("coordination", {"resolution": "HIGHEST_PRIORITY"}, {"book": "y"})
    False
    """
    text = json.dumps(
        {"kind": SweepKind(kind).value, "parameters": dict(parameters), "inputs": dict(inputs)},
        sort_keys=True,
        separators=(",", ":"),
        allow_nan=False,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:ID_LENGTH]


def _scalar(axis: str, value: Any) -> Any:
    """``value`` when it is one scalar (text, number, boolean or null); else ConfigError."""
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"{axis} = {value!r}: not a finite number")
        return value
    if hasattr(value, "item") and not isinstance(value, Sequence | Mapping):  # numpy scalars
        return _scalar(axis, value.item())
    raise ConfigError(
        f"{axis} = {value!r}: an axis value is one text, number or boolean, not a "
        f"{type(value).__name__}"
    )


def _axes(grid: Mapping[str, Any]) -> dict[str, list[Any]]:
    axes: dict[str, list[Any]] = {}
    for axis, values in grid.items():
        if not isinstance(axis, str) or not axis.strip():
            raise ConfigError(f"grid: an axis name must be text, got {axis!r}")
        listed = (
            list(values)
            if isinstance(values, Sequence) and not isinstance(values, str)
            else [values]
        )
        if not listed:
            raise ConfigError(f"{axis}: an axis needs at least one value")
        axes[axis] = [_scalar(axis, v) for v in listed]
    return axes


def _reserved() -> set[str]:
    names = set(HEAD)
    for k in SweepKind:
        names |= set(metrics(k))
    return names


def _bad_value(
    sets: list[dict[str, Any]], errors: dict[int, PortlabError]
) -> tuple[str, Any, PortlabError] | None:
    """An axis value every scenario holding it fails with: the one its error names (as
    ``axis:``, then quoted, then at all), else the first."""
    found = []
    values: dict[tuple[str, str], list[int]] = {}
    for i, params in enumerate(sets):
        for axis, value in params.items():
            key = (axis, json.dumps(value))
            values.setdefault(key, []).append(i)
    for (axis, _), where in values.items():
        if all(i in errors for i in where):
            message = str(errors[where[0]])
            rank = next(
                (r for r, hit in enumerate((f"{axis}:", f"'{axis}'", axis)) if hit in message), 3
            )
            found.append((rank, len(found), axis, sets[where[0]][axis], errors[where[0]]))
    if not found:
        return None
    _, _, axis, value, error = min(found, key=lambda f: (f[0], f[1]))
    return axis, value, error


def expand(
    kind: SweepKind | str,
    inputs: SweepInputs,
    *,
    grid: Mapping[str, Any] | None = None,
    scenarios: Iterable[Mapping[str, Any]] = (),
) -> list[Scenario]:
    """The scenarios of a grid (every combination of its axes' values) and of a list.

    Parameters
    ----------
    kind : SweepKind or str
    inputs : SweepInputs
        The shared inputs (the ids cover the parts each scenario reads).
    grid : mapping of axis name to a list of values, optional
        Every combination, the last axis changing fastest (as :func:`itertools.product`).
    scenarios : iterable of mappings, optional
        More scenarios, each a mapping axis name -> value, after the grid's.

    Returns
    -------
    list of Scenario
        In order: the grid's, then the listed ones.

    Raises
    ------
    ConfigError
        No scenario; an unknown axis (the closest is named); a value that is not one scalar;
        a value that no scenario holding it could run (``policy.max_position_size = 5: 5
        looks like a percentage ...``); two scenarios with the same id. A value that fails
        only in some combinations (``max_position_size`` above ``max_sector_exposure``) is
        kept: those scenarios fail when run, each a row with its error (a warning says how
        many).

    Examples
    --------
    >>> from portlab.sweep import load_inputs
    >>> inputs = load_inputs()
    >>> found = expand("coordination", inputs, grid={"policy.max_position_size": [0.03, 0.05],
    ...                                              "sizing.allocation": ["optimal", "greedy"]})
    >>> len(found), dict(found[1].parameters)
    (4, {'policy.max_position_size': 0.03, 'sizing.allocation': 'GREEDY'})
    >>> expand("coordination", inputs, grid={"policy.max_position_sise": [0.03]})
    Traceback (most recent call last):
    ...
    portlab.exceptions.ConfigError: policy.max_position_sise: unknown axis; did you mean policy.max_position_size?
    """
    try:
        kind = SweepKind(kind)
    except ValueError:
        raise ConfigError(
            f"kind: {kind!r} is not one of {', '.join(k.value for k in SweepKind)}"
        ) from None
    axes = _axes(grid or {})
    sets = (
        [dict(zip(axes, combo, strict=True)) for combo in itertools.product(*axes.values())]
        if axes
        else []
    )
    for k, given in enumerate(scenarios):
        if not isinstance(given, Mapping):
            raise ConfigError(f"scenarios[{k}]: expected a mapping of axis -> value, got {given!r}")
        sets.append({str(a): _scalar(str(a), v) for a, v in given.items()})
    if not sets:
        raise ConfigError("no scenarios: give a grid of axes or a list of scenarios")
    reserved = _reserved()
    for params in sets:
        for axis in params:
            if axis in reserved:
                raise ConfigError(f"{axis}: the name of a results column; it cannot be an axis")
    run = handler(kind)
    known = run.axes()
    if known is not None:
        for axis in dict.fromkeys(a for params in sets for a in params):
            if axis not in known:
                raise unknown_axis(axis, known)
    canonical: list[dict[str, Any] | None] = []
    errors: dict[int, PortlabError] = {}
    for i, params in enumerate(sets):
        try:
            canonical.append(run.check(params, inputs))
        except PortlabError as exc:
            errors[i] = exc
            canonical.append(None)
    if errors:
        bad = _bad_value(sets, errors)
        if bad is not None:
            axis, value, error = bad
            text = " ".join(str(error).split())
            text = text.removeprefix(f"{axis}: ")
            raise ConfigError(f"{axis} = {value!r}: {text}")
        first = next(iter(errors.values()))
        warn(
            f"{len(errors)} of {len(sets)} scenarios combine values the engine refuses and will "
            f"fail (first: {' '.join(str(first).split())})"
        )
    out: list[Scenario] = []
    seen: dict[str, int] = {}
    for i, (params, canon) in enumerate(zip(sets, canonical, strict=True)):
        values = canon if canon is not None else params
        try:
            digests = run.digest(values, inputs)
        except PortlabError:
            digests = {}
        sid = scenario_id(kind, values, digests)
        if sid in seen:
            raise ConfigError(
                f"scenarios {seen[sid] + 1} and {i + 1} are the same ({values}); list each once"
            )
        seen[sid] = i
        out.append(Scenario(kind, MappingProxyType(values), sid))
    return out
