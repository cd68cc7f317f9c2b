"""Signal strategies over prices, calibrated on their own history (specification §14).

Each strategy turns the price history known at a date into trading signals shaped like
:data:`portlab.events.SIGNAL_COLUMNS`. Besides the direction, a signal carries what the
coordination engine needs to size it, estimated from the strategy's own record on data
strictly before the signal date (no look-ahead):

* ``success_probability``: the hit rate of the strategy's past signals on this instrument in
  this direction (a past signal *hits* when the price moved its way over ``horizon_days``),
  shrunk toward the strategy's pooled hit rate in that direction;
* ``expected_return``: the mean price return over ``horizon_days`` that followed those past
  signals (the instrument's expected price return, signed as a price return: a SELL with an
  edge has it negative), shrunk the same way;
* ``confidence``: the posterior probability that the hit rate exceeds one half.

Past signals are evaluated on non-overlapping dates (every ``horizon_days`` rows, back from
the last date whose outcome is known before the signal date), so the counts are not inflated
by overlapping horizons.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from portlab.dates import as_naive_utc
from portlab.events import SIGNAL_COLUMNS
from portlab.exceptions import ConfigError, DataError, ValidationError
from portlab.records import check_int

if TYPE_CHECKING:
    from portlab.dates import DateLike
    from portlab.market import Market

__all__ = ["MeanReversion", "Momentum", "MovingAverageCrossover", "SignalStrategy"]

_STR_COLUMNS = ("signal_id", "instrument_id", "action", "strength", "strategy_id", "urgency")
_STRENGTH_EDGES = (0.25, 0.5, 0.75)  # |signal_score| boundaries WEAK | MODERATE | STRONG | VERY
_STRENGTHS = np.array(["WEAK", "MODERATE", "STRONG", "VERY_STRONG"], dtype=object)


def _config_int(owner: str, name: str, value: Any, minimum: int) -> int:
    """``value`` as an int >= ``minimum``; a ConfigError naming ``owner.name`` otherwise."""
    return check_int(f"{owner}.{name}", value, minimum, error=ConfigError)


def _check_float(owner: str, name: str, value: Any, low: float, *, open_low: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ConfigError(f"{owner}.{name} must be a number, got {value!r}")
    x = float(value)
    if not np.isfinite(x) or (x <= low if open_low else x < low):
        raise ConfigError(f"{owner}.{name} must be {'>' if open_low else '>='} {low:g}, got {x!r}")
    return x


def _history_prices(
    history: Market | pd.DataFrame, as_of: DateLike | None
) -> tuple[pd.DataFrame, pd.Timestamp]:
    """Prices known at ``as_of`` (rows up to and including it) and ``as_of`` itself."""
    if isinstance(history, pd.DataFrame):
        prices = history
    elif hasattr(history, "prices") and hasattr(history, "dates"):
        known = as_of is not None and hasattr(history, "truncate") and len(history.dates)
        if known and as_naive_utc(as_of, "as_of") < history.dates[-1]:
            # the market as known at as_of: gap filling redone without later prices
            history = history.truncate(as_naive_utc(as_of, "as_of"))
        prices = history.prices
    else:
        raise ValidationError(
            f"history must be a Market or a prices DataFrame, not {type(history).__name__}"
        )
    if not isinstance(prices.index, pd.DatetimeIndex):
        raise DataError("history prices must be indexed by a DatetimeIndex")
    if len(prices.index) == 0:
        raise DataError("history has no price rows")
    if not prices.index.is_monotonic_increasing:
        raise DataError("history prices must have ascending dates")
    if as_of is None:
        return prices, pd.Timestamp(prices.index[-1])
    ts = as_naive_utc(as_of, "as_of")
    end = int(prices.index.searchsorted(ts, side="right"))
    if end == 0:
        raise ValidationError(f"as_of {ts.date()} is before the first price ({prices.index[0]})")
    return (prices.iloc[:end] if end < len(prices.index) else prices), ts


def _lagged(p: np.ndarray, rows: np.ndarray, lag: int) -> np.ndarray:
    """``p[rows - lag]``, NaN where ``rows - lag < 0``; shape (len(rows), n)."""
    idx = rows - lag
    out = p[np.maximum(idx, 0)]
    out[idx < 0] = np.nan
    return out


def _windows(p: np.ndarray, rows: np.ndarray, length: int) -> np.ndarray:
    """The ``length`` rows ending at each of ``rows`` (inclusive), shape (len(rows), length, n).

    Rows before the start are NaN, so a window that does not fit gives NaN statistics.
    """
    idx = rows[:, None] + np.arange(1 - length, 1)[None, :]
    out = p[np.maximum(idx, 0)]
    out[idx < 0] = np.nan
    return out


class SignalStrategy(abc.ABC):
    """A strategy that emits trading signals from the price history known at a date.

    Subclasses implement :meth:`scores` (a signed score per instrument at given rows, using
    only rows up to each of them) and :attr:`warmup`; the base class calibrates confidence,
    success probability and expected return from the strategy's own past signals and builds
    the signal table.

    Parameters shared by every strategy
    -----------------------------------
    name : str
        Strategy id stamped on the signals (``strategy_id``) and their ids.
    horizon_days : int
        Horizon of the signals in rows (trading days): the hit rate and the expected return
        are measured over it and it is sent as ``horizon_days``.
    calibration : int or None
        Rows of history used to evaluate past signals (default 756, about three years); None
        uses all history (cost grows with the history).
    prior_weight : float
        Pseudo-observations (> 0) of the pooled estimate added to each instrument's own record.
    min_history : int
        Evaluated past signals (pooled over instruments) needed in a direction before the
        strategy emits signals in that direction.
    """

    name: str
    horizon_days: int

    def __init__(
        self,
        *,
        name: str,
        horizon_days: int,
        calibration: int | None = 756,
        prior_weight: float = 20.0,
        min_history: int = 10,
    ) -> None:
        self.name = name
        self.horizon_days = horizon_days
        self.calibration = calibration
        self.prior_weight = prior_weight
        self.min_history = min_history

    # -- what subclasses provide -------------------------------------------------------------
    @property
    @abc.abstractmethod
    def warmup(self) -> int:
        """Rows of history before a row that its score needs."""

    @abc.abstractmethod
    def scores(self, prices: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Signed scores in ``[-1, 1]`` at ``rows``: > 0 BUY, < 0 SELL, 0 or NaN no signal.

        Parameters
        ----------
        prices : ndarray, shape (n_rows, n_instruments)
            Prices, NaN where missing. The score at row ``t`` must use ``prices[: t + 1]`` only.
        rows : ndarray of int, shape (k,)
            Row positions to score.

        Returns
        -------
        ndarray, shape (k, n_instruments)
        """

    def _check_params(self) -> None:  # noqa: B027 - optional hook, nothing to check here
        """Validate subclass parameters (ConfigError naming the parameter)."""

    # -- shared ----------------------------------------------------------------------------
    def check(self) -> SignalStrategy:
        """Validate the parameters; ConfigError names the strategy and the parameter."""
        owner = type(self).__name__
        if not isinstance(self.name, str) or not self.name.strip():
            raise ConfigError(f"{owner}.name must be a non-empty string, got {self.name!r}")
        _config_int(owner, "horizon_days", self.horizon_days, 1)
        if self.calibration is not None:
            _config_int(owner, "calibration", self.calibration, 1)
        _check_float(owner, "prior_weight", self.prior_weight, 0.0)
        _config_int(owner, "min_history", self.min_history, 1)
        self._check_params()
        return self

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        return f"{type(self).__name__}({params})"

    def _params(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    def generate(
        self, history: Market | pd.DataFrame, as_of: DateLike | None = None
    ) -> pd.DataFrame:
        """Signals at ``as_of`` from the prices known then.

        Parameters
        ----------
        history : Market or DataFrame
            A :class:`~portlab.Market` (e.g. ``market.truncate(as_of)``) or a prices frame
            (dates × instruments, NaN where missing). Rows after ``as_of`` are ignored (a
            Market is truncated at ``as_of`` first, so its gap filling knows no later price).
        as_of : str, Timestamp, datetime, date or datetime64, optional
            Signal date (:data:`~portlab.dates.DateLike`); default the last date of
            ``history``.

        Returns
        -------
        DataFrame
            Columns :data:`portlab.events.SIGNAL_COLUMNS`, one row per instrument with a
            signal (instruments in column order): ``signal_id`` ``"{name}:{instrument}:{date}"``,
            ``timestamp`` ``as_of`` (UTC), ``action`` BUY/SELL, ``confidence``,
            ``success_probability`` in [0, 1], ``signal_score`` in [-1, 1] (its sign is the
            action), ``strength`` from ``|signal_score|`` (quartiles), ``expected_return`` (price
            return over ``horizon_days``, a fraction, not annualised), ``price_target`` = last
            price × (1 + expected_return), ``strategy_id`` = :attr:`name`, ``horizon_days``;
            ``stop_price``, ``urgency`` and ``lot_size`` missing. Instruments without a price
            on the last row, or without a score, get no signal; neither does a direction with
            fewer than ``min_history`` evaluated past signals.
        """
        return _frame(self.generate_arrays(history, as_of))

    def generate_arrays(
        self, history: Market | pd.DataFrame, as_of: DateLike | None = None
    ) -> dict[str, np.ndarray]:
        """:meth:`generate` as plain column arrays, without building the DataFrame.

        The backtest runner calls this on every rebalance date (the DataFrame costs more than
        the signals). Parameters as :meth:`generate`.

        Returns
        -------
        dict of str to ndarray
            The columns :meth:`generate` gives, each of shape (n_signals,): strings as object
            arrays, ``timestamp`` as naive UTC ``datetime64[us]``; ``{}`` when there is no
            signal.
        """
        self.check()
        prices, as_of = _history_prices(history, as_of)
        h = self.horizon_days
        if self.calibration is not None:
            prices = prices.iloc[-(self.calibration + h + self.warmup + 2) :]
        p = np.ascontiguousarray(prices.to_numpy(dtype=np.float64, na_value=np.nan))
        last = p.shape[0] - 1
        # past signals, on non-overlapping rows whose outcome is known strictly before as_of
        newest = last - 1 - h
        oldest = max(0, last - self.calibration) if self.calibration is not None else 0
        rows = np.arange(newest, oldest - 1, -h)[::-1] if newest >= oldest else np.zeros(0, int)
        scored = self.scores(p, np.append(rows, last))  # one call: the past rows and today
        past, current = scored[:-1], scored[-1]
        fwd = p[rows + h] / p[rows] - 1.0
        d_past = np.sign(np.nan_to_num(past)).astype(int)
        d_now = np.sign(np.nan_to_num(current)).astype(int)
        d_now[~(np.isfinite(p[last]) & (p[last] > 0))] = 0

        keep = d_now != 0
        stats = {}
        for side in (1, -1):
            if not (keep & (d_now == side)).any():
                continue
            stats[side] = _record(d_past == side, fwd, side)
            if stats[side][3] < self.min_history:  # pooled count of evaluated past signals
                keep &= d_now != side
        idx = np.flatnonzero(keep)
        if idx.size == 0:
            return {}
        d = d_now[idx]
        prob, exp_ret, conf = (np.empty(idx.size) for _ in range(3))
        for side in (1, -1):
            on = d == side
            if on.any():
                pr, er, cf = _estimates(stats[side], self.prior_weight, idx[on])
                prob[on], exp_ret[on], conf[on] = pr, er, cf
        score = np.clip(current[idx], -1.0, 1.0)
        names = np.asarray(prices.columns, dtype=object)[idx]
        day = as_of.strftime("%Y-%m-%d")
        ts = (as_of.tz_convert(None) if as_of.tzinfo is not None else as_of).as_unit("us")
        return {
            "signal_id": np.array([f"{self.name}:{i}:{day}" for i in names], dtype=object),
            "timestamp": np.full(idx.size, ts.to_datetime64()),
            "instrument_id": names,
            "action": np.where(d > 0, "BUY", "SELL").astype(object),
            "confidence": conf,
            "strength": _STRENGTHS[np.searchsorted(_STRENGTH_EDGES, np.abs(score), "right")],
            "signal_score": score,
            "price_target": p[last, idx] * (1.0 + exp_ret),
            "expected_return": exp_ret,
            "success_probability": prob,
            "strategy_id": np.full(idx.size, self.name, dtype=object),
            "horizon_days": np.full(idx.size, float(h)),
        }


def _record(on: np.ndarray, fwd: np.ndarray, d: int) -> tuple:
    """Counts of past signals in direction ``d``: per instrument and pooled.

    Returns ``(n_i, hits_i, sum_i, n, hits, sum)``; arrays of shape (n_instruments,).
    """
    valid = on & np.isfinite(fwd)
    r = np.where(valid, fwd, 0.0)
    n_i = valid.sum(axis=0).astype(float)
    hits_i = (valid & (d * r > 0)).sum(axis=0).astype(float)
    sum_i = r.sum(axis=0)
    return n_i, hits_i, sum_i, float(n_i.sum()), float(hits_i.sum()), float(sum_i.sum())


def _estimates(rec: tuple, m: float, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Success probability, expected return and confidence of instruments ``idx`` (one direction).

    Hit rate: Beta posterior mean with prior ``Beta(m p̄, m (1 - p̄))`` centred on the pooled
    (Laplace-smoothed) rate ``p̄ = (hits + 1) / (n + 2)``; expected return: the instrument's
    mean outcome with ``m`` pseudo-observations of the pooled mean; confidence: the posterior
    probability that the hit rate exceeds 0.5.
    """
    from scipy.special import betainc

    n_i, hits_i, sum_i, n, hits, total = rec
    n_i, hits_i, sum_i = n_i[idx], hits_i[idx], sum_i[idx]
    pooled_p = (hits + 1.0) / (n + 2.0)
    pooled_r = total / n
    a = hits_i + m * pooled_p
    b = n_i - hits_i + m * (1.0 - pooled_p)
    prob = a / (a + b)
    exp_ret = (sum_i + m * pooled_r) / (n_i + m)
    conf = 1.0 - betainc(a, b, 0.5)
    return prob, exp_ret, np.clip(conf, 0.0, 1.0)


def _frame(columns: Mapping[str, Any]) -> pd.DataFrame:
    """A signal table with exactly :data:`SIGNAL_COLUMNS` and their public dtypes.

    Strings become ``str`` dtype (missing: NaN) and ``timestamp`` ``datetime64[us, UTC]``, as
    :func:`portlab.events.signals_to_frame` gives them.
    """
    n = len(next(iter(columns.values()))) if columns else 0
    data: dict[str, Any] = {}
    for c in SIGNAL_COLUMNS:
        if c == "timestamp":
            values = columns.get(c, np.zeros(0, dtype="datetime64[us]"))
            data[c] = pd.DatetimeIndex(values).as_unit("us").tz_localize("UTC")
        elif c in _STR_COLUMNS:
            data[c] = pd.array(list(columns.get(c, [None] * n)), dtype="str")
        else:
            data[c] = np.asarray(columns.get(c, np.full(n, np.nan)), dtype=np.float64)
    return pd.DataFrame(data, columns=list(SIGNAL_COLUMNS))


# ------------------------------------------------------------------------------ strategies


class Momentum(SignalStrategy):
    """Cross-sectional momentum: buy the ``top`` winners, sell the ``top`` losers.

    Momentum at row ``t`` is the price return from ``t - lookback`` to ``t - skip``
    (``P[t-skip] / P[t-lookback] - 1``: the classic 12-1 month measure with the defaults
    scaled to six months). Instruments are ranked across the universe; the ``top`` highest
    get BUY, the ``top`` lowest SELL (fewer when fewer than ``2 top`` have a value). The
    score is ``2 q - 1`` with ``q = (rank + 0.5) / n_valid`` the percentile rank.

    Parameters
    ----------
    lookback, skip : int
        Rows (trading days); ``0 <= skip < lookback``.
    top : int
        Instruments per side.
    horizon_days : int
        Signal horizon in rows (default 21).
    name : str
        Default ``"momentum"``.
    """

    def __init__(
        self,
        lookback: int = 126,
        skip: int = 21,
        top: int = 5,
        *,
        horizon_days: int = 21,
        name: str = "momentum",
        calibration: int | None = 756,
        prior_weight: float = 20.0,
        min_history: int = 10,
    ) -> None:
        super().__init__(
            name=name,
            horizon_days=horizon_days,
            calibration=calibration,
            prior_weight=prior_weight,
            min_history=min_history,
        )
        self.lookback = lookback
        self.skip = skip
        self.top = top

    def _check_params(self) -> None:
        _config_int("Momentum", "lookback", self.lookback, 1)
        _config_int("Momentum", "skip", self.skip, 0)
        _config_int("Momentum", "top", self.top, 1)
        if self.skip >= self.lookback:
            raise ConfigError(
                f"Momentum.skip must be < lookback, got skip={self.skip}, lookback={self.lookback}"
            )

    @property
    def warmup(self) -> int:
        return self.lookback

    def scores(self, prices: np.ndarray, rows: np.ndarray) -> np.ndarray:
        mom = _lagged(prices, rows, self.skip) / _lagged(prices, rows, self.lookback) - 1.0
        valid = np.isfinite(mom)
        n = mom.shape[1]
        order = np.argsort(np.where(valid, mom, np.inf), axis=1, kind="stable")
        rank = np.empty_like(order)
        np.put_along_axis(rank, order, np.arange(n)[None, :].repeat(len(rows), 0), axis=1)
        n_valid = valid.sum(axis=1, keepdims=True)
        k = np.minimum(self.top, n_valid // 2)
        pct = 2.0 * (rank + 0.5) / np.maximum(n_valid, 1) - 1.0
        chosen = valid & ((rank >= n_valid - k) | (rank < k))
        return np.where(chosen, pct, 0.0)


class MeanReversion(SignalStrategy):
    """Mean reversion against a rolling band: buy far below the mean, sell far above.

    ``z = (P_t - mean) / std`` over the last ``lookback`` prices (including ``P_t``,
    ``ddof=1``). When ``|z| >= z`` the signal is against the move: score
    ``-sign(z) · min(1, |z| / (2 z))`` (0.5 at the threshold); otherwise no signal.

    Parameters
    ----------
    lookback : int
        Rows in the band (>= 2).
    z : float
        Entry threshold in standard deviations (> 0).
    horizon_days : int
        Signal horizon in rows (default 5).
    name : str
        Default ``"mean_reversion"``.
    """

    def __init__(
        self,
        lookback: int = 20,
        z: float = 2.0,
        *,
        horizon_days: int = 5,
        name: str = "mean_reversion",
        calibration: int | None = 756,
        prior_weight: float = 20.0,
        min_history: int = 10,
    ) -> None:
        super().__init__(
            name=name,
            horizon_days=horizon_days,
            calibration=calibration,
            prior_weight=prior_weight,
            min_history=min_history,
        )
        self.lookback = lookback
        self.z = z

    def _check_params(self) -> None:
        _config_int("MeanReversion", "lookback", self.lookback, 2)
        _check_float("MeanReversion", "z", self.z, 0.0)

    @property
    def warmup(self) -> int:
        return self.lookback - 1

    def scores(self, prices: np.ndarray, rows: np.ndarray) -> np.ndarray:
        win = _windows(prices, rows, self.lookback)
        mean = win.mean(axis=1)
        std = win.std(axis=1, ddof=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(std > 0, (prices[rows] - mean) / std, np.nan)
        strength = np.minimum(1.0, np.abs(z) / (2.0 * self.z))
        return np.where(np.abs(z) >= self.z, -np.sign(z) * strength, np.where(np.isnan(z), z, 0.0))


class MovingAverageCrossover(SignalStrategy):
    """Moving-average crossover: BUY while the short average is above the long one, else SELL.

    ``gap = SMA_short / SMA_long - 1``; score ``tanh(gap / (σ √short))`` with ``σ`` the
    standard deviation of daily price returns over the long window (the gap in units of a
    typical price move over the short window).

    Parameters
    ----------
    short, long : int
        Window lengths in rows, ``1 <= short < long``.
    horizon_days : int
        Signal horizon in rows (default 21).
    name : str
        Default ``"ma_crossover"``.
    """

    def __init__(
        self,
        short: int = 10,
        long: int = 50,
        *,
        horizon_days: int = 21,
        name: str = "ma_crossover",
        calibration: int | None = 756,
        prior_weight: float = 20.0,
        min_history: int = 10,
    ) -> None:
        super().__init__(
            name=name,
            horizon_days=horizon_days,
            calibration=calibration,
            prior_weight=prior_weight,
            min_history=min_history,
        )
        self.short = short
        self.long = long

    def _check_params(self) -> None:
        _config_int("MovingAverageCrossover", "short", self.short, 1)
        _config_int("MovingAverageCrossover", "long", self.long, 2)
        if self.short >= self.long:
            raise ConfigError(
                f"MovingAverageCrossover.short must be < long, got {self.short} >= {self.long}"
            )

    @property
    def warmup(self) -> int:
        return self.long

    def scores(self, prices: np.ndarray, rows: np.ndarray) -> np.ndarray:
        win = _windows(prices, rows, self.long + 1)  # one more row for the first return
        gap = win[:, -self.short :].mean(axis=1) / win[:, 1:].mean(axis=1) - 1.0
        sigma = (win[:, 1:] / win[:, :-1] - 1.0).std(axis=1, ddof=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            score = np.tanh(gap / (sigma * np.sqrt(self.short)))
        return np.where(sigma > 0, score, np.nan)
