"""Coordinators built from a base coordinator and a view-model's settings.

A view-model never changes the coordinator it was given: each computation builds a new
:class:`portlab.Coordinator` with the base's settings and the model's changes, validated as
any user configuration is (an invalid combination raises
:class:`~portlab.exceptions.ConfigError`, which the model shows as its error).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from portlab.engine import Coordinator, ExecutionRulesConfig, Policy, Resolution, SizingConfig

__all__ = ["configured"]


def configured(
    base: Coordinator,
    *,
    policy: Mapping[str, Any] | None = None,
    sizing: Mapping[str, Any] | None = None,
    resolution: Resolution | str | None = None,
    execution: Mapping[str, Any] | None = None,
) -> Coordinator:
    """A new Coordinator with ``base``'s settings changed by ``policy`` / ``sizing`` /
    ``resolution`` / ``execution`` (every other setting is kept: :meth:`Coordinator.replace`).

    Parameters
    ----------
    base : Coordinator
        Not modified.
    policy, sizing : mapping, optional
        Settings to change, as for :class:`~portlab.Policy` and :class:`~portlab.SizingConfig`
        (a rule as ``{"limit": ..., "hard": ...}``).
    resolution : Resolution, optional
        Default: ``base.resolution``.
    execution : mapping, optional
        Execution rules to change, as for :class:`~portlab.ExecutionRulesConfig`.

    Raises
    ------
    ConfigError
        The changed settings are invalid (e.g. a position limit above the sector limit).

    Examples
    --------
    >>> c = configured(Coordinator(), policy={"max_position_size": {"limit": 0.03, "hard": True}})
    >>> c.policy.max_position_size.limit, c.policy.max_sector_exposure.limit
    (0.03, 0.25)
    """
    new_policy = (
        base.policy
        if not policy
        else Policy.model_validate({**base.policy.model_dump(), **dict(policy)})
    )
    new_sizing = (
        base.sizing
        if not sizing
        else SizingConfig.model_validate({**base.sizing.model_dump(), **dict(sizing)})
    )
    new_execution = (
        base.execution
        if not execution
        else ExecutionRulesConfig.model_validate({**base.execution.model_dump(), **dict(execution)})
    )
    return base.replace(
        policy=new_policy,
        sizing=new_sizing,
        resolution=base.resolution if resolution is None else resolution,
        execution=new_execution,
    )
