"""What the denoiser predicts (epsilon, x0 = "sample", v): each target is what the scheduler's own
DDIM step reads, the ε an output implies is the noise that made x_t, and the unlearning methods
refuse a model that does not predict ε."""

import pytest
import torch

from residue.diffusion import ClassConditionalUNet, DiffusionSpec, ddim_sample, ddpm_scheduler, simple_loss
from residue.diffusion.parameterization import PREDICTIONS, implied_epsilon
from residue.diffusion.unlearning.base import UnlearnTask
from residue.errors import ConfigError


def _noised(kind):
    sched = ddpm_scheduler(DiffusionSpec(prediction_type=kind))
    gen = torch.Generator().manual_seed(0)
    x0, noise = torch.rand(4, 1, 8, 8, generator=gen) * 2 - 1, torch.randn(4, 1, 8, 8, generator=gen)
    t = torch.tensor([1, 50, 500, 990])
    return sched, x0, noise, t, sched.add_noise(x0, noise, t)


@pytest.mark.parametrize("kind", sorted(PREDICTIONS))
def test_a_perfect_output_implies_the_noise_that_made_x_t(kind):
    sched, x0, noise, t, x_t = _noised(kind)
    out = PREDICTIONS[kind].target(sched, x0, noise, t)
    torch.testing.assert_close(implied_epsilon(sched, out, x_t, t), noise, atol=2e-4, rtol=1e-4)


@pytest.mark.parametrize("kind", ["sample", "v_prediction"])
def test_the_loss_regresses_the_parameterization_s_target_not_the_noise(kind):
    sched, x0, noise, t, x_t = _noised(kind)
    torch.manual_seed(0)
    model = ClassConditionalUNet(3, sample_size=8, channels=1, block_out_channels=(8, 16))
    c = torch.tensor([0, 1, 2, 0])
    target = PREDICTIONS[kind].target(sched, x0, noise, t)
    expected = (model(x_t, t, c) - target).pow(2).flatten(1).mean(1)
    got = simple_loss(model, x0, c, sched, torch.Generator(), t=t, noise=noise)
    torch.testing.assert_close(got, expected)
    assert not torch.allclose(got, (model(x_t, t, c) - noise).pow(2).flatten(1).mean(1))


class _Oracle(torch.nn.Module):
    """Outputs the exact target for one known clean image, whatever the parameterization."""

    def __init__(self, x0, spec):
        super().__init__()
        self.x0, self.kind, self.sched = x0, spec.prediction_type, ddpm_scheduler(spec)
        self.w = torch.nn.Parameter(torch.zeros(()))

    def null_cond(self, c):
        return c

    def forward(self, x_t, t, c):
        a = self.sched.alphas_cumprod[t].view(-1, 1, 1, 1)
        noise = (x_t - a.sqrt() * self.x0) / (1 - a).sqrt()
        return PREDICTIONS[self.kind].target(self.sched, self.x0.expand_as(x_t), noise, t)


@pytest.mark.parametrize("kind", sorted(PREDICTIONS))
def test_ddim_with_a_perfect_denoiser_returns_its_image_in_every_parameterization(kind):
    spec = DiffusionSpec(sample_steps=10, prediction_type=kind)
    x0 = torch.linspace(-0.9, 0.9, 64).view(1, 1, 8, 8)
    out = ddim_sample(_Oracle(x0, spec), torch.zeros(3, dtype=torch.long), spec, (1, 8, 8), seed=0)
    torch.testing.assert_close(out, x0.expand(3, -1, -1, -1), atol=1e-3, rtol=0)


def test_an_unknown_prediction_type_is_one_line_naming_the_choices():
    with pytest.raises(ConfigError, match=r"unknown diffusion prediction_type 'x0' \(one of \['epsilon', 'sample', 'v_prediction'\]\)"):
        DiffusionSpec(prediction_type="x0")


def test_the_unlearning_methods_refuse_a_denoiser_that_does_not_predict_the_noise():
    m = ClassConditionalUNet(3, sample_size=8, channels=1, block_out_channels=(8, 16))
    data = (torch.zeros(2, 1, 8, 8), torch.zeros(2, dtype=torch.long))
    with pytest.raises(ConfigError, match="epsilon-predicting"):
        UnlearnTask(m, m, data, data, 0, 3, DiffusionSpec(prediction_type="sample"))
