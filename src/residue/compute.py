"""Compute accounting for every training and unlearning job.

P1 gives unlearning a budget that is a fraction of the cost of retraining, so cost is counted in
*per-example gradient evaluations*: a backward pass through a batch of B examples counts B, a
per-sample-gradient call over B examples counts B, a forward-only pass counts 0.  Wall time and
peak memory are recorded beside it (they are machine-dependent and go to MLflow and run.json,
never into metrics.json, which must be identical across re-runs).
"""

from __future__ import annotations

import resource
import sys
import time
from dataclasses import dataclass, field


class BudgetExhausted(Exception):
    """Raised by :meth:`Meter.charge` when a job would exceed its gradient-evaluation budget."""


@dataclass
class Meter:
    budget: int | None = None  # per-example gradient evaluations allowed; None = unlimited
    grad_evals: int = 0
    _start: float = field(default_factory=time.perf_counter)

    def affordable(self, n: int) -> bool:
        return self.budget is None or self.grad_evals + n <= self.budget

    def charge(self, n: int) -> None:
        """Count ``n`` per-example gradient evaluations; refuse to go over budget."""
        if not self.affordable(n):
            raise BudgetExhausted(f"{self.grad_evals} + {n} > budget {self.budget}")
        self.grad_evals += n

    @property
    def wall_seconds(self) -> float:
        return time.perf_counter() - self._start

    def summary(self) -> dict:
        return {
            "grad_evals": self.grad_evals,
            "wall_seconds": round(self.wall_seconds, 3),
            "peak_memory_mb": round(peak_memory_mb(), 1),
        }


def peak_memory_mb() -> float:
    """Peak resident memory of this process (and peak CUDA memory when a GPU is in use)."""
    import torch

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rss_mb = rss / (1 << 20) if sys.platform == "darwin" else rss / 1024
    if torch.cuda.is_available():
        rss_mb += torch.cuda.max_memory_allocated() / (1 << 20)
    return rss_mb
