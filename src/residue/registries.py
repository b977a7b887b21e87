"""Every registry of the package in one place (each is filled by its own sub-package)."""

from .registry import Registry

DATASETS = Registry("dataset", "residue.data.sources")
MODELS = Registry("model", "residue.models")
OPTIMIZERS = Registry("optimizer", "residue.training.optimizers")
ATTACKS = Registry("attack", "residue.attacks")
UNLEARNING = Registry("unlearning method", "residue.unlearning")
SEGMENTERS = Registry("segmenter", "residue.segmentation")
MITIGATIONS = Registry("mitigation", "residue.memorization.mitigations")
DIFFUSION_UNLEARNING = Registry("diffusion unlearning method", "residue.diffusion.unlearning")
JOBS = Registry("job", "residue.experiments")
