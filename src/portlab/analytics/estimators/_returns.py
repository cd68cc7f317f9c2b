"""Expected returns by PyPortfolioOpt's estimators, with portlab's data rules in front.

:func:`expected_returns` validates its inputs, then delegates to
``pypfopt.expected_returns`` (``mean_historical_return``, ``ema_historical_return``,
``capm_return``) and ``pypfopt.black_litterman`` (``market_implied_prior_returns``,
``market_implied_risk_aversion``, ``BlackLittermanModel``) with ``returns_data=True`` and the
returns' periods per year as ``frequency``. PyPortfolioOpt loads on the first call.
"""

from __future__ import annotations

import contextlib
import enum
import warnings
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from portlab.exceptions import DataError, ValidationError
from portlab.formatting import format_names, format_value
from portlab.records import as_enum, check_int

if TYPE_CHECKING:
    from portlab.events import TradingSignalEvent

__all__ = ["ReturnMethod", "capm_betas", "expected_returns"]


class ReturnMethod(enum.StrEnum):
    """Expected-return estimators of :func:`expected_returns` and
    :meth:`portlab.Market.expected_returns`."""

    MEAN = "mean"  #: arithmetic mean return × periods per year
    COMPOUNDED = "compounded"  #: compounded (geometric) annual growth rate
    EWMA = "ewma"  #: exponentially weighted mean return (``span`` in periods)
    CAPM = "capm"  #: ``r_f + β (E[R_m] − r_f)``, beta to the benchmark
    MARKET_IMPLIED = "market_implied"  #: reverse optimisation ``δ Σ w_mkt + r_f`` (BL prior)
    BLACK_LITTERMAN = "black_litterman"  #: Black-Litterman posterior from views or signals


#: the keyword parameters each method takes (anything else given is an error)
_PARAMETERS: dict[ReturnMethod, tuple[str, ...]] = {
    ReturnMethod.MEAN: (),
    ReturnMethod.COMPOUNDED: (),
    ReturnMethod.EWMA: ("span", "compounding"),
    ReturnMethod.CAPM: ("risk_free_rate", "compounding"),
    ReturnMethod.MARKET_IMPLIED: ("cov", "market_weights", "risk_aversion", "risk_free_rate"),
    ReturnMethod.BLACK_LITTERMAN: (
        "cov",
        "market_weights",
        "risk_aversion",
        "risk_free_rate",
        "prior",
        "views",
        "signals",
        "confidences",
        "omega",
        "tau",
    ),
}

#: PyPortfolioOpt's defaults where portlab keeps them (span, tau), and portlab's choices
DEFAULT_SPAN = 500.0
DEFAULT_TAU = 0.05

_NO_BENCHMARK = (
    "needs benchmark returns (for a Market: Market(..., benchmark=...) or "
    "market.with_benchmark(...))"
)


def _number(name: str, value: Any, *, low: float | None = None, low_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValidationError(f"{name} must be a number, got {format_value(value)}")
    value = float(value)
    if not np.isfinite(value) or (low is not None and (value <= low if low_open else value < low)):
        bound = "" if low is None else f" {'>' if low_open else '>='} {low:g}"
        raise ValidationError(f"{name} must be a finite number{bound}, got {format_value(value)}")
    return value


def _check_returns(returns: Any) -> pd.DataFrame:
    if not isinstance(returns, pd.DataFrame):
        raise ValidationError(f"returns must be a pandas DataFrame, got {type(returns).__name__}")
    if returns.columns.has_duplicates:
        dupes = returns.columns[returns.columns.duplicated()]
        raise ValidationError(f"returns: duplicate column(s) {format_names(dupes)}")
    try:
        x = returns.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise DataError(f"returns: entries must be numbers ({exc})") from None
    if np.isinf(x).any():
        i, j = np.argwhere(np.isinf(x))[0]
        raise DataError(f"returns[{returns.index[i]}, {returns.columns[j]}] is {x[i, j]}")
    return returns


def _check_benchmark(benchmark_returns: Any, returns: pd.DataFrame, method: str) -> pd.Series:
    if benchmark_returns is None:
        raise ValidationError(f"method {method!r} {_NO_BENCHMARK}")
    if isinstance(benchmark_returns, pd.DataFrame) and benchmark_returns.shape[1] == 1:
        benchmark_returns = benchmark_returns.iloc[:, 0]
    if not isinstance(benchmark_returns, pd.Series):
        raise ValidationError(
            f"benchmark_returns must be a pandas Series, got {type(benchmark_returns).__name__}"
        )
    try:
        b = benchmark_returns.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"benchmark_returns: entries must be numbers ({exc})") from None
    if np.isinf(b.to_numpy()).any():
        raise DataError("benchmark_returns: infinite values")
    if not b.index.is_unique:
        raise ValidationError("benchmark_returns: duplicate dates")
    n = int(b.reindex(returns.index).notna().sum())
    if n < 2:
        raise DataError(
            f"benchmark_returns: {n} valid returns on the dates of returns; need at least 2"
        )
    return b


@contextlib.contextmanager
def _pypfopt_nan_notice_silenced() -> Iterator[None]:
    """PyPortfolioOpt warns on any NaN after the first valid return; the rules documented in
    :func:`expected_returns` say what NaN do, and a Market's report says where they are."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Some returns are NaN", category=UserWarning)
        yield


# ------------------------------------------------------------------------ historical
def _historical(
    returns: pd.DataFrame, frequency: int, compounding: bool, span: float | None
) -> pd.Series:
    from pypfopt import expected_returns as er

    if compounding and (returns.to_numpy(dtype=np.float64, na_value=np.nan) <= -1).any():
        raise DataError(
            "returns: a return of -100% or less cannot be compounded into an annual rate"
        )
    with _pypfopt_nan_notice_silenced():
        if span is None:
            mu = er.mean_historical_return(
                returns, returns_data=True, compounding=compounding, frequency=frequency
            )
        else:
            mu = er.ema_historical_return(
                returns, returns_data=True, compounding=compounding, span=span, frequency=frequency
            )
    # PyPortfolioOpt compounds an instrument without returns to 0.0: it has no estimate
    return mu.where(returns.notna().any().to_numpy(), np.nan)


# ------------------------------------------------------------------------------ CAPM
def _joined(returns: pd.DataFrame, bench: pd.Series) -> pd.DataFrame:
    """Positional columns (an instrument may be called ``"mkt"``) and the benchmark as
    ``"mkt"``, joined on the returns' dates, as PyPortfolioOpt's ``capm_return`` does."""
    left = returns.set_axis(pd.RangeIndex(returns.shape[1]), axis=1)
    return left.join(bench.to_frame("mkt"), how="left")


def capm_betas(returns: pd.DataFrame, benchmark_returns: pd.Series) -> pd.Series:
    """Betas to the benchmark as PyPortfolioOpt's ``capm_return`` computes them.

    ``β_i = cov(r_i, r_m) / var(r_m)`` with pandas' pairwise covariance (``ddof=1``):
    ``cov(r_i, r_m)`` over the dates where both are known, each centred on its mean over
    those dates; ``var(r_m)`` over every date of ``returns`` where the benchmark is known.
    For an instrument with a return on each of those dates this is the least-squares slope
    of ``r_i`` on ``r_m`` with an intercept; for a late listing (or a gap) the two sums run
    over different dates -- PyPortfolioOpt's estimate, kept so that the CAPM returns are its
    numbers. (:func:`portlab.analytics.risk.instrument_betas` fits each instrument on its own
    overlap with the benchmark.)

    Parameters
    ----------
    returns : DataFrame, shape (n_dates, n_instruments)
        Simple per-period returns, NaN where missing; never modified.
    benchmark_returns : Series
        Simple per-period benchmark returns, matched to ``returns`` by date (dates it lacks
        are missing).

    Returns
    -------
    Series, shape (n_instruments,)
        Named ``"beta"``, indexed like the columns; NaN for an instrument with fewer than 2
        dates in common with the benchmark.

    Raises
    ------
    ValidationError, DataError
        Malformed inputs; fewer than 2 benchmark returns on the dates of ``returns``, or a
        benchmark with zero variance.

    Examples
    --------
    >>> import pandas as pd
    >>> bench = pd.Series([0.01, -0.02, 0.015, 0.0])
    >>> returns = pd.DataFrame({"A": 2 * bench, "B": -0.5 * bench + 0.001})
    >>> capm_betas(returns, bench).round(12).tolist()
    [2.0, -0.5]
    """
    returns = _check_returns(returns)
    bench = _check_benchmark(benchmark_returns, returns, "capm")
    return _betas(returns, bench)


def _betas(returns: pd.DataFrame, bench: pd.Series) -> pd.Series:
    cov = _joined(returns, bench).cov()
    var = float(cov.loc["mkt", "mkt"])
    if not var > 0:
        raise DataError("benchmark_returns: zero variance on the dates of returns")
    betas = (cov["mkt"] / var).drop("mkt")
    return pd.Series(betas.to_numpy(), index=returns.columns, name="beta")


def _capm(
    returns: pd.DataFrame,
    bench: pd.Series,
    frequency: int,
    risk_free_rate: float,
    compounding: bool,
) -> pd.Series:
    from pypfopt import expected_returns as er

    _betas(returns, bench)  # the zero-variance check, with portlab's message
    left = returns.set_axis(pd.RangeIndex(returns.shape[1]), axis=1)
    with _pypfopt_nan_notice_silenced():
        mu = er.capm_return(
            left,
            bench.to_frame("mkt"),
            returns_data=True,
            risk_free_rate=risk_free_rate,
            compounding=compounding,
            frequency=frequency,
        )
    return pd.Series(mu.to_numpy(), index=returns.columns)


# ------------------------------------------------------------------ Black-Litterman
def _risk_aversion(bench: pd.Series, frequency: int, risk_free_rate: float) -> float:
    """PyPortfolioOpt's ``market_implied_risk_aversion`` on the benchmark's returns.

    It takes prices: the returns (NaN dropped) are compounded from 1, which its
    ``pct_change`` turns back into the same returns."""
    from pypfopt.black_litterman import market_implied_risk_aversion

    r = bench.dropna().to_numpy(dtype=np.float64)
    prices = pd.Series(np.concatenate([[1.0], np.cumprod(1.0 + r)]))
    delta = float(market_implied_risk_aversion(prices, frequency, risk_free_rate))
    if not (np.isfinite(delta) and delta > 0):
        raise DataError(
            f"risk_aversion implied by the benchmark is {delta:.3g} (its mean return over "
            f"these dates is not above the risk-free rate {risk_free_rate:g}): give "
            "risk_aversion, a positive number (2.5 is common for equities)"
        )
    return delta


def _covariance(cov: Any, instruments: pd.Index) -> tuple[pd.DataFrame, np.ndarray]:
    """``cov`` on ``instruments`` and which instruments have a variance (a NaN variance: too
    little history; the covariances among the others must then be finite)."""
    from portlab.linalg import check_covariance

    if cov is None:
        raise ValidationError(
            "cov is required: the annualised covariance of the instruments (a DataFrame "
            "labelled by instrument, or a Market's covariance method name)"
        )
    if isinstance(cov, pd.DataFrame):
        missing = [i for i in instruments if i not in cov.index or i not in cov.columns]
        if missing:
            raise DataError(f"cov has no row or column for {format_names(missing)}")
        arr = cov.loc[instruments, instruments].to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        arr = np.array(cov, dtype=np.float64)
        n = len(instruments)
        if arr.shape != (n, n):
            raise ValidationError(f"cov must have shape ({n}, {n}), got {arr.shape}")
    ok = np.isfinite(np.diag(arr))
    if not ok.any():
        raise DataError("cov: no instrument has a finite variance")
    sub, _ = check_covariance(arr[np.ix_(ok, ok)], instruments[ok], name="cov")
    labels = instruments[ok]
    return pd.DataFrame(sub, index=labels, columns=labels), ok


def _by_instrument(value: Any, instruments: pd.Index, name: str) -> pd.Series:
    """A Series or mapping by instrument (unknown labels refused) or an array in column order."""
    if isinstance(value, Mapping) and not isinstance(value, pd.Series):
        value = pd.Series(dict(value), dtype=object)
    if isinstance(value, pd.Series):
        if not value.index.is_unique:
            raise ValidationError(f"{name}: an instrument appears twice")
        unknown = value.index.difference(instruments)
        if len(unknown):
            raise ValidationError(f"{name}: unknown instrument(s) {format_names(unknown)}")
        try:
            return value.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"{name}: entries must be numbers ({exc})") from None
    try:
        arr = np.array(value, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{name}: entries must be numbers ({exc})") from None
    if arr.shape[0] != len(instruments):
        raise ValidationError(
            f"{name}: {arr.shape[0]} values for {len(instruments)} instruments (give a Series "
            "or a mapping by instrument, or one value per instrument in column order)"
        )
    return pd.Series(arr, index=instruments)


def _market_weights(market_weights: Any, labels: pd.Index, ok: np.ndarray) -> pd.Series:
    if market_weights is None:
        raise ValidationError(
            "market_weights is required: the market portfolio's weights or capitalisations "
            "per instrument (those not given count as 0)"
        )
    w = _by_instrument(market_weights, labels, "market_weights").reindex(labels, fill_value=0.0)
    if not np.isfinite(w.to_numpy()).all():
        raise ValidationError("market_weights: NaN or infinite values")
    if (w < 0).any():
        raise ValidationError(f"market_weights: negative for {format_names(labels[w < 0])}")
    if not w.sum() > 0:
        raise ValidationError("market_weights: all weights are zero")
    held_unknown = labels[~ok & (w.to_numpy() > 0)]
    if len(held_unknown):
        raise DataError(
            f"market_weights: {format_names(held_unknown)} held in the market portfolio but "
            "without a covariance row (too little history): the prior of every instrument "
            "depends on it"
        )
    return w[ok]


def _implied(
    cov: pd.DataFrame, w: pd.Series, delta: float, risk_free_rate: float, labels: pd.Index
) -> pd.Series:
    from pypfopt.black_litterman import market_implied_prior_returns

    pi = market_implied_prior_returns(w, delta, cov, risk_free_rate)
    return pi.reindex(labels)


def _views(
    views: Any,
    signals: Any,
    confidences: Any,
    omega: Any,
    labels: pd.Index,
    ok: np.ndarray,
    frequency: int,
) -> tuple[pd.Series, Any, list[float] | None, str]:
    """``(Q by instrument, omega for PyPortfolioOpt, confidences or None, source)``."""
    if (views is None) == (signals is None):
        raise ValidationError(
            "black_litterman needs views (instrument -> expected annual return) or signals, "
            "one of the two"
        )
    if signals is not None:
        if confidences is not None:
            raise ValidationError(
                "confidences come from the signals; give confidences with views only"
            )
        from portlab.analytics.optimize import views_from_signals

        q, conf = views_from_signals(signals, periods_per_year=frequency)
        unknown = q.index.difference(labels)
        if len(unknown):
            raise ValidationError(f"signals on unknown instrument(s) {format_names(unknown)}")
        source = "signals"
    else:
        if not isinstance(views, pd.Series | Mapping):
            raise ValidationError(
                "views must be a Series or mapping of instrument -> expected annual return"
            )
        q = _by_instrument(views, labels, "views")
        if q.empty:
            raise ValidationError("views: no views given")
        if not np.isfinite(q.to_numpy()).all():
            raise ValidationError("views: NaN or infinite values")
        conf = None
        if confidences is not None:
            if isinstance(confidences, pd.Series | Mapping):
                conf = _by_instrument(confidences, labels, "confidences")
                missing = q.index.difference(conf.index)
                if len(missing):
                    raise ValidationError(f"confidences: none for {format_names(missing)}")
                conf = conf.reindex(q.index)
            else:
                try:
                    arr = np.array(confidences, dtype=np.float64).reshape(-1)
                except (TypeError, ValueError) as exc:
                    raise ValidationError(f"confidences: entries must be numbers ({exc})") from None
                if arr.shape[0] != len(q):
                    raise ValidationError(f"confidences: {arr.shape[0]} values for {len(q)} views")
                conf = pd.Series(arr, index=q.index)
            c = conf.to_numpy()
            if not (np.isfinite(c) & (c >= 0) & (c <= 1)).all():
                raise ValidationError("confidences must lie in [0, 1]")
        source = "views"
    no_cov = q.index[~ok[labels.get_indexer(q.index)]]
    if len(no_cov):
        raise DataError(
            f"views on {format_names(no_cov)}, which have no covariance row (too little history)"
        )
    if omega is None:
        omega = "default" if conf is None else "idzorek"
    if isinstance(omega, str):
        if omega not in ("default", "idzorek"):
            raise ValidationError(
                f"omega must be 'default', 'idzorek' or a (k, k) matrix, got {format_value(omega)}"
            )
        if omega == "idzorek" and conf is None:
            raise ValidationError("omega='idzorek' needs confidences (one per view)")
    else:
        try:
            om = np.array(omega, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"omega: entries must be numbers ({exc})") from None
        k = len(q)
        if om.shape != (k, k) or not np.isfinite(om).all():
            raise ValidationError(f"omega must be a finite ({k}, {k}) matrix, got shape {om.shape}")
        omega = om
    return q, omega, None if conf is None else conf.tolist(), source


def _black_litterman(
    cov: pd.DataFrame,
    pi: pd.Series,
    q: pd.Series,
    omega: Any,
    conf: list[float] | None,
    tau: float,
    labels: pd.Index,
) -> pd.Series:
    from pypfopt.black_litterman import BlackLittermanModel

    model = BlackLittermanModel(
        cov,
        pi=pi.reindex(cov.index),
        absolute_views=q,
        omega=omega,
        view_confidences=conf,
        tau=tau,
    )
    return model.bl_returns().reindex(labels)


# ------------------------------------------------------------------------ dispatcher
def expected_returns(
    returns: pd.DataFrame,
    method: ReturnMethod | str = ReturnMethod.MEAN,
    *,
    frequency: int = 252,
    benchmark_returns: pd.Series | None = None,
    span: float | None = None,
    compounding: bool | None = None,
    risk_free_rate: float | None = None,
    cov: pd.DataFrame | np.ndarray | None = None,
    market_weights: pd.Series | Mapping[str, float] | np.ndarray | None = None,
    risk_aversion: float | None = None,
    prior: pd.Series | Mapping[str, float] | None = None,
    views: pd.Series | Mapping[str, float] | None = None,
    signals: pd.DataFrame | Iterable[TradingSignalEvent] | None = None,
    confidences: pd.Series | Mapping[str, float] | np.ndarray | None = None,
    omega: str | pd.DataFrame | np.ndarray | None = None,
    tau: float | None = None,
) -> pd.Series:
    """Expected annual returns per instrument, by one of PyPortfolioOpt's estimators.

    Parameters
    ----------
    returns : DataFrame, shape (n_dates, n_instruments)
        Simple per-period returns (fractions), NaN where missing (``Market.returns``); ±inf is
        a ``DataError``. Never modified. Its columns are the instruments of the result.
    method : ReturnMethod or str
        See the table in Notes; default ``"mean"``.
    frequency : int
        Periods per year of ``returns`` (252 for daily data): PyPortfolioOpt's ``frequency``.
    benchmark_returns : Series, optional
        Simple per-period returns of the market (benchmark) index, matched by date: needed by
        ``"capm"``, and by ``"market_implied"`` / ``"black_litterman"`` when
        ``risk_aversion`` is not given. Ignored otherwise.
    span : float, optional
        ``"ewma"``: the span in periods (decay ``α = 2 / (span + 1)``); default 500.
    compounding : bool, optional
        ``"ewma"``, ``"capm"``: annualise the (weighted) mean by compounding,
        ``(1 + m)^frequency − 1`` (CAPM: the benchmark's compounded growth rate), instead of
        ``m × frequency``; default False.
    risk_free_rate : float, optional
        Annual risk-free rate (fraction) of ``"capm"``, ``"market_implied"`` and
        ``"black_litterman"``; default 0.
    cov : DataFrame or array, shape (n, n), optional
        ``"market_implied"``, ``"black_litterman"``: annualised covariance of the instruments
        (labelled by instrument, or in column order). Instruments with a NaN row (too little
        history) get NaN; see Notes.
    market_weights : Series, mapping or array, optional
        ``"market_implied"`` and the default prior of ``"black_litterman"``: the market
        portfolio's weights or capitalisations (normalised to sum to 1; instruments not given
        count as 0; negative values are an error).
    risk_aversion : float, optional
        ``δ > 0``; default: implied by ``benchmark_returns``, ``(E[R_m] − r_f) / Var(R_m)``
        annualised (PyPortfolioOpt's ``market_implied_risk_aversion``); a ``DataError`` when
        that is not positive.
    prior : Series or mapping, optional
        ``"black_litterman"``: the prior expected returns (annual) of every instrument with a
        covariance row; default the market-implied prior (as ``"market_implied"``, shaped by
        ``market_weights``, ``risk_aversion`` and ``risk_free_rate``, which a given prior
        excludes).
    views : Series or mapping, optional
        ``"black_litterman"``: absolute views, instrument → expected annual return.
    signals : DataFrame or iterable of TradingSignalEvent, optional
        ``"black_litterman"``: views from trading signals instead, by
        :func:`portlab.analytics.optimize.views_from_signals` (each signal's expected return
        annualised over its horizon, several signals on one instrument combined) with their
        confidences as Idzorek confidences (see Notes).
    confidences : Series, mapping or array, optional
        With ``views``: confidence of each view in ``[0, 1]``, for Idzorek's ``Ω``.
    omega : {"default", "idzorek"} or array (k, k), optional
        View uncertainty: He-Litterman's ``diag(P τΣ Pᵀ)`` (``"default"``, the default without
        confidences), Idzorek's from the confidences (the default with confidences or signals)
        or a given matrix.
    tau : float, optional
        ``"black_litterman"``: uncertainty scale of the prior, in ``(0, 1]``; default 0.05.

    Returns
    -------
    Series, shape (n_instruments,)
        Annual expected simple returns (fractions), indexed like the columns of ``returns``,
        named by the method's value (``"mean"``, ...). ``attrs`` holds ``method``,
        ``frequency``, and the parameters used with their defaults filled in (``span``,
        ``compounding``, ``risk_free_rate``, ``risk_aversion``, ``tau``, ``omega``,
        ``n_views``, ``prior``, ``views``: ``"views"`` or ``"signals"``).

    Raises
    ------
    ValidationError
        An unknown method (the message lists the choices); a parameter the method does not
        take (the message lists those it does); a required input missing (``benchmark_returns``
        for ``"capm"``, ``cov``, ``market_weights``, views); malformed values.
    DataError
        ±inf returns; too few benchmark returns, or a benchmark with zero variance; a
        non-positive implied risk aversion; a held instrument or a view without covariance.

    Notes
    -----
    ==================  =========================================  ========================
    method              PyPortfolioOpt                             NaN rule
    ==================  =========================================  ========================
    ``mean``            ``mean_historical_return``,                each instrument's mean
                        ``compounding=False``: ``mean × freq``     over its own valid rows
    ``compounded``      ``mean_historical_return``,                product over its valid
                        ``Π(1+r)^(freq / n_valid) − 1``            rows; NaN with none
    ``ewma``            ``ema_historical_return``: pandas          weights by position, NaN
                        ``ewm(span).mean()`` on the last row       skipped: a delisted
                                                                   instrument keeps its
                                                                   value at its last return
    ``capm``            ``capm_return``: ``r_f + β (E[R_m] −       betas of
                        r_f)``, ``β`` by :func:`capm_betas`        :func:`capm_betas`;
                                                                   ``E[R_m]`` over the
                                                                   benchmark's valid rows
    ``market_implied``  ``market_implied_prior_returns``:          see below
                        ``π = δ Σ w + r_f``
    ``black_litterman`` ``BlackLittermanModel(...).bl_returns()``  see below
    ==================  =========================================  ========================

    Missing values are never filled. An instrument without any valid return gets NaN
    (PyPortfolioOpt would compound it to 0). For ``"market_implied"`` and
    ``"black_litterman"``, instruments whose covariance row is NaN are left out of the
    computation and get NaN; they must have no market weight and no view (a ``DataError``
    otherwise), as everyone's prior depends on the held instruments' covariances.

    Black-Litterman from signals: the signal's ``expected_return`` over its horizon becomes
    an annual view ``q = expected_return × frequency / horizon_days`` and its confidence an
    Idzorek confidence, ``Ω_kk = τ (1 − c)/c · Σ_kk`` (Walters' closed form, PyPortfolioOpt's
    ``idzorek_method``): confidence 1 imposes the view, 0.5 weighs it like the prior; HOLD
    signals and signals with confidence 0 give no view. Several signals on one instrument are
    combined by :func:`~portlab.analytics.optimize.views_from_signals` into the one view whose
    Idzorek precision is the sum of theirs.

    Examples
    --------
    >>> import pandas as pd
    >>> returns = pd.DataFrame({"A": [0.01, 0.02, -0.01, 0.0], "B": [None, 0.01, 0.01, 0.01]})
    >>> mu = expected_returns(returns, "mean", frequency=252)
    >>> mu.round(4).to_dict(), mu.name, mu.attrs
    ({'A': 1.26, 'B': 2.52}, 'mean', {'method': 'mean', 'frequency': 252})
    >>> expected_returns(returns, "ewma", frequency=252, span=2).attrs["span"]
    2.0
    >>> expected_returns(returns, "median")
    Traceback (most recent call last):
    ...
    portlab.exceptions.ValidationError: method must be one of 'mean', 'compounded', 'ewma', 'capm', 'market_implied', 'black_litterman', got 'median'
    """
    method = as_enum(ReturnMethod, method, "method")
    given = {
        "span": span,
        "compounding": compounding,
        "risk_free_rate": risk_free_rate,
        "cov": cov,
        "market_weights": market_weights,
        "risk_aversion": risk_aversion,
        "prior": prior,
        "views": views,
        "signals": signals,
        "confidences": confidences,
        "omega": omega,
        "tau": tau,
    }
    allowed = _PARAMETERS[method]
    extra = [name for name, value in given.items() if value is not None and name not in allowed]
    if extra:
        takes = ", ".join(allowed) if allowed else "no parameter"
        raise ValidationError(
            f"method {str(method)!r} does not take {', '.join(extra)} (it takes: {takes})"
        )
    returns = _check_returns(returns)
    frequency = check_int("frequency", frequency, 1)
    labels = returns.columns
    attrs: dict[str, Any] = {"method": str(method), "frequency": frequency}
    comp = False if compounding is None else compounding
    if not isinstance(comp, bool | np.bool_):
        raise ValidationError(f"compounding must be True or False, got {format_value(comp)}")
    comp = bool(comp)
    rf = 0.0 if risk_free_rate is None else _number("risk_free_rate", risk_free_rate)

    if method in (ReturnMethod.MEAN, ReturnMethod.COMPOUNDED):
        mu = _historical(returns, frequency, method is ReturnMethod.COMPOUNDED, None)
    elif method is ReturnMethod.EWMA:
        s = DEFAULT_SPAN if span is None else _number("span", span, low=1.0)
        mu = _historical(returns, frequency, comp, s)
        attrs.update(span=s, compounding=comp)
    elif method is ReturnMethod.CAPM:
        bench = _check_benchmark(benchmark_returns, returns, str(method))
        mu = _capm(returns, bench, frequency, rf, comp)
        attrs.update(risk_free_rate=rf, compounding=comp)
    else:
        sub, ok = _covariance(cov, labels)
        if method is ReturnMethod.BLACK_LITTERMAN and prior is not None:
            shaping = [
                name
                for name in ("market_weights", "risk_aversion", "risk_free_rate")
                if given[name] is not None
            ]
            if shaping:
                raise ValidationError(
                    f"{', '.join(shaping)} shape the market-implied prior: give them or prior, "
                    "not both"
                )
            pi = _by_instrument(prior, labels, "prior").reindex(labels)
            short = labels[ok & ~np.isfinite(pi.to_numpy())]
            if len(short):
                raise ValidationError(f"prior: missing or NaN for {format_names(short)}")
            attrs["prior"] = "given"
        else:
            w = _market_weights(market_weights, labels, ok)
            if risk_aversion is not None:
                delta = _number("risk_aversion", risk_aversion, low=0.0, low_open=True)
            elif benchmark_returns is None:
                raise ValidationError(
                    f"method {str(method)!r} needs risk_aversion, or benchmark returns to "
                    "imply it (for a Market: Market(..., benchmark=...) or "
                    "market.with_benchmark(...))"
                )
            else:
                bench = _check_benchmark(benchmark_returns, returns, str(method))
                delta = _risk_aversion(bench.reindex(returns.index), frequency, rf)
            pi = _implied(sub, w, delta, rf, labels)
            attrs.update(risk_aversion=delta, risk_free_rate=rf)
            if method is ReturnMethod.BLACK_LITTERMAN:
                attrs["prior"] = "market_implied"
        if method is ReturnMethod.MARKET_IMPLIED:
            mu = pi
        else:
            t = DEFAULT_TAU if tau is None else _number("tau", tau, low=0.0, low_open=True)
            if t > 1:
                raise ValidationError(f"tau must be in (0, 1], got {format_value(t)}")
            q, om, conf, source = _views(views, signals, confidences, omega, labels, ok, frequency)
            mu = _black_litterman(sub, pi, q, om, conf, t, labels)
            attrs.update(
                tau=t,
                omega=om if isinstance(om, str) else "given",
                views=source,
                n_views=len(q),
            )
    out = pd.Series(mu.to_numpy(dtype=np.float64), index=labels, name=str(method))
    out.attrs.update(attrs)
    return out
