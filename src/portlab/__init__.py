"""portlab: a research workbench for portfolio trading coordination.

Trading signals from several strategies and portfolio rebalance requests go in; policy
enforcement, capped Kelly sizing with correlation adjustment, conflict resolution and capital
allocation come out as execution-ready decisions with amounts, share counts, risk metrics and
reasons.

The public names below are imported lazily so that ``import portlab`` stays fast; heavy
dependencies (cvxpy, the solvers) load only where they are used.

What the engine and the analytics do, and the rules and defaults they follow, are specified
in ``docs/specification.md``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it
_LAZY = {
    "Coordinator": "portlab.engine",
    "CoordinationResult": "portlab.engine",
    "Policy": "portlab.engine",
    "Rule": "portlab.engine",
    "SizingConfig": "portlab.engine",
    "SizingMethod": "portlab.engine",
    "ExecutionRulesConfig": "portlab.engine",
    "Strategy": "portlab.engine",
    "TrackRecord": "portlab.engine",
    "Resolution": "portlab.engine",
    "AllocationMode": "portlab.engine",
    "Market": "portlab.market",
    "CovMethod": "portlab.market",
    "PortfolioState": "portlab.state",
    "Position": "portlab.state",
}
_SUBMODULES = {
    "analytics",
    "apps",
    "datasets",
    "dates",
    "engine",
    "events",
    "exceptions",
    "fingerprints",
    "formatting",
    "io",
    "journal",
    "linalg",
    "market",
    "plots",
    "records",
    "state",
    "sweep",
    "types",
    "ui",
    "widgets",
}

__all__ = [
    "AllocationMode",
    "CoordinationResult",
    "Coordinator",
    "CovMethod",
    "ExecutionRulesConfig",
    "Market",
    "Policy",
    "PortfolioState",
    "Position",
    "Resolution",
    "Rule",
    "SizingConfig",
    "SizingMethod",
    "Strategy",
    "TrackRecord",
    "__version__",
    "analytics",
    "apps",
    "dates",
    "datasets",
    "engine",
    "events",
    "exceptions",
    "formatting",
    "io",
    "linalg",
    "market",
    "plots",
    "records",
    "state",
    "types",
    "ui",
    "widgets",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from portlab import (
        analytics,
        apps,
        datasets,
        dates,
        engine,
        events,
        exceptions,
        formatting,
        io,
        linalg,
        market,
        plots,
        records,
        state,
        types,
        ui,
        widgets,
    )
    from portlab.engine import (
        AllocationMode,
        CoordinationResult,
        Coordinator,
        ExecutionRulesConfig,
        Policy,
        Resolution,
        Rule,
        SizingConfig,
        SizingMethod,
        Strategy,
        TrackRecord,
    )
    from portlab.market import CovMethod, Market
    from portlab.state import PortfolioState, Position


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"portlab.{name}")
    else:
        raise AttributeError(f"module 'portlab' has no attribute {name!r}")
    globals()[name] = value
    return value


def load_ipython_extension(ipython: Any) -> None:
    """Register the ``%portlab`` magics: what IPython calls on ``%load_ext portlab``.

    See :mod:`portlab.magics` (imported only here, so ``import portlab`` stays light).
    """
    from portlab.magics import load_ipython_extension as load

    load(ipython)


def __dir__() -> list[str]:
    return __all__
