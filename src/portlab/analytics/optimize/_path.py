"""The efficient path traced by :func:`portlab.analytics.optimize._cla.trace`, as arrays, and
the closed-form lookups on it: the point of a given ``λ``, target return, target variance, and
the maximum Sharpe ratio (a closed form per segment)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from portlab.analytics.optimize._cla import Segment

__all__ = ["Path", "sharpe_stop"]


@dataclass(frozen=True)
class Path:
    """The efficient path as arrays over its segments (``K`` of them, ``λ`` decreasing).

    Attributes
    ----------
    lam_hi, lam_lo : ndarray (K,)
        Segment ends; ``lam_hi[0] == inf``; ``lam_lo[-1] == 0`` when ``complete``.
    W0, W1 : ndarray (K, n)
        ``w(λ) = W0[k] + λ W1[k]`` on segment ``k``.
    r0, r1, v00, v01, v11 : ndarray (K,)
        Return ``r0 + λ r1`` and variance ``v00 + 2λ v01 + λ² v11`` (of the covariance the path
        was traced with) on each segment.
    """

    lam_hi: np.ndarray
    lam_lo: np.ndarray
    W0: np.ndarray
    W1: np.ndarray
    r0: np.ndarray
    r1: np.ndarray
    v00: np.ndarray
    v01: np.ndarray
    v11: np.ndarray
    complete: bool

    @classmethod
    def from_segments(cls, segments: list[Segment], complete: bool) -> Path:
        def col(name):
            return np.array([getattr(s, name) for s in segments], dtype=float)

        return cls(
            lam_hi=col("lam_hi"),
            lam_lo=col("lam_lo"),
            W0=np.array([s.w0 for s in segments]),
            W1=np.array([s.w1 for s in segments]),
            r0=col("r0"),
            r1=col("r1"),
            v00=col("v00"),
            v01=col("v01"),
            v11=col("v11"),
            complete=complete,
        )

    def _at(self, k: np.ndarray, lam: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        lam = np.where(np.isinf(lam), 0.0, lam)  # only the constant first segment has λ = ∞
        w = self.W0[k] + lam[:, None] * self.W1[k]
        ret = self.r0[k] + lam * self.r1[k]
        var = self.v00[k] + 2 * lam * self.v01[k] + lam * lam * self.v11[k]
        return w, ret, np.maximum(var, 0.0)

    @property
    def max_return(self) -> float:
        return float(self.r0[0])

    @property
    def max_return_variance(self) -> float:
        return float(self.v00[0])

    @property
    def end_return(self) -> float:
        k = len(self.r0) - 1
        return float(self.r0[k] + self.lam_lo[k] * self.r1[k])

    @property
    def end_variance(self) -> float:
        k = len(self.r0) - 1
        lam = self.lam_lo[k]
        return float(self.v00[k] + 2 * lam * self.v01[k] + lam * lam * self.v11[k])

    def at_lambda(self, lam: float | np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Weights (len, n), returns, variances at the given ``λ`` values (inside the path)."""
        lam = np.atleast_1d(np.asarray(lam, dtype=float))
        k = np.searchsorted(-self.lam_lo, -lam, side="left")  # first segment with lam_lo <= λ
        k = np.clip(k, 0, len(self.lam_lo) - 1)
        lam = np.clip(lam, self.lam_lo[k], self.lam_hi[k])
        return self._at(k, lam)

    def at_return(self, target: float | np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Least-variance weights with ``μᵀw >= target`` (the path's lowest-λ point that
        reaches it); targets below the end of the path get its end point."""
        target = np.atleast_1d(np.asarray(target, dtype=float))
        finite = np.isfinite(self.lam_hi)
        r_hi = self.r0 + np.where(finite, self.lam_hi, 0.0) * self.r1
        r_hi = np.minimum.accumulate(r_hi)  # guard monotonicity against rounding
        # last segment whose upper-end return reaches the target
        k = len(r_hi) - np.searchsorted(r_hi[::-1], target, side="left") - 1
        k = np.clip(k, 0, len(r_hi) - 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            lam = np.where(self.r1[k] > 0, (target - self.r0[k]) / self.r1[k], self.lam_lo[k])
        lam = np.clip(lam, self.lam_lo[k], self.lam_hi[k])
        lam = np.where(np.isinf(lam), self.lam_lo[k], lam) if np.any(np.isinf(lam)) else lam
        return self._at(k, lam)

    def at_variance(self, target_var: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Highest-return weights with variance ``<= target_var`` (within the path; the path's
        end point when the target is below its variance)."""
        v_lo = self.v00 + 2 * self.lam_lo * self.v01 + self.lam_lo**2 * self.v11
        ok = np.flatnonzero(v_lo <= target_var)
        k = int(ok[0]) if len(ok) else len(v_lo) - 1
        lo, hi = self.lam_lo[k], self.lam_hi[k]
        if not math.isfinite(hi) or len(ok) == 0:
            lam = lo
        else:
            a, bq, c = self.v11[k], self.v01[k], self.v00[k] - target_var
            if a > 0:  # the larger root: variance increases with λ on the efficient path
                lam = (-bq + math.sqrt(max(bq * bq - a * c, 0.0))) / a
            elif bq > 0:
                lam = -c / (2 * bq)
            else:
                lam = hi
            lam = min(max(lam, lo), hi)
        return self._at(np.array([k]), np.array([lam]))

    def max_sharpe(self, rf: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Weights maximising ``(μᵀw − rf·budget) / sqrt(wᵀΣw)`` over the path (closed form per
        segment: the stationary point of the ratio is ``λ* = (pB − qA)/(qB − pC)``)."""
        p = self.r0 - rf
        q, A, B, C = self.r1, self.v00, self.v01, self.v11
        with np.errstate(divide="ignore", invalid="ignore"):
            crit = (p * B - q * A) / (q * B - p * C)
        hi = np.where(np.isinf(self.lam_hi), self.lam_lo, self.lam_hi)
        cand = np.concatenate([self.lam_lo, hi, np.where(np.isfinite(crit), crit, self.lam_lo)])
        ks = np.tile(np.arange(len(p)), 3)
        cand = np.clip(cand, self.lam_lo[ks], hi[ks])
        _, ret, var = self._at(ks, cand)
        with np.errstate(divide="ignore", invalid="ignore"):
            sr = np.where(var > 0, (ret - rf) / np.sqrt(var), -np.inf)
        j = int(np.argmax(sr))
        return self._at(ks[j : j + 1], cand[j : j + 1])


SHARPE_STOP_RTOL = 1e-9  # a dip of the Sharpe ratio smaller than this (relative) is rounding


def sharpe_stop(rf: float) -> Callable[[Segment], bool]:
    """Stop rule for :func:`trace`: Sharpe along the frontier is unimodal, so the walk can end
    once it has fallen clearly below the best seen so far toward the segment's low end.

    "Clearly" (``SHARPE_STOP_RTOL``): on a degenerate stretch of the path (segments of almost
    no length where several constraints meet, e.g. three 10% caps filling a 30% sector cap)
    rounding can make the Sharpe ratio dip by a few ulps before the peak; stopping there
    would miss the peak.
    """
    best = -math.inf

    def stop(seg: Segment) -> bool:
        nonlocal best
        if math.isinf(seg.lam_hi):
            return False
        p, q, A, B, C = seg.r0 - rf, seg.r1, seg.v00, seg.v01, seg.v11

        def sr(lam):
            v = A + 2 * lam * B + lam * lam * C
            return (p + q * lam) / math.sqrt(v) if v > 0 else -math.inf

        lo, hi = seg.lam_lo, seg.lam_hi
        best = max(best, sr(hi))
        low = sr(lo)
        margin = SHARPE_STOP_RTOL * max(abs(best), 1e-300)
        # Sharpe decreasing at the low end, and below the best by more than rounding
        eps = 1e-9 * max(hi - lo, 1e-12)
        falling = low < sr(min(lo + eps, hi)) or low < sr(hi)
        done = falling and low < best - margin
        best = max(best, low)
        return done

    return stop
