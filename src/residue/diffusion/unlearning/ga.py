"""Gradient ascent on the forget set with a retain term (PAPERS.md §P4):

    L = −L_simple(D_f) + α · L_simple(D_r)

with a stopping rule: −L_simple(D_f) is unbounded below, so ascent is stopped once the model has
forgotten — every ``check_every`` steps the UA of a few c_f generations of the (EMA) model is
measured (``task.probe_ua``) and the run ends when it reaches ``target_ua`` (``opt.steps`` is the cap).
The step it stopped at is reported (``task.info["stopped_at"]``).
"""

from __future__ import annotations

from ...registries import DIFFUSION_UNLEARNING
from ..loss import simple_loss
from ..train import averaged, run_steps
from .base import UnlearnTask


def ga_loss(task: UnlearnTask, forget, retain, gen, alpha: float):
    (xf, cf), (xr, cr) = forget, retain
    l_f = simple_loss(task.model, xf, cf, task.scheduler, gen).mean()
    l_r = simple_loss(task.model, xr, cr, task.scheduler, gen, cond_drop=task.spec.cond_drop).mean()
    return -l_f + alpha * l_r


def reached_ua(task: UnlearnTask, target_ua: float, check_every: int):
    """The stopping rule as a ``run_steps`` callback: true once the probed UA reaches ``target_ua``."""
    def stop(k: int, ema) -> bool:
        if k % check_every:
            return False
        with averaged(task.model, ema):
            ua = task.probe_ua(task.model)
        task.info.update(stopped_at=k, probe_ua=ua)
        return ua >= target_ua

    return stop


@DIFFUSION_UNLEARNING.register("ga")
def ga(task: UnlearnTask, opt, seed, meter, *, alpha: float = 1.0, target_ua: float | None = None,
       check_every: int = 10, **run_kw) -> None:
    def step_loss(step, gen):
        forget = task.batch(task.forget, opt.batch_size, gen)
        retain = task.batch(task.retain, opt.batch_size, gen)
        return ga_loss(task, forget, retain, gen, alpha), len(forget[1]) + len(retain[1])

    if target_ua is not None and task.probe_ua is None:
        raise ValueError("GA's stopping rule (target_ua) needs task.probe_ua")
    stop = reached_ua(task, target_ua, check_every) if target_ua is not None else None
    run_steps(task.model, step_loss, opt, seed, meter, desc="ga", on_step=stop, **run_kw)
