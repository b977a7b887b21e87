"""Jobs: one unlearning run per (method, seed) and one DiMRA attack per (method, aux set, seed).

DiMRA (PAPERS.md §P4): white-box fine-tuning of all weights with the plain L_simple (condition
dropout kept) on an auxiliary set that never contains the forget class; it knows the conditioning
format but not what was unlearned.  UA is measured along the attack (the relearning curve) with the
same sampling noise at every point, so the curve shows the model change, not sampling noise.
"""

from __future__ import annotations

import copy
from functools import partial

import torch

from ...config import typed
from ...diffusion import to_model_range, train_denoiser
from ...diffusion.unlearning.base import UnlearnTask
from ...io import load_torch, save_torch
from ...registries import DIFFUSION_UNLEARNING, JOBS
from ...seeding import derive
from .data import aux_set, images, split_forget
from .evaluate import Evaluator, build_unet, load_model
from .models import timed
from .spec import JobSpec


def _in_model_range(pair):
    return to_model_range(pair[0]), pair[1]


@JOBS.register("relearning.unlearn")
def unlearn(ctx) -> dict:
    spec = typed(JobSpec, ctx.spec, "relearning")
    method = DIFFUSION_UNLEARNING.get(spec.method.method, "relearning.methods")
    data = images(spec)
    build = partial(build_unet, spec, data.num_classes)
    original = load_model(build(), ctx.inputs["original"][0], ctx.device)
    replay = load_torch(ctx.inputs["replay"][0])
    retain, forget = split_forget(data.train, spec.forget_class)
    torch.manual_seed(derive(spec.seed, "model"))  # the retrained model's initialisation
    task = UnlearnTask(
        model=copy.deepcopy(original).requires_grad_(True), original=original,
        retain=_in_model_range(retain), forget=_in_model_range(forget),
        forget_class=spec.forget_class, num_classes=data.num_classes, spec=spec.diffusion,
        replay=(to_model_range(replay["x"]), replay["y"]), fresh_model=lambda: build().to(ctx.device),
    )
    ckpt = ctx.work_dir() / "unlearn.ckpt"
    timed(f"unlearn {spec.method.method}", spec.method.opt.steps, "steps", method, task, spec.method.opt, spec.seed,
          ctx.meter, checkpoint=ckpt, **spec.method.hp)
    ckpt.unlink(missing_ok=True)
    save_torch(ctx.outputs["model"], task.model.state_dict())
    ev = Evaluator.create(spec, data, ctx.inputs["classifier"][0], ctx.device)
    metrics, grids = ev.score(task.model, derive(spec.seed, "eval"))
    save_torch(ctx.outputs["samples"], {k: torch.from_numpy(v) for k, v in grids.items()})
    return metrics


def curve_steps(total: int, points: int) -> list[int]:
    """``points`` evenly spaced attack steps ending at ``total`` (step 0 is the unlearned model)."""
    return sorted({max(1, round(total * (i + 1) / points)) for i in range(points)})


@JOBS.register("relearning.dimra")
def dimra(ctx) -> dict:
    spec = typed(JobSpec, ctx.spec, "relearning")
    data = images(spec)
    model = load_model(build_unet(spec, data.num_classes), ctx.inputs["unlearned"][0], ctx.device)
    replay = load_torch(ctx.inputs["replay"][0])
    x, c = aux_set(spec.aux, data, (replay["x"], replay["y"]), spec.forget_class)
    ev = Evaluator.create(spec, data, ctx.inputs["classifier"][0], ctx.device)
    n, curve_seed = spec.eval.curve_samples, derive(spec.seed, "curve")
    opt = spec.dimra.opt
    marks = curve_steps(opt.steps, spec.dimra.curve_points)
    curve = {"step": [0], "ua": [ev.ua(model, n, curve_seed)[0]]}

    def on_step(k: int) -> None:
        if k in marks:
            curve["step"].append(k)
            curve["ua"].append(ev.ua(model, n, curve_seed)[0])

    # No checkpoint: the attack is short, and a resumed run would lose the curve's earlier points.
    timed(f"dimra {spec.aux}", opt.steps, "steps", train_denoiser, model, x, c, spec.diffusion, opt,
          derive(spec.seed, "dimra"), ctx.meter, on_step=on_step, desc=f"dimra/{spec.aux}")
    ctx.record.log_curve("ua_curve", curve["ua"])
    metrics, grids = ev.score(model, derive(spec.seed, "eval"))
    save_torch(ctx.outputs["samples"], {k: torch.from_numpy(v) for k, v in grids.items()})
    return {**metrics, "curve": curve, "aux_size": len(c)}
