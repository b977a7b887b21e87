"""Fashion-MNIST at the diffusion resolution, the forget/retain split and DiMRA's auxiliary sets.

Images are resized once (bilinear, antialiased) to ``resolution``×``resolution``; the classifier
sees them in [0, 1], the denoisers in [-1, 1].  DiMRA's attacker never holds an image of the
forget class: every auxiliary set goes through :func:`without_class`, which refuses one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ...data import load
from ...diffusion import to_model_range
from ...errors import DataError
from ...seeding import derive
from .spec import JobSpec

Pair = tuple[torch.Tensor, torch.Tensor]  # (images, class ids)


@dataclass(frozen=True)
class Images:
    train: Pair  # images in [0, 1] at the diffusion resolution
    test: Pair
    num_classes: int
    classes: list[str]


def resize(x: torch.Tensor, size: int) -> torch.Tensor:
    if x.shape[-1] == size:
        return x
    return F.interpolate(x, size=(size, size), mode="bilinear", antialias=True, align_corners=False).clamp(0, 1)


def images(spec: JobSpec) -> Images:
    data = load(spec.dataset)
    train = data.train
    if spec.subset:  # the same subset for every job and seed: the original model is shared
        rng = np.random.default_rng(derive(0, "relearning-subset"))
        train = train.subset(np.sort(rng.permutation(len(train))[: spec.subset]))
    if not 0 <= spec.forget_class < data.num_classes:
        raise DataError(f"relearning.forget_class={spec.forget_class} is not a class of {spec.dataset} (0..{data.num_classes - 1})")
    pairs = []
    for split in (train, data.test):
        x, y = split.tensors()
        pairs.append((resize(x, spec.resolution), y))
    return Images(pairs[0], pairs[1], data.num_classes, data.classes)


def split_forget(pair: Pair, forget_class: int) -> tuple[Pair, Pair]:
    """(D_r, D_f): the examples of every class but c_f, and those of c_f."""
    x, y = pair
    keep = y != forget_class
    return (x[keep], y[keep]), (x[~keep], y[~keep])


def without_class(pair: Pair, forget_class: int, name: str) -> Pair:
    """Guard for DiMRA: an auxiliary set holding the forget class is refused."""
    if bool((pair[1] == forget_class).any()):
        raise DataError(f"DiMRA auxiliary set {name!r} contains the forget class {forget_class}")
    return pair


def retain_set(data: Images, replay: Pair, forget_class: int) -> Pair:
    """(a) D_r itself: the training split without c_f."""
    return split_forget(data.train, forget_class)[0]


def public_set(data: Images, replay: Pair, forget_class: int) -> Pair:
    """(b) a disjoint public split: the test split without c_f."""
    return split_forget(data.test, forget_class)[0]


def generated_set(data: Images, replay: Pair, forget_class: int) -> Pair:
    """(c) samples the original model generated for the retained classes."""
    return replay


AUX_SETS = {"retain": retain_set, "public": public_set, "generated": generated_set}


def aux_set(name: str, data: Images, replay: Pair, forget_class: int) -> Pair:
    """DiMRA's training data in [-1, 1], guaranteed free of c_f."""
    if name not in AUX_SETS:
        raise DataError(f"unknown DiMRA auxiliary set {name!r}; allowed: {', '.join(AUX_SETS)}")
    x, c = without_class(AUX_SETS[name](data, replay, forget_class), forget_class, name)
    return to_model_range(x), c
