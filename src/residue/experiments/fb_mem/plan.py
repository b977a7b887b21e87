"""P3's job grid: train (training seed) → evaluate (training seed × sampling seed) → summarise
(rules.smk only calls this; torch-free)."""

from __future__ import annotations

ROOT = "results/fb_mem"


DATASET = "fb_mem_scenes"  # data/fb_mem_scenes, the only data P3 reads


class Plan:
    """The grid of one config (the Snakefile's, the schema's defaults filled in)."""

    def __init__(self, config: dict):
        self.section = config.get("fb_mem", {})
        self.train_seeds = self.section.get("train_seeds", [])
        self.sample_seeds = self.section.get("sample_seeds", [])

    def train(self, train_seed: int) -> dict:
        """The training recipe; ``dataset`` puts the scenes' DVC hash into metrics.json (lineage)."""
        return {**self.section["train"], "seed": train_seed, "dataset": DATASET}

    def evaluate(self, train_seed: int, sample_seed: int) -> dict:
        """The evaluation's own keys plus the training recipe of the model it samples."""
        return {**self.section["evaluate"], "train": self.train(train_seed), "sample_seed": sample_seed, "dataset": DATASET}

    def summary_inputs(self) -> dict[str, list[str]]:
        runs = [f"{ROOT}/train_seed={t}/sample_seed={s}" for t in self.train_seeds for s in self.sample_seeds]
        return {**{k: [f"{r}/{f}" for r in runs] for k, f in (("metrics", "metrics.json"), ("samples", "samples.npy"),
                                                                  ("masks", "masks.npy"))},
                "train": [f"{ROOT}/train_seed={t}/metrics.json" for t in self.train_seeds]}
