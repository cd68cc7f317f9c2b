"""Reproducible reports: parameterized notebooks in ``templates/`` run by papermill into
self-contained HTML.

A template holds narrative, a ``parameters`` cell and calls into portlab (the view-models of
:mod:`portlab.ui`, the charts of :mod:`portlab.plots`); it does no finance math of its own.
:func:`run` checks the parameters against the template's (papermill's notebook inspection),
executes it in the current environment's kernel and renders it with nbconvert, inputs
hidden, BokehJS inlined once: the HTML opens offline.

======================  ================================================================
:func:`run`              execute a template with parameters, write the HTML (and the notebook)
:func:`run_batch`        one report per parameter set, on a process pool, with a status table
:func:`templates`        the templates shipped, by name
:func:`load_inputs`      a report's market, portfolio and coordinator from its parameters
:func:`fingerprint`      a short digest of the data a report read, printed in its header
:func:`load_batch`       a coordination report's signals and rebalance requests (valid lines)
:func:`history_window`   the trading days from a report's start date to its end
:func:`chart`            a chart as plain Bokeh in the page (no Panel stylesheet from a CDN)
:func:`show`             a table with its columns formatted (percent, dollars) and titled
======================  ================================================================
"""

from portlab.lazy import attach

# submodule -> its public names, imported on first use (portlab.lazy)
__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "catalog": ["Template", "template_dirs", "templates", "find_template"],
        "inputs": [
            "ReportBatch",
            "ReportInputs",
            "fingerprint",
            "history_window",
            "load_batch",
            "load_coordinator",
            "load_inputs",
        ],
        "runner": ["Parameter", "check_parameters", "run"],
        "render": ["chromium", "to_html", "to_pdf"],
        "figures": ["chart", "setup"],
        "tables": ["MONEY", "column_title", "show", "styled"],
        "batch": ["BATCH_COLUMNS", "REPORTS_PER_CPU", "run_batch"],
    },
)
