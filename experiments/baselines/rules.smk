# Clean classifiers (the foundation's first experiment): see experiments/baselines/README.md.

BASE = config.get("baselines", {})


rule baselines_train:
    input:
        data=lambda w: f"data/{BASE['runs'][w.run]['dataset']}/manifest.json",
    output:
        metrics="results/baselines/{run}/seed={seed}/metrics.json",
    params:
        spec=lambda w: spec({**BASE["runs"][w.run], "seed": int(w.seed)}),
        wildcards=wildcards_json,
        io=io_args,
    log:
        "logs/baselines/{run}/seed={seed}.log",
    threads: JOB_THREADS
    conda:
        CONDA_ENV
    resources:
        mem_mb=2000,
        runtime=30,
    shell:
        JOB.format(name="baselines.train")


rule baselines_summarise:
    input:
        metrics=expand(
            "results/baselines/{run}/seed={seed}/metrics.json",
            run=sorted(BASE.get("runs", {})),
            seed=BASE.get("seeds", []),
        ),
    output:
        table=multiext("results/baselines/table", ".csv", ".md", ".tex"),
        claims="results/baselines/claims.json",
        figure_pdf="figures/baselines/accuracy.pdf",
        figure=report(
            "figures/baselines/accuracy.png",
            caption="../../report/baselines.rst",
            category="baselines",
        ),
    params:
        spec=lambda w: spec({}),
        wildcards=wildcards_json,
        io=io_args,
    log:
        "logs/baselines/summarise.log",
    conda:
        CONDA_ENV
    shell:
        JOB.format(name="baselines.summarise")
