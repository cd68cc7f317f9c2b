"""The summary lines of a coordination, whose counts add up (private; ``coordinate`` and
``demo`` print them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["plural", "summary_lines"]


def _reason_words(other: str) -> dict[str, str]:
    """How a rejection reason reads after "5 rejected (2 ..."; ``other``: the winning side."""
    from portlab.engine.outcome import RejectReason as R

    words = {r: r.value.lower().replace("_", " ") for r in R}
    words.update({R.HOLD: "HOLD", R.CONFLICT_LOST: "lost a conflict", R.AT_TARGET: "at target",
                  R.OVERRIDDEN: f"overridden by {other}", R.UNKNOWN_STRATEGY: "unregistered "
                  "strategy", R.POLICY_LIMIT: "no room under a policy limit", R.BELOW_MIN_SIZE:
                  "below the minimum size", R.RISK_LIMIT: "dropped by the risk loop",
                  R.ROUNDS_TO_ZERO: "less than one share", R.NO_CAPACITY: "no capacity left"})  # fmt: skip
    return words


def plural(n: int, word: str) -> str:
    return f"{n:,} {word if n == 1 else word + 's'}"


def _rejected(reasons: Sequence[str], other: str) -> str:
    words = _reason_words(other)
    counts: dict[str, int] = {}
    for r in reasons:
        counts[r] = counts.get(r, 0) + 1
    order = sorted(counts, key=lambda r: (-counts[r], str(r)))
    detail = ", ".join(f"{counts[r]} {words.get(r, str(r).lower())}" for r in order)
    return f"{len(reasons)} rejected" + (f" ({detail})" if detail else "")


def summary_lines(result: Any, n_requests: int) -> list[str]:
    """Counts that reconcile: decisions by origin, signals and adjustments by fate."""
    from portlab.engine.outcome import Source

    d, rej, s = result.decisions, result.rejections, result.stats
    has_sig = [len(x) > 0 for x in d["signal_ids"]]
    has_adj = [len(x) > 0 for x in d["rebalance_ids"]]
    both = sum(a and b for a, b in zip(has_sig, has_adj, strict=True))
    sig_in = sum(len(x) for x in d["signal_ids"])
    adj_in = sum(len(x) for x in d["rebalance_ids"])
    sig_rej = rej.loc[rej["source"] == Source.SIGNAL, "reason"].tolist()
    adj_rej = rej.loc[rej["source"] == Source.REBALANCE, "reason"].tolist()
    n_sig, n_adj = s["total_signals"], s["total_rebalance_adjustments"]
    requests = (
        f" and {plural(n_requests, 'rebalance request')} ({plural(n_adj, 'adjustment')})"
        if n_requests or n_adj
        else ""
    )
    lines = [
        f"{plural(n_sig, 'signal')}{requests} -> {plural(len(d), 'decision')}, "
        f"{plural(len(rej), 'rejection')} ({s['elapsed_ms']:.1f} ms)",
        f"  decisions:   {len(d):,} = {sum(has_sig) - both:,} from signals + "
        f"{sum(has_adj) - both:,} from rebalance adjustments + {both:,} from both",
        f"  signals:     {n_sig:,} = {sig_in:,} in {plural(sum(has_sig), 'decision')} "
        f"({s['resized_signals']:,} resized by a limit) + "
        f"{_rejected(sig_rej, 'a rebalance adjustment')}",
    ]
    if requests:
        lines.append(
            f"  adjustments: {n_adj:,} = {adj_in:,} in {plural(sum(has_adj), 'decision')} + "
            f"{_rejected(adj_rej, 'a signal')}"
        )
    return lines
