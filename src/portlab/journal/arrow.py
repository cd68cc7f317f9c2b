"""Column tables as Arrow IPC bytes and back (pyarrow, imported only here): the journal's
format for what every run writes whole (its sizing waterfall), where writing speed counts.

An Arrow IPC stream holds the columns as they are in memory: no Parquet encoding and no
pandas conversion on the way in (about five times cheaper to write than the Parquet of the
same DataFrame), lz4-compressed. Numbers keep their type; a column of Python objects is typed
by pyarrow (numbers with ``None`` or NaN read back as float64 with NaN, text with ``None`` or
NaN as text with missing values); one that holds values of several kinds is written as text.

Examples
--------
>>> import numpy as np
>>> table = {
...     "name": np.array(["a", np.nan], dtype=object),
...     "size": np.array([0.5, np.inf]),
...     "steps": np.array([3, None], dtype=object),
...     "gone": np.array([np.nan, None], dtype=object),
...     "ok": np.array([True, False]),
... }
>>> frame = from_arrow(to_arrow(table))
>>> frame["size"].tolist(), frame["steps"].tolist(), frame["ok"].tolist()
([0.5, inf], [3.0, nan], [True, False])
>>> frame["gone"].dtype
dtype('float64')
>>> frame["name"].isna().tolist()
[False, True]
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["ARROW_FORMAT", "from_arrow", "to_arrow"]

#: the value of the ``format`` column of what is stored with :func:`to_arrow`
ARROW_FORMAT = "arrow-ipc/1"


def to_arrow(table: Mapping[str, np.ndarray]) -> bytes:
    """``table`` (column name to a 1-D array, all of one length) as the bytes of an Arrow IPC
    stream, lz4-compressed; column names written as text."""
    import pyarrow as pa
    import pyarrow.ipc as ipc

    arrays = [_column(pa, np.asarray(values)) for values in table.values()]
    batch = pa.table(arrays, names=[str(name) for name in table])
    sink = pa.BufferOutputStream()
    options = ipc.IpcWriteOptions(compression="lz4")
    with ipc.new_stream(sink, batch.schema, options=options) as writer:
        writer.write_table(batch)
    return sink.getvalue().to_pybytes()


def from_arrow(data: bytes | memoryview) -> pd.DataFrame:
    """The columns :func:`to_arrow` wrote, as a DataFrame with a RangeIndex."""
    import pyarrow as pa
    import pyarrow.ipc as ipc

    return ipc.open_stream(pa.BufferReader(bytes(data))).read_all().to_pandas()


def _column(pa, values: np.ndarray):
    if values.dtype != object:
        return pa.array(values)
    # NaN first as a number (a column of NaN and None is float64, as pandas infers it), then
    # as missing (text with NaN), then values of several kinds as text
    for from_pandas in (False, True):
        try:
            return pa.array(values, from_pandas=from_pandas)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            continue
    text = [v if v is None or isinstance(v, str) else str(v) for v in values]
    return pa.array(text, type=pa.string())
