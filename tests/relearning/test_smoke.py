"""The smoke profile runs the whole relearning experiment (Snakemake, in a temporary copy)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_smoke_profile_runs_the_relearning_experiment(tmp_path):
    for item in ("Snakefile", "config", "experiments", "profiles", "report", "src", "pyproject.toml"):
        (shutil.copytree if (ROOT / item).is_dir() else shutil.copy)(ROOT / item, tmp_path / item)
    (tmp_path / "data").symlink_to((ROOT / "data").resolve())
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
           "PYTHONPATH": str(tmp_path / "src"), "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path}/mlruns.db"}
    out = subprocess.run(
        ["snakemake", "--profile", "profiles/local", "--cores", "1", "--configfile", "config/smoke.yaml",
         "--config", 'experiments=["relearning"]'],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    claims = json.loads((tmp_path / "results/relearning/claims.json").read_text())
    assert {c["id"].split(".")[-1] for c in claims} >= {"ua", "quality", "dimra_relearns", "ua_under_dimra", "not_relearned"}
    for stem in ("relearning_curves", "quality_vs_ua", "sample_grids"):
        assert (tmp_path / f"figures/relearning/{stem}.png").stat().st_size > 0
    curve = json.loads((tmp_path / "results/relearning/fashion_mnist/salun/dimra=generated/seed=0/metrics.json").read_text())
    assert curve["metrics"]["curve"]["step"][0] == 0 and len(curve["metrics"]["curve"]["ua"]) == 3
