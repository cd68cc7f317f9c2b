"""A :class:`~portlab.market.Market` as Parquet files, and back: how a journal stores the
market of its runs (no pickle).

Format ``parquet/1``: each part is a Parquet file (pyarrow, zstd-compressed, the pandas index
kept) held as bytes:

==============  ============================================================================
``prices``      the cleaned prices, dates × instruments (a DatetimeIndex)
``reference``   one row per instrument (the index): ``sector`` and ``name``
``benchmark``   one column, the benchmark's prices on the market's dates (absent: None)
``factors``     factor prices, dates × factors (absent: None)
``volumes``     traded volumes in shares, dates × instruments (absent: None)
``covariance``  the covariance the market was given, instruments × instruments (None when it
                estimates its own)
==============  ============================================================================

and ``settings``, a JSON object: ``max_ffill``, ``periods_per_year`` and ``benchmark_name``.
The cleaned data are a fixed point of the market's cleaning rules, so the market rebuilt from
them holds the same data (same :func:`~portlab.fingerprints.market_fingerprint`) and
coordinates identically; its cleaning :attr:`~portlab.market.Market.report` starts empty.

Examples
--------
>>> from portlab.datasets import load_sample
>>> from portlab.fingerprints import market_fingerprint
>>> market = load_sample()
>>> parts = market_to_parquet(market)
>>> sorted(k for k, v in parts.items() if v is not None)
['benchmark', 'factors', 'prices', 'reference', 'settings']
>>> market_fingerprint(market_from_parquet(parts)) == market_fingerprint(market)
True
"""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd

from portlab.fingerprints import given_covariance
from portlab.journal.parquet import PARQUET_FORMAT, from_parquet, to_parquet
from portlab.market import Market

__all__ = ["MARKET_FORMAT", "MARKET_PARTS", "market_from_parquet", "market_to_parquet"]

MARKET_FORMAT = PARQUET_FORMAT
#: the Parquet parts of a stored market, in the ``markets`` table's column order
MARKET_PARTS = ("prices", "reference", "benchmark", "factors", "volumes", "covariance")


def market_to_parquet(market: Market) -> dict[str, Any]:
    """``market``'s parts as Parquet bytes (None for absent parts) and its ``settings``.

    Parameters
    ----------
    market : Market

    Returns
    -------
    dict
        Keys :data:`MARKET_PARTS` (bytes or None) and ``settings`` (a JSON-ready dict).
    """
    benchmark = market.benchmark
    reference = pd.DataFrame(
        {"sector": market.sectors.astype(object), "name": market.names.astype(object)}
    )
    reference.index = pd.Index(market.instruments.astype(object), name="instrument")
    parts = {
        "prices": to_parquet(market.prices),
        "reference": to_parquet(reference),
        "benchmark": None if benchmark is None else to_parquet(benchmark.to_frame("benchmark")),
        "factors": _optional(market.factors),
        "volumes": _optional(market.volumes),
        "covariance": _optional(given_covariance(market)),
    }
    name = None if benchmark is None else benchmark.name
    parts["settings"] = {
        "max_ffill": market.max_ffill,
        "periods_per_year": market.periods_per_year,
        "benchmark_name": None if name is None else str(name),
    }
    return parts


def market_from_parquet(parts: dict[str, Any]) -> Market:
    """The market :func:`market_to_parquet` stored.

    Parameters
    ----------
    parts : dict
        Keys :data:`MARKET_PARTS` (bytes or None) and ``settings`` (a dict).

    Returns
    -------
    Market
        Built with the repair warnings of its cleaning silenced (the data were cleaned
        when first given).
    """
    settings = parts["settings"]
    reference = from_parquet(parts["reference"])
    benchmark = None
    if parts.get("benchmark") is not None:
        benchmark = from_parquet(parts["benchmark"]).iloc[:, 0].rename(settings["benchmark_name"])
    covariance = parts.get("covariance")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Market(
            from_parquet(parts["prices"]),
            sectors=reference["sector"],
            names=reference["name"],
            benchmark=benchmark,
            factors=None if parts.get("factors") is None else from_parquet(parts["factors"]),
            volumes=None if parts.get("volumes") is None else from_parquet(parts["volumes"]),
            covariance=None if covariance is None else from_parquet(covariance),
            max_ffill=int(settings["max_ffill"]),
            periods_per_year=int(settings["periods_per_year"]),
        )


def _optional(frame: pd.DataFrame | None) -> bytes | None:
    return None if frame is None else to_parquet(frame)
