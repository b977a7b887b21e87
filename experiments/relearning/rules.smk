# P4 — DiMRA / DiMUM (arXiv 2512.03564): see experiments/relearning/README.md.
# DAG: classifier, original (one cached model) → replay → unlearn per method (every seed)
#      → dimra per method (every aux set and seed) → summarise (table, claims, figures);
#      beyond the paper: P1's poisoned models → poison_relearn per P1 method → summarise.
# Model weights and sample grids go to artifacts/ (not committed); metrics.json to results/.

import residue.experiments.relearning.plan as rel_plan

REL = rel_plan.Plan(config)  # the job grid, paths and each job's config slice (src/residue/experiments/relearning/plan.py)
REL_RES, REL_ART, REL_SEEDS, REL_AUX = REL.results, REL.artifacts, REL.seeds, REL.aux


# The beyond-the-paper table consumes P1's poisoned models and tuning: with P1 left out of
# `experiments`, its rules are still included (only what that table needs runs; no P1 claims).
if REL.poison_relearn_section and "poison_unlearning" not in EXPERIMENTS:

    include: "../poison_unlearning/rules.smk"


rule relearning_classifier:
    input:
        data=f"data/{REL.section.get('dataset')}/manifest.json",
    output:
        model=f"{REL_ART}/classifier.pt",
        metrics=f"{REL_RES}/classifier/metrics.json",
    params:
        spec=lambda w: spec(REL.classifier()),
        wildcards=wildcards_json,
        io=io_args,
    log:
        "logs/relearning/classifier.log",
    threads: JOB_THREADS
    priority: rel_plan.CRITICAL
    resources:
        mem_mb=2000,
        runtime=30,
    conda:
        CONDA_ENV
    shell:
        JOB.format(name="relearning.classifier")


rule relearning_original:
    input:
        data=f"data/{REL.section.get('dataset')}/manifest.json",
        classifier=f"{REL_ART}/classifier.pt",
    output:
        model=f"{REL_ART}/original/model.pt",
        samples=f"{REL_ART}/original/samples.pt",
        metrics=f"{REL_RES}/original/metrics.json",
    params:
        spec=lambda w: spec(REL.original()),
        wildcards=wildcards_json,
        io=io_args,
    log:
        "logs/relearning/original.log",
    threads: JOB_THREADS
    priority: rel_plan.CRITICAL
    resources:
        mem_mb=3000,
        runtime=120,
    conda:
        CONDA_ENV
    shell:
        JOB.format(name="relearning.original")


rule relearning_replay:
    input:
        classifier=f"{REL_ART}/classifier.pt",
        original=f"{REL_ART}/original/model.pt",
    output:
        samples=f"{REL_ART}/replay.pt",
        metrics=f"{REL_RES}/replay/metrics.json",
    params:
        spec=lambda w: spec(REL.replay()),
        wildcards=wildcards_json,
        io=io_args,
    log:
        "logs/relearning/replay.log",
    threads: JOB_THREADS
    priority: rel_plan.CRITICAL
    resources:
        mem_mb=2000,
        runtime=30,
    conda:
        CONDA_ENV
    shell:
        JOB.format(name="relearning.replay")


rule relearning_unlearn:
    wildcard_constraints:
        name="[^/]+",
    input:
        classifier=f"{REL_ART}/classifier.pt",
        original=f"{REL_ART}/original/model.pt",
        replay=f"{REL_ART}/replay.pt",
    output:
        model=[f"{REL_ART}/{{name}}/seed={s}/model.pt" for s in REL_SEEDS],
        samples=[f"{REL_ART}/{{name}}/seed={s}/samples.pt" for s in REL_SEEDS],
        metrics=f"{REL_RES}/{{name}}/unlearn/metrics.json",
    params:
        spec=lambda w: spec(REL.unlearn(w.name)),
        wildcards=wildcards_json,
        io=io_args,
    log:
        "logs/relearning/{name}/unlearn.log",
    threads: JOB_THREADS
    resources:
        mem_mb=3000,
        runtime=120,
    conda:
        CONDA_ENV
    shell:
        JOB.format(name="relearning.unlearn")


rule relearning_dimra:
    wildcard_constraints:
        name="[^/]+",
    input:
        classifier=f"{REL_ART}/classifier.pt",
        replay=f"{REL_ART}/replay.pt",
        unlearned=[f"{REL_ART}/{{name}}/seed={s}/model.pt" for s in REL_SEEDS],
    output:
        samples=[f"{REL_ART}/{{name}}/dimra={a}/seed={s}/samples.pt" for a in REL_AUX for s in REL_SEEDS],  # the job's order
        metrics=f"{REL_RES}/{{name}}/dimra/metrics.json",
    params:
        spec=lambda w: spec(REL.dimra(w.name)),
        wildcards=wildcards_json,
        io=io_args,
    log:
        "logs/relearning/{name}/dimra.log",
    threads: JOB_THREADS
    resources:
        mem_mb=3000,
        runtime=60,
    conda:
        CONDA_ENV
    shell:
        JOB.format(name="relearning.dimra")


rule relearning_poison_relearn:
    wildcard_constraints:
        method="[^/]+",
    input:
        model=lambda w: REL.poison_relearn_inputs(w.method)["model"],
        tuning=lambda w: REL.poison_relearn_inputs(w.method)["tuning"],
    output:
        metrics=f"results/relearning/poison_relearn/{{method}}/metrics.json",
    params:
        spec=lambda w: spec(REL.poison_relearn(w.method)),
        wildcards=wildcards_json,
        io=io_args,
    log:
        "logs/relearning/poison_relearn/{method}.log",
    threads: JOB_THREADS
    resources:
        mem_mb=2000,
        runtime=30,
    conda:
        CONDA_ENV
    shell:
        JOB.format(name="relearning.poison_relearn")


rule relearning_summarise:
    input:
        classifier=f"{REL_RES}/classifier/metrics.json",
        original=f"{REL_RES}/original/metrics.json",
        unlearn=expand(f"{REL_RES}/{{name}}/unlearn/metrics.json", name=list(REL.methods)),
        dimra=expand(f"{REL_RES}/{{name}}/dimra/metrics.json", name=list(REL.methods)),
        grid_original=f"{REL_ART}/original/samples.pt",
        grid_before=REL.grid(f"{REL_ART}/{{name}}/seed={{seed}}/samples.pt"),
        grid_after=REL.grid(f"{REL_ART}/{{name}}/dimra={{aux}}/seed={{seed}}/samples.pt"),
        poison=expand("results/relearning/poison_relearn/{method}/metrics.json", method=REL.poison_relearn_section.get("methods", [])),
    output:
        table=multiext("results/relearning/table", ".csv", ".md", ".tex"),
        both=multiext("results/relearning/relearning_both", ".csv", ".md", ".tex"),
        claims="results/relearning/claims.json",
        curves_pdf="figures/relearning/relearning_curves.pdf",
        curves=report("figures/relearning/relearning_curves.png", caption="../../report/relearning_curves.rst", category="relearning"),
        scatter_pdf="figures/relearning/quality_vs_ua.pdf",
        scatter=report("figures/relearning/quality_vs_ua.png", caption="../../report/relearning_scatter.rst", category="relearning"),
        grids_pdf="figures/relearning/sample_grids.pdf",
        grids=report("figures/relearning/sample_grids.png", caption="../../report/relearning_grids.rst", category="relearning"),
    params:
        spec=lambda w: spec(REL.summarise()),
        wildcards=wildcards_json,
        io=io_args,
    log:
        "logs/relearning/summarise.log",
    threads: JOB_THREADS
    conda:
        CONDA_ENV
    shell:
        JOB.format(name="relearning.summarise")
