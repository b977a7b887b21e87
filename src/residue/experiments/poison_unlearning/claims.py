"""P1's claims, each with its criterion fixed before the runs (see experiments/poison_unlearning/README.md).

Effects are oriented so that larger = more attack left: −z of GUS (Gaussian), accuracy gap (GC),
trigger success (backdoor), the target's adversarial margin (gradient matching).  The unit is the training seed:
each seed has its own poisoned model, and every method, the no-unlearning and the retrain
references start from it, so comparisons are paired per seed and CIs run over seeds.

Before a verdict two preconditions are checked, and a claim that fails one is untestable:
* **the attack bit** — retraining removes a positive effect (``effect_none − effect_retrain``, CI
  low > 0, paired per seed); for Gradient Canceling also the issue's rule that the attack costs
  ≥ 3 accuracy points (CI low); for gradient matching also that the poisoned model's target margin
  beats its same-seed twin on the unperturbed bases (CI low > 0, issue #14);
* **the method acted** — at the claim's budget, its mean relative weight change
  ‖θ_u − θ_o‖ / ‖θ_retrain − θ_o‖ or its mean rise in forget-set loss reaches ``ACTED`` of GD's at
  the same budget (and GD's own must be non-zero).  A method whose configuration makes it another
  method (CFk/EUk with k covering the whole model is GD/retraining) is not separate evidence.
Checks that hold by construction — GUS is N(0, 1) for a model never trained on the noise, the
analytic threshold's FPR on fresh noise — are sanity checks, shown and not counted.
"""

from __future__ import annotations

import numpy as np
from scipy import stats as sps

from ...claims import Criterion, Requirement, ci_above, ci_below, ci_contains, make_claim, mean_above, requires
from ...metrics.gus import THRESHOLD as Z_1PCT
from ...stats import Estimate, mean_ci, rate_ci
from .collect import budgets, methods, reference, series, settings

PAPER = "2406.17216"
UNIT = "training seed"
ACTED = 0.1  # a method acted when it moved ≥ 10% as far as GD at the same budget (weights or forget loss)
GC_MIN_COST = 0.03  # Gradient Canceling claims need an attack that costs ≥ 3 accuracy points (CI low)
MIA_FPR = 0.01
NEAR_ZERO = Criterion("-0.3 < ci95 low and ci95 high < 0.3", lambda e: -0.3 < e.lo and e.hi < 0.3)


def point(v: float, n: int) -> Estimate:
    return Estimate(v, v, v, n)


def claim_budget(table) -> float:
    return max(x for x in budgets(table) if x <= 10)


def paired(a: dict, b: dict, fn=lambda x, y: x - y) -> list[float]:
    return [fn(a[s], b[s]) for s in sorted(set(a) & set(b))]


def twin_diffs(poisoned: list[dict], key: str = "effect") -> list[float]:
    """Poisoned minus its same-seed twin on the unperturbed bases, per seed (targeted setting)."""
    return [m[key] - m[f"twin_{key}"] for m in poisoned if f"twin_{key}" in m]


def beats_twin(poisoned: list[dict] | None) -> Requirement:
    """Where the poisoned model has a same-seed twin on the unperturbed bases (gradient matching),
    the effect exists only if the poisons beat it (CI low > 0); without twins there is nothing to check."""
    if poisoned and (diff := twin_diffs(poisoned)):
        est = mean_ci(diff)
        return requires(est.lo > 0, f"the poisons do not beat their same-seed twin on the unperturbed bases: "
                                    f"adv-margin difference {est.mean:.3g} [{est.lo:.3g}, {est.hi:.3g}]")
    return requires(True, "")


def attack_bites(table, ds, atk, poisoned: list[dict] | None = None) -> Requirement:
    """The effect exists: retraining removes it (paired per seed); GC must also cost ≥ 3 points;
    where the poisoned model has a twin (gradient matching) the effect must also beat the twin."""
    if not (twin := beats_twin(poisoned)).ok:
        return twin
    none, retrain = reference(table, ds, atk, "none"), reference(table, ds, atk, "retrain")
    gap = mean_ci(paired(none, retrain))
    if not gap.lo > 0:
        return requires(False, f"no effect to remove: none − retrain {gap.mean:.3g} [{gap.lo:.3g}, {gap.hi:.3g}]")
    if atk.startswith("gradient_canceling"):
        cost = mean_ci(list(none.values()))
        return requires(cost.lo >= GC_MIN_COST, f"the attack costs {cost.mean:.3f} [{cost.lo:.3f}, {cost.hi:.3f}] accuracy, "
                                                f"not ≥ {GC_MIN_COST:g} (CI low)")
    return requires(True, "")


def movement(table, ds, atk, m, b) -> tuple[float, float]:
    """(mean relative weight change, mean rise of the forget-set loss) of method m at budget b."""
    rel = paired(series(table, ds, atk, m, b, "param_dist"), reference(table, ds, atk, "retrain", "param_dist"),
                 lambda u, r: u / r if r > 0 else float("nan"))
    rise = paired(series(table, ds, atk, m, b, "forget_loss"), series(table, ds, atk, m, b, "forget_loss_before"))
    return float(np.mean(rel)), float(np.mean(rise))


def acted(table, ds, atk, m, b) -> Requirement:
    rel, rise = movement(table, ds, atk, m, b)
    gd_rel, gd_rise = movement(table, ds, atk, "gd", b)
    if not gd_rel > 0:
        return requires(False, "GD did not move the weights at this budget: no reference for 'acted'")
    moved = rel >= ACTED * gd_rel or (gd_rise > 0 and rise >= ACTED * gd_rise)
    return requires(moved, f"{m} did not act: relative weight change {rel:.3g} (GD {gd_rel:.3g}), "
                           f"forget-loss rise {rise:.3g} (GD {gd_rise:.3g}); threshold {ACTED:g} of GD's")


def distinct(table, ds, atk, m, b) -> Requirement:
    whole = [c.get("covers_whole_model", False) for c in table.get((ds, atk, m, b), {}).values()]
    return requires(not any(whole), f"{m}'s k covers the whole model here: it is GD/retraining, not separate evidence")


def retrain_claims(table, ds, atk, poisoned: list[dict] | None = None) -> list:
    """Retraining removes the effect; where a twin measures the effect on its own (gradient matching),
    an effect the poisons do not have cannot be removed, so the claim is then untestable."""
    none, retrain = reference(table, ds, atk, "none"), reference(table, ds, atk, "retrain")
    out = [make_claim(f"P1.retrain_removes.{ds}.{atk}", PAPER, f"retraining on D_r removes the {atk} effect",
                      "effect(no unlearning) − effect(retrain), paired per seed", mean_ci(paired(none, retrain)), ci_above(0),
                      unit=UNIT, direction="removes every effect", reqs=[beats_twin(poisoned)])]
    if atk == "gaussian":
        z = reference(table, ds, atk, "retrain", "gus_z")
        out.append(make_claim(f"P1.gus.retrain_null.{ds}", PAPER, "after retraining, GUS finds no trace of the poisons",
                              "GUS z-score of the retrained model", mean_ci(list(z.values())),
                              Criterion("|mean| < 2", lambda e: abs(e.mean) < 2), unit=UNIT, sanity=True))
    return out


def residue_values(table, ds, atk, m, b) -> list[float]:
    """(e_m − e_retrain) / mean(e_none − e_retrain) per seed; for GC, e_m net of the method's own
    damage (the same method on a clean model with a random forget set of the same size)."""
    none, retrain = reference(table, ds, atk, "none"), reference(table, ds, atk, "retrain")
    gap = float(np.mean(paired(none, retrain)))
    e = series(table, ds, atk, m, b)
    damage = series(table, ds, atk, m, b, "control_effect") if atk.startswith("gradient_canceling") else {}
    return [(e[s] - damage.get(s, 0.0) - retrain[s]) / gap if gap > 0 else float("nan") for s in sorted(e) if s in retrain]


def twin_claims(poisoned: list[dict], ds, atk) -> list:
    """Targeted setting: the poisons' effect over the same-seed twin (issue #14's primary metric),
    with the flip counts of both beside it."""
    if not twin_diffs(poisoned):
        return []
    flips = [sum(m[k] * len(m["brew_loss"]) for m in poisoned) for k in ("success", "twin_success")]
    n = sum(len(m["brew_loss"]) for m in poisoned)
    return [make_claim(f"P1.targeted_effect.{ds}.{atk}", PAPER,
                       f"the poisons raise the target's adversarial margin over the same-seed twin trained on the unperturbed bases "
                       f"(targets flipped: poisoned {flips[0]:g}/{n}, twin {flips[1]:g}/{n})",
                       "adv margin (poisoned − twin), per seed (one target per training run)", mean_ci(twin_diffs(poisoned)),
                       ci_above(0), unit="target (training seed, paired twin)", direction="> 0")]


def residue_claims(table, ds, atk, poisoned: list[dict] | None = None) -> list:
    b = claim_budget(table)
    bites = attack_bites(table, ds, atk, poisoned)
    net = " net of its own damage on a clean model" if atk.startswith("gradient_canceling") else ""
    return [make_claim(f"P1.residue.{ds}.{atk}.{m}", PAPER, f"{m} at {b:g}% of the retrain cost leaves a residue of the {atk} attack",
                       f"(effect{net} − effect_retrain) / mean(effect_none − effect_retrain), per seed",
                       mean_ci(residue_values(table, ds, atk, m, b)), ci_above(0.1), unit=UNIT, direction="clear residue",
                       reqs=[bites, acted(table, ds, atk, m, b), distinct(table, ds, atk, m, b)])
            for m in methods(table)]


def gus_claims(table, poisoned, ds) -> list:
    """GUS vs the calibrated MIA after unlearning, over the methods that acted, paired per seed."""
    b = claim_budget(table)
    pooled = [v for s in reference(table, ds, "gaussian", "retrain", "gus_scores").values() for v in s]
    fresh = [v for m in poisoned for v in m["fresh_noise_scores"]]
    active = [m for m in methods(table) if acted(table, ds, "gaussian", m, b).ok]
    some = requires(bool(active), "no method acted at this budget")
    bites = attack_bites(table, ds, "gaussian")
    seeds = sorted(reference(table, ds, "gaussian", "none"))
    mia_none = reference(table, ds, "gaussian", "none", "mia_tpr_at_1pct")
    power = mean_ci(list(mia_none.values()))
    has_power = requires(power.lo > MIA_FPR, f"the MIA has no power before unlearning: TPR on the poisoned model "
                                             f"{power.mean:.3f} [{power.lo:.3f}, {power.hi:.3f}] vs FPR {MIA_FPR:g}")

    def per_seed(fn) -> list[float]:
        return [float(np.mean([fn(m, s) for m in active])) for s in seeds] if active else []

    detected = per_seed(lambda m, s: float(series(table, ds, "gaussian", m, b, "gus_z")[s] < Z_1PCT))
    left = per_seed(lambda m, s: (series(table, ds, "gaussian", m, b, "mia_tpr_at_1pct")[s] - MIA_FPR) / max(mia_none[s] - MIA_FPR, 1e-9))
    return [
        make_claim(f"P1.gus.null_is_standard_normal.{ds}", PAPER, "GUS is N(0,1) for a model never trained on the noise (retrained models)",
                   "KS test p-value against N(0,1), pooled over seeds", point(float(sps.kstest(pooled, "norm").pvalue), len(pooled)),
                   mean_above(0.05), unit="poison sample (retrained models)", min_n=1, sanity=True),
        make_claim(f"P1.gus.analytic_threshold.{ds}", PAPER, "the analytic threshold Φ⁻¹(0.01) gives FPR 1% on fresh noise never trained on",
                   "empirical FPR with fresh noise on the poisoned model", rate_ci(sum(v < Z_1PCT for v in fresh), len(fresh)),
                   ci_contains(0.01), unit="fresh noise draw", min_n=1, sanity=True),
        make_claim(f"P1.mia_looks_successful.{ds}", PAPER,
                   f"after approximate unlearning ({b:g}% budget) a membership-inference attack finds (almost) nothing of the poisons",
                   "calibrated-MIA TPR@1% after unlearning, as a fraction of its excess over FPR before (none), paired per seed, "
                   "mean over methods that acted", mean_ci(left), ci_below(0.25), unit=UNIT, direction="MIA: TPR ≈ FPR",
                   reqs=[bites, has_power, some]),
        make_claim(f"P1.gus_still_detects.{ds}", PAPER, f"after approximate unlearning ({b:g}% budget) GUS still detects the poisons",
                   "share of methods that acted with GUS z < Φ⁻¹(0.01), per seed", mean_ci(detected), ci_above(0.5), unit=UNIT,
                   direction="GUS stays far from 0", reqs=[bites, some]),
    ]


def tradeoff_claims(tuning: dict) -> list:
    """GA and NegGrad+ trade accuracy for removal: over each dense lr grid (mean over tuning seeds),
    removal and validation-accuracy drop rise together.  One ρ per setting; the CI runs over settings."""
    out = []
    for m in ("ga", "neggrad_plus"):
        rhos, flat = [], []
        for key, runs in sorted(tuning.items()):
            if key[2] != m or key[1].startswith("gradient_canceling"):  # GC: removal is −drop by definition
                continue
            grid = runs[0]["grid"]  # validation removal and accuracy drop, mean over the tuning seeds
            removal, drop = [g["removal"] for g in grid], [g["drop"] for g in grid]
            rho = float(sps.spearmanr(removal, drop).statistic) if len(grid) > 2 else float("nan")
            if np.isnan(rho):
                flat.append("/".join(key[:2]))
            else:
                rhos.append(rho)
        if rhos or flat:
            est = mean_ci(rhos) if rhos else Estimate.empty()
            out.append(make_claim(f"P1.tradeoff.{m}", PAPER, f"{m} buys removal with test accuracy",
                                  "Spearman ρ(removal, validation-accuracy drop) over the lr grid, per setting", est, mean_above(0.5),
                                  unit="setting (dataset × attack)", direction="trade-off",
                                  reqs=[requires(not flat, f"removal or accuracy constant over the grid in {flat}: ρ undefined")]))
    return out


def hypothesis_claims(hyp: list) -> list:
    last = [m["rows"][-1] for m in hyp]
    f = last[0]["fraction"]
    return [
        make_claim("P1.h1.poison_shift_exceeds_random", PAPER, f"H1: removing the poisons ({f:.0%} of D) moves the convex optimum further than removing as many random points",
                   "‖θ(D) − θ(D∖poisons)‖ / ‖θ(D) − θ(D∖random)‖", mean_ci([r["shift_poisons"] / r["shift_random"] for r in last]),
                   ci_above(1.5), unit=UNIT, direction="much further"),
        make_claim("P1.h2.gd_orthogonal_to_needed_shift", PAPER, "H2: the GD-on-retain direction is nearly orthogonal to θ_retrain − θ",
                   "cos(−∇L(θ; D_r), θ_retrain − θ)", mean_ci([r["cos_gd_needed"] for r in last]), NEAR_ZERO, unit=UNIT, direction="≈ 0"),
    ]


def all_claims(table, poisoned: dict, tuning: dict, hyp: list) -> list:
    out = []
    for ds, atk in settings(table):
        out += retrain_claims(table, ds, atk, poisoned.get((ds, atk))) + twin_claims(poisoned.get((ds, atk), []), ds, atk)
        out += residue_claims(table, ds, atk, poisoned.get((ds, atk)))
        if atk == "gaussian":
            out += gus_claims(table, poisoned[(ds, atk)], ds)
    return out + tradeoff_claims(tuning) + (hypothesis_claims(hyp) if hyp else [])
