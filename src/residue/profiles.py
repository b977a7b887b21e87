"""Where a profile's outputs live, so that profiles never overwrite each other.

The default profile (``make reproduce``) writes at the top of the repository — ``results/``,
``figures/``, ``logs/``, ``artifacts/``, ``mlruns.db`` — and its results and figures are the
committed ones.  Every other profile (``smoke``, ``paper``, a user's own) writes the same tree
under ``out/<profile>/`` (git-ignored), with its own Snakemake state and MLflow store, so a smoke
run beside the committed default results touches none of them and a report is built only from
its own profile's runs.  The Snakefile switches Snakemake's working directory there; the data
stay where DVC put them (``out/<profile>/data`` is a link to ``data/``).
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT = "default"
# Everything a run writes in its output folder (all of it rebuilt by the next run).
OUTPUTS = ("results", "figures", "logs", "artifacts", ".work", ".snakemake", "mlruns", "mlruns.db", ".mlflow.lock")


def output_dir(profile: str, repo: Path) -> Path:
    """The folder a profile's run writes into (the repository itself for the default profile)."""
    return repo if profile == DEFAULT else repo / "out" / profile


def prepare(profile: str, repo: Path) -> Path:
    """Create ``profile``'s output folder with its link to the repository's ``data/``; return it.

    Also exports ``RESIDUE_REPO`` so that jobs, whose working folder is the output folder, find
    the repository's git state and ``dvc.lock`` (their lineage)."""
    out = output_dir(profile, repo)
    os.environ["RESIDUE_REPO"] = str(repo)
    if out != repo:
        out.mkdir(parents=True, exist_ok=True)
        link = out / "data"
        if not link.is_symlink() and not link.exists():
            link.symlink_to(os.path.relpath(repo / "data", out))
    return out


def repo_root() -> Path:
    """The repository a job belongs to: ``RESIDUE_REPO``, set by the Snakefile, else the working
    folder (a job run by hand from the repository's root)."""
    return Path(os.environ.get("RESIDUE_REPO") or Path.cwd())


def clean(profile: str, repo: Path, dry_run: bool = False) -> list[str]:
    """Remove every output of ``profile``'s runs (:data:`OUTPUTS`); return one line per removal.

    For the default profile this includes the committed ``results/`` and ``figures/`` (the
    line says how many tracked files go, and how to get them back); ``out/<profile>`` of any
    other profile goes whole."""
    import shutil
    import subprocess

    out = output_dir(profile, repo)
    targets = [out / name for name in OUTPUTS] if out == repo else [out]
    lines = []
    for path in filter(lambda p: p.exists() or p.is_symlink(), targets):
        tracked = subprocess.run(["git", "ls-files", "--", str(path)], cwd=repo, capture_output=True, text=True).stdout.split()
        note = f" ({len(tracked)} committed files; `git checkout -- {path.relative_to(repo)}` restores them)" if tracked else ""
        lines.append(f"{'would remove' if dry_run else 'removed'} {path.relative_to(repo)}{note}")
        if not dry_run:
            shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
    return lines or [f"nothing to remove for profile {profile}"]
