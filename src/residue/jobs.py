"""Running one Snakemake job: spec in, metrics.json + MLflow run out.

A job is a function registered in ``JOBS`` under ``<experiment>.<step>``; it receives its spec
(the slice of the config the rule passed, so that Snakemake re-runs it exactly when that slice
changes) and a :class:`JobContext`, and returns a metrics dict.  The runner writes
``metrics.json`` (deterministic: spec, metrics, data hashes, gradient evaluations) and
``run.json`` beside it (machine-dependent: MLflow run id, commit, wall time, peak memory).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from . import lineage
from .compute import Meter
from .device import machine, pick, set_threads
from .io import write_json, write_text
from .registries import JOBS
from .seeding import seed_everything
from .tracking import JobRecord, lineage_tags, record


@dataclass
class JobContext:
    name: str
    spec: dict[str, Any]
    inputs: dict[str, list[Path]]  # a named Snakemake input may hold several files
    output_files: dict[str, list[Path]]  # … and so may a named output (one file per seed, say)
    threads: int = 1
    meter: Meter = field(default_factory=Meter)
    record: JobRecord | None = None
    metrics: dict | None = None

    @property
    def outputs(self) -> dict[str, Path]:
        """Each output name's (first) file: a name holding several, like a ``multiext`` table, is
        reached by its stem; all of them are in ``output_files``."""
        return {k: v[0] for k, v in self.output_files.items()}

    @property
    def device(self):
        """``RESIDUE_DEVICE`` beats the spec's ``device`` (see :mod:`residue.device`); the device
        used is a tag of the MLflow run, beside the config's choice in its params."""
        device = pick(self.spec.get("device", "auto"))
        if self.record is not None:
            self.record.tags["device"] = str(device)
        return device

    def work_dir(self) -> Path:
        """A scratch folder for checkpoints, kept across interruptions (not a Snakemake output)."""
        first = next(iter(self.output_files.values()))[0]
        d = Path(".work") / first.parent
        d.mkdir(parents=True, exist_ok=True)
        return d


JobFn = Callable[[JobContext], dict | None]


def datasets_of(spec: dict) -> list[str]:
    names = spec.get("datasets") or ([spec["dataset"]] if "dataset" in spec else [])
    return sorted(set(names))


def run_job(name: str, spec: dict, inputs: dict[str, list[str]], outputs: dict[str, str | list[str]],
            wildcards: dict | None = None, threads: int = 1) -> dict | None:
    fn: JobFn = JOBS.get(name, "job")
    set_threads(threads)
    seeds = {k: v for k, v in spec.items() if k in ("seed", "seeds") or k.endswith("_seed")}
    seed_everything(int(spec.get("seed", 0)))
    experiment = name.split(".")[0]
    rule = name.replace(".", "_")  # rules are named after their jobs: baselines.train → baselines_train
    files = {k: [Path(p) for p in ([v] if isinstance(v, str) else v)] for k, v in outputs.items()}
    ctx = JobContext(name, spec, {k: [Path(p) for p in v] for k, v in inputs.items()}, files, threads)
    ctx.record = JobRecord(
        experiment=experiment,
        rule=rule,
        params=spec,
        tags=lineage_tags(experiment, rule, wildcards or {}, seeds, datasets_of(spec)),
    )
    # run.json is not a Snakemake output, so Snakemake does not delete it before the job or after
    # a failure: remove it here (with the old metrics.json, as Snakemake does), so a failed job
    # never leaves a run.json without its metrics.json, or a metrics.json from an earlier run.
    run_json = ctx.outputs["metrics"].parent / "run.json" if "metrics" in ctx.outputs else None
    if run_json is not None:
        run_json.unlink(missing_ok=True)
        ctx.outputs["metrics"].unlink(missing_ok=True)
    try:
        _run_and_write(ctx, fn, experiment, run_json)
    except BaseException:
        if run_json is not None:
            run_json.unlink(missing_ok=True)
        raise
    return ctx.metrics


def _run_and_write(ctx: JobContext, fn: JobFn, experiment: str, run_json: Path | None) -> None:
    """Run the job; write run.json, then metrics.json last (its presence marks a finished job)."""
    ctx.metrics = metrics = fn(ctx)
    if lineage.git_dirty():  # what the dirty flag refers to travels with the run
        patch = ctx.work_dir() / "code.patch"
        write_text(patch, lineage.code_diff())
        ctx.record.log_artifact(patch)
    compute = ctx.meter.summary()
    ctx.record.log_metrics({"compute": compute})
    if metrics is not None:
        ctx.record.log_metrics(metrics)
    run_id = record(ctx.record)
    if run_json is not None and metrics is not None:
        out = ctx.outputs["metrics"]
        write_json(run_json, {
            "mlflow_run_id": run_id,
            "mlflow_experiment": experiment,
            "tracking_uri": os.environ.get("MLFLOW_TRACKING_URI", "sqlite:///mlruns.db"),
            "git_commit": lineage.git_commit(),
            "git_dirty": lineage.git_dirty(),
            "git_diff_sha256": lineage.diff_sha256(),
            "config_sha256": lineage.config_sha256(),
            "compute": compute,
            "machine": machine(),
        })
        write_json(out, {
            "job": ctx.name,
            "spec": ctx.spec,
            "metrics": metrics,
            "grad_evals": ctx.meter.grad_evals,
            "data": {d: lineage.dvc_hash(f"data/{d}") for d in datasets_of(ctx.spec)},
        })
    return metrics


def parse_pairs(pairs: list[str]) -> dict[str, list[str]]:
    """``["a=x", "a=y", "b=z"]`` → ``{"a": ["x", "y"], "b": ["z"]}``."""
    out: dict[str, list[str]] = {}
    for p in pairs:
        key, sep, value = p.partition("=")
        if not sep:
            raise SystemExit(f"error: expected NAME=PATH, got {p!r}")
        out.setdefault(key, []).append(value)
    return out


def load_spec(text: str) -> dict:
    try:
        spec = json.loads(text)
    except json.JSONDecodeError as e:
        raise SystemExit(f"error: --spec is not valid JSON ({e.msg})") from None
    if not isinstance(spec, dict):
        raise SystemExit("error: --spec must be a JSON object")
    return spec
