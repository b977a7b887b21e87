"""Shared fixtures: offline, quiet, and every test that writes runs in its own folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.update({
    "HF_HUB_OFFLINE": "1",
    "DVC_NO_ANALYTICS": "1",
    "MLFLOW_ENABLE_TELEMETRY": "false",
    "RESIDUE_PROGRESS": "0",
    "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
})


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """Run in a fresh folder (MLflow store, .work, results land there) that can see data/."""
    (tmp_path / "data").symlink_to(ROOT / "data")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlruns.db")
    return tmp_path


def run(cmd: list[str], cwd: Path, timeout: int = 600, **kw) -> subprocess.CompletedProcess:
    """Run a command with the test's environment; the venv's bin comes first on PATH."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", **kw.pop("env", {})}
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, **kw)
