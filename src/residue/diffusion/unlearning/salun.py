"""SalUn, random-label form for class-conditional diffusion (Fan et al. 2024; PAPERS.md §P4):

    L = ‖ε_θ(x_t, t, c_f) − sg[ε_θ(x_t, t, c′)]‖² + α · L_simple(D_r),   x ∈ D_f, c′ ≠ c_f

with gradients masked to the *salient* parameters: the top ``fraction`` (50%) of all weights by
|∇_θ L_simple(D_f)|, one global threshold over the whole network.  The reductions are those of
SalUn's DDPM code, where α = 1e-3 is set: the random-label term is a mean over pixels, L_simple(D_r)
a sum over pixels (mean over the batch), so α weighs the retain term by α · C·H·W per pixel
(0.256 at 1×16×16; 3.07 at CIFAR-10's 3×32×32).
"""

from __future__ import annotations

import torch

from ...registries import DIFFUSION_UNLEARNING
from ..loss import simple_loss
from ..train import run_steps
from .base import UnlearnTask, noised, other_classes


def random_label_loss(task: UnlearnTask, forget, gen) -> torch.Tensor:
    """‖ε_θ(x_t, t, c_f) − sg[ε_θ(x_t, t, c′)]‖² (mean over pixels and batch), c′ a random other class."""
    xf, cf = forget
    x_t, t, _ = noised(task, xf, gen)
    c_other = other_classes(cf, task.num_classes, gen)
    with torch.no_grad():
        target = task.model(x_t, t, c_other)
    return (task.model(x_t, t, cf) - target).pow(2).mean()


def retain_loss(task: UnlearnTask, retain, gen) -> torch.Tensor:
    """L_simple(D_r) summed over pixels and averaged over the batch: SalUn's code's reduction, the one its α = 1e-3 is set for."""
    xr, cr = retain
    return simple_loss(task.model, xr, cr, task.scheduler, gen, cond_drop=task.spec.cond_drop).mean() * xr[0].numel()


def saliency_mask(task: UnlearnTask, gen, fraction: float, batch_size: int, batches: int = 1) -> dict[str, torch.Tensor]:
    """Boolean masks of the parameters whose |∇ L_simple(D_f)| is in the top ``fraction`` (global)."""
    task.model.zero_grad(set_to_none=True)
    for _ in range(batches):
        xf, cf = task.batch(task.forget, batch_size, gen)
        simple_loss(task.model, xf, cf, task.scheduler, gen).mean().backward()
    grads = {n: p.grad.detach().abs() for n, p in task.model.named_parameters()}
    task.model.zero_grad(set_to_none=True)
    flat = torch.cat([g.flatten() for g in grads.values()])
    k = max(1, int(round(fraction * flat.numel())))
    threshold = torch.topk(flat, k, sorted=True).values[-1]
    return {n: g >= threshold for n, g in grads.items()}


def mask_gradients(model: torch.nn.Module, mask: dict[str, torch.Tensor]) -> list:
    """Zero the gradient of every non-salient weight (hooks; remove them with ``h.remove()``)."""
    return [p.register_hook(lambda g, m=mask[n]: g * m) for n, p in model.named_parameters()]


@DIFFUSION_UNLEARNING.register("salun")
def salun(task: UnlearnTask, opt, seed, meter, *, alpha: float = 1e-3, fraction: float = 0.5,
          mask_batches: int = 4, **run_kw) -> None:
    from ...seeding import generator

    mask = saliency_mask(task, generator(seed, "saliency"), fraction, opt.batch_size, mask_batches)
    meter.charge(mask_batches * opt.batch_size)
    hooks = mask_gradients(task.model, mask)

    def step_loss(step, gen):
        forget = task.batch(task.forget, opt.batch_size, gen)
        retain = task.batch(task.retain, opt.batch_size, gen)
        return random_label_loss(task, forget, gen) + alpha * retain_loss(task, retain, gen), 2 * len(retain[1])

    run_steps(task.model, step_loss, opt, seed, meter, desc="salun", **run_kw)
    for h in hooks:
        h.remove()
