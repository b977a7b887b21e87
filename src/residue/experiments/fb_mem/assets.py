"""The trained artefacts of one training seed (denoiser, segmenter, classifier), saved as one
weights-only checkpoint and rebuilt from it; and the scene classifier's feature map."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from ...diffusion import DiffusionSpec, OptimSpec
from ...diffusion.text import TextConditionalUNet, TextUNetSpec, Tokenizer
from ...io import load_torch, save_torch
from ...models import build
from ...segmentation.learned import network
from ...training import TrainSpec
from .plan import DATASET


@dataclass(frozen=True)
class TrainJobSpec:
    seed: int
    model: TextUNetSpec = TextUNetSpec()
    optim: OptimSpec = OptimSpec()
    diffusion: DiffusionSpec = DiffusionSpec()
    segmenter_steps: int = 300
    segmenter_noise: float = 0.0  # σ bound of the learned segmenter's noise augmentation
    segmenter_precision: str = "fp32"  # the learned segmenter's forward pass in training (residue.precision)
    classifier: TrainSpec = field(default_factory=TrainSpec)
    segmenters: dict = field(default_factory=dict)  # backends whose IoU is measured: {name: options}
    device: str = "auto"
    dataset: str = DATASET  # recorded for lineage (metrics.json's data hash); the scenes are the only data


@dataclass
class Trained:
    denoiser: TextConditionalUNet
    segmenter: torch.nn.Module
    classifier: torch.nn.Module
    tokenizer: Tokenizer

    def save(self, path) -> None:
        save_torch(path, {"denoiser": self.denoiser.state_dict(), "segmenter": self.segmenter.state_dict(),
                          "classifier": self.classifier.state_dict(), "vocab": self.tokenizer.vocab})


def fresh(vocab: list[str], spec: TrainJobSpec) -> Trained:
    return Trained(TextConditionalUNet(len(vocab), spec.model), network(),
                   build("cnn", (3, 32, 32), 10), Tokenizer(vocab, spec.model.max_len))


def load(path, spec: TrainJobSpec) -> Trained:
    state = load_torch(path)
    t = fresh(state["vocab"], spec)
    t.denoiser.load_state_dict(state["denoiser"])
    t.segmenter.load_state_dict(state["segmenter"])
    t.classifier.load_state_dict(state["classifier"])
    for m in (t.denoiser, t.segmenter, t.classifier):
        m.eval()
    return t


@torch.no_grad()
def features(classifier: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Penultimate-layer features of the scene classifier (the cosine baseline and the FD proxy)."""
    return classifier[:3](x)
