# Helper functions of poison_unlearning/rules.smk (kept apart: snakemake --lint).


from residue.registries import DATASETS

PU = config.get("poison_unlearning", {})
PU_ROOT = "results/poison_unlearning"
PU_SETTINGS = {f"{s['dataset']}/{s.get('name') or s['attack']}": s for s in PU.get("settings", [])}  # {attack} wildcard = setting name
PU_REFERENCE_BUDGET = {"none": 0, "retrain": 100}
PU_METHODS = {m["name"]: {k: v for k, v in m.items() if k != "name"} for m in PU.get("methods", [])}


def pu_job_spec(w, **extra):
    s = PU_SETTINGS[f"{w.dataset}/{w.attack}"]
    datasets = [s["dataset"]] if s["dataset"] in DATASETS else []
    setting = {**s, "val_fraction": PU.get("val_fraction", 0.1)}
    return spec({"setting": setting, "datasets": datasets, "tolerance": PU["tolerance"], **extra})


def pu_tuning_seeds():
    """Seeds the tune job trains poisoned models for and tunes on; never among the reported seeds."""
    return PU.get("tuning", {}).get("seeds", [100, 101])


def pu_method(w):
    return {"method": w.method, "method_spec": PU_METHODS.get(w.method, {})}


def pu_budgets(method):
    """The budgets (% of the retrain cost) one unlearn job sweeps; the references have one each."""
    return [PU_REFERENCE_BUDGET[method]] if method in PU_REFERENCE_BUDGET else PU["budgets"]


def pu_unlearn_paths():
    return [f"{PU_ROOT}/{key}/{m}/unlearn/metrics.json" for key in PU_SETTINGS for m in [*PU_REFERENCE_BUDGET, *PU_METHODS]]


def pu_tuned(method):
    return bool(PU_METHODS.get(method, {}).get("tune"))


