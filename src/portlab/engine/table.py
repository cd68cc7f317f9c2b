"""A column table: ``dict[str, ndarray]`` with equal lengths.

The engine's stages pass these instead of DataFrames: building and indexing pandas objects
costs tens of microseconds per operation, more than the arithmetic of a whole batch.
DataFrames are made once, at the end, for the user. Which columns each table has, with their
units and meaning, is declared in :mod:`portlab.engine.columns`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

__all__ = ["Table", "concat", "empty", "length", "object_array", "take"]

Table = dict[str, np.ndarray]


def length(t: Mapping[str, np.ndarray]) -> int:
    """Number of rows (0 for a table without columns)."""
    for v in t.values():
        return len(v)
    return 0


def take(t: Mapping[str, np.ndarray], idx: np.ndarray) -> Table:
    """Rows ``idx`` (boolean mask or integer positions) of every column."""
    return {k: v[idx] for k, v in t.items()}


def object_array(values: Iterable[object]) -> np.ndarray:
    """A 1-D object array (lists stay elements, never become a second axis)."""
    values = list(values)
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def empty(columns: Iterable[str]) -> Table:
    """A table with no rows."""
    return {c: np.empty(0, dtype=object) for c in columns}


def concat(tables: list[Mapping[str, np.ndarray]], columns: Iterable[str]) -> Table:
    """Stack tables row-wise over ``columns`` (missing columns filled with None)."""
    out: Table = {}
    for c in columns:
        parts = []
        for t in tables:
            n = length(t)
            if n == 0:
                continue
            parts.append(t[c] if c in t else np.full(n, None, dtype=object))
        if not parts:
            out[c] = np.empty(0, dtype=object)
        elif all(p.dtype != object for p in parts):
            out[c] = np.concatenate(parts)
        else:  # one object array; numbers become Python numbers (times stay numpy scalars)
            out[c] = np.concatenate(
                [
                    p
                    if p.dtype == object
                    else object_array(p)
                    if p.dtype.kind in "mM"
                    else p.astype(object)
                    for p in parts
                ]
            )
    return out
