"""P1's claims, each with its criterion fixed before the runs (see experiments/poison_unlearning/README.md).

Effects are oriented so that larger = more attack left: −z of GUS (Gaussian), accuracy gap (GC),
trigger success (backdoor), target success (gradient matching).
"""

from __future__ import annotations

import numpy as np
from scipy import stats as sps

from ...claims import Criterion, ci_above, ci_contains, ci_below, make_claim, mean_above
from ...stats import Estimate, mean_ci, rate_ci
from .collect import budgets, methods, reference, series, settings

PAPER = "2406.17216"
Z_1PCT = float(sps.norm.ppf(0.01))
NEAR_ZERO = Criterion("-0.3 < ci95 low and ci95 high < 0.3", lambda e: -0.3 < e.lo and e.hi < 0.3)


def point(v: float, n: int) -> Estimate:
    return Estimate(v, v, v, n)


def retrain_claims(table, ds, atk) -> list:
    none, retrain = reference(table, ds, atk, "none"), reference(table, ds, atk, "retrain")
    seeds = sorted(set(none) & set(retrain))
    out = [make_claim(f"P1.retrain_removes.{ds}.{atk}", PAPER, f"retraining on D_r removes the {atk} effect",
                      "effect(no unlearning) − effect(retrain), per seed", mean_ci([none[s] - retrain[s] for s in seeds]), ci_above(0))]
    if atk == "gaussian":
        z = reference(table, ds, atk, "retrain", "gus_z")
        out.append(make_claim(f"P1.gus.retrain_null.{ds}", PAPER, "after retraining, GUS finds no trace of the poisons",
                              "GUS z-score of the retrained model", mean_ci(list(z.values())),
                              Criterion("|mean| < 2", lambda e: abs(e.mean) < 2)))
    return out


def residue_claims(table, ds, atk) -> list:
    """Normalised residue (e_m − e_retrain) / mean(e_none − e_retrain) at the largest budget (≤ 10%)."""
    none, retrain = reference(table, ds, atk, "none"), reference(table, ds, atk, "retrain")
    gap = float(np.mean([none[s] - retrain[s] for s in none if s in retrain]))
    b = max(x for x in budgets(table) if x <= 10)
    out = []
    for m in methods(table):
        e = series(table, ds, atk, m, b)
        vals = [(e[s] - retrain[s]) / gap if gap > 0 else float("nan") for s in sorted(e) if s in retrain]
        out.append(make_claim(f"P1.residue.{ds}.{atk}.{m}", PAPER, f"{m} at {b:g}% of the retrain cost leaves a residue of the {atk} attack",
                              "(effect − effect_retrain) / mean(effect_none − effect_retrain)", mean_ci(vals), ci_above(0.1)))
    return out


def gus_claims(table, poisoned, ds) -> list:
    pooled = [v for s in reference(table, ds, "gaussian", "retrain", "gus_scores").values() for v in s]
    ks = float(sps.kstest(pooled, "norm").pvalue)
    fresh = [v for m in poisoned for v in m["fresh_noise_scores"]]
    b = max(x for x in budgets(table) if x <= 10)
    runs = [(m, s) for m in methods(table) for s in series(table, ds, "gaussian", m, b)]
    mia = [series(table, ds, "gaussian", m, b, "mia_tpr_at_1pct")[s] for m, s in runs]
    n_forget = poisoned[0]["n_forget"]
    detected = sum(series(table, ds, "gaussian", m, b, "gus_z")[s] < Z_1PCT for m, s in runs)
    return [
        make_claim(f"P1.gus.null_is_standard_normal.{ds}", PAPER, "GUS is N(0,1) for a model never trained on the noise (retrained models)",
                   "KS test p-value against N(0,1), pooled over seeds", point(ks, len(pooled)), mean_above(0.05)),
        make_claim(f"P1.gus.analytic_threshold.{ds}", PAPER, "the analytic threshold Φ⁻¹(0.01) gives FPR 1% on fresh noise never trained on",
                   "empirical FPR with fresh noise on the poisoned model", rate_ci(sum(v < Z_1PCT for v in fresh), len(fresh)), ci_contains(0.01)),
        make_claim(f"P1.mia_looks_successful.{ds}", PAPER, f"after approximate unlearning ({b:g}% budget) a loss-threshold MIA finds TPR ≈ FPR on the poisons",
                   "loss-MIA TPR at FPR 1%, pooled over methods and seeds",
                   rate_ci(round(sum(mia) * n_forget), len(mia) * n_forget), ci_below(0.05)),
        make_claim(f"P1.gus_still_detects.{ds}", PAPER, f"after approximate unlearning ({b:g}% budget) GUS still detects the poisons",
                   "fraction of (method, seed) runs with GUS z < Φ⁻¹(0.01)", rate_ci(detected, len(runs)), ci_above(0.5)),
    ]


def tradeoff_claims(tuning: dict) -> list:
    """GA and NegGrad+ trade accuracy for removal: over each lr grid, removal and accuracy loss rise together."""
    out = []
    for m in ("ga", "neggrad_plus"):
        rhos = []
        for key, runs in sorted(tuning.items()):
            if key[2] != m:
                continue
            grid = runs[0]["grid"]  # validation removal and accuracy drop, mean over the tuning seeds
            removal, drop = [g["removal"] for g in grid], [g["drop"] for g in grid]
            rho = sps.spearmanr(removal, drop).statistic
            rhos.append(0.0 if np.isnan(rho) else float(rho))
        if rhos:
            out.append(make_claim(f"P1.tradeoff.{m}", PAPER, f"{m} buys removal with test accuracy",
                                  "Spearman ρ(removal, accuracy drop) over the lr grid, mean over attacks", mean_ci(rhos), mean_above(0.5)))
    return out


def hypothesis_claims(hyp: list) -> list:
    last = [m["rows"][-1] for m in hyp]
    ratio = mean_ci([r["shift_poisons"] / r["shift_random"] for r in last])
    cos = mean_ci([r["cos_gd_needed"] for r in last])
    f = last[0]["fraction"]
    return [
        make_claim("P1.h1.poison_shift_exceeds_random", PAPER, f"H1: removing the poisons ({f:.0%} of D) moves the convex optimum further than removing as many random points",
                   "‖θ(D) − θ(D∖poisons)‖ / ‖θ(D) − θ(D∖random)‖", ratio, ci_above(1.5)),
        make_claim("P1.h2.gd_orthogonal_to_needed_shift", PAPER, "H2: the GD-on-retain direction is nearly orthogonal to θ_retrain − θ",
                   "cos(−∇L(θ; D_r), θ_retrain − θ)", cos, NEAR_ZERO),
    ]


def all_claims(table, poisoned: dict, tuning: dict, hyp: list) -> list:
    out = []
    for ds, atk in settings(table):
        out += retrain_claims(table, ds, atk) + residue_claims(table, ds, atk)
        if atk == "gaussian":
            out += gus_claims(table, poisoned[(ds, atk)], ds)
    return out + tradeoff_claims(tuning) + (hypothesis_claims(hyp) if hyp else [])
