"""The public entry point of every classifier unlearning method (P1, used by P2 and P4).

``unlearn(method, model, retain, forget, budget, seed, meter, retrain=..., **hp)`` returns a NEW
model; the input model is never modified.  ``budget`` is the number of per-example gradient
evaluations the method may spend (P1 sweeps it at 2–10% of ``TrainSpec.grad_evals(n)``, the cost
of retraining).  A method is a function registered in ``UNLEARNING`` with the signature
``fn(model, retain, forget, seed, meter, **hp) -> None`` that edits its own copy in place and
spends gradient evaluations only through ``meter`` (whose budget binds inside ``fit``).
"""

from __future__ import annotations

import copy
import inspect
from typing import Callable

import torch
from torch import Tensor, nn

from ..compute import Meter
from ..errors import ConfigError
from ..registries import UNLEARNING
from ..training import TrainSpec

Data = tuple[Tensor, Tensor]


def unlearn(method: str, model: nn.Module, retain: Data, forget: Data, budget: int, seed: int, meter: Meter,
            *, retrain: Callable[[], nn.Module] | None = None, **hp) -> nn.Module:
    """Unlearn ``forget`` from a copy of ``model`` within ``budget`` gradient evaluations.

    ``retrain`` (a zero-argument callable training a fresh model on ``retain``) is used only by
    the reference method ``retrain``; its cost is charged by the callable itself.  At budget 0
    every approximate method returns an unchanged copy.  The evaluations spent are charged to
    ``meter`` as well.
    """
    fn = UNLEARNING.get(method, "unlearning method")
    if method == "retrain":
        if retrain is None:
            raise ConfigError("unlearning method 'retrain' needs a retrain callable")
        return retrain()
    params = inspect.signature(fn).parameters
    unknown = sorted(set(hp) - set(params))
    if unknown:
        allowed = [p for p in params if p not in ("model", "retain", "forget", "seed", "meter")]
        raise ConfigError(f"unknown hyper-parameter {unknown[0]!r} for {method}; allowed: {', '.join(allowed)}")
    new = copy.deepcopy(model)
    inner = Meter(budget=max(int(budget), 0))
    if inner.budget > 0:
        fn(new, retain, forget, seed, inner, **hp)
    meter.charge(inner.grad_evals)
    return new


def steps_spec(n: int, budget: int, lr: float, batch_size: int, momentum: float = 0.9,
               weight_decay: float = 0.0) -> TrainSpec:
    """A constant-lr SGD recipe long enough for the meter, not the epoch count, to stop it."""
    return TrainSpec(epochs=budget // max(n, 1) + 1, batch_size=batch_size, lr=lr, optimizer="sgd",
                     momentum=momentum, weight_decay=weight_decay, schedule="constant")


def combined(retain: Data, forget: Data) -> Data:
    """Retain and forget sets in one tensor pair; labels carry a second column, 1 for forget."""
    x = torch.cat([retain[0], forget[0]])
    flag = torch.cat([torch.zeros(len(retain[1]), dtype=torch.long), torch.ones(len(forget[1]), dtype=torch.long)])
    return x, torch.stack([torch.cat([retain[1], forget[1]]), flag], 1)
