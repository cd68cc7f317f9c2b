"""Strategy registry: strategy types by name, built from the strategy configuration of
specification §14, "Backtests"."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from portlab.analytics.backtest._strategies import (
    MeanReversion,
    Momentum,
    MovingAverageCrossover,
    SignalStrategy,
)
from portlab.exceptions import ConfigError

__all__ = ["StrategyRegistry"]

_BUILTIN: Mapping[str, type[SignalStrategy]] = MappingProxyType(
    {"momentum": Momentum, "mean_reversion": MeanReversion, "ma_crossover": MovingAverageCrossover}
)
# other spellings of the built-in type names and of their parameter names, accepted too
_TYPE_ALIASES = MappingProxyType(
    {
        "momentumstrategy": "momentum",
        "meanreversion": "mean_reversion",
        "meanreversionstrategy": "mean_reversion",
        "movingaveragecrossover": "ma_crossover",
        "moving_average_crossover": "ma_crossover",
        "macrossover": "ma_crossover",
        "macrossoverstrategy": "ma_crossover",
    }
)
_PARAM_ALIASES = MappingProxyType(
    {
        "ma_crossover": MappingProxyType({"short_window": "short", "long_window": "long"}),
        "mean_reversion": MappingProxyType({"window": "lookback", "z_score": "z"}),
        "momentum": MappingProxyType({"window": "lookback"}),
    }
)


class StrategyRegistry:
    """Strategy types by name; builds strategies from the strategy configuration of
    specification §14.

    The built-in types are ``momentum`` (:class:`Momentum`), ``mean_reversion``
    (:class:`MeanReversion`) and ``ma_crossover`` (:class:`MovingAverageCrossover`); their
    class names and other common spellings (``MACrossoverStrategy``, ``short_window``,
    ``long_window``) are accepted too. Type names are case-insensitive.

    Parameters
    ----------
    types : mapping of str to SignalStrategy subclass, optional
        Extra types to register.

    Examples
    --------
    >>> registry = StrategyRegistry()
    >>> strategies = registry.build({"strategies": {
    ...     "ma_crossover": {"type": "MACrossoverStrategy",
    ...                      "params": {"short_window": 10, "long_window": 50}},
    ...     "mom": {"type": "momentum", "params": {"lookback": 126, "top": 3}}}})
    >>> sorted(strategies)
    ['ma_crossover', 'mom']
    """

    def __init__(self, types: Mapping[str, type[SignalStrategy]] | None = None) -> None:
        self._types: dict[str, type[SignalStrategy]] = dict(_BUILTIN)
        for name, cls in (types or {}).items():
            self.register(name, cls)

    @property
    def types(self) -> dict[str, type[SignalStrategy]]:
        """Registered type name → class (a copy)."""
        return dict(self._types)

    def register(self, name: str, cls: type[SignalStrategy]) -> StrategyRegistry:
        """Register ``cls`` under ``name`` (case-insensitive); returns the registry."""
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"strategy type name must be a non-empty string, got {name!r}")
        if not (isinstance(cls, type) and issubclass(cls, SignalStrategy)):
            raise ConfigError(f"strategy type {name!r} must be a SignalStrategy subclass")
        self._types[name.strip().lower()] = cls
        return self

    def _resolve(self, type_name: Any, where: str) -> tuple[str, type[SignalStrategy]]:
        if isinstance(type_name, type) and issubclass(type_name, SignalStrategy):
            return type_name.__name__.lower(), type_name
        if not isinstance(type_name, str):
            raise ConfigError(f"{where}: type must be a string, got {type_name!r}")
        key = type_name.strip().lower()
        key = _TYPE_ALIASES.get(key.replace("_", ""), _TYPE_ALIASES.get(key, key))
        if key not in self._types:
            raise ConfigError(
                f"{where}: unknown strategy type {type_name!r}; registered: {sorted(self._types)}"
            )
        return key, self._types[key]

    def create(
        self, type_name: str | type, name: str | None = None, **params: Any
    ) -> SignalStrategy:
        """One strategy of a registered type, named ``name`` (the type's default when None)."""
        return self._make(type_name, name, params, where=f"strategy {name or type_name!r}")

    def _make(
        self, type_name: Any, name: str | None, params: Mapping, where: str
    ) -> SignalStrategy:
        key, cls = self._resolve(type_name, f"{where}.type")
        aliases = _PARAM_ALIASES.get(key, {})
        kwargs = {aliases.get(k, k): v for k, v in params.items()}
        if name is not None:
            kwargs["name"] = name
        try:
            strategy = cls(**kwargs)
        except TypeError as err:
            raise ConfigError(f"{where}.params: {err}") from None
        try:
            return strategy.check()
        except ConfigError as err:
            raise ConfigError(f"{where}.params: {err}") from None

    def build(self, config: Mapping[str, Any]) -> dict[str, SignalStrategy]:
        """Strategies from a mapping shaped as the strategy configuration of specification §14.

        Parameters
        ----------
        config : mapping
            ``{"strategies": {name: {"type": ..., "params": {...}}, ...}}`` or the inner
            mapping itself. Each strategy gets its entry's name as :attr:`~SignalStrategy.name`.

        Returns
        -------
        dict of str to SignalStrategy, in the configuration's order.

        Raises
        ------
        ConfigError
            Naming the entry (``strategies.ma_crossover.type``) and the problem.
        """
        if not isinstance(config, Mapping):
            raise ConfigError(
                f"strategy configuration must be a mapping, got {type(config).__name__}"
            )
        entries = config.get("strategies", config)
        if not isinstance(entries, Mapping) or not entries:
            raise ConfigError("strategies: expected a non-empty mapping of name -> {type, params}")
        out: dict[str, SignalStrategy] = {}
        for name, entry in entries.items():
            where = f"strategies.{name}"
            if not isinstance(entry, Mapping):
                raise ConfigError(f"{where}: expected a mapping with 'type' and 'params'")
            unknown = sorted(set(entry) - {"type", "params"})
            if unknown:
                raise ConfigError(f"{where}: unknown key(s) {unknown}; expected type, params")
            if "type" not in entry:
                raise ConfigError(f"{where}.type: missing")
            params = entry.get("params") or {}
            if not isinstance(params, Mapping):
                raise ConfigError(f"{where}.params: expected a mapping, got {params!r}")
            out[str(name)] = self._make(entry["type"], str(name), params, where)
        return out

    def from_yaml(self, path: str | Path) -> dict[str, SignalStrategy]:
        """:meth:`build` from a YAML file."""
        import yaml

        try:
            text = Path(path).read_text()
        except OSError as err:
            raise ConfigError(f"{path}: {err.strerror or err}") from None
        try:
            config = yaml.safe_load(text)
        except yaml.YAMLError as err:
            raise ConfigError(f"{path}: not valid YAML ({err})") from None
        return self.build(config)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.strip().lower() in self._types

    def __repr__(self) -> str:
        return f"StrategyRegistry({sorted(self._types)})"
