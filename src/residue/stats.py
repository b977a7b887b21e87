"""Summary statistics with 95% confidence intervals (t for means, Wilson for rates)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import stats as sps


@dataclass(frozen=True)
class Estimate:
    mean: float
    lo: float
    hi: float
    n: int

    @classmethod
    def empty(cls) -> "Estimate":
        """No value (n = 0): a comparison with nothing to compare, or a claim whose every unit is undefined."""
        return cls(float("nan"), float("nan"), float("nan"), 0)

    @property
    def ci95(self) -> list[float]:
        return [self.lo, self.hi]

    def fmt(self, digits: int = 3) -> str:
        half = (self.hi - self.lo) / 2
        return f"{self.mean:.{digits}f} ± {half:.{digits}f}"


def mean_ci(values: Sequence[float], level: float = 0.95) -> Estimate:
    """Mean with a Student-t interval; one value gives a zero-width interval."""
    x = np.asarray(values, dtype=float)
    n = len(x)
    if n == 0:
        raise ValueError("mean_ci of no values")
    m = float(x.mean())
    if n == 1:
        return Estimate(m, m, m, 1)
    half = float(sps.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return Estimate(m, m - half, m + half, n)


def rate_ci(successes: int, n: int, level: float = 0.95) -> Estimate:
    """A proportion with its Wilson score interval (sound at 0 and 1, unlike the normal one)."""
    if n == 0:
        raise ValueError("rate_ci of no trials")
    z = float(sps.norm.ppf(0.5 + level / 2))
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo = 0.0 if successes == 0 else max(0.0, centre - half)  # exact at the edges, not 1e-19
    hi = 1.0 if successes == n else min(1.0, centre + half)
    return Estimate(p, lo, hi, n)
