# P4 — DiMRA / DiMUM (arXiv 2512.03564): see experiments/relearning/README.md.
# DAG: classifier, original (one cached model) → replay → unlearn per method (every seed)
#      → dimra per method (every aux set and seed) → summarise (table, claims, figures);
#      beyond the paper: P1's poisoned models → poison_relearn per P1 method → summarise.
# Model weights and sample grids go to artifacts/ (not committed); metrics.json to results/.

include: "functions.smk"


# The beyond-the-paper table consumes P1's poisoned models and tuning: with P1 left out of
# `experiments`, its rules are still included (only what that table needs runs; no P1 claims).
if REL_PR and "poison_unlearning" not in EXPERIMENTS:

    include: "../poison_unlearning/rules.smk"


rule relearning_classifier:
    input:
        data=f"data/{REL.get('dataset')}/manifest.json",
    output:
        model=f"{REL_ART}/classifier.pt",
        metrics=f"{REL_RES}/classifier/metrics.json",
    params:
        spec=lambda w: rel_spec(REL_SHARED[:3] + REL_SHARED[6:], classifier=REL["classifier"]),
        wildcards=wildcards_json,
        io=io_args,
    log:
        "logs/relearning/classifier.log",
    threads: JOB_THREADS
    priority: REL_CRITICAL
    resources:
        mem_mb=2000,
        runtime=30,
    conda:
        CONDA_ENV
    shell:
        JOB.format(name="relearning.classifier")


rule relearning_original:
    input:
        data=f"data/{REL.get('dataset')}/manifest.json",
        classifier=f"{REL_ART}/classifier.pt",
    output:
        model=f"{REL_ART}/original/model.pt",
        samples=f"{REL_ART}/original/samples.pt",
        metrics=f"{REL_RES}/original/metrics.json",
    params:
        spec=lambda w: rel_spec(train=REL["train"]),
        wildcards=wildcards_json,
        io=io_args,
    log:
        "logs/relearning/original.log",
    threads: JOB_THREADS
    priority: REL_CRITICAL
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
        spec=lambda w: rel_spec(replay_per_class=REL["replay_per_class"]),
        wildcards=wildcards_json,
        io=io_args,
    log:
        "logs/relearning/replay.log",
    threads: JOB_THREADS
    priority: REL_CRITICAL
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
        spec=lambda w: rel_spec(name=w.name, method={k: v for k, v in REL_METHODS[w.name].items() if k != "name"}, seeds=REL_SEEDS),
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
        spec=lambda w: rel_spec(name=w.name, aux=REL_AUX, dimra={k: v for k, v in REL["dimra"].items() if k != "aux"}, seeds=REL_SEEDS),
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
        model=[f"{REL_PU_ROOT}/poisoned/seed={s}/model.pt" for s in REL_SEEDS] if REL_PR else [],
        tuning=rel_pr_tuning,
    output:
        metrics=f"results/relearning/poison_relearn/{{method}}/metrics.json",
    params:
        spec=rel_pr_spec,
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
        unlearn=expand(f"{REL_RES}/{{name}}/unlearn/metrics.json", name=list(REL_METHODS)),
        dimra=expand(f"{REL_RES}/{{name}}/dimra/metrics.json", name=list(REL_METHODS)),
        grid_original=f"{REL_ART}/original/samples.pt",
        grid_before=rel_grid(f"{REL_ART}/{{name}}/seed={{seed}}/samples.pt"),
        grid_after=rel_grid(f"{REL_ART}/{{name}}/dimra={{aux}}/seed={{seed}}/samples.pt"),
        poison=expand("results/relearning/poison_relearn/{method}/metrics.json", method=REL_PR.get("methods", [])),
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
        spec=lambda w: spec({"seeds": REL_SEEDS, "aux": REL_AUX, "grid_aux": REL_AUX[0],
                             "methods": {n: m["method"] for n, m in REL_METHODS.items()}}),
        wildcards=wildcards_json,
        io=io_args,
    log:
        "logs/relearning/summarise.log",
    threads: JOB_THREADS
    conda:
        CONDA_ENV
    shell:
        JOB.format(name="relearning.summarise")
