"""The two learners of P2: a convex model solved exactly and the small CNN trained with SGD.

Both return a torch module giving logits, so brewing (gradient matching), margins and accuracy
use one code path.  ``fit(x, y, seed, meter)`` is "train from scratch on this set".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from ...compute import Meter
from ...models import build
from ...training import TrainSpec, fit


class UnitNorm(nn.Module):
    """x ↦ x / ‖x‖₂ on the flattened image (the convex notebooks' unit-norm inputs)."""

    def forward(self, x: Tensor) -> Tensor:
        x = x.flatten(1)
        return x / x.norm(dim=1, keepdim=True).clamp_min(1e-12)


@dataclass(frozen=True)
class ConvexSpec:
    C: float = 10.0  # inverse L2 strength: minimise ½‖w‖² + C Σ_i log(1 + exp(−ỹ_i (w·x̂_i + b)))
    tol: float = 1e-8
    max_iter: int = 5000


class ConvexLearner:
    """Binary logistic regression on unit-norm inputs, solved to optimality (L-BFGS, scikit-learn).

    The solution (w, b) becomes ``Linear(d, 2)`` with rows (−w/2, w/2) and biases (−b/2, b/2): its
    logit difference is the decision value f(x̂) = w·x̂ + b, its cross-entropy is the logistic loss,
    and its parameter gradient is (−g, g) with g the logistic gradient (σ(f) − y)·x̂, so the cosine
    of gradient matching is the one of the convex model.  Labels must be 0/1.
    """

    def __init__(self, spec: ConvexSpec, in_shape: tuple[int, ...], device):
        self.spec, self.in_shape, self.device = spec, in_shape, device

    def fit(self, x: Tensor, y: Tensor, seed: int, meter: Meter) -> nn.Module:
        from sklearn.linear_model import LogisticRegression

        feats = UnitNorm()(x.double()).numpy()
        clf = LogisticRegression(C=self.spec.C, tol=self.spec.tol, max_iter=self.spec.max_iter).fit(feats, y.numpy())
        meter.charge(int(clf.n_iter_[0]) * len(y))  # one full-batch gradient per L-BFGS iteration
        w = torch.tensor(clf.coef_[0], dtype=torch.float32)
        b = float(clf.intercept_[0])
        lin = nn.Linear(math.prod(self.in_shape), 2)
        with torch.no_grad():
            lin.weight.copy_(torch.stack([-w / 2, w / 2]))
            lin.bias.copy_(torch.tensor([-b / 2, b / 2]))
        return nn.Sequential(UnitNorm(), lin).to(self.device)


@dataclass(frozen=True)
class NeuralSpec:
    model: str = "cnn"
    train: TrainSpec = field(default_factory=TrainSpec)
    model_args: dict = field(default_factory=dict)


class NeuralLearner:
    """The shared training loop from scratch, the initialisation seeded by ``seed``."""

    def __init__(self, spec: NeuralSpec, in_shape: tuple[int, ...], num_classes: int, device):
        self.spec, self.in_shape, self.num_classes, self.device = spec, in_shape, num_classes, device

    def fit(self, x: Tensor, y: Tensor, seed: int, meter: Meter) -> nn.Module:
        torch.manual_seed(seed)
        model = build(self.spec.model, self.in_shape, self.num_classes, **self.spec.model_args).to(self.device)
        fit(model, x, y, self.spec.train, seed, meter, desc=f"camouflage/{self.spec.model}")
        return model

