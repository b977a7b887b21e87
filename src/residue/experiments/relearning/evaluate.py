"""Scoring a denoiser: generate with guided DDIM, classify, and summarise (UA, retained-class
accuracy, KID against real retained-class test images)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ...diffusion import ClassConditionalUNet, ddim_sample, to_unit_range
from ...io import load_torch
from ...models import build
from ...training import predict
from .data import Images, split_forget
from .metrics import features, kid, retained_accuracy, unlearning_accuracy
from .spec import JobSpec


def build_unet(spec: JobSpec, num_classes: int) -> ClassConditionalUNet:
    u = spec.unet
    return ClassConditionalUNet(num_classes, spec.resolution, 1, tuple(u.block_out_channels), u.layers_per_block, u.attention)


def build_classifier(spec: JobSpec, num_classes: int) -> torch.nn.Sequential:
    return build(spec.classifier_model, (1, spec.resolution, spec.resolution), num_classes)


def load_model(model: torch.nn.Module, path, device) -> torch.nn.Module:
    model.load_state_dict(load_torch(path))
    return model.to(device).eval()


@dataclass
class Evaluator:
    spec: JobSpec
    classifier: torch.nn.Sequential
    reference: np.ndarray  # classifier features of real retained-class test images
    num_classes: int

    @classmethod
    def create(cls, spec: JobSpec, data: Images, classifier_path, device) -> "Evaluator":
        clf = load_model(build_classifier(spec, data.num_classes), classifier_path, device)
        x_ref = split_forget(data.test, spec.forget_class)[0][0][: spec.eval.reference_images]
        return cls(spec, clf, features(clf, x_ref), data.num_classes)

    @property
    def retained(self) -> list[int]:
        return [c for c in range(self.num_classes) if c != self.spec.forget_class]

    def generate(self, model, cond: torch.Tensor, seed: int) -> torch.Tensor:
        shape = (1, self.spec.resolution, self.spec.resolution)
        return to_unit_range(ddim_sample(model, cond, self.spec.diffusion, shape, seed))

    def ua(self, model, n: int, seed: int) -> tuple[float, torch.Tensor]:
        """UA of ``n`` c_f generations, and the generations."""
        x = self.generate(model, torch.full((n,), self.spec.forget_class), seed)
        return unlearning_accuracy(predict(self.classifier, x).argmax(1), self.spec.forget_class), x

    def kid(self, x: torch.Tensor, seed: int) -> dict:
        """KID of images ``x`` (in [0, 1]) against the reference, and its spread over subsets."""
        e = self.spec.eval
        mean, std = kid(features(self.classifier, x), self.reference, e.kid_subsets, e.kid_subset_size, seed)
        return {"kid": mean, "kid_std": std, "n_kid_samples": len(x)}

    def grid(self, model, seed: int) -> np.ndarray:
        """A few generations of the first retained class, for the figures only."""
        return self.generate(model, torch.full((self.spec.eval.grid,), self.retained[0]), seed).numpy()

    def score(self, model, seed: int) -> tuple[dict, dict[str, np.ndarray]]:
        """UA, retained-class accuracy and KID (``per_class_samples`` per retained class); plus
        sample grids for the figures."""
        e = self.spec.eval
        ua, x_f = self.ua(model, e.forget_samples, seed)
        prompted = torch.tensor(self.retained).repeat_interleave(e.per_class_samples)
        x_r = self.generate(model, prompted, seed + 1)
        pred = predict(self.classifier, x_r).argmax(1)
        per_class = {str(c): retained_accuracy(pred[prompted == c], prompted[prompted == c]) for c in self.retained}
        metrics = {
            "ua": ua,
            "n_forget_samples": len(x_f),
            "retained_accuracy": retained_accuracy(pred, prompted),
            "retained_accuracy_per_class": per_class,
            **self.kid(x_r, seed + 2),
        }
        show = self.retained[0]
        grids = {"forget": x_f[: e.grid].numpy(), "retained": x_r[prompted == show][: e.grid].numpy()}
        return metrics, grids
