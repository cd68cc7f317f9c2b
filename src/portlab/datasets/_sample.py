"""The bundled real sample: 20 US stocks, the S&P 500 index and five factor ETFs (1990-2022)."""

from __future__ import annotations

import functools
from importlib import resources

import pandas as pd

from portlab.market import Market

__all__ = ["load_sample"]

_FILES = {
    "prices": "sp500_dataset.csv.gz",
    "benchmark": "sp500_index.csv.gz",
    "factors": "factors_dataset.csv.gz",
}


def _read(name: str, **kwargs) -> pd.DataFrame:
    path = resources.files("portlab.datasets") / "data" / name
    with path.open("rb") as fh:
        return pd.read_csv(fh, **kwargs)


@functools.lru_cache(maxsize=1)
def _raw_frames() -> dict[str, pd.DataFrame]:
    """Parse the data files once per process (never handed out: ``Market`` copies its inputs)."""
    frames = {
        key: _read(name, compression="gzip", parse_dates=["Date"], index_col="Date")
        for key, name in _FILES.items()
    }
    frames["sectors"] = _read("sectors.csv", index_col="ticker")
    return frames


def load_sample() -> Market:
    """The bundled real market: 20 large US stocks, daily, 1990-01-02 to 2022-12-28.

    Returns
    -------
    Market
        - ``prices``: adjusted daily closes (USD) of AAPL, AMD, BAC, BBY, CVX, GE, HD, JNJ, JPM,
          KO, LLY, MRK, MSFT, PEP, PFE, PG, RRC, UNH, WMT, XOM; 8,313 rows, no missing values.
        - ``benchmark``: the S&P 500 price index (``"SP500"``) on the same dates.
        - ``factors``: prices of the factor ETFs MTUM (momentum), QUAL (quality), SIZE (size),
          USMV (minimum volatility) and VLUE (value), put on the stocks' dates: NaN before they
          start on 2014-01-02 (reported as late listings in ``report``, no warning).
        - ``sectors`` (GICS sector) and ``names`` (company name) from ``sectors.csv``.

        A new ``Market`` on each call, built from files parsed once per process. Prices from
        Yahoo Finance as shipped by skfolio (BSD-3-Clause); see ``datasets/data/README.md``.
    """
    raw = _raw_frames()
    table = raw["sectors"]
    return Market(
        raw["prices"],
        sectors=table["sector"],
        names=table["name"],
        benchmark=raw["benchmark"]["SP500"],
        factors=raw["factors"],
    )
