# Helper functions of relearning/rules.smk (kept apart: snakemake --lint).


REL = config.get("relearning", {})
REL_RES = f"results/relearning/{REL.get('dataset', '')}"
REL_ART = f"artifacts/relearning/{REL.get('dataset', '')}"
REL_METHODS = {m["name"]: m for m in REL.get("methods", [])}
REL_SHARED = ("dataset", "resolution", "forget_class", "diffusion", "unet", "eval", "subset", "classifier_model")


def rel_spec(shared=REL_SHARED, **extra):
    """The shared setting plus one step's keys (only those re-run the step when changed)."""
    return spec({**{k: REL[k] for k in shared if k in REL}, "seed": REL.get("original_seed", 0), **extra})


def rel_grid(pattern):
    return [pattern.format(name=n, seed=REL["seeds"][0], aux=REL["dimra"]["aux"][0]) for n in REL_METHODS]


