"""Confidence intervals and claims: verdicts are computed from the numbers, never written, and a
claim is untestable — never a verdict — when a precondition, a value or the units are missing."""

import math

import pytest

from residue.claims import ci_above, ci_below, make_claim, rate_decidable, requires, tally
from residue.report.build import fmt_value, fmt_verdict
from residue.stats import Estimate, mean_ci, rate_ci

NAN = Estimate(math.nan, math.nan, math.nan, 5)


def claim(est, crit=ci_above(0.85), **kw):
    return make_claim("x.y", "p", "c", "m", est, crit, unit="seed", **kw)


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
    high = claim(mean_ci([0.9, 0.92, 0.91]))
    low = claim(mean_ci([0.9, 0.92, 0.91]), ci_below(0.85))
    assert high.holds is True and low.holds is False and high.untestable_reason is None
    assert high.criterion == "ci95 low > 0.85" and high.config == "unit" and high.n == 3 and high.unit == "seed"


def test_nan_is_never_a_verdict_and_is_not_written_as_nan():
    c = claim(NAN)
    assert c.holds is None and "missing" in c.untestable_reason
    assert c.value is None and c.ci95 is None


def test_a_failed_precondition_makes_the_claim_untestable_with_its_reason():
    c = claim(mean_ci([0.9, 0.92, 0.91]), reqs=[requires(True, "fine"), requires(False, "the method did not act")])
    assert c.holds is None and c.untestable_reason == "the method did not act"


def test_too_few_units_is_untestable():
    assert claim(mean_ci([0.99])).holds is None
    assert claim(mean_ci([0.99, 0.98]), min_n=3).untestable_reason == "too few units (n = 2 < 3)"


def test_a_rate_over_too_few_trials_cannot_decide():
    most = ci_above(0.5)
    assert not rate_decidable(3, most)  # 3/3 has Wilson low 0.44: cannot hold
    assert rate_decidable(10, most)
    c = claim(rate_ci(3, 3), most, decidable=rate_decidable(3, most), min_n=1)
    assert c.holds is None and "too small" in c.untestable_reason


def test_sanity_checks_are_not_counted_as_claims():
    ok = claim(mean_ci([0.9, 0.92, 0.91])).to_dict()
    sane = claim(mean_ci([0.9, 0.92, 0.91]), sanity=True).to_dict()
    none = claim(NAN).to_dict()
    bad = claim(mean_ci([0.1, 0.2, 0.15])).to_dict()
    assert sane["kind"] == "sanity"
    assert tally([ok, sane, none, bad]) == {"hold": 1, "fail": 1, "untestable": 1, "sanity": 1}


def test_report_shows_intervals_as_intervals_and_untestable_as_untestable():
    c = claim(rate_ci(0, 250), ci_below(0.05)).to_dict()
    assert fmt_value(c) == "0 [0, 0.01513]"  # asymmetric: never "0 ± 0.0076"
    assert fmt_verdict(claim(NAN).to_dict()) == "untestable: missing values (NaN)"
    assert fmt_verdict(c) == "holds"
