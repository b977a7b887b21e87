# P2, camouflaged poisoning (arXiv 2212.10717): see experiments/camouflage/README.md.
# One job per (run, variant, seed) runs `targets` trials; a variant overrides fields of its run
# (the ablations: camouflage budget, ε, partial deletion).  The summary writes tables, figures, claims.

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


rule camouflage_trials:
    input:
        data=lambda w: f"data/{CAMO['runs'][w.run]['dataset']}/manifest.json",
    output:
        metrics="results/camouflage/{run}/{variant}/seed={seed}/metrics.json",
        examples="results/camouflage/{run}/{variant}/seed={seed}/examples.npy",
    params:
        spec=camo_spec,
        wildcards=wildcards_json,
        io=io_args,
    log:
        "logs/camouflage/{run}/{variant}/seed={seed}.log",
    threads: 1
    resources:
        mem_mb=3000,
        runtime=60,
    shell:
        JOB.format(name="camouflage.trials")


rule camouflage_summarise:
    input:
        metrics=[f"{j}/metrics.json" for j in CAMO_JOBS],
        examples=[f"{j}/examples.npy" for j in CAMO_JOBS],
    output:
        table=multiext("results/camouflage/table", ".csv", ".md", ".tex"),
        unlearning_table=multiext("results/camouflage/unlearning", ".csv", ".md", ".tex"),
        claims="results/camouflage/claims.json",
        fig_success=report("figures/camouflage/success.png", caption="../../report/camouflage_success.rst", category="camouflage"),
        fig_margins=report("figures/camouflage/margins.png", caption="../../report/camouflage_margins.rst", category="camouflage"),
        fig_ablations=report("figures/camouflage/ablations.png", caption="../../report/camouflage_ablations.rst", category="camouflage"),
        fig_examples=report("figures/camouflage/examples.png", caption="../../report/camouflage_examples.rst", category="camouflage"),
        fig_unlearning=report("figures/camouflage/unlearning.png", caption="../../report/camouflage_unlearning.rst", category="camouflage"),
        pdfs=expand("figures/camouflage/{f}.pdf", f=["success", "margins", "ablations", "examples", "unlearning"]),
    params:
        spec=lambda w: spec({}),
        wildcards=wildcards_json,
        io=io_args,
    log:
        "logs/camouflage/summarise.log",
    shell:
        JOB.format(name="camouflage.summarise")
