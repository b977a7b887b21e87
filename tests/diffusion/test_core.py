"""The shared diffusion core on a tiny UNet: the loss is L_simple, guidance and resume are exact."""

import torch

from residue.compute import Meter
from residue.diffusion import (
    ClassConditionalUNet,
    DiffusionSpec,
    OptimSpec,
    ddim_sample,
    ddpm_scheduler,
    drop_condition,
    simple_loss,
    train_denoiser,
)


def tiny(seed=0):
    torch.manual_seed(seed)
    return ClassConditionalUNet(3, sample_size=8, channels=1, block_out_channels=(8, 16))


def same(a, b):
    return all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))


def test_simple_loss_is_the_noise_regression_of_ho_et_al():
    model, sched = tiny(), ddpm_scheduler(DiffusionSpec())
    x0, c = torch.rand(4, 1, 8, 8) * 2 - 1, torch.tensor([0, 1, 2, 0])
    t, noise = torch.tensor([0, 10, 500, 999]), torch.randn(4, 1, 8, 8)
    abar = sched.alphas_cumprod[t].view(-1, 1, 1, 1)
    x_t = abar.sqrt() * x0 + (1 - abar).sqrt() * noise
    expected = (model(x_t, t, c) - noise).pow(2).flatten(1).mean(1)
    got = simple_loss(model, x0, c, sched, torch.Generator(), t=t, noise=noise)
    torch.testing.assert_close(got, expected)


def test_condition_dropout_uses_the_null_class_at_the_stated_rate():
    model = tiny()
    cond = torch.zeros(4000, dtype=torch.long)
    dropped = drop_condition(model, cond, 0.1, torch.Generator().manual_seed(0))
    assert set(dropped.unique().tolist()) == {0, model.null_class}
    assert abs((dropped == model.null_class).float().mean().item() - 0.1) < 0.02
    assert torch.equal(drop_condition(model, cond, 0.0, torch.Generator()), cond)


def test_guidance_one_is_plain_conditional_sampling_and_sampling_is_seeded():
    model, spec = tiny(), DiffusionSpec(sample_steps=4)
    c = torch.tensor([0, 1, 2])
    a = ddim_sample(model, c, spec, (1, 8, 8), seed=5)
    assert a.shape == (3, 1, 8, 8) and a.min() >= -1 and a.max() <= 1
    assert torch.equal(a, ddim_sample(model, c, spec, (1, 8, 8), seed=5))
    assert not torch.equal(a, ddim_sample(model, c, spec, (1, 8, 8), seed=6))
    assert not torch.equal(ddim_sample(model, c, spec, (1, 8, 8), seed=5, guidance=1.0), a)


def test_bf16_sampling_casts_only_the_forward_passes():
    """``sample_precision: bf16`` changes the samples (the cast acted) but not by much, even on this
    untrained UNet whose early x̂_0 estimates amplify errors, and returns float32; the weights are
    untouched."""
    model, c = tiny(), torch.tensor([0, 1, 2])
    before = {k: v.clone() for k, v in model.state_dict().items()}
    a = ddim_sample(model, c, DiffusionSpec(sample_steps=4), (1, 8, 8), seed=5)
    b = ddim_sample(model, c, DiffusionSpec(sample_steps=4, sample_precision="bf16"), (1, 8, 8), seed=5)
    assert b.dtype == torch.float32 and not torch.equal(a, b)
    assert (a - b).abs().mean() < 0.2 * a.abs().mean()
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())


def test_training_lowers_the_loss_counts_examples_and_resumes_exactly(tmp_path):
    x0 = torch.rand(32, 1, 8, 8) * 2 - 1
    c = torch.randint(0, 3, (32,))
    spec = DiffusionSpec()
    opt = OptimSpec(steps=6, batch_size=8, lr=1e-3, ema_decay=0.9, checkpoint_every=3)
    full, meter = tiny(), Meter()
    train_denoiser(full, x0, c, spec, opt, seed=0, meter=meter)
    assert meter.grad_evals == 48
    ckpt = tmp_path / "d.ckpt"
    part = tiny()
    train_denoiser(part, x0, c, spec, opt, seed=0, meter=Meter(budget=24), checkpoint=ckpt)  # stops after 3 steps
    resumed = tiny()
    train_denoiser(resumed, x0, c, spec, opt, seed=0, meter=Meter(), checkpoint=ckpt)
    assert same(full, resumed)
