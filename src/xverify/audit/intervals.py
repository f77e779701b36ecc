"""Proportions with Wilson score intervals, and the one-sided test that flags a worse stratum.

Overmatch rates are tiny (1e-4 and below) and strata can be small, so the normal ("Wald")
interval is useless here: at k=0 it has zero width. The Wilson score interval keeps its coverage
near the boundary, and Fisher's exact test needs no large-sample approximation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

#: two-sided 95% normal quantile, Φ⁻¹(0.975)
Z95 = 1.959963984540054


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for ``k`` successes out of ``n`` (``(0.0, 1.0)`` when ``n == 0``)."""
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    if n == 0:
        return 0.0, 1.0
    p = k / n
    z2 = z * z
    denom = 1.0 + z2 / n
    center = (p + z2 / (2 * n)) / denom
    half = (z / denom) * math.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n))
    low = 0.0 if k == 0 else max(0.0, center - half)
    high = 1.0 if k == n else min(1.0, center + half)
    return low, high


@dataclass(frozen=True)
class Rate:
    """``k`` of ``n`` with its point value and Wilson 95% interval (``value`` is NaN when n=0)."""

    k: int
    n: int
    value: float
    low: float
    high: float

    @classmethod
    def of(cls, k: int, n: int) -> Rate:
        k, n = int(k), int(n)
        low, high = wilson(k, n)
        return cls(k, n, k / n if n else math.nan, low, high)

    def complement(self) -> Rate:
        """The rate of the other outcome (``n - k`` of ``n``), e.g. undermatch from recall."""
        return Rate.of(self.n - self.k, self.n)

    def to_dict(self) -> dict[str, Any]:
        """Stable JSON form; ``value`` is ``null`` when ``n`` is 0."""
        return {
            "k": self.k,
            "n": self.n,
            "value": None if self.n == 0 else self.value,
            "low": self.low,
            "high": self.high,
        }

    def __str__(self) -> str:
        if self.n == 0:
            return "– (n=0)"
        return f"{self.value:.4g} [{self.low:.3g}, {self.high:.3g}] ({self.k}/{self.n})"


def fisher_greater(k1: int, n1: int, k2: int, n2: int) -> float:
    """One-sided Fisher exact p-value for "group 1's rate is higher than group 2's".

    P(X >= k1) for X hypergeometric: ``n1`` draws from ``n1 + n2`` items of which ``k1 + k2``
    are events. Summed in log space from a recurrence, so large groups stay cheap.
    """
    total, events = n1 + n2, k1 + k2
    if n1 == 0 or n2 == 0 or events == 0:
        return 1.0
    lo = max(0, n1 - (total - events))
    hi = min(events, n1)
    if k1 <= lo:
        return 1.0

    def log_pmf(x: int) -> float:
        return _log_comb(events, x) + _log_comb(total - events, n1 - x) - _log_comb(total, n1)

    xs = np.arange(k1, hi, dtype=np.float64)
    ratios = np.log((events - xs) * (n1 - xs)) - np.log((xs + 1) * (total - events - n1 + xs + 1))
    logs = np.concatenate(([0.0], np.cumsum(ratios))) + log_pmf(k1)
    top = logs.max()
    return float(min(1.0, math.exp(top) * np.exp(logs - top).sum()))


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


__all__ = ["Z95", "Rate", "fisher_greater", "wilson"]
