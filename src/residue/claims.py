"""Claims are data: a paper's statement, our measured value with its CI, and a tri-state verdict.

``holds`` is computed here, and only here, from the measured estimate by a :class:`Criterion`:

* ``True`` / ``False`` — the criterion applied to an estimate over independent units;
* ``None`` — *untestable*, with ``untestable_reason``: a precondition failed (the effect to remove
  is absent, the method did not act), a value is missing (NaN is never a verdict), or there are
  too few units for the criterion to go either way.

A claim names its ``unit`` of analysis (training seed, target with a paired control, …): its CI
runs over those units only.  Checks that hold by construction (a calibration, a null that cannot
be violated) are made with ``sanity=True``: computed and shown beside the claims, never counted
as a paper's claim.  The JSON form is the one fixed in DESIGN.md.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass
from typing import Callable, Iterable

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


def ci_within(t: float) -> Criterion:
    return Criterion(f"ci95 within ±{t:g}", lambda e: -t < e.lo and e.hi < t)


def ci_contains(t: float) -> Criterion:
    return Criterion(f"ci95 contains {t:g}", lambda e: e.lo <= t <= e.hi)


@dataclass(frozen=True)
class Requirement:
    """A precondition of a verdict: ``ok`` False makes the claim untestable for ``reason``."""

    ok: bool
    reason: str


def requires(ok: bool, reason: str) -> Requirement:
    return Requirement(bool(ok), reason)


@dataclass(frozen=True)
class Claim:
    id: str
    paper: str
    claim: str
    metric: str
    paper_value: float | None
    direction: str | None  # the paper's stated direction where it gives no number
    value: float | None
    ci95: list[float] | None
    n: int
    unit: str
    criterion: str
    holds: bool | None
    untestable_reason: str | None
    kind: str  # "claim" (a paper's statement) or "sanity" (holds by construction; not counted)
    config: str
    commit: str

    def to_dict(self) -> dict:
        return asdict(self)


def _finite(x: float) -> float | None:
    return round(float(x), 6) if x is not None and math.isfinite(x) else None


def verdict(estimate: Estimate, criterion: Criterion, reqs: Iterable[Requirement] = (), min_n: int = 2,
            decidable: bool | None = None) -> tuple[bool | None, str | None]:
    """The tri-state verdict and, when untestable, why (the first failed precondition wins)."""
    for r in reqs:
        if not r.ok:
            return None, r.reason
    if not all(math.isfinite(v) for v in (estimate.mean, estimate.lo, estimate.hi)):
        return None, "missing values (NaN)"
    if estimate.n < min_n:
        return None, f"too few units (n = {estimate.n} < {min_n})"
    if decidable is False:
        return None, f"n = {estimate.n} too small: every possible outcome gives the same verdict"
    return criterion(estimate), None


def make_claim(
    id: str,
    paper: str,
    claim: str,
    metric: str,
    estimate: Estimate,
    criterion: Criterion,
    *,
    unit: str,
    paper_value: float | None = None,
    direction: str | None = None,
    reqs: Iterable[Requirement] = (),
    min_n: int = 2,
    decidable: bool | None = None,
    sanity: bool = False,
) -> Claim:
    """Build a claim whose verdict is the criterion applied to the measured estimate.

    ``min_n`` is the fewest independent units a CI may rest on; ``decidable=False`` (see
    :func:`rate_decidable`) marks an n at which the criterion cannot go both ways.
    """
    from .lineage import git_commit

    holds, reason = verdict(estimate, criterion, reqs, min_n, decidable)
    lo, hi = _finite(estimate.lo), _finite(estimate.hi)
    return Claim(
        id=id,
        paper=paper,
        claim=claim,
        metric=metric,
        paper_value=paper_value,
        direction=direction,
        value=_finite(estimate.mean),
        ci95=None if lo is None or hi is None else [lo, hi],
        n=estimate.n,
        unit=unit,
        criterion=criterion.text,
        holds=holds,
        untestable_reason=reason,
        kind="sanity" if sanity else "claim",
        config=os.environ.get("RESIDUE_PROFILE", "adhoc"),
        commit=git_commit()[:12],
    )


def rate_decidable(n: int, criterion: Criterion) -> bool:
    """Whether a rate criterion over ``n`` trials can both hold (all successes) and fail (none)."""
    from .stats import rate_ci

    return n > 0 and criterion(rate_ci(n, n)) != criterion(rate_ci(0, n))


def tally(claims: list[dict]) -> dict[str, int]:
    """Counts of hold / fail / untestable over the paper claims (sanity checks excluded)."""
    real = [c for c in claims if c.get("kind", "claim") == "claim"]
    return {"hold": sum(c["holds"] is True for c in real), "fail": sum(c["holds"] is False for c in real),
            "untestable": sum(c["holds"] is None for c in real), "sanity": len(claims) - len(real)}
