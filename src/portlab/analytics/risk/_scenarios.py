"""Scenario definitions of the stress tests (re-exported by :mod:`portlab.analytics.risk` and
:mod:`portlab.analytics.stress`).

Historical :class:`Episode` s and the hypothetical shocks. Each maps the annualised covariance
before the shock to the instruments' returns under the scenario, the source of each return,
and the covariance after the shock (:meth:`Shock.apply`, which :func:`.stress_test` calls).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from portlab.analytics.risk._measures import instrument_betas
from portlab.exceptions import DataError, ValidationError
from portlab.formatting import format_date, format_names

if TYPE_CHECKING:
    from portlab.market import Market

__all__ = [
    "EPISODES",
    "CorrelationShock",
    "Episode",
    "MarketShock",
    "Scenario",
    "ScenarioContext",
    "SectorShock",
    "Shock",
    "Unlisted",
    "VolatilitySpike",
    "combine",
    "correlation_shock",
    "market_shock",
    "sector_shock",
    "volatility_spike",
]


class Unlisted(enum.StrEnum):
    """What an episode does with a holding that has no price at the episode's start or end.

    BETA (default): the benchmark's episode return times the instrument's current beta (last
    504 days; beta 1 when it cannot be estimated). BENCHMARK: the benchmark's episode return.
    EXCLUDE: no move (the holding is treated as unaffected). The ``source`` column of the
    results says which rule each holding got: ``history``, ``beta_proxy``,
    ``benchmark_proxy`` or ``excluded``.
    """

    BETA = "beta"
    BENCHMARK = "benchmark"
    EXCLUDE = "exclude"


_HISTORY, _BETA, _BENCH, _EXCLUDED, _SHOCK = (
    "history",
    "beta_proxy",
    "benchmark_proxy",
    "excluded",
    "shock",
)


def _finite(name: str, value: Any, lo: float = -np.inf, hi: float = np.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise ValidationError(f"{name} must be a number, got {value!r}")
    x = float(value)
    if not (np.isfinite(x) and lo <= x <= hi):
        raise ValidationError(f"{name} must be finite and in [{lo}, {hi}], got {value!r}")
    return x


# ------------------------------------------------------------------------- context
@dataclass(frozen=True, eq=False)
class ScenarioContext:
    """The market as arrays over its instruments, shared by the shocks of one call.

    Built by :func:`.stress_test` and :func:`.replay` and handed to :meth:`Shock.apply`:
    ``market`` (a :class:`~portlab.market.Market`), the ``unlisted`` proxy rule, and, computed
    on first use, ``sectors`` (one label per instrument) and ``betas`` (each instrument's beta
    to the benchmark, NaN when it cannot be estimated).
    """

    market: Market
    unlisted: Unlisted

    @cached_property
    def sectors(self) -> np.ndarray:
        return self.market.sectors.to_numpy(dtype=object)

    @cached_property
    def betas(self) -> np.ndarray:
        if self.market.benchmark is None:
            return np.full(len(self.market.instruments), np.nan)
        return instrument_betas(self.market).to_numpy()


class Shock:
    """Base of the scenarios: every shock, episode and combination is one."""

    name: str

    def apply(
        self, ctx: ScenarioContext, cov: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - abstract
        """The scenario applied to the market of ``ctx``.

        Parameters
        ----------
        ctx : ScenarioContext
            The market and its derived arrays.
        cov : ndarray, shape (n, n)
            Annualised covariance before the shock, over the market's instruments.

        Returns
        -------
        returns : ndarray, shape (n,)
            Each instrument's simple return under the scenario (fraction, ``>= -1``).
        source : ndarray of str, shape (n,)
            Where each return comes from (``history``, ``beta_proxy``, ``shock`` ...).
        cov : ndarray, shape (n, n)
            Annualised covariance after the shock.
        """
        raise NotImplementedError


def _no_move(n: int) -> tuple[np.ndarray, np.ndarray]:
    return np.zeros(n), np.full(n, _SHOCK, dtype=object)


# ------------------------------------------------------------------------ episodes
@dataclass(frozen=True)
class Episode(Shock):
    """A historical episode: each instrument's price change from ``start`` to ``end``.

    Parameters
    ----------
    name : str
    start, end : date-like
        The closes compared are those of the last market date on or before each (so a
        holiday uses the previous close). ``start`` must be before ``end``.
    """

    name: str
    start: pd.Timestamp
    end: pd.Timestamp

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValidationError(f"Episode name must be a non-empty string, got {self.name!r}")
        try:
            start, end = pd.Timestamp(self.start), pd.Timestamp(self.end)
        except (TypeError, ValueError):
            raise ValidationError(
                f"Episode {self.name!r}: start and end must be dates, got {self.start!r}, {self.end!r}"
            ) from None
        if not start < end:
            raise ValidationError(
                f"Episode {self.name!r}: start {format_date(start)} is not before end {format_date(end)}"
            )
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)

    def _rows(self, dates: pd.DatetimeIndex) -> tuple[int, int]:
        first, last = format_date(dates[0]), format_date(dates[-1])
        if self.start < dates[0] or self.end > dates[-1]:
            raise DataError(
                f"episode {self.name!r} ({format_date(self.start)}..{format_date(self.end)}) is not "
                f"within the market's dates {first}..{last}; leave it out of episodes"
            )
        i0 = int(dates.searchsorted(self.start, side="right")) - 1
        i1 = int(dates.searchsorted(self.end, side="right")) - 1
        if i0 >= i1:
            raise DataError(f"episode {self.name!r}: no market date between start and end")
        return i0, i1

    def episode_returns(
        self, ctx: ScenarioContext
    ) -> tuple[np.ndarray, np.ndarray, pd.Timestamp, pd.Timestamp]:
        """Each instrument's return over the episode (proxied by ``ctx.unlisted`` where the
        history has none), its source, and the market dates used as start and end; used by
        :meth:`apply` and by :func:`.replay`."""
        m = ctx.market
        i0, i1 = self._rows(m.dates)
        px = m.prices.iloc[[i0, i1]].to_numpy(dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = px[1] / px[0] - 1.0
        known = np.isfinite(r)
        source = np.where(known, _HISTORY, _EXCLUDED).astype(object)
        if not known.all():
            r = np.where(known, r, 0.0)
            bench = m.benchmark
            rb = np.nan
            if bench is not None:
                rb = float(bench.iloc[i1] / bench.iloc[i0] - 1.0)
            if ctx.unlisted != Unlisted.EXCLUDE and np.isfinite(rb):
                beta = ctx.betas if ctx.unlisted == Unlisted.BETA else np.full(r.size, np.nan)
                use_beta = ~known & np.isfinite(beta)
                r = np.where(use_beta, np.maximum(beta * rb, -1.0), r)
                r = np.where(~known & ~use_beta, rb, r)
                source[~known] = np.where(use_beta[~known], _BETA, _BENCH)
        return r, source, m.dates[i0], m.dates[i1]

    def apply(
        self, ctx: ScenarioContext, cov: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        r, source, _, _ = self.episode_returns(ctx)
        return r, source, cov


#: The bundled historical episodes, S&P 500 close-to-close peak to trough (dates checked
#: against the sample's index): dot-com 2000-03-24 (1527.46) → 2002-10-09 (776.76, -49.1%);
#: global financial crisis 2007-10-09 (1565.15) → 2009-03-09 (676.53, -56.8%); COVID crash
#: 2020-02-19 (3386.15) → 2020-03-23 (2237.40, -33.9%); 2022 rate shock 2022-01-03 (4796.56)
#: → 2022-10-12 (3577.03, -25.4%).
EPISODES: tuple[Episode, ...] = (
    Episode("dot-com decline", "2000-03-24", "2002-10-09"),
    Episode("global financial crisis", "2007-10-09", "2009-03-09"),
    Episode("COVID crash", "2020-02-19", "2020-03-23"),
    Episode("2022 rate shock", "2022-01-03", "2022-10-12"),
)


# ---------------------------------------------------------------- hypothetical shocks
@dataclass(frozen=True)
class SectorShock(Shock):
    """Every instrument of ``sector`` moves by ``move``; see :func:`sector_shock`."""

    sector: str
    move: float
    propagate: bool = False
    name: str = ""

    def apply(
        self, ctx: ScenarioContext, cov: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        member = ctx.sectors == self.sector
        if not member.any():
            known = sorted(set(map(str, ctx.sectors)))
            raise ValidationError(
                f"sector {self.sector!r} is not in the market ({format_names(known, 12)})"
            )
        r = np.where(member, self.move, 0.0)
        if self.propagate:
            # others move by their beta to the sector's equal-weighted return: cov(i, S) / var(S)
            s = member / member.sum()
            cov_is = cov @ s
            var_s = float(s @ cov_is)
            if var_s > 0:
                r = np.where(member, self.move, np.maximum(cov_is / var_s * self.move, -1.0))
        return r, np.full(r.size, _SHOCK, dtype=object), cov


@dataclass(frozen=True)
class MarketShock(Shock):
    """The market moves by ``move`` and every instrument by ``beta × move``; see :func:`market_shock`."""

    move: float
    betas: tuple[tuple[str, float], ...] | None = None  # (instrument, beta) pairs
    name: str = ""

    def apply(
        self, ctx: ScenarioContext, cov: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self.betas is None:
            beta = ctx.betas
        else:
            given = pd.Series(dict(self.betas), dtype=np.float64)
            given = given[~given.index.duplicated(keep="last")]
            beta = given.reindex(ctx.market.instruments).to_numpy()
        known = np.isfinite(beta)
        r = np.maximum(np.where(known, beta, 1.0) * self.move, -1.0)
        source = np.where(known, "beta", "assumed_beta_1").astype(object)
        return r, source, cov


@dataclass(frozen=True)
class VolatilitySpike(Shock):
    """Every volatility multiplied by ``factor`` (covariance by ``factor²``); see :func:`volatility_spike`."""

    factor: float
    name: str = ""

    def apply(
        self, ctx: ScenarioContext, cov: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        r, source = _no_move(cov.shape[0])
        return r, source, cov * self.factor**2


@dataclass(frozen=True)
class CorrelationShock(Shock):
    """Correlations pushed toward ``toward``; see :func:`correlation_shock`."""

    toward: float = 1.0
    strength: float = 0.5
    name: str = ""

    def apply(
        self, ctx: ScenarioContext, cov: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        r, source = _no_move(cov.shape[0])
        vol = np.sqrt(np.clip(np.diag(cov), 0.0, None))
        outer = np.outer(vol, vol)
        with np.errstate(divide="ignore", invalid="ignore"):
            corr = np.where(outer > 0, cov / outer, 0.0)
        target = np.full_like(corr, self.toward)
        np.fill_diagonal(target, 1.0)
        shocked = (1.0 - self.strength) * corr + self.strength * target
        return r, source, shocked * outer


@dataclass(frozen=True)
class Scenario(Shock):
    """Several shocks in order: price moves compound, covariance changes apply in turn; see :func:`combine`."""

    shocks: tuple[Shock, ...] = field(default_factory=tuple)
    name: str = ""

    def apply(
        self, ctx: ScenarioContext, cov: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        growth = np.ones(cov.shape[0])
        source = np.full(growth.size, _SHOCK, dtype=object)
        for shock in self.shocks:
            r, src, cov = shock.apply(ctx, cov)
            growth = growth * (1.0 + r)
            moved = r != 0
            source[moved] = src[moved]
        return growth - 1.0, source, cov


def sector_shock(
    sector: str, move: float, *, propagate: bool = False, name: str | None = None
) -> SectorShock:
    """A move of one sector.

    Parameters
    ----------
    sector : str
        A sector label of the market (``market.sectors``).
    move : float
        Return of every instrument of the sector, a fraction >= -1 (-0.2 = a 20% fall).
    propagate : bool
        False (default): other instruments do not move. True: each other instrument moves by
        its beta to the sector's equal-weighted return under the covariance,
        ``cov(r_i, r_S) / var(r_S) × move``.
    name : str, optional
        Default ``"<sector> <move:+.0%>"``.
    """
    if not isinstance(sector, str) or not sector:
        raise ValidationError(f"sector must be a sector label, got {sector!r}")
    mv = _finite("move", move, -1.0, np.inf)
    return SectorShock(sector, mv, bool(propagate), name or f"{sector} {mv:+.0%}")


def market_shock(
    move: float, betas: Mapping[str, float] | pd.Series | None = None, *, name: str | None = None
) -> MarketShock:
    """A move of the market, passed to each instrument through its beta.

    Parameters
    ----------
    move : float
        The market's return, a fraction >= -1.
    betas : Series or mapping, optional
        Instrument → beta. Default: :func:`~portlab.analytics.risk.instrument_betas` of the
        market against its benchmark over the last 504 days. An instrument without a beta gets
        1 (its ``source`` says ``"assumed_beta_1"``). Moves are clipped at -100%.
    name : str, optional
        Default ``"market <move:+.0%>"``.
    """
    mv = _finite("move", move, -1.0, np.inf)
    if betas is not None:
        if isinstance(betas, pd.Series):
            if betas.index.has_duplicates:
                raise DataError("betas: duplicate instrument ids")
            betas = betas.to_dict()
        if not isinstance(betas, Mapping):
            raise ValidationError(
                f"betas: expected a Series or mapping, got {type(betas).__name__}"
            )
        betas = tuple((str(k), _finite(f"betas[{k!r}]", v)) for k, v in betas.items())
    return MarketShock(mv, betas, name or f"market {mv:+.0%}")


def volatility_spike(factor: float, *, name: str | None = None) -> VolatilitySpike:
    """A volatility spike: every volatility times ``factor`` (the covariance times ``factor²``).

    Correlations are unchanged and prices do not move: the spike shows in the post-shock
    volatility (and the volatility limit). ``factor`` > 0, e.g. 2 for doubled volatilities.
    """
    f = _finite("factor", factor, 0.0, np.inf)
    if f == 0:
        raise ValidationError("factor must be > 0")
    return VolatilitySpike(f, name or f"volatility x{f:g}")


def correlation_shock(
    toward: float = 1.0, strength: float = 0.5, *, name: str | None = None
) -> CorrelationShock:
    """A correlation shock: ``C' = (1 - strength) C + strength T`` with volatilities kept.

    ``T`` has 1 on the diagonal and ``toward`` elsewhere; ``toward`` in [0, 1] and
    ``strength`` in [0, 1] keep ``C'`` a valid (positive semi-definite) correlation matrix, as
    a convex combination of two. ``strength=1, toward=1`` makes everything perfectly
    correlated. Prices do not move; the shock shows in the post-shock volatility and the
    correlated-exposure measure.
    """
    t = _finite("toward", toward, 0.0, 1.0)
    s = _finite("strength", strength, 0.0, 1.0)
    return CorrelationShock(t, s, name or f"correlations {s:.0%} toward {t:g}")


def combine(*shocks: Shock, name: str | None = None) -> Scenario:
    """One scenario made of several shocks (e.g. a market fall with a volatility spike).

    Price moves compound in order, ``Π (1 + r_k) - 1``; covariance changes apply in order, each
    to the previous one's result. Default name: the parts' names joined by ``" + "``.
    """
    if not shocks:
        raise ValidationError("combine needs at least one shock")
    for s in shocks:
        if not isinstance(s, Shock):
            raise ValidationError(f"combine: {s!r} is not a shock")
    return Scenario(tuple(shocks), name or " + ".join(s.name for s in shocks))
