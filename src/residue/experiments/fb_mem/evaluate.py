"""``fb_mem.evaluate``: one (training seed, sampling seed).  Every mitigation generates
``images_per_prompt`` images for the memorized and the generic prompts from the same initial
noises; the learned segmenter splits them; FB-Mem matches them against every distinct training
image (ground-truth masks); whole-image baselines, utility proxies and mitigation scores beside."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from ...config import typed
from ...data.sources.fb_mem_scenes import load_scenes
from ...diffusion import to_unit_range
from ...io import save_array
from ...memorization import fbmem, whole
from ...memorization.mitigations.lab import Lab
from ...registries import JOBS, MITIGATIONS
from ...segmentation.base import Assets, build
from .assets import TrainJobSpec, features, load
from .prompts import choose
from .utility import alignment, frechet


@dataclass(frozen=True)
class Thresholds:
    l2: float = 0.1
    ssim: float = 0.8
    cosine: float = 0.95


@dataclass(frozen=True)
class EvalJobSpec:
    train: TrainJobSpec
    sample_seed: int
    segmenter: str = "learned"
    segmenter_options: dict = field(default_factory=dict)  # e.g. {checkpoint: ...} for sam
    images_per_prompt: int = 4
    generic_prompts: int = 8
    reference_prompts: int = 32
    detect_seeds: int = 4
    k: int = 5
    tau: float = 0.8
    similarity: str = "ms_ssim"
    whole: Thresholds = Thresholds()
    mitigations: dict = field(default_factory=dict)
    device: str = "auto"


def distinct(x: np.ndarray) -> np.ndarray:
    """Indices of the first occurrence of every distinct image, in dataset order (the candidates)."""
    _, first = np.unique(x.reshape(len(x), -1), axis=0, return_index=True)
    return np.sort(first)


@JOBS.register("fb_mem.evaluate")
def evaluate(ctx) -> dict:
    spec = typed(EvalJobSpec, ctx.spec, "fb_mem.evaluate")
    scenes = load_scenes()
    trained = load(ctx.inputs["model"][0], spec.train)
    prompts = choose(scenes, spec.generic_prompts, spec.reference_prompts, spec.train.seed)
    tok = trained.tokenizer
    lab = Lab(trained.denoiser, spec.train.diffusion, tok(prompts.reference), spec.images_per_prompt,
              spec.sample_seed, spec.detect_seeds)
    keep = distinct(scenes.data.train.x)
    cand_x, cand_m = scenes.data.train.x[keep], scenes.train_mask[keep]
    cand = torch.from_numpy(cand_x.astype(np.float32) / 255)
    cand_mask = build("gt", Assets(images=cand, masks=torch.from_numpy(cand_m)))(cand)
    generic_x = torch.from_numpy(scenes.data.train.x[[g == "generic" for g in scenes.train_group]].astype(np.float32) / 255)
    real_feat = features(trained.classifier, generic_x)
    segment = build(spec.segmenter, Assets(learned=trained.segmenter), **spec.segmenter_options)
    mem = np.repeat(prompts.memorized, spec.images_per_prompt)
    out, best = {}, {}
    for name, options in spec.mitigations.items():
        images, info = MITIGATIONS.get(name, "fb_mem.mitigations")(lab, tok(prompts.captions), **options)
        x = to_unit_range(images).flatten(0, 1)
        scored = x if name == "none" else x[torch.from_numpy(mem)]  # generic generations: calibration only
        masks = segment(scored)
        m = fbmem.match(scored, masks, cand, cand_mask, spec.k, spec.similarity)
        feat = features(trained.classifier, x)
        out[name] = {
            "info": info,
            "best_fg": m.fg[:, 0].round(6).tolist(), "best_bg": m.bg[:, 0].round(6).tolist(),
            "top": m.top.tolist(),
            "frechet_memorized": frechet(feat[torch.from_numpy(mem)], real_feat),
            "alignment": alignment(trained.classifier, x, np.repeat(prompts.item, spec.images_per_prompt)),
        }
        best[name] = m
        if name == "none":
            save_array(ctx.outputs["samples"], (x[torch.from_numpy(mem)].numpy() * 255).round().astype(np.uint8))
            save_array(ctx.outputs["masks"], masks[torch.from_numpy(mem)].numpy().astype(np.uint8))
            none_feat, none_x = feat[torch.from_numpy(mem)], x[torch.from_numpy(mem)]
    base = best["none"]
    tau_cal = fbmem.calibrated_tau(base.best_score[~mem])
    n_mem = int(mem.sum())
    for name, m in best.items():
        sel = slice(0, n_mem) if name == "none" else slice(None)  # memorized prompts come first
        sub = m.rows(sel)
        for label, tau in (("tau", spec.tau), ("tau_cal", tau_cal)):
            c = fbmem.classify(sub, tau)
            out[name][f"categories_{label}"] = c
            out[name][f"counts_{label}"] = fbmem.counts(c)
        if name == "none":
            out[name]["one_to_many"] = fbmem.one_to_many(sub, spec.tau).tolist()
            out[name]["categories_generic_tau"] = fbmem.classify(m.rows(slice(n_mem, None)), spec.tau)
    for name in best:
        for label in ("tau", "tau_cal"):
            b, a = out["none"][f"categories_{label}"], out[name][f"categories_{label}"]
            out[name][f"mitigation_score_{label}"] = fbmem.mitigation_score(b, a)
            out[name][f"mitigation_score_official_{label}"] = fbmem.mitigation_score(b, a, official=True)
    cand_feat = features(trained.classifier, cand)
    flags = whole.flags(none_x, cand, none_feat, cand_feat, **spec.whole.__dict__)
    return {
        "captions": prompts.captions, "groups": prompts.group, "memorized_prompts": int(prompts.memorized.sum()),
        "tau": spec.tau, "tau_cal": round(tau_cal, 6), "n_candidates": len(cand),
        "whole_flags": {k: v.tolist() for k, v in flags.items()},
        "mitigations": out,
    }
