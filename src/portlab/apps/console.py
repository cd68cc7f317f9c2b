"""The coordination console: load signals, a portfolio and a policy, tune, coordinate, review.

A Panel page (``FastListTemplate``, light/dark toggle) over one
:class:`~portlab.ui.PolicyModel`; it holds layout and wiring only. Every number comes from
the model (that is, from :class:`portlab.Coordinator`) or from :mod:`portlab.plots`.

Sidebar
    Uploads (signals as JSON Lines or CSV, or pasted; a portfolio JSON; a policy YAML), read
    by :mod:`portlab.apps.uploads`; the policy limits with their hard/soft switches and the
    sizing settings of the notebook policy tuner (:class:`~portlab.widgets.PolicyTuner`);
    "Run coordination"; the downloads.
Main area
    The headline numbers, the decisions (select one to see its sizing waterfall), the
    rejections with their reasons, the exposures against the limits, the allocation editor
    (the anywidget ES module of ``widgets/allocation_editor.js`` run by
    ``panel.custom.AnyWidgetComponent``) and the upload problems, one line each
    (``file:line: field: message``).

When settings apply
    At once, as in the notebook tuner: the model recomputes when a slider is released, a
    switch flipped or an upload read (one coordination each, a few tens of milliseconds on
    the sample). "Run coordination" coordinates again with the current inputs and settings
    (after an error, or to time a run) and says when it ran.

Signals loaded from a file replace the batch and its rebalance requests (the bundled
example's request goes with the example's signals only, as in :func:`portlab.ui.sample_inputs`);
an upload none of whose lines is a valid signal changes nothing and lists its problems.

URL
    When served, the policy limits (the VaR limit too) are kept in the page's query string
    (``?max_position_size=0.03``), so a view can be bookmarked and shared.
"""

from __future__ import annotations

import enum
import html
import io
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import panel as pn
import param

from portlab import plots
from portlab.apps.allocation import AllocationEditorComponent, editor_limits
from portlab.apps.controls import CONTROL_GROUPS, setting_controls
from portlab.apps.design import Page, title_bar
from portlab.apps.session import after_this_update, served
from portlab.apps.tables import Fmt, empty_grid
from portlab.apps.uploads import (
    Loaded,
    invalid_rows,
    read_policy,
    read_portfolio,
    read_signals,
    read_strategy_map,
)
from portlab.engine import Coordinator
from portlab.events import write_jsonl
from portlab.market import Market
from portlab.plots.palette import EDITOR_COLORS
from portlab.state import PortfolioState
from portlab.ui import PolicyModel, current_weights
from portlab.ui.adaptive import adaptation_note, adaptation_rows
from portlab.ui.editor import decision_rows, rejection_rows
from portlab.ui.policy import RULE_SETTINGS
from portlab.ui.targets import UNCHANGED

__all__ = [
    "TITLE",
    "AllocationEditorComponent",
    "CoordinationConsole",
    "Css",
    "UploadKind",
    "coordination_console",
]

TITLE = "portlab · Coordination console"


class Css(enum.StrEnum):
    """CSS classes of the console's elements (what browser tests and style sheets select)."""

    SIGNALS_UPLOAD = "pl-signals-upload"
    SIGNALS_PASTE = "pl-signals-paste"
    LOAD_PASTED = "pl-load-pasted"
    PORTFOLIO_UPLOAD = "pl-portfolio-upload"
    POLICY_UPLOAD = "pl-policy-upload"
    STRATEGY_MAP_UPLOAD = "pl-strategy-map-upload"
    MAX_POSITION = "pl-max-position"
    SIZING_METHOD = "pl-sizing-method"
    ORDER_TYPE = "pl-order-type"
    IMPACT_LIMIT = "pl-impact-limit"
    ADAPTIVE = "pl-adaptive"
    ADAPTATION = "pl-adaptation"
    RUN = "pl-run"
    RUN_STATUS = "pl-run-status"
    HEADLINE = "pl-headline"
    ERROR = "pl-error"
    DECISIONS = "pl-decisions"
    REJECTIONS = "pl-rejections"
    WATERFALL = "pl-waterfall"
    EXPOSURES = "pl-exposures"
    ALLOCATION_EDITOR = "pl-allocation-editor"
    UPLOAD_ERRORS = "pl-upload-errors"
    DOWNLOAD_DECISIONS = "pl-download-decisions"
    DOWNLOAD_REJECTIONS = "pl-download-rejections"


class UploadKind(enum.StrEnum):
    """The inputs a person can load."""

    SIGNALS = "signals"
    PORTFOLIO = "portfolio"
    POLICY = "policy"
    STRATEGY_MAP = "strategy map"


_ERRORS_SHOWN = 200  # upload problems listed in the page; all of them stay in `uploads`
_PAGE_SIZE = 15

# the decisions table: result column -> (title, format or None)
_DECISION_COLUMNS: dict[str, tuple[str, Fmt | None]] = {
    "instrument_id": ("Instrument", None),
    "action": ("Action", None),
    "share_quantity": ("Shares", Fmt.INT),
    "price": ("Price", Fmt.PRICE),
    "trade_amount": ("Amount", Fmt.MONEY),
    "position_size": ("Size (% NAV)", Fmt.PCT),
    "target_position": ("Target (% NAV)", Fmt.PCT),
    "order_type": ("Order", None),
    "time_in_force": ("TIF", None),
    "limit_price": ("Limit price", Fmt.PRICE),
    "market_impact": ("Impact", Fmt.PCT),
    "child_orders": ("Orders", Fmt.INT),
    "origin": ("Origin", None),
    "strategy_id": ("Strategy", None),
    "reasoning": ("Reasoning", None),
}
_ADAPTATION_COLUMNS = {  # adaptation_rows column -> title
    "strategy_id": "Strategy",
    "calibration": "Calibration",
    "kelly_scale": "Kelly scale",
    "tier_shift": "Tier shift",
    "n_outcomes": "Outcomes",
    "stated_p": "Stated p",
    "hit_rate": "Hit rate",
    "beyond_noise": "Beyond noise",
}
_REJECTION_COLUMNS = {
    "id": "Id",
    "instrument_id": "Instrument",
    "strategy_id": "Strategy",
    "reason": "Reason",
    "rule": "Rule",
    "winner_id": "Winner",
    "detail": "Detail",
}


class CoordinationConsole(pn.viewable.Viewer):
    """The coordination console over one :class:`~portlab.ui.PolicyModel`.

    Parameters
    ----------
    market : Market, optional
        Default the bundled sample.
    state : PortfolioState or mapping, optional
        The starting portfolio; default the bundled example's (a portfolio upload replaces it).
    coordinator : Coordinator, optional
        Where the settings start from (default ``portlab.Coordinator()``); a policy upload
        replaces its policy, sizing and risk loop and keeps its resolution and strategies.
    **settings
        Starting values of the model's settings (e.g. ``max_position_size=0.03``).

    Attributes
    ----------
    model : PolicyModel
        Inputs, settings and the last good result.
    view : panel.template.FastListTemplate
        The page.
    uploads : dict of UploadKind to Loaded
        The last upload of each kind, with its problems.
    """

    def __init__(
        self,
        market: Market | None = None,
        state: PortfolioState | Mapping[str, Any] | None = None,
        coordinator: Coordinator | None = None,
        **settings: Any,
    ) -> None:
        super().__init__()
        self.model = PolicyModel(market=market, state=state, coordinator=coordinator, **settings)
        self._base = self.model.coordinator
        self.uploads: dict[UploadKind, Loaded] = {}
        self._selected: str | None = None
        self._editing = False
        self._build_widgets()
        self._reset_editor()
        self.model.param.watch(self._on_result, ["result", "error"])
        self.model.param.watch(self._on_limits, list(self.model.SETTINGS))
        self._on_result()
        self.view = self._template()
        self._sync_url()

    def __panel__(self) -> pn.template.FastListTemplate:
        return self.view

    # -- what a person does (also callable from Python) ----------------------------------------

    def load_signals(self, data: bytes | str, source: str = "pasted") -> Loaded:
        """Read signals (JSON Lines or CSV) and coordinate them (see :func:`read_signals`).

        The valid signals replace the batch (and its rebalance requests) when there is at
        least one; the problems are listed in the page either way.
        """
        loaded = read_signals(data, source)
        self._record(UploadKind.SIGNALS, loaded)
        if loaded.value:
            self.model.param.update(signals=list(loaded.value), rebalance_requests=None)
        return loaded

    def load_portfolio(self, data: bytes | str, source: str = "portfolio.json") -> Loaded:
        """Read a portfolio (seed-004 JSON) and coordinate the batch against it."""
        loaded = read_portfolio(data, source)
        self._record(UploadKind.PORTFOLIO, loaded)
        if loaded.value is not None:
            self.model.set_targets(None)
            self.model.state = loaded.value
            self._reset_editor()
        return loaded

    def load_policy(self, data: bytes | str, source: str = "policy.yaml") -> Loaded:
        """Read a policy YAML (as ``portlab coordinate --policy``); its settings replace the
        controls' values (the console coordinator's other settings, such as its resolution
        and strategies, stay)."""
        loaded = read_policy(data, source)
        self._record(UploadKind.POLICY, loaded)
        if loaded.value is not None:
            self.model.coordinator = self._base.replace(**loaded.value)
        return loaded

    def load_strategy_map(self, data: bytes | str, source: str = "strategies.yaml") -> Loaded:
        """Read a per-instrument strategy map (as ``portlab coordinate --strategy-map``) and
        coordinate under it: a signal from a strategy not mapped to its instrument is
        rejected (UNMAPPED_STRATEGY). The controls keep their values; a later policy upload
        keeps the map."""
        loaded = read_strategy_map(data, source)
        self._record(UploadKind.STRATEGY_MAP, loaded)
        if loaded.value is not None:
            m = self.model
            self._base = self._base.replace(portfolio=loaded.value)
            m.coordinator = m.settings_coordinator().replace(
                portfolio=loaded.value, adaptive=m.adaptive_config()
            )
        return loaded

    def run(self) -> None:
        """Coordinate the batch again with the current inputs and settings."""
        start = time.perf_counter()
        self.model.update()
        ms = 1000 * (time.perf_counter() - start)
        status = "failed" if self.model.error else "ran"
        self._run_status.object = (
            f"Coordination {status} at {time.strftime('%H:%M:%S')} ({ms:,.0f} ms)"
        )

    def select(self, instrument_id: str | None) -> None:
        """Show the sizing waterfall of the decision on ``instrument_id``."""
        self._selected = instrument_id
        self._draw_waterfall()

    def decisions_jsonl(self) -> bytes:
        """The decisions as JSON Lines of ``CoordinatedTradingDecisionEvent``, written by
        :func:`portlab.events.write_jsonl` (one event per line, as ``portlab coordinate``)."""
        events = self.model.result.coordination.events()
        with tempfile.TemporaryDirectory(prefix="portlab-download-") as folder:
            path = Path(folder) / "decisions.jsonl"
            write_jsonl(path, events)
            return path.read_bytes()

    def rejections_csv(self) -> bytes:
        """The rejections (``source``, ``id``, ``reason``, ``rule``, ``detail``, ...) as CSV,
        then the invalid lines of the last signals upload (source UPLOAD, reason INVALID,
        ``id`` the file and line: :func:`~portlab.apps.uploads.invalid_rows`)."""
        rejections = self.model.result.rejections
        upload = self.uploads.get(UploadKind.SIGNALS)
        if upload is not None and upload.errors:
            invalid = pd.DataFrame(invalid_rows(upload), columns=rejections.columns)
            rejections = pd.concat([rejections, invalid], ignore_index=True)
        return rejections.to_csv(index=False).encode("utf-8")

    # -- building the page ----------------------------------------------------------------------

    def _build_widgets(self) -> None:
        m = self.model
        self.signals_upload = pn.widgets.FileInput(
            accept=".jsonl,.json,.csv,.gz",
            css_classes=[Css.SIGNALS_UPLOAD],
            label="Signals (JSON Lines or CSV)",
        )
        self.signals_paste = pn.widgets.TextAreaInput(
            placeholder="or paste JSON Lines (one signal per line) or CSV",
            height=110,
            css_classes=[Css.SIGNALS_PASTE],
        )
        self.load_pasted = pn.widgets.Button(label="Load pasted", css_classes=[Css.LOAD_PASTED])
        self.portfolio_upload = pn.widgets.FileInput(
            accept=".json,.gz", css_classes=[Css.PORTFOLIO_UPLOAD], label="Portfolio (JSON)"
        )
        self.policy_upload = pn.widgets.FileInput(
            accept=".yaml,.yml,.gz",
            css_classes=[Css.POLICY_UPLOAD],
            label="Policy (YAML, optional)",
        )
        self.strategy_map_upload = pn.widgets.FileInput(
            accept=".yaml,.yml",
            css_classes=[Css.STRATEGY_MAP_UPLOAD],
            label="Strategy map (YAML, optional)",
        )
        self.run_button = pn.widgets.Button(
            label="Run coordination", color="primary", css_classes=[Css.RUN]
        )
        self._run_status = pn.pane.Str("", css_classes=[Css.RUN_STATUS], margin=(0, 10))
        self.signals_upload.param.watch(self._on_signals_file, "value")
        self.portfolio_upload.param.watch(self._on_portfolio_file, "value")
        self.policy_upload.param.watch(self._on_policy_file, "value")
        self.strategy_map_upload.param.watch(self._on_strategy_map_file, "value")
        self.load_pasted.on_click(lambda _event: self.load_signals(self.signals_paste.value or ""))
        self.run_button.on_click(lambda _event: self.run())

        self.controls = setting_controls(
            m,
            {
                "max_position_size": Css.MAX_POSITION,
                "method": Css.SIZING_METHOD,
                "default_order_type": Css.ORDER_TYPE,
                "market_impact_limit": Css.IMPACT_LIMIT,
                "adaptive": Css.ADAPTIVE,
            },
        )
        self.adaptation_note = pn.pane.HTML("", sizing_mode="stretch_width")
        self.adaptation = _table(
            _ADAPTATION_COLUMNS,
            Css.ADAPTATION,
            {
                "calibration": Fmt.RATIO,
                "kelly_scale": Fmt.RATIO,
                "tier_shift": Fmt.INT,
                "n_outcomes": Fmt.INT,
                "stated_p": Fmt.PCT,
                "hit_rate": Fmt.PCT,
            },
        )

        self.headline = pn.pane.HTML("", css_classes=[Css.HEADLINE], sizing_mode="stretch_width")
        self.error = pn.pane.Alert("", alert_type="danger", visible=False, css_classes=[Css.ERROR])
        self.decisions = _table(
            {k: v[0] for k, v in _DECISION_COLUMNS.items()},
            Css.DECISIONS,
            {k: v[1] for k, v in _DECISION_COLUMNS.items() if v[1] is not None},
            selectable=1,
        )
        self.decisions.param.watch(self._on_selection, "selection")
        self.rejections = _table(_REJECTION_COLUMNS, Css.REJECTIONS)
        self.waterfall = pn.pane.HoloViews(
            None, css_classes=[Css.WATERFALL], sizing_mode="stretch_width", min_height=320
        )
        self.exposures = pn.pane.HoloViews(
            None, css_classes=[Css.EXPOSURES], sizing_mode="stretch_width"
        )
        self.upload_errors = pn.pane.HTML(
            "<i>No file loaded yet: the bundled example is shown.</i>",
            css_classes=[Css.UPLOAD_ERRORS],
            sizing_mode="stretch_width",
        )
        self.editor = AllocationEditorComponent(
            css_classes=[Css.ALLOCATION_EDITOR], sizing_mode="stretch_width"
        )
        self.editor.param.watch(self._on_targets, "target_weights")
        self.download_decisions = pn.widgets.FileDownload(
            callback=lambda: io.BytesIO(self.decisions_jsonl()),
            filename="decisions.jsonl",
            label="Download decisions (JSON Lines)",
            embed=False,
            css_classes=[Css.DOWNLOAD_DECISIONS],
        )
        self.download_rejections = pn.widgets.FileDownload(
            callback=lambda: io.BytesIO(self.rejections_csv()),
            filename="rejections.csv",
            label="Download rejections (CSV)",
            embed=False,
            css_classes=[Css.DOWNLOAD_REJECTIONS],
        )

    def _template(self) -> pn.template.FastListTemplate:
        groups = [
            item
            for title, names in CONTROL_GROUPS.items()
            for item in (pn.pane.Markdown(f"### {title}"), *(self.controls[n] for n in names))
        ]
        sidebar = [
            pn.pane.Markdown("### Inputs"),
            self.signals_upload,
            self.signals_paste,
            self.load_pasted,
            self.portfolio_upload,
            self.policy_upload,
            self.strategy_map_upload,
            self.run_button,
            self._run_status,
            *groups,
            pn.pane.Markdown("### Downloads"),
            self.download_decisions,
            self.download_rejections,
        ]
        body = pn.Column(
                self.error,
                self.headline,
                pn.pane.Markdown("### Decisions (select one to see its sizing)"),
                self.decisions,
                pn.pane.Markdown("### Sizing of the selected decision"),
                self.waterfall,
                pn.pane.Markdown("### Rejections"),
                self.rejections,
                pn.pane.Markdown("### Adaptation learned from outcomes"),
                self.adaptation_note,
                self.adaptation,
                pn.pane.Markdown("### Upload problems"),
                self.upload_errors,
                pn.pane.Markdown("### Exposures against the limits (before and after)"),
                self.exposures,
                pn.pane.Markdown("### Allocation editor (targets become a rebalance request)"),
                self.editor,
                sizing_mode="stretch_width",
        )  # fmt: skip
        return Page(
            # in a notebook: the title bar, the sidebar's controls beside the results
            notebook_view=pn.Column(
                title_bar(TITLE),
                pn.Row(pn.Column(*sidebar, width=340), body, sizing_mode="stretch_width"),
                sizing_mode="stretch_width",
            ),
            title=TITLE,
            sidebar=sidebar,
            main=[body],
            sidebar_width=340,
            theme_toggle=True,
        )

    def _sync_url(self) -> None:
        """Keep the policy limits in the query string of a served page."""
        location = pn.state.location
        if location is None or not served():
            return
        location.sync(self.model, {name: name for name in RULE_SETTINGS})

    # -- reacting -----------------------------------------------------------------------------

    def _on_signals_file(self, event: param.parameterized.Event) -> None:
        if event.new is not None:
            self.load_signals(event.new, self.signals_upload.filename or "signals.jsonl")

    def _on_portfolio_file(self, event: param.parameterized.Event) -> None:
        if event.new is not None:
            self.load_portfolio(event.new, self.portfolio_upload.filename or "portfolio.json")

    def _on_strategy_map_file(self, event: param.parameterized.Event) -> None:
        if event.new is not None:
            name = self.strategy_map_upload.filename or "strategies.yaml"
            self.load_strategy_map(event.new, name)

    def _on_policy_file(self, event: param.parameterized.Event) -> None:
        if event.new is not None:
            self.load_policy(event.new, self.policy_upload.filename or "policy.yaml")

    def _record(self, kind: UploadKind, loaded: Loaded) -> None:
        self.uploads[kind] = loaded
        self.upload_errors.object = _uploads_html(self.uploads)

    def _show_adaptation(self, state: Any) -> None:
        note = adaptation_note(state, self.model.journal is not None)
        self.adaptation_note.object = f"<p><i>{html.escape(note)}</i></p>"
        self.adaptation.value = adaptation_rows(state).reset_index(drop=True)

    def _on_result(self, *_events: Any) -> None:
        m = self.model
        self.error.object = f"Could not coordinate: {m.error}" if m.error else ""
        self.error.visible = bool(m.error)
        result = m.result
        if result is None:
            return
        self.headline.object = _headline_html(result)
        decisions = result.decisions
        self.decisions.value = decisions.loc[:, list(_DECISION_COLUMNS)].reset_index(drop=True)
        self.rejections.value = result.rejections.loc[:, list(_REJECTION_COLUMNS)].reset_index(
            drop=True
        )
        self._show_adaptation(result.coordination.adaptive_state)
        ids = decisions["instrument_id"].tolist()
        if self._selected not in ids:
            self._selected = ids[0] if ids else None
        self.editor.param.update(
            decisions=decision_rows(decisions),
            rejections=rejection_rows(result.rejections),
            summary=f"{len(decisions)} decisions, {len(result.rejections)} rejected",
            error=m.error or "",
        )
        after_this_update(self._draw_charts)

    def _draw_charts(self) -> None:
        """The waterfall and the exposures (a few hundred ms of bokeh work when served, so a
        served page gets them after the tables have gone out)."""
        m = self.model
        self._draw_waterfall()
        if m.result is not None:
            self.exposures.object = plots.exposures(
                m.state, m.market, m.result.coordinator, m.result.coordination
            )

    def _draw_waterfall(self) -> None:
        result = self.model.result
        if self._selected is None or result is None:
            self.waterfall.object = None
            return
        self.waterfall.object = plots.sizing_waterfall(result.coordination, self._selected)

    def _on_selection(self, event: param.parameterized.Event) -> None:
        rows = event.new
        frame = self.decisions.value
        if rows and frame is not None and rows[0] < len(frame):
            self.select(str(frame["instrument_id"].iloc[rows[0]]))

    def _on_limits(self, *_events: Any) -> None:
        self.editor.limits = editor_limits(self.model)

    def _on_targets(self, event: param.parameterized.Event) -> None:
        """A bar released in the editor: coordinate toward the targets (None when they are
        the current weights, which brings the batch's own rebalance requests back)."""
        if self._editing:
            return
        current = self._current
        changed = {
            iid: float(w)
            for iid, w in (event.new or {}).items()
            if abs(float(w) - float(current.get(iid, 0.0))) > UNCHANGED
        }
        self.model.set_targets(changed or None)

    def _reset_editor(self) -> None:
        """The editor's bars from the model's portfolio, targets at the current weights."""
        m = self.model
        self._current = current_weights(m.state, m.market)
        sectors = m.market.sectors
        self._editing = True
        try:
            self.editor.param.update(
                instruments=[
                    {"id": str(i), "sector": str(sectors.get(i, "Unknown")), "current": float(w)}
                    for i, w in self._current.items()
                ],
                target_weights={str(i): float(w) for i, w in self._current.items()},
                limits=editor_limits(m),
                colors=dict(EDITOR_COLORS),
            )
        finally:
            self._editing = False


def coordination_console(
    market: Market | None = None,
    state: PortfolioState | Mapping[str, Any] | None = None,
    coordinator: Coordinator | None = None,
    **settings: Any,
) -> pn.template.FastListTemplate:
    """The coordination console's page (``CoordinationConsole(...).view``).

    Serve it (``pn.serve(coordination_console)``: one console per browser session) or
    display it in a notebook cell after ``pn.extension("tabulator")``. The parameters are
    :class:`CoordinationConsole`'s.
    """
    return CoordinationConsole(market, state, coordinator, **settings).view


# --------------------------------------------------------------------------- display helpers


def _table(
    titles: Mapping[str, str],
    css: Css,
    formats: Mapping[str, Fmt] | None = None,
    **options: Any,
) -> pn.widgets.Tabulator:
    """A read-only grid with the columns of ``titles`` (name -> title), paged."""
    return empty_grid(titles, formats, page_size=_PAGE_SIZE, css_classes=[css], **options)


def _headline_html(result: Any) -> str:
    counts = result.counts
    traded = float(result.decisions["trade_amount"].sum())
    items = [
        ("decisions taken", f"{counts['decisions']:,d}"),
        ("capital traded", f"${traded:,.0f}"),
        ("signals", f"{counts['total_signals']:,d}"),
        ("accepted", f"{counts['accepted_signals']:,d}"),
        ("resized", f"{counts['resized_signals']:,d}"),
        ("rejected", f"{counts['rejected_signals']:,d}"),
        ("conflicted", f"{counts['conflicted_signals']:,d}"),
    ]
    cells = "".join(
        f'<div style="margin-right:28px"><div style="font-size:{26 if i < 2 else 18}px;'
        f'font-weight:600">{html.escape(v)}</div><div style="opacity:.7">{html.escape(k)}</div>'
        "</div>"
        for i, (k, v) in enumerate(items)
    )
    return f'<div style="display:flex;flex-wrap:wrap;align-items:flex-end">{cells}</div>'


def _uploads_html(uploads: Mapping[UploadKind, Loaded]) -> str:
    parts = []
    for kind, loaded in uploads.items():
        if loaded.value is None:
            what = "not loaded"
        elif kind is UploadKind.SIGNALS:
            what = f"{loaded.count:,d} signals loaded" if loaded.count else "no valid signal"
        else:
            what = "loaded"
        bad = f", {len(loaded.errors):,d} problems" if loaded.errors else ""
        parts.append(f"<div class=\"pl-upload-status\"><b>{html.escape(kind.value)}</b>: {html.escape(loaded.source)} — "
                     f"{what}{bad}</div>")  # fmt: skip
        lines = [*loaded.errors[:_ERRORS_SHOWN], *loaded.warnings]
        if len(loaded.errors) > _ERRORS_SHOWN:
            lines.insert(_ERRORS_SHOWN, f"... and {len(loaded.errors) - _ERRORS_SHOWN:,d} more")
        if lines:
            items = "".join(f"<li><code>{html.escape(line)}</code></li>" for line in lines)
            parts.append(f'<ul style="margin:2px 0 8px">{items}</ul>')
    return "".join(parts)
