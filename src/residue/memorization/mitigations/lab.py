"""What every mitigation works with: the model, the prompts, seeded sampling and the detectors.

A mitigation is registered in ``MITIGATIONS`` as ``run(lab, tokens, **options) -> (images, info)``:
it returns ``(P, n, C, H, W)`` images in [-1, 1] (``n`` per prompt, the i-th image of prompt p
starts from the same noise under every mitigation, so before/after pairs are matched) and a dict
of diagnostics.  :class:`Lab` caches what several methods share (NeMo's reference statistics and
per-prompt neurons, used by NeMo, NeMo-C and Wanda).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import torch

from ...diffusion import DiffusionSpec, ddim_sample
from ...diffusion.parameterization import implied_epsilon
from ...diffusion.schedule import ddim_scheduler
from ...diffusion.text import TextConditionalUNet
from ...seeding import derive
from ..ssim import ssim_to_many


@dataclass
class Lab:
    model: TextConditionalUNet
    spec: DiffusionSpec
    reference: torch.Tensor      # token ids of non-memorized prompts (NeMo's statistics, thresholds)
    n: int = 4                   # images per prompt
    seed: int = 0
    detect_seeds: int = 4        # initial noises for the first-step memorization tests
    shape: tuple = (3, 32, 32)
    cache: dict = field(default_factory=dict)

    def noise(self, p: int, count: int) -> torch.Tensor:
        gen = torch.Generator().manual_seed(derive(self.seed, f"prompt-{p}"))
        return torch.randn((count, *self.shape), generator=gen)

    def sample(self, model, cond: torch.Tensor, p: int) -> torch.Tensor:
        """``n`` images for one prompt's condition row ``cond`` (L,) or (), seeded by the prompt index."""
        return ddim_sample(model, cond[None].repeat_interleave(self.n, 0), self.spec, self.shape,
                           seed=derive(self.seed, f"prompt-{p}"))

    @cached_property
    def scheduler(self):
        return ddim_scheduler(self.spec)

    @cached_property
    def first_t(self) -> int:
        return int(self.scheduler.timesteps[0])

    def epsilon(self, output: torch.Tensor, x_t: torch.Tensor) -> torch.Tensor:
        """The noise prediction a denoiser output implies at ``x_t`` on the first step (the detectors
        read ε whatever the model's ``prediction_type``)."""
        return implied_epsilon(self.scheduler, output, x_t, torch.full((len(x_t),), self.first_t, dtype=torch.long))

    def initial_noises(self) -> torch.Tensor:
        """The ``detect_seeds`` initial noises x_T of the first-step detectors (NeMo's and Wen's)."""
        return torch.stack([self.noise(10_000 + i, 1)[0] for i in range(self.detect_seeds)])

    @torch.no_grad()
    def noise_difference(self, model, tokens: torch.Tensor) -> torch.Tensor:
        """NeMo's memorization signal (Hintersdorf et al. 2024, official code): the conditional
        first-step noise prediction minus the initial noise, ε(x_T, c) − x_T, min-max scaled per image
        and channel: (P, detect_seeds, C, H, W).  ε(x_T) alone is x_T up to a term of order √ᾱ_T and
        carries only the seed; the difference carries the x₀ the prompt pulls towards."""
        x = self.initial_noises().repeat(len(tokens), 1, 1, 1)
        t = torch.full((len(x),), self.first_t, dtype=torch.long)
        d = self.epsilon(model(x, t, tokens.repeat_interleave(self.detect_seeds, 0)), x) - x
        lo, hi = d.amin((2, 3), keepdim=True), d.amax((2, 3), keepdim=True)
        return ((d - lo) / (hi - lo).clamp(min=1e-12)).view(len(tokens), self.detect_seeds, *self.shape)

    def noise_ssim(self, model, tokens: torch.Tensor) -> torch.Tensor:
        """NeMo's memorization test statistic: mean pairwise SSIM of the noise differences
        (:meth:`noise_difference`) across initial noises, per prompt (P,)."""
        out = []
        for d in self.noise_difference(model, tokens):
            pairs = [ssim_to_many(d[i], d[i + 1:]) for i in range(len(d) - 1)]
            out.append(torch.cat(pairs).mean())
        return torch.stack(out)

    @cached_property
    def nemo_threshold(self) -> float:
        s = self.noise_ssim(self.model, self.reference)
        return float(s.mean() + s.std())
