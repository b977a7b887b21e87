# Helper functions of camouflage/rules.smk (kept apart: snakemake --lint).


CAMO = config.get("camouflage", {})


def camo_merge(base, over):
    """Recursive dict merge: a variant's fields replace its run's, nested mappings field by field."""
    out = dict(base)
    for k, v in over.items():
        out[k] = camo_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def camo_spec(w):
    run = {k: v for k, v in CAMO["runs"][w.run].items() if k != "variants"}
    variant = CAMO["runs"][w.run]["variants"][w.variant]
    return spec({**camo_merge(run, variant), "run": w.run, "variant": w.variant, "seed": int(w.seed)})


CAMO_JOBS = [
    f"results/camouflage/{run}/{variant}/seed={seed}"
    for run, r in sorted(CAMO.get("runs", {}).items())
    for variant in sorted(r["variants"])
    for seed in CAMO.get("seeds", [])
]


