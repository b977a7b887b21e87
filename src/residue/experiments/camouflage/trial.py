"""One camouflaged-poisoning trial (PAPERS.md §P2, the official ``run_single.py`` order).

    θ_cl on D ─ brew S_po against θ_cl (label y_adv, bases of class y_adv)
    θ_po on D ∪ S_po ─ brew S_ca against θ_po (label y_t, bases of class y_t)
    θ_pc on D ∪ S_po ∪ S_ca ─ delete S_ca (all of it, or a fraction)
    θ_un on D ∪ S_po ∪ kept(S_ca)  (exact unlearning = retraining), and optionally approximate
    unlearning of S_ca from θ_pc with each configured method (beyond the paper).

Poison success: θ_po predicts y_adv on x_t; camouflage success: θ_pc predicts y_t; overall: both;
restored: the deletion brings y_adv back.  Clean test accuracy is recorded at every stage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
from torch import Tensor, nn

from ...attacks.gradient_matching import BrewSpec, brew
from ...attacks.targets import margins
from ...compute import Meter
from ...seeding import derive
from ...training import accuracy, predict
from .stages import Part, TrainingSets


@dataclass(frozen=True)
class BrewSteps:
    steps: int = 250
    restarts: int = 8
    lr: float = 0.1
    augment: bool = True


@dataclass(frozen=True)
class AttackSpec:
    n_poison: int = 20
    camouflage_ratio: float = 1.0  # |S_ca| / |S_po|
    eps: float = 16 / 255  # for poisons and camouflages alike
    poison: BrewSteps = field(default_factory=BrewSteps)
    camouflage: BrewSteps = field(default_factory=BrewSteps)
    delete_fractions: list[float] = field(default_factory=lambda: [1.0])  # 1.0 = the paper's full deletion
    controls: bool = False  # also train on the unperturbed bases (is it the perturbation that acts?)

    @property
    def n_camouflage(self) -> int:
        return max(1, round(self.camouflage_ratio * self.n_poison))

    def brew_spec(self, which: str) -> BrewSpec:
        s: BrewSteps = getattr(self, which)
        return BrewSpec(eps=self.eps, steps=s.steps, restarts=s.restarts, lr=s.lr, augment=s.augment)


# (θ_pc, retain (x, y), forget (x, y), seed, meter) → unlearned model
Deleter = Callable[[nn.Module, tuple[Tensor, Tensor], tuple[Tensor, Tensor], int, Meter], nn.Module]


@dataclass(frozen=True)
class Target:
    index: int  # into the test set
    x: Tensor  # (C, H, W)
    label: int  # true label y_t
    adv: int  # adversarial label y_adv


def pick_bases(pool: Part, label: int, n: int, seed: int) -> Part:
    """``n`` images of class ``label`` from the base pool (training images outside D), seeded."""
    idx = torch.nonzero(pool.y == label).squeeze(1)
    if len(idx) < n:
        raise ValueError(f"base pool has {len(idx)} images of class {label}, {n} needed")
    chosen = idx[torch.randperm(len(idx), generator=torch.Generator().manual_seed(seed))[:n]]
    return Part(pool.x[chosen], pool.y[chosen])


def deletion_mask(n: int, fraction: float, seed: int) -> Tensor:
    """Keep mask after deleting ``round(fraction·n)`` of ``n`` camouflages chosen at random."""
    keep = torch.ones(n, dtype=torch.bool)
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    keep[order[: round(fraction * n)]] = False
    return keep


class Trial:
    """Runs the stages of one target and collects a JSON-able record of each."""

    def __init__(self, learner, sets: TrainingSets, test: tuple[Tensor, Tensor], target: Target, seed: int, meter: Meter):
        self.learner, self.sets, self.test, self.target, self.seed, self.meter = learner, sets, test, target, seed, meter
        self.record: dict = {"target": target.index, "y_t": target.label, "y_adv": target.adv, "stages": {}}

    def observe(self, name: str, model: nn.Module, composition: dict[str, int]) -> None:
        logits = predict(model, self.target.x[None])
        self.record["stages"][name] = {
            "prediction": int(logits.argmax(1).item()),
            "target_margin": margins(logits, torch.tensor([self.target.label])).item(),  # > 0 iff classified y_t
            "test_accuracy": accuracy(model, *self.test),
            "trained_on": composition,
        }

    def train(self, stage: str) -> tuple[nn.Module, dict[str, int]]:
        x, y, composition = self.sets.compose(stage)
        return self.learner.fit(x, y, derive(self.seed, f"model/{stage}"), self.meter), composition

    def run(self, clean_model: nn.Module, pool: Part, attack: AttackSpec, deleters: dict[str, Deleter]) -> dict:
        t = self.target
        self.observe("clean", clean_model, {"clean": len(self.sets.clean)})
        bases = pick_bases(pool, t.adv, attack.n_poison, derive(self.seed, "poison/bases"))
        x_po, info_po = brew(clean_model, t.x, t.adv, bases.x, bases.y, attack.brew_spec("poison"), derive(self.seed, "poison"), self.meter)
        self.sets.poisons, self.sets.poison_bases = Part(x_po.cpu(), bases.y), bases
        poisoned, comp = self.train("poisoned")
        self.observe("poisoned", poisoned, comp)
        if attack.controls:
            self.observe("poison_bases", *self.train("poison_bases"))

        cbases = pick_bases(pool, t.label, attack.n_camouflage, derive(self.seed, "camouflage/bases"))
        x_ca, info_ca = brew(poisoned, t.x, t.label, cbases.x, cbases.y, attack.brew_spec("camouflage"), derive(self.seed, "camouflage"), self.meter)
        self.sets.camouflages, self.sets.camouflage_bases = Part(x_ca.cpu(), cbases.y), cbases
        camouflaged, comp = self.train("camouflaged")
        self.observe("camouflaged", camouflaged, comp)
        if attack.controls:
            self.observe("camouflage_bases", *self.train("camouflage_bases"))

        for fraction in attack.delete_fractions:
            self.sets.delete_camouflages(deletion_mask(len(self.sets.camouflages), fraction, derive(self.seed, "deletion")))
            model, comp = self.train("unlearned")
            self.observe(f"unlearned/exact/{fraction:g}", model, comp)
        retain = self.sets.compose("poisoned")[:2]
        forget = (self.sets.camouflages.x, self.sets.camouflages.y)
        for name, delete in deleters.items():
            model = delete(camouflaged, retain, forget, derive(self.seed, f"unlearn/{name}"), self.meter)
            self.observe(f"unlearned/{name}/1", model, {"camouflaged model, forgetting": len(forget[1])})
        self.record["brew"] = {
            "poison_loss": info_po["loss"], "poison_loss_start": info_po["loss_curve"][0] if info_po["loss_curve"] else None,
            "camouflage_loss": info_ca["loss"], "camouflage_loss_start": info_ca["loss_curve"][0] if info_ca["loss_curve"] else None,
        }
        self.examples = np.stack([bases.x[:4].numpy(), x_po[:4].cpu().numpy(), cbases.x[:4].numpy(), x_ca[:4].cpu().numpy()])
        return self.record


def outcomes(record: dict, exact_key: str = "unlearned/exact/1") -> dict[str, bool]:
    """Success flags of one trial record (PAPERS.md §P2 'Success'); ``control``: the model trained on
    the *unperturbed* poison bases predicts y_adv too (None when the trial ran no controls)."""
    s, y_t, y_adv = record["stages"], record["y_t"], record["y_adv"]
    poison = s["poisoned"]["prediction"] == y_adv
    camouflage = s["camouflaged"]["prediction"] == y_t
    return {"poison": poison, "camouflage": camouflage, "overall": poison and camouflage,
            "restored": s[exact_key]["prediction"] == y_adv if exact_key in s else False,
            "control": s["poison_bases"]["prediction"] == y_adv if "poison_bases" in s else None}
