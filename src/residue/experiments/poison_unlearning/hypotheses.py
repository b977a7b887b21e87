"""P1's two explanations of why unlearning fails, checked on a convex model (logistic regression).

H1: removing the poisons moves the optimum much further than removing as many random clean
    points: ‖θ(D) − θ(D \\ poisons)‖ vs ‖θ(D) − θ(D \\ random)‖, as the poisoned fraction grows.
H2: the needed shift θ_retrain − θ is nearly orthogonal to what gradient descent on the retain
    set does from θ: cos(−∇L(θ; D_r), θ_retrain − θ) ≈ 0.
The model is multinomial logistic regression with an L2 penalty (strongly convex, so every
θ(·) is a unique optimum), fitted to convergence by full-batch L-BFGS (not the shared SGD loop:
H1/H2 are statements about exact optima).  Poisons are Gaussian (``residue.attacks.gaussian``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ...attacks.gaussian import gaussian
from ...config import typed
from ...models import build
from ...registries import JOBS
from ...seeding import derive, generator
from ...training.lbfgs import minimise, objective
from ...training.loop import cross_entropy
from .scenarios import image_data
from .spec import Setting


@dataclass(frozen=True)
class HypothesesSpec:
    dataset: str = "fashion_mnist"
    subset: int | None = 2000
    fractions: list[float] = (0.01, 0.02, 0.04, 0.08)
    sigma: float = 0.1
    l2: float = 1e-3
    max_iter: int = 300  # L-BFGS evaluations at most (residue.training.lbfgs)
    seed: int = 0
    datasets: list[str] = ()
    device: str = "auto"


def optimum(x, y, in_shape, classes, spec, meter):
    torch.manual_seed(0)  # the optimum is unique; a fixed start only saves iterations' noise
    model = build("logreg", in_shape, classes)
    minimise(model, x, y, spec.l2, spec.max_iter, meter, cross_entropy)
    return model


def flat(model):
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()])


@JOBS.register("poison_unlearning.hypotheses")
def hypotheses(ctx) -> dict:
    spec = typed(HypothesesSpec, ctx.spec, "poison_unlearning.hypotheses")
    setting = Setting(spec.dataset, "gaussian", "logreg", None, subset=spec.subset)
    b = image_data(setting, spec.seed)
    x, y = b["x"], b["y"]
    rows = []
    for f in spec.fractions:
        xp, idx, _ = gaussian(x, f, spec.sigma, derive(spec.seed, f"h-{f}"))
        keep = torch.ones(len(y), dtype=torch.bool)
        keep[idx] = False
        clean = torch.nonzero(keep).flatten()
        rand = clean[torch.randperm(len(clean), generator=generator(spec.seed, f"h-random-{f}"))[: len(idx)]]
        keep_rand = torch.ones(len(y), dtype=torch.bool)
        keep_rand[rand] = False
        fit_on = lambda m: optimum(xp[m], y[m], b["in_shape"], b["num_classes"], spec, ctx.meter)  # noqa: E731
        full, retrain, random_removed = fit_on(torch.ones(len(y), dtype=torch.bool)), fit_on(keep), fit_on(keep_rand)
        theta = flat(full)
        g = torch.autograd.grad(objective(full, xp[keep], y[keep], spec.l2, cross_entropy), list(full.parameters()))
        gd_dir = -torch.cat([t.reshape(-1) for t in g])
        needed = flat(retrain) - theta
        rows.append({"fraction": f, "n_removed": len(idx),
                     "shift_poisons": needed.norm().item(),
                     "shift_random": (flat(random_removed) - theta).norm().item(),
                     "cos_gd_needed": F.cosine_similarity(gd_dir, needed, dim=0).item()})
    return {"rows": rows}
