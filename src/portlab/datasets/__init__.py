"""Market data to work with: the bundled real sample and synthetic markets of any size.

- :func:`load_sample`: 20 large US stocks, daily adjusted closes 1990-2022, with the S&P 500 index
  as benchmark, five factor ETFs, GICS sectors and company names -- shipped inside the package, so
  it works offline.
- :func:`synthetic`: a reproducible factor-model market (hundreds to thousands of instruments)
  whose true covariance is attached, for scale tests and demos.
- :func:`example_batch`: a bundled batch of signals, a rebalance request and a portfolio dated
  on the sample's last day, the input of ``portlab demo``.
- :func:`example_paths`: the bundled example files, among them ``example_paths()["policy"]``,
  a commented engine configuration with every setting at its default and its unit, to copy
  and edit for :meth:`portlab.Coordinator.from_yaml`.
"""

from __future__ import annotations

from portlab.datasets._examples import ExampleBatch, example_batch, example_paths
from portlab.datasets._sample import load_sample
from portlab.datasets._synthetic import synthetic

__all__ = ["ExampleBatch", "example_batch", "example_paths", "load_sample", "synthetic"]
