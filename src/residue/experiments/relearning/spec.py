"""The ``relearning:`` config section as typed objects (schema: config/schema.yaml)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ...diffusion import DiffusionSpec, OptimSpec
from ...training import TrainSpec


@dataclass(frozen=True)
class UNetSpec:
    block_out_channels: tuple[int, ...] = (16, 32)
    layers_per_block: int = 1
    attention: bool = False


@dataclass(frozen=True)
class MethodSpec:
    method: str  # a DIFFUSION_UNLEARNING name
    opt: OptimSpec
    hp: dict = field(default_factory=dict)


@dataclass(frozen=True)
class EvalSpec:
    forget_samples: int = 100  # generations prompted with c_f for UA
    per_class_samples: int = 112  # generations per retained class for accuracy and KID (9 × 112 = 1008)
    curve_samples: int = 32  # c_f generations at each point of the relearning curve
    reference_images: int = 2000  # real retained-class test images: the KID reference
    kid_subsets: int = 50  # KID: random subsets averaged (their spread is the estimate's error)
    kid_subset_size: int = 500
    grid: int = 8  # images per row in the sample grids


@dataclass(frozen=True)
class DimraSpec:
    opt: OptimSpec
    curve_points: int = 4  # evaluate UA this many times along the attack


@dataclass(frozen=True)
class JobSpec:
    """One job's slice of ``relearning:``: the shared setting plus the keys of its step (the rule
    passes only those, so Snakemake re-runs exactly the jobs whose slice changed)."""

    dataset: str
    resolution: int
    forget_class: int
    diffusion: DiffusionSpec = field(default_factory=DiffusionSpec)  # not in the classifier's slice
    unet: UNetSpec = field(default_factory=UNetSpec)
    eval: EvalSpec = field(default_factory=EvalSpec)
    seed: int = 0  # the shared models' seed (classifier, original model, replay)
    seeds: tuple[int, ...] = ()  # relearning.unlearn / .dimra: one cell per seed
    subset: int | None = None  # train on a seeded subset of the training set (smoke)
    classifier_model: str = "cnn"
    classifier: TrainSpec | None = None  # relearning.classifier
    train: OptimSpec | None = None  # relearning.original
    replay_per_class: int = 32  # relearning.replay: original-model samples per retained class
    name: str | None = None  # relearning.unlearn / .dimra: the method entry's name in the config
    method: MethodSpec | None = None  # relearning.unlearn
    aux: tuple[str, ...] = ()  # relearning.dimra: the auxiliary sets
    dimra: DimraSpec | None = None
    device: str = "auto"
