"""The shared diffusion core (P3 FB-Mem and P4 DiMRA/DiMUM): diffusers UNets and schedulers.

* :mod:`.schedule` — :class:`DiffusionSpec` and the diffusers DDPM/DDIM schedulers it builds;
* :mod:`.models`   — the conditional-denoiser protocol and the class-conditional UNet;
* :mod:`.loss`     — L_simple with classifier-free-guidance condition dropout;
* :mod:`.train`    — the resumable step loop with diffusers' EMA, shared by training and unlearning;
* :mod:`.sample`   — batched DDIM sampling with classifier-free guidance.

Images live in [-1, 1] inside this package (``to_model_range`` / ``to_unit_range`` convert).
"""

from .loss import drop_condition, simple_loss
from .models import ClassConditionalUNet, ConditionalDenoiser
from .sample import ddim_sample
from .schedule import DiffusionSpec, ddim_scheduler, ddpm_scheduler, to_model_range, to_unit_range
from .train import OptimSpec, averaged, run_steps, train_denoiser

__all__ = [
    "ClassConditionalUNet",
    "ConditionalDenoiser",
    "DiffusionSpec",
    "OptimSpec",
    "ddim_sample",
    "ddim_scheduler",
    "ddpm_scheduler",
    "drop_condition",
    "averaged",
    "run_steps",
    "simple_loss",
    "to_model_range",
    "to_unit_range",
    "train_denoiser",
]
