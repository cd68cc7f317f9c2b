"""A report's inputs from its parameters, and the fingerprint its header prints."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from portlab.engine import Coordinator
from portlab.market import Market
from portlab.state import PortfolioState

__all__ = ["ReportInputs", "fingerprint", "load_inputs"]


@dataclass(frozen=True)
class ReportInputs:
    """What a report reads: the market, the portfolio and the coordinator (its policy)."""

    market: Market
    state: PortfolioState
    coordinator: Coordinator

    @property
    def fingerprint(self) -> str:
        """:func:`fingerprint` of these inputs."""
        return fingerprint(self.market, self.state, self.coordinator)


def load_inputs(
    portfolio_file: str | Path | None = None,
    market: str | Path = "sample",
    sectors_file: str | Path | None = None,
    policy_file: str | Path | None = None,
) -> ReportInputs:
    """Read a report's inputs.

    Parameters
    ----------
    portfolio_file : str or Path, optional
        A portfolio in seed 004's JSON; None: the bundled example portfolio.
    market : str or Path, default "sample"
        "sample" (the bundled 20-stock sample) or a prices CSV (dates by instruments).
    sectors_file : str or Path, optional
        A CSV of instrument -> sector for a prices CSV.
    policy_file : str or Path, optional
        A policy YAML (``portlab policy --example``); None: the default policy.

    Raises
    ------
    DataError, ValidationError
        A file that does not exist or cannot be read, naming it.
    """
    from portlab.datasets import example_batch, load_sample
    from portlab.engine import load_config
    from portlab.exceptions import DataError

    for given in (
        portfolio_file,
        sectors_file,
        policy_file,
        None if market == "sample" else market,
    ):
        if given is not None and not Path(given).is_file():
            raise DataError(f"{given}: no such file")
    if str(market) == "sample":
        prices = load_sample()
    else:
        prices = Market.from_csv(Path(market), sectors=sectors_file)
    state = (
        example_batch().state
        if portfolio_file is None
        else PortfolioState.from_json(portfolio_file)
    )
    if policy_file is None:
        coordinator = Coordinator()
    else:
        policy, sizing, loop = load_config(Path(policy_file))
        coordinator = Coordinator(policy, sizing, risk_loop=loop)
    return ReportInputs(prices, state, coordinator)


def fingerprint(
    market: Market, state: PortfolioState, coordinator: Coordinator | None = None
) -> str:
    """The first 12 hex digits of a SHA-256 of the prices (dates, instruments, values), the
    portfolio (cash, quantities, average prices) and the policy: equal inputs, equal
    fingerprint; any changed number, another one.

    Examples
    --------
    >>> from portlab.datasets import example_batch, load_sample
    >>> a = fingerprint(load_sample(), example_batch().state)
    >>> a == fingerprint(load_sample(), example_batch().state), len(a)
    (True, 12)
    """
    digest = hashlib.sha256()
    prices = market.prices
    digest.update("|".join(map(str, prices.index)).encode())
    digest.update("|".join(map(str, prices.columns)).encode())
    digest.update(prices.to_numpy(dtype="float64").tobytes())
    digest.update(_state_text(state).encode())
    if coordinator is not None:
        digest.update(coordinator.policy.model_dump_json().encode())
        digest.update(coordinator.sizing.model_dump_json().encode())
    return digest.hexdigest()[:12]


def _state_text(state: PortfolioState) -> str:
    rows: list[Any] = [f"cash={state.cash!r}"]
    for instrument in sorted(state.positions):
        p = state.positions[instrument]
        rows.append(f"{instrument}={p.quantity!r}@{p.avg_price!r}")
    return ";".join(rows)
