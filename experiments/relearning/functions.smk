# Helper functions of relearning/rules.smk (kept apart: snakemake --lint).


REL = config.get("relearning", {})
REL_RES = f"results/relearning/{REL.get('dataset', '')}"
REL_ART = f"artifacts/relearning/{REL.get('dataset', '')}"
REL_METHODS = {m["name"]: m for m in REL.get("methods", [])}
REL_SEEDS = REL.get("seeds", [])
REL_AUX = REL.get("dimra", {}).get("aux", [])
# classifier → original → replay is the long pole every unlearning job waits on: schedule it first.
REL_CRITICAL = 10
REL_SHARED = ("dataset", "resolution", "forget_class", "diffusion", "unet", "eval", "subset", "classifier_model")


def rel_spec(shared=REL_SHARED, **extra):
    """The shared setting plus one step's keys (only those re-run the step when changed)."""
    return spec({**{k: REL[k] for k in shared if k in REL}, "seed": REL.get("original_seed", 0), **extra})


def rel_grid(pattern):
    return [pattern.format(name=n, seed=REL_SEEDS[0], aux=REL_AUX[0]) for n in REL_METHODS]


# Beyond the paper: relearning after P1's classifier unlearning, on P1's poisoned models of one setting.
REL_PR = REL.get("poison_relearn", {})
REL_PU = config.get("poison_unlearning", {})
REL_PU_ROOT = f"results/poison_unlearning/{REL_PR.get('setting', '')}"


def rel_pu_setting():
    dataset, attack = REL_PR["setting"].split("/")
    for s in REL_PU.get("settings", []):
        if (s["dataset"], s.get("name") or s["attack"]) == (dataset, attack):
            return s
    raise ValueError(f"relearning.poison_relearn.setting {REL_PR['setting']!r} is not a poison_unlearning setting")


def rel_pu_method(method):
    return next((m for m in REL_PU.get("methods", []) if m["name"] == method), {})


def rel_pr_spec(w):
    s, m = rel_pu_setting(), rel_pu_method(w.method)
    p1 = {"setting": s, "seeds": REL_SEEDS, "method": w.method, "budget_pct": float(REL_PR["budget"]),
          "method_spec": {k: v for k, v in m.items() if k != "name"}, "tolerance": REL_PU["tolerance"],
          "datasets": [s["dataset"]]}
    return spec({"p1": p1, "finetune": REL_PR["finetune"]})


def rel_pr_tuning(w):
    return [f"{REL_PU_ROOT}/{w.method}/tuning/metrics.json"] if rel_pu_method(w.method).get("tune") else []
