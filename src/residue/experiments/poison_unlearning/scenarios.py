"""The four poisoning scenarios of P1: how each builds D = D_clean ∪ D_poison and measures its effect.

A scenario's ``craft(setting, seed, meter, device)`` returns a *bundle*: a flat dict of tensors and
numbers, saved with the poisoned model, holding the training set as trained on (``x``, ``y``),
the forget indices ``forget`` (the poisons; the defender knows every one), the test set and
whatever the effect needs.  ``effect(model, bundle, meter, split)`` returns ``{"effect": ..., ...}``,
where ``effect`` is the one number every figure and claim uses (larger = more attack left).

Every bundle also holds a seeded validation split (``x_val``, ``y_val``), carved from the clean
training pool before poisoning (``setting.val_fraction``): hyper-parameters are tuned on it
(``split="val"``), never on the reported test set.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from ...attacks.backdoor import backdoor, insert_trigger
from ...attacks.gaussian import gaussian
from ...attacks.gradient_canceling import draw, flat_params, gradient_canceling, label_flip_target, reachability, stationarity_grad
from ...attacks.gradient_matching import brew
from ...attacks.targets import margins, pick_targets
from ...config import typed
from ...data import load
from ...data.text import load_descr
from ...metrics.attack_effects import accuracy_gap, success_rate
from ...metrics.gus import gus_scores, summary
from ...models import build
from ...registries import ATTACKS
from ...seeding import derive, generator
from ...training import accuracy, fit, predict
from .spec import Setting


def hold_out(x, y, fraction: float, seed: int):
    """Split a seeded ``fraction`` off the clean training pool: ``(x, y), (x_val, y_val)``."""
    perm = torch.randperm(len(y), generator=generator(seed, "validation"))
    n = int(round(fraction * len(y)))
    val, keep = torch.sort(perm[:n]).values, torch.sort(perm[n:]).values
    return (x[keep], y[keep]), (x[val], y[val])


def attack_args(setting: Setting):
    """The setting's ``attack_args`` as its attack's registered dataclass, defaults filled in (the
    config loader has checked the keys; this checks the types)."""
    return typed(ATTACKS.get(setting.attack), setting.attack_args, "poison_unlearning.settings.attack_args")


def image_data(setting: Setting, seed: int) -> dict:
    data = load(setting.dataset)
    train = data.train
    if setting.subset:
        rng = np.random.default_rng(derive(seed, "data"))
        train = train.subset(np.sort(rng.permutation(len(train))[: setting.subset]))
    (x, y), (x_val, y_val) = hold_out(*train.tensors(), setting.val_fraction, seed)
    x_te, y_te = data.test.tensors()
    return {"x": x, "y": y, "x_val": x_val, "y_val": y_val, "x_test": x_te, "y_test": y_te,
            "in_shape": list(data.shape), "num_classes": data.num_classes}


def clean_model(setting: Setting, b: dict, seed: int, meter, device):
    """A model trained on the clean training set (GC flips labels against it; gradient matching brews
    on it), with the ``pretrain`` recipe where the setting has one (fine-tuning threat model)."""
    torch.manual_seed(derive(seed, "clean-model"))
    model = build(setting.model, b["in_shape"], b["num_classes"], **setting.model_args).to(device)
    fit(model, b["x"], b["y"], setting.pretrain or setting.train, derive(seed, "clean"), meter, desc="clean model")
    return model


class Gaussian:
    """x_i ← x_i + ξ_i on a random fraction; effect = −z of GUS (z = √p·Î, N(0,1) when unlearned).
    The calibrated MIA's non-members are test images with fresh noise of the same σ: the poisons'
    distribution, never trained on."""

    MIA_NONMEMBERS = 1000

    def craft(self, setting, seed, meter, device):
        b, args = image_data(setting, seed), attack_args(setting)
        b["x_clean"] = b["x"]
        b["x"], b["forget"], b["noise"] = gaussian(b["x"], args.fraction, args.sigma, seed, args.clip)
        b["sigma"] = args.sigma
        x_out = b["x_test"][: self.MIA_NONMEMBERS]
        b["x_nonmember"] = x_out + args.sigma * torch.randn(x_out.shape, generator=generator(seed, "mia-nonmember-noise"))
        b["y_nonmember"] = b["y_test"][: self.MIA_NONMEMBERS]
        return b

    def effect(self, model, b, meter, split="test"):
        """GUS is measured on the poisons themselves (the forget set), the same on either split."""
        idx = b["forget"]
        s = summary(gus_scores(model, b["x_clean"][idx], b["y"][idx], b["noise"], b["sigma"], meter))
        return {"effect": -s["z"], "gus_mean": s["mean"], "gus_z": s["z"], "gus_tpr_at_1pct": s["tpr_at_1pct"]}

    def scores(self, model, b, meter, noise=None):
        idx = b["forget"]
        return gus_scores(model, b["x_clean"][idx], b["y"][idx], b["noise"] if noise is None else noise, b["sigma"], meter)


class GradientCanceling:
    """Indiscriminate (Lu et al. 2023), on a convex victim trained to its optimum; effect = clean test
    accuracy − test accuracy.  θ_p is a label-flip optimum, reachable by construction; the bundle
    records the reachability numbers and, under ``control``, the clean model and a random forget
    set of the poisons' size (the unlearning method's own damage, measured by the unlearn job)."""

    def craft(self, setting, seed, meter, device):
        b, spec = image_data(setting, seed), attack_args(setting)
        wd = setting.train.weight_decay  # the victim's regulariser, part of the cancelled objective
        model = clean_model(setting, b, seed, meter, device)
        x, y = b["x"].to(device), b["y"].to(device)
        b["clean_accuracy"] = accuracy(model, b["x_test"], b["y_test"])
        b["clean_val_accuracy"] = accuracy(model, b["x_val"], b["y_val"])
        witness, start = draw(model, x, y, spec, seed)
        target, _, yp = label_flip_target(model, x, y, witness, spec, wd, meter)
        b["target_accuracy"] = accuracy(target, b["x_test"], b["y_test"])
        b.update(reachability(target, x, y, len(yp), wd, spec.clip))
        xp, curve = gradient_canceling(target, x, y, x[start] * spec.scale, yp, spec, wd, meter)
        b["gc_initial_grad_norm"], b["gc_final_grad_norm"] = curve[0], curve[-1]
        b["gc_weight_decay"], b["target_params"] = wd, flat_params(target).cpu()
        forget = torch.randperm(len(y), generator=generator(seed, "control-forget"))[: len(yp)]
        b["control"] = {"state": {k: v.cpu() for k, v in model.state_dict().items()}, "forget": torch.sort(forget).values,
                        "n_clean": len(y)}
        b["forget"] = torch.arange(len(y), len(y) + len(yp))
        b["x"], b["y"] = torch.cat([b["x"], xp.cpu()]), torch.cat([b["y"], yp.cpu()])
        return b

    def effect(self, model, b, meter, split="test"):
        """The accuracy gap (on the validation split while tuning) and, on the test split, how far
        ``model`` is from the optimum the poisons were made for: its stationarity gradient norm on
        D_c ∪ D_p and its distance to θ_p."""
        if split == "val":
            return {"effect": accuracy_gap(model, b["x_val"], b["y_val"], b["clean_val_accuracy"])}
        device = next(model.parameters()).device
        grad = stationarity_grad(model, b["x"].to(device), b["y"].to(device), b["gc_weight_decay"], len(b["y"]))
        return {"effect": accuracy_gap(model, b["x_test"], b["y_test"], b["clean_accuracy"]),
                "gc_victim_grad_norm": grad.norm().item(),
                "gc_victim_target_distance": (flat_params(model).cpu() - b["target_params"]).norm().item()}


class Backdoor:
    """Trigger phrase ("james bond", Wan et al.'s example trigger) → target class; effect = trigger success."""

    def craft(self, setting, seed, meter, device):
        args = attack_args(setting)
        text = load_descr(extra_words=args.trigger)
        (x, y), (x_val, y_val) = hold_out(*text.train, setting.val_fraction, seed)
        trigger, target = text.ids(list(args.trigger)), args.target
        xp, yp = backdoor(x, y, trigger, target, args.fraction, seed)
        x_te, y_te = text.test
        others = x_te[y_te != target]
        return {"x": torch.cat([x, xp]), "y": torch.cat([y, yp]), "forget": torch.arange(len(y), len(y) + len(yp)),
                "x_val": x_val, "y_val": y_val, "x_val_triggered": insert_trigger(x_val[y_val != target], trigger, generator(seed, "trigger-val")),
                "x_test": x_te, "y_test": y_te, "x_triggered": insert_trigger(others, trigger, generator(seed, "trigger-test")),
                "target": target, "in_shape": [x.shape[1]], "num_classes": len(text.classes),
                "model_args": {"vocab": len(text.vocab)}, "corpus_sha256": text.sha256}

    def effect(self, model, b, meter, split="test"):
        return {"effect": success_rate(model, b["x_val_triggered" if split == "val" else "x_triggered"], b["target"])}


class GradientMatching:
    """Witches' Brew (the forest recipe: an ensemble of clean models, differentiable shifts), one
    poison set per target test point, by default one target per training run; the poisons replace
    their base images in D.  Effect = the target's adversarial margin logit[y_adv] − max other
    (> 0 iff classified y_adv; mean over the targets of the run), a continuous measure that sees an
    attack short of a flip; ``success`` = the fraction of targets classified y_adv.

    **Fine-tuning threat model** (a setting with ``pretrain``, issue #14 item 4): the victim does not
    train from scratch but fine-tunes the clean model θ_cl the poisons were brewed against (saved
    as ``init_state``) on D with the poisons, with the setting's ``train`` recipe; the twin and the
    retrain reference fine-tune θ_cl too (on the unperturbed D, and on D_r).

    ``twin``: the poison job also trains the poisoned model's twin — the same initialisation and
    batch order on D with the *unperturbed* bases (``x_clean``) — so that poisoned − twin is the
    perturbation's effect free of retraining noise (common random numbers, issue #14)."""

    twin = True

    def craft(self, setting, seed, meter, device):
        b, spec = image_data(setting, seed), attack_args(setting)
        model = clean_model(setting, b, seed, meter, device)
        brewers = [model] + [clean_model(setting, b, derive(seed, f"ensemble-{j}"), meter, device) for j in range(1, spec.ensemble)]
        picked = pick_targets(predict(model, b["x_test"]), b["y_test"], spec.targets, derive(seed, "targets"), spec.max_margin,
                              spec.adversary)
        targets, y_adv = torch.tensor([t for t, _ in picked]), torch.tensor([a for _, a in picked])
        gen = generator(seed, "bases")
        used = torch.zeros(len(b["y"]), dtype=torch.bool)
        x, forget, losses = b["x"].clone(), [], []
        for i, (t, adv) in enumerate(picked):
            pool = torch.nonzero((b["y"] == adv) & ~used).flatten()
            base = pool[torch.randperm(len(pool), generator=gen)[:spec.poisons_per_target]]
            used[base] = True
            clock = time.process_time()
            x[base], info = brew(brewers, b["x_test"][t], adv, b["x"][base], b["y"][base], spec, derive(seed, f"brew-{i}"), meter)
            # machine-dependent, so the job's log only (neither metrics.json nor the saved bundle)
            print(f"brew CPU seconds, target {i}: {time.process_time() - clock:.1f}", flush=True)
            losses.append((info["base_loss"], info["loss"]))
            forget.append(base)
        b["x_clean"], b["x"], b["forget"] = b["x"], x, torch.sort(torch.cat(forget)).values
        b["x_targets"], b["y_adv"], b["y_targets"] = b["x_test"][targets], y_adv, b["y_test"][targets]
        b["brew_base_loss"], b["brew_loss"] = [l for l, _ in losses], [l for _, l in losses]
        if setting.pretrain is not None:
            b["init_state"] = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
        return b

    def effect(self, model, b, meter, split="test"):
        """The targets are the attack: there is no held-out analogue.  Tuning runs on the tuning seeds,
        whose targets (and poisons) are never reported, so their margins are not reported numbers."""
        logits = predict(model, b["x_targets"])
        return {"effect": margins(logits, b["y_adv"]).mean().item(), "success": success_rate(model, b["x_targets"], b["y_adv"])}


SCENARIOS = {"gaussian": Gaussian(), "gradient_canceling": GradientCanceling(), "backdoor": Backdoor(),
             "gradient_matching": GradientMatching()}
