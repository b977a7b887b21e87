# P3 FB-Mem: see experiments/fb_mem/README.md.

import residue.experiments.fb_mem.plan as fbm_plan

FBM = fbm_plan.Plan(config)  # the job grid and each job's config slice (src/residue/experiments/fb_mem/plan.py)

wildcard_constraints:
    train_seed=r"\d+",
    sample_seed=r"\d+",


rule fb_mem_train:
    input:
        data="data/fb_mem_scenes/manifest.json",
    output:
        metrics="results/fb_mem/train_seed={train_seed}/metrics.json",
        model="results/fb_mem/train_seed={train_seed}/model.pt",
    params:
        spec=lambda w: spec(FBM.train(int(w.train_seed))),
        wildcards=wildcards_json,
        io=io_args,
    log:
        "logs/fb_mem/train_seed={train_seed}.log",
    threads: JOB_THREADS
    resources:
        mem_mb=3000,
        runtime=60,
    conda:
        CONDA_ENV
    shell:
        JOB.format(name="fb_mem.train")


rule fb_mem_evaluate:
    input:
        model="results/fb_mem/train_seed={train_seed}/model.pt",
    output:
        metrics="results/fb_mem/train_seed={train_seed}/sample_seed={sample_seed}/metrics.json",
        samples="results/fb_mem/train_seed={train_seed}/sample_seed={sample_seed}/samples.npy",
        masks="results/fb_mem/train_seed={train_seed}/sample_seed={sample_seed}/masks.npy",
    params:
        spec=lambda w: spec(FBM.evaluate(int(w.train_seed), int(w.sample_seed))),
        wildcards=wildcards_json,
        io=io_args,
    log:
        "logs/fb_mem/train_seed={train_seed}/sample_seed={sample_seed}.log",
    threads: JOB_THREADS
    resources:
        mem_mb=3000,
        runtime=60,
    conda:
        CONDA_ENV
    shell:
        JOB.format(name="fb_mem.evaluate")


rule fb_mem_summarise:
    input:
        **FBM.summary_inputs(),
    output:
        mitigations=multiext("results/fb_mem/mitigations", ".csv", ".md", ".tex"),
        whole=multiext("results/fb_mem/whole_image", ".csv", ".md", ".tex"),
        segmenters=multiext("results/fb_mem/segmenters", ".csv", ".md", ".tex"),
        copy_test=multiext("results/fb_mem/copy_test", ".csv", ".md", ".tex"),
        transitions=multiext("results/fb_mem/transitions", ".csv", ".md", ".tex"),
        claims="results/fb_mem/claims.json",
        grid_pdf="figures/fb_mem/grid.pdf",
        grid=report("figures/fb_mem/grid.png", caption="../../report/fb_mem_grid.rst", category="fb_mem"),
        distributions_pdf="figures/fb_mem/distributions.pdf",
        distributions=report("figures/fb_mem/distributions.png", caption="../../report/fb_mem_distributions.rst", category="fb_mem"),
        one_to_many_pdf="figures/fb_mem/one_to_many.pdf",
        one_to_many=report("figures/fb_mem/one_to_many.png", caption="../../report/fb_mem_one_to_many.rst", category="fb_mem"),
        tradeoff_pdf="figures/fb_mem/tradeoff.pdf",
        tradeoff=report("figures/fb_mem/tradeoff.png", caption="../../report/fb_mem_tradeoff.rst", category="fb_mem"),
    params:
        spec=lambda w: spec({}),
        wildcards=wildcards_json,
        io=io_args,
    log:
        "logs/fb_mem/summarise.log",
    conda:
        CONDA_ENV
    shell:
        JOB.format(name="fb_mem.summarise")
