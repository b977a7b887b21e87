"""What a pipeline job's start-up costs, and what forking jobs from a warm interpreter saves.

Runs the same small job (one epoch of logistic regression on digits, the smallest job of the
baselines) ``--jobs`` times in a row, twice: each as its own process (``python -m residue job``, as
Snakemake runs it without the forkserver) and under ``python -m residue forkserver`` (as ``make
reproduce`` runs it; the server's one-off imports are counted in its total).  Prints wall and CPU
seconds in all and per job, and checks that both variants wrote the same ``metrics.json`` bytes.

    python benchmarks/forkserver.py [--jobs 10]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = {"dataset": "digits", "model": "logreg", "seed": 0, "device": "cpu", "train": {"epochs": 1, "batch_size": 64, "lr": 0.1}}


def job(i: int) -> str:
    return shlex.join([sys.executable, "-m", "residue", "job", "baselines.train", "--spec", json.dumps(SPEC),
                       "--output", f"metrics=job{i}/metrics.json"])


def timed(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds (children's user + system) of ``cmd``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, env={**os.environ, "RESIDUE_PROGRESS": "0"}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.perf_counter() - start, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=10)
    args = ap.parse_args()
    script = "set -e; " + "; ".join(job(i) for i in range(args.jobs))
    variants = {
        "one process per job": ["sh", "-c", script],
        "forked from a warm interpreter": [sys.executable, "-m", "residue", "forkserver", "--", "sh", "-c", script],
    }
    outputs = {}
    print(f"{args.jobs} jobs in a row (baselines.train, digits logreg, 1 epoch), one at a time")
    for name, cmd in variants.items():
        with tempfile.TemporaryDirectory() as d:
            (Path(d) / "data").symlink_to(ROOT / "data")
            wall, cpu = timed(cmd, Path(d))
            outputs[name] = [(Path(d) / f"job{i}/metrics.json").read_bytes() for i in range(args.jobs)]
        print(f"  {name:32s} wall {wall:6.1f} s ({wall / args.jobs:5.2f} per job)   CPU {cpu:6.1f} s ({cpu / args.jobs:5.2f} per job)")
    a, b = outputs.values()
    print(f"  metrics.json identical between the two: {a == b}")


if __name__ == "__main__":
    main()
