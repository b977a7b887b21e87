"""MLflow records: one run per Snakemake job, written when the job finishes.

MLflow never caches and never decides what runs (Snakemake does); it is the searchable record.
A job collects params, metric curves, artifacts and lineage tags while it runs and writes the
whole MLflow run at the end under a file lock, so two jobs running in parallel never race on the
SQLite store and a killed job leaves no half-written run.  The store is
``$MLFLOW_TRACKING_URI`` or ``sqlite:///mlruns.db`` in the working folder; artifacts go under
``mlruns/``.
"""

from __future__ import annotations

import fcntl
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from . import lineage

DEFAULT_URI = "sqlite:///mlruns.db"


def tracking_uri() -> str:
    return os.environ.get("MLFLOW_TRACKING_URI", DEFAULT_URI)


def flatten(d: dict, prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` → ``{"a.b": 1}``; lists are kept as their JSON-ish string."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


@dataclass
class JobRecord:
    """What one job will write to MLflow: filled during the job, flushed by :func:`record`."""

    experiment: str
    rule: str
    params: dict[str, Any]
    tags: dict[str, str]
    metrics: dict[str, float] = field(default_factory=dict)
    curves: dict[str, list[float]] = field(default_factory=dict)
    artifacts: list[Path] = field(default_factory=list)
    start_ms: int = field(default_factory=lambda: int(time.time() * 1000))

    def log_metrics(self, metrics: dict[str, Any]) -> None:
        for k, v in flatten(metrics).items():
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                self.metrics[k] = float(v)

    def log_curve(self, name: str, values: list[float]) -> None:
        self.curves[name] = [float(v) for v in values]

    def log_artifact(self, path: str | os.PathLike) -> None:
        self.artifacts.append(Path(path))


def lineage_tags(experiment: str, rule: str, wildcards: dict, seeds: dict, datasets: list[str]) -> dict[str, str]:
    tags = {
        "experiment": experiment,
        "rule": rule,
        "git_commit": lineage.git_commit(),
        "git_dirty": str(lineage.git_dirty()).lower(),
        "git_diff_sha256": lineage.diff_sha256() or "",
        "config_sha256": lineage.config_sha256(),
        "profile": os.environ.get("RESIDUE_PROFILE", "adhoc"),
    }
    tags.update({f"wildcard.{k}": str(v) for k, v in wildcards.items()})
    tags.update({f"seed.{k}": str(v) for k, v in seeds.items()})
    tags.update({f"data.{d}.dvc_md5": lineage.dvc_hash(f"data/{d}") for d in datasets})
    return tags


@contextmanager
def _store_lock() -> Iterator[None]:
    with open(".mlflow.lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def record(rec: JobRecord) -> str:
    """Write the run to MLflow and return its run id."""
    os.environ.setdefault("MLFLOW_ENABLE_TELEMETRY", "false")
    from mlflow.entities import Metric, Param, RunTag
    from mlflow.tracking import MlflowClient

    with _store_lock():
        client = MlflowClient(tracking_uri())
        exp = client.get_experiment_by_name(rec.experiment)
        exp_id = exp.experiment_id if exp else client.create_experiment(rec.experiment)
        run = client.create_run(exp_id, start_time=rec.start_ms, tags={"mlflow.runName": rec.tags.get("rule", rec.rule)})
        rid = run.info.run_id
        now = int(time.time() * 1000)
        params = [Param(k, str(v)[:6000]) for k, v in flatten(rec.params).items()]
        metrics = [Metric(k, v, now, 0) for k, v in rec.metrics.items()]
        metrics += [Metric(k, v, now, i) for k, vs in rec.curves.items() for i, v in enumerate(vs)]
        tags = [RunTag(k, v) for k, v in rec.tags.items()]
        for i in range(0, max(len(params), len(metrics), len(tags)), 100):
            client.log_batch(rid, metrics=metrics[i : i + 100], params=params[i : i + 100], tags=tags[i : i + 100])
        for path in rec.artifacts:
            if path.exists():
                client.log_artifact(rid, str(path))
        client.set_terminated(rid, "FINISHED", end_time=now)
    return rid
