"""What one run writes: the rows of a :class:`~portlab.engine.CoordinationResult` and its
inputs, as column lists ready for the journal's tables (:data:`portlab.journal.schema.COLUMNS`).

Nothing here touches a database; :func:`build_record` is pure (it never mutates the result or
the inputs), so the write transaction holds its lock only while rows go in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from portlab.engine import CoordinationResult, Coordinator
from portlab.engine.book import as_state
from portlab.engine.outcome import REJECTION_COLUMNS
from portlab.engine.table import length
from portlab.fingerprints import (
    canonical_json,
    content_digest,
    fingerprint,
    market_fingerprint,
    text_digest,
)
from portlab.journal.arrow import ARROW_FORMAT, to_arrow
from portlab.journal.inputs import (
    config_identity,
    coordinator_config,
    encode_records,
    policy_version,
    to_json_value,
)
from portlab.market import Market
from portlab.types import RequestsLike, SignalsLike, StateLike

__all__ = [
    "INPUTS_FORMAT",
    "RunRecord",
    "build_record",
    "decision_columns",
    "rejection_columns",
    "run_id_of",
]

#: version of the ``runs.inputs`` JSON layout
INPUTS_FORMAT = 1


@dataclass(frozen=True)
class RunRecord:
    """One run's rows, column by column (Python values; :mod:`portlab.journal.writes` adapts
    them to the database).

    Attributes
    ----------
    run_id : str
    market_fingerprint : str
    run : dict
        Column -> value of the ``runs`` row (``inputs`` as JSON text).
    decisions, rejections, waterfall : dict
        Column -> list of values, for each table (equal lengths).
    """

    run_id: str
    market_fingerprint: str
    run: dict[str, Any]
    decisions: dict[str, list[Any]]
    rejections: dict[str, list[Any]]
    waterfall: dict[str, list[Any]]


def run_id_of(parts: Mapping[str, Any]) -> str:
    """``"run-"`` and 16 hex digits of the digest of a run's input fingerprints,
    configuration, ``as_of`` and package version: the same run, the same id."""
    return "run-" + content_digest(dict(parts), 16)


def build_record(
    result: CoordinationResult,
    *,
    coordinator: Coordinator,
    signals: SignalsLike,
    state: StateLike,
    market: Market,
    rebalance_requests: RequestsLike = None,
    as_of: Any = None,
    recorded_at: pd.Timestamp | None = None,
) -> RunRecord:
    """The rows :meth:`Journal.record` writes for ``result`` and its inputs.

    Parameters
    ----------
    result : CoordinationResult
        What ``coordinator.coordinate(signals, state, market, rebalance_requests,
        as_of=as_of)`` returned.
    coordinator, signals, state, market, rebalance_requests, as_of
        Its inputs, as given.
    recorded_at : Timestamp, optional
        Default: now (UTC).
    """
    import portlab

    state = as_state(state)
    config = coordinator_config(coordinator)
    version = policy_version(config)
    # each input as canonical JSON text, written once: hashed for its fingerprint, then
    # stored as it is
    texts = {
        "signals": canonical_json(encode_records(signals)),
        "rebalance_requests": canonical_json(encode_records(rebalance_requests)),
        "state": canonical_json(to_json_value(state.to_dict())),
        "as_of": canonical_json(to_json_value(as_of)),
    }
    inputs = (
        "{"
        + ",".join([f'"format":{INPUTS_FORMAT}', *(f'"{k}":{t}' for k, t in texts.items())])
        + "}"
    )
    prints = {
        "market": market_fingerprint(market),
        "state": text_digest(texts["state"]),
        "signals": text_digest(texts["signals"]),
        "rebalance": text_digest(texts["rebalance_requests"]),
    }
    adaptive = (
        None if result.adaptive_state is None else to_json_value(result.adaptive_state.to_dict())
    )
    identity = {
        **prints,
        "as_of": texts["as_of"],
        "config": config_identity(config),
        "version": portlab.__version__,
    }
    if adaptive is not None:  # the same inputs under another adaptation: another run
        identity["adaptive"] = adaptive
    run_id = run_id_of(identity)
    stats = result.stats
    decisions = decision_columns(result, run_id, version)
    rejections = rejection_columns(result, run_id, version)
    waterfall = _waterfall_columns(result, run_id)
    run = {
        "run_id": run_id,
        "recorded_at": pd.Timestamp.now(tz="UTC") if recorded_at is None else recorded_at,
        "as_of": result.as_of,
        "package_version": portlab.__version__,
        "policy_version": version,
        "inputs_fingerprint": fingerprint(market, state, coordinator),
        "market_fingerprint": prints["market"],
        "state_fingerprint": prints["state"],
        "signals_fingerprint": prints["signals"],
        "rebalance_fingerprint": prints["rebalance"],
        "portfolio_id": result.portfolio_id,
        "nav": float(result.nav),
        "n_signals": int(stats["total_signals"]),
        "n_rebalance": int(stats["total_rebalance_adjustments"]),
        "n_decisions": len(decisions["event_id"]),
        "n_rejections": len(rejections["position"]),
        "n_waterfall": waterfall["n_rows"][0],
        "resolution": config["resolution"],
        "policy": config["policy"],
        "sizing": config["sizing"],
        "risk_loop": config["risk_loop"],
        "strategies": config["strategies"],
        "execution": config["execution"],
        "portfolio": config["portfolio"],
        "adaptive": adaptive,
        "stats": to_json_value(stats),
        "inputs": inputs,
    }
    return RunRecord(run_id, prints["market"], run, decisions, rejections, waterfall)


def decision_columns(result: CoordinationResult, run_id: str, version: str) -> dict[str, list[Any]]:
    """The ``decisions`` table's columns for ``result`` (``event`` as JSON text)."""
    # the result's arrays: building its decisions DataFrame would cost more than the rows
    arrays = result.decision_arrays(_DECISION_SOURCES.values())
    n = result.n_decisions
    col = {c: arrays[c].tolist() for c in _DECISION_SOURCES.values() if c != "timestamp"}
    codes, times = pd.factorize(arrays["timestamp"])  # one Timestamp per distinct time
    stamps = list(times)  # a list: indexing a DatetimeIndex costs a Timestamp each time
    col["timestamp"] = [stamps[c] for c in codes.tolist()]
    out = {name: col[source] for name, source in _DECISION_SOURCES.items()}
    for name in _DECISION_TEXT:
        out[name] = _text(out[name])
    out["run_id"] = [run_id] * n
    out["position"] = list(range(n))
    out["event"] = result.events_json() if n else []
    out["policy_version"] = [version] * n
    return out


# decisions table column -> CoordinationResult.decisions column
_DECISION_SOURCES = {
    "event_id": "decision_id",
    "decided_at": "timestamp",
    "instrument_id": "instrument_id",
    "strategy_id": "strategy_id",
    "action": "action",
    "trade_amount": "trade_amount",
    "share_quantity": "share_quantity",
    "position_size": "position_size",
    "price": "price",
    "origin": "origin",
    "priority": "priority",
    "signal_id": "signal_id",
}
_DECISION_TEXT = ("strategy_id", "signal_id")

# rejections table column -> CoordinationResult.rejections column
_REJECTION_SOURCES = {
    "source": "source",
    "rejected_id": "id",
    "instrument_id": "instrument_id",
    "strategy_id": "strategy_id",
    "reason": "reason",
    "rule": "rule",
    "detail": "detail",
    "winner_id": "winner_id",
    "field": "field",
}


def rejection_columns(
    result: CoordinationResult, run_id: str, version: str
) -> dict[str, list[Any]]:
    """The ``rejections`` table's columns for ``result``."""
    # the ledger's tuples: building the rejections DataFrame would cost more than the rows
    records = result.rejection_records()
    n = len(records)
    by_column = dict(zip(REJECTION_COLUMNS, zip(*records, strict=True), strict=True)) if n else {}
    out = {
        name: _text(list(by_column.get(source, ()))) for name, source in _REJECTION_SOURCES.items()
    }
    out["run_id"] = [run_id] * n
    out["position"] = list(range(n))
    out["as_of"] = [result.as_of] * n
    out["policy_version"] = [version] * n
    return out


def _waterfall_columns(result: CoordinationResult, run_id: str) -> dict[str, list[Any]]:
    table = result.waterfall_table()
    return {
        "run_id": [run_id],
        "format": [ARROW_FORMAT],
        "n_rows": [length(table)],
        "steps": [to_arrow(table)],
    }


def _text(values: list[Any]) -> list[Any]:
    """Text as plain ``str`` (an enum's value), missing text (None or NaN) as None."""
    return [
        v if type(v) is str or v is None else str(v) if isinstance(v, str) or v == v else None
        for v in values
    ]
