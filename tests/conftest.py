"""Shared fixtures: offline, quiet, and every test that writes runs in its own folder."""

from __future__ import annotations

import os
import shutil
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


def profile(name: str) -> dict:
    """A profile's config as the Snakefile sees it: validated, the schema's defaults filled in."""
    import yaml
    from snakemake.utils import validate

    config = yaml.safe_load((ROOT / "config" / f"{name}.yaml").read_text())
    validate(config, str(ROOT / "config" / "schema.yaml"))
    return config


def run(cmd: list[str], cwd: Path, timeout: int = 600, **kw) -> subprocess.CompletedProcess:
    """Run a command with the test's environment; the venv's bin comes first on PATH."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", **kw.pop("env", {})}
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, **kw)


# The smoke profile of the whole DAG, run once per session in a committed copy of the tree;
# tests/test_pipeline.py and the experiments' own tests read its outputs.
@pytest.fixture(scope="session")
def repo(tmp_path_factory):
    """A committed copy of the working tree (tracked and untracked-but-not-ignored files), the
    default profile's committed results and figures included: the smoke run writes under
    out/smoke/ and must leave them as they are."""
    dst = tmp_path_factory.mktemp("repo")
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for rel in filter(None, files.decode().split("\0")):
        src = ROOT / rel
        if src.is_file():
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst / rel)
    (dst / "data").symlink_to(ROOT / "data")
    for cmd in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "smoke"]):
        subprocess.run(cmd, cwd=dst, check=True)
    return dst


def snakemake(repo: Path, *args: str, timeout: int = 900, forked: bool = False):
    """Snakemake on the smoke profile; ``forked``: under the forkserver, as ``make reproduce`` runs it."""
    cmd = ["snakemake", "--profile", "profiles/local", "--cores", "2", "--configfile", "config/smoke.yaml", *args]
    return run([sys.executable, "-m", "residue", "forkserver", "--", *cmd] if forked else cmd, cwd=repo, timeout=timeout)


@pytest.fixture(scope="session")
def smoke_run(repo):
    """The repository copy after the smoke run (commands run here)."""
    out = snakemake(repo, forked=True)
    assert out.returncode == 0, out.stderr[-4000:]
    return repo


@pytest.fixture(scope="session")
def smoke_out(smoke_run):
    """Where the smoke run wrote its results, figures, logs and MLflow store."""
    return smoke_run / "out" / "smoke"
