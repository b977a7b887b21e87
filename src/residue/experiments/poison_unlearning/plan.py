"""P1's job grid: which jobs exist, where each writes, and the config slice each one gets.

``rules.smk`` only calls this (torch-free, so the DAG builds fast).  Grid: poison (dataset ×
setting × seed, the reported seeds and the tuning seeds) → tune (dataset × setting × method, on
the tuning seeds) → unlearn (dataset × setting × method; one job loops over budgets × seeds);
hypotheses (seed); summarise.  A job's slice holds exactly the config it reads, so changing one
entry re-runs only the jobs whose slice contains it (Snakemake's params trigger).
"""

from __future__ import annotations

from ...registries import DATASETS

ROOT = "results/poison_unlearning"
REFERENCE_BUDGET = {"none": 0, "retrain": 100}  # the references' one budget, % of the retrain cost
TUNING_SEEDS = (100, 101)  # the default of ``tuning.seeds``: never among the reported seeds


class Plan:
    """The grid of one config (the Snakefile's, the schema's defaults filled in)."""

    def __init__(self, config: dict):
        self.section = config.get("poison_unlearning", {})
        # the {attack} wildcard is the setting's name (default: its attack)
        self.settings = {f"{s['dataset']}/{s.get('name') or s['attack']}": s for s in self.section.get("settings", [])}
        self.methods = {m["name"]: {k: v for k, v in m.items() if k != "name"} for m in self.section.get("methods", [])}
        self.seeds = self.section.get("seeds", [])
        self.tuning_seeds = list(self.section.get("tuning", {}).get("seeds", TUNING_SEEDS))

    # --- paths ------------------------------------------------------------------------------
    @staticmethod
    def data(dataset: str) -> list[str]:
        """The DVC-tracked dataset a setting reads (none for the text corpus, built in the job)."""
        return [f"data/{dataset}/manifest.json"] if dataset in DATASETS else []

    def seeds_of(self, dataset: str, attack: str) -> list[int]:
        """The setting's reported seeds: its own ``seeds`` (a targeted attack's targets are its units,
        and one costs seconds) or the section's."""
        return self.settings[f"{dataset}/{attack}"].get("seeds", self.seeds)

    def poisoned(self, dataset: str, attack: str, seeds, file: str = "model.pt") -> list[str]:
        return [f"{ROOT}/{dataset}/{attack}/poisoned/seed={s}/{file}" for s in seeds]

    def tuning_result(self, dataset: str, attack: str, method: str) -> list[str]:
        """The tune job's output an unlearn job reads (none for a method without ``tune``)."""
        return [f"{ROOT}/{dataset}/{attack}/{method}/tuning/metrics.json"] if self.tuned(method) else []

    def summary_inputs(self) -> dict[str, list[str]]:
        pairs = [tuple(k.split("/")) for k in self.settings]  # (dataset, attack)
        return {
            "poisoned": [p for ds, atk in pairs for p in self.poisoned(ds, atk, self.seeds_of(ds, atk), "metrics.json")],
            "tuning": [p for ds, atk in pairs for m in self.methods for p in self.tuning_result(ds, atk, m)],
            "unlearn": [f"{ROOT}/{k}/{m}/unlearn/metrics.json" for k in self.settings for m in [*REFERENCE_BUDGET, *self.methods]],
            "hypotheses": [f"{ROOT}/hypotheses/seed={s}/metrics.json" for s in self.seeds],
        }

    # --- config slices ----------------------------------------------------------------------
    def tuned(self, method: str) -> bool:
        return bool(self.methods.get(method, {}).get("tune"))

    def budgets(self, method: str) -> list:
        """The budgets (% of the retrain cost) one unlearn job sweeps; the references have one each."""
        return [REFERENCE_BUDGET[method]] if method in REFERENCE_BUDGET else self.section["budgets"]

    def _job(self, dataset: str, attack: str, **extra) -> dict:
        s = {k: v for k, v in self.settings[f"{dataset}/{attack}"].items() if k != "seeds"}  # seeds go to the jobs that loop
        return {"setting": {**s, "val_fraction": self.section["val_fraction"]}, "datasets": [s["dataset"]] if s["dataset"] in DATASETS else [],
                "tolerance": self.section["tolerance"], **extra}

    def _method(self, method: str) -> dict:
        return {"method": method, "method_spec": self.methods.get(method, {})}

    def poison(self, dataset: str, attack: str, seed: int) -> dict:
        return self._job(dataset, attack, seed=seed)

    def tune(self, dataset: str, attack: str, method: str) -> dict:
        """Tuning runs at the largest budget, on the tuning seeds' poisoned models."""
        return self._job(dataset, attack, seed=self.tuning_seeds[0], budget_pct=max(self.section["budgets"]),
                         tuning=self.section.get("tuning", {}), **self._method(method))

    def unlearn(self, dataset: str, attack: str, method: str) -> dict:
        return self._job(dataset, attack, seeds=self.seeds_of(dataset, attack), budgets=self.budgets(method), **self._method(method))

    def hypotheses(self, seed: int) -> dict:
        h = self.section["hypotheses"]
        return {**h, "seed": seed, "datasets": [h["dataset"]]}
