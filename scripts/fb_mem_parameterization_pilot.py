"""P3 pilot (experiments/fb_mem/README.md, "Fourth pass"): which denoiser parameterization makes the
engineered prompts copy their scenes by the copy test (Gu et al. 2023), at the default profile's
model, data and step budget.  For each ``--predict`` value it trains one denoiser exactly as
``fb_mem.train`` does (same seed, data, optimiser and steps; only ``diffusion.prediction_type``
differs), then samples the evaluation's prompts (memorized groups and generic captions) with each
``--samplers`` setting and prints, per prompt group, the copies (d1/d2 < 1/3) and the median d1/d2
against the distinct training scenes.  Use a training seed that the default profile does not report.

    python scripts/fb_mem_parameterization_pilot.py --predict epsilon,v_prediction,sample --seed 100
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np
import torch
import yaml

from residue.compute import Meter
from residue.config import typed
from residue.data.sources.fb_mem_scenes import load_scenes
from residue.diffusion import ddim_sample, to_unit_range
from residue.experiments.fb_mem.assets import TrainJobSpec
from residue.experiments.fb_mem.evaluate import distinct
from residue.experiments.fb_mem.prompts import choose
from residue.experiments.fb_mem.train import fit_denoiser, untrained
from residue.memorization import copy_test

GROUPS = ("verbatim", "foreground", "background", "generic")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="config/default.yaml")
    ap.add_argument("--predict", default="epsilon,sample", help="comma-separated diffusers prediction types")
    ap.add_argument("--seed", type=int, default=100, help="training seed (and the prompt draw); not one the profile reports")
    ap.add_argument("--samplers", default="10:2,10:1,50:2", help="DDIM steps:guidance pairs")
    ap.add_argument("--images", type=int, default=3, help="images per prompt")
    args = ap.parse_args()
    torch.set_num_threads(1)
    cfg = yaml.safe_load(open(args.config))["fb_mem"]
    ev = cfg["evaluate"]
    scenes = load_scenes()
    keep = distinct(scenes.data.train.x)
    cand = torch.from_numpy(scenes.data.train.x[keep].astype(np.float32) / 255)
    prompts = choose(scenes, ev["generic_prompts"], ev["reference_prompts"], args.seed)
    groups = np.repeat(prompts.group, args.images)
    for kind in args.predict.split(","):
        spec = typed(TrainJobSpec, {**cfg["train"], "seed": args.seed}, "fb_mem.train")
        spec = replace(spec, diffusion=replace(spec.diffusion, prediction_type=kind))
        t = untrained(scenes, spec)
        start = time.process_time()
        fit_denoiser(t, scenes, spec, Meter(), desc=f"{kind}")
        cpu = time.process_time() - start
        t.denoiser.eval()
        cond = t.tokenizer(prompts.captions).repeat_interleave(args.images, 0)
        for pair in args.samplers.split(","):
            steps, w = pair.split(":")
            sampler = replace(spec.diffusion, sample_steps=int(steps), guidance=float(w))
            gen = to_unit_range(ddim_sample(t.denoiser, cond, sampler, (3, 32, 32), seed=0))
            ratio = copy_test.nn_ratio(gen, cand)[0]
            row = [f"{g} {(ratio[groups == g] < copy_test.RATIO).sum()}/{(groups == g).sum()} copies, "
                   f"median {np.median(ratio[groups == g]):.3f}" for g in GROUPS]
            print(f"{kind} ({cpu:.0f} CPU-s) DDIM {steps} w {w}: " + "; ".join(row), flush=True)


if __name__ == "__main__":
    main()
