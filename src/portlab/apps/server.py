"""Serving the apps: ``portlab serve`` and :func:`serve` (Panel's server, Bokeh's Tornado).

One process serves an index page and both apps. The inputs (market, portfolio, policy) are
loaded once and shared read-only by every session (the engine and the analytics never modify
their inputs); each browser tab gets its own session and its own view-models, so two people
tuning different policies never see each other's changes. Results are shared between
sessions through one :class:`~portlab.ui.OutcomeCache`: the second visitor asking for the
same view gets it without recomputing.

Security defaults: bound to 127.0.0.1; the websocket accepts only pages served from the
address it is bound to (Bokeh's origin check); ``basic_auth`` (a JSON file of users and
passwords, Panel's basic authentication) for a shared host; uploads above
:data:`~portlab.apps.uploads.MAX_UPLOAD_BYTES` are refused (the console says so), and a
message above :data:`MAX_MESSAGE_BYTES` never reaches Python (the websocket's limit).
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from portlab.apps.uploads import MAX_UPLOAD_BYTES as UPLOAD_LIMIT

if TYPE_CHECKING:  # the command line's parser reads this module's defaults: keep it light
    import pandas as pd

    from portlab.engine import Coordinator
    from portlab.market import Market
    from portlab.state import PortfolioState

__all__ = [
    "DEFAULT_ADDRESS",
    "DEFAULT_APPS",
    "DEFAULT_PORT",
    "MAX_MESSAGE_BYTES",
    "App",
    "Served",
    "app_urls",
    "chosen_apps",
    "routes",
    "serve",
]

#: where ``portlab serve`` listens unless told otherwise: this machine only
DEFAULT_ADDRESS = "127.0.0.1"
#: Panel's and Bokeh's usual port
DEFAULT_PORT = 5006
#: the largest websocket message a browser may send: an uploaded file travels in one,
#: base64-encoded (4 bytes per 3), so an upload at the console's limit
#: (:data:`portlab.apps.uploads.MAX_UPLOAD_BYTES`) fits with room for the message around it
MAX_MESSAGE_BYTES = UPLOAD_LIMIT * 4 // 3 + 1024 * 1024


class App(enum.StrEnum):
    """The apps ``portlab serve`` serves, by URL path."""

    DASHBOARD = "dashboard"
    CONSOLE = "console"
    #: the sweep explorer: served when a sweep's results are given
    SWEEP = "sweep"


#: the apps served by default (the sweep explorer needs a sweep's results)
DEFAULT_APPS = (App.DASHBOARD, App.CONSOLE)
#: the title of each app (index page, browser tab, JupyterLab launcher)
TITLES = {
    App.DASHBOARD: "portlab PM dashboard",
    App.CONSOLE: "portlab coordination console",
    App.SWEEP: "portlab sweep explorer",
}


@dataclass(frozen=True)
class Served:
    """A running server: its Bokeh/Tornado server object and the URL of each app."""

    server: Any
    urls: dict[App, str]

    def stop(self) -> None:
        """Stop the server (a threaded one: its thread ends)."""
        self.server.stop()


def routes(
    market: Market | None = None,
    state: PortfolioState | None = None,
    coordinator: Coordinator | None = None,
    apps: tuple[App, ...] | None = None,
    warm: bool = False,
    *,
    sweep_results: pd.DataFrame | None = None,
    sweep: Any = None,
    journal: str | Path | None = None,
) -> dict[str, Callable[[], Any]]:
    """URL path -> a function building that app for one session.

    Parameters
    ----------
    market, state, coordinator
        The inputs every session starts from (default the bundled sample and the default
        policy); shared, never modified.
    apps : tuple of App, optional
        Which apps to serve (default the dashboard and the console, and the sweep explorer
        when ``sweep_results`` are given).
    warm : bool
        Compute the dashboard's default view (every section, its charts rendered) now, into
        the caches the sessions share, so that the first visitor does not wait for it.
    sweep_results : DataFrame, optional
        A sweep's results (:func:`portlab.sweep.read_results`) for the sweep explorer.
    sweep : Sweep, optional
        The sweep that made them (:func:`portlab.sweep.load_spec`): the explorer then opens
        a clicked scenario's decisions.
    journal : str or Path, optional
        A decision journal (SQLite file or ``postgresql://...``) whose latest decisions the
        dashboard shows, and whose realized outcomes the console's adaptation learns from.

    Raises
    ------
    ValidationError
        The sweep explorer asked for without ``sweep_results``.
    """
    from portlab.apps.session import FirstViews
    from portlab.engine import Coordinator
    from portlab.exceptions import ValidationError
    from portlab.ui import OutcomeCache, sample_inputs

    if market is None or state is None:
        sample = sample_inputs()
        market = market if market is not None else sample.market
        state = state if state is not None else sample.state
    # one coordinator object and one cache for every session: a result computed for one
    # session's settings serves the next session asking for the same ones
    shared = {
        "market": market,
        "state": state,
        "coordinator": Coordinator() if coordinator is None else coordinator,
        "cache": OutcomeCache(),
    }
    # the dashboard's charts rendered once per result for every session (portlab.apps.charts)
    charts = OutcomeCache(maxsize=256)
    # visitors opening the dashboard together see their first views before the hidden tabs
    first_views = FirstViews()

    def dashboard() -> Any:
        from portlab.apps.dashboard import pm_dashboard

        return pm_dashboard(**shared, charts=charts, journal=journal, first_views=first_views)

    def console() -> Any:
        from portlab.apps.console import coordination_console

        return coordination_console(**shared, journal=journal)

    def sweep_page() -> Any:
        from portlab.apps.sweep import sweep_explorer

        return sweep_explorer(sweep_results, sweep)

    apps = chosen_apps(apps, sweep_results is not None)
    if App.SWEEP in apps and sweep_results is None:
        raise ValidationError("the sweep explorer needs a sweep's results (--sweep FILE)")
    if warm and App.DASHBOARD in apps:
        from portlab.apps.dashboard import PMDashboard

        PMDashboard(**shared, charts=charts, static_charts=True, journal=journal).draw_all()
    builders = {App.DASHBOARD: dashboard, App.CONSOLE: console, App.SWEEP: sweep_page}
    return {app.value: builders[app] for app in apps}


def chosen_apps(apps: tuple[App, ...] | None, with_sweep: bool) -> tuple[App, ...]:
    """The apps to serve: ``apps``, or by default the dashboard and the console, and the
    sweep explorer when a sweep is given."""
    if apps is not None:
        return tuple(apps)
    return (*DEFAULT_APPS, App.SWEEP) if with_sweep else DEFAULT_APPS


def app_urls(address: str, port: int, prefix: str = "") -> dict[App, str]:
    """The URL of each app served at ``address:port`` (under ``prefix``)."""
    host = f"[{address}]" if ":" in address else address
    base = f"http://{host}:{port}/{prefix.strip('/')}".rstrip("/")
    return {app: f"{base}/{app.value}" for app in App}


def serve(
    market: Market | None = None,
    state: PortfolioState | None = None,
    coordinator: Coordinator | None = None,
    *,
    port: int = DEFAULT_PORT,
    address: str = DEFAULT_ADDRESS,
    prefix: str = "",
    websocket_origins: list[str] | None = None,
    basic_auth: str | Path | None = None,
    apps: tuple[App, ...] | None = None,
    show: bool = False,
    threaded: bool = False,
    num_procs: int = 1,
    warm: bool = True,
    sweep_results: pd.DataFrame | None = None,
    sweep: Any = None,
    journal: str | Path | None = None,
) -> Served:
    """Serve the index page and the apps.

    Parameters
    ----------
    market, state, coordinator
        As for :func:`routes`.
    port : int, default 5006
        The port (a free one: a port in use fails with ``OSError``).
    address : str, default "127.0.0.1"
        The interface to listen on; "0.0.0.0" for every interface (then protect it with
        ``basic_auth``).
    prefix : str
        A URL prefix (behind a proxy such as jupyter-server-proxy).
    websocket_origins : list of str, optional
        ``host[:port]`` values a page may be served from; default the address and port
        served (and ``localhost`` for 127.0.0.1).
    basic_auth : str or Path, optional
        A JSON file ``{"user": "password", ...}``: every page asks for a login.
    apps : tuple of App, optional
        Which apps (default: see :func:`routes`).
    show : bool
        Open the index page in a browser.
    threaded : bool
        Run the server in a thread and return at once (tests, notebooks); otherwise this
        call blocks until the server stops.
    num_procs : int, default 1
        Server processes sharing the port (Bokeh's ``num_procs``; POSIX only, not with
        ``threaded`` or ``show``): a team's server on several cores. Each process serves its
        own sessions; the inputs and the warmed view are computed once, before the fork.
    warm : bool, default True
        Compute the dashboard's default view before serving (:func:`routes`): a few seconds
        more at start, none for the first visitor.
    sweep_results, sweep
        A sweep for the sweep explorer (:func:`routes`).
    journal : str or Path, optional
        A decision journal for the dashboard (:func:`routes`).

    Returns
    -------
    Served
    """
    import panel as pn

    from portlab.exceptions import ValidationError

    if num_procs < 1:
        raise ValidationError(f"num_procs={num_procs}: at least one server process")
    if num_procs > 1 and (threaded or show):
        raise ValidationError(
            f"num_procs={num_procs}: several server processes cannot run in a thread "
            "(threaded) nor each open a browser (show)"
        )
    if websocket_origins is None:
        websocket_origins = _origins(address, port)
    options: dict[str, Any] = {}
    if basic_auth is not None:
        options |= {"basic_auth": str(basic_auth), "cookie_secret": secrets.token_hex(32)}
    apps = chosen_apps(apps, sweep_results is not None)
    server = pn.serve(
        routes(
            market,
            state,
            coordinator,
            apps,
            warm=warm,
            sweep_results=sweep_results,
            sweep=sweep,
            journal=journal,
        ),  # fmt: skip
        port=port,
        address=address,
        prefix=prefix,
        websocket_origin=websocket_origins,
        websocket_max_message_size=MAX_MESSAGE_BYTES,
        show=show,
        threaded=threaded,
        num_procs=num_procs,
        # Panel says where it listens after the fork: once from each of several processes
        verbose=num_procs == 1,
        title={app.value: TITLES[app] for app in apps},
        **options,
    )
    return Served(server, app_urls(address, port, prefix))


def _origins(address: str, port: int) -> list[str]:
    """The pages a websocket may come from: the address served (and its loopback aliases)."""
    hosts = {address}
    if address in {"127.0.0.1", "localhost"}:
        hosts |= {"127.0.0.1", "localhost"}
    return sorted(f"{h}:{port}" for h in hosts)
