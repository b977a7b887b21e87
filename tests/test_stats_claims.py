"""Confidence intervals and claims: verdicts are computed from the numbers, never written."""

import math

import pytest

from residue.claims import abs_mean_below, ci_above, ci_below, make_claim
from residue.stats import mean_ci, rate_ci


def test_mean_ci_matches_the_t_interval():
    est = mean_ci([1.0, 2.0, 3.0, 4.0])
    half = 3.182446305284263 * math.sqrt(5 / 3) / 2  # t_{0.975,3} · s / √n
    assert est.mean == 2.5 and est.lo == pytest.approx(2.5 - half) and est.hi == pytest.approx(2.5 + half)
    assert mean_ci([7.0]).ci95 == [7.0, 7.0]


def test_wilson_interval_is_sound_at_the_edges():
    est = rate_ci(0, 20)
    assert est.mean == 0 and est.lo == 0 and 0.1 < est.hi < 0.2
    est = rate_ci(20, 20)
    assert est.hi == 1 and 0.8 < est.lo < 0.9


def test_claim_verdict_follows_the_criterion(monkeypatch):
    monkeypatch.setenv("RESIDUE_PROFILE", "unit")
    high = make_claim("x.high", "p", "c", "m", mean_ci([0.9, 0.92, 0.91]), ci_above(0.85))
    low = make_claim("x.low", "p", "c", "m", mean_ci([0.9, 0.92, 0.91]), ci_below(0.85))
    assert high.holds and not low.holds
    assert high.criterion == "ci95 low > 0.85" and high.config == "unit" and high.n == 3
    assert make_claim("x.z", "p", "c", "m", mean_ci([-0.1, 0.1]), abs_mean_below(2)).holds
