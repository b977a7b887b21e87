"""ESD (Gandikota et al. 2023), class-conditional form (PAPERS.md §P4): regress the c_f prediction
onto negatively guided predictions of the frozen original ε*,

    L = ‖ε_θ(x_t, t, c_f) − [ε*(x_t, t, ∅) − η (ε*(x_t, t, c_f) − ε*(x_t, t, ∅))]‖²,   η = 1.

x_t are noised D_f images (reconstruction: ESD draws x_t from the model's own c_f trajectory; with
D_f at hand, noising it gives the same marginal at the cost of one forward pass, not a sampling run).

Which weights are trained (``params``, registry ``PARAMETER_SETS``): ESD-x, the class-specific form
of the ESD paper, updates only the cross-attention layers — the layers that read the prompt.  This
class-conditional UNet has no cross-attention; the class reaches the network through the class
embedding, added to the time embedding, and from there through each ResNet block's ``time_emb_proj``
(and any attention blocks).  ``conditioning`` maps ESD-x to exactly those weights: the class
embedding table, every ``time_emb_proj`` and the attention blocks; ``all`` is ESD-u's every weight.
"""

from __future__ import annotations

import torch

from ...errors import ConfigError
from ...registries import DIFFUSION_UNLEARNING
from ..train import run_steps
from .base import UnlearnTask, noised


def all_parameters(model: torch.nn.Module) -> list[str]:
    return [n for n, _ in model.named_parameters()]


def conditioning_parameters(model: torch.nn.Module) -> list[str]:
    """ESD-x mapped to a class-conditional UNet: the weights that read the condition."""
    keys = ("class_embedding", "time_emb_proj", "attentions")
    return [n for n, _ in model.named_parameters() if any(k in n for k in keys)]


PARAMETER_SETS = {"all": all_parameters, "conditioning": conditioning_parameters}


def esd_loss(task: UnlearnTask, forget, gen, eta: float) -> torch.Tensor:
    xf, cf = forget
    x_t, t, _ = noised(task, xf, gen)
    with torch.no_grad():
        e_u = task.original(x_t, t, task.original.null_cond(cf))
        e_c = task.original(x_t, t, cf)
        target = e_u - eta * (e_c - e_u)
    return (task.model(x_t, t, cf) - target).pow(2).mean()


@DIFFUSION_UNLEARNING.register("esd")
def esd(task: UnlearnTask, opt, seed, meter, *, eta: float = 1.0, params: str = "conditioning", **run_kw) -> None:
    if params not in PARAMETER_SETS:
        raise ConfigError(f"ESD: unknown parameter set {params!r}; allowed: {', '.join(PARAMETER_SETS)}")
    names = set(PARAMETER_SETS[params](task.model))
    trained = [p for n, p in task.model.named_parameters() if n in names]
    for n, p in task.model.named_parameters():
        p.requires_grad_(n in names)
    task.info["trained_parameters"] = sum(p.numel() for p in trained)

    def step_loss(step, gen):
        forget = task.batch(task.forget, opt.batch_size, gen)
        return esd_loss(task, forget, gen, eta), len(forget[1])

    run_steps(task.model, step_loss, opt, seed, meter, params=trained, desc="esd", **run_kw)
    task.model.requires_grad_(True)
