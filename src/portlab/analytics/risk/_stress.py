"""Stress tests and scenarios (specification §12, "Risk, stress and compliance").

Two kinds of scenario act on the **current** portfolio:

* historical episodes (:class:`Episode`, :data:`EPISODES`) replay each instrument's price
  change between two dates of the market's history (:func:`replay`);
* hypothetical shocks move prices (:func:`sector_shock`, :func:`market_shock`) or the risk
  model (:func:`volatility_spike`, :func:`correlation_shock`), alone or :func:`combine`-d.

:func:`stress_test` applies any of them to a portfolio and reports losses per instrument, per
sector and in total (currency and fraction of portfolio value) and which policy limits would
be breached after the shock.

Conventions: returns and losses are fractions (0.2 = 20%); a loss is positive; covariances are
annualised; a price can fall at most 100% (proxied and beta-scaled moves are clipped at -1).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from portlab.analytics.risk._inputs import covariance_matrix, holdings
from portlab.analytics.risk._limits import as_policy, limit_table, measure_book
from portlab.analytics.risk._scenarios import (
    EPISODES,
    Episode,
    ScenarioContext,
    Shock,
    Unlisted,
)
from portlab.exceptions import ValidationError
from portlab.records import as_enum

if TYPE_CHECKING:
    from portlab.engine.config import Policy
    from portlab.market import Market
    from portlab.types import WeightsLike

__all__ = ["StressResult", "replay", "stress_test"]


# --------------------------------------------------------------------------- replay
def _episodes(episodes: Episode | Iterable[Episode | tuple]) -> list[Episode]:
    if isinstance(episodes, Episode):
        episodes = [episodes]
    out = []
    for e in episodes:
        if isinstance(e, tuple | list) and len(e) == 3:
            e = Episode(*e)
        if not isinstance(e, Episode):
            raise ValidationError(f"episodes: expected Episode or (name, start, end), got {e!r}")
        out.append(e)
    names = [e.name for e in out]
    if len(set(names)) != len(names):
        raise ValidationError(f"episodes: duplicate names in {names}")
    if not out:
        raise ValidationError("episodes: none given")
    return out


def replay(
    portfolio: WeightsLike,
    market: Market,
    episodes: Iterable[Episode | tuple] = EPISODES,
    *,
    unlisted: Unlisted | str = Unlisted.BETA,
) -> pd.DataFrame:
    """Replay historical episodes on the current portfolio.

    Parameters
    ----------
    portfolio : PortfolioState, Series, mapping, array or sequence
        A state (valued at ``market.last_prices``) or weights (fractions of portfolio value)
        by instrument, or in the market's instrument order (:data:`~portlab.types.WeightsLike`).
    market : Market
        Price history covering the episodes (an episode outside its dates is a ``DataError``).
    episodes : iterable of Episode or (name, start, end)
        Default :data:`EPISODES`; add your own: ``[*EPISODES, Episode("2018 Q4", "2018-09-20",
        "2018-12-24")]``.
    unlisted : Unlisted or str
        Rule for holdings without a price at the episode's start or end (see :class:`Unlisted`).

    Returns
    -------
    DataFrame indexed by (``episode``, ``instrument_id``) over the holdings, columns
        ``sector``; ``weight`` (current, fraction of portfolio value); ``return``, the
        instrument's cumulative simple return over the episode (close of ``start`` to close of
        ``end``); ``contribution`` = ``weight × return``, the portfolio's return from that
        holding (buy and hold through the episode, cash unchanged); ``source`` (``history`` or
        the proxy used); ``start`` and ``end``, the market dates used. The portfolio's episode
        return is ``contribution`` summed per episode:
        ``replay(...).groupby(level="episode", sort=False)["contribution"].sum()``.
    """
    rule = as_enum(Unlisted, unlisted, "unlisted")
    eps = _episodes(episodes)
    mv, _, nav, _ = holdings(portfolio, market)
    held = np.flatnonzero(mv != 0)
    w = mv / nav
    ctx = ScenarioContext(market, rule)
    frames = []
    for e in eps:
        r, source, d0, d1 = e.episode_returns(ctx)
        frames.append(
            pd.DataFrame(
                {
                    "episode": e.name,
                    "instrument_id": market.instruments[held],
                    "sector": ctx.sectors[held],
                    "weight": w[held],
                    "return": r[held],
                    "contribution": w[held] * r[held],
                    "source": source[held],
                    "start": d0,
                    "end": d1,
                }
            )
        )
    return pd.concat(frames, ignore_index=True).set_index(["episode", "instrument_id"])


# ------------------------------------------------------------------------ stress test
@dataclass(frozen=True, eq=False)
class StressResult:
    """What :func:`stress_test` found, one block per scenario.

    Attributes
    ----------
    instruments : DataFrame
        Indexed by (``scenario``, ``instrument_id``) over the holdings: ``sector``,
        ``quantity``, ``price`` and ``price_after``, ``weight`` and ``weight_after`` (fractions
        of portfolio value before and after), ``return`` (the instrument's move), ``pnl``
        (currency), ``loss`` (= -pnl), ``loss_fraction`` (loss / portfolio value before) and
        ``source``, where the return comes from: ``history``, ``beta_proxy``,
        ``benchmark_proxy`` or ``excluded`` (episodes); ``beta`` or ``assumed_beta_1``
        (market shocks); ``shock`` (the other shocks).
    sectors : DataFrame
        Indexed by (``scenario``, ``sector``) over the sectors held: ``weight`` (net, before),
        ``gross_after``, ``pnl``, ``loss`` and ``loss_fraction``.
    totals : DataFrame
        Indexed by ``scenario``: ``nav_before``, ``nav_after``, ``pnl``, ``loss``,
        ``loss_fraction``, ``volatility_before`` and ``volatility_after`` (annualised, from the
        covariance before / after the shock, at the weights before / after), ``breaches`` and
        ``hard_breaches`` (how many limits are breached after the shock).
    limits : DataFrame
        Indexed by (``scenario``, ``rule``) for the policy's rules (position, sector,
        correlation, volatility, leverage): ``limit``, ``hard``, ``value_before``,
        ``value_after``, ``where`` (the instrument or sector that sets the value after),
        ``breached`` (value after above the limit) and ``new`` (breached after, not before).
        The values are those of :func:`limit_measures` before and after the shock.
    """

    instruments: pd.DataFrame
    sectors: pd.DataFrame
    totals: pd.DataFrame
    limits: pd.DataFrame

    @property
    def breaches(self) -> pd.DataFrame:
        """The rows of :attr:`limits` that are breached after their scenario."""
        return self.limits[self.limits["breached"]]


def _shocks(shocks: Shock | Iterable[Shock]) -> list[Shock]:
    if isinstance(shocks, Shock):
        shocks = [shocks]
    out = list(shocks)
    if not out:
        raise ValidationError("shocks: none given")
    for s in out:
        if not isinstance(s, Shock):
            raise ValidationError(f"shocks: {s!r} is not a shock or an Episode")
    names = [s.name for s in out]
    if len(set(names)) != len(names):
        raise ValidationError(f"shocks: duplicate scenario names in {names}; pass name=...")
    return out


def stress_test(
    portfolio: WeightsLike,
    market: Market,
    shocks: Shock | Iterable[Shock],
    policy: Policy | None = None,
    *,
    cov: pd.DataFrame | None = None,
    unlisted: Unlisted | str = Unlisted.BETA,
) -> StressResult:
    """Apply scenarios to the current portfolio: losses and policy limits after each.

    Parameters
    ----------
    portfolio : PortfolioState, Series, mapping, array or sequence
        A state, valued at ``market.last_prices``; or weights by instrument or in the market's
        instrument order (a portfolio worth 1, so currency figures are fractions;
        :data:`~portlab.types.WeightsLike`).
    market : Market
        Prices, sectors, benchmark and the risk model.
    shocks : shock, Episode, or an iterable of them
        From :func:`sector_shock`, :func:`market_shock`, :func:`volatility_spike`,
        :func:`correlation_shock`, :func:`combine`, or historical :class:`Episode` s (e.g.
        ``EPISODES``). Names must be unique.
    policy : portlab.Policy, optional
        Limits to check (default ``Policy()``: 5% position, 25% sector, 60% correlated (soft),
        20% volatility, 2x leverage).
    cov : DataFrame, optional
        Annualised covariance over the market's instruments; default ``market.risk_model()``
        (the market's given covariance or its Ledoit-Wolf estimate). NaN entries (instruments
        with too little history) count as 0, as in the engine.
    unlisted : Unlisted or str
        Proxy rule for holdings missing from an episode's history.

    Returns
    -------
    StressResult
        Holdings move by the scenario's returns: ``pnl_i = market value_i × return_i``; the
        portfolio value after is ``NAV + Σ pnl`` and the weights after are the moved market
        values over it (prices after = prices × (1 + return)). Limits before and after are
        the measures of :func:`limit_measures` (the engine's); after the shock, at those
        weights and under the covariance after the shock (volatility, correlated clusters at
        ``policy.correlation_threshold``). If the portfolio value after is not positive,
        every measure after is infinite (all breached).
    """
    policy = as_policy(policy)
    rule = as_enum(Unlisted, unlisted, "unlisted")
    scenarios = _shocks(shocks)
    mv, qty, nav, price = holdings(portfolio, market)
    book = measure_book(market, policy, covariance_matrix(market, cov, "cov"))
    base = book.covariance
    codes, labels = market.sector_codes()
    ctx = ScenarioContext(market, rule)
    held = np.flatnonzero(mv != 0)
    w0 = mv / nav
    before = limit_table(book, w0, policy)
    inst_rows, sect_rows, total_rows, limit_rows = [], [], [], []
    for shock in scenarios:
        r, source, cov1 = shock.apply(ctx, base)
        pnl = mv * r
        nav1 = nav + float(pnl.sum())
        if nav1 > 0:
            w1 = mv * (1.0 + r) / nav1
            after = limit_table(book, w1, policy, cov1)
        else:
            w1 = np.full(mv.size, np.nan)
            after = limit_table(book, None, policy)
        inst_rows.append(
            pd.DataFrame(
                {
                    "scenario": shock.name,
                    "instrument_id": market.instruments[held],
                    "sector": ctx.sectors[held],
                    "quantity": qty[held],
                    "price": price[held],
                    "price_after": price[held] * (1.0 + r[held]),
                    "weight": w0[held],
                    "weight_after": w1[held],
                    "return": r[held],
                    "pnl": pnl[held],
                    "loss": -pnl[held],
                    "loss_fraction": -pnl[held] / nav,
                    "source": source[held],
                }
            )
        )
        sec = np.unique(codes[held])
        spnl = np.bincount(codes, weights=pnl, minlength=len(labels))[sec]
        sect_rows.append(
            pd.DataFrame(
                {
                    "scenario": shock.name,
                    "sector": labels[sec],
                    "weight": np.bincount(codes, weights=w0, minlength=len(labels))[sec],
                    "gross_after": np.bincount(
                        codes, weights=np.abs(np.nan_to_num(w1, nan=np.inf)), minlength=len(labels)
                    )[sec],
                    "pnl": spnl,
                    "loss": -spnl,
                    "loss_fraction": -spnl / nav,
                }
            )
        )
        limit_rows.append(
            pd.DataFrame(
                {
                    "scenario": shock.name,
                    "limit": after["limit"],
                    "hard": after["hard"],
                    "value_before": before["value"],
                    "value_after": after["value"],
                    "where": after["where"],
                    "breached": after["breached"],
                    "new": after["breached"] & ~before["breached"],
                }
            ).reset_index()
        )
        total_rows.append(
            {
                "scenario": shock.name,
                "nav_before": nav,
                "nav_after": nav1,
                "pnl": nav1 - nav,
                "loss": nav - nav1,
                "loss_fraction": (nav - nav1) / nav,
                "volatility_before": float(before.loc["volatility", "value"]),
                "volatility_after": float(after.loc["volatility", "value"]),
                "breaches": int(after["breached"].sum()),
                "hard_breaches": int((after["breached"] & after["hard"]).sum()),
            }
        )
    return StressResult(
        instruments=pd.concat(inst_rows, ignore_index=True).set_index(
            ["scenario", "instrument_id"]
        ),
        sectors=pd.concat(sect_rows, ignore_index=True).set_index(["scenario", "sector"]),
        totals=pd.DataFrame(total_rows).set_index("scenario"),
        limits=pd.concat(limit_rows, ignore_index=True).set_index(["scenario", "rule"]),
    )
