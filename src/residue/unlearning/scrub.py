"""SCRUB (Kurmanji et al. 2023; P1, method table, row "SCRUB").

Teacher = the original model (frozen), student = the copy being unlearned.  A max-step takes a
forget batch (``forget_batch_size``, small as in the paper's code) and maximises KL(p_T ‖ p_S); a
min-step takes a retain batch (``batch_size``) and minimises α·KL(p_T ‖ p_S) + γ·CE, both at
distillation temperature T, with one SGD optimizer whose lr decays linearly to 0 over the run.

Schedule (:func:`plan`), the paper's epochs counted in steps: each round is a max pass over D_f
(⌈|D_f| / forget_batch_size⌉ max-steps) followed by a min pass over D_r, for as many rounds as
``max_steps`` max-steps need (the last pass cut at ``max_steps``); then min-steps only, until the
budget is spent.  When the budget cannot afford full retain passes between the max passes, each
round's min pass is cut to an equal share of what the budget leaves after all ``max_steps``, so
the max-steps are all taken whenever the budget affords ``max_steps · forget_batch_size``.
"""

import copy

import torch.nn.functional as F

from ..registries import UNLEARNING
from ..seeding import generator
from ..training.gather import rows
from .base import Cycle, Steps


def kl_teacher_student(teacher, student_logits, xb, T):
    """KL(p_T ‖ p_S) at temperature T, batch mean, scaled by T² as in distillation."""
    p_t = F.log_softmax(teacher(xb).detach() / T, 1)
    p_s = F.log_softmax(student_logits / T, 1)
    return F.kl_div(p_s, p_t, log_target=True, reduction="batchmean") * T * T


def plan(n_forget: int, n_retain: int, batch_size: int, forget_batch_size: int, max_steps: int, budget: int) -> list[str]:
    """SCRUB's step sequence, ``"max"`` and ``"min"``, cut where the budget stops affording steps."""
    fb, rb = min(forget_batch_size, n_forget), min(batch_size, n_retain)
    per_pass = -(-n_forget // fb)
    rounds = -(-max_steps // per_pass)
    room = max(budget - max_steps * fb, 0) // rb  # min-steps the budget leaves beside every max-step
    gap = min(-(-n_retain // rb), room // rounds) if rounds else 0
    sequence = []
    for r in range(rounds):
        sequence += ["max"] * min(per_pass, max_steps - r * per_pass) + ["min"] * gap
    out, spent = [], 0
    for label in sequence:
        cost = fb if label == "max" else rb
        if spent + cost > budget:
            return out
        out.append(label)
        spent += cost
    return out + ["min"] * ((budget - spent) // rb)


@UNLEARNING.register("scrub")
def scrub(model, retain, forget, seed, meter, lr=0.01, batch_size=128, momentum=0.9,
          T=4.0, alpha=0.001, gamma=0.99, forget_batch_size=16, max_steps=8):
    teacher = copy.deepcopy(model).eval()
    for p in teacher.parameters():
        p.requires_grad_(False)
    device = next(model.parameters()).device
    cycles = {"max": (forget, Cycle(len(forget[1]), forget_batch_size, generator(seed, "scrub-forget"))),
              "min": (retain, Cycle(len(retain[1]), batch_size, generator(seed, "scrub-retain")))}
    labels = plan(len(forget[1]), len(retain[1]), batch_size, forget_batch_size, max_steps, meter.budget)
    steps = Steps(model, lr, momentum, len(labels), meter)
    model.train()
    for label in labels:
        (x, y), cycle = cycles[label]
        idx = next(cycle)
        xb, yb = rows(idx, x, y, device=device)
        logits = model(xb)
        kl = kl_teacher_student(teacher, logits, xb, T)
        loss = -kl if label == "max" else alpha * kl + gamma * F.cross_entropy(logits, yb)
        steps.take(loss, cycle.size)
