"""Full-batch L-BFGS to the optimum of mean loss + λ/2‖θ‖²: the solver of P1's convex models.

A strongly convex victim (logistic regression with weight decay) has one optimum, and the papers'
convex arguments are about it: Gradient Canceling makes θ_p stationary for exactly this objective
(Lu et al. 2023, Eq. 6; ``attacks/gradient_canceling.py``), and P1's hypotheses compare optima.
The minibatch loop gets there only after thousands of full-batch epochs (``python
benchmarks/convex_solver.py``: 3,000 epochs, 15 s, 0.26% from the optimum in weights; 1,000 epochs
stop 8.3% short); L-BFGS with a strong-Wolfe line search needs ≈ 200 evaluations (≈ 2 s).

λ decays every parameter, as SGD's ``weight_decay`` does, so the solver and the loop minimise the
same objective.  Each objective evaluation is one pass over the data and is charged as ``len(y)``
per-example gradient evaluations; ``evaluations`` caps them (torch's ``max_eval``: a line search
under way may finish, at most ``max_ls`` = 25 more).  Always fp32: the solver's curvature pairs
and its stopping tests are precision-sensitive.
"""

from __future__ import annotations

from typing import Callable

import torch
from tqdm.auto import tqdm

from ..compute import Meter

HISTORY = 20  # curvature pairs kept
TOLERANCE_GRAD = 1e-9  # stop when max |∇| falls below it
TOLERANCE_CHANGE = 1e-12  # or when the step or the objective stops changing (fp32 gets here first)


def objective(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, weight_decay: float, loss_fn: Callable) -> torch.Tensor:
    """``loss_fn(model, x, y) + weight_decay/2·‖θ‖²`` over the trainable parameters: what :func:`minimise`
    minimises (P1's H2 takes its gradient at the optimum)."""
    return loss_fn(model, x, y) + weight_decay / 2 * sum((p ** 2).sum() for p in model.parameters() if p.requires_grad)


def minimise(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, weight_decay: float, evaluations: int,
             meter: Meter, loss_fn: Callable, *, progress: bool = False, desc: str = "L-BFGS") -> list[float]:
    """Move ``model`` in place to the minimum of ``loss_fn(model, x, y) + weight_decay/2·‖θ‖²``;
    return the objective at every evaluation."""
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.LBFGS(params, lr=1.0, max_iter=evaluations, max_eval=evaluations, tolerance_grad=TOLERANCE_GRAD,
                            tolerance_change=TOLERANCE_CHANGE, history_size=HISTORY, line_search_fn="strong_wolfe")
    trace: list[float] = []
    bar = tqdm(total=evaluations, desc=desc, disable=not progress, leave=False)

    def closure():
        opt.zero_grad()
        loss = objective(model, x, y, weight_decay, loss_fn)
        loss.backward()
        meter.charge(len(y))
        trace.append(loss.item())
        bar.update(1)
        return loss

    model.train()
    opt.step(closure)
    bar.close()
    return trace
