"""P2's job grid: one trials job per (run, variant, seed) and the summary (rules.smk only calls
this; torch-free).  A variant's fields replace its run's (the ablations), nested mappings field by
field, so a job's config slice is the run merged with the variant."""

from __future__ import annotations

ROOT = "results/camouflage"


def merge(base: dict, over: dict) -> dict:
    """Recursive dict merge: ``over``'s fields replace ``base``'s, nested mappings field by field."""
    out = dict(base)
    for k, v in over.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


class Plan:
    """The grid of one config (the Snakefile's, the schema's defaults filled in)."""

    def __init__(self, config: dict):
        self.section = config.get("camouflage", {})
        self.runs = self.section.get("runs", {})
        self.jobs = [f"{ROOT}/{run}/{variant}/seed={seed}" for run, r in sorted(self.runs.items())
                     for variant in sorted(r["variants"]) for seed in self.section.get("seeds", [])]

    def data(self, run: str) -> str:
        return f"data/{self.runs[run]['dataset']}/manifest.json"

    def trials(self, run: str, variant: str, seed: int) -> dict:
        base = {k: v for k, v in self.runs[run].items() if k != "variants"}
        return {**merge(base, self.runs[run]["variants"][variant]), "run": run, "variant": variant, "seed": seed}

    def summary_inputs(self) -> dict[str, list[str]]:
        return {"metrics": [f"{j}/metrics.json" for j in self.jobs], "examples": [f"{j}/examples.npy" for j in self.jobs]}
