"""P4's scoring (UA, retained-class accuracy, KID on 1,008 generations) with the sampler in fp32 and
in bf16, on the same trained models and sampling seeds: what the ``sample_precision`` switch costs
in numbers and saves in time.

    python benchmarks/sample_precision.py [--run DIR] [--methods retrain salun] [--threads 1]

``DIR`` is a checkout (or a ``scripts/regenerate.sh`` clone) whose default profile has run:
``results/relearning/<dataset>/original/metrics.json`` gives the scoring spec, each method's
``<method>/unlearn/metrics.json`` its seeds, and the original,
classifier and unlearned models come from its ``artifacts/``.  Each model is scored as the
pipeline scores it (``Evaluator.score``, seed ``derive(seed, "eval")``), once per precision; the
original's row in the precision the run used (fp32 before c7dcc91, bf16 since on a CPU with native
bf16) must equal its committed ``metrics.json``, printed first (the check that the benchmark
measures the pipeline's own computation).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import torch

from residue.config import typed
from residue.experiments.relearning.data import images
from residue.experiments.relearning.evaluate import Evaluator, build_unet, load_model
from residue.experiments.relearning.spec import JobSpec
from residue.seeding import derive


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", type=Path, default=Path("."))
    ap.add_argument("--dataset", default="fashion_mnist")
    ap.add_argument("--methods", nargs="*", default=["retrain", "salun"])
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    committed = json.loads((a.run / "results/relearning" / a.dataset / "original/metrics.json").read_text())
    base = typed(JobSpec, committed["spec"], "relearning")
    art = a.run / "artifacts/relearning" / a.dataset
    data = images(base)
    models = [("original", art / "original/model.pt", base.seed)]
    for m in a.methods:  # each method's seeds as its unlearning job ran them
        seeds = json.loads((a.run / "results/relearning" / a.dataset / m / "unlearn/metrics.json").read_text())["spec"]["seeds"]
        models += [(f"{m}/seed={s}", art / f"{m}/seed={s}/model.pt", s) for s in seeds]
    print(f"committed original: accuracy {committed['metrics']['retained_accuracy']:.4f}, KID {committed['metrics']['kid']:.4f}")
    print("| model | precision | UA | retained accuracy | KID ± spread | seconds |\n|---|---|---|---|---|---|")
    for prec in ("fp32", "bf16"):
        spec = dataclasses.replace(base, diffusion=dataclasses.replace(base.diffusion, sample_precision=prec))
        ev = Evaluator.create(spec, data, art / "classifier.pt", torch.device("cpu"))
        for name, path, seed in models:
            model = load_model(build_unet(spec, data.num_classes), path, torch.device("cpu"))
            start = time.perf_counter()
            r, _ = ev.score(model, derive(seed, "eval"))
            print(f"| {name} | {prec} | {r['ua']:.3f} | {r['retained_accuracy']:.4f} | {r['kid']:.4f} ± {r['kid_std']:.4f} "
                  f"| {time.perf_counter() - start:.1f} |", flush=True)


if __name__ == "__main__":
    main()
