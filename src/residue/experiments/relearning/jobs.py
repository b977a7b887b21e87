"""Jobs: one method's unlearning for every seed, and DiMRA on its unlearned models for every
(auxiliary set, seed).  One job per method, not per cell: on 2 cores process start-up (imports,
MLflow) took about 40% of a per-cell job.  Every cell starts again from its own inputs and is seeded
on its own, so its numbers do not depend on the other cells or their order.

DiMRA (PAPERS.md §P4): white-box fine-tuning of all weights with the plain L_simple (condition
dropout kept) on an auxiliary set that never contains the forget class; it knows the conditioning
format but not what was unlearned.  UA is measured along the attack (the relearning curve) with the
same sampling noise at every point, so the curve shows the model change, not sampling noise.

Who uses which weights.  The models a publisher releases (original, retrained, unlearned) are
scored like for like, on the EMA weights of their own training run.  The attacker fine-tunes the
released unlearned model (those EMA weights) and uses what its fine-tuning gives: the default and
paper profiles set ``dimra.opt.ema_decay: 0``, so the relearning curve and the attacked model are
the raw fine-tuned weights (with an EMA configured, ``averaged`` would score its EMA instead).
The attacked models get UA only (the claims read nothing else from them); KID, with its 1,008
samples, is spent on the original, retrained and unlearned models.
"""

from __future__ import annotations

import copy
from functools import partial

import torch

from ...config import typed
from ...diffusion import averaged, to_model_range, train_denoiser
from ...diffusion.unlearning.base import UnlearnTask
from ...io import load_torch, save_torch
from ...registries import DIFFUSION_UNLEARNING, JOBS
from ...seeding import derive, seed_everything
from .data import aux_set, images, split_forget
from .evaluate import Evaluator, build_unet, load_model
from .shared import timed
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
    accurate = replay["accurate"]  # SA's replay: the class-accurate samples only
    retain, forget = split_forget(data.train, spec.forget_class)
    ev = Evaluator.create(spec, data, ctx.inputs["classifier"][0], ctx.device)
    per_seed = {}
    for seed, model_out, samples_out in zip(spec.seeds, ctx.output_files["model"], ctx.output_files["samples"], strict=True):
        seed_everything(seed)
        torch.manual_seed(derive(seed, "model"))  # the retrained model's initialisation
        task = UnlearnTask(
            model=copy.deepcopy(original).requires_grad_(True), original=original,
            retain=_in_model_range(retain), forget=_in_model_range(forget),
            forget_class=spec.forget_class, num_classes=data.num_classes, spec=spec.diffusion,
            replay=(to_model_range(replay["x"][accurate]), replay["y"][accurate]), fresh_model=lambda: build().to(ctx.device),
            probe_ua=lambda m, s=seed: ev.ua(m, spec.eval.curve_samples, derive(s, "probe"))[0],
        )
        ckpt = ctx.work_dir() / f"unlearn-seed={seed}.ckpt"
        timed(f"unlearn {spec.method.method} seed {seed}", spec.method.opt.steps, "steps", method, task,
              spec.method.opt, seed, ctx.meter, checkpoint=ckpt, **spec.method.hp)
        ckpt.unlink(missing_ok=True)
        save_torch(model_out, task.model.state_dict())
        per_seed[str(seed)], grids = ev.score(task.model, derive(seed, "eval"))
        per_seed[str(seed)].update(task.info)
        save_torch(samples_out, {k: torch.from_numpy(v) for k, v in grids.items()})
    return {"per_seed": per_seed}


def curve_steps(total: int, points: int) -> list[int]:
    """``points`` evenly spaced attack steps ending at ``total`` (step 0 is the unlearned model)."""
    return sorted({max(1, round(total * (i + 1) / points)) for i in range(points)})


def attack_one(ctx, spec: JobSpec, ev: Evaluator, path, aux: tuple, seed: int, label: str) -> tuple[dict, dict]:
    """DiMRA on one unlearned model with one auxiliary set (images in [-1, 1], conditions): the
    relearning curve, then the UA of the attacked model (both on the weights the attacker uses:
    raw when ``dimra.opt.ema_decay`` is 0, else the attack's EMA)."""
    seed_everything(seed)
    model = load_model(build_unet(spec, ev.num_classes), path, ctx.device)
    n, curve_seed = spec.eval.curve_samples, derive(seed, "curve")
    opt = spec.dimra.opt
    marks = curve_steps(opt.steps, spec.dimra.curve_points)
    curve = {"step": [0], "ua": [ev.ua(model, n, curve_seed)[0]]}

    def on_step(k: int, ema) -> None:
        if k in marks:
            with averaged(model, ema):
                curve["step"].append(k)
                curve["ua"].append(ev.ua(model, n, curve_seed)[0])

    # No checkpoint: the attack is short, and a resumed run would lose the curve's earlier points.
    x, c = aux
    timed(f"dimra {label}", opt.steps, "steps", train_denoiser, model, x, c, spec.diffusion, opt,
          derive(seed, "dimra"), ctx.meter, on_step=on_step, desc=f"dimra/{label}")
    ctx.record.log_curve(f"ua_curve/{label}", curve["ua"])
    ua, x_f = ev.ua(model, spec.eval.forget_samples, derive(seed, "eval"))
    grids = {"forget": x_f[: spec.eval.grid].numpy(), "retained": ev.grid(model, derive(seed, "eval") + 1)}
    return {"ua": ua, "n_forget_samples": len(x_f), "curve": curve, "aux_size": len(c)}, grids


@JOBS.register("relearning.dimra")
def dimra(ctx) -> dict:
    spec = typed(JobSpec, ctx.spec, "relearning")
    data = images(spec)
    replay = load_torch(ctx.inputs["replay"][0])
    ev = Evaluator.create(spec, data, ctx.inputs["classifier"][0], ctx.device)
    unlearned = dict(zip(spec.seeds, ctx.inputs["unlearned"], strict=True))
    aux_data = {a: aux_set(a, data, (replay["x"], replay["y"]), spec.forget_class) for a in spec.aux}
    cells = [(a, s) for a in spec.aux for s in spec.seeds]  # the order of the rule's samples outputs
    per_aux: dict[str, dict] = {a: {} for a in spec.aux}
    for (aux, seed), samples_out in zip(cells, ctx.output_files["samples"], strict=True):
        per_aux[aux][str(seed)], grids = attack_one(ctx, spec, ev, unlearned[seed], aux_data[aux], seed, f"{aux}/seed-{seed}")
        save_torch(samples_out, {k: torch.from_numpy(v) for k, v in grids.items()})
    return {"per_aux": per_aux}
