"""P1 pilot (experiments/poison_unlearning/README.md, "Gradient Canceling: which targets are in
reach"): on tuning seeds that are never reported, how much a Gradient Canceling target θ_p costs,
whether GC's poisons reach it, and what the victim then costs, for two families of θ_p:

* ``--gradpc`` radii: the official code's θ_p (GradPC): normalised gradient ascent on the clean loss
  from the clean optimum, projected to the ℓ2 ball of radius r·‖θ_clean‖; the poisons start from
  other clean images with their own labels, as in the official code;
* ``--scales``: the profile's label-flip θ_p (``attacks/gradient_canceling.py``) with its witness
  inputs × scale, reachable by construction; the poisons start from other clean images × scale.

Each line: θ_p's test accuracy, the gradient to cancel (whole and bias part) against the most the
poisons can give to the bias (n_p·√2, box or no box), GC's loss at start and end, and the victim
(L-BFGS to the optimum of D_c ∪ D_p, the pipeline's solver; started here from θ_clean, in the
pipeline from the seeded initialisation: the objective is strictly convex with weight decay, so
both reach the same optimum): its test accuracy, its cost (clean − victim) and its distance to θ_p.  Unclipped (the official threat model), the setting of ``--setting``.

    PYTHONPATH=src python scripts/gc_reachability_pilot.py --seed 100 --gradpc 0.02,0.05,0.1 --scales 30 --lr 1,10
"""

from __future__ import annotations

import argparse
import copy
import json
import time

import torch
import torch.nn.functional as F
import yaml

from residue.attacks.gradient_canceling import (GCSpec, bias_part, draw, fit_optimum, flat_params, gradient_canceling,
                                                label_flip_target, max_poison_bias_grad_norm, stationarity_grad)
from residue.compute import Meter
from residue.config import typed
from residue.experiments.poison_unlearning.scenarios import clean_model, image_data
from residue.experiments.poison_unlearning.spec import Setting
from residue.training import accuracy


def gradpc(clean, x, y, radius: float, steps: int = 200, lr: float = 0.05):
    """θ_p by projected, normalised gradient ascent on the mean clean loss (GradPC)."""
    target, centre = copy.deepcopy(clean), flat_params(clean)
    r = radius * centre.norm()
    for _ in range(steps):
        grads = torch.autograd.grad(F.cross_entropy(target(x), y), list(target.parameters()))
        norm = torch.cat([g.reshape(-1) for g in grads]).norm()
        with torch.no_grad():
            for p, g in zip(target.parameters(), grads):
                p.add_(g / (norm + 1e-12), alpha=lr * r.item())
            shift = flat_params(target) - centre
            if shift.norm() > r:
                torch.nn.utils.vector_to_parameters(centre + shift * (r / shift.norm()), target.parameters())
    return target


def floats(text: str) -> list[float]:
    return [float(v) for v in text.split(",") if v]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", default="config/default.yaml")
    ap.add_argument("--setting", default="gradient_canceling_unclipped", help="a P1 setting's name (its data, victim, weight decay)")
    ap.add_argument("--seed", type=int, default=100, help="a tuning seed (never reported)")
    ap.add_argument("--gradpc", type=floats, default=[], help="GradPC radii, relative to ‖θ_clean‖")
    ap.add_argument("--scales", type=floats, default=[], help="label-flip witness scales")
    ap.add_argument("--lr", type=floats, default=[1.0], help="GC learning rates")
    ap.add_argument("--steps", type=int, default=1000, help="GC steps")
    args = ap.parse_args()
    torch.set_num_threads(1)
    section = yaml.safe_load(open(args.config))["poison_unlearning"]
    setting = typed(Setting, next(s for s in section["settings"] if s.get("name") == args.setting), "setting")
    wd = setting.train.weight_decay
    b = image_data(setting, args.seed)
    clean = clean_model(setting, b, args.seed, Meter(), "cpu")
    x, y = b["x"], b["y"]
    clean_acc = accuracy(clean, b["x_test"], b["y_test"])
    base = GCSpec(**setting.attack_args)
    witness, start = draw(clean, x, y, base, args.seed)
    targets = [(f"gradpc r={r}", gradpc(clean, x, y, r), y[start], x[start]) for r in args.gradpc]
    for s in args.scales:
        target, _, y_flip = label_flip_target(clean, x, y, witness, GCSpec(fraction=base.fraction, clip=False, scale=s), wd, Meter())
        targets.append((f"label-flip scale={s:g}", target, y_flip, x[start] * s))
    for name, target, y_poison, x_init in targets:
        grad = stationarity_grad(target, x, y, wd, len(y) + len(y_poison))
        for lr in args.lr:
            t0 = time.time()
            spec = GCSpec(fraction=base.fraction, steps=args.steps, lr=lr, clip=False, scale=base.scale)
            xp, curve = gradient_canceling(target, x, y, x_init, y_poison, spec, wd, Meter())
            torch.manual_seed(0)
            victim = fit_optimum(clean, torch.cat([x, xp]), torch.cat([y, y_poison]), wd, setting.train.epochs, Meter())
            victim_acc = accuracy(victim, b["x_test"], b["y_test"])
            print(json.dumps({
                "seed": args.seed, "target": name, "lr": lr, "steps": args.steps, "clean_accuracy": round(clean_acc, 4),
                "target_accuracy": round(accuracy(target, b["x_test"], b["y_test"]), 4),
                "grad_to_cancel": round(grad.norm().item(), 1), "bias_grad_to_cancel": round(bias_part(target, grad).norm().item(), 1),
                "max_poison_bias_grad": round(max_poison_bias_grad_norm(target, len(y_poison)), 1),
                "gc_loss_start_end": [round(curve[0], 1), round(curve[-1], 1)], "victim_accuracy": round(victim_acc, 4),
                "cost": round(clean_acc - victim_acc, 4),
                "victim_target_distance": round((flat_params(victim) - flat_params(target)).norm().item(), 2),
                "poison_range": [round(xp.min().item(), 1), round(xp.max().item(), 1)], "seconds": round(time.time() - t0, 1)}), flush=True)


if __name__ == "__main__":
    main()
