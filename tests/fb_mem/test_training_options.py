"""The second-pass training options: the diffusion loop's cosine learning rate and the learned
segmenter's noise augmentation."""

import pytest
import torch

from residue.compute import Meter
from residue.diffusion import OptimSpec
from residue.errors import ConfigError
from residue.segmentation import learned


def test_cosine_lr_decays_from_lr_to_zero():
    opt = OptimSpec(steps=100, lr=0.002, schedule="cosine")
    assert opt.lr_at(0) == pytest.approx(0.002)
    assert opt.lr_at(50) == pytest.approx(0.001)
    assert opt.lr_at(99) < 1e-5
    assert OptimSpec(steps=100, lr=0.002).lr_at(99) == 0.002


def test_unknown_schedule_is_a_config_error():
    with pytest.raises(ConfigError):
        OptimSpec(schedule="exponential").lr_at(0)


def _weights(noise: float, precision: str = "fp32") -> torch.Tensor:
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(8, 3, 32, 32, generator=gen)
    masks = (torch.rand(8, 32, 32, generator=gen) > 0.5).to(torch.uint8)
    net = learned.train(x, masks, 3, 0, Meter(), batch_size=4, width=8, noise=noise, precision=precision)
    assert all(p.is_contiguous() for p in net.parameters())  # NHWC in training only: the saved weights do not depend on it
    return torch.cat([p.detach().flatten() for p in net.parameters()])


def test_segmenter_noise_augmentation_is_seeded_and_changes_training():
    assert torch.equal(_weights(0.2), _weights(0.2))
    assert not torch.equal(_weights(0.2), _weights(0.0))


def test_segmenter_precision_is_deterministic_and_bf16_trains_differently():
    assert torch.equal(_weights(0.2, "bf16"), _weights(0.2, "bf16"))
    assert not torch.equal(_weights(0.2, "bf16"), _weights(0.2, "fp32"))
    with pytest.raises(ValueError, match="precision"):
        _weights(0.2, "fp16")
