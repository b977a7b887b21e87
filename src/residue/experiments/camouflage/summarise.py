"""Job ``camouflage.summarise``: success rates with 95% CIs, tables, claims, figures.

Claims (criteria fixed before any run; "most" means the Wilson 95% CI lies above one half; the unit
is the target, one trial each; "twin" = the same-seed model on the unperturbed bases, trial.py):
  * ``<run>.poison_margin``        the target's adversarial margin, θ_po minus its twin: the primary effect,
                                   with the flip counts of both beside it;
  * ``<run>.poison_success``       θ_po predicts y_adv, over all trials;
  * ``<run>.poison_beats_control`` poison minus twin flip, paired per trial;
  * ``<run>.camouflage_margin``    the target's true-label margin, θ_pc minus its twin;
  * ``<run>.camouflage_hides``     among successful-poison trials, θ_pc predicts y_t;
  * ``<run>.deletion_restores``    among overall-success trials, exact deletion of S_ca brings y_adv back
                                   (a sanity check where deletion returns θ_po exactly, by construction:
                                   the convex solver ignores the seed);
  * ``<run>.partial_deletion_restores`` the same after deleting a random half of S_ca (a convex claim
                                   that can fail: θ_po is not given back);
  * ``<run>.stealth``              clean test accuracy of θ_pc minus θ_cl, 95% CI within ±1 point;
  * ``<run>.<method>.deletion_restores`` the same with approximate unlearning (beyond the paper).
Camouflage and deletion claims are untestable unless the poisons beat their twins (flip difference
CI low > 0), when fewer than 10 trials remain to count (issue #14), and whenever so few trials
remain that every outcome would give the same verdict.
"""

from __future__ import annotations

import math
from collections import defaultdict

from ...claims import Requirement, ci_above, ci_within, make_claim, rate_decidable, requires
from ...io import load_array, read_json, write_json
from ...registries import JOBS
from ...report.tables import write_table
from ...stats import Estimate, mean_ci, rate_ci
from . import figures
from .trial import outcomes, paired

PAPER = "2212.10717"
STEALTH_TOL = 0.01


def rate(k: int, n: int) -> Estimate:
    """Wilson rate; with no trials to count, NaN (the claim is then untestable, never a verdict)."""
    return rate_ci(k, n) if n else Estimate(math.nan, math.nan, math.nan, 0)


MOST = ci_above(0.5)
UNIT = "target (one trial)"
PAIRED_UNIT = "target (one trial; poisoned vs same-seed control)"
MIN_HIDDEN = 10  # "camouflage hides" and the deletion claims rest on at least this many trials (issue #14)
PARTIAL = 0.5  # the partial-deletion claim: half of the camouflages deleted (fixed before the runs)


def deletion_methods(trials: list[dict]) -> list[str]:
    names = {k.split("/")[1] for t in trials for k in t["stages"] if k.startswith("unlearned/")}
    return ["exact"] + sorted(names - {"exact"})


def method_rates(trials: list[dict]) -> dict[str, Estimate]:
    """Restoration rate per deletion method among overall-success trials."""
    hidden = [t for t in trials if outcomes(t)["overall"]]
    return {m: rate(sum(outcomes(t, f"unlearned/{m}/1")["restored"] for t in hidden), len(hidden))
            for m in deletion_methods(trials)}


def row(run: str, variant: str, spec: dict, trials: list[dict]) -> dict:
    o = [outcomes(t) for t in trials]
    n_po = sum(x["poison"] for x in o)
    n_all = sum(x["overall"] for x in o)
    acc = lambda stage: mean_ci([t["stages"][stage]["test_accuracy"] for t in trials]).fmt(4)
    return {
        "run": run, "variant": variant, "trials": len(trials),
        "poisons": spec["attack"]["n_poison"], "camouflage ratio": spec["attack"].get("camouflage_ratio", 1.0),
        "eps·255": round(spec["attack"].get("eps", 16 / 255) * 255, 2),
        "poison success": rate(n_po, len(o)).fmt(),
        "control → y_adv": rate(sum(bool(x["control"]) for x in o), len(o)).fmt() if controlled(o) else "-",
        "camouflage given poison": rate(sum(x["overall"] for x in o), n_po).fmt(),
        "overall": rate(n_all, len(o)).fmt(),
        "restored given overall": rate(sum(x["restored"] for x in o if x["overall"]), n_all).fmt(),
        "acc clean": acc("clean"), "acc poisoned": acc("poisoned"), "acc camouflaged": acc("camouflaged"),
        "acc unlearned": acc("unlearned/exact/1"),
    }


def controlled(o: list[dict]) -> bool:
    return bool(o) and all(x["control"] is not None for x in o)


def poison_bites(o: list[dict]) -> Requirement:
    """The premise of every camouflage claim: the poisons flip targets more often than their
    unperturbed base images do (paired per trial), so there is an attack to hide and unleash."""
    if not controlled(o):
        return requires(False, "no paired control (unperturbed bases): the poison's effect cannot be told from retraining noise")
    diff = mean_ci([float(x["poison"]) - float(x["control"]) for x in o])
    return requires(diff.lo > 0, f"no attack to hide: poison − control flip rate {diff.mean:.2f} [{diff.lo:.2f}, {diff.hi:.2f}] does not exclude 0")


def by_construction(trials: list[dict]) -> bool:
    """Exact deletion of every camouflage gives back θ_po exactly (a seed-free convex solver):
    'deletion restores' then holds by construction."""
    return bool(trials) and all(t["stages"]["unlearned/exact/1"]["target_margin"] == t["stages"]["poisoned"]["target_margin"]
                                for t in trials if "unlearned/exact/1" in t["stages"])


def rate_claim(id, paper, claim, metric, k, n, reqs=(), sanity=False, min_n=1):
    return make_claim(id, paper, claim, metric, rate(k, n), MOST, unit=UNIT, reqs=reqs,
                      decidable=rate_decidable(n, MOST), min_n=min_n, sanity=sanity, direction="most trials")


def paired_estimate(trials: list[dict], stage: str, twin: str, field: str) -> Estimate:
    """Mean and CI of ``field`` (stage − its same-seed twin) over the trials that have the twin."""
    diffs = [d for t in trials if (d := paired(t, stage, twin, field)) is not None]
    return mean_ci(diffs) if diffs else Estimate(math.nan, math.nan, math.nan, 0)


def flip_rates(o: list[dict], flag: str, twin: str, among=lambda x: True) -> str:
    """'poisoned k/n vs control k/n': the flip counts shown beside a margin claim."""
    sel = [x for x in o if among(x)]
    return f"{sum(x[flag] for x in sel)}/{len(sel)} vs control {sum(bool(x[twin]) for x in sel)}/{len(sel)}"


def partial_fraction(trials: list[dict]) -> float | None:
    """The deletion fraction of the partial-deletion claim: PARTIAL if the run measured it."""
    keys = {k for t in trials for k in t["stages"]}
    return PARTIAL if f"unlearned/exact/{PARTIAL:g}" in keys else None


def claims_of(run: str, trials: list[dict]) -> list:
    o = [outcomes(t) for t in trials]
    n_po, n_all = sum(x["poison"] for x in o), sum(x["overall"] for x in o)
    bites = poison_bites(o)
    control = [requires(controlled(o), "no paired control was run")]
    hidden = [t for t in trials if outcomes(t)["overall"]]
    out = [
        make_claim(f"P2.{run}.poison_margin", PAPER,
                   f"the poisons raise the target's adversarial margin over the same-seed control on the unperturbed bases "
                   f"(flips {flip_rates(o, 'poison', 'control')})",
                   "adv margin θ_po − twin on D ∪ B_po (same seed), per target", paired_estimate(trials, "poisoned", "poison_bases", "adv_margin"),
                   ci_above(0), unit=PAIRED_UNIT, direction="> 0", reqs=control),
        rate_claim(f"P2.{run}.poison_success", PAPER, "poisons brewed against θ_cl make the retrained θ_po predict y_adv",
                   "poison success rate", n_po, len(o)),
        make_claim(f"P2.{run}.poison_beats_control", PAPER, "the poisons flip the target more often than their unperturbed base images do",
                   "poison success − control success, paired over trials (same seed)",
                   mean_ci([float(x["poison"]) - float(x["control"]) for x in o]) if controlled(o) else Estimate(math.nan, math.nan, math.nan, len(o)),
                   ci_above(0), unit=PAIRED_UNIT, direction="> 0", reqs=control),
        make_claim(f"P2.{run}.camouflage_margin", PAPER,
                   "the camouflages raise the target's true-label margin over the same-seed control on their unperturbed bases",
                   "target margin θ_pc − twin on D ∪ S_po ∪ B_ca (same seed), per target",
                   paired_estimate(trials, "camouflaged", "camouflage_bases", "target_margin"), ci_above(0), unit=PAIRED_UNIT,
                   direction="> 0", reqs=control + [bites]),
        rate_claim(f"P2.{run}.camouflage_hides", PAPER, "camouflages hide the poison: θ_pc classifies the target correctly in most successful-poison trials",
                   "camouflage success given poison success", n_all, n_po, [bites], min_n=MIN_HIDDEN),
        rate_claim(f"P2.{run}.deletion_restores", PAPER,
                   "deleting the camouflages (exact retraining from a new seed) restores the attack in most hidden-poison trials "
                   f"(flips {flip_rates(o, 'restored', 'restored_control', lambda x: x['overall'])})",
                   "y_adv after exact deletion given overall success", sum(x["restored"] for x in o if x["overall"]), n_all, [bites],
                   sanity=by_construction(trials), min_n=MIN_HIDDEN),
        make_claim(f"P2.{run}.stealth", PAPER, f"stealth: clean test accuracy of θ_pc is within {STEALTH_TOL:g} of θ_cl",
                   "test accuracy θ_pc − θ_cl", mean_ci([t["stages"]["camouflaged"]["test_accuracy"] - t["stages"]["clean"]["test_accuracy"] for t in trials]),
                   ci_within(STEALTH_TOL), unit=UNIT, direction=f"|Δ| < {STEALTH_TOL:g}"),
    ]
    if (f := partial_fraction(trials)) is not None:
        key = f"unlearned/exact/{f:g}"
        out.append(rate_claim(f"P2.{run}.partial_deletion_restores", PAPER,
                              f"deleting a random {f:.0%} of the camouflages (exact retraining) already restores the attack in most hidden-poison trials",
                              f"y_adv after deleting {f:.0%} of S_ca given overall success",
                              sum(t["stages"][key]["prediction"] == t["y_adv"] for t in hidden), len(hidden), [bites], min_n=MIN_HIDDEN))
    for method in deletion_methods(trials):
        if method != "exact":
            n_restored = sum(outcomes(t, f"unlearned/{method}/1")["restored"] for t in hidden)
            out.append(rate_claim(f"P2.{run}.{method}.deletion_restores", "beyond 2212.10717",
                                  f"deleting the camouflages with approximate unlearning ({method}) also triggers the hidden poison in most hidden-poison trials",
                                  f"y_adv after {method} deletion given overall success", n_restored, len(hidden), [bites], min_n=MIN_HIDDEN))
    return out


@JOBS.register("camouflage.summarise")
def summarise(ctx) -> None:
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    specs, examples = {}, {}
    for path, ex in zip(sorted(ctx.inputs["metrics"]), sorted(ctx.inputs["examples"])):
        m = read_json(path)
        key = (m["spec"]["run"], m["spec"]["variant"])
        groups[key] += m["metrics"]["trials"]
        specs[key] = m["spec"]
        examples.setdefault(key, load_array(ex))
    rows = [row(run, variant, specs[(run, variant)], groups[(run, variant)]) for run, variant in sorted(groups)]
    mains = {run: trials for (run, variant), trials in sorted(groups.items()) if variant == "main"}
    claims = [c for run, trials in mains.items() for c in claims_of(run, trials)]
    unl_rows = [{"run": run, "deletion": m, "restored given overall": est.fmt(),
                 "target margin": mean_ci([t["stages"][f"unlearned/{m}/1"]["target_margin"] for t in trials]).fmt(),
                 "test accuracy": mean_ci([t["stages"][f"unlearned/{m}/1"]["test_accuracy"] for t in trials]).fmt(4)}
                for run, trials in mains.items() for m, est in method_rates(trials).items()]
    paths = write_table(ctx.outputs["table"].with_suffix(""), rows, list(rows[0]))
    paths += write_table(ctx.outputs["unlearning_table"].with_suffix(""), unl_rows, list(unl_rows[0]))
    paths += figures.success(ctx.outputs["fig_success"].with_suffix(""), mains)
    paths += figures.margins(ctx.outputs["fig_margins"].with_suffix(""), mains)
    paths += figures.ablations(ctx.outputs["fig_ablations"].with_suffix(""), groups, specs)
    paths += figures.examples(ctx.outputs["fig_examples"].with_suffix(""), {k: v for k, v in examples.items() if k[1] == "main"})
    paths += figures.unlearning(ctx.outputs["fig_unlearning"].with_suffix(""), {run: method_rates(t) for run, t in mains.items()})
    write_json(ctx.outputs["claims"], [c.to_dict() for c in claims])
    for p in paths + [ctx.outputs["claims"]]:
        ctx.record.log_artifact(p)
