"""Train / validation / test periods by date (the benchmark runner of specification §14)."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd

from portlab.dates import as_naive_utc
from portlab.exceptions import ValidationError

if TYPE_CHECKING:
    from portlab.dates import DateLike
    from portlab.market import Market

__all__ = ["Period", "Split", "dates_of", "split"]


class Period(NamedTuple):
    """A date range, both ends included; unpacks into ``Backtest.run(market, *period)``."""

    start: pd.Timestamp
    end: pd.Timestamp


class Split(NamedTuple):
    """Train, validation and test periods (the benchmark runner of specification §14)."""

    train: Period
    validation: Period
    test: Period


def dates_of(market: Market | pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The dates of a Market (or a DatetimeIndex itself); ValidationError otherwise."""
    if isinstance(market, pd.DatetimeIndex):
        return market
    dates = getattr(market, "dates", None)
    if not isinstance(dates, pd.DatetimeIndex):
        raise ValidationError(f"expected a Market or a DatetimeIndex, not {type(market).__name__}")
    return dates


def _is_fraction(x: object) -> bool:
    return isinstance(x, float | int | np.floating | np.integer) and not isinstance(x, bool)


def split(
    market: Market | pd.DatetimeIndex,
    train: float | DateLike = 0.6,
    validation: float | DateLike = 0.2,
    test: float | DateLike | None = None,
    *,
    gap: int = 0,
) -> Split:
    """Split a market's dates into consecutive train, validation and test periods.

    Parameters
    ----------
    market : Market or DatetimeIndex
    train, validation, test : float or DateLike
        Either fractions of the dates (each > 0, summing to 1; ``test`` defaults to the rest),
        or end dates (inclusive) of each period (``test`` defaults to the last date). Do not
        mix fractions and dates.
    gap : int
        Rows left out after the train and after the validation period (an embargo, e.g. the
        signal horizon, so that no outcome of one period lies in the next).

    Returns
    -------
    Split
        ``train``, ``validation`` and ``test`` :class:`Period` s of actual dates.

    Raises
    ------
    ValidationError
        Fractions that are not positive or do not sum to 1, unordered or unknown end dates,
        or a period left without dates.

    Notes
    -----
    A backtest of a later period still sees the earlier data as history (the strategies
    need it to warm up); only the dates it trades and scores are restricted.
    """
    dates = dates_of(market)
    n = len(dates)
    if isinstance(gap, bool) or not isinstance(gap, int | np.integer) or gap < 0:
        raise ValidationError(f"gap must be an integer >= 0, got {gap!r}")
    if _is_fraction(train) and _is_fraction(validation) and (test is None or _is_fraction(test)):
        fr = [float(train), float(validation)]
        fr.append(1.0 - sum(fr) if test is None else float(test))
        if min(fr) <= 0 or abs(sum(fr) - 1.0) > 1e-9:
            raise ValidationError(
                f"train, validation, test fractions must be > 0 and sum to 1, got {fr}"
            )
        n_train = int(round(fr[0] * n))
        n_val = int(round(fr[1] * n))
        bounds = [n_train - 1, n_train + n_val - 1, n - 1]
    elif any(_is_fraction(x) for x in (train, validation, test)):
        raise ValidationError("give train, validation and test all as fractions or all as dates")
    else:
        bounds = []
        for name, value in (("train", train), ("validation", validation), ("test", test)):
            if value is None:
                if name != "test":
                    raise ValidationError(f"{name}: an end date is required")
                bounds.append(n - 1)
                continue
            ts = as_naive_utc(value, name)
            bounds.append(int(dates.searchsorted(ts, side="right")) - 1)
    starts = [0, bounds[0] + 1 + gap, bounds[1] + 1 + gap]
    periods = []
    for name, lo, hi in zip(("train", "validation", "test"), starts, bounds, strict=True):
        if hi < lo or lo >= n or hi < 0:
            raise ValidationError(f"{name} period has no dates (check the split and gap)")
        periods.append(Period(pd.Timestamp(dates[lo]), pd.Timestamp(dates[hi])))
    return Split(*periods)
