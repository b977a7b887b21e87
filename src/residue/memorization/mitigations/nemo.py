"""NeMo (Hintersdorf et al. 2024): localise memorization neurons in the cross-attention value
projections and deactivate them (PAPERS.md §P3).

* neurons: output channels of every ``attn2.to_v``; activation = mean |to_v output| over the
  prompt's tokens (the value projection sees only the text, so the first denoising step's
  activations are those of any step);
* reference: mean and sd of the activations over non-memorized prompts; z = (a − μ) / σ;
* memorization test: mean pairwise SSIM of the first-step noise differences ε(x_T, c) − x_T
  across initial noises above mean + 1 sd of the non-memorized prompts' (:meth:`Lab.noise_ssim`);
* initial selection: θ from 5 down to 1 in steps of 0.25, neurons with z > θ plus the top-k of
  every layer, k growing by one per step, until the prompt is no longer detected as memorized;
* refinement: drop whole layers, then single neurons, whenever the prompt stays non-memorized;
* deactivation: forward hooks that zero the chosen output channels of ``to_v``.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import torch

from ...registries import MITIGATIONS
from ...diffusion.text import PAD
from .lab import Lab

Neurons = dict[str, list[int]]


@torch.no_grad()
def value_activations(model, tokens: torch.Tensor) -> dict[str, torch.Tensor]:
    """Mean |activation| per output channel of every value projection: {layer: (P, C)}."""
    ctx = model.encode(tokens)
    keep = (tokens != PAD).float()[..., None]
    return {name: (lin(ctx).abs() * keep).sum(1) / keep.sum(1) for name, lin in model.value_layers().items()}


@contextmanager
def deactivate(model, neurons: Neurons):
    """Zero the chosen output channels of the value projections while the context is open."""
    layers = model.value_layers()
    handles = []
    for name, idx in neurons.items():
        if idx:
            mask = torch.ones(layers[name].out_features)
            mask[idx] = 0
            handles.append(layers[name].register_forward_hook(lambda mod, inp, out, m=mask: out * m.to(out)))
    try:
        yield model
    finally:
        for h in handles:
            h.remove()


def z_scores(lab: Lab, tokens: torch.Tensor) -> dict[str, torch.Tensor]:
    if "nemo_ref" not in lab.cache:
        ref = value_activations(lab.model, lab.reference)
        lab.cache["nemo_ref"] = {k: (v.mean(0), v.std(0).clamp(min=1e-6)) for k, v in ref.items()}
    act = value_activations(lab.model, tokens)
    return {k: (act[k] - mu) / sd for k, (mu, sd) in lab.cache["nemo_ref"].items()}


def memorized(lab: Lab, tokens: torch.Tensor, neurons: Neurons | None = None) -> bool:
    with deactivate(lab.model, neurons or {}):
        return bool(lab.noise_ssim(lab.model, tokens[None])[0] > lab.nemo_threshold)


def find_neurons(lab: Lab, tokens: torch.Tensor, theta_start: float = 5.0, theta_end: float = 1.0,
                 theta_step: float = 0.25) -> Neurons:
    """NeMo's search for one prompt (tokens (L,)); empty when it is not detected as memorized."""
    if not memorized(lab, tokens):
        return {}
    z = {k: v[0] for k, v in z_scores(lab, tokens[None]).items()}
    chosen: Neurons = {}
    for k, theta in enumerate(np.arange(theta_start, theta_end - 1e-9, -theta_step)):
        chosen = {name: sorted(set(torch.nonzero(zl > theta).flatten().tolist()) | set(zl.topk(min(k, len(zl))).indices.tolist()))
                  for name, zl in z.items()}
        if not memorized(lab, tokens, chosen):
            break
    else:  # even θ = 1 does not help: refinement only shrinks a set that works, keep the full set
        return chosen
    for name in list(chosen):  # refinement 1: whole layers
        trial = {**chosen, name: []}
        if chosen[name] and not memorized(lab, tokens, trial):
            chosen = trial
    for name in list(chosen):  # refinement 2: single neurons
        for i in list(chosen[name]):
            trial = {**chosen, name: [j for j in chosen[name] if j != i]}
            if not memorized(lab, tokens, trial):
                chosen = trial
    return {k: v for k, v in chosen.items() if v}


def neurons_of(lab: Lab, tokens: torch.Tensor) -> list[Neurons]:
    """Per-prompt NeMo neurons, cached in the lab (NeMo-C and Wanda reuse them)."""
    key = ("nemo", tokens.numpy().tobytes())
    if key not in lab.cache:
        lab.cache[key] = [find_neurons(lab, t) for t in tokens]
    return lab.cache[key]


def generate_with(lab: Lab, tokens: torch.Tensor, per_prompt: list[Neurons]) -> torch.Tensor:
    out = []
    for p, (tok, neurons) in enumerate(zip(tokens, per_prompt)):
        with deactivate(lab.model, neurons):
            out.append(lab.sample(lab.model, tok, p))
    return torch.stack(out)


def size(neurons: Neurons) -> int:
    return sum(len(v) for v in neurons.values())


@MITIGATIONS.register("nemo")
def run(lab: Lab, tokens: torch.Tensor) -> tuple[torch.Tensor, dict]:
    per_prompt = neurons_of(lab, tokens)
    info = {"detected": [bool(n) for n in per_prompt], "neurons": [size(n) for n in per_prompt]}
    return generate_with(lab, tokens, per_prompt), info
