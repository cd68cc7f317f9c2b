"""Market data: prices, returns, sectors, benchmark, factors, volumes and covariance estimates.

:class:`Market` takes real-world price tables (gaps, late listings, delistings, duplicate or
unsorted dates), repairs what a documented rule allows -- each repair raises a
:class:`DataRepairWarning` and adds a row to :attr:`Market.report` -- and rejects the rest
with :class:`~portlab.exceptions.DataError` naming the column and the row. The rules are listed
in :mod:`portlab._cleaning` and in the :class:`Market` docstring.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from portlab import _estimators as est
from portlab._cleaning import (
    UNKNOWN_SECTOR,
    RepairLog,
    check_all_nan,
    clean_reference,
    clean_volumes,
    fill_gaps,
    naming_files,
    sectors_and_names,
    simple_returns,
    validate_frame,
)
from portlab._csvfiles import read_market_csv, read_prices_csv
from portlab._estimators import CovMethod
from portlab.dates import as_timestamp
from portlab.exceptions import DataError, DataRepairWarning, ValidationError
from portlab.formatting import format_date, format_names, format_value
from portlab.records import check_int

if TYPE_CHECKING:
    from portlab.analytics.estimators import ReturnMethod
    from portlab.events import TradingSignalEvent

__all__ = ["UNKNOWN_SECTOR", "CovMethod", "DataRepairWarning", "Market"]

_REPORT_COLUMNS = ["column", "row", "issue", "action", "count"]


_DEFAULT_COV = (CovMethod.LEDOIT_WOLF, 504, 60)  # method, window, min_periods of the defaults


class Market:
    """Cleaned market data and the covariance estimates built on them.

    Immutable by convention: the constructor copies its inputs, and the frames and arrays it
    hands out are copy-on-write or read-only.

    Parameters
    ----------
    prices : DataFrame, shape (n_dates, n_instruments)
        Prices (any currency, one per instrument), indexed by a DatetimeIndex or with a ``Date``
        column. Cleaned by the rules in Notes.
    sectors : Series, mapping or DataFrame with a ``sector`` column, optional
        Instrument → sector label. Missing ones (or all, when ``sectors`` is not given) become
        :data:`UNKNOWN_SECTOR` (``"Unknown"``), with an :class:`InputRepairWarning` saying how
        many: sector limits and sector analytics do not apply to them (see
        :attr:`unknown_sector`).
    names : Series, mapping or DataFrame with a ``name`` column, optional
        Instrument → display name (the instrument id when missing).
    benchmark : Series or one-column DataFrame, optional
        Benchmark price (index level), put on the market's dates.
    factors : DataFrame, optional
        Factor prices (e.g. factor ETFs), dates × factors, put on the market's dates (NaN before a
        factor starts).
    volumes : DataFrame, optional
        Traded volume in shares, dates × instruments; put on the market's dates and instruments.
    covariance : DataFrame or ndarray, optional
        The user's risk model: **annualised** covariance of simple returns, instruments ×
        instruments, finite, symmetric and positive semi-definite (else ``DataError``; negative
        eigenvalues within rounding, ``portlab.linalg.PSD_RTOL``, are set to zero by
        :func:`portlab.linalg.repair_psd`, warned and reported). When given,
        :meth:`covariance`, :meth:`correlation`, :meth:`volatility` and :meth:`risk_model` with
        their default arguments return it instead of an estimate.
    max_ffill : int, default 5
        Longest interior gap (in rows) that is forward-filled; 0 disables filling.
    bad_prices : {"raise", "nan"}, default "raise"
        What non-positive or infinite prices do: raise ``DataError``, or become NaN.
    periods_per_year : int, default 252
        Rows per year, the annualisation factor.

    Raises
    ------
    DataError
        For data no documented rule repairs (the message names the column and the row/date).

    Notes
    -----
    Data rules, in order (``warned``: a :class:`DataRepairWarning`; every rule adds rows to
    :attr:`report`, labelled ``benchmark:<name>``, ``factors:<name>``, ``volumes:<name>`` for
    those inputs):

    1. a non-numeric cell is a ``DataError`` naming the column and the row;
    2. unsorted dates are sorted (warned);
    3. duplicate dates with identical rows keep one row (warned); duplicates that differ are a
       ``DataError`` naming the date and a differing column;
    4. non-positive or infinite prices are a ``DataError`` naming the column, first date and
       count, or NaN with ``bad_prices="nan"`` (warned);
    5. a column with no valid price is a ``DataError``;
    6. leading NaN (late listing) stay NaN; the report gives the first valid date;
    7. interior gaps of at most ``max_ffill`` rows are forward-filled (warned); longer gaps stay
       NaN entirely;
    8. trailing NaN (delisting, stale data) stay NaN; :attr:`last_prices` is NaN when the last
       valid price is more than ``max_ffill`` rows before the last date.

    Benchmark and factor prices follow the same rules after being put on the market's dates
    (dates the prices lack are dropped, warned), so a factor starting later is a late listing.
    Volumes follow rules 1-3, reject negatives and are never filled. Sectors for unknown
    instruments are ignored (warned); instruments without one get :data:`UNKNOWN_SECTOR`
    (an :class:`~portlab.exceptions.InputRepairWarning`, since nothing was repaired: portlab
    only assumes the sector is not known).

    Examples
    --------
    >>> import warnings, pandas as pd
    >>> prices = pd.DataFrame({"A": [10.0, 10.5, None, 11.0], "B": [20.0, 19.0, 19.5, 20.5]},
    ...                       index=pd.date_range("2024-01-01", periods=4))
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     market = Market(prices, sectors={"A": "tech", "B": "energy"})
    >>> [str(w.message) for w in caught]
    ['prices: forward-filled 1 missing values in 1 gaps of at most 5 rows in A']
    >>> market
    Market(2 instruments, 2024-01-01..2024-01-04, 2 sectors)
    >>> market.last_prices.tolist(), market.report["action"].tolist()
    ([11.0, 20.5], ['forward-filled'])
    """

    def __init__(
        self,
        prices: pd.DataFrame,
        *,
        sectors: pd.Series | Mapping[str, str] | pd.DataFrame | None = None,
        names: pd.Series | Mapping[str, str] | pd.DataFrame | None = None,
        benchmark: pd.Series | pd.DataFrame | None = None,
        factors: pd.DataFrame | None = None,
        volumes: pd.DataFrame | None = None,
        covariance: pd.DataFrame | np.ndarray | None = None,
        max_ffill: int = 5,
        bad_prices: str = "raise",
        periods_per_year: int = 252,
    ) -> None:
        if bad_prices not in ("raise", "nan"):
            raise ValidationError(
                f"bad_prices must be 'raise' or 'nan', got {format_value(bad_prices)}"
            )
        check_int("max_ffill", max_ffill, 0)
        check_int("periods_per_year", periods_per_year, 1)
        log = RepairLog()
        raw = validate_frame(prices, "prices", log, bad_prices=bad_prices)
        check_all_nan(raw, "prices")
        instruments, dates = raw.columns, raw.index
        sect, nm = sectors_and_names(sectors, names, instruments, log)
        bench_raw = clean_reference(benchmark, "benchmark", dates, log, bad_prices, one_column=True)
        factors_raw = clean_reference(factors, "factors", dates, log, bad_prices)
        vols = None if volumes is None else clean_volumes(volumes, instruments, dates, log)
        given = None if covariance is None else est.check_covariance(covariance, instruments, log)
        self._max_ffill, self._ppy = int(max_ffill), int(periods_per_year)
        parts = {"raw": raw, "bench_raw": bench_raw, "factors_raw": factors_raw, "volumes": vols}
        parts.update(sectors=sect, names=nm, given=given, base_rows=log.rows)
        fill_log = self._setup(parts)
        log.emit()
        fill_log.emit()

    def _setup(self, parts: dict[str, Any]) -> RepairLog:
        """Fill gaps and store everything (shared by ``__init__``, ``truncate`` and ``select``)."""
        self._parts = parts
        self._prices, fills = fill_gaps(parts["raw"], "prices", self._max_ffill)
        self._benchmark = self._factors = None
        if parts["bench_raw"] is not None:
            filled, blog = fill_gaps(parts["bench_raw"], "benchmark", self._max_ffill)
            self._benchmark = filled.iloc[:, 0]
            fills.extend(blog)
        if parts["factors_raw"] is not None:
            self._factors, flog = fill_gaps(parts["factors_raw"], "factors", self._max_ffill)
            fills.extend(flog)
        self._volumes, self._sectors, self._names = (
            parts["volumes"],
            parts["sectors"],
            parts["names"],
        )
        self._given_cov = parts["given"]
        self._fill_rows, self._cov_rows = fills.rows, []
        self._cache: dict[tuple, Any] = {}
        return fills

    def _derive(self, **changes: Any) -> Market:
        new = object.__new__(Market)
        new._max_ffill, new._ppy = self._max_ffill, self._ppy
        new._setup({**self._parts, **changes})
        return new

    @classmethod
    def from_csv(
        cls,
        path: str | os.PathLike,
        *,
        sectors: str | os.PathLike | pd.Series | pd.DataFrame | Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> Market:
        """Read prices from a CSV with a ``Date`` column (other columns: one per instrument).

        ``path``: UTF-8 (a byte-order mark is dropped), gzip or not (detected from the
        content); empty cells (and ``NA``, ``NaN``, ``null`` ...) are missing prices.
        ``sectors``: a path to a CSV whose first column is the instrument and which has a
        ``sector`` column (and optionally ``name``, used for ``names`` unless given), or anything
        :class:`Market` accepts; without it every instrument is :data:`UNKNOWN_SECTOR` (an
        :class:`~portlab.exceptions.InputRepairWarning`). Other keyword arguments go to
        :class:`Market`.

        Raises ``DataError`` naming the file (and the line and column where known) for a missing
        or unreadable file, bytes that are not UTF-8, an empty or header-only file, a row with
        more or fewer fields than the header, no ``Date`` column, a date or a price that cannot
        be read (see :func:`portlab._csvfiles.read_prices_csv`), and for every cleaning rule's
        error (``prices.csv column 'B': 2 non-positive or infinite prices, first on
        2021-01-05``); repair warnings name the file too.
        """
        prices, sectors, kwargs, files = read_market_csv(path, sectors, kwargs)
        with naming_files(files):
            return cls(prices, sectors=sectors, **kwargs)

    # ----------------------------------------------------------------------------- data
    @property
    def instruments(self) -> pd.Index:
        """Instrument ids (str), in column order."""
        return self._prices.columns

    @property
    def dates(self) -> pd.DatetimeIndex:
        """Dates of the price rows, ascending, unique."""
        return self._prices.index

    @property
    def prices(self) -> pd.DataFrame:
        """Cleaned prices, shape (n_dates, n_instruments); NaN before listing, after delisting and in long gaps."""
        return self._prices.copy(deep=False)

    @property
    def returns(self) -> pd.DataFrame:
        """Simple per-period returns (fractions), shape (n_dates - 1, n_instruments); NaN where a price is missing.

        A forward-filled gap gives zero returns over the gap and the move on the day it ends.
        """
        if "returns" not in self._cache:
            self._cache["returns"] = simple_returns(self._prices)
        return self._cache["returns"].copy(deep=False)

    @property
    def last_prices(self) -> pd.Series:
        """Last valid price per instrument; NaN when it is more than ``max_ffill`` rows before the last date."""
        if "last_prices" not in self._cache:
            valid = self._prices.notna().to_numpy()
            n_rows = valid.shape[0]
            last = n_rows - 1 - valid[::-1].argmax(axis=0)
            values = self._prices.to_numpy()[last, np.arange(valid.shape[1])]
            stale = ~valid.any(axis=0) | (n_rows - 1 - last > self._max_ffill)
            values = np.where(stale, np.nan, values)
            self._cache["last_prices"] = pd.Series(
                values, index=self.instruments, name="last_price"
            )
        return self._cache["last_prices"].copy(deep=False)

    @property
    def sectors(self) -> pd.Series:
        """Instrument → sector label (str); :data:`UNKNOWN_SECTOR` (``"Unknown"``) where none was given."""
        return self._sectors.copy(deep=False)

    @property
    def unknown_sector(self) -> pd.Series:
        """Instrument → True where the sector is not known, shape (n_instruments,), bool.

        True for instruments given no sector (or a missing or blank one, or the label
        :data:`UNKNOWN_SECTOR` itself): :attr:`sectors` shows them as ``"Unknown"``, but they
        are not one sector -- sector limits and sector analytics do not apply to them. Named
        ``"unknown_sector"``; ``market.unknown_sector.to_numpy()`` aligns with
        :meth:`sector_codes`.
        """
        return (self._sectors == UNKNOWN_SECTOR).rename("unknown_sector")

    @property
    def names(self) -> pd.Series:
        """Instrument → display name (str)."""
        return self._names.copy(deep=False)

    @property
    def benchmark(self) -> pd.Series | None:
        """Benchmark price on the market's dates (cleaned like prices), or None."""
        return None if self._benchmark is None else self._benchmark.copy(deep=False)

    @property
    def benchmark_returns(self) -> pd.Series | None:
        """Simple per-period benchmark returns, aligned with :attr:`returns`, or None."""
        if self._benchmark is None:
            return None
        return simple_returns(self._benchmark.to_frame()).iloc[:, 0]

    @property
    def factors(self) -> pd.DataFrame | None:
        """Factor prices on the market's dates (NaN before a factor starts), or None."""
        return None if self._factors is None else self._factors.copy(deep=False)

    @property
    def factor_returns(self) -> pd.DataFrame | None:
        """Simple per-period factor returns, aligned with :attr:`returns`, or None."""
        return simple_returns(self._factors)

    @property
    def volumes(self) -> pd.DataFrame | None:
        """Traded volume in shares, dates × instruments (NaN where unknown), or None."""
        return None if self._volumes is None else self._volumes.copy(deep=False)

    def adv(self, window: int = 20) -> pd.Series | None:
        """Average daily volume in shares over the last ``window`` rows (NaN ignored), or None without volumes."""
        if self._volumes is None:
            return None
        if isinstance(window, bool) or not isinstance(window, int | np.integer) or window < 1:
            raise ValidationError(f"window must be a positive integer, got {format_value(window)}")
        return self._volumes.iloc[-int(window) :].mean().rename("adv")

    def trading_arrays(self) -> tuple[np.ndarray, np.ndarray | None]:
        """Last prices and 20-day average daily volumes as read-only arrays, cached.

        Aligned with :attr:`instruments`; NaN where unknown; volumes None without volume data.
        The coordination engine reads these on every call.
        """
        if "trading_arrays" not in self._cache:
            price = est.readonly(self.last_prices.to_numpy(dtype=float))
            adv = self.adv()
            self._cache["trading_arrays"] = (
                price,
                None if adv is None else est.readonly(adv.to_numpy(dtype=float)),
            )
        return self._cache["trading_arrays"]

    @property
    def report(self) -> pd.DataFrame:
        """What cleaning did: columns ``column, row, issue, action, count``, one row per repair kind and column.

        ``row`` is a date (YYYY-MM-DD) -- the first one concerned -- or empty; ``count`` counts
        rows, gaps or cells as ``issue`` says. Covariance repairs (pairs with too little overlap,
        a PSD repair, incomplete rows dropped for PyPortfolioOpt's risk models) are appended
        when an estimate needs them, with the estimator and window in ``row`` (``given`` for
        the rounding-level repair of a given covariance).
        """
        rows = self._parts["base_rows"] + self._fill_rows + self._cov_rows
        return pd.DataFrame(rows, columns=_REPORT_COLUMNS).astype({"count": "int64"})

    @property
    def periods_per_year(self) -> int:
        """Rows per year used to annualise (252 for daily data)."""
        return self._ppy

    @property
    def max_ffill(self) -> int:
        """Longest interior gap, in rows, that was forward-filled."""
        return self._max_ffill

    # ----------------------------------------------------------------------- risk
    def _cov_frame(
        self, method, window, halflife, annualize, min_periods, use_given, threshold=None
    ) -> pd.DataFrame:
        method, threshold = est.check_estimator(method, window, halflife, min_periods, threshold)
        use = (
            use_given
            and self._given_cov is not None
            and (method, window, min_periods) == _DEFAULT_COV
        )
        key = (
            "cov",
            method,
            window,
            float(halflife) if method == CovMethod.EWMA else None,
            bool(annualize),
            min_periods,
            use,
            threshold,
        )
        if key in self._cache:
            return self._cache[key]
        scale = self._ppy if annualize else 1.0
        if use:
            arr = self._given_cov if annualize else self._given_cov / self._ppy
            attrs = {"method": "given", "annualized": bool(annualize)}
        else:
            x = self.returns.to_numpy(dtype=np.float64)
            x = x[-window:] if window is not None else x
            res = est.estimate(
                x, method, halflife, min_periods, threshold=threshold, frequency=self._ppy
            )
            arr = res.cov * scale
            attrs = {
                "method": str(method),
                "annualized": bool(annualize),
                "n_obs": res.n_obs,
                "shrinkage": float(res.shrinkage),
            }
            if threshold is not None:
                attrs["threshold"] = threshold
            log = est.repair_log(res, method, window)
            self._cov_rows += log.rows
            log.emit()
        frame = pd.DataFrame(arr, index=self.instruments, columns=self.instruments, copy=False)
        frame.attrs.update(attrs)
        self._cache[key] = frame
        return frame

    def covariance(
        self,
        method: CovMethod | str = CovMethod.LEDOIT_WOLF,
        *,
        window: int | None = 504,
        halflife: float = 63.0,
        annualize: bool = True,
        min_periods: int = 60,
        use_given: bool = True,
        threshold: float | None = None,
    ) -> pd.DataFrame:
        """Covariance of simple returns, instruments × instruments.

        Parameters
        ----------
        method : CovMethod or str
            portlab's own estimators, pairwise over missing values: ``"sample"`` (ddof=1),
            ``"ledoit_wolf"`` (shrunk toward ``mu * I``, ``mu`` the mean variance, optimal
            intensity of Ledoit & Wolf 2004; shrinks the ddof=0 covariance as the paper does;
            also accepted as PyPortfolioOpt's ``"ledoit_wolf_constant_variance"``, whose numbers
            it gives on complete data) or ``"ewma"`` (exponential weights of half-life
            ``halflife`` rows). PyPortfolioOpt's risk models
            (:func:`portlab.analytics.estimators.risk_matrix`), on the rows of the window
            where every instrument with ``min_periods`` returns has one (the others dropped,
            warned and reported; a ``DataError`` when fewer than ``min_periods`` rows are
            complete): ``"semicovariance"`` (``E[min(r_i − t, 0) min(r_j − t, 0)]``, ``t`` the
            ``threshold``), ``"ledoit_wolf_single_factor"``,
            ``"ledoit_wolf_constant_correlation"``, ``"oracle_approximating"``.
        window : int or None
            Use the last ``window`` rows of :attr:`returns` (all rows if None).
        halflife : float
            EWMA half-life in rows (ignored by the other methods).
        annualize : bool
            Multiply by ``periods_per_year`` (annual variance units) when True; per-period otherwise.
        min_periods : int
            Instruments with fewer valid returns in the window get NaN rows and columns (never
            zeros). Missing returns are handled pairwise; pairs of valid instruments overlapping on
            fewer rows get zero covariance, and a pairwise matrix that is not PSD (an eigenvalue
            below ``−portlab.linalg.SINGULAR_RTOL`` × the largest) has its negative eigenvalues
            set to zero by :func:`portlab.linalg.repair_psd` (PyPortfolioOpt's
            ``fix_nonpositive_semidefinite``; variances grow by at most the negative part) --
            both warned and appended to :attr:`report`.
        use_given : bool
            When the market was built with ``covariance=`` and ``method``, ``window`` and
            ``min_periods`` are the defaults, return that matrix (divided by ``periods_per_year``
            when ``annualize`` is False) instead of an estimate. False always estimates.
        threshold : float, optional
            ``"semicovariance"`` only: the per-period return below which a return is a
            shortfall (PyPortfolioOpt's ``benchmark``); default 0. An error with other methods.

        Returns
        -------
        DataFrame, shape (n_instruments, n_instruments)
            Cached per argument tuple; ``attrs`` holds the method, ``annualized``, ``n_obs``
            (rows used) and the shrinkage intensity (NaN for estimators without one).

        Examples
        --------
        >>> from portlab.datasets import load_sample
        >>> market = load_sample()
        >>> cov = market.covariance("oracle_approximating")
        >>> cov.attrs["method"], cov.attrs["n_obs"], round(cov.attrs["shrinkage"], 4)
        ('oracle_approximating', 504, 0.0169)
        >>> market.covariance("median")
        Traceback (most recent call last):
        ...
        portlab.exceptions.ValidationError: method must be one of 'sample', 'ledoit_wolf', 'ewma', 'semicovariance', 'ledoit_wolf_single_factor', 'ledoit_wolf_constant_correlation', 'oracle_approximating' (or 'ledoit_wolf_constant_variance' for 'ledoit_wolf'), got 'median'
        """
        return self._cov_frame(
            method, window, halflife, annualize, min_periods, use_given, threshold
        ).copy(deep=False)

    def correlation(
        self,
        method: CovMethod | str = CovMethod.LEDOIT_WOLF,
        *,
        window: int | None = 504,
        halflife: float = 63.0,
        annualize: bool = True,
        min_periods: int = 60,
        use_given: bool = True,
        threshold: float | None = None,
    ) -> pd.DataFrame:
        """Correlation matrix of :meth:`covariance` with the same arguments (``annualize`` has no effect).

        Rows/columns of instruments with NaN or zero variance are NaN.
        """
        key = ("corr", method, window, halflife, min_periods, use_given, threshold)
        if key not in self._cache:
            cov = self._cov_frame(
                method, window, halflife, True, min_periods, use_given, threshold
            ).to_numpy()
            vol = np.sqrt(np.diag(cov))
            with np.errstate(divide="ignore", invalid="ignore"):
                corr = cov / np.outer(vol, vol)
            corr = np.where(np.outer(vol > 0, vol > 0), corr, np.nan)
            np.fill_diagonal(corr, np.where(vol > 0, 1.0, np.nan))
            self._cache[key] = pd.DataFrame(corr, index=self.instruments, columns=self.instruments)
        return self._cache[key].copy(deep=False)

    def volatility(
        self,
        method: CovMethod | str = CovMethod.LEDOIT_WOLF,
        *,
        window: int | None = 504,
        halflife: float = 63.0,
        annualize: bool = True,
        min_periods: int = 60,
        use_given: bool = True,
        threshold: float | None = None,
    ) -> pd.Series:
        """Volatility per instrument: square root of the diagonal of :meth:`covariance` (annualised when ``annualize``)."""
        cov = self._cov_frame(
            method, window, halflife, annualize, min_periods, use_given, threshold
        ).to_numpy()
        return pd.Series(np.sqrt(np.diag(cov)), index=self.instruments, name="volatility")

    def expected_returns(
        self,
        method: ReturnMethod | str = "mean",
        *,
        window: int | None = None,
        span: float | None = None,
        compounding: bool | None = None,
        risk_free_rate: float | None = None,
        cov: pd.DataFrame | CovMethod | str | None = None,
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

        :func:`portlab.analytics.estimators.expected_returns` on this market's data: its
        cleaned :attr:`returns` (missing values kept as NaN, never filled: late listings,
        delistings, long gaps), its :attr:`benchmark_returns`, its :attr:`periods_per_year`
        as the frequency, and its :meth:`covariance` where a method needs one. The methods,
        their parameters and what NaN do are described there.

        Parameters
        ----------
        method : ReturnMethod or str
            ``"mean"`` (default), ``"compounded"``, ``"ewma"``, ``"capm"`` (beta to the
            market's benchmark), ``"market_implied"`` (the Black-Litterman prior) or
            ``"black_litterman"`` (posterior from ``views`` or ``signals``).
        window : int, optional
            Use the last ``window`` rows of returns and benchmark returns (all when None): the
            historical estimates, the CAPM betas, and the risk aversion implied by the
            benchmark. Not the covariance, which has its own window.
        cov : DataFrame, CovMethod or str, optional
            ``"market_implied"``, ``"black_litterman"``: the annualised covariance, or the name
            of a :meth:`covariance` method (with its default arguments); default
            :meth:`covariance` (Ledoit-Wolf over 504 rows, or the market's given covariance).
        span, compounding, risk_free_rate, market_weights, risk_aversion, prior, views, signals, confidences, omega, tau
            As in :func:`portlab.analytics.estimators.expected_returns`; a parameter the method
            does not take is a ``ValidationError``.

        Returns
        -------
        Series, shape (n_instruments,)
            Annual expected simple returns (fractions) indexed by instrument, named by the
            method; ``attrs`` holds the method, ``frequency``, ``window``, ``n_obs`` (rows of
            returns used), the parameters with their defaults and, where a covariance was
            used, ``cov`` (its method, or ``"given"``).

        Raises
        ------
        ValidationError
            An unknown method (naming it and the choices), a parameter the method does not
            take, ``"capm"`` on a market without a benchmark, ``"market_implied"`` without
            ``risk_aversion`` on a market without a benchmark.
        DataError
            See :func:`portlab.analytics.estimators.expected_returns`.

        Examples
        --------
        >>> from portlab.datasets import load_sample
        >>> market = load_sample()
        >>> mu = market.expected_returns("ewma", span=252)
        >>> mu.name, mu.attrs["span"], mu.attrs["compounding"], round(float(mu["MSFT"]), 3)
        ('ewma', 252.0, False, -0.135)
        >>> prior = market.expected_returns(
        ...     "market_implied", market_weights={"AAPL": 2.0, "MSFT": 1.5, "XOM": 0.5}
        ... )
        >>> round(prior.attrs["risk_aversion"], 3), round(float(prior["AAPL"]), 3)
        (2.632, 0.198)
        """
        from portlab.analytics.estimators import ReturnMethod
        from portlab.analytics.estimators import expected_returns as estimate_returns

        returns, bench = self.returns, self.benchmark_returns
        if window is not None:
            check_int("window", window, 2)
            returns = returns.iloc[-window:]
            bench = None if bench is None else bench.iloc[-window:]
        cov_name = None
        if method in (ReturnMethod.MARKET_IMPLIED, ReturnMethod.BLACK_LITTERMAN) and not (
            isinstance(cov, pd.DataFrame | np.ndarray)
        ):
            frame = self.covariance() if cov is None else self.covariance(cov)
            cov, cov_name = frame, frame.attrs.get("method", "given")
        elif isinstance(cov, pd.DataFrame | np.ndarray):
            cov_name = "given"
        mu = estimate_returns(
            returns,
            method,
            frequency=self._ppy,
            benchmark_returns=bench,
            span=span,
            compounding=compounding,
            risk_free_rate=risk_free_rate,
            cov=cov,
            market_weights=market_weights,
            risk_aversion=risk_aversion,
            prior=prior,
            views=views,
            signals=signals,
            confidences=confidences,
            omega=omega,
            tau=tau,
        )
        mu.attrs.update(window=window, n_obs=int(returns.shape[0]))
        if cov_name is not None:
            mu.attrs["cov"] = str(cov_name)
        return mu

    def risk_model(self) -> tuple[np.ndarray, np.ndarray]:
        """The default covariance as arrays, cached: the engine's risk input.

        Returns
        -------
        cov : ndarray, shape (n_instruments, n_instruments)
            Annualised covariance of :meth:`covariance` with default arguments (the given matrix
            when the market has one), aligned with :attr:`instruments`; read-only, float64; NaN
            rows/columns for instruments with too little history.
        vol : ndarray, shape (n_instruments,)
            Annualised volatilities, ``sqrt(diag(cov))``; read-only.

        The same two objects are returned on every call.
        """
        if "risk_model" not in self._cache:
            cov = est.readonly(
                self._cov_frame(CovMethod.LEDOIT_WOLF, 504, 63.0, True, 60, True).to_numpy()
            )
            self._cache["risk_model"] = (cov, est.readonly(np.sqrt(np.diag(cov))))
        return self._cache["risk_model"]

    def risk_model_filled(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`risk_model` with NaN replaced by 0, and which instruments have risk data.

        Returns ``(cov, vol, ok)``: read-only arrays, cached; ``ok`` is True where the
        volatility is finite and positive. The coordination engine reads these on every call.
        """
        if "risk_model_filled" not in self._cache:
            cov, vol = self.risk_model()
            ok = np.isfinite(vol) & (np.nan_to_num(vol) > 0)
            filled = est.readonly(np.nan_to_num(cov)) if np.isnan(cov).any() else cov
            ok.flags.writeable = False
            self._cache["risk_model_filled"] = (filled, est.readonly(np.nan_to_num(vol)), ok)
        return self._cache["risk_model_filled"]

    def sector_codes(self) -> tuple[np.ndarray, pd.Index]:
        """Sector of each instrument as an int code (read-only, shape (n_instruments,)) and the sorted labels."""
        if "sector_codes" not in self._cache:
            codes, labels = pd.factorize(self._sectors, sort=True)
            codes = np.asarray(codes, dtype=np.intp)
            codes.flags.writeable = False
            self._cache["sector_codes"] = (codes, pd.Index(labels, name="sector"))
        return self._cache["sector_codes"]

    # --------------------------------------------------------------------- derive
    def truncate(self, end: Any) -> Market:
        """The market as known at ``end``: data up to and including ``end`` (no look-ahead).

        Gap filling is redone on the truncated data, so a gap still open at ``end`` is trailing
        NaN. Instruments not yet listed at ``end`` stay, all NaN. A given covariance is kept.

        ``end`` is a date (an ISO 8601 string or a date/time object; anything else is a
        ``ValidationError`` naming ``end``). A time with a zone is compared in the zone of the
        market's dates (in UTC, then without zone, when they have none).
        """
        end = as_timestamp(end, "end")
        tz = self.dates.tz
        if end.tzinfo is not None:
            end = end.tz_convert(tz) if tz is not None else end.tz_convert(None)
        elif tz is not None:
            end = end.tz_localize(tz)
        p = self._parts
        if p["raw"].loc[:end].shape[0] == 0:
            first = format_date(self.dates[0])
            raise ValidationError(
                f"end: no dates on or before {format_date(end)} (first date {first})"
            )
        cut = {
            k: p[k].loc[:end]
            for k in ("raw", "bench_raw", "factors_raw", "volumes")
            if p[k] is not None
        }
        return self._derive(**cut)

    def select(self, instruments: Iterable[str]) -> Market:
        """The market restricted to ``instruments`` (in that order), with the given covariance subset."""
        cols = [str(i) for i in ([instruments] if isinstance(instruments, str) else instruments)]
        unknown = [c for c in cols if c not in self.instruments]
        if unknown:
            raise ValidationError(f"unknown instruments: {format_names(unknown)}")
        if len(set(cols)) != len(cols) or not cols:
            raise ValidationError("instruments must be a non-empty list without repeats")
        pos = self.instruments.get_indexer(cols)
        others = set(self.instruments) - set(cols)
        return self._derive(
            raw=self._parts["raw"][cols],
            volumes=None if self._volumes is None else self._volumes[cols],
            sectors=self._sectors[cols],
            names=self._names[cols],
            given=None if self._given_cov is None else self._given_cov[np.ix_(pos, pos)],
            base_rows=[r for r in self._parts["base_rows"] if r[0] not in others],
        )

    def with_benchmark(self, benchmark: pd.Series | pd.DataFrame | str | os.PathLike) -> Market:
        """The same market measured against another benchmark.

        Parameters
        ----------
        benchmark : Series, one-column DataFrame, str or path
            Benchmark price levels by date (cleaned as ``Market(benchmark=...)``: put on the
            market's dates, short gaps forward-filled); a ``str`` is the name of one of the
            market's instruments (its prices); a path (``os.PathLike``) is a CSV with a
            ``Date`` column and one price column, read as :meth:`from_csv` reads prices.

        Returns
        -------
        Market
            A new market; this one is not changed. Prices, sectors, factors, volumes and a
            given covariance are shared; the cleaning :attr:`report` names the new benchmark.

        Raises
        ------
        ValidationError
            An unknown instrument name, more than one column, or prices the cleaning rules
            refuse.
        DataError
            A CSV that cannot be read, naming the file and the line.

        Examples
        --------
        >>> from portlab.datasets import load_sample
        >>> market = load_sample().with_benchmark("MSFT")
        >>> market.benchmark.name, bool((market.benchmark == market.prices["MSFT"]).all())
        ('MSFT', True)
        """
        raw = self._parts["raw"]
        if isinstance(benchmark, str):
            if benchmark not in raw.columns:
                raise ValidationError(
                    f"benchmark: {format_value(benchmark)} is not an instrument of the market"
                )
            benchmark = raw[benchmark]
        if benchmark is None:
            raise ValidationError("benchmark: give prices or an instrument's name, not None")
        files = {}
        if isinstance(benchmark, os.PathLike):
            files["benchmark"] = os.fspath(benchmark)
            benchmark = read_prices_csv(benchmark)
            if benchmark.shape[1] != 1:
                raise DataError(
                    f"{files['benchmark']}: a benchmark file has one price column besides "
                    f"'Date', got {benchmark.shape[1]}"
                )
        log = RepairLog()
        with naming_files(files):
            bench_raw = clean_reference(
                benchmark, "benchmark", raw.index, log, "raise", one_column=True
            )
            kept = [r for r in self._parts["base_rows"] if not str(r[0]).startswith("benchmark")]
            new = self._derive(bench_raw=bench_raw, base_rows=kept + log.rows)
            log.emit()
        return new

    def __repr__(self) -> str:
        span = f"{format_date(self.dates[0])}..{format_date(self.dates[-1])}"
        return f"Market({len(self.instruments)} instruments, {span}, {self._sectors.nunique()} sectors)"


def attach_model_covariance(market: Market, cov: np.ndarray) -> Market:
    """Give a freshly built ``market`` a covariance that is symmetric PSD by construction.

    Package-internal (not in ``__all__``): :func:`portlab.datasets.synthetic` attaches its
    factor model's exact covariance this way, skipping the O(n³) eigenvalue check that
    ``Market(covariance=...)`` runs on a user's matrix. It sets the covariance in place, so
    call it only on a market nothing else holds yet.

    Parameters
    ----------
    market : Market
        The market just built.
    cov : ndarray, shape (n_instruments, n_instruments)
        Annualised covariance, aligned with ``market.instruments``.

    Returns
    -------
    Market
        ``market`` itself.
    """
    n = len(market.instruments)
    if cov.shape != (n, n):
        raise DataError(f"covariance has shape {cov.shape}, expected ({n}, {n})")
    market._given_cov = market._parts["given"] = np.asarray(cov, dtype=np.float64)
    market._cache.clear()
    return market
