"""The public entry point of every classifier unlearning method (P1, used by P2 and P4).

``unlearn(method, model, retain, forget, budget, seed, meter, retrain=..., **hp)`` returns a NEW
model; the input model is never modified.  ``budget`` is the number of per-example gradient
evaluations the method may spend (P1 sweeps it at 2–10% of ``TrainSpec.grad_evals(n)``, the cost
of retraining).  A method is a function registered in ``UNLEARNING`` with the signature
``fn(model, retain, forget, seed, meter, **hp) -> None`` that edits its own copy in place and
spends gradient evaluations only through ``meter`` (whose budget binds inside ``fit`` or
:class:`Steps`).  Every training-based method decays its lr linearly to 0 over the steps its budget
affords (:func:`fit_budget`, :class:`Steps`), so the scored last iterate is taken at lr → 0.
"""

from __future__ import annotations

import copy
import inspect
from typing import Callable

import torch
from torch import Tensor, nn

from ..compute import Meter
from ..errors import ConfigError
from ..registries import OPTIMIZERS, UNLEARNING
from ..training import TrainSpec, fit
from ..training.loop import LossFn, affordable_steps, cross_entropy
from ..training.optimizers import SCHEDULES

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
               weight_decay: float = 0.0, schedule: str = "constant") -> TrainSpec:
    """An SGD recipe long enough for the meter, not the epoch count, to stop it."""
    return TrainSpec(epochs=budget // max(n, 1) + 1, batch_size=batch_size, lr=lr, optimizer="sgd",
                     momentum=momentum, weight_decay=weight_decay, schedule=schedule)


def fit_budget(model: nn.Module, data: Data, seed: int, meter: Meter, lr: float, batch_size: int,
               momentum: float, desc: str, loss_fn: LossFn = cross_entropy) -> None:
    """``fit`` on ``data`` until ``meter``'s budget binds, lr decaying linearly to 0 as it does.

    The schedule's horizon is the number of steps the budget affords (:func:`affordable_steps`),
    so the last step the budget pays for is taken at lr·1/horizon and the lr is 0 after it.
    Linear rather than cosine: for a run cut to a fixed budget, decaying linearly to 0 at the
    budget's end is what Li, Yumer & Ramanan (ICLR 2020, "Budgeted training") found best.
    """
    x, y = data
    spec = steps_spec(len(y), meter.budget - meter.grad_evals, lr, batch_size, momentum, schedule="linear")
    fit(model, x, y, spec, seed, meter, loss_fn=loss_fn, desc=desc, horizon=affordable_steps(len(y), spec, meter))


class Cycle:
    """Fixed-size batches of indices into ``n`` examples: successive seeded permutations, joined.

    Every batch has ``min(batch_size, n)`` indices (a batch may span two passes), so a step's cost
    is known in advance and the number of steps a budget affords is ``budget // cost``.
    """

    def __init__(self, n: int, batch_size: int, gen: torch.Generator):
        self.n, self.size, self.gen = n, min(batch_size, n), gen
        self.buf = torch.empty(0, dtype=torch.long)

    def __next__(self) -> Tensor:
        while len(self.buf) < self.size:
            self.buf = torch.cat([self.buf, torch.randperm(self.n, generator=self.gen)])
        idx, self.buf = self.buf[: self.size], self.buf[self.size:]
        return idx


class Steps:
    """SGD on ``model``'s trainable parameters, lr decaying linearly to 0 over ``horizon`` steps.

    For the methods whose steps ``fit`` cannot express (paired or alternating batches): each
    :meth:`take` charges its gradient evaluations to ``meter`` before the update.
    """

    def __init__(self, model: nn.Module, lr: float, momentum: float, horizon: int, meter: Meter):
        params = [p for p in model.parameters() if p.requires_grad]
        self.opt = OPTIMIZERS.get("sgd", "optimizer")(params, lr, momentum, 0.0)
        self.sched = torch.optim.lr_scheduler.LambdaLR(self.opt, lambda s: SCHEDULES["linear"](s, horizon))
        self.meter = meter

    def take(self, loss: Tensor, cost: int) -> None:
        self.meter.charge(cost)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.sched.step()

    @property
    def lr(self) -> float:
        return self.sched.get_last_lr()[0]

