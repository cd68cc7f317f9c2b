"""A sweep's results as one table: one row per scenario, then the Parquet file they are kept
in while the sweep runs (rewritten whole, atomically) and read back to resume it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from portlab.exceptions import ValidationError
from portlab.sweep._handlers import metrics
from portlab.sweep._kinds import Status, SweepKind
from portlab.sweep._scenarios import HEAD, Scenario

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Row",
    "frame",
    "metric_columns",
    "parameter_columns",
    "read_results",
    "rows_of",
    "write_results",
]

#: one scenario's outcome as a task returns it: the :data:`HEAD` values and ``metrics``
Row = dict[str, Any]
_HEAD_DTYPES = {
    "scenario": "str",
    "kind": "str",
    "status": "str",
    "error": "str",
    "seconds": "float64",
}


def _all_metrics() -> dict[str, str]:
    found: dict[str, str] = {}
    for kind in SweepKind:
        found |= metrics(kind)
    return found


def _parameter_column(values: list[Any]) -> Any:
    """A parameter's values as a column of one type (Parquet needs one)."""
    import pandas as pd

    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return pd.array(values, dtype="boolean")
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return pd.array(values, dtype="Int64")
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return pd.array([float("nan") if v is None else float(v) for v in values], dtype="float64")
    return pd.array([None if v is None else str(v) for v in values], dtype="str")


def frame(scenarios: Sequence[Scenario], rows: Mapping[str, Row]) -> pd.DataFrame:
    """The results table of the scenarios that have a row, in scenario order.

    Columns: :data:`HEAD` (``scenario``, ``kind``, ``status``, ``error``, ``seconds``), one
    per parameter (the axes, in the order they first appear), then the metrics of the
    scenarios' kinds (:data:`METRICS`). A failed scenario's metrics are missing (NaN/<NA>).
    """
    import pandas as pd

    done = [s for s in scenarios if s.id in rows]
    params = list(dict.fromkeys(a for s in scenarios for a in s.parameters))
    kinds = list(dict.fromkeys(s.kind for s in scenarios))
    measured: dict[str, str] = {}
    for kind in kinds:
        measured |= metrics(kind)
    data: dict[str, Any] = {}
    for column, dtype in _HEAD_DTYPES.items():
        data[column] = pd.array([rows[s.id][column] for s in done], dtype=dtype)
    for axis in params:
        data[axis] = _parameter_column([s.parameters.get(axis) for s in done])
    for name, dtype in measured.items():
        values = [rows[s.id]["metrics"].get(name) for s in done]
        if dtype == "float64":
            values = [float("nan") if v is None else float(v) for v in values]
        data[name] = pd.array(values, dtype=dtype)
    return pd.DataFrame(data, columns=[*HEAD, *params, *measured])


def parameter_columns(results: pd.DataFrame) -> list[str]:
    """The parameter (axis) columns of a sweep's results, in order.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame(columns=["scenario", "kind", "status", "error", "seconds",
    ...                               "policy.max_position_size", "decisions", "sharpe"])
    >>> parameter_columns(table), metric_columns(table)
    (['policy.max_position_size'], ['decisions', 'sharpe'])
    """
    known = _all_metrics()
    return [c for c in results.columns if c not in HEAD and c not in known]


def metric_columns(results: pd.DataFrame) -> list[str]:
    """The metric columns of a sweep's results, in order (see :func:`parameter_columns`)."""
    known = _all_metrics()
    return [c for c in results.columns if c in known]


def write_results(results: pd.DataFrame, path: str | Path) -> None:
    """Write ``results`` to the Parquet file ``path`` at once: a temporary file in its folder
    renamed over it (:func:`portlab.io.atomic_write`); a reader never sees part of one."""
    from portlab.io import atomic_write

    with atomic_write(path, "wb") as fh:
        results.to_parquet(fh, index=False)


def read_results(path: str | Path) -> pd.DataFrame:
    """A sweep's results written by :func:`portlab.sweep.run` (``out=``).

    Raises
    ------
    ValidationError
        The file is not Parquet or not a sweep's results (the message names it).
    """
    import pandas as pd

    try:
        table = pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise ValidationError(
            f"{path}: not a sweep's results file ({' '.join(str(exc).split())[:200]}); choose "
            "another output or run without resuming"
        ) from None
    missing = [c for c in HEAD if c not in table.columns]
    if missing:
        raise ValidationError(
            f"{path}: not a sweep's results file (no column {missing[0]}); choose another "
            "output or run without resuming"
        )
    return table


def rows_of(results: pd.DataFrame) -> dict[str, Row]:
    """The finished (status ``ok``) rows of a results table, by scenario id, as tasks return
    them."""
    import pandas as pd

    known = _all_metrics()
    found: dict[str, Row] = {}
    for record in results[results["status"] == Status.OK.value].to_dict("records"):
        row = {c: record[c] for c in HEAD}
        row["metrics"] = {
            name: (
                None if value is pd.NA or (isinstance(value, float) and value != value) else value
            )
            for name, value in record.items()
            if name in known
        }
        row["seconds"] = float(row["seconds"])
        found[str(row["scenario"])] = row
    return found
