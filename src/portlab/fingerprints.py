"""Content fingerprints of portlab's inputs: short SHA-256 digests that are equal exactly when
the data are.

:func:`fingerprint` is the digest a report prints in its header (the prices, a portfolio,
policies and events); :func:`market_fingerprint` covers everything a
:class:`~portlab.market.Market` holds, and :func:`content_digest` any JSON-ready value. The
decision journal (:mod:`portlab.journal`) stores markets under their
:func:`market_fingerprint` and records the other two with every run.

Examples
--------
>>> from portlab.datasets import example_batch, load_sample
>>> market = load_sample()
>>> len(fingerprint(market, example_batch().state)), len(market_fingerprint(market))
(12, 32)
>>> content_digest({"b": 1, "a": [1.5, None]}) == content_digest({"a": [1.5, None], "b": 1})
True
"""

from __future__ import annotations

import hashlib
import json
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pydantic_core

if TYPE_CHECKING:  # the engine loads only when a coordinator is given
    from portlab.engine import Coordinator
    from portlab.market import Market
    from portlab.state import PortfolioState

__all__ = [
    "canonical_json",
    "content_digest",
    "fingerprint",
    "given_covariance",
    "market_fingerprint",
    "text_digest",
]

# market -> SHA-256 state after its prices (fingerprint) and its full digest (market_fingerprint):
# a Market is immutable by convention, so each is computed once per object
_PRICES: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
_MARKETS: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def fingerprint(
    market: Market,
    state: PortfolioState | None = None,
    coordinator: Coordinator | Sequence[Coordinator] | None = None,
    events: Sequence[Any] = (),
) -> str:
    """The first 12 hex digits of a SHA-256 of the prices (dates, instruments, values), the
    portfolio (cash, quantities, average prices), the policy (or each of several) and the
    events (signals, rebalance requests) given: equal inputs, equal fingerprint; any changed
    number, another one.

    Parameters
    ----------
    market : Market
        Its prices only (see :func:`market_fingerprint` for every part of a market).
    state : PortfolioState, optional
    coordinator : Coordinator or sequence of Coordinator, optional
        Their policy and sizing settings.
    events : sequence of events
        pydantic event models (:mod:`portlab.events`), hashed as their JSON.

    Returns
    -------
    str
        12 lower-case hex digits.

    Examples
    --------
    >>> from portlab.datasets import example_batch, load_sample
    >>> a = fingerprint(load_sample(), example_batch().state)
    >>> a == fingerprint(load_sample(), example_batch().state), len(a)
    (True, 12)
    """
    digest = _prices_digest(market).copy()
    if state is not None:
        digest.update(_state_text(state).encode())
    several = isinstance(coordinator, Sequence)
    coordinators = coordinator if several else [] if coordinator is None else [coordinator]
    for c in coordinators:
        digest.update(c.policy.model_dump_json().encode())
        digest.update(c.sizing.model_dump_json().encode())
    for event in events:
        digest.update(event.model_dump_json().encode())
    return digest.hexdigest()[:12]


def market_fingerprint(market: Market) -> str:
    """The first 32 hex digits of a SHA-256 of everything a market holds.

    Its cleaned prices, sectors, names, benchmark, factors, volumes, the covariance it was
    given (none when it estimates its own), ``max_ffill`` and ``periods_per_year``: two markets
    with the same fingerprint coordinate identically. Computed once per Market object (a
    Market is immutable by convention).

    Parameters
    ----------
    market : Market

    Returns
    -------
    str
        32 lower-case hex digits.

    Examples
    --------
    >>> from portlab.datasets import load_sample
    >>> market = load_sample()
    >>> market_fingerprint(market) == market_fingerprint(market.with_benchmark("MSFT"))
    False
    """
    known = _MARKETS.get(market)
    if known is not None:
        return known
    digest = _prices_digest(market).copy()
    digest.update(b"|sectors|")
    _update_series(digest, market.sectors)
    digest.update(b"|names|")
    _update_series(digest, market.names)
    benchmark = market.benchmark
    digest.update(b"|benchmark|")
    if benchmark is not None:
        digest.update(repr(benchmark.name).encode())
        _update_frame(digest, benchmark.to_frame())
    for label, frame in (("factors", market.factors), ("volumes", market.volumes)):
        digest.update(f"|{label}|".encode())
        if frame is not None:
            _update_frame(digest, frame)
    given = given_covariance(market)
    digest.update(b"|covariance|")
    if given is not None:
        _update_frame(digest, given)
    digest.update(f"|{market.max_ffill}|{market.periods_per_year}".encode())
    value = digest.hexdigest()[:32]
    _MARKETS[market] = value
    return value


def content_digest(value: Any, digits: int = 16) -> str:
    """The first ``digits`` hex digits of a SHA-256 of a JSON-ready value's canonical JSON
    (keys sorted, no spaces): equal values, equal digest.

    Parameters
    ----------
    value : JSON-ready value
        dicts, lists, str, int, float (finite), bool, None.
    digits : int, default 16

    Returns
    -------
    str

    Examples
    --------
    >>> content_digest([1, 2]), content_digest("x", 8)
    ('49a64717d5d4cb19', 'ba2df490')
    """
    return text_digest(canonical_json(value), digits)


def canonical_json(value: Any) -> str:
    """A JSON-ready value as JSON text with its keys sorted and no spaces: equal values,
    equal text (what :func:`content_digest` hashes).

    >>> canonical_json({"b": 1, "a": [1.5, None]})
    '{"a":[1.5,null],"b":1}'
    """
    text = pydantic_core.to_json(_sorted(value))  # as json.dumps, several times faster
    if b"NaN" in text or b"Infinity" in text:  # a number JSON has no form for, or only text
        return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return text.decode()


def _sorted(value: Any) -> Any:
    """Dicts with their keys in order, at every depth."""
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list | tuple):
        if _SCALARS.issuperset(map(type, value)):  # a list of numbers or texts: as it is
            return value
        return [_sorted(v) for v in value]
    return value


_SCALARS = frozenset({str, int, float, bool, type(None)})


def text_digest(text: str, digits: int = 16) -> str:
    """The first ``digits`` hex digits of the SHA-256 of ``text`` (UTF-8)."""
    return hashlib.sha256(text.encode()).hexdigest()[:digits]


def given_covariance(market: Market) -> pd.DataFrame | None:
    """The covariance ``market`` was built with (annualised, instruments × instruments), or
    None when it estimates its own."""
    cov = market.covariance()
    return cov if cov.attrs.get("method") == "given" else None


def _prices_digest(market: Market) -> Any:
    known = _PRICES.get(market)
    if known is None:
        known = hashlib.sha256()
        prices = market.prices
        known.update("|".join(map(str, prices.index)).encode())
        known.update("|".join(map(str, prices.columns)).encode())
        known.update(prices.to_numpy(dtype="float64").tobytes())
        _PRICES[market] = known
    return known


def _update_series(digest: Any, series: pd.Series) -> None:
    digest.update(json.dumps([[str(k), str(v)] for k, v in series.items()]).encode())


def _update_frame(digest: Any, frame: pd.DataFrame) -> None:
    digest.update("|".join(map(str, frame.index)).encode())
    digest.update("|".join(map(str, frame.columns)).encode())
    digest.update(np.ascontiguousarray(frame.to_numpy(dtype="float64")).tobytes())


def _state_text(state: PortfolioState) -> str:
    rows: list[Any] = [f"cash={state.cash!r}"]
    for instrument in sorted(state.positions):
        p = state.positions[instrument]
        rows.append(f"{instrument}={p.quantity!r}@{p.avg_price!r}")
    return ";".join(rows)
