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


def machine() -> dict[str, str | int]:
    """What made a number besides code, config and data: the CPU (its model and the kernel set torch
    dispatches to, e.g. AVX2, AVX512, AMX), the accelerator torch sees, torch's version and threads.
    ``native_bf16`` is what ``precision: auto`` reads (bf16 where true, fp32 elsewhere).  Two CPUs
    with different kernel sets sum in different orders, so results are bit-identical only between
    machines of the same kind (benchmarks/README.md, "Across machines")."""
    import platform

    import torch

    from .precision import bf16_is_fast

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cpu_kernels": torch.backends.cpu.get_cpu_capability(),
        "accelerator": torch.cuda.get_device_name() if torch.cuda.is_available() else "none",
        "native_bf16": bf16_is_fast("cuda" if torch.cuda.is_available() else "cpu"),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }


def set_threads(n: int) -> None:
    """Match torch's intra-op threads to the cores Snakemake gave the job."""
    import torch

    torch.set_num_threads(max(1, n))
