"""The allocation editor: drag target weights, see the engine's decisions beside them.

One bar per instrument, grouped by sector; a person drags a bar to set its target weight (a
fraction of NAV). The position cap, the sector caps and the leverage limit are drawn, and a
breach turns red while the bar moves: that check runs in the browser, at frame rate, from the
limits this module sends (no engine call while dragging). When the bar is released the
front end sets :attr:`AllocationEditor.target_weights`; Python then builds one
:class:`~portlab.events.RebalanceRequestEvent` from the move (:func:`target_request`) and
:class:`portlab.Coordinator` turns it into decisions, shown beside the bars. The widget holds
no finance math: the decisions, their sizes and their reasons are the engine's.

The browser side is one plain ES module and its CSS (``allocation_editor.js`` / ``.css``),
written to anywidget's ``render({model, el})`` contract, so the same files also run in Panel
through ``panel.custom.AnyWidgetComponent``. :func:`asset_path` finds them both in an
installed wheel (``portlab/widgets/assets/``) and in a source tree installed with
``pip install -e .`` (the repository's top-level ``widgets/``).

:func:`current_weights` and :func:`target_request` are :mod:`portlab.ui.targets`'s (they are
not widget code: the policy tuner uses them too); they stay importable from here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anywidget
import pandas as pd
import traitlets

from portlab.engine import CoordinationResult, Coordinator, Policy
from portlab.events import RebalanceRequestEvent
from portlab.exceptions import DataError, PortlabError
from portlab.market import Market
from portlab.plots.palette import EDITOR_COLORS, NEAR_LIMIT, LimitStatus, limit_status
from portlab.state import PortfolioState
from portlab.ui import current_weights, one_line, sample_inputs, target_request
from portlab.ui.codegen import coordinator_code, inputs_code, literal, script
from portlab.ui.editor import decision_rows, rejection_rows
from portlab.ui.targets import UNCHANGED

__all__ = [
    "ASSET_NAMES",
    "AllocationEditor",
    "Breach",
    "asset_dirs",
    "asset_path",
    "breaches",
    "current_weights",
    "target_request",
]

#: the front-end files of the allocation editor
ASSET_NAMES = ("allocation_editor.js", "allocation_editor.css")


def asset_dirs() -> tuple[Path, ...]:
    """Folders searched for the front-end files, in order.

    ``portlab/widgets/assets`` inside the installed package (where the wheel puts the
    repository's ``widgets/``), then the repository's top-level ``widgets/`` (a source tree,
    ``pip install -e .``).
    """
    here = Path(__file__).resolve().parent
    return (here / "assets", here.parents[2] / "widgets")


def asset_path(name: str, dirs: Sequence[Path] | None = None) -> Path:
    """The path of the front-end file ``name`` (e.g. ``"allocation_editor.js"``).

    Parameters
    ----------
    name : str
        File name inside the assets folder.
    dirs : sequence of Path, optional
        Folders to search, in order; default :func:`asset_dirs`.

    Returns
    -------
    Path
        The first existing file.

    Raises
    ------
    DataError
        No folder has the file (a broken installation), naming the folders searched.

    Examples
    --------
    >>> asset_path("allocation_editor.js").name
    'allocation_editor.js'
    """
    searched = tuple(dirs) if dirs is not None else asset_dirs()
    for folder in searched:
        path = folder / name
        if path.is_file():
            return path
    where = ", ".join(str(d) for d in searched)
    raise DataError(f"portlab widget file {name!r} not found in {where}; reinstall portlab")


@dataclass(frozen=True)
class Breach:
    """A target weight, sector or leverage at or above a limit.

    Attributes
    ----------
    rule : str
        ``"position"``, ``"sector"`` or ``"leverage"``.
    where : str
        The instrument or sector ('' for leverage).
    value, limit : float
        The measure and its limit (fractions of NAV; leverage a multiple).
    status : LimitStatus
        NEAR, OVER_SOFT or OVER_HARD (:func:`portlab.plots.palette.limit_status`).
    """

    rule: str
    where: str
    value: float
    limit: float
    status: LimitStatus


def breaches(
    targets: Mapping[str, float], sectors: Mapping[str, str], policy: Policy
) -> list[Breach]:
    """The limits that ``targets`` reach or exceed, as the editor colours them.

    The measures are the policy's: ``|weight|`` of each instrument against
    ``max_position_size``, the sum of ``|weight|`` of each sector against
    ``max_sector_exposure``, the sum of all ``|weight|`` against ``max_leverage``. The
    browser computes the same while a bar moves.

    Parameters
    ----------
    targets : mapping of str to float
        Target weights, fractions of NAV.
    sectors : mapping of str to str
        Instrument -> sector (missing: ``"Unknown"``).
    policy : Policy

    Returns
    -------
    list of Breach
        Only the measures that are near (>= 90% of) or over their limit; over-limit first.
    """
    weights = pd.Series(dict(targets), dtype=float)
    gross = weights.abs()
    by_sector = gross.groupby([str(sectors.get(i, "Unknown")) for i in gross.index]).sum()
    rules = (
        ("position", policy.max_position_size, gross),
        ("sector", policy.max_sector_exposure, by_sector),
        ("leverage", policy.max_leverage, pd.Series({"": gross.sum()})),
    )
    found = []
    for name, rule, values in rules:
        for where, value in values.items():
            status = limit_status(float(value), rule.limit, hard=rule.hard)
            if status is not LimitStatus.WITHIN:
                found.append(Breach(name, str(where), float(value), rule.limit, status))
    order = {LimitStatus.OVER_HARD: 0, LimitStatus.OVER_SOFT: 1, LimitStatus.NEAR: 2}
    return sorted(found, key=lambda b: order[b.status])


class AllocationEditor(anywidget.AnyWidget):
    """Drag target weights per instrument; the engine's decisions appear beside the bars.

    Parameters
    ----------
    market : Market, optional
        Default the bundled sample (:func:`portlab.datasets.load_sample`).
    state : PortfolioState or mapping, optional
        The current portfolio; default the bundled example's.
    coordinator : Coordinator, optional
        Default ``portlab.Coordinator()`` (the default policy). Its policy's limits are drawn.
    targets : mapping of str to float, optional
        Starting target weights (fractions of NAV); default the current weights.
    max_turnover : float, default 1.0
        ``max_turnover`` of the request built from the targets (fraction of NAV).

    Attributes
    ----------
    target_weights : dict of str to float
        Synced with the browser: set by a release of a bar, or from Python. Each change
        recomputes :attr:`result`.
    from_sample : frozenset of str
        The inputs taken from the bundled sample (for :meth:`to_code`).
    result : CoordinationResult or None
        The engine's answer to the last good request (None when the targets equal the
        current weights).
    request : RebalanceRequestEvent or None
        The request built from the targets.
    error : str
        '' or a one-line message when the last change could not be coordinated (the last
        good result is kept).

    Examples
    --------
    >>> editor = AllocationEditor()
    >>> editor.target_weights = {**editor.target_weights, "LLY": 0.03}
    >>> [(d["instrument"], d["action"]) for d in editor.decisions]
    [('LLY', 'BUY')]
    """

    _esm = asset_path(ASSET_NAMES[0])
    _css = asset_path(ASSET_NAMES[1])

    instruments = traitlets.List(traitlets.Dict()).tag(sync=True)
    target_weights = traitlets.Dict(value_trait=traitlets.Float()).tag(sync=True)
    limits = traitlets.Dict().tag(sync=True)
    colors = traitlets.Dict().tag(sync=True)
    decisions = traitlets.List(traitlets.Dict()).tag(sync=True)
    rejections = traitlets.List(traitlets.Dict()).tag(sync=True)
    summary = traitlets.Unicode("").tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    busy = traitlets.Bool(False).tag(sync=True)

    def __init__(
        self,
        market: Market | None = None,
        state: PortfolioState | Mapping[str, Any] | None = None,
        coordinator: Coordinator | None = None,
        *,
        targets: Mapping[str, float] | None = None,
        max_turnover: float = 1.0,
        **kwargs: Any,
    ) -> None:
        inputs = sample_inputs(market=market, state=state, signals=[])
        self.market = inputs.market
        self.state = inputs.state
        self.coordinator = coordinator if coordinator is not None else Coordinator()
        self.max_turnover = float(max_turnover)
        self.current = current_weights(self.state, self.market)
        self.sectors = {
            str(i): str(self.market.sectors.get(i, "Unknown")) for i in self.current.index
        }
        self.from_sample = inputs.from_sample
        self.result: CoordinationResult | None = None
        self.request: RebalanceRequestEvent | None = None
        policy = self.coordinator.policy
        start = {str(k): float(v) for k, v in self.current.items()}
        super().__init__(
            instruments=[
                {"id": str(i), "sector": self.sectors[str(i)], "current": float(w)}
                for i, w in self.current.items()
            ],
            limits={
                "position": _rule(policy.max_position_size),
                "sector": _rule(policy.max_sector_exposure),
                "leverage": _rule(policy.max_leverage),
                "allow_short": bool(policy.allow_short),
                "near": NEAR_LIMIT,
            },
            colors=dict(EDITOR_COLORS),
            target_weights=start,
            **kwargs,
        )
        self.observe(self._recompute, names="target_weights")
        if targets:
            self.target_weights = {**start, **{str(k): float(v) for k, v in targets.items()}}
        else:
            self._recompute()

    def to_code(self) -> str:
        """A Python script that reproduces :attr:`result` from the current targets.

        Inputs taken from the bundled sample are loaded; a ``market`` or ``state`` given to
        the editor is expected as a variable of that name. Only the targets that differ from
        the current weights are written (floats by ``repr``: the script gives the same
        numbers to the last bit).
        """
        imports, inputs = inputs_code(("market", "state"), self.from_sample, "AllocationEditor")
        changed = {
            iid: w
            for iid, w in self.target_weights.items()
            if abs(w - float(self.current.get(iid, 0.0))) > UNCHANGED
        }
        body = [
            *coordinator_code(self.coordinator),
            "current = current_weights(state, market)",
            f"targets = {literal(changed, 0, len('targets = '))}",
            "request = target_request(",
            f"    targets, current, timestamp=market.dates[-1], max_turnover={self.max_turnover!r}",
            ")",
            "requests = [request] if request is not None else None",
            "result = coordinator.coordinate(None, state, market, requests)",
            "result.decisions",
        ]
        imports = [
            "import portlab",
            *imports,
            "from portlab.widgets.allocation_editor import current_weights, target_request",
        ]
        return script(imports, inputs, body)

    @property
    def breaches(self) -> list[Breach]:
        """The limits the current targets reach or exceed (:func:`breaches`)."""
        return breaches(self.target_weights, self.sectors, self.coordinator.policy)

    def _recompute(self, _change: Any = None) -> None:
        self.busy = True
        try:
            request = target_request(
                self.target_weights,
                self.current,
                timestamp=self.market.dates[-1],
                max_turnover=self.max_turnover,
            )
            if request is None:
                result = None
            else:
                result = self.coordinator.coordinate(None, self.state, self.market, [request])
        except PortlabError as err:
            self.error = one_line(err)
            return
        finally:
            self.busy = False
        self.request, self.result, self.error = request, result, ""
        if result is None:
            self.decisions, self.rejections = [], []
            self.summary = "Drag a bar to set a target weight"
        else:
            self.decisions = decision_rows(result.decisions)
            self.rejections = rejection_rows(result.rejections)
            n, k = len(self.decisions), len(self.rejections)
            self.summary = f"{n} decision{'s' if n != 1 else ''}" + (f", {k} rejected" if k else "")


def _rule(rule: Any) -> dict[str, Any]:
    return {"limit": float(rule.limit), "hard": bool(rule.hard)}
