"""Where a number came from: git commit and dirty flag, config hash, DVC hash of each dataset."""

from __future__ import annotations

import functools
import os
import subprocess
from pathlib import Path

import yaml

from .profiles import repo_root


@functools.lru_cache(maxsize=None)
def _git(*args: str) -> str:
    try:
        out = subprocess.run(["git", *args], capture_output=True, text=True, timeout=10, cwd=repo_root())
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def git_commit() -> str:
    return _git("rev-parse", "HEAD") or "unknown"


# What can change a number: code, rules, configuration, data stages, the pinned environment.
# Results, figures and prose are committed too, but writing them must not make a run "dirty".
CODE_PATHS = ("src", "experiments/**/*.smk", "Snakefile", "config", "profiles", "scripts", "dvc.yaml", "dvc.lock",
              "params.yaml", "pyproject.toml", "requirements.lock", "environment.yml", "Makefile")


def _pathspec() -> list[str]:
    return ["--", *(f":(glob){p}" if "*" in p else p for p in CODE_PATHS)]


def git_dirty() -> bool:
    """True when code or configuration (``CODE_PATHS``, tracked or new) differ from the commit."""
    return bool(_git("status", "--porcelain", "--untracked-files=all", *_pathspec()))


def code_diff() -> str:
    """The uncommitted change to tracked code and configuration (empty when clean)."""
    return _git("diff", "HEAD", "--no-color", *_pathspec())


def diff_sha256() -> str | None:
    """sha256 of :func:`code_diff` when the run is dirty (the patch is stored with the MLflow run)."""
    import hashlib

    return hashlib.sha256(code_diff().encode()).hexdigest() if git_dirty() else None


def dvc_hash(data_dir: str | os.PathLike, lock: str | os.PathLike | None = None) -> str:
    """The md5 DVC recorded in ``dvc.lock`` (the repository's by default) for an output folder
    such as ``data/digits``."""
    lock = Path(lock) if lock is not None else repo_root() / "dvc.lock"
    if not lock.exists():
        return "untracked"
    want = Path(data_dir).as_posix().rstrip("/")
    stages = (yaml.safe_load(lock.read_text()) or {}).get("stages", {})
    for stage in stages.values():
        for out in stage.get("outs", []):
            if out.get("path", "").rstrip("/") == want:
                return out.get("md5", "unknown")
    return "untracked"


def export_run_context(config: dict) -> None:
    """Called by the Snakefile: every job it starts inherits the config hash and profile name.

    They travel as environment variables rather than rule params on purpose: a param would make
    every job re-run whenever *any* config entry changes."""
    from .io import sha256_json

    os.environ["RESIDUE_CONFIG_SHA256"] = sha256_json(config)
    os.environ["RESIDUE_PROFILE"] = str(config.get("profile", "adhoc"))


def config_sha256() -> str:
    """Hash of the whole resolved config, set by the Snakefile for every job it starts."""
    return os.environ.get("RESIDUE_CONFIG_SHA256", "unknown")
