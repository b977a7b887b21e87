"""P1's pipeline jobs: train on poisoned data, pick each method's lr, unlearn at every budget.

  ``poison_unlearning.poison``   (dataset, attack, seed): craft D = D_c ∪ D_p, train θ on it,
                                 save model + bundle (``poisoned.pt``), measure the attack's effect
  ``poison_unlearning.tune``     (dataset, attack, method): the paper's rule on the first seed at the
                                 largest budget — the grid value with the best removal among those
                                 whose test accuracy stays within ``tolerance`` of the poisoned model's
  ``poison_unlearning.unlearn``  (dataset, attack, method), every budget × seed: one unlearning run
                                 per cell and its effect, GUS, loss-MIA and test accuracy
"""

from __future__ import annotations

import dataclasses

import torch

from ...compute import Meter
from ...config import typed
from ...io import load_torch, read_json, save_torch
from ...metrics.loss_mia import tpr_at_fpr
from ...models import build
from ...registries import JOBS
from ...seeding import derive
from ...training import accuracy, fit
from ...unlearning import unlearn
from .control import control_effect
from .scenarios import SCENARIOS
from .spec import JobSpec


def fresh_model(spec: JobSpec, b: dict, stream: str, device):
    torch.manual_seed(derive(spec.seed, stream))
    kwargs = {**spec.setting.model_args, **b.get("model_args", {})}
    return build(spec.setting.model, b["in_shape"], b["num_classes"], **kwargs).to(device)


def split(b: dict):
    keep = torch.ones(len(b["y"]), dtype=torch.bool)
    keep[b["forget"]] = False
    return (b["x"][keep], b["y"][keep]), (b["x"][b["forget"]], b["y"][b["forget"]])


def evaluate(model, b: dict, scenario, meter) -> dict:
    """Effect (scenario), clean test accuracy and the loss-MIA TPR at FPR 1% on the forget set."""
    retain, forget = split(b)
    return {**scenario.effect(model, b, meter), "test_accuracy": accuracy(model, b["x_test"], b["y_test"]),
            "mia_tpr_at_1pct": tpr_at_fpr(model, forget, (b["x_test"], b["y_test"]))}


@JOBS.register("poison_unlearning.poison")
def poison(ctx) -> dict:
    spec = typed(JobSpec, ctx.spec, "poison_unlearning")
    scenario = SCENARIOS[spec.setting.attack]
    attack_meter = Meter()  # crafting cost, reported apart from training cost
    b = scenario.craft(spec.setting, spec.seed, attack_meter, ctx.device)
    model = fresh_model(spec, b, "model", ctx.device)
    hist = fit(model, b["x"], b["y"], spec.setting.train, derive(spec.seed, "train"), ctx.meter,
               checkpoint=ctx.work_dir() / "train.ckpt", desc=f"{spec.setting.dataset}/{spec.setting.key}")
    save_torch(ctx.outputs["model"], {"state": model.state_dict(), "bundle": b})
    (ctx.work_dir() / "train.ckpt").unlink(missing_ok=True)
    ctx.record.log_curve("train_loss", hist.loss)
    out = {**evaluate(model, b, scenario, Meter()), "n_train": len(b["y"]), "n_forget": len(b["forget"]),
           "attack_grad_evals": attack_meter.grad_evals, "train_loss": hist.loss}
    if spec.setting.attack == "gaussian":  # the analytic threshold checked with noise never trained on
        fresh = torch.randn(b["noise"].shape, generator=torch.Generator().manual_seed(derive(spec.seed, "fresh-noise")))
        scores = scenario.scores(model, b, Meter(), noise=fresh * b["sigma"])
        out["fresh_noise_fpr_at_1pct"] = (scores < -2.3263478740408408).float().mean().item()
        out["fresh_noise_scores"] = scores.tolist()
        out["gus_scores"] = scenario.scores(model, b, Meter()).tolist()
    out.update({k: v for k, v in b.items() if k in ("clean_accuracy", "target_accuracy") or k.startswith("gc_")})
    return out


def run_unlearning(spec: JobSpec, b: dict, state: dict, hp: dict, device, meter: Meter):
    """Unlearn the poisons from the trained model at ``spec.budget_pct``% of the retrain cost."""
    model = fresh_model(spec, b, "model", device)
    model.load_state_dict(state)
    retain, forget = split(b)
    budget = int(spec.budget_pct / 100 * spec.setting.train.grad_evals(len(retain[1])))

    def retrain():
        m = fresh_model(spec, b, "retrain-model", device)
        fit(m, *retain, spec.setting.train, derive(spec.seed, "retrain"), meter, desc="retrain")
        return m

    return unlearn(spec.method, model, retain, forget, budget, derive(spec.seed, "unlearn"), meter, retrain=retrain, **hp)


def method_hp(spec: JobSpec, chosen: dict) -> dict:
    return {**spec.method_spec.hp, **chosen}


@JOBS.register("poison_unlearning.tune")
def tune(ctx) -> dict:
    spec = typed(JobSpec, ctx.spec, "poison_unlearning")
    saved = load_torch(ctx.inputs["model"][0])
    b, scenario = saved["bundle"], SCENARIOS[spec.setting.attack]
    (name, values), = spec.method_spec.tune.items()
    base = fresh_model(spec, b, "model", ctx.device)
    base.load_state_dict(saved["state"])
    reference = evaluate(base, b, scenario, Meter())
    grid = []
    for v in values:
        model = run_unlearning(spec, b, saved["state"], method_hp(spec, {name: v}), ctx.device, ctx.meter)
        grid.append({name: v, **evaluate(model, b, scenario, Meter())})
    ok = [g for g in grid if g["test_accuracy"] >= reference["test_accuracy"] - spec.tolerance]
    best = min(ok, key=lambda g: g["effect"]) if ok else max(grid, key=lambda g: g["test_accuracy"])
    ctx.record.log_metrics({"chosen_" + name: best[name]})
    return {"chosen": {name: best[name]}, "grid": grid, "reference": reference, "within_tolerance": bool(ok)}


@JOBS.register("poison_unlearning.unlearn")
def unlearn_job(ctx) -> dict:
    """One method at every budget for every seed (one job, not one per cell: process start-up, not
    compute, dominated per-cell jobs on 2 cores; every run starts again from its seed's poisoned model)."""
    spec = typed(JobSpec, ctx.spec, "poison_unlearning")
    chosen = read_json(ctx.inputs["tuning"][0])["metrics"]["chosen"] if "tuning" in ctx.inputs else {}
    saved = {seed: load_torch(path) for seed, path in zip(spec.seeds, ctx.inputs["model"])}
    scenario = SCENARIOS[spec.setting.attack]
    per_budget = {}
    for budget in spec.budgets:
        per_seed = {}
        for seed, s in saved.items():
            b = s["bundle"]
            cell = dataclasses.replace(spec, seed=seed, budget_pct=budget)
            model = run_unlearning(cell, b, s["state"], method_hp(spec, chosen), ctx.device, ctx.meter)
            out = evaluate(model, b, scenario, Meter())
            if "control" in b:  # the method's own damage on a clean model (control.py)
                out["control_effect"] = control_effect(cell, b, method_hp(spec, chosen), ctx.device, ctx.meter, run_unlearning)
            if spec.setting.attack == "gaussian":
                out["gus_scores"] = scenario.scores(model, b, Meter()).tolist()
            per_seed[str(seed)] = out
        per_budget[f"{budget:g}"] = per_seed
    return {"per_budget": per_budget, "hp": method_hp(spec, chosen)}
