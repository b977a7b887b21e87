"""P4 pilot (experiments/relearning/README.md, "Pilots (third pass)"): a small grid per unlearning
method on a pilot seed that is never reported, scored on fewer samples than the pipeline.

Reads the pipeline's shared artifacts (classifier, original model, replay) and the ``relearning:``
section of a config; writes one JSON line per grid point.  Per point: UA (forget_samples c_f
generations), retained-class accuracy and KID on ``--per-class`` generations per retained class,
the method's own report (GA's stopping step, DiMUM's alternative-data loss before/after), and, for
``--dimra`` methods, UA along a DiMRA attack on D_r (the pipeline's attack; under ``attacks``, keyed by
the attack's lr), scored at every curve point and at the end both on the attack's raw weights and on its EMA (``--attack-ema``, diffusers' warm-up).
``--lr`` and ``--unlearn-ema`` override the unlearning lr and EMA decay of the chosen points (0: the
unlearned model is the raw last weights), for the diagnosis of README "Fourth pass"; ``--attack-lrs``
attacks copies of each unlearned model at several DiMRA lrs (the attacker's calibration, "Sixth pass").

    python scripts/relearning_pilot.py --only ga,salun --out pilot.jsonl
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from dataclasses import replace

import torch
import yaml

from residue.compute import Meter
from residue.config import typed
from residue.diffusion import OptimSpec, averaged, to_model_range, train_denoiser
from residue.diffusion.unlearning.base import UnlearnTask
from residue.experiments.relearning.jobs import curve_steps
from residue.experiments.relearning.data import images, split_forget
from residue.experiments.relearning.evaluate import Evaluator, build_unet, load_model
from residue.experiments.relearning.spec import JobSpec
from residue.io import load_torch
from residue.registries import DIFFUSION_UNLEARNING
from residue.seeding import derive, seed_everything

LRS = (1e-4, 5e-4, 1e-3)  # the same three learning rates for every method (same effort)
GRID = {  # name: (registered method, [(lr, hp), ...])
    "ga": ("ga", [(lr, {"alpha": 1.0, "target_ua": 0.95, "check_every": 10}) for lr in LRS]),
    # SalUn's α = 1e-3 on its code's per-pixel sum of L_simple(D_r) (README "Sixth pass"; the third pass's grid
    # read α on a per-pixel mean and tried (1e-4, 1e-3), (1e-4, 1), (5e-4, 1))
    "salun": ("salun", [(lr, {"alpha": 1e-3, "fraction": 0.5}) for lr in LRS]),
    "erasediff": ("erasediff", [(lr, {"lam": 0.1, "k": 2, "inner_lr": 5e-4}) for lr in LRS]),
    "sa": ("sa", [(lr, {"gamma": 1.0, "lam": 10.0, "fisher_samples": 64}) for lr in LRS]),
    "esd": ("esd", [(lr, {"eta": 1.0, "params": "conditioning"}) for lr in LRS]),
    "dimum_class": ("dimum", [(lr, {"alt": "class", "alt_args": {"alt_class": 8}, "lam": 1.0, "n_alt": 64}) for lr in LRS]),
    "dimum_pattern": ("dimum", [(lr, {"alt": "pattern", "lam": 1.0, "n_alt": 64}) for lr in LRS]),
    "retrain": ("retrain", [(1e-3, {})]),  # the control, with the original's recipe (OPT)
}
OPT = {"retrain": {"steps": 1500, "batch_size": 64}}  # optimiser settings that differ from the finetuning methods' 80 steps


def attack(model, aux, spec, ev, opt, seed) -> dict:
    """DiMRA on ``aux``; UA of 24 c_f generations at each curve point and of 48 at the end, each on the
    attack's raw weights and on its EMA (the same sampling noise for both)."""
    n, cs = spec.eval.curve_samples, derive(seed, "curve")
    start = ev.ua(model, n, cs)[0]
    curve = {"step": [0], "ua_raw": [start], "ua_ema": [start]}
    final = {}
    marks = curve_steps(opt.steps, 4)

    def on_step(k, ema):
        if k in marks:
            curve["step"].append(k)
            curve["ua_raw"].append(ev.ua(model, n, cs)[0])
            with averaged(model, ema):
                curve["ua_ema"].append(ev.ua(model, n, cs)[0])
        if k == opt.steps:
            final["raw"] = ev.ua(model, spec.eval.forget_samples, derive(seed, "eval"))[0]

    ema = train_denoiser(model, *aux, spec.diffusion, opt, derive(seed, "dimra"), Meter(), on_step=on_step)
    final["ema"] = ev.ua(model, spec.eval.forget_samples, derive(seed, "eval"))[0]
    decay = ema.get_decay(ema.optimization_step) if ema is not None else 0.0
    return {"dimra_curve": curve, "ua_after_dimra_raw": final["raw"], "ua_after_dimra_ema": final["ema"],
            "dimra_ema_final_decay": decay, "dimra_ema_steps": ema.optimization_step if ema is not None else 0}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="config/default.yaml")
    ap.add_argument("--art", default="artifacts/relearning/fashion_mnist")
    ap.add_argument("--seed", type=int, default=100)
    ap.add_argument("--only", required=True, help="comma-separated GRID names")
    ap.add_argument("--points", default=None, help="comma-separated grid indices (default: all)")
    ap.add_argument("--per-class", type=int, default=28)
    ap.add_argument("--dimra", default="", help="names whose grid points are also attacked")
    ap.add_argument("--lr", type=float, default=None, help="override the unlearning lr of the chosen points")
    ap.add_argument("--unlearn-ema", type=float, default=None, help="override the unlearning EMA decay (0: raw weights)")
    ap.add_argument("--attack-ema", type=float, default=0.995,
                    help="the attack's EMA decay, scored beside its raw weights (0.995: the third pass's)")
    ap.add_argument("--attack-lrs", default=None,
                    help="comma-separated DiMRA lrs, each attacking a copy of the same unlearned model (default: the config's)")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    rel = yaml.safe_load(open(a.config))["relearning"]
    keys = ("dataset", "resolution", "forget_class", "diffusion", "unet", "eval", "subset", "classifier_model")
    spec = typed(JobSpec, {**{k: rel[k] for k in keys if k in rel}, "seed": rel.get("original_seed", 0)}, "relearning")
    spec = replace(spec, eval=replace(spec.eval, per_class_samples=a.per_class))
    base = next(m for m in rel["methods"] if m["name"] == "ga")["opt"]
    dimra_opt = replace(typed(OptimSpec, rel["dimra"]["opt"], "dimra.opt"), ema_decay=a.attack_ema)
    attack_lrs = [float(x) for x in a.attack_lrs.split(",")] if a.attack_lrs else [dimra_opt.lr]
    data = images(spec)
    original = load_model(build_unet(spec, data.num_classes), f"{a.art}/original/model.pt", "cpu")
    replay = load_torch(f"{a.art}/replay.pt")
    ev = Evaluator.create(spec, data, f"{a.art}/classifier.pt", "cpu")
    retain, forget = split_forget(data.train, spec.forget_class)
    retain_test = split_forget(data.test, spec.forget_class)[0]
    acc = replay["accurate"]
    rd = lambda p: (to_model_range(p[0]), p[1])  # noqa: E731
    if "original" in a.only.split(","):  # the reference row: the original model and the real floor, scored alike
        m, _ = ev.score(original, derive(a.seed, "eval"))
        x_real = retain_test[0][spec.eval.reference_images:][: m["n_kid_samples"]]
        row = {"name": "original", "ua": m["ua"], "retained_accuracy": m["retained_accuracy"], "kid": m["kid"],
               "kid_std": m["kid_std"], "n_kid": m["n_kid_samples"], "floor": ev.kid(x_real, derive(a.seed, "kid-floor"))}
        print(json.dumps(row), flush=True)
        with open(a.out, "a") as f:
            f.write(json.dumps(row) + "\n")
    for name in [n for n in a.only.split(",") if n != "original"]:
        method, points = GRID[name]
        idx = [int(i) for i in a.points.split(",")] if a.points else range(len(points))
        for i in idx:
            lr, hp = points[i]
            seed_everything(a.seed)
            torch.manual_seed(derive(a.seed, "model"))  # the retrained model's initialisation, as the job does
            task = UnlearnTask(copy.deepcopy(original).requires_grad_(True), original, rd(retain), rd(forget),
                               spec.forget_class, data.num_classes, spec.diffusion,
                               replay=(to_model_range(replay["x"][acc]), replay["y"][acc]),
                               probe_ua=lambda m: ev.ua(m, spec.eval.curve_samples, derive(a.seed, "probe"))[0],
                               fresh_model=lambda: build_unet(spec, data.num_classes))
            lr = a.lr if a.lr is not None else lr
            ema_decay = a.unlearn_ema if a.unlearn_ema is not None else base["ema_decay"]
            opt = typed(OptimSpec, {**base, **OPT.get(name, {}), "lr": lr, "ema_decay": ema_decay}, "opt")
            t0 = time.perf_counter()
            DIFFUSION_UNLEARNING.get(method, "m")(task, opt, a.seed, Meter(), **hp)
            t1 = time.perf_counter()
            m, _ = ev.score(task.model, derive(a.seed, "eval"))
            row = {"name": name, "lr": lr, "unlearn_ema": ema_decay, "hp": hp, "ua": m["ua"],
                   "retained_accuracy": m["retained_accuracy"],
                   "kid": m["kid"], "kid_std": m["kid_std"], "n_kid": m["n_kid_samples"], **task.info,
                   "unlearn_s": round(t1 - t0, 1), "score_s": round(time.perf_counter() - t1, 1)}
            if name in a.dimra.split(","):
                attacks = {lr: attack(copy.deepcopy(task.model), rd(retain), spec, ev, replace(dimra_opt, lr=lr), a.seed)
                           for lr in attack_lrs}
                row["attacks"] = {str(lr): r for lr, r in attacks.items()}  # keyed by DiMRA lr, one key or several
            print(json.dumps(row), flush=True)
            with open(a.out, "a") as f:
                f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
