"""``fb_mem.evaluate``: one (training seed, sampling seed).  Every mitigation generates
``images_per_prompt`` images for the memorized and the generic prompts from the same initial
noises.  One segmenter splits both sides, the generations and the training candidates
(symmetric); FB-Mem matches every generation against every distinct training image.  Beside it:
the nearest-neighbour-ratio copy test (Gu et al. 2023), FB-Mem's counts under the other segmenter
backends (``gt`` with ``nearest`` is the gt-vs-gt ceiling), the whole-image baselines' raw
similarities (thresholds are calibrated to a matched false-positive rate in ``fb_mem.summarise``),
utility proxies and mitigation scores."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from ...config import typed
from ...data.sources.fb_mem_scenes import load_scenes
from ...diffusion import to_unit_range
from ...io import save_array
from ...memorization import copy_test, fbmem, whole
from ...memorization.mitigations.lab import Lab
from ...registries import JOBS, MITIGATIONS
from ...segmentation.base import Assets, build
from .assets import TrainJobSpec, features, load
from .plan import DATASET
from .prompts import choose
from .utility import alignment, frechet


@dataclass(frozen=True)
class EvalJobSpec:
    train: TrainJobSpec
    sample_seed: int
    segmenter: str = "learned"
    segmenter_options: dict = field(default_factory=dict)  # e.g. {checkpoint: ...} for sam
    compare_segmenters: dict = field(default_factory=dict)  # {backend: options}: unmitigated counts under each
    images_per_prompt: int = 4
    generic_prompts: int = 8
    reference_prompts: int = 32
    detect_seeds: int = 4
    k: int = 5
    tau: float = 0.8
    similarity: str = "ms_ssim"
    copy_ratio: float = copy_test.RATIO  # Gu et al.'s d1/d2 threshold
    whole_fpr: float = 0.05  # the whole-image baselines' matched false-positive rate on generic generations (summarise)
    mitigations: dict = field(default_factory=dict)
    device: str = "auto"
    dataset: str = DATASET  # recorded for lineage (metrics.json's data hash)


def distinct(x: np.ndarray) -> np.ndarray:
    """Indices of the first occurrence of every distinct image, in dataset order (the candidates)."""
    _, first = np.unique(x.reshape(len(x), -1), axis=0, return_index=True)
    return np.sort(first)


def categories(m: fbmem.Matches, n_mem: int, tau: float) -> dict:
    """VM/FM/BM/NM of the memorized prompts' rows (first ``n_mem``) and of the generic rows."""
    mem, gen = m.rows(slice(0, n_mem)), m.rows(slice(n_mem, None))
    c = fbmem.classify(mem, tau)
    return {"categories_tau": c, "counts_tau": fbmem.counts(c), "categories_generic_tau": fbmem.classify(gen, tau),
            "best_fg": mem.fg[:, 0].round(6).tolist(), "best_bg": mem.bg[:, 0].round(6).tolist()}


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
    cand = torch.from_numpy(scenes.data.train.x[keep].astype(np.float32) / 255)
    assets = Assets(images=cand, masks=torch.from_numpy(scenes.train_mask[keep]).bool(), learned=trained.segmenter)
    segment = build(spec.segmenter, assets, **spec.segmenter_options)
    cand_mask = segment(cand)  # symmetric: the same segmenter on the training side
    generic_x = torch.from_numpy(scenes.data.train.x[[g == "generic" for g in scenes.train_group]].astype(np.float32) / 255)
    real_feat = features(trained.classifier, generic_x)
    mem = np.repeat(prompts.memorized, spec.images_per_prompt)
    n_mem = int(mem.sum())
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
            "copy_ratio": copy_test.nn_ratio(scored, cand)[0].round(6).tolist(),
            "top": m.top.tolist(),
            "frechet_memorized": frechet(feat[torch.from_numpy(mem)], real_feat),
            "alignment": alignment(trained.classifier, x, np.repeat(prompts.item, spec.images_per_prompt)),
        }
        best[name] = m
        if name == "none":
            save_array(ctx.outputs["samples"], (x[torch.from_numpy(mem)].numpy() * 255).round().astype(np.uint8))
            save_array(ctx.outputs["masks"], masks[torch.from_numpy(mem)].numpy().astype(np.uint8))
            none_x, none_feat = x, feat
    base = best["none"]
    tau_cal = fbmem.calibrated_tau(base.best_score[~mem])
    for name, m in best.items():
        sub = m.rows(slice(0, n_mem))  # memorized prompts come first
        out[name] |= {k: v for k, v in categories(m, n_mem, spec.tau).items() if name == "none" or "generic" not in k}
        c = fbmem.classify(sub, tau_cal)
        out[name] |= {"categories_tau_cal": c, "counts_tau_cal": fbmem.counts(c)}
    out["none"]["one_to_many"] = fbmem.one_to_many(base.rows(slice(0, n_mem)), spec.tau).tolist()
    for name in best:
        for label in ("tau", "tau_cal"):
            b, a = out["none"][f"categories_{label}"], out[name][f"categories_{label}"]
            out[name][f"mitigation_score_{label}"] = fbmem.mitigation_score(b, a)
            out[name][f"mitigation_score_official_{label}"] = fbmem.mitigation_score(b, a, official=True)
    backends = {spec.segmenter: out["none"]}
    for name, options in spec.compare_segmenters.items():
        seg = build(name, assets, **options)
        backends[name] = categories(fbmem.match(none_x, seg(none_x), cand, seg(cand), spec.k, spec.similarity), n_mem, spec.tau)
    cand_feat = features(trained.classifier, cand)
    return {
        "captions": prompts.captions, "groups": prompts.group, "memorized_prompts": int(prompts.memorized.sum()),
        "tau": spec.tau, "tau_cal": round(tau_cal, 6), "n_candidates": len(cand), "copy_ratio": spec.copy_ratio,
        "whole_fpr": spec.whole_fpr, "images_per_prompt": spec.images_per_prompt, "segmenter": spec.segmenter,
        "whole_scores": {k: v.round(6).tolist() for k, v in whole.similarities(none_x, cand, none_feat, cand_feat).items()},
        "fbmem_scores": base.flag_score.round(6).tolist(),  # flagged at τ ⇔ ≥ τ
        "segmenter_counts": {k: {"counts_tau": v["counts_tau"], "categories_tau": v["categories_tau"],
                                 "categories_generic_tau": v["categories_generic_tau"]} for k, v in backends.items()},
        "mitigations": out,
    }
