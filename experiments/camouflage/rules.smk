# P2, camouflaged poisoning (arXiv 2212.10717): see experiments/camouflage/README.md.
# One job per (run, variant, seed) runs `targets` trials; a variant overrides fields of its run
# (the ablations: camouflage budget, ε, partial deletion).  The summary writes tables, figures, claims.

import residue.experiments.camouflage.plan as camo_plan

CAMO = camo_plan.Plan(config)  # the job grid and each job's config slice (src/residue/experiments/camouflage/plan.py)

rule camouflage_trials:
    input:
        data=lambda w: CAMO.data(w.run),
    output:
        metrics="results/camouflage/{run}/{variant}/seed={seed}/metrics.json",
        examples="results/camouflage/{run}/{variant}/seed={seed}/examples.npy",
    params:
        spec=lambda w: spec(CAMO.trials(w.run, w.variant, int(w.seed))),
        wildcards=wildcards_json,
        io=io_args,
    log:
        "logs/camouflage/{run}/{variant}/seed={seed}.log",
    threads: JOB_THREADS
    resources:
        mem_mb=3000,
        runtime=60,
    conda:
        CONDA_ENV
    shell:
        JOB.format(name="camouflage.trials")


rule camouflage_summarise:
    input:
        **CAMO.summary_inputs(),
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
    conda:
        CONDA_ENV
    shell:
        JOB.format(name="camouflage.summarise")
