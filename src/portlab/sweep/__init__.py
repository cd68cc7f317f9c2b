"""What-if sweeps on Dask distributed: many coordinations, backtests or reports at once, one
row of results per scenario.

A sweep is a grid (every combination of its axes' values) or a list of scenarios of one
:class:`SweepKind`: COORDINATION (policy limits × sizing × resolution × allocation mode ×
signal batch), BACKTEST (strategies × configurations × date splits) or REPORT (report
parameter sets). A scenario is its kind and a flat mapping of parameters (axis name → value:
``policy.max_position_size``, ``sizing.kelly_multiplier``, ``resolution``,
``sizing.allocation``, ``signals``, ``strategy``, ``configuration``, ``split`` ...); its id is
a digest of that content and of the shared inputs it reads, so equal scenarios have equal ids
and a changed input changes them.

:func:`run` sends each scenario to a Dask worker as a task (a local cluster by default, a
scheduler by address, or a given client); the shared inputs travel to every worker once.
Results come back as one DataFrame, written to Parquet as they arrive; a sweep resumes from
its output, skipping the scenarios already done.

======================  ===============================================================
:func:`load_spec`        a sweep spec (YAML) -> :class:`Sweep` (its scenarios and inputs)
:func:`load_inputs`      the shared inputs: market, portfolio, signal batches, strategies,
                         configurations, date splits
:func:`expand`           scenarios of a grid and of a list, checked, with their ids
:func:`run`              run them on Dask: one row per scenario
:func:`scenario_result`  one scenario's full result, again, in this process
:func:`dask_client`      the client :func:`run` uses: a given one, a scheduler by address,
                         or a local cluster set up for sweeps (to reuse across runs)
:func:`parameter_columns`, :func:`metric_columns`  the results' two groups of columns
:func:`cells`, :func:`pivot`  one metric over two parameters (a heatmap's cells)
:func:`read_results`     a results file back
======================  ===============================================================

The spec format is in ``portlab/sweep/examples/*.yaml`` (:func:`example_specs`); a
tutorial is ``notebooks/09_sweeps.ipynb``.
"""

from portlab.lazy import attach

# submodule -> its public names, imported on first use (portlab.lazy): dask, distributed and
# pyarrow load only when a sweep runs
__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "_kinds": ["Status", "SweepKind"],
        "_inputs": ["SignalBatch", "SweepInputs", "load_inputs"],
        "_scenarios": ["HEAD", "Scenario", "expand", "scenario_id"],
        "_results": ["metric_columns", "parameter_columns", "read_results"],
        "_tables": ["METRICS", "cells", "pivot"],
        "_runner": ["run", "scenario_result"],
        "_cluster": ["dask_client", "default_workers"],
        "_spec": ["Sweep", "example_specs", "load_spec"],
    },
)
