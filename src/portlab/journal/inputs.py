"""A run's inputs as JSON, and back: what lets a journal replay a run from its database alone.

Signals and rebalance requests are stored as given, element by element: an event as its JSON
dict (``{"$event": ...}``, every field, the contract's names), a JSON dict or JSON text as
is, and a signals DataFrame column by column with its dtypes (``{"$frame": ...}``). Values
JSON has no form for are tagged: ``{"$float": "nan"}``, ``{"$time": ISO 8601}``,
``{"$date": ...}``, ``{"$bytes": base64}``; anything else is kept as its ``repr``
(``{"$repr": ...}``), which a replay then passes on as text. The portfolio is
:meth:`PortfolioState.to_dict`, the coordinator its policy, sizing, risk-loop and execution
settings (pydantic JSON), resolution and strategies.

Examples
--------
>>> import numpy as np, pandas as pd
>>> value = {"x": np.float64("nan"), "at": pd.Timestamp("2022-12-28 15:00", tz="UTC")}
>>> encoded = to_json_value(value)
>>> encoded
{'x': {'$float': 'nan'}, 'at': {'$time': '2022-12-28T15:00:00+00:00'}}
>>> from_json_value(encoded)["at"]
Timestamp('2022-12-28 15:00:00+0000', tz='UTC')
"""

from __future__ import annotations

import base64
import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from portlab.engine import CoordinationResult, Coordinator, ExecutionRulesConfig
from portlab.fingerprints import content_digest
from portlab.market import Market
from portlab.state import PortfolioState

__all__ = [
    "RunInputs",
    "config_identity",
    "coordinator_config",
    "coordinator_from_config",
    "decode_records",
    "encode_records",
    "from_json_value",
    "policy_version",
    "to_json_value",
]

#: the parts of the configuration that make up a policy version (and ``execution`` when it
#: is not the default, see :func:`config_identity`)
_POLICY_PARTS = ("policy", "sizing", "risk_loop", "resolution")


@dataclass(frozen=True)
class RunInputs:
    """Everything a recorded run was coordinated from, rebuilt from the journal.

    Attributes
    ----------
    signals, rebalance_requests
        As given to :meth:`Coordinator.coordinate` (events as their JSON dicts).
    state : PortfolioState
    market : Market
    coordinator : Coordinator
    as_of : optional
        The ``as_of`` argument as given (None: the engine's default).
    """

    signals: Any
    rebalance_requests: Any
    state: PortfolioState
    market: Market
    coordinator: Coordinator
    as_of: Any = None

    def coordinate(self) -> CoordinationResult:
        """Coordinate these inputs again."""
        return self.coordinator.coordinate(
            self.signals, self.state, self.market, self.rebalance_requests, as_of=self.as_of
        )


def coordinator_config(coordinator: Coordinator) -> dict[str, Any]:
    """A coordinator's configuration as JSON-ready dicts: ``policy``, ``sizing``,
    ``risk_loop``, ``resolution``, ``strategies``, ``execution``, ``portfolio`` (the
    per-instrument strategy map, None without one).

    Examples
    --------
    >>> config = coordinator_config(Coordinator())
    >>> config["policy"]["max_position_size"], config["resolution"], config["strategies"]
    ({'limit': 0.05, 'hard': True}, 'HIGHEST_PRIORITY', [])
    """
    return {
        "policy": coordinator.policy.model_dump(mode="json"),
        "sizing": coordinator.sizing.model_dump(mode="json"),
        "risk_loop": coordinator.risk_loop.model_dump(mode="json"),
        "resolution": coordinator.resolution.value,
        "strategies": [s.model_dump(mode="json") for s in coordinator.strategies.values()],
        "execution": coordinator.execution.model_dump(mode="json"),
        "portfolio": None
        if coordinator.portfolio is None
        else coordinator.portfolio.model_dump(mode="json"),
    }


def coordinator_from_config(config: Mapping[str, Any]) -> Coordinator:
    """The coordinator :func:`coordinator_config` described.

    A configuration without ``execution`` (or with None: a run recorded before the execution
    rules existed) gets the default execution rules, which are what such a run was
    coordinated with.

    Examples
    --------
    >>> c = Coordinator(policy={"max_position_size": 0.04}, strategies={"momentum": 0.3})
    >>> coordinator_config(coordinator_from_config(coordinator_config(c))) == coordinator_config(c)
    True
    """
    return Coordinator(
        config["policy"],
        config["sizing"],
        config["resolution"],
        risk_loop=config["risk_loop"],
        # a strategy map with allocations registers the strategies itself
        strategies=None
        if (config.get("portfolio") or {}).get("allocations")
        else list(config["strategies"]) or None,
        execution=config.get("execution"),
        portfolio=config.get("portfolio"),
    )


def policy_version(config: Mapping[str, Any]) -> str:
    """12 hex digits naming a configuration's policy, sizing, risk-loop settings and
    resolution, and its execution rules when they are not the defaults (strategies' budgets
    are left out: they move with their use); equal settings, equal version.

    Examples
    --------
    >>> a = policy_version(coordinator_config(Coordinator()))
    >>> b = policy_version(coordinator_config(Coordinator(policy={"max_position_size": 0.04})))
    >>> len(a), a == b
    (12, False)
    """
    identity = config_identity(config)
    parts = {k: identity[k] for k in _POLICY_PARTS}
    for optional in ("execution", "portfolio"):
        if optional in identity:
            parts[optional] = identity[optional]
    return content_digest(parts, 12)


#: the default execution rules as :func:`coordinator_config` writes them
_DEFAULT_EXECUTION = ExecutionRulesConfig().model_dump(mode="json")


def config_identity(config: Mapping[str, Any]) -> dict[str, Any]:
    """The configuration as policy versions and run ids see it: without ``execution`` when
    it is missing, None or the default rules, and without ``portfolio`` when there is no
    strategy map, so that such a configuration has the version (and its runs the ids) it had
    before these settings existed.

    Examples
    --------
    >>> config = coordinator_config(Coordinator())
    >>> "execution" in config, "execution" in config_identity(config)
    (True, False)
    """
    out = dict(config)
    if out.get("execution") is None or out["execution"] == _DEFAULT_EXECUTION:
        out.pop("execution", None)
    if out.get("portfolio") is None:
        out.pop("portfolio", None)
    return out


# -- values ------------------------------------------------------------------------------


def to_json_value(value: Any) -> Any:
    """``value`` as JSON-ready data that :func:`from_json_value` turns back into an equal
    value (see the module's notes for the tags)."""
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        value = float(value)
        return value if math.isfinite(value) else {"$float": repr(value)}
    if isinstance(value, np.generic):
        return to_json_value(value.item())
    if isinstance(value, Mapping):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json_value(v) for v in value]
    if isinstance(value, pd.Timestamp | dt.datetime | np.datetime64):
        return {"$time": pd.Timestamp(value).isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, bytes | bytearray):
        return {"$bytes": base64.b64encode(bytes(value)).decode()}
    dump = getattr(value, "model_dump", None)
    if callable(dump):  # an event (a pydantic model): every field, the contract's names
        return {"$event": dump(mode="json", by_alias=True)}
    return {"$repr": repr(value)}


def from_json_value(value: Any) -> Any:
    """The value :func:`to_json_value` encoded (an event comes back as its JSON dict)."""
    if isinstance(value, list):
        return [from_json_value(v) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((key, inner),) = value.items()
        if key == "$float":
            return float(inner)
        if key == "$time":
            return pd.Timestamp(inner)
        if key == "$date":
            return dt.date.fromisoformat(inner)
        if key == "$bytes":
            return base64.b64decode(inner)
        if key in ("$event", "$repr"):
            return inner
        if key == "$frame":
            return _frame_from_json(inner)
    return {k: from_json_value(v) for k, v in value.items()}


def encode_records(records: Any) -> Any:
    """Signals or rebalance requests as given (None, one record, a sequence of records or a
    DataFrame) as JSON-ready data.

    Examples
    --------
    >>> from portlab.datasets import example_batch
    >>> stored = encode_records(example_batch().signals)
    >>> len(stored), stored[0]["$event"]["eventId"]
    (14, 'sig-001')
    >>> decode_records(stored)[0]["signal"]["instrument_id"]
    'AAPL'
    """
    if isinstance(records, pd.DataFrame):
        return {"$frame": _frame_to_json(records)}
    return to_json_value(records)


def decode_records(stored: Any) -> Any:
    """The records :func:`encode_records` stored, ready for :meth:`Coordinator.coordinate`."""
    return from_json_value(stored)


# -- frames ------------------------------------------------------------------------------


def _frame_to_json(frame: pd.DataFrame) -> dict[str, Any]:
    return {
        "columns": [_column_to_json(frame[c], c) for c in frame.columns],
        "index": _column_to_json(frame.index.to_series(), frame.index.name),
    }


def _frame_from_json(data: Mapping[str, Any]) -> pd.DataFrame:
    columns = [_column_from_json(c) for c in data["columns"]]
    index = pd.Index(_column_from_json(data["index"]), name=data["index"]["name"])
    frame = pd.DataFrame({i: c for i, c in enumerate(columns)})
    frame.columns = pd.Index([c["name"] for c in data["columns"]])
    frame.index = index
    return frame


def _column_to_json(col: pd.Series, name: Any) -> dict[str, Any]:
    dtype = col.dtype
    out: dict[str, Any] = {"name": to_json_value(name), "dtype": str(dtype)}
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype):
        ns = col.dt.tz_convert("UTC") if isinstance(dtype, pd.DatetimeTZDtype) else col
        ints = ns.astype("datetime64[ns, UTC]" if ns.dt.tz else "datetime64[ns]").astype("int64")
        missing = col.isna().to_numpy()
        out["ns"] = ints.to_numpy().tolist()
        if missing.any():
            out["ns"] = [None if m else v for v, m in zip(out["ns"], missing.tolist(), strict=True)]
        out["tz"] = str(dtype.tz) if isinstance(dtype, pd.DatetimeTZDtype) else None
    elif pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
        values = col.tolist()
        finite = not pd.api.types.is_float_dtype(dtype) or bool(np.isfinite(col.to_numpy()).all())
        out["values"] = values if finite else [to_json_value(v) for v in values]
    elif pd.api.types.is_string_dtype(dtype) and not pd.api.types.is_object_dtype(dtype):
        out["values"] = [v if isinstance(v, str) else None for v in col.tolist()]
    else:
        out["values"] = [to_json_value(v) for v in col.to_numpy(dtype=object)]
    return out


def _column_from_json(data: Mapping[str, Any]) -> Any:
    dtype = data["dtype"]
    if "ns" in data:
        stamps = pd.to_datetime(
            [pd.NaT if v is None else v for v in data["ns"]], unit="ns", utc=data["tz"] is not None
        )
        if data["tz"] is not None:
            stamps = stamps.tz_convert(data["tz"])
        return pd.Series(stamps).astype(dtype)
    values = [from_json_value(v) for v in data["values"]]
    if dtype == "object":
        return pd.Series(values, dtype=object)
    return pd.Series(values).astype(dtype)
