"""Data-cleaning rules of :class:`portlab.market.Market` (private).

Applied in this order to ``prices`` (and to ``benchmark``/``factors``, whose report rows are
labelled ``benchmark:<name>`` / ``factors:<name>``):

1. a non-numeric cell is a ``DataError`` naming the column and the row;
2. unsorted dates are sorted ascending (warned, reported);
3. duplicate dates with identical rows keep one row (warned, reported); duplicate dates whose rows
   differ are a ``DataError`` naming the date and a column that differs;
4. non-positive or infinite prices are a ``DataError`` naming the column, the first date and the
   count -- or NaN (warned, reported) with ``bad_prices="nan"``;
5. a column with no valid price is a ``DataError``;
6. leading NaN (a late listing) stay NaN (reported with the first valid date);
7. interior gaps of at most ``max_ffill`` consecutive rows are forward-filled (warned, reported);
   longer gaps stay NaN entirely (reported);
8. trailing NaN (delisting or stale data) stay NaN (reported); ``last_prices`` is NaN when the last
   valid price is more than ``max_ffill`` rows before the last date.

"Warned" means a :class:`DataRepairWarning`; "reported" a row of ``Market.report``. Rules that
leave the data as given (6, long gaps, 8) only report.

Sectors: an instrument without one (missing, NaN or blank) gets :data:`UNKNOWN_SECTOR`; this is
an assumption, not a repair, so it raises an :class:`InputRepairWarning` ("no sectors given for
20 instruments: ...") and is reported.

CSV files are read, and their structure checked, by :mod:`portlab._csvfiles`
(:func:`~portlab._csvfiles.read_prices_csv`, :func:`~portlab._csvfiles.read_sectors_csv`).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from portlab.exceptions import (
    DataError,
    DataRepairWarning,
    InputRepairWarning,
    ValidationError,
    warn,
)
from portlab.formatting import format_date, format_names, format_value

__all__ = [
    "RepairLog",
    "as_frame",
    "check_all_nan",
    "clean_reference",
    "clean_volumes",
    "date_trouble",
    "fill_gaps",
    "label_series",
    "naming_files",
    "numeric_values",
    "onto_dates",
    "report_label",
    "sectors_and_names",
    "simple_returns",
    "validate_frame",
]

Row = tuple[str, str, str, str, int]
UNKNOWN_SECTOR = "Unknown"
"""Sector label of an instrument whose sector is not known (public as ``portlab.market.UNKNOWN_SECTOR``)."""


class RepairLog:
    """Report rows, repair warnings (:class:`DataRepairWarning`) and notices of assumptions
    (:class:`InputRepairWarning`), emitted together by :meth:`emit`."""

    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.warnings: list[str] = []
        self.notices: list[str] = []

    def add(self, column: str, row: Any, issue: str, action: str, count: int) -> None:
        row = "" if row is None else (row if isinstance(row, str) else format_date(row))
        self.rows.append((column, row, issue, action, int(count)))

    def extend(self, other: RepairLog) -> None:
        self.rows += other.rows
        self.warnings += other.warnings
        self.notices += other.notices

    def emit(self) -> None:
        for message in self.warnings:
            warn(message, DataRepairWarning)
        for message in self.notices:
            warn(message, InputRepairWarning)


def date_trouble(exc: Exception) -> str:
    """Why a column of dates cannot be read, in words."""
    if "timezone" in str(exc).lower():
        return "dates in different time zones; give every date in one zone, or none"
    return f"the dates cannot be read ({exc})"


def as_frame(obj: Any, what: str) -> pd.DataFrame:
    """Copy ``obj`` into a DataFrame with a DatetimeIndex named Date and str column labels."""
    if isinstance(obj, pd.Series):
        df = obj.to_frame(name=what if obj.name is None else obj.name)
    elif isinstance(obj, pd.DataFrame):
        df = obj.copy()
    else:
        raise ValidationError(f"{what} must be a pandas DataFrame, got {type(obj).__name__}")
    date_cols = [c for c in df.columns if str(c).lower() == "date"]
    if date_cols:
        df = df.set_index(date_cols[0])
    raw_index = df.index
    if not isinstance(raw_index, pd.DatetimeIndex):
        if pd.api.types.is_numeric_dtype(raw_index.dtype):
            raise DataError(f"{what} need a DatetimeIndex or a 'Date' column")
        try:
            index = pd.DatetimeIndex(pd.to_datetime(pd.Series(raw_index), errors="coerce"))
        except (ValueError, TypeError, OverflowError) as exc:  # e.g. mixed time zones
            raise DataError(f"{what}: {date_trouble(exc)}") from None
    else:
        index = raw_index
    if index.hasnans:
        pos = int(np.flatnonzero(index.isna())[0])
        raise DataError(
            f"{what}: row {pos} has date {format_value(raw_index[pos])}, which is not a date"
        )
    df.index = index.rename("Date")
    df.columns = pd.Index([str(c) for c in df.columns])
    if df.columns.has_duplicates:
        dup = df.columns[df.columns.duplicated()][0]
        raise DataError(f"{what}: column {dup!r} appears more than once")
    if df.shape[0] == 0 or df.shape[1] == 0:
        raise DataError(f"{what} is empty ({df.shape[0]} rows, {df.shape[1]} columns)")
    return df


def numeric_values(df: pd.DataFrame, what: str) -> np.ndarray:
    """The cells as float64 (NaN where missing); DataError naming column and row otherwise."""
    types = pd.api.types
    if all(types.is_float_dtype(t) or types.is_integer_dtype(t) for t in df.dtypes.unique()):
        return df.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
    cols = []
    for j, col in enumerate(df.columns):
        s = df.iloc[:, j]
        if types.is_bool_dtype(s.dtype):
            raise DataError(
                f"{what} column {col!r}: booleans, not numbers, from row {format_date(df.index[0])}"
            )
        if types.is_numeric_dtype(s.dtype):
            cols.append(s.to_numpy(dtype=np.float64, na_value=np.nan))
            continue
        conv = pd.to_numeric(s, errors="coerce")
        bad = conv.isna().to_numpy() & s.notna().to_numpy()
        if bad.any():
            i = int(np.argmax(bad))
            raise DataError(
                f"{what} column {col!r}: non-numeric value {format_value(s.iloc[i])} "
                f"at row {format_date(df.index[i])} (position {i})"
            )
        cols.append(conv.to_numpy(dtype=np.float64, na_value=np.nan))
    return np.column_stack(cols)


def report_label(what: str, col: str) -> str:
    return col if what == "prices" else f"{what}:{col}"


def validate_frame(obj: Any, what: str, log: RepairLog, *, bad_prices: str, volumes: bool = False):
    """Rules 1-4 (and 5 for prices): a sorted, de-duplicated float64 frame, not yet filled."""
    df = as_frame(obj, what)
    values, index, cols = numeric_values(df, what), df.index, df.columns
    dates_col = report_label(what, "(dates)")
    if not index.is_monotonic_increasing:
        back = np.flatnonzero(np.diff(index.asi8) < 0) + 1
        order = np.argsort(index.asi8, kind="stable")
        log.add(dates_col, index[back[0]], "dates not in ascending order", "sorted", len(back))
        log.warnings.append(f"{what}: dates were not in ascending order; sorted them")
        index, values = index[order], values[order]
    if index.has_duplicates:
        pos = np.flatnonzero(index.asi8[1:] == index.asi8[:-1]) + 1
        a, b = values[pos], values[pos - 1]
        same = (a == b) | (np.isnan(a) & np.isnan(b))
        if not same.all():
            k = int(np.argmax(~same.all(axis=1)))
            j = int(np.argmax(~same[k]))
            raise DataError(
                f"{what}: conflicting rows for duplicate date {format_date(index[pos[k]])}: "
                f"column {cols[j]!r} has {format_value(b[k, j])} and {format_value(a[k, j])}"
            )
        keep = np.ones(len(index), dtype=bool)
        keep[pos] = False
        log.add(dates_col, index[pos[0]], "duplicate dates, identical rows", "dropped", len(pos))
        log.warnings.append(f"{what}: dropped {len(pos)} repeated rows of duplicate dates")
        index, values = index[keep], values[keep]
    bad = (values < 0) if volumes else (values <= 0)
    bad |= np.isinf(values)
    if bad.any():
        counts = bad.sum(axis=0)
        noun = "negative or infinite values" if volumes else "non-positive or infinite prices"
        if bad_prices == "raise" or volumes:
            j = int(np.flatnonzero(counts)[0])
            first = format_date(index[int(np.argmax(bad[:, j]))])
            hint = "" if volumes else "; pass bad_prices='nan' to treat them as missing"
            raise DataError(
                f"{what} column {cols[j]!r}: {counts[j]} {noun}, first on {first}{hint}"
            )
        values = np.where(bad, np.nan, values)
        hit = np.flatnonzero(counts)
        for j in hit:
            first = index[int(np.argmax(bad[:, j]))]
            log.add(report_label(what, cols[j]), first, noun, "set to NaN", counts[j])
        log.warnings.append(
            f"{what}: set {counts.sum()} {noun} to NaN in {format_names(cols[hit])}"
        )
    return pd.DataFrame(values, index=index, columns=cols)


def check_all_nan(df: pd.DataFrame, what: str) -> None:
    empty = df.columns[df.isna().all(axis=0).to_numpy()]
    if len(empty):
        raise DataError(f"{what} column {empty[0]!r} has no valid value ({len(empty)} such)")


def clean_reference(
    obj: Any,
    what: str,
    dates: pd.DatetimeIndex,
    log: RepairLog,
    bad_prices: str,
    *,
    one_column: bool = False,
) -> pd.DataFrame | None:
    """Benchmark (``one_column``) or factor prices: rules 1-5, put on the market's ``dates``
    (dates the prices lack are dropped, warned); None stays None."""
    if obj is None:
        return None
    raw = validate_frame(obj, what, log, bad_prices=bad_prices)
    if one_column and raw.shape[1] != 1:
        raise ValidationError(f"{what} must be a Series or a one-column DataFrame")
    raw = onto_dates(raw, dates, what, log)
    check_all_nan(raw, what)
    return raw


def onto_dates(
    raw: pd.DataFrame, dates: pd.DatetimeIndex, what: str, log: RepairLog
) -> pd.DataFrame:
    """Reindex a validated frame onto the market's dates, reporting the dates dropped."""
    extra = ~raw.index.isin(dates)
    if extra.any():
        first = raw.index[int(np.argmax(extra))]
        log.add(
            report_label(what, "(dates)"),
            first,
            "dates not among the prices' dates",
            "dropped",
            extra.sum(),
        )
        log.warnings.append(f"{what}: dropped {extra.sum()} dates that prices do not have")
    return raw.reindex(dates)


def fill_gaps(raw: pd.DataFrame, what: str, max_ffill: int) -> tuple[pd.DataFrame, RepairLog]:
    """Rules 6-8: forward-fill short interior gaps, report late listings, long gaps, trailing NaN."""
    log = RepairLog()
    v = raw.to_numpy(dtype=np.float64)
    valid = ~np.isnan(v)
    if valid.all():
        return raw, log
    n_rows = v.shape[0]
    ar = np.arange(n_rows)[:, None]
    prev = np.maximum.accumulate(np.where(valid, ar, -1), axis=0)
    nxt = np.minimum.accumulate(np.where(valid, ar, n_rows)[::-1], axis=0)[::-1]
    interior = ~valid & (prev >= 0) & (nxt < n_rows)
    short = (nxt - prev - 1) <= max_ffill
    fill = interior & short
    out = v
    if fill.any():
        out = v.copy()
        r, c = np.nonzero(fill)
        out[r, c] = v[prev[r, c], c]
    starts = interior & (ar == prev + 1)
    short_starts, long_starts = starts & short, starts & ~short
    has, idx, cols = valid.any(axis=0), raw.index, raw.columns
    first = valid.argmax(axis=0)
    last = n_rows - 1 - valid[::-1].argmax(axis=0)
    for j in np.flatnonzero(~has):
        log.add(
            report_label(what, cols[j]),
            None,
            "no valid value up to the last date",
            "kept NaN",
            n_rows,
        )
    for j in np.flatnonzero(has & (first > 0)):
        log.add(
            report_label(what, cols[j]),
            idx[first[j]],
            "late listing: NaN before first valid date",
            "kept NaN",
            first[j],
        )
    n_short = short_starts.sum(axis=0)
    for j in np.flatnonzero(n_short):
        at = idx[int(np.argmax(short_starts[:, j]))]
        issue = f"{fill[:, j].sum()} missing values in interior gaps of <= {max_ffill} rows"
        log.add(report_label(what, cols[j]), at, issue, "forward-filled", n_short[j])
    if n_short.any():
        log.warnings.append(
            f"{what}: forward-filled {fill.sum()} missing values in {n_short.sum()} gaps of at "
            f"most {max_ffill} rows in {format_names(cols[n_short > 0])}"
        )
    n_long = long_starts.sum(axis=0)
    for j in np.flatnonzero(n_long):
        at = idx[int(np.argmax(long_starts[:, j]))]
        log.add(
            report_label(what, cols[j]),
            at,
            f"interior gaps longer than {max_ffill} rows",
            "kept NaN",
            n_long[j],
        )
    trail = n_rows - 1 - last
    for j in np.flatnonzero(has & (trail > 0)):
        stale = trail[j] > max_ffill
        issue = "no value after last valid date" + (" (delisted or stale)" if stale else "")
        action = "kept NaN; last price is NaN" if stale else "kept NaN; last price still used"
        log.add(report_label(what, cols[j]), idx[last[j]], issue, action, trail[j])
    return pd.DataFrame(out, index=idx, columns=cols), log


def label_series(obj: Any, instruments: pd.Index, what: str, log: RepairLog) -> pd.Series:
    """Instrument → label Series from a Series, Mapping or DataFrame (``sector``/``name`` column)."""
    if obj is None:
        return pd.Series(np.nan, index=instruments, dtype=object)
    if isinstance(obj, pd.DataFrame):
        key = what[:-1]  # "sectors" -> "sector", "names" -> "name"
        match = [c for c in obj.columns if str(c).lower() == key]
        if not match and obj.shape[1] != 1:
            raise ValidationError(f"{what}: a DataFrame needs a {key!r} column")
        obj = obj[match[0]] if match else obj.iloc[:, 0]
    s = pd.Series(obj) if isinstance(obj, Mapping) else obj
    if not isinstance(s, pd.Series):
        raise ValidationError(f"{what} must be a Series or a mapping, got {type(obj).__name__}")
    s = s.set_axis(pd.Index([str(i) for i in s.index]))
    if s.index.has_duplicates:
        raise DataError(f"{what}: instrument {s.index[s.index.duplicated()][0]!r} appears twice")
    unknown = s.index.difference(instruments)
    if len(unknown):
        log.add(
            f"({what})",
            None,
            f"{what} given for unknown instruments: {format_names(unknown)}",
            "ignored",
            len(unknown),
        )
        log.warnings.append(
            f"{what} given for unknown instruments ignored: {format_names(unknown)}"
        )
    return s.reindex(instruments).astype(object)


def simple_returns(df: pd.DataFrame | None) -> pd.DataFrame | None:
    if df is None:
        return None
    v = df.to_numpy(dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = v[1:] / v[:-1] - 1.0
    return pd.DataFrame(r, index=df.index[1:], columns=df.columns)


def sectors_and_names(
    sectors: Any, names: Any, instruments: pd.Index, log: RepairLog
) -> tuple[pd.Series, pd.Series]:
    """Sector (:data:`UNKNOWN_SECTOR` when missing: reported and an :class:`InputRepairWarning`)
    and display name (the id when missing)."""
    sect = label_series(sectors, instruments, "sectors", log)
    missing = sect.isna().to_numpy() | (sect.astype(str).str.strip() == "").to_numpy()
    action = f"set to {UNKNOWN_SECTOR!r}"
    consequence = (
        f"(labelled {UNKNOWN_SECTOR!r}): sector limits and sector analytics do not apply to "
        "them; pass sectors=..."
    )
    if sectors is None:
        log.add("(sectors)", None, "no sectors given", action, len(instruments))
        noun = "instrument" if len(instruments) == 1 else "instruments"
        log.notices.append(f"no sectors given for {len(instruments)} {noun} {consequence}")
    else:
        for inst in instruments[missing]:
            log.add(inst, None, "no sector given", action, 1)
        if missing.any():
            log.notices.append(
                f"no sector given for {int(missing.sum())} of {len(instruments)} instruments "
                f"({format_names(instruments[missing])}) {consequence}"
            )
    sect = np.where(missing, UNKNOWN_SECTOR, sect.astype(str))
    nm = label_series(names, instruments, "names", log)
    nm = np.where(nm.isna(), instruments, nm.astype(str))
    return (
        pd.Series(sect, index=instruments, name="sector"),
        pd.Series(nm, index=instruments, name="name"),
    )


def clean_volumes(
    volumes: Any, instruments: pd.Index, dates: pd.DatetimeIndex, log: RepairLog
) -> pd.DataFrame:
    """Volumes (shares) validated by rules 1-3, no negatives, on the market's dates and instruments."""
    vols = validate_frame(volumes, "volumes", log, bad_prices="raise", volumes=True)
    unknown = vols.columns.difference(instruments)
    if len(unknown):
        issue = f"volumes for unknown instruments: {format_names(unknown)}"
        log.add("volumes:(columns)", None, issue, "ignored", len(unknown))
        log.warnings.append(f"volumes for unknown instruments ignored: {format_names(unknown)}")
    return onto_dates(vols, dates, "volumes", log).reindex(columns=instruments)


def _located(message: Any, files: Mapping[str, str]) -> str | None:
    """``message`` with its leading role (``"prices"``) replaced by the file it came from."""
    text = str(message)
    for role, name in files.items():
        if text.startswith((f"{role}:", f"{role} column")):
            return f"{name}{text[len(role) :]}"
        if text.startswith(f"{role} "):
            return f"{name}: {text}"
    return None


class naming_files:
    """Errors and warnings about a role (``"prices"``, ``"sectors"``) name its file instead.

    ``DataError("prices column 'B': ...")`` becomes ``DataError("prices.csv column 'B': ...")``;
    warnings are re-issued after the block under the caller's filters, renamed the same way (a
    class rather than a generator, so that they are attributed to the caller's line).
    """

    def __init__(self, files: Mapping[str, str]) -> None:
        self.files = dict(files)
        self._catch = warnings.catch_warnings(record=True)

    def __enter__(self) -> None:
        self._caught = self._catch.__enter__()
        warnings.simplefilter("always")

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        self._catch.__exit__(kind, exc, tb)
        if isinstance(exc, DataError):
            message = _located(exc, self.files)
            if message is not None:
                raise DataError(message) from None
        if exc is None:
            for w in self._caught:
                warn(_located(w.message, self.files) or str(w.message), w.category)
