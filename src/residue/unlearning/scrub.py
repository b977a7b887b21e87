"""SCRUB (Kurmanji et al. 2023; P1, method table, row "SCRUB").

Teacher = the original model (frozen), student = the copy being unlearned.  Rounds alternate a
max-step over D_f, maximising KL(p_T ‖ p_S) (for the first ``max_rounds`` rounds only, as in the
original schedule), and a min-step over D_r, minimising α·KL(p_T ‖ p_S) + γ·CE, with
distillation temperature T; both run through the shared ``fit`` until the budget is spent.
"""

import copy

import torch.nn.functional as F

from ..registries import UNLEARNING
from ..seeding import derive
from ..training import fit
from .base import steps_spec


def kl_teacher_student(teacher, student_logits, xb, T):
    """KL(p_T ‖ p_S) at temperature T, batch mean, scaled by T² as in distillation."""
    p_t = F.log_softmax(teacher(xb).detach() / T, 1)
    p_s = F.log_softmax(student_logits / T, 1)
    return F.kl_div(p_s, p_t, log_target=True, reduction="batchmean") * T * T


@UNLEARNING.register("scrub")
def scrub(model, retain, forget, seed, meter, lr=0.01, batch_size=128, momentum=0.9,
          T=4.0, alpha=0.001, gamma=0.99, max_rounds=2):
    teacher = copy.deepcopy(model).eval()
    for p in teacher.parameters():
        p.requires_grad_(False)

    def max_loss(m, xb, yb):
        return -kl_teacher_student(teacher, m(xb), xb, T)

    def min_loss(m, xb, yb):
        logits = m(xb)
        return alpha * kl_teacher_student(teacher, logits, xb, T) + gamma * F.cross_entropy(logits, yb)

    rnd = 0
    while meter.affordable(1):
        spent = meter.grad_evals
        s = derive(seed, f"scrub-round-{rnd}")
        if rnd < max_rounds:
            fit(model, *forget, steps_spec(len(forget[1]), 0, lr, batch_size, momentum), s, meter, loss_fn=max_loss, desc="scrub-max")
        fit(model, *retain, steps_spec(len(retain[1]), 0, lr, batch_size, momentum), s, meter, loss_fn=min_loss, desc="scrub-min")
        if meter.grad_evals == spent:  # the budget cannot afford another batch
            break
        rnd += 1
