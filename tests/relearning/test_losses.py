"""Each unlearning objective on a constant denoiser ε_θ = b[c], checked against its formula by hand."""

from __future__ import annotations

import torch

from residue.diffusion.unlearning.dimum import dimum_loss, neutral_pattern
from residue.diffusion.unlearning.erasediff import erasediff_loss
from residue.diffusion.unlearning.esd import esd_loss
from residue.diffusion.unlearning.ga import ga_loss
from residue.diffusion.unlearning.salun import random_label_loss, retain_loss
from residue.diffusion.unlearning.selective_amnesia import ewc_penalty, fisher_diagonal

from .conftest import make_task

T = 1000


def draws(seed, n, shape, drop=False):
    """Replay L_simple's random draws: (condition-dropout mask,) t, ε."""
    g = torch.Generator().manual_seed(seed)
    mask = torch.rand(n, generator=g) < 0.1 if drop else None
    t = torch.randint(0, T, (n,), generator=g)
    return mask, t, torch.randn((n, *shape), generator=g)


def test_random_label_loss_is_gap_between_forget_and_other_class_predictions(gen):
    # c_f = 0 predicts 1, every other class predicts 3: ‖1 − 3‖² = 4 whatever c′ is drawn.
    task = make_task([1.0, 3.0, 3.0, 0.0])
    loss = random_label_loss(task, task.forget, gen)
    assert loss.item() == 4.0
    loss.backward()
    assert task.model.b.grad[0].item() == 2 * (1 - 3)  # the target is stop-gradient
    assert task.model.b.grad[1:].abs().sum() == 0


def test_esd_regresses_forget_prediction_onto_negative_guidance(gen):
    # ε*(∅) = 0.5, ε*(c_f) = 1, η = 1: target 0.5 − (1 − 0.5) = 0; the model predicts 2 → loss 4.
    task = make_task([2.0, 3.0, 3.0, 9.0], original_values=[1.0, 7.0, 7.0, 0.5])
    assert esd_loss(task, task.forget, gen, eta=1.0).item() == 4.0
    assert abs(esd_loss(task, task.forget, gen, eta=0.0).item() - 1.5 ** 2) < 1e-6  # target ε*(∅)


def test_ga_loss_is_minus_forget_plus_alpha_retain():
    task = make_task([0.5, -0.25, 0.75, 0.0])
    forget, retain = task.forget, task.retain
    loss = ga_loss(task, forget, retain, torch.Generator().manual_seed(7), alpha=2.0)
    g = torch.Generator().manual_seed(7)
    torch.randint(0, T, (len(forget[1]),), generator=g)
    eps_f = torch.randn(forget[0].shape, generator=g)
    torch.randint(0, T, (len(retain[1]),), generator=g)
    eps_r = torch.randn(retain[0].shape, generator=g)
    b = task.model.b.detach()
    l_f = (eps_f - b[0]).pow(2).mean()
    l_r = (eps_r - b[retain[1]].view(-1, 1, 1, 1)).pow(2).mean()
    assert torch.allclose(loss, -l_f + 2.0 * l_r)


def test_salun_retain_loss_is_summed_over_pixels_as_in_salun_code():
    # SalUn's α = 1e-3 weighs a per-pixel *sum* of L_simple(D_r): here 16 pixels (1×4×4), by hand
    task = make_task([0.5, -0.25, 0.75, 0.0])
    retain = task.retain
    loss = retain_loss(task, retain, torch.Generator().manual_seed(7))
    g = torch.Generator().manual_seed(7)
    torch.randint(0, T, (len(retain[1]),), generator=g)
    eps = torch.randn(retain[0].shape, generator=g)
    per_example = (eps - task.model.b.detach()[retain[1]].view(-1, 1, 1, 1)).pow(2).sum(dim=(1, 2, 3))
    assert torch.allclose(loss, per_example.mean())


def test_dimum_loss_is_retain_plus_lambda_alternative_under_forget_label():
    task = make_task([0.5, -0.25, 0.75, 0.0])
    alt = neutral_pattern(task, 3, torch.Generator())
    assert alt.shape == (3, 1, 4, 4) and alt.abs().sum() == 0
    loss = dimum_loss(task, task.retain, alt, torch.Generator().manual_seed(3), lam=0.5)
    g = torch.Generator().manual_seed(3)
    torch.randint(0, T, (len(task.retain[1]),), generator=g)
    eps_r = torch.randn(task.retain[0].shape, generator=g)
    torch.randint(0, T, (3,), generator=g)
    eps_a = torch.randn(alt.shape, generator=g)
    b = task.model.b.detach()
    expected = (eps_r - b[task.retain[1]].view(-1, 1, 1, 1)).pow(2).mean() + 0.5 * (eps_a - b[0]).pow(2).mean()
    assert torch.allclose(loss, expected)


def test_erasediff_value_and_value_function_gradient():
    # L_f(b) = (b_f − 3)²; two SGD steps at lr 0.1 from b_f = 1: 1 → 1.4 → 1.72.
    # λ (L_f(θ) − L_f(θ_K)) = 0.1 (4 − 1.28²) = 0.23616; θ_K is a constant of the outer step, so
    # ∂/∂b_f = 0.1 · 2(1 − 3) = −0.4 (the old pass-through gradient, −0.144, nearly cancelled).
    task = make_task([1.0, 3.0, 3.0, 0.0])
    loss = erasediff_loss(task, task.forget, task.retain, torch.Generator().manual_seed(9), lam=0.1, k=2, inner_lr=0.1)
    g = torch.Generator().manual_seed(9)
    torch.randint(0, T, (len(task.retain[1]),), generator=g)
    eps_r = torch.randn(task.retain[0].shape, generator=g)
    l_r = (eps_r - task.model.b.detach()[task.retain[1]].view(-1, 1, 1, 1)).pow(2).mean()
    assert abs(loss.item() - (l_r.item() + 0.23616)) < 1e-5
    loss.backward()
    assert abs(task.model.b.grad[0].item() + 0.4) < 1e-5  # the retain term has no gradient on b_f


def test_erasediff_inner_steps_leave_the_model_untouched(gen):
    task = make_task([1.0, 3.0, 3.0, 0.0])
    from residue.diffusion.unlearning.erasediff import inner_model

    shadow = inner_model(task, task.forget, gen, k=2, lr=0.1)
    assert abs(shadow.b[0].item() - 1.72) < 1e-6 and torch.equal(shadow.b[1:], task.model.b[1:])
    assert task.model.b[0].item() == 1.0 and not shadow.b.requires_grad


def test_ewc_penalty_and_fisher_diagonal():
    task = make_task([1.0, 1.0, 1.0, 1.0], original_values=[0.0, 0.0, 0.0, 0.0])
    fisher = {"b": torch.tensor([1.0, 0.0, 2.0, 0.0])}
    anchor = {"b": torch.zeros(4)}
    assert ewc_penalty(task.model, fisher, anchor).item() == 3.0  # 1·1² + 2·1²
    # Fisher of L_simple = mean((b[c] − ε)²) at b* = 0: per-sample gradient −2 mean(ε) on entry c.
    x, c = task.replay
    f = fisher_diagonal(task, x, c, torch.Generator().manual_seed(5), chunk=4)
    g = torch.Generator().manual_seed(5)
    expected = torch.zeros(4)
    for xb, cb in zip(x.split(4), c.split(4)):
        torch.randint(0, T, (len(cb),), generator=g)
        eps = torch.randn(xb.shape, generator=g)
        expected.index_add_(0, cb, (2 * eps.flatten(1).mean(1)) ** 2)
    assert torch.allclose(f["b"], expected / len(c), atol=1e-6)
    assert f["b"][0] == 0 and f["b"][3] == 0  # c_f and ∅ are not in the replay


def test_dimum_reports_the_alternative_loss_falling_as_it_memorises(gen):
    from residue.compute import Meter
    from residue.diffusion import OptimSpec
    from residue.diffusion.unlearning.dimum import dimum

    task = make_task([2.0, 0.0, 0.0, 0.0])  # c_f predicts 2; memorising D_alt under c_f pulls it to E[ε] = 0
    dimum(task, OptimSpec(steps=30, batch_size=4, lr=0.1, ema_decay=0.0), 0, Meter(), alt="pattern", n_alt=4)
    before, after = task.info["alt_loss_before"], task.info["alt_loss_after"]
    assert before > 4.0 and after < 0.5 * before
