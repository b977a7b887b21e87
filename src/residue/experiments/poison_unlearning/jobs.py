"""P1's pipeline jobs: train on poisoned data, pick each method's lr, unlearn at every budget.

  ``poison_unlearning.poison``   (dataset, attack, seed): craft D = D_c ∪ D_p, train θ on it,
                                 save model + bundle (``poisoned.pt``), measure the attack's effect
  ``poison_unlearning.tune``     (dataset, attack, method): "as strong as utility allows" on the
                                 tuning seeds (never reported) at the largest budget, measured on the
                                 validation split: the extending grid of ``tuning.py``
  ``poison_unlearning.unlearn``  (dataset, attack, method), every budget × seed: one unlearning run
                                 per cell and its effect, GUS, calibrated MIA, test and validation accuracy,
                                 and whether the method acted (forget loss before/after, ‖θ_u − θ_o‖)
"""

from __future__ import annotations

import dataclasses

import torch
import torch.nn.functional as F

from ...compute import Meter
from ...config import typed
from ...io import load_torch, read_json, save_torch
from ...metrics.calibrated_mia import calibrated_tpr
from ...models import build
from ...registries import JOBS
from ...seeding import derive
from ...training import accuracy, fit, predict
from ...unlearning import unlearn
from ...unlearning.cfk import covers_whole_model, n_blocks as count_blocks
from .control import control_effect
from .scenarios import SCENARIOS
from .spec import JobSpec
from .tuning import Axis, choose_across, search


def fresh_model(spec: JobSpec, b: dict, stream: str, device):
    """A new model of the setting; in the recipe's memory layout, so that every model of the job (the
    poisoned one, its twin, the retrain, the unlearned ones) runs NHWC, not only those ``fit`` trains."""
    torch.manual_seed(derive(spec.seed, stream))
    kwargs = {**spec.setting.model_args, **b.get("model_args", {})}
    model = build(spec.setting.model, b["in_shape"], b["num_classes"], **kwargs).to(device)
    return model.to(memory_format=torch.channels_last) if spec.setting.train.channels_last else model


def initial_model(spec: JobSpec, b: dict, device):
    """Where the victim's training starts: a fresh initialisation (the ``model`` stream), or the
    clean model θ_cl under the fine-tuning threat model (``init_state`` in the bundle)."""
    model = fresh_model(spec, b, "model", device)
    if "init_state" in b:
        model.load_state_dict(b["init_state"])
    return model


def split(b: dict):
    keep = torch.ones(len(b["y"]), dtype=torch.bool)
    keep[b["forget"]] = False
    return (b["x"][keep], b["y"][keep]), (b["x"][b["forget"]], b["y"][b["forget"]])


def evaluate(model, b: dict, scenario, meter, reference=None) -> dict:
    """Effect (scenario), clean test and validation accuracy and — where the scenario defines non-members and a
    reference model exists — the calibrated MIA's TPR at FPR 1% on the forget set."""
    retain, forget = split(b)
    out = {**scenario.effect(model, b, meter), "test_accuracy": accuracy(model, b["x_test"], b["y_test"]),
           "val_accuracy": accuracy(model, b["x_val"], b["y_val"])}
    if reference is not None:
        out["mia_tpr_at_1pct"] = calibrated_tpr(model, reference, forget, (b["x_nonmember"], b["y_nonmember"]))
    return out


def retrain_cost(spec: JobSpec, b: dict, device) -> int:
    """The budgets' 100%: per-example gradient evaluations of retraining on D_r (PAPERS.md §P1: "x% of
    retrain" is exact).  The loop's cost is its recipe's, epochs × |D_r|; L-BFGS (``solver: lbfgs``,
    the convex victims) stops at the optimum, so its retrain is run once, here, and counted."""
    retain, _ = split(b)
    if spec.setting.train.solver == "loop":
        return spec.setting.train.grad_evals(len(retain[1]))
    meter = Meter()
    fit(initial_model(spec, b, device), *retain, spec.setting.train, derive(spec.seed, "train"), meter, desc="retrain cost")
    return meter.grad_evals


def mia_reference(spec: JobSpec, b: dict, state: dict | None, device):
    """The calibrated MIA's reference model: trained on D_r (never on the poisons) in the poison job,
    for scenarios that define non-members; None elsewhere."""
    if "x_nonmember" not in b:
        return None
    model = fresh_model(spec, b, "mia-reference", device)
    if state is None:
        retain, _ = split(b)
        fit(model, *retain, spec.setting.train, derive(spec.seed, "mia-reference"), Meter(), desc="MIA reference")
    else:
        model.load_state_dict(state)
    return model


def flat(model) -> torch.Tensor:
    return torch.cat([p.detach().flatten().float().cpu() for p in model.parameters()])


def forget_fit(model, b: dict) -> tuple[float, float]:
    """Mean cross-entropy and accuracy on the forget set (the poisons, as trained on)."""
    _, (xf, yf) = split(b)
    logits = predict(model, xf)
    return F.cross_entropy(logits, yf.cpu()).item(), (logits.argmax(1) == yf.cpu()).float().mean().item()


def acted(model, poisoned, b: dict) -> dict:
    """Did the method act?  Forget-set loss/accuracy before (the poisoned model θ_o) and after, and
    ``param_dist`` = ‖θ_u − θ_o‖₂ over all parameters (the retrain cell: ‖θ_retrain − θ_o‖, the scale a
    method's distance is read against)."""
    (loss0, acc0), (loss1, acc1) = forget_fit(poisoned, b), forget_fit(model, b)
    return {"forget_loss_before": loss0, "forget_loss": loss1, "forget_accuracy_before": acc0, "forget_accuracy": acc1,
            "param_dist": (flat(model) - flat(poisoned)).norm().item(), "n_blocks": count_blocks(poisoned)}


def validate(model, b: dict, scenario) -> dict:
    """What tuning sees: validation accuracy and the effect measured on the validation split."""
    return {"val_accuracy": accuracy(model, b["x_val"], b["y_val"]), "val_effect": scenario.effect(model, b, Meter(), "val")["effect"]}


@JOBS.register("poison_unlearning.poison")
def poison(ctx) -> dict:
    spec = typed(JobSpec, ctx.spec, "poison_unlearning")
    scenario = SCENARIOS[spec.setting.attack]
    attack_meter = Meter()  # crafting cost, reported apart from training cost
    b = scenario.craft(spec.setting, spec.seed, attack_meter, ctx.device)
    model = initial_model(spec, b, ctx.device)
    hist = fit(model, b["x"], b["y"], spec.setting.train, derive(spec.seed, "train"), ctx.meter,
               checkpoint=ctx.work_dir() / "train.ckpt", desc=f"{spec.setting.dataset}/{spec.setting.key}")
    reference = mia_reference(spec, b, None, ctx.device)
    b["retrain_cost"] = retrain_cost(spec, b, ctx.device)
    save_torch(ctx.outputs["model"], {"state": model.state_dict(), "bundle": b,
                                      "mia_reference": None if reference is None else reference.state_dict()})
    (ctx.work_dir() / "train.ckpt").unlink(missing_ok=True)
    ctx.record.log_curve("train_loss", hist.loss)
    out = {**evaluate(model, b, scenario, Meter(), reference), "n_train": len(b["y"]), "n_forget": len(b["forget"]),
           "attack_grad_evals": attack_meter.grad_evals, "retrain_grad_evals": b["retrain_cost"], "train_loss": hist.loss}
    if spec.setting.attack == "gaussian":  # the analytic threshold checked with noise never trained on
        fresh = torch.randn(b["noise"].shape, generator=torch.Generator().manual_seed(derive(spec.seed, "fresh-noise")))
        scores = scenario.scores(model, b, Meter(), noise=fresh * b["sigma"])
        out["fresh_noise_fpr_at_1pct"] = (scores < -2.3263478740408408).float().mean().item()
        out["fresh_noise_scores"] = scores.tolist()
        out["gus_scores"] = scenario.scores(model, b, Meter()).tolist()
    if getattr(scenario, "twin", False):
        out.update(twin_metrics(spec, b, scenario, ctx.device, ctx.meter))
    out.update({k: v for k, v in b.items() if k in ("clean_accuracy", "target_accuracy", "brew_loss", "brew_base_loss") or k.startswith("gc_")})
    return out


def twin_metrics(spec: JobSpec, b: dict, scenario, device, meter) -> dict:
    """The poisoned model's twin: its initialisation and batch order, on D with the unperturbed bases
    (``x_clean``); its effect, success and accuracy as ``twin_*`` (the paired control of issue #14)."""
    twin = initial_model(spec, b, device)
    fit(twin, b["x_clean"], b["y"], spec.setting.train, derive(spec.seed, "train"), meter, desc="twin")
    return {f"twin_{k}": v for k, v in {**scenario.effect(twin, b, Meter()), "test_accuracy": accuracy(twin, b["x_test"], b["y_test"]),
                                         "train_accuracy": accuracy(twin, b["x_clean"], b["y"])}.items()}


def run_unlearning(spec: JobSpec, b: dict, state: dict, hp: dict, device, meter: Meter):
    """Unlearn the poisons from the trained model at ``spec.budget_pct``% of the retrain cost (the
    poison job's ``retrain_cost``; the damage control reuses its cell's)."""
    model = fresh_model(spec, b, "model", device)
    model.load_state_dict(state)
    retain, forget = split(b)
    budget = int(spec.budget_pct / 100 * b["retrain_cost"])

    def retrain():  # the paired control: the poisoned model's initialisation and shuffling stream, on D_r
        m = initial_model(spec, b, device)
        fit(m, *retain, spec.setting.train, derive(spec.seed, "train"), meter, desc="retrain")
        return m

    return unlearn(spec.method, model, retain, forget, budget, derive(spec.seed, "unlearn"), meter, retrain=retrain, **hp)


def method_hp(spec: JobSpec, chosen: dict) -> dict:
    return {**spec.method_spec.hp, **chosen}


def tuning_point(spec: JobSpec, saved: dict, refs: dict, scenario, hp: dict, device, meter) -> dict:
    """One grid point on every tuning seed: per seed validation accuracy, effect, drop and removal, and
    their means (``drop`` and ``effect`` are what ``tuning.search`` orders by)."""
    per_seed = {}
    for seed, s in saved.items():
        cell = dataclasses.replace(spec, seed=seed)
        v = validate(run_unlearning(cell, s["bundle"], s["state"], method_hp(spec, hp), device, meter), s["bundle"], scenario)
        per_seed[str(seed)] = {**v, "drop": refs[seed]["val_accuracy"] - v["val_accuracy"],
                               "removal": refs[seed]["val_effect"] - v["val_effect"]}
    mean = {k: sum(p[k] for p in per_seed.values()) / len(per_seed) for k in ("val_accuracy", "val_effect", "drop", "removal")}
    return {**hp, **mean, "effect": mean["val_effect"], "per_seed": per_seed}


@JOBS.register("poison_unlearning.tune")
def tune(ctx) -> dict:
    """The method's hyper-parameter by the extending grid (``tuning.py``) on the tuning seeds' validation
    splits; EUk/CFk (``tune_k``) repeat it for every k in 1..n_blocks and keep the best k."""
    spec = typed(JobSpec, ctx.spec, "poison_unlearning")
    scenario, axis, t = SCENARIOS[spec.setting.attack], Axis.parse(spec.method_spec.tune), spec.tuning
    saved = {seed: load_torch(path) for seed, path in zip(t.seeds, ctx.inputs["model"])}
    refs = {}
    for seed, s in saved.items():
        base = fresh_model(dataclasses.replace(spec, seed=seed), s["bundle"], "model", ctx.device)
        base.load_state_dict(s["state"])
        refs[seed] = validate(base, s["bundle"], scenario)
    n_blocks = count_blocks(base)

    def run(fixed: dict) -> dict:
        return search(axis, lambda v: tuning_point(spec, saved, refs, scenario, {**fixed, axis.name: v}, ctx.device, ctx.meter),
                      spec.tolerance, t.points_per_decade, t.max_extend)

    per_k = {k: run({"k": k}) for k in range(1, n_blocks + 1)} if spec.method_spec.tune_k else {}
    k = choose_across(per_k) if per_k else None
    res = per_k[k if k is not None else n_blocks] if per_k else run({})
    grid = [p for r in per_k.values() for p in r["grid"]] if per_k else res["grid"]
    chosen = res["chosen"] or min(res["grid"], key=lambda p: p["drop"])  # nothing within: the least harmful point
    keys = [axis.name] + (["k"] if per_k else [])
    ctx.record.log_metrics({f"chosen_{n}": chosen[n] for n in keys})
    return {"chosen": {n: chosen[n] for n in keys}, "chosen_point": chosen, "neighbour": res["neighbour"],
            "neighbour_breaks": res["neighbour_breaks"], "bound": res["bound"], "within_tolerance": res["chosen"] is not None,
            "axis": {"name": axis.name, "stronger": axis.stronger}, "tolerance": spec.tolerance, "tuning_seeds": list(t.seeds),
            "reference": {"per_seed": {str(s): r for s, r in refs.items()},
                          **{n: sum(r[n] for r in refs.values()) / len(refs) for n in ("val_accuracy", "val_effect")}},
            "grid": grid, "n_blocks": n_blocks,
            "per_k": {str(k): {n: r[n] for n in ("chosen", "neighbour", "neighbour_breaks", "bound")} for k, r in per_k.items()}}


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
            hp = method_hp(spec, chosen)
            model = run_unlearning(cell, b, s["state"], hp, ctx.device, ctx.meter)
            poisoned = fresh_model(cell, b, "model", ctx.device)
            poisoned.load_state_dict(s["state"])
            reference = mia_reference(cell, b, s.get("mia_reference"), ctx.device)
            out = {**evaluate(model, b, scenario, Meter(), reference), **acted(model, poisoned, b), "k": hp.get("k"),
                   "covers_whole_model": hp.get("k") is not None and covers_whole_model(poisoned, hp["k"])}
            if "control" in b:  # the method's own damage on a clean model (control.py)
                out["control_effect"] = control_effect(cell, b, hp, ctx.device, ctx.meter, run_unlearning)
            if spec.setting.attack == "gaussian":
                out["gus_scores"] = scenario.scores(model, b, Meter()).tolist()
            per_seed[str(seed)] = out
        per_budget[f"{budget:g}"] = per_seed
    return {"per_budget": per_budget, "hp": method_hp(spec, chosen)}
