"""Device choice: CUDA when available, else CPU; nothing in the package calls ``.cuda()``.

Precedence: the ``RESIDUE_DEVICE`` environment variable beats the config's ``device:``, because
the environment is the per-machine choice (the same profile runs on a laptop and a GPU box) and
the config is shared.  The job's log says which one was used.
"""

from __future__ import annotations

import os
import re
import sys
from functools import lru_cache

from .errors import ConfigError

DEVICE_PATTERN = r"^(auto|cpu|mps|cuda(:[0-9]+)?)$"
ALLOWED = "auto, cpu, cuda, cuda:N, mps"


def check(name: str, where: str) -> str:
    """``name`` if it is a device name torch understands, else one line naming ``where``."""
    if not isinstance(name, str) or not re.match(DEVICE_PATTERN, name):
        raise ConfigError(f"{where}: {name!r} is not a device; allowed: {ALLOWED}")
    return name


def choose(configured: str = "auto") -> tuple[str, str]:
    """The device name to use and where it came from (``RESIDUE_DEVICE`` beats the config)."""
    env = os.environ.get("RESIDUE_DEVICE", "").strip()
    if env:
        return check(env, "RESIDUE_DEVICE"), "RESIDUE_DEVICE"
    return check(configured, "config device"), "config"


@lru_cache(maxsize=None)
def pick(configured: str = "auto"):
    import torch

    name, source = choose(configured)
    device = torch.device(("cuda" if torch.cuda.is_available() else "cpu") if name == "auto" else name)
    note = f" (config says {configured})" if source == "RESIDUE_DEVICE" and configured != name else ""
    print(f"device: {device} from {source}={name}{note}", file=sys.stderr)
    return device


def set_threads(n: int) -> None:
    """Match torch's intra-op threads to the cores Snakemake gave the job."""
    import torch

    torch.set_num_threads(max(1, n))
