# P1 — Machine Unlearning Fails to Remove Data Poisoning: see experiments/poison_unlearning/README.md.
# DAG: poison (dataset × attack × seed, reported and tuning seeds) → tune (dataset × attack × method, tuning seeds) →
#      unlearn (dataset × attack × method; loops over budgets × seeds) ; hypotheses (seed) ; summarise.

import residue.experiments.poison_unlearning.plan as pu_plan

PU = pu_plan.Plan(config)  # the job grid, paths and each job's config slice (src/residue/experiments/poison_unlearning/plan.py)
PU_ROOT = pu_plan.ROOT

wildcard_constraints:
    dataset="[^/]+",
    attack="[^/]+",
    method="[^/]+",


rule poison_unlearning_poison:
    input:
        data=lambda w: PU.data(w.dataset),
    output:
        model=f"{PU_ROOT}/{{dataset}}/{{attack}}/poisoned/seed={{seed}}/model.pt",
        metrics=f"{PU_ROOT}/{{dataset}}/{{attack}}/poisoned/seed={{seed}}/metrics.json",
    params:
        spec=lambda w: spec(PU.poison(w.dataset, w.attack, int(w.seed))),
        wildcards=wildcards_json,
        io=io_args,
    log:
        "logs/poison_unlearning/{dataset}/{attack}/poisoned/seed={seed}.log",
    threads: JOB_THREADS
    resources:
        mem_mb=2000,
        runtime=30,
    conda:
        CONDA_ENV
    shell:
        JOB.format(name="poison_unlearning.poison")


rule poison_unlearning_tune:
    input:
        model=lambda w: PU.poisoned(w.dataset, w.attack, PU.tuning_seeds),
    output:
        metrics=f"{PU_ROOT}/{{dataset}}/{{attack}}/{{method}}/tuning/metrics.json",
    params:
        spec=lambda w: spec(PU.tune(w.dataset, w.attack, w.method)),
        wildcards=wildcards_json,
        io=io_args,
    log:
        "logs/poison_unlearning/{dataset}/{attack}/{method}/tuning.log",
    threads: JOB_THREADS
    resources:
        mem_mb=2000,
        runtime=30,
    conda:
        CONDA_ENV
    shell:
        JOB.format(name="poison_unlearning.tune")


rule poison_unlearning_unlearn:
    input:
        model=lambda w: PU.poisoned(w.dataset, w.attack, PU.seeds_of(w.dataset, w.attack)),
        tuning=lambda w: PU.tuning_result(w.dataset, w.attack, w.method),
    output:
        metrics=f"{PU_ROOT}/{{dataset}}/{{attack}}/{{method}}/unlearn/metrics.json",
    params:
        spec=lambda w: spec(PU.unlearn(w.dataset, w.attack, w.method)),
        wildcards=wildcards_json,
        io=io_args,
    log:
        "logs/poison_unlearning/{dataset}/{attack}/{method}/unlearn.log",
    threads: JOB_THREADS
    resources:
        mem_mb=2000,
        runtime=30,
    conda:
        CONDA_ENV
    shell:
        JOB.format(name="poison_unlearning.unlearn")


rule poison_unlearning_hypotheses:
    input:
        data=lambda w: PU.data(PU.section["hypotheses"]["dataset"]),
    output:
        metrics=f"{PU_ROOT}/hypotheses/seed={{seed}}/metrics.json",
    params:
        spec=lambda w: spec(PU.hypotheses(int(w.seed))),
        wildcards=wildcards_json,
        io=io_args,
    log:
        "logs/poison_unlearning/hypotheses/seed={seed}.log",
    threads: JOB_THREADS
    resources:
        mem_mb=2000,
        runtime=30,
    conda:
        CONDA_ENV
    shell:
        JOB.format(name="poison_unlearning.hypotheses")


rule poison_unlearning_summarise:
    input:
        **PU.summary_inputs(),
    output:
        table=multiext(f"{PU_ROOT}/table", ".csv", ".md", ".tex"),
        claims=f"{PU_ROOT}/claims.json",
        effect_fig_pdf="figures/poison_unlearning/effect_vs_budget.pdf",
        effect_fig=report("figures/poison_unlearning/effect_vs_budget.png", caption="../../report/poison_unlearning_effect.rst", category="poison_unlearning"),
        gus_fig_pdf="figures/poison_unlearning/gus_histograms.pdf",
        gus_fig=report("figures/poison_unlearning/gus_histograms.png", caption="../../report/poison_unlearning_gus.rst", category="poison_unlearning"),
        mia_fig_pdf="figures/poison_unlearning/mia_vs_gus.pdf",
        mia_fig=report("figures/poison_unlearning/mia_vs_gus.png", caption="../../report/poison_unlearning_mia.rst", category="poison_unlearning"),
        hyp_fig_pdf="figures/poison_unlearning/hypotheses.pdf",
        hyp_fig=report("figures/poison_unlearning/hypotheses.png", caption="../../report/poison_unlearning_hypotheses.rst", category="poison_unlearning"),
        tuning_fig_pdf="figures/poison_unlearning/removal_vs_utility.pdf",
        tuning_fig=report("figures/poison_unlearning/removal_vs_utility.png", caption="../../report/poison_unlearning_tuning.rst", category="poison_unlearning"),
    params:
        spec=lambda w: spec({}),
        wildcards=wildcards_json,
        io=io_args,
    log:
        "logs/poison_unlearning/summarise.log",
    conda:
        CONDA_ENV
    shell:
        JOB.format(name="poison_unlearning.summarise")
