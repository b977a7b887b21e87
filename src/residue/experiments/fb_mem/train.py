"""``fb_mem.train``: for one training seed, the text-conditional denoiser (DDPM, L_simple with
condition dropout), the learned segmenter (on the training scenes' masks) and the scene
classifier (Fashion-MNIST item of the scene; the feature space of the utility proxy).
Metrics: final losses, each segmenter backend's IoU on the held-out scenes, classifier accuracy."""

from __future__ import annotations

import numpy as np
import torch

from ...config import typed
from ...data.sources.fb_mem_scenes import load_scenes
from ...diffusion import to_model_range, train_denoiser
from ...registries import JOBS
from ...segmentation import learned
from ...segmentation.base import Assets, build, iou
from ...seeding import derive
from ...training import accuracy, fit
from .assets import TrainJobSpec, fresh


def untrained(scenes, spec: TrainJobSpec):
    """The seed's untrained models, initialised from ``derive(seed, "model")`` (the job's and the pilots')."""
    torch.manual_seed(derive(spec.seed, "model"))
    return fresh(scenes.vocab, spec)


def fit_denoiser(t, scenes, spec: TrainJobSpec, meter, **kw):
    """L_simple with condition dropout on the training scenes under their captions (PAPERS.md §P3)."""
    x, _ = scenes.data.train.tensors()
    return train_denoiser(t.denoiser, to_model_range(x), t.tokenizer(scenes.train_captions), spec.diffusion, spec.optim,
                          spec.seed, meter, **kw)


def fit_classifier(t, scenes, spec: TrainJobSpec, meter, **kw):
    """The scene classifier (the item of the scene) on its own scenes, whose items no training or
    test scene has (``Scenes.classifier``), seeded from ``derive(seed, "cls")``."""
    x, y = scenes.classifier.tensors()
    return fit(t.classifier, x, y, spec.classifier, derive(spec.seed, "cls"), meter, **kw)


@JOBS.register("fb_mem.train")
def train(ctx) -> dict:
    spec = typed(TrainJobSpec, ctx.spec, "fb_mem.train")
    scenes = load_scenes()
    x, y = scenes.data.train.tensors()
    x_te, y_te = scenes.data.test.tensors()
    t = untrained(scenes, spec)
    fit_denoiser(t, scenes, spec, ctx.meter, checkpoint=ctx.work_dir() / f"denoiser-{spec.seed}.ckpt",
                 desc=f"fb_mem/denoiser/seed={spec.seed}")
    t.segmenter = learned.train(x, torch.from_numpy(scenes.train_mask), spec.segmenter_steps, derive(spec.seed, "seg"), ctx.meter,
                                 noise=spec.segmenter_noise, precision=spec.segmenter_precision)
    hist = fit_classifier(t, scenes, spec, ctx.meter, desc="fb_mem/classifier")
    t.save(ctx.outputs["model"])
    masks_te = torch.from_numpy(scenes.test_mask).bool()
    assets = Assets(images=x_te, masks=masks_te, learned=t.segmenter)
    seg_iou = {}
    for name, options in spec.segmenters.items():
        seg_iou[name] = float(np.mean(iou(build(name, assets, **options)(x_te), masks_te)))
    (ctx.work_dir() / f"denoiser-{spec.seed}.ckpt").unlink(missing_ok=True)
    return {
        "classifier_loss": hist.loss,
        "classifier_test_accuracy": accuracy(t.classifier, x_te, y_te),
        "segmenter_iou": seg_iou,
        "n_train": len(y),
        "denoiser_steps": spec.optim.steps,
        "denoiser_parameters": sum(p.numel() for p in t.denoiser.parameters()),
    }
