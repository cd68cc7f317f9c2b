"""Replaying a recorded run: coordinate its stored inputs again and compare, field by field,
the decisions (and rejections) the journal holds with the ones the engine gives now.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from portlab.engine import CoordinationResult
from portlab.journal.records import decision_columns, rejection_columns

__all__ = ["DIFFERENCE_COLUMNS", "Replay", "compare"]

#: columns of :attr:`Replay.differences`
DIFFERENCE_COLUMNS = ("table", "id", "field", "recorded", "replayed")

# the indexed columns of a decision compared besides its event
_DECISION_FIELDS = (
    "position",
    "timestamp",
    "instrument_id",
    "strategy_id",
    "action",
    "trade_amount",
    "share_quantity",
    "position_size",
    "price",
    "origin",
    "priority",
    "signal_id",
)
_REJECTION_FIELDS = (
    "source",
    "id",
    "instrument_id",
    "strategy_id",
    "reason",
    "rule",
    "detail",
    "winner_id",
    "field",
)


@dataclass(frozen=True)
class Replay:
    """What :meth:`Journal.replay <portlab.journal.Journal.replay>` found.

    Attributes
    ----------
    run_id : str
    differences : DataFrame
        One row per field that differs (:data:`DIFFERENCE_COLUMNS`): ``table``
        ("decisions" or "rejections"), ``id`` (the decision's event id, or the rejection's
        position in the run), ``field`` (a column, or a dotted path into the decision
        event such as ``event.decision.trade_amount``; ``(row)`` for a decision or
        rejection only one side has), ``recorded`` and ``replayed`` (the two values).
        Empty when the replay is identical.
    result : CoordinationResult
        The engine's result on the stored inputs.
    """

    run_id: str
    differences: pd.DataFrame
    result: CoordinationResult

    @property
    def identical(self) -> bool:
        """True when every decision and rejection came out as recorded."""
        return self.differences.empty

    def __repr__(self) -> str:
        if self.identical:
            return f"Replay({self.run_id}: identical, {self.result.n_decisions} decisions)"
        return f"Replay({self.run_id}: {len(self.differences)} differences)"


def compare(
    recorded_decisions: pd.DataFrame,
    recorded_rejections: pd.DataFrame,
    result: CoordinationResult,
    run_id: str,
    policy_version: str,
) -> pd.DataFrame:
    """The differences between a run's stored decisions and rejections (as the journal's
    queries return them, decisions with ``events=True``) and ``result``'s.

    Returns
    -------
    DataFrame
        :data:`DIFFERENCE_COLUMNS`, empty when identical.
    """
    rows: list[tuple[Any, ...]] = []
    replayed = decision_columns(result, run_id, policy_version)
    replayed["timestamp"] = replayed.pop("decided_at")
    replayed["event"] = [json.loads(e) for e in replayed["event"]]
    now = _by_key(replayed, "event_id")
    then = _by_key({c: recorded_decisions[c].tolist() for c in recorded_decisions}, "event_id")
    for key in sorted(then.keys() | now.keys()):
        old, new = then.get(key), now.get(key)
        if old is None or new is None:
            rows.append(("decisions", key, "(row)", _side(old), _side(new)))
            continue
        for name in _DECISION_FIELDS:
            a, b = old[name], new[name]
            if name == "timestamp":
                a, b = _microseconds(a), _microseconds(b)
            if not _same(a, b):
                rows.append(("decisions", key, name, a, b))
        paths_old, paths_new = (
            dict(_flat(old["event"], "event")),
            dict(_flat(new["event"], "event")),
        )
        for path in sorted(paths_old.keys() | paths_new.keys()):
            a, b = paths_old.get(path), paths_new.get(path)
            if not _same(a, b):
                rows.append(("decisions", key, path, a, b))
    replayed_rej = rejection_columns(result, run_id, policy_version)
    replayed_rej["id"] = replayed_rej.pop("rejected_id")
    now = _by_key(replayed_rej, "position")
    then = _by_key({c: recorded_rejections[c].tolist() for c in recorded_rejections}, "position")
    for key in sorted(then.keys() | now.keys()):
        old, new = then.get(key), now.get(key)
        if old is None or new is None:
            rows.append(("rejections", key, "(row)", _side(old), _side(new)))
            continue
        for name in _REJECTION_FIELDS:
            if not _same(old[name], new[name]):
                rows.append(("rejections", key, name, old[name], new[name]))
    frame = pd.DataFrame(rows, columns=list(DIFFERENCE_COLUMNS), dtype=object)
    frame["id"] = frame["id"].astype(str)
    return frame


def _by_key(columns: Mapping[str, list[Any]], key: str) -> dict[Any, dict[str, Any]]:
    names = list(columns)
    rows = zip(*(columns[n] for n in names), strict=True)
    return {
        int(r[key]) if key == "position" else r[key]: r
        for r in (dict(zip(names, v, strict=True)) for v in rows)
    }


def _side(row: Mapping[str, Any] | None) -> str:
    return "missing" if row is None else "present"


def _flat(value: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield from _flat(v, f"{prefix}.{k}")
    else:
        yield prefix, value


def _microseconds(value: Any) -> Any:
    if value is None:
        return None
    ts = pd.Timestamp(value)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts.floor("us")


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _same(a: Any, b: Any) -> bool:
    if _missing(a) or _missing(b):
        return _missing(a) and _missing(b)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)
