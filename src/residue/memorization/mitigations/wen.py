"""Wen et al. (2024), inference-time mitigation (PAPERS.md §P3).

Detection score: d(p) = ‖ε(x_T, e_p) − ε(x_T, e_∅)‖ at the first denoising step, averaged over
initial noises; a prompt is flagged when d exceeds mean + 1 sd of the non-memorized prompts'.
Mitigation: optimise the prompt embedding e_p (the text-encoder output) with Adam (lr 0.05,
10 steps) to shrink that magnitude on the generation's own initial noises, then generate with it.
"""

from __future__ import annotations

import torch

from ...diffusion.text import PAD, EmbeddingTable
from ...registries import MITIGATIONS
from .lab import Lab


def magnitude(lab: Lab, x: torch.Tensor, emb: torch.Tensor, keep: torch.Tensor, null: torch.Tensor, null_keep: torch.Tensor) -> torch.Tensor:
    """‖ε(x, e) − ε(x, e_∅)‖ at the first denoising step, mean over the initial noises ``x``."""
    model = lab.model
    tt = torch.full((len(x),), lab.first_t, dtype=torch.long)
    e = emb.expand(len(x), -1, -1)
    eps_c = lab.epsilon(model.denoise(x, tt, e, keep.expand(len(x), -1)), x)
    eps_u = lab.epsilon(model.denoise(x, tt, null.expand(len(x), -1, -1), null_keep.expand(len(x), -1)), x)
    return (eps_c - eps_u).flatten(1).norm(dim=1).mean()


@torch.no_grad()
def detection_scores(lab: Lab, tokens: torch.Tensor) -> torch.Tensor:
    m = lab.model
    x = lab.initial_noises()
    null_tok = m.null_cond(tokens[:1])
    null, null_keep = m.encode(null_tok), null_tok != PAD
    return torch.stack([magnitude(lab, x, m.encode(t[None]), t[None] != PAD, null, null_keep) for t in tokens])


@MITIGATIONS.register("wen")
def run(lab: Lab, tokens: torch.Tensor, lr: float = 0.05, steps: int = 10) -> tuple[torch.Tensor, dict]:
    m = lab.model
    if "wen_threshold" not in lab.cache:
        ref = detection_scores(lab, lab.reference)
        lab.cache["wen_threshold"] = float(ref.mean() + ref.std())
    scores = detection_scores(lab, tokens)
    detected = (scores > lab.cache["wen_threshold"]).tolist()
    null_tok = m.null_cond(tokens[:1])
    with torch.no_grad():
        null, null_keep = m.encode(null_tok), null_tok != PAD
    for p in m.parameters():
        p.requires_grad_(False)
    out = []
    for p, (tok, flag) in enumerate(zip(tokens, detected)):
        keep = tok[None] != PAD
        with torch.no_grad():
            emb = m.encode(tok[None])
        if flag:
            emb = emb.clone().requires_grad_(True)
            opt = torch.optim.Adam([emb], lr=lr)
            x = lab.noise(p, lab.n)
            for _ in range(steps):
                loss = magnitude(lab, x, emb, keep, null, null_keep)
                opt.zero_grad()
                loss.backward()
                opt.step()
        table = EmbeddingTable(m, torch.cat([emb.detach(), null]), torch.cat([keep, null_keep]))
        out.append(lab.sample(table, torch.tensor(0), p))
    for p in m.parameters():
        p.requires_grad_(True)
    return torch.stack(out), {"detected": detected, "scores": scores.tolist()}
