"""A coordinator's settings as plain data, and a coordinator with some of them changed: what
the engine axes of a sweep (``policy.max_position_size``, ``sizing.allocation``,
``resolution`` ...) do."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from portlab.exceptions import ConfigError

if TYPE_CHECKING:
    from portlab.engine import Coordinator

__all__ = ["ENGINE_SECTIONS", "RESOLUTION", "configure", "engine_axes", "settings"]

#: the sections of a coordinator's configuration an axis may name (``section.field``)
ENGINE_SECTIONS = ("policy", "sizing", "risk_loop", "execution")
#: the axis of the conflict resolution method
RESOLUTION = "resolution"


def settings(coordinator: Coordinator) -> dict[str, Any]:
    """Every setting of ``coordinator`` as JSON-ready data: ``policy``, ``sizing``,
    ``risk_loop``, ``execution`` (their fields), ``resolution`` and the registered
    ``strategies``.

    Examples
    --------
    >>> from portlab import Coordinator
    >>> s = settings(Coordinator(sizing={"allocation": "GREEDY"}))
    >>> s["sizing"]["allocation"], s["policy"]["max_position_size"], s["resolution"]
    ('GREEDY', {'limit': 0.05, 'hard': True}, 'HIGHEST_PRIORITY')
    """
    return {
        "policy": coordinator.policy.model_dump(mode="json"),
        "sizing": coordinator.sizing.model_dump(mode="json"),
        "risk_loop": coordinator.risk_loop.model_dump(mode="json"),
        "execution": coordinator.execution.model_dump(mode="json"),
        "resolution": coordinator.resolution.value,
        "strategies": {
            name: repr(strategy) for name, strategy in sorted(coordinator.strategies.items())
        },
    }


def engine_axes() -> list[str]:
    """Every engine axis name: ``resolution``, ``policy.<field>`` (a rule's limit),
    ``policy.<rule>.hard``, ``sizing.<field>``, ``risk_loop.<field>`` and
    ``execution.<field>``.

    Examples
    --------
    >>> axes = engine_axes()
    >>> "policy.max_position_size" in axes, "sizing.allocation" in axes, axes[0]
    (True, True, 'resolution')
    """
    from portlab.engine import ExecutionRulesConfig, Policy, RiskLoopConfig, Rule, SizingConfig

    names = [RESOLUTION]
    models = (Policy, SizingConfig, RiskLoopConfig, ExecutionRulesConfig)
    for section, cls in zip(ENGINE_SECTIONS, models, strict=True):
        for field, info in cls.model_fields.items():
            names.append(f"{section}.{field}")
            if info.annotation is Rule:
                names.append(f"{section}.{field}.hard")
    return names


def is_engine_axis(axis: str) -> bool:
    """Whether ``axis`` names an engine setting (its section or ``resolution``)."""
    return axis == RESOLUTION or axis.partition(".")[0] in ENGINE_SECTIONS


def unknown_axis(axis: str, known: list[str]) -> ConfigError:
    """The error of an axis name that is none of ``known``, with the closest one."""
    close = difflib.get_close_matches(axis, known, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]}?" if close else "the axes are " + ", ".join(known)
    return ConfigError(f"{axis}: unknown axis; {hint}")


def configure(base: Coordinator, changes: Mapping[str, Any]) -> tuple[Coordinator, dict[str, Any]]:
    """``base`` with the engine settings ``changes`` names changed.

    Parameters
    ----------
    base : Coordinator
        The configuration the changes apply to (its other settings are kept).
    changes : mapping of axis name to value
        ``policy.<rule>`` sets the rule's limit (its hardness kept), ``policy.<rule>.hard``
        its hardness; ``policy.<field>``, ``sizing.<field>``, ``risk_loop.<field>`` and
        ``execution.<field>`` set that field; ``resolution`` the conflict resolution method.

    Returns
    -------
    (Coordinator, dict)
        The coordinator, and each changed axis's value as the coordinator holds it (canonical:
        ``"greedy"`` becomes ``"GREEDY"``, ``1`` a float where the field is a float).

    Raises
    ------
    ConfigError
        An unknown axis (the closest is named), or a value the engine refuses (its message
        names the setting: ``policy.max_position_size: 5 looks like a percentage ...``).

    Examples
    --------
    >>> from portlab import Coordinator
    >>> c, values = configure(Coordinator(), {"policy.max_position_size": 0.03,
    ...                                       "sizing.allocation": "greedy"})
    >>> c.policy.max_position_size, values
    (Rule(limit=0.03, hard=True), {'policy.max_position_size': 0.03, 'sizing.allocation': 'GREEDY'})
    """

    data = settings(base)
    resolution: Any = data["resolution"]
    known = engine_axes()
    for axis, value in changes.items():
        if axis not in known:
            raise unknown_axis(axis, known)
        if axis == RESOLUTION:  # in any letter case, as the engine's other enum settings
            resolution = value.strip().upper() if isinstance(value, str) else value
            continue
        section, field, *rest = axis.split(".")
        current = data[section].get(field)
        if rest:  # policy.<rule>.hard
            current[rest[0]] = value
        elif isinstance(current, dict) and not isinstance(value, Mapping):
            current["limit"] = value  # a rule's limit; its hardness stays
        else:
            data[section][field] = value
    try:  # the base's other settings (strategies, a strategy map ...) are kept
        coordinator = base.replace(
            policy=data["policy"],
            sizing=data["sizing"],
            resolution=resolution,
            risk_loop=data["risk_loop"],
            execution=data["execution"],
        )
    except ConfigError as exc:
        # a rule's limit was set inside its {limit, hard} mapping: name it as its axis
        text = str(exc)
        for axis in changes:
            text = text.replace(f"{axis}: limit: ", f"{axis}: ")
        raise ConfigError(text) from None
    held = settings(coordinator)
    values = {}
    for axis in changes:
        if axis == RESOLUTION:
            values[axis] = held[RESOLUTION]
            continue
        section, field, *rest = axis.split(".")
        value = held[section][field]
        if isinstance(value, dict):
            value = value[rest[0] if rest else "limit"]
        values[axis] = value
    return coordinator, values
