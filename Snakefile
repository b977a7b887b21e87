# residue: the experiment DAG.  `make reproduce` runs it with config/default.yaml;
# CI runs config/smoke.yaml; config/paper.yaml is the papers' scale (GPU box or SLURM).
# Each experiment's rules live in experiments/<name>/rules.smk; this file validates the config,
# includes them and merges their claims into results/claims.json and results/REPORT.md.

import sys
from pathlib import Path

from snakemake.utils import validate

from residue.config import validate_or_exit
from residue.lineage import export_run_context
from residue.preflight import check_data_or_exit
from residue.profiles import prepare


# A profile is one whole file: --configfile config/smoke.yaml replaces the default instead of
# being merged into it (a merge would leak default-profile runs into the smoke profile).
if not config:

    configfile: "config/default.yaml"


validate_or_exit(config)  # one line naming the key, exit 2, before any job starts
validate(config, "config/schema.yaml")  # fills the schema's defaults
if "--unlock" not in sys.argv:  # unlocking must work whatever state the data are in
    check_data_or_exit(config)  # "data/<name> is missing/corrupted: run `make data`", before the DAG
export_run_context(config)  # config hash and profile name, inherited by every job
EXPERIMENTS = config["experiments"]


# Each profile writes its own results/, figures/, logs/, MLflow store and Snakemake state: the
# default profile at the top (the committed results), any other under out/<profile>/.
workdir: prepare(config["profile"], Path(workflow.basedir))


include: "experiments/common.smk"


for _exp in EXPERIMENTS:

    include: f"experiments/{_exp}/rules.smk"


rule all:
    input:
        "results/claims.json",
        "results/REPORT.md",
        "results/mlflow-store.sql.gz",
    default_target: True


rule report_build:
    input:
        claims=[f"results/{e}/claims.json" for e in EXPERIMENTS],
    output:
        claims="results/claims.json",
        report="results/REPORT.md",
    params:
        spec=lambda w: spec({"experiments": EXPERIMENTS}),
        wildcards=wildcards_json,
        io=io_args,
    log:
        "logs/report.log",
    conda:
        CONDA_ENV
    shell:
        JOB.format(name="report.build")


# Last: the MLflow store (every job's run, params, curves and lineage tags) as committed SQL text,
# so a fresh clone resolves the run ids the results name after `python -m residue mlflow-store
# restore` (residue/mlflow_store.py).  After the report, so every job's run is in it.
rule mlflow_store:
    input:
        "results/claims.json",
        "results/REPORT.md",
    output:
        "results/mlflow-store.sql.gz",
    log:
        "logs/mlflow_store.log",
    conda:
        CONDA_ENV
    shell:
        PYTHON + " -m residue mlflow-store dump --out {output} > {log} 2>&1"
