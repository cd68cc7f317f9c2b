"""One metric of a sweep over two of its parameters: the cells of a heatmap, or a pivot."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from portlab.exceptions import ValidationError
from portlab.sweep._handlers import metrics
from portlab.sweep._kinds import SweepKind
from portlab.sweep._results import parameter_columns

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["METRICS", "cells", "pivot"]

#: the metric columns of each kind, in order
METRICS: Mapping[SweepKind, tuple[str, ...]] = MappingProxyType(
    {kind: tuple(metrics(kind)) for kind in SweepKind}
)


def cells(
    results: pd.DataFrame,
    x: str,
    y: str,
    metric: str,
    where: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """One row per scenario on a grid of two parameters: ``x``, ``y``, ``metric`` and
    ``scenario`` (its id: what a click on a heatmap cell opens).

    Parameters
    ----------
    results : DataFrame
        A sweep's results (:func:`run`).
    x, y : str
        Two parameter columns.
    metric : str
        A metric column.
    where : mapping of parameter to value, optional
        Keep only the scenarios with these values of the other parameters.

    Raises
    ------
    ValidationError
        A column that is not there; two scenarios in one cell (another parameter varies: the
        message names it; fix it with ``where``).

    Examples
    --------
    >>> import pandas as pd
    >>> results = pd.DataFrame({"scenario": list("abcd"), "a": [1, 1, 2, 2],
    ...                         "b": [0.1, 0.2, 0.1, 0.2], "decisions": [3, 4, 5, 6]})
    >>> pivot(results, "decisions", index="a", columns="b").to_numpy().tolist()
    [[3, 4], [5, 6]]
    """
    for column in (x, y, metric):
        if column not in results.columns:
            raise ValidationError(f"cells: no column {column!r} in the results")
    if x == y:
        raise ValidationError(f"cells: x and y are both {x!r}; choose two parameters")
    chosen = results
    for name, value in (where or {}).items():
        if name not in results.columns:
            raise ValidationError(f"cells: where: no column {name!r} in the results")
        chosen = chosen[chosen[name] == value]
    others = [c for c in parameter_columns(chosen) if c not in (x, y, metric, *(where or {}))]
    if chosen.duplicated([x, y]).any():
        varying = [c for c in others if chosen[c].nunique(dropna=False) > 1]
        hint = (
            f"{varying[0]} varies ({', '.join(map(str, chosen[varying[0]].unique()[:5]))}); "
            f"fix it with where={{{varying[0]!r}: ...}}"
            if varying
            else "the table repeats scenarios"
        )
        raise ValidationError(f"cells: several scenarios share a cell of {x} x {y}: {hint}")
    return chosen[[x, y, metric, "scenario"]].reset_index(drop=True)


def pivot(
    results: pd.DataFrame,
    metric: str,
    index: str,
    columns: str,
    where: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """``metric`` with ``index`` values down and ``columns`` values across (:func:`cells`,
    pivoted)."""
    table = cells(results, columns, index, metric, where)
    return table.pivot(index=index, columns=columns, values=metric)
