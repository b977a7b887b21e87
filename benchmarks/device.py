"""The default profile's main training and sampling loops on whatever device is picked.

    python benchmarks/device.py [--json out.json] [--device auto]

Uses the repository's own functions and the default profile's settings (config/default.yaml), on
the device ``residue.device.pick`` chooses (CUDA when there is one):

* the baselines' Fashion-MNIST CNN: the whole 3-epoch recipe under fp32 and under bf16 +
  channels_last, with its test accuracy (the claim's quantity) and seconds;
* P4's class-conditional UNet: 200 of the original model's 1,500 training steps (seconds per
  step), then DDIM sampling of the 1,008 generations that one KID needs (images per second);
* P1's MLP: one full training of the default recipe on Fashion-MNIST.

It is how the GPU numbers in benchmarks/README.md were taken; on a CPU it gives the same table
for comparison.  Nothing here writes results.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import replace

import torch

from residue.compute import Meter
from residue.config import read
from residue.data import load
from residue.device import pick
from residue.diffusion.models import ClassConditionalUNet
from residue.diffusion.sample import ddim_sample
from residue.diffusion.schedule import DiffusionSpec, to_model_range
from residue.diffusion.train import OptimSpec, train_denoiser
from residue.models import build
from residue.training import TrainSpec, accuracy, fit


def timed(fn, *args, **kwargs):
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    t = time.perf_counter()
    out = fn(*args, **kwargs)
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return out, time.perf_counter() - t


def classifier(device, run: dict, precision: str, channels_last: bool) -> dict:
    data = load(run["dataset"])
    (x, y), (x_te, y_te) = data.train.tensors(), data.test.tensors()
    x, y = x.to(device), y.to(device)  # the loop moves batches; resident data is the GPU way
    torch.manual_seed(0)
    model = build(run["model"], data.shape, data.num_classes).to(device)
    spec = replace(TrainSpec(**run["train"]), precision=precision, channels_last=channels_last)
    _, seconds = timed(fit, model, x, y, spec, 0, Meter())
    return {"seconds": seconds, "test_accuracy": accuracy(model, x_te, y_te)}


def unet(device, cfg: dict, steps: int = 200) -> dict:
    res = cfg["resolution"]
    data = load(cfg["dataset"])
    x, y = data.train.tensors()
    x = torch.nn.functional.interpolate(x, size=(res, res), mode="area")
    torch.manual_seed(0)
    model = ClassConditionalUNet(data.num_classes, res, 1, tuple(cfg["unet"]["block_out_channels"]),
                                 cfg["unet"]["layers_per_block"]).to(device)
    spec = DiffusionSpec(**cfg["diffusion"])
    opt = OptimSpec(**{**cfg["train"], "steps": steps, "checkpoint_every": 10**9})
    _, seconds = timed(train_denoiser, model, to_model_range(x), y, spec, opt, 0, Meter())
    n = cfg["eval"]["per_class_samples"] * (data.num_classes - 1)
    cond = torch.arange(n) % data.num_classes
    _, sample_s = timed(ddim_sample, model, cond, spec, (1, res, res), 0)
    return {"train_s_per_step": seconds / steps, "train_steps_of_original": cfg["train"]["steps"],
            "sampling_images": n, "sampling_images_per_s": n / sample_s}


def mlp(device, setting: dict) -> dict:
    data = load(setting["dataset"])
    x, y = (t[: setting["subset"]] for t in data.train.tensors())
    torch.manual_seed(0)
    model = build(setting["model"], data.shape, data.num_classes, **setting["model_args"]).to(device)
    _, seconds = timed(fit, model, x.to(device), y.to(device), TrainSpec(**setting["train"]), 0, Meter())
    return {"seconds": seconds}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="auto")
    ap.add_argument("--json")
    ap.add_argument("--quick", action="store_true", help="a few seconds of each, to check the script")
    args = ap.parse_args()
    os.environ.setdefault("RESIDUE_PROGRESS", "0")
    cfg = read("config/default.yaml")
    if args.quick:
        cfg["baselines"]["runs"]["fashion_mnist_cnn"]["train"]["epochs"] = 0
        cfg["relearning"]["eval"]["per_class_samples"] = 2
        cfg["poison_unlearning"]["settings"][0]["train"]["epochs"] = 1
    device = pick(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    run = cfg["baselines"]["runs"]["fashion_mnist_cnn"]
    p1 = cfg["poison_unlearning"]["settings"][0]
    out = {"device": name, "torch": torch.__version__, "threads": torch.get_num_threads(),
           "baselines_cnn_fp32": classifier(device, run, "fp32", False),
           "baselines_cnn_bf16_cl": classifier(device, run, "bf16", True),
           "p4_unet": unet(device, cfg["relearning"], steps=5 if args.quick else 200),
           "p1_mlp": mlp(device, p1)}
    print(json.dumps(out, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
