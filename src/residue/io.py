"""Atomic, safe file I/O: an interrupted job never leaves a file that looks finished.

Every output is written to a temporary file in the same folder and renamed into place
(``os.replace`` is atomic on POSIX).  Nothing here unpickles: arrays are ``.npy`` read with
``allow_pickle=False`` and checkpoints are read with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from .errors import CheckpointError

_UMASK = os.umask(0)
os.umask(_UMASK)

@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` only on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the file ordinary permissions
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_json(path: str | os.PathLike, obj: Any) -> None:
    """Canonical JSON (sorted keys, fixed indent) so equal content gives equal bytes."""
    write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=_jsonable) + "\n")


def read_json(path: str | os.PathLike) -> Any:
    return json.loads(Path(path).read_text())


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def save_array(path: str | os.PathLike, array: np.ndarray) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.save(f, array, allow_pickle=False)


def load_array(path: str | os.PathLike) -> np.ndarray:
    return np.load(path, allow_pickle=False)


def checksum_path(path: str | os.PathLike) -> Path:
    """The sidecar ``<file>.sha256`` (``sha256sum -c`` format) that vouches for a saved model."""
    return Path(f"{path}.sha256")


def save_torch(path: str | os.PathLike, obj: Any) -> None:
    """Save ``obj`` atomically with a sidecar content hash, so a truncated or altered file is
    caught on load instead of being read silently.  The sidecar is renamed into place before the
    file itself: a crash in between leaves no file (re-made) or an old one that fails the check.
    torch names the zip's inner folder after the file it is given, and the temporary name is
    random, so it writes through a file object (inner folder ``archive``): equal objects give
    equal bytes and equal sidecars on every run."""
    import torch

    path = Path(path)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            torch.save(obj, f)
        write_text(checksum_path(path), f"{sha256_file(tmp)}  {path.name}\n")


def load_torch(path: str | os.PathLike, map_location: Any = "cpu", verify: bool = True) -> Any:
    """Read a file written by :func:`save_torch` (``weights_only=True``: never unpickles code).

    With ``verify`` (the default) the content must match its ``.sha256`` sidecar; a missing,
    truncated or altered file raises :class:`~residue.errors.CheckpointError`, one line naming
    the file and the fix.  ``verify=False`` is for files the user supplies (a SAM checkpoint)."""
    import torch

    path = Path(path)
    fix = f"delete it and re-run the rule that makes it (rm {path} && make reproduce)"
    if not path.exists():
        raise CheckpointError(f"checkpoint {path} is missing: re-run the rule that makes it (make reproduce)")
    if verify:
        sidecar = checksum_path(path)
        if not sidecar.exists():
            raise CheckpointError(f"checkpoint {path} has no checksum {sidecar.name} (written by an older version?)", fix)
        expected = sidecar.read_text().split()[0] if sidecar.read_text().strip() else ""
        if sha256_file(path) != expected:
            raise CheckpointError(f"checkpoint {path} is corrupted (its sha256 does not match {sidecar.name})", fix)
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # noqa: BLE001 - any unreadable file is the same user-facing problem
        reason = (str(e).strip().splitlines() or [type(e).__name__])[0][:120]
        raise CheckpointError(f"checkpoint {path} cannot be read ({reason})", fix) from None


def resume_state(checkpoint) -> dict | None:
    """The saved state to resume from, or ``None`` to start afresh.  A resumable checkpoint is
    only a time saver, so a corrupt one (truncated by a crash, altered) is discarded with a
    one-line warning and training restarts from step 0; the numbers are the same either way."""
    if not checkpoint or not Path(checkpoint).exists():
        return None
    try:
        return load_torch(checkpoint)
    except CheckpointError as e:
        print(f"warning: {e.problem}; discarding it and training from the start", file=sys.stderr)
        Path(checkpoint).unlink(missing_ok=True)
        checksum_path(checkpoint).unlink(missing_ok=True)
        return None


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def sha256_json(obj: Any) -> str:
    """Hash of the canonical JSON form of ``obj`` (config and spec hashes)."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=_jsonable).encode()).hexdigest()
