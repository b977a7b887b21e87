"""One camouflaged-poisoning trial (PAPERS.md §P2, the official ``run_single.py`` order).

    θ_cl on D ─ brew S_po against θ_cl (and the other clean models of the ensemble; label y_adv,
                 bases of class y_adv)
    θ_po on D ∪ S_po ─ brew S_ca against θ_po (label y_t, bases of class y_t)
    θ_pc on D ∪ S_po ∪ S_ca ─ delete S_ca (all of it, or a fraction)
    θ_un on D ∪ S_po ∪ kept(S_ca)  (exact unlearning = retraining, from a seed of its own: with
    θ_po's seed full deletion would replay θ_po), and optionally approximate unlearning of S_ca
    from θ_pc with each configured method (beyond the paper).

**Paired controls (common random numbers).**  With ``controls`` every retrained model has a
twin trained with the *same* seed — initialisation and batch order — on the same sets with the
perturbed images replaced by their unperturbed bases (θ_po ↔ D ∪ B_po, θ_pc ↔ D ∪ S_po ∪ B_ca,
θ_un ↔ D ∪ B_po): the difference of the target's margins within a pair is the perturbation's
effect, free of the seed-to-seed noise of retraining.

Poison success: θ_po predicts y_adv on x_t; camouflage success: θ_pc predicts y_t; overall: both;
restored: the deletion brings y_adv back.  Each stage records the target's margin for y_t and
for y_adv (``adv_margin`` = logit[y_adv] − max other, > 0 iff predicted y_adv) and the clean
test accuracy.
"""

from __future__ import annotations

import time
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
    shift: int = 0  # differentiable random shifts, pixels (0 = none)
    flip: bool = False


@dataclass(frozen=True)
class AttackSpec:
    n_poison: int = 20
    camouflage_ratio: float = 1.0  # |S_ca| / |S_po|
    eps: float = 16 / 255  # for poisons and camouflages alike
    poison: BrewSteps = field(default_factory=BrewSteps)
    camouflage: BrewSteps = field(default_factory=BrewSteps)
    delete_fractions: list[float] = field(default_factory=lambda: [1.0])  # 1.0 = the paper's full deletion
    controls: bool = False  # paired twins on the unperturbed bases, same seed (is it the perturbation that acts?)

    @property
    def n_camouflage(self) -> int:
        return max(1, round(self.camouflage_ratio * self.n_poison))

    def brew_spec(self, which: str) -> BrewSpec:
        s: BrewSteps = getattr(self, which)
        return BrewSpec(eps=self.eps, steps=s.steps, restarts=s.restarts, lr=s.lr, shift=s.shift, flip=s.flip)


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
            "adv_margin": margins(logits, torch.tensor([self.target.adv])).item(),  # > 0 iff classified y_adv
            "test_accuracy": accuracy(model, *self.test),
            "trained_on": composition,
        }

    def train(self, stage: str, seed_stream: str | None = None) -> tuple[nn.Module, dict[str, int]]:
        """Train on the stage's set with the seed of ``seed_stream`` (default: the stage's own);
        a paired control passes its twin's stream."""
        x, y, composition = self.sets.compose(stage)
        return self.learner.fit(x, y, derive(self.seed, f"model/{seed_stream or stage}"), self.meter), composition

    def run(self, brewers: list[nn.Module], pool: Part, attack: AttackSpec, deleters: dict[str, Deleter]) -> dict:
        """``brewers``: the clean models the poisons are brewed against (θ_cl first, the one observed)."""
        t = self.target
        self.observe("clean", brewers[0], {"clean": len(self.sets.clean)})
        bases = pick_bases(pool, t.adv, attack.n_poison, derive(self.seed, "poison/bases"))
        clock = time.process_time()
        x_po, info_po = brew(brewers, t.x, t.adv, bases.x, bases.y, attack.brew_spec("poison"), derive(self.seed, "poison"), self.meter)
        info_po["seconds"] = time.process_time() - clock
        self.sets.poisons, self.sets.poison_bases = Part(x_po.cpu(), bases.y), bases
        poisoned, comp = self.train("poisoned")
        self.observe("poisoned", poisoned, comp)
        if attack.controls:
            self.observe("poison_bases", *self.train("poison_bases", "poisoned"))

        cbases = pick_bases(pool, t.label, attack.n_camouflage, derive(self.seed, "camouflage/bases"))
        clock = time.process_time()
        x_ca, info_ca = brew(poisoned, t.x, t.label, cbases.x, cbases.y, attack.brew_spec("camouflage"), derive(self.seed, "camouflage"), self.meter)
        info_ca["seconds"] = time.process_time() - clock
        self.sets.camouflages, self.sets.camouflage_bases = Part(x_ca.cpu(), cbases.y), cbases
        camouflaged, comp = self.train("camouflaged")
        self.observe("camouflaged", camouflaged, comp)
        if attack.controls:
            self.observe("camouflage_bases", *self.train("camouflage_bases", "camouflaged"))

        for fraction in attack.delete_fractions:
            self.sets.delete_camouflages(deletion_mask(len(self.sets.camouflages), fraction, derive(self.seed, "deletion")))
            model, comp = self.train("unlearned")
            self.observe(f"unlearned/exact/{fraction:g}", model, comp)
        if attack.controls:  # the twin of full deletion: D ∪ B_po with θ_un's seed
            self.observe("unlearned_bases", *self.train("poison_bases", "unlearned"))
        retain = self.sets.compose("poisoned")[:2]
        forget = (self.sets.camouflages.x, self.sets.camouflages.y)
        for name, delete in deleters.items():
            model = delete(camouflaged, retain, forget, derive(self.seed, f"unlearn/{name}"), self.meter)
            self.observe(f"unlearned/{name}/1", model, {"camouflaged model, forgetting": len(forget[1])})
        self.record["brew"] = {f"{name}_{k}": info[k] for name, info in (("poison", info_po), ("camouflage", info_ca))
                               for k in ("loss", "base_loss")}
        self.seconds = {"poison": info_po["seconds"], "camouflage": info_ca["seconds"]}  # CPU s; machine-dependent, not a metric
        self.examples = np.stack([bases.x[:4].numpy(), x_po[:4].cpu().numpy(), cbases.x[:4].numpy(), x_ca[:4].cpu().numpy()])
        return self.record


def outcomes(record: dict, exact_key: str = "unlearned/exact/1") -> dict[str, bool]:
    """Success flags of one trial record (PAPERS.md §P2 'Success'); ``control``: θ_po's twin on the
    *unperturbed* poison bases predicts y_adv too; ``restored_control``: so does θ_un's twin (both
    None when the trial ran no controls)."""
    s, y_t, y_adv = record["stages"], record["y_t"], record["y_adv"]
    poison = s["poisoned"]["prediction"] == y_adv
    camouflage = s["camouflaged"]["prediction"] == y_t
    return {"poison": poison, "camouflage": camouflage, "overall": poison and camouflage,
            "restored": s[exact_key]["prediction"] == y_adv if exact_key in s else False,
            "control": s["poison_bases"]["prediction"] == y_adv if "poison_bases" in s else None,
            "restored_control": s["unlearned_bases"]["prediction"] == y_adv if "unlearned_bases" in s else None}


def paired(record: dict, stage: str, twin: str, field: str) -> float | None:
    """``field`` of ``stage`` minus that of its same-seed twin on the unperturbed bases (None without one)."""
    s = record["stages"]
    return s[stage][field] - s[twin][field] if stage in s and twin in s else None
