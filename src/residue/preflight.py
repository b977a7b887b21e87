"""Checks before any job starts, each failing in one line that names the file and the fix.

* the datasets a config uses are materialised and unaltered (manifest + SHA-256 of each file),
  so ``snakemake -n`` notices a missing or corrupted ``data/<name>`` instead of a job failing;
* a Snakemake lock left by a killed run (``kill -9``, a closed laptop) is cleared when no
  Snakemake process is alive in this folder, instead of the next run failing with LockException.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, Iterator

from .errors import DataError

# Datasets an experiment reads without naming them in its config section.
IMPLIED = {"fb_mem": ["fb_mem_scenes"]}
# The make target that materialises a dataset (the rest come from `make data`).
MAKE_TARGET = {"cifar10": "make data-paper"}


def _named(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "dataset" and isinstance(value, str):
                yield value
            elif key == "datasets" and isinstance(value, list):
                yield from (v for v in value if isinstance(v, str))
            else:
                yield from _named(value)
    elif isinstance(node, list):
        for item in node:
            yield from _named(item)


def datasets_used(config: dict) -> list[str]:
    """The on-disk datasets (``data/<name>``) the experiments of ``config`` read."""
    from .registries import DATASETS

    experiments = config.get("experiments", [])
    names = set(_named({e: config.get(e) for e in experiments}))
    names.update(n for e in experiments for n in IMPLIED.get(e, []))
    return sorted(n for n in names if n in DATASETS)  # text corpora such as sklearn_descr are not on disk


def check_dataset(name: str, root: str | Path = "data") -> None:
    """Raise :class:`DataError` (one line) unless ``root/name`` holds its manifest and every
    file the manifest lists, with the SHA-256 it records."""
    from .io import sha256_file

    folder = Path(root) / name
    fix = f"run `{MAKE_TARGET.get(name, 'make data')}`"
    manifest = folder / "manifest.json"
    if not manifest.is_file():
        raise DataError(f"{folder} is missing (no {manifest.name}): {fix}")
    try:
        hashes = json.loads(manifest.read_text())["sha256"]
    except (json.JSONDecodeError, KeyError, TypeError):
        raise DataError(f"{folder} is corrupted ({manifest.name} is unreadable): {fix}") from None
    for fname, expected in sorted(hashes.items()):
        path = folder / fname
        if not path.is_file():
            raise DataError(f"{folder} is missing {fname}: {fix}")
        if sha256_file(path) != expected:
            raise DataError(f"{folder} is corrupted ({fname} differs from its manifest): {fix}")


def check_data(config: dict, root: str | Path = "data") -> None:
    for name in datasets_used(config):
        check_dataset(name, root)


def check_data_or_exit(config: dict, root: str | Path = "data") -> None:
    """For the Snakefile: print the one-line error and exit 2 before the DAG is built."""
    try:
        check_data(config, root)
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        raise SystemExit(2) from None


# --- stale Snakemake locks ---------------------------------------------------------------------

def _snakemake_alive_in(workdir: Path) -> bool:
    """True when a Snakemake process (other than this one) runs with ``workdir`` as its folder."""
    me = os.getpid()
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if int(proc.name) in (me, os.getppid()):
                continue
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            if not any(b"snakemake" in a for a in argv[:3]):
                continue
            if Path(os.readlink(proc / "cwd")).resolve() == workdir:
                return True
        except (OSError, ValueError):
            continue
    return False


def clear_stale_lock(workdir: str | Path = ".") -> str | None:
    """Remove ``.snakemake/locks`` when no Snakemake process is alive in ``workdir``; return the
    one-line notice, or ``None`` when there was nothing to do.  A live run's lock is kept."""
    workdir = Path(workdir).resolve()
    locks = sorted((workdir / ".snakemake" / "locks").glob("*.lock"))
    if not locks:
        return None
    if _snakemake_alive_in(workdir):
        return (f"note: Snakemake is running in {workdir}; its lock is kept "
                f"(if it is not, run `snakemake --unlock --cores 1`)")
    for lock in locks:
        lock.unlink(missing_ok=True)
    return "note: cleared a stale Snakemake lock left by an interrupted run (no Snakemake process is alive here)"
