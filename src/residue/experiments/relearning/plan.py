"""P4's job grid (rules.smk only calls this; torch-free): classifier, original (one shared model)
→ replay → unlearn per method (every seed) → dimra per method (every aux set and seed) →
summarise; beyond the paper, P1's poisoned models of one setting → poison_relearn per P1 method.

Each step's config slice is the shared setting plus that step's own keys, so changing a step's
key re-runs that step and what depends on it, nothing upstream.
"""

from __future__ import annotations

from ...errors import ConfigError
from ..poison_unlearning.plan import Plan as P1Plan

CRITICAL = 10  # classifier → original → replay is the long pole every unlearning job waits on: scheduled first
SHARED = ("dataset", "resolution", "forget_class", "diffusion", "unet", "eval", "subset", "classifier_model")
CLASSIFIER_SHARED = SHARED[:3] + SHARED[6:]  # the classifier does not depend on the diffusion model


class Plan:
    """The grid of one config (the Snakefile's, the schema's defaults filled in)."""

    def __init__(self, config: dict):
        self.section = config.get("relearning", {})
        dataset = self.section.get("dataset", "")
        self.results, self.artifacts = f"results/relearning/{dataset}", f"artifacts/relearning/{dataset}"
        self.methods = {m["name"]: m for m in self.section.get("methods", [])}
        self.seeds = self.section.get("seeds", [])
        self.aux = self.section.get("dimra", {}).get("aux", [])
        self.poison_relearn_section = self.section.get("poison_relearn", {})
        self.p1 = P1Plan(config)

    # --- config slices ----------------------------------------------------------------------
    def _step(self, shared=SHARED, **extra) -> dict:
        """The shared setting plus one step's keys (only those re-run the step when changed)."""
        return {**{k: self.section[k] for k in shared if k in self.section}, "seed": self.section.get("original_seed", 0), **extra}

    def classifier(self) -> dict:
        return self._step(CLASSIFIER_SHARED, classifier=self.section["classifier"])

    def original(self) -> dict:
        return self._step(train=self.section["train"])

    def replay(self) -> dict:
        return self._step(replay_per_class=self.section["replay_per_class"])

    def unlearn(self, name: str) -> dict:
        return self._step(name=name, method={k: v for k, v in self.methods[name].items() if k != "name"}, seeds=self.seeds)

    def dimra(self, name: str) -> dict:
        return self._step(name=name, aux=self.aux, dimra={k: v for k, v in self.section["dimra"].items() if k != "aux"},
                          seeds=self.seeds)

    def summarise(self) -> dict:
        return {"seeds": self.seeds, "aux": self.aux, "grid_aux": self.aux[0],
                "methods": {n: m["method"] for n, m in self.methods.items()}}

    # --- beyond the paper: relearning after P1's unlearning ---------------------------------
    @property
    def p1_setting_key(self) -> str:
        key = self.poison_relearn_section["setting"]
        if key not in self.p1.settings:
            raise ConfigError(f"config error at relearning.poison_relearn.setting: {key!r} is not a poison_unlearning "
                              f"setting; allowed: {', '.join(self.p1.settings)}")
        return key

    def poison_relearn_inputs(self, method: str) -> dict[str, list[str]]:
        if not self.poison_relearn_section:
            return {"model": [], "tuning": []}
        dataset, attack = self.p1_setting_key.split("/")
        return {"model": self.p1.poisoned(dataset, attack, self.seeds), "tuning": self.p1.tuning_result(dataset, attack, method)}

    def poison_relearn(self, method: str) -> dict:
        """P1's unlearning run (setting, method, its tuning, the budget in % of the retrain cost) on the
        shared seeds, then the fine-tuning attack."""
        s = self.p1.settings[self.p1_setting_key]
        p1 = {"setting": s, "seeds": self.seeds, "method": method, "budget_pct": float(self.poison_relearn_section["budget"]),
              "method_spec": self.p1.methods.get(method, {}), "tolerance": self.p1.section["tolerance"],
              "datasets": [s["dataset"]]}
        return {"p1": p1, "finetune": self.poison_relearn_section["finetune"]}

    # --- paths ------------------------------------------------------------------------------
    def grid(self, pattern: str) -> list[str]:
        """One sample grid per method (first seed, first aux set) for the figure."""
        return [pattern.format(name=n, seed=self.seeds[0], aux=self.aux[0]) for n in self.methods]
