"""DataFrames as Parquet bytes and back (pyarrow, imported only here): the journal's format
for the tables it stores whole (a market's parts, a run's sizing waterfall).

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"x": [1.5, float("inf")], "ok": [True, False]}, index=["a", "b"])
>>> from_parquet(to_parquet(frame)).equals(frame)
True
>>> from_parquet(to_parquet(pd.DataFrame({"mixed": [1.5, "a", None]})))["mixed"].tolist()[:2]
['1.5', 'a']
"""

from __future__ import annotations

import pandas as pd

__all__ = ["PARQUET_FORMAT", "from_parquet", "to_parquet"]

#: the value of the ``format`` column of what is stored with :func:`to_parquet`
PARQUET_FORMAT = "parquet/1"


def to_parquet(frame: pd.DataFrame, compression: str = "zstd") -> bytes:
    """``frame`` as the bytes of a Parquet file (its index and dtypes kept in the pandas
    metadata; column labels written as text), compressed with ``compression`` (a Parquet
    codec: ``"zstd"`` for what is stored once and kept, ``"lz4"`` where writing speed
    counts; the file names its codec, so :func:`from_parquet` reads either).

    Columns of Python objects are typed first (``infer_objects``: floats held as objects
    come back as float64); one that holds values of several kinds is written as text.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = frame.infer_objects()
    frame.columns = pd.Index([str(c) for c in frame.columns], dtype=object)
    try:
        table = pa.Table.from_pandas(frame, preserve_index=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        frame = frame.copy()
        for name in [c for c in frame.columns if pd.api.types.is_object_dtype(frame[c])]:
            frame[name] = [v if v is None or isinstance(v, str) else str(v) for v in frame[name]]
        table = pa.Table.from_pandas(frame, preserve_index=True)
    sink = pa.BufferOutputStream()
    pq.write_table(
        table, sink, compression=compression, use_dictionary=False, write_statistics=False
    )
    return sink.getvalue().to_pybytes()


def from_parquet(data: bytes | memoryview) -> pd.DataFrame:
    """The DataFrame :func:`to_parquet` wrote."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    return pq.read_table(pa.BufferReader(bytes(data))).to_pandas()
