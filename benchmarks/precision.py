"""Training-step time and achieved FLOP/s under each precision and memory layout.

    python benchmarks/precision.py [--threads 1] [--steps 30] [--forward] [--compile] [--cases A,B] [--json out.json]

For the repository's models at the batch sizes the default profile trains them with (the
classifiers, P3's segmenter and P4's and P3's diffusion UNets), one SGD step (forward, backward, update) is timed in five variants: fp32, fp32 + channels_last, fp32 with
only the model channels_last (batches NCHW, as P1's unlearning loops feed them), bf16 autocast,
bf16 autocast + channels_last (the layout only matters for convolutions).  Each variant's median
over ``--steps`` steps (after 5 warm-up steps) is printed with its achieved GFLOP/s (FLOPs counted
by ``torch.utils.flop_counter``), next to the measured peak of this machine: the median of a
1024x1024 matrix product in fp32 and bf16.  Variants alternate step by step, so a busy machine
slows them alike.  ``--forward`` times the no-grad forward pass instead (what DDIM sampling and
evaluation repeat; the diffusion UNets at their sampling batch, guidance's doubled batch of 512 for
P4 and 128 for P3); ``--compile`` adds an fp32 variant under ``torch.compile`` (its compile time,
printed, is not in the median).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from residue.diffusion.models import ClassConditionalUNet
from residue.diffusion.text import TextConditionalUNet, TextUNetSpec
from residue.models import build
from residue.precision import autocast, bf16_is_fast
from residue.segmentation.learned import network

def classifier(name: str, kwargs: dict, shape: tuple, batch: int):
    """A classifier of ``residue.models`` and its cross-entropy step (``--forward``: the same batch,
    its evaluation pass)."""
    def make(forward: bool = False):
        model = build(name, shape, 10, **kwargs)
        x, y = torch.randn(batch, *shape), torch.randint(0, 10, (batch,))
        return model, x, lambda m, x: F.cross_entropy(m(x), y)
    return make


def segmenter(batch: int):
    """P3's learned segmenter (``residue.segmentation.learned``) and its per-pixel BCE step."""
    def make(forward: bool = False):
        model, x = network(), torch.rand(batch, 3, 32, 32)
        masks = (torch.rand(batch, 32, 32) > 0.5).float()
        return model, x, lambda m, x: F.binary_cross_entropy_with_logits(m(x)[:, 0].float(), masks)
    return make


def denoiser(factory, shape: tuple, batch: int, cond, sample_batch: int):
    """A diffusion UNet and its noise-prediction step (inputs of the right shapes; values do not
    change the time of a step); ``sample_batch`` is its batch under ``--forward``."""
    def make(forward: bool = False):
        model, b = factory(), sample_batch if forward else batch
        x, t, c = torch.randn(b, *shape), torch.randint(0, 1000, (b,)), cond(b)
        return model, x, lambda m, x: F.mse_loss(m(x, t, c).float(), x)
    return make


P3_UNET = TextUNetSpec(block_out_channels=(16, 32), cross_attention_dim=64, attention_head_dim=16)
CASES = {  # as the default profile trains them (config/default.yaml)
    "baselines cnn": classifier("cnn", {}, (1, 28, 28), 128),
    "P2 neural cnn": classifier("cnn", {"width": 8, "hidden": 32}, (1, 28, 28), 64),
    "P1 mlp": classifier("mlp", {}, (1, 28, 28), 128),
    "baselines logreg": classifier("logreg", {}, (1, 8, 8), 64),
    "P3 scene classifier": classifier("cnn", {}, (3, 32, 32), 64),
    "P3 segmenter": segmenter(64),
    "P4 class UNet": denoiser(lambda: ClassConditionalUNet(10, 16, 1, (16, 32), 1), (1, 16, 16), 64,
                              lambda b: torch.randint(0, 10, (b,)), 512),
    "P3 text UNet": denoiser(lambda: TextConditionalUNet(64, P3_UNET), (3, 32, 32), 32,
                             lambda b: torch.randint(2, 64, (b, P3_UNET.max_len)), 128),
}
# variant: (precision, model channels_last, batch channels_last)
VARIANTS = {"fp32": ("fp32", False, False), "fp32+CL": ("fp32", True, True), "fp32+CL model": ("fp32", True, False),
            "bf16": ("bf16", False, False), "bf16+CL": ("bf16", True, True)}
COMPILED = {"fp32+compile": ("fp32", False, False)}


def peak(dtype: torch.dtype, reps: int = 20) -> float:
    """GFLOP/s of a 1024^2 matrix product (median of ``reps``)."""
    a, b = torch.randn(1024, 1024, dtype=dtype), torch.randn(1024, 1024, dtype=dtype)
    times = []
    for _ in range(reps + 3):
        t = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - t)
    return 2 * 1024**3 / statistics.median(times[3:]) / 1e9


def stepper(make, precision, model_nhwc, batch_nhwc, forward=False, compiled=False):
    torch.manual_seed(0)
    model, x, loss_fn = make(forward)
    if model_nhwc:
        model.to(memory_format=torch.channels_last)
    if batch_nhwc:
        x = x.contiguous(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    device = torch.device("cpu")
    run = torch.compile(model) if compiled else model

    def train_step(m=run):
        with autocast(precision, device):
            loss = loss_fn(m, x)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    @torch.no_grad()
    def forward_pass(m=run):
        with autocast(precision, device):
            loss_fn(m, x)

    step = forward_pass if forward else train_step
    with FlopCounterMode(display=False) as counter:  # on the eager model: compiled graphs hide their ops
        step(model)
    if compiled:
        t = time.perf_counter()
        step()
        print(f"  torch.compile: first step {time.perf_counter() - t:.1f} s")
    return step, counter.get_total_flops()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--forward", action="store_true", help="time the no-grad forward pass (sampling) instead of a training step")
    ap.add_argument("--compile", action="store_true", help="add an fp32 variant under torch.compile")
    ap.add_argument("--json", help="also write the table as JSON here")
    ap.add_argument("--cases", help=f"comma-separated cases (default: all of {', '.join(CASES)})")
    args = ap.parse_args()
    cases = args.cases.split(",") if args.cases else list(CASES)
    if unknown := set(cases) - set(CASES):
        ap.error(f"unknown cases {sorted(unknown)}; known: {', '.join(CASES)}")
    torch.set_num_threads(args.threads)
    peaks = {"fp32": peak(torch.float32), "bf16": peak(torch.bfloat16)}
    print(f"threads {args.threads}; 1024^2 matmul peak: fp32 {peaks['fp32']:.0f} GFLOP/s, bf16 {peaks['bf16']:.0f} GFLOP/s")
    variants = {**VARIANTS, **(COMPILED if args.compile else {})}
    rows = []
    for case in cases:
        make = CASES[case]
        steps = {v: stepper(make, *spec, forward=args.forward, compiled=v in COMPILED) for v, spec in variants.items()}
        times = {v: [] for v in variants}
        for i in range(args.steps + 5):
            for v, (step, _) in steps.items():
                t = time.perf_counter()
                step()
                if i >= 5:
                    times[v].append(time.perf_counter() - t)
        base = statistics.median(times["fp32"])
        for v, (precision, *_) in variants.items():
            ms = statistics.median(times[v]) * 1e3
            gflops = steps[v][1] / (ms / 1e3) / 1e9
            rows.append({"case": case, "variant": v, "ms_per_step": ms, "speedup": base * 1e3 / ms,
                         "gflops": gflops, "share_of_peak": gflops / peaks[precision]})
            share = (f"{100 * gflops / peaks[precision]:.0f}% of the {precision} peak"
                     if precision == "fp32" or bf16_is_fast("cpu") else "bf16 emulated: no peak to compare")
            print(f"{case:17s} {v:12s} {ms:8.1f} ms/step  x{base * 1e3 / ms:4.2f}  {gflops:6.1f} GFLOP/s  ({share})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"threads": args.threads, "forward": args.forward, "peak_gflops": peaks, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
