"""Reading the CSV files of :class:`portlab.market.Market` (private): prices and sectors.

Files are read through :mod:`portlab.io` (UTF-8, byte-order mark dropped, gzip transparent)
and checked before any cleaning rule of :mod:`portlab._cleaning`: an empty or header-only file,
a row with more or fewer fields than the header, a missing or unnamed ``Date`` column, an
unparseable date and a cell that is not a number are each a ``DataError`` naming the file, the
line and the column.
"""

from __future__ import annotations

import csv
import io
import os
from typing import Any

import numpy as np
import pandas as pd

from portlab._cleaning import date_trouble
from portlab.exceptions import DataError, ValidationError
from portlab.formatting import format_names
from portlab.io import read_text

__all__ = ["NA_CELLS", "read_market_csv", "read_prices_csv", "read_sectors_csv"]

#: Cells read as a missing value (compared case-insensitively, after stripping blanks): the
#: defaults of ``pandas.read_csv``. Other cells are read by Python's ``float()``.
NA_CELLS = frozenset(
    {"", "#n/a", "#n/a n/a", "#na", "-1.#ind", "-1.#qnan", "-nan", "1.#ind", "1.#qnan", "<na>"}
    | {"n/a", "na", "nan", "null", "none"}
)


def _csv_records(path: Any) -> tuple[str, list[tuple[int, list[str]]]]:
    """The file's name and its non-blank records as ``(first line number, fields)``."""
    name = os.fspath(path)
    text = read_text(name)
    reader = csv.reader(io.StringIO(text), strict=True)
    records: list[tuple[int, list[str]]] = []
    end = 0
    try:
        for fields in reader:
            start, end = end + 1, reader.line_num
            if any(f.strip() for f in fields):
                records.append((start, fields))
    except csv.Error as exc:  # e.g. a quote never closed, a NUL byte
        raise DataError(f"{name}: line {end + 1}: not valid CSV ({exc})") from None
    if not records:
        raise DataError(f"{name}: the file is empty (expected a header line and data rows)")
    if len(records) == 1:
        raise DataError(f"{name}: only a header line, no data rows")
    return name, records


def _header(name: str, records: list[tuple[int, list[str]]], date_hint: bool) -> list[str]:
    """Stripped column names; DataError for an unnamed or repeated column, or a ragged row."""
    line, raw = records[0]
    header = [h.strip() for h in raw]
    seen: dict[str, int] = {}
    for j, h in enumerate(header):
        if not h:
            hint = " (name the date column 'Date')" if date_hint and j == 0 else ""
            raise DataError(f"{name}: line {line}: column {j + 1} has no name{hint}")
        if h in seen:
            raise DataError(
                f"{name}: line {line}: column {h!r} appears twice (columns {seen[h] + 1} and {j + 1})"
            )
        seen[h] = j
    for ln, fields in records[1:]:
        if len(fields) != len(header):
            more = "more" if len(fields) > len(header) else "fewer"
            raise DataError(
                f"{name}: line {ln} has {len(fields)} fields, {more} than the {len(header)} "
                f"columns of the header (line {line})"
            )
    return header


def _numbers(name: str, column: str, cells: np.ndarray, lines: np.ndarray) -> np.ndarray:
    """``cells`` (str) as float64 by ``float()``, NaN for :data:`NA_CELLS`; DataError naming
    the line and the column of the first cell that is neither."""
    try:
        return cells.astype(np.float64)  # fast path: every cell is a number
    except ValueError:
        pass
    low = np.char.lower(np.char.strip(cells.astype(str)))
    given = ~np.isin(low, list(NA_CELLS))
    out = np.full(cells.shape, np.nan)
    try:
        out[given] = cells[given].astype(np.float64)
    except ValueError:
        for i in np.flatnonzero(given):
            try:
                float(cells[i])
            except ValueError:
                raise DataError(
                    f"{name}: line {lines[i]}, column {column!r}: {cells[i].strip()!r} is not "
                    "a number"
                ) from None
    return out


def read_prices_csv(path: Any) -> pd.DataFrame:
    """A prices CSV (a ``Date`` column, one column per instrument) as a float frame on its dates.

    The frame is not cleaned yet (order, duplicates and prices are the :class:`Market` rules').

    Raises
    ------
    DataError
        Naming the file (and the line and column): missing, not UTF-8, not CSV, empty or header
        only, a row with more or fewer fields than the header, an unnamed or repeated column, no
        ``Date`` column, a date that cannot be read, a cell that is not a number.
    """
    name, records = _csv_records(path)
    header = _header(name, records, date_hint=True)
    date_cols = [j for j, h in enumerate(header) if h.lower() == "date"]
    if not date_cols:
        raise DataError(
            f"{name}: no 'Date' column (header: {format_names(header)}); the first line must name "
            "the date column 'Date' and one column per instrument"
        )
    jd = date_cols[0]
    if len(header) == 1:
        raise DataError(f"{name}: only a 'Date' column, no instrument column")
    lines = np.array([ln for ln, _ in records[1:]])
    cells = np.array([fields for _, fields in records[1:]], dtype=object)
    raw_dates = np.char.strip(cells[:, jd].astype(str))
    try:
        dates = pd.to_datetime(pd.Series(raw_dates), errors="coerce")
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. mixed time zones
        raise DataError(f"{name}: column {header[jd]!r}: {date_trouble(exc)}") from None
    bad = dates.isna().to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        shown = repr(str(raw_dates[i])) if raw_dates[i] else "an empty cell"
        raise DataError(
            f"{name}: line {lines[i]}, column {header[jd]!r}: {shown} is not a date "
            "(use one format throughout, e.g. 2022-12-28)"
        )
    keep = [j for j in range(len(header)) if j != jd]
    cols = [header[j] for j in keep]
    try:
        values = cells[:, keep].astype(np.float64)  # fast path: every cell is a number
    except ValueError:
        values = np.column_stack([_numbers(name, header[j], cells[:, j], lines) for j in keep])
    index = pd.DatetimeIndex(dates, name="Date")
    return pd.DataFrame(values, index=index, columns=pd.Index(cols))


def read_sectors_csv(path: Any) -> pd.DataFrame:
    """A sectors CSV: first column the instrument id, a ``sector`` column, optionally ``name``.

    Returns
    -------
    DataFrame
        Indexed by instrument id, columns ``sector`` (and ``name`` when the file has one); an
        empty cell is NaN (the instrument then has no known sector).

    Raises
    ------
    DataError
        Naming the file (and the line): missing, not UTF-8, not CSV, empty or header only, a
        ragged row, no ``sector`` column, an empty or repeated instrument id.
    """
    name, records = _csv_records(path)
    header = _header(name, records, date_hint=False)
    lower = [h.lower() for h in header]
    if "sector" not in lower[1:]:
        raise DataError(
            f"{name}: no 'sector' column (header: {format_names(header)}); expected the instrument id "
            "first, then a 'sector' column (and optionally 'name')"
        )
    keep = {key: lower.index(key) for key in ("sector", "name") if key in lower[1:]}
    ids: dict[str, int] = {}
    rows = []
    for ln, fields in records[1:]:
        iid = fields[0].strip()
        if not iid:
            raise DataError(f"{name}: line {ln}: no instrument id in column {header[0]!r}")
        if iid in ids:
            raise DataError(f"{name}: line {ln}: instrument {iid!r} repeats line {ids[iid]}")
        ids[iid] = ln
        rows.append([fields[j].strip() or np.nan for j in keep.values()])
    return pd.DataFrame(rows, index=pd.Index(list(ids), name=header[0]), columns=list(keep))


def read_market_csv(
    path: Any, sectors: Any, kwargs: dict[str, Any]
) -> tuple[pd.DataFrame, Any, dict[str, Any], dict[str, str]]:
    """The inputs of :meth:`portlab.Market.from_csv`: ``(prices, sectors, kwargs, files)``.

    ``sectors`` given as a path is read by :func:`read_sectors_csv`; its ``name`` column
    becomes ``kwargs["names"]`` unless names were given. ``files`` maps each role
    (``"prices"``, ``"sectors"``, ``"names"``) to its file, for error messages.
    """
    if not isinstance(path, str | os.PathLike):
        raise ValidationError(f"path: expected a file name, got {type(path).__name__}")
    files = {"prices": os.fspath(path)}
    prices = read_prices_csv(path)
    kwargs = dict(kwargs)
    if isinstance(sectors, str | os.PathLike):
        files["sectors"] = files["names"] = os.fspath(sectors)
        table = read_sectors_csv(sectors)
        if "names" not in kwargs and "name" in table.columns:
            kwargs["names"] = table[["name"]]
        sectors = table[["sector"]]
    return prices, sectors, kwargs, files
