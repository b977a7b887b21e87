# Helpers shared by every experiment's rules.smk.
#
# A rule passes its slice of the config as `params.spec` (JSON).  Snakemake's default rerun
# triggers include params, so changing one config entry re-runs exactly the jobs whose slice
# contains it (check with `snakemake -n`).  The job itself is `python -m residue job NAME`,
# which writes metrics.json and one MLflow run.

import json
import shlex
import sys
from pathlib import Path


def spec(d):
    """Canonical JSON of a job's config slice, with the profile's device added."""
    return json.dumps({**d, "device": config.get("device", "auto")}, sort_keys=True)


def io_args(wildcards, input, output):
    """`--input name=path` / `--output name=path` for every named input and output."""
    args = []
    for flag, files in (("--input", input), ("--output", output)):
        for name, value in files.items():
            for path in [value] if isinstance(value, str) else value:
                args.append(f"{flag} {name}={path}")
    return " ".join(args)


def wildcards_json(wildcards):
    return json.dumps(dict(wildcards.items()), sort_keys=True)


# The software environment of every rule (used with --use-conda; documents it otherwise).
CONDA_ENV = str(Path(workflow.basedir) / "environment.yml")

# Jobs run with the interpreter running Snakemake (it imported residue to read this file), so
# `snakemake` works the same inside or outside `make` and with or without the venv activated.
# Its path is written into the command (Snakemake's linter wants no outside variables in a shell
# command), so a checkout's jobs re-run once if it is run by another interpreter: `.venv` moved.
PYTHON = shlex.quote(sys.executable).replace("{", "{{{{").replace("}", "}}}}")  # formatted twice

# A job's torch thread count comes from the config (`job_threads`), not from Snakemake's {threads}:
# Snakemake lowers a rule's threads to --cores, and a float reduction's result depends on how many
# threads split it, so numbers would change with --cores or --set-threads (issue #19).  Every rule
# declares `threads: JOB_THREADS` so the scheduler reserves what the job will use.
JOB_THREADS = config["job_threads"]  # the schema fills its default (1) before the rules are read

JOB = (
    PYTHON + f" -m residue job {{name}} --threads {JOB_THREADS} "
    "--spec {{params.spec:q}} --wildcards {{params.wildcards:q}} {{params.io}} > {{log}} 2>&1"
)
