"""Panel apps for portfolio managers: the PM dashboard and the coordination console.

Both sit on the view-models of :mod:`portlab.ui` and the charts of :mod:`portlab.plots` and
hold layout and wiring only. ``portlab serve`` serves them (:func:`serve`); in a notebook,
display ``pm_dashboard()`` or ``coordination_console()`` in a cell. Panel is imported on
first use, never by ``import portlab``.

======================  ================================================================
:func:`pm_dashboard`     the book, limits, risk, stress, performance, attribution,
                         rebalancing and tax of a portfolio as of a date
:func:`coordination_console`  load signals, a portfolio and a policy; tune, coordinate,
                         review and download the decisions
:func:`sweep_explorer`   a sweep's metric over two parameters; a click opens a scenario
:func:`serve`            the apps and an index page on one server
======================  ================================================================
"""

from portlab.lazy import attach

# submodule -> its public names, imported on first use (portlab.lazy)
__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "dashboard": ["PMDashboard", "pm_dashboard"],
        "console": ["CoordinationConsole", "coordination_console"],
        "server": ["DEFAULT_APPS", "App", "Served", "app_urls", "routes", "serve"],
        "sweep": ["SweepPage", "sweep_explorer"],
    },
)
