"""Jobs that build what every unlearning run shares: the evaluator classifier, the original
class-conditional denoiser (trained once, cached as one job output) and its replayed samples."""

from __future__ import annotations

import time

import torch

from ...config import typed
from ...diffusion import to_model_range, train_denoiser
from ...io import save_torch
from ...registries import JOBS
from ...seeding import derive
from ...training import accuracy, fit, predict
from .data import images, split_forget
from .evaluate import Evaluator, build_classifier, build_unet, load_model
from .spec import JobSpec


def timed(label: str, n: int, unit: str, fn, *args, **kwargs):
    """Run ``fn`` and print its throughput to the job log (wall times never enter metrics.json)."""
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    dt = time.perf_counter() - t0
    print(f"[timing] {label}: {n} {unit} in {dt:.1f} s = {n / max(dt, 1e-9):.2f} {unit}/s", flush=True)
    return out


@JOBS.register("relearning.classifier")
def classifier(ctx) -> dict:
    """The evaluator: a CNN trained on the same data at the same resolution (reports test accuracy)."""
    spec = typed(JobSpec, ctx.spec, "relearning")
    data = images(spec)
    torch.manual_seed(derive(spec.seed, "classifier"))
    model = build_classifier(spec, data.num_classes).to(ctx.device)
    x, y = data.train
    hist = fit(model, x, y, spec.classifier, spec.seed, ctx.meter, eval_data=data.test, desc="classifier")
    save_torch(ctx.outputs["model"], model.state_dict())
    x_te, y_te = data.test
    forget = y_te == spec.forget_class
    return {"test_accuracy": hist.test_acc[-1], "forget_class_recall": accuracy(model, x_te[forget], y_te[forget]),
            "train_loss": hist.loss}


@JOBS.register("relearning.original")
def original(ctx) -> dict:
    """The pre-trained model: L_simple with condition dropout on every class (the model to unlearn)."""
    spec = typed(JobSpec, ctx.spec, "relearning")
    data = images(spec)
    torch.manual_seed(derive(spec.seed, "model"))
    model = build_unet(spec, data.num_classes).to(ctx.device)
    x, y = data.train
    ckpt = ctx.work_dir() / "original.ckpt"
    timed("train original", spec.train.steps, "steps", train_denoiser, model, to_model_range(x), y, spec.diffusion,
          spec.train, spec.seed, ctx.meter, checkpoint=ckpt, desc="original")
    ckpt.unlink(missing_ok=True)
    save_torch(ctx.outputs["model"], model.state_dict())
    ev = Evaluator.create(spec, data, ctx.inputs["classifier"][0], ctx.device)
    n = spec.eval.forget_samples + spec.eval.per_class_samples * (data.num_classes - 1)
    metrics, grids = timed("sample+score original", n, "images", ev.score, model, derive(spec.seed, "eval"))
    save_torch(ctx.outputs["samples"], {k: torch.from_numpy(v) for k, v in grids.items()})
    # The floor of the KID: as many real retained-class test images, unseen by the reference.
    x_real = split_forget(data.test, spec.forget_class)[0][0][spec.eval.reference_images:][: metrics["n_kid_samples"]]
    floor = ev.kid(x_real, derive(spec.seed, "kid-floor"))
    metrics.update({"kid_real_floor": floor["kid"], "kid_real_floor_std": floor["kid_std"], "n_real_floor": floor["n_kid_samples"]})
    return {"n_params": sum(p.numel() for p in model.parameters()), **metrics}


@JOBS.register("relearning.replay")
def replay(ctx) -> dict:
    """Samples of the original model for every retained class: DiMRA's auxiliary set (c) takes
    them all; Selective Amnesia's generative replay takes the ``accurate`` ones, those the evaluator
    labels as the class they were prompted with (the original's samples are not all class-accurate)."""
    spec = typed(JobSpec, ctx.spec, "relearning")
    data = images(spec)
    model = load_model(build_unet(spec, data.num_classes), ctx.inputs["original"][0], ctx.device)
    ev = Evaluator.create(spec, data, ctx.inputs["classifier"][0], ctx.device)
    cond = torch.tensor(ev.retained).repeat_interleave(spec.replay_per_class)
    x = timed("replay sampling", len(cond), "images", ev.generate, model, cond, derive(spec.seed, "replay"))
    accurate = predict(ev.classifier, x).argmax(1) == cond
    save_torch(ctx.outputs["samples"], {"x": x, "y": cond, "accurate": accurate})
    kept = {str(c): int(accurate[cond == c].sum()) for c in ev.retained}
    return {"n": len(cond), "label_agreement": float(accurate.float().mean()), "accurate_per_class": kept}
