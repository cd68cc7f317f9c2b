"""Performance attribution (specification §11, "Performance attribution").

* :func:`brinson` -- Brinson-Hood-Beebower or Brinson-Fachler allocation, selection and
  interaction per period and group (sector by default), vectorized over periods, linked over the
  whole range by :func:`link` (Cariño, Menchero, GRAP); :func:`backtest_brinson` applies it to
  a backtest;
* :func:`factor_attribution` -- regression of portfolio returns on factor returns: exposures,
  factor contributions, specific return, systematic vs idiosyncratic variance
  (:func:`style_factor_returns` builds the factors from a market's ETFs);
* :func:`strategy_attribution` -- each strategy's return and risk contribution to the portfolio;
* :func:`attribution_event` -- a :class:`~portlab.events.PerformanceAttributionEvent` from them.

All returns and weights are fractions (``0.01`` is 1 %); effects are fractions of portfolio value.

Brinson is in :mod:`._brinson`, linking in :mod:`._linking`, factors in :mod:`._factors`,
strategies in :mod:`._strategies` and the event in :mod:`._event`.
"""

from portlab.analytics.attribution._brinson import (
    CASH_GROUP,
    EFFECTS,
    BrinsonMethod,
    BrinsonResult,
    backtest_brinson,
    brinson,
)
from portlab.analytics.attribution._event import EVENT_FACTOR_NAMES, attribution_event
from portlab.analytics.attribution._factors import (
    FactorAttribution,
    factor_attribution,
    style_factor_returns,
)
from portlab.analytics.attribution._linking import Linking, link, linking_coefficients
from portlab.analytics.attribution._strategies import PerformanceLabel, strategy_attribution

__all__ = [
    "CASH_GROUP",
    "EFFECTS",
    "EVENT_FACTOR_NAMES",
    "BrinsonMethod",
    "BrinsonResult",
    "FactorAttribution",
    "Linking",
    "PerformanceLabel",
    "attribution_event",
    "backtest_brinson",
    "brinson",
    "factor_attribution",
    "link",
    "linking_coefficients",
    "strategy_attribution",
    "style_factor_returns",
]


def __getattr__(name: str) -> object:
    """``SEED_FACTOR_NAMES``, the former name of :data:`EVENT_FACTOR_NAMES`, with a warning."""
    if name == "SEED_FACTOR_NAMES":
        import warnings

        warnings.warn(
            "portlab.analytics.attribution.SEED_FACTOR_NAMES is now EVENT_FACTOR_NAMES",
            DeprecationWarning,
            stacklevel=2,
        )
        return EVENT_FACTOR_NAMES
    raise AttributeError(f"module 'portlab.analytics.attribution' has no attribute {name!r}")
