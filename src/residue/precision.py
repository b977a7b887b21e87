"""Mixed precision for training: bf16 autocast where the hardware runs it fast, fp32 elsewhere.

``precision`` in a training recipe (``TrainSpec.precision``) is one of

* ``fp32`` — every operation in float32 (the default: the committed results were made so);
* ``bf16`` — the forward pass under ``torch.autocast(dtype=bfloat16)``: matrix products and
  convolutions in bfloat16, reductions, losses and the optimizer state in float32 (autocast's own
  op lists); on a CPU without native bf16 it still runs, slowly;
* ``auto`` — ``bf16`` on a CUDA GPU that supports it and on a CPU with AVX-512 bf16 or AMX,
  otherwise ``fp32``; decided at run time, so one profile is fast on every machine but its numbers
  then depend on the machine (the job's log names the choice).

Only training forward passes are cast.  Evaluation (``predict``), input gradients (GUS, P1) and the
attacks' gradient alignment stay in float32: they are the precision-sensitive computations, and
they are a small part of the time (``benchmarks/precision.py`` measures both sides).
"""

from __future__ import annotations

import contextlib
import sys
from functools import lru_cache

import torch

PRECISIONS = ("fp32", "bf16", "auto")


@lru_cache(maxsize=None)
def bf16_is_fast(device_type: str) -> bool:
    """Whether ``device_type`` has native bf16 matrix units (CUDA: Ampere or newer; CPU: AVX-512
    bf16 or AMX, which torch's oneDNN kernels use)."""
    if device_type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported(including_emulation=False)
    if device_type == "cpu":  # torch.cpu's capability probes (private, hence the getattr)
        probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
        return any(getattr(torch.cpu, p, lambda: False)() for p in probes)
    return False


@lru_cache(maxsize=None)
def _auto(device_type: str) -> str:
    chosen = "bf16" if bf16_is_fast(device_type) else "fp32"
    print(f"precision: auto -> {chosen} on {device_type}", file=sys.stderr)
    return chosen


def resolve(precision: str, device: torch.device) -> str:
    """``fp32`` or ``bf16``: what ``precision`` means on ``device``."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r}; allowed: {', '.join(PRECISIONS)}")
    return _auto(device.type) if precision == "auto" else precision


def autocast(precision: str, device: torch.device):
    """A context that runs its forward pass in ``precision`` (``fp32``: no cast at all)."""
    if resolve(precision, device) == "fp32":
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=torch.bfloat16)
