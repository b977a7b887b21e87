"""Claims are data: a paper's statement, our measured value with its CI, and a verdict.

``holds`` is always computed here from the measured estimate by a :class:`Criterion`; nothing
else in the repository may set it.  The JSON form is the one fixed in DESIGN.md.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Callable

from .stats import Estimate


@dataclass(frozen=True)
class Criterion:
    """A stated test on an estimate, e.g. ``ci95 low > 0.85``."""

    text: str
    test: Callable[[Estimate], bool]

    def __call__(self, est: Estimate) -> bool:
        return bool(self.test(est))


def ci_above(t: float) -> Criterion:
    return Criterion(f"ci95 low > {t:g}", lambda e: e.lo > t)


def ci_below(t: float) -> Criterion:
    return Criterion(f"ci95 high < {t:g}", lambda e: e.hi < t)


def mean_above(t: float) -> Criterion:
    return Criterion(f"mean > {t:g}", lambda e: e.mean > t)


def mean_below(t: float) -> Criterion:
    return Criterion(f"mean < {t:g}", lambda e: e.mean < t)


def abs_mean_below(t: float) -> Criterion:
    return Criterion(f"|mean| < {t:g}", lambda e: abs(e.mean) < t)


def ci_contains(t: float) -> Criterion:
    return Criterion(f"ci95 contains {t:g}", lambda e: e.lo <= t <= e.hi)


@dataclass(frozen=True)
class Claim:
    id: str
    paper: str
    claim: str
    metric: str
    paper_value: float | None
    value: float
    ci95: list[float]
    n: int
    criterion: str
    holds: bool
    config: str
    commit: str

    def to_dict(self) -> dict:
        return asdict(self)


def make_claim(
    id: str,
    paper: str,
    claim: str,
    metric: str,
    estimate: Estimate,
    criterion: Criterion,
    paper_value: float | None = None,
) -> Claim:
    """Build a claim whose verdict is the criterion applied to the measured estimate."""
    from .lineage import git_commit

    return Claim(
        id=id,
        paper=paper,
        claim=claim,
        metric=metric,
        paper_value=paper_value,
        value=round(estimate.mean, 6),
        ci95=[round(estimate.lo, 6), round(estimate.hi, 6)],
        n=estimate.n,
        criterion=criterion.text,
        holds=criterion(estimate),
        config=os.environ.get("RESIDUE_PROFILE", "adhoc"),
        commit=git_commit()[:12],
    )
