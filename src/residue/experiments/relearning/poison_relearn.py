"""Beyond the paper: DiMRA's idea applied to P1's classifier unlearning (job ``relearning.poison_relearn``).

For one P1 setting (default: Gaussian poisoning of an MLP on Fashion-MNIST) and one P1 unlearning
method, every seed: load P1's poisoned model, unlearn the poisons exactly as P1 does
(:func:`residue.experiments.poison_unlearning.jobs.run_unlearning`, the method's P1 hyper-parameters
and P1's tuned value), then fine-tune the unlearned model on the clean retain set D_r only — the
relearning attack, which never sees a poison — and measure P1's scenario ``effect`` (larger = more
of the poison's effect left) after 0, k_1, k_2, … fine-tuning steps.  If the effect climbs back,
unlearning only hid it, as DiMRA shows for diffusion models.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from ...compute import Meter
from ...config import typed
from ...io import load_torch, read_json
from ...registries import JOBS
from ...seeding import derive
from ...training import accuracy, fit
from ...unlearning.base import steps_spec
from ..poison_unlearning.jobs import fresh_model, method_hp, run_unlearning, split
from ..poison_unlearning.scenarios import SCENARIOS
from ..poison_unlearning.spec import JobSpec as P1Spec


@dataclass(frozen=True)
class FinetuneSpec:
    """The relearning fine-tune: constant-lr SGD on D_r; the effect is measured after each of ``steps``."""

    steps: list[int] = field(default_factory=lambda: [16, 64, 256])  # measure the effect after each
    batch_size: int = 64
    lr: float = 0.05
    momentum: float = 0.9


@dataclass(frozen=True)
class PoisonRelearnSpec:
    p1: P1Spec  # P1's unlearning job spec: setting, method, method_spec, budget_pct, seeds
    finetune: FinetuneSpec = FinetuneSpec()
    device: str = "auto"


def relearn_curve(model, b: dict, scenario, ft: FinetuneSpec, seed: int, meter: Meter) -> dict:
    """Fine-tune ``model`` in place on D_r and record the effect and test accuracy at step 0 and each checkpoint."""
    retain, _ = split(b)
    curve = {"step": [], "effect": [], "test_accuracy": []}

    def record(step):
        curve["step"].append(step)
        curve["effect"].append(scenario.effect(model, b, Meter())["effect"])
        curve["test_accuracy"].append(accuracy(model, b["x_test"], b["y_test"]))

    record(0)
    done = 0
    for k in sorted(ft.steps):  # one fit per segment; each segment's meter stops it after k − done steps
        chunk = Meter(budget=(k - done) * ft.batch_size)
        fit(model, *retain, steps_spec(len(retain[1]), chunk.budget, ft.lr, ft.batch_size, ft.momentum),
            derive(seed, f"relearn-{k}"), chunk, desc="relearn")
        meter.charge(chunk.grad_evals)
        done = k
        record(k)
    return curve


@JOBS.register("relearning.poison_relearn")
def poison_relearn(ctx) -> dict:
    spec = typed(PoisonRelearnSpec, ctx.spec, "relearning.poison_relearn")
    p1 = spec.p1
    chosen = read_json(ctx.inputs["tuning"][0])["metrics"]["chosen"] if "tuning" in ctx.inputs else {}
    scenario = SCENARIOS[p1.setting.attack]
    per_seed = {}
    for seed, path in zip(p1.seeds, ctx.inputs["model"]):
        saved, seed_spec = load_torch(path), dataclasses.replace(p1, seed=seed)
        b = saved["bundle"]
        poisoned = fresh_model(seed_spec, b, "model", ctx.device)
        poisoned.load_state_dict(saved["state"])
        poisoned_effect = scenario.effect(poisoned, b, Meter())["effect"]
        model = run_unlearning(seed_spec, b, saved["state"], method_hp(p1, chosen), ctx.device, ctx.meter)
        per_seed[str(seed)] = {"poisoned_effect": poisoned_effect,
                               **relearn_curve(model, b, scenario, spec.finetune, derive(seed, "relearn"), ctx.meter)}
    return {"per_seed": per_seed, "hp": method_hp(p1, chosen)}

