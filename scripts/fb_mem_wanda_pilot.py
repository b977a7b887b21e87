"""P3 pilot (experiments/fb_mem/README.md, "Sixth pass"): how much of each value projection Wanda
may prune before utility breaks, on models the default profile does not report.

For each ``--seeds`` value it trains the denoiser and the scene classifier exactly as
``fb_mem.train`` does (or loads them from ``--cache``), flags the memorized prompts with NeMo's
test (as the profile's ``wanda`` mitigation does), and for each ``--fractions`` value prunes the
flagged prompts' Wanda scores and prints (1) the copies (d1/d2 < 1/3, Gu et al. 2023) of every
memorized prompt that copies unpruned, over the profile's sampling seeds, and (2) the copies among
``--generic-images`` generations of each of the evaluation's generic prompts (sampling seed
``--alignment-seed``) and their alignment: how often the scene classifier predicts the caption's item.
The README's rule reads the fraction off this table: the largest value whose alignment stays
within 0.05 of the unpruned model's, at it and at every smaller value, on every pilot model.

    python scripts/fb_mem_wanda_pilot.py --seeds 100,101 --cache /tmp/wanda-pilot
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
import yaml

from residue.compute import Meter
from residue.config import typed
from residue.data.sources.fb_mem_scenes import load_scenes
from residue.diffusion import to_unit_range
from residue.experiments.fb_mem.assets import TrainJobSpec
from residue.experiments.fb_mem.evaluate import distinct
from residue.experiments.fb_mem.prompts import choose
from residue.experiments.fb_mem.train import fit_classifier, fit_denoiser, untrained
from residue.experiments.fb_mem.utility import alignment
from residue.memorization import copy_test
from residue.memorization.mitigations.lab import Lab
from residue.memorization.mitigations.nemo import memorized
from residue.memorization.mitigations.wanda import prune


def trained(scenes, spec: TrainJobSpec, cache: Path | None):
    """The seed's denoiser and classifier as ``fb_mem.train`` makes them (the segmenter is not needed)."""
    t = untrained(scenes, spec)
    parts = {"denoiser": lambda: fit_denoiser(t, scenes, spec, Meter(), desc=f"denoiser/seed={spec.seed}"),
             "classifier": lambda: fit_classifier(t, scenes, spec, Meter(), desc="classifier")}
    for name, train in parts.items():
        path = cache / f"{name}-{spec.seed}.pt" if cache else None
        if path and path.exists():
            getattr(t, name).load_state_dict(torch.load(path, weights_only=True))
            continue
        train()
        if path:
            path.parent.mkdir(parents=True, exist_ok=True)
            torch.save(getattr(t, name).state_dict(), path)
    t.denoiser.eval()
    t.classifier.eval()
    return t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="config/default.yaml")
    ap.add_argument("--seeds", default="100,101", help="training seeds (and prompt draws) the profile does not report")
    ap.add_argument("--fractions", default="0,0.01,0.02,0.03,0.04,0.05,0.07,0.1,0.2")
    ap.add_argument("--generic-images", type=int, default=24, help="generations per generic prompt for the alignment")
    ap.add_argument("--alignment-seed", type=int, default=7, help="sampling seed of the alignment's generations")
    ap.add_argument("--cache", type=Path, default=None, help="folder for the trained denoisers and classifiers")
    args = ap.parse_args()
    torch.set_num_threads(1)
    cfg = yaml.safe_load(open(args.config))["fb_mem"]
    ev = cfg["evaluate"]
    scenes = load_scenes()
    keep = distinct(scenes.data.train.x)
    cand = torch.from_numpy(scenes.data.train.x[keep].astype(np.float32) / 255)
    for seed in map(int, args.seeds.split(",")):
        spec = typed(TrainJobSpec, {**cfg["train"], "seed": seed}, "fb_mem.train")
        t = trained(scenes, spec, args.cache)
        prompts = choose(scenes, ev["generic_prompts"], ev["reference_prompts"], seed)
        tokens, generic = t.tokenizer(prompts.captions), ~prompts.memorized
        lab = Lab(t.denoiser, spec.diffusion, t.tokenizer(prompts.reference), ev["images_per_prompt"], 0, ev["detect_seeds"])
        flagged = tokens[torch.tensor([memorized(lab, tk) for tk in tokens])]
        labs = [Lab(t.denoiser, spec.diffusion, lab.reference, ev["images_per_prompt"], s) for s in cfg["sample_seeds"]]
        wide = Lab(t.denoiser, spec.diffusion, lab.reference, args.generic_images, args.alignment_seed)
        items = np.repeat(np.array(prompts.item)[generic], args.generic_images)
        print(f"model {seed}: NeMo flags {len(flagged)} of {len(tokens)} prompts", flush=True)
        watch = None
        for fraction in map(float, args.fractions.split(",")):
            model, zeroed = prune(t.denoiser, flagged, fraction) if fraction and len(flagged) else (t.denoiser, 0)
            ratios = [np.concatenate([copy_test.nn_ratio(to_unit_range(lb.sample(model, tokens[p], p)), cand)[0]
                                 for lb in labs]) for p in np.flatnonzero(prompts.memorized)]
            copies = np.array([int((r < copy_test.RATIO).sum()) for r in ratios])
            watch = np.flatnonzero(copies) if watch is None else watch  # the prompts that copy unpruned
            gen = torch.cat([to_unit_range(wide.sample(model, tokens[p], p)) for p in np.flatnonzero(generic)])
            shown = ", ".join(f"{prompts.captions[i]} {copies[i]}/{len(ratios[i])}" for i in watch)
            generic_copies = int((copy_test.nn_ratio(gen, cand)[0] < copy_test.RATIO).sum())
            print(f"  fraction {fraction:.2f} ({zeroed} weights zeroed): copies {shown or 'none'}; generic copies "
                  f"{generic_copies}/{len(gen)}; generic alignment {alignment(t.classifier, gen, items):.3f}", flush=True)


if __name__ == "__main__":
    main()
