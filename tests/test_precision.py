"""Mixed precision: the switch reaches the training loop, bf16 trains as fp32 does, fp32 is untouched."""

import pytest
import torch

from residue.compute import Meter
from residue.models import build
from residue.precision import autocast, resolve
from residue.training import TrainSpec, accuracy, fit


def _train(precision: str, channels_last: bool):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(256, 1, 12, 12, generator=g)
    y = (x.mean((1, 2, 3)) > 0).long()  # a separable toy task
    torch.manual_seed(0)
    model = build("cnn", (1, 12, 12), 2, width=4, hidden=8)
    spec = TrainSpec(epochs=8, batch_size=32, lr=0.05, precision=precision, channels_last=channels_last)
    fit(model, x, y, spec, seed=0, meter=Meter())
    return model, accuracy(model, x, y)


def test_bf16_autocast_is_on_only_when_asked():
    cpu = torch.device("cpu")
    with autocast("fp32", cpu):
        assert not torch.is_autocast_enabled("cpu")
    with autocast("bf16", cpu):
        assert torch.is_autocast_enabled("cpu")
        assert (torch.ones(4, 4) @ torch.ones(4, 4)).dtype == torch.bfloat16
    assert resolve("auto", cpu) in {"fp32", "bf16"}
    with pytest.raises(ValueError, match="allowed: fp32, bf16, auto"):
        resolve("fp16", cpu)


def test_every_variant_learns_and_only_reduced_precision_changes_the_weights():
    ref, acc = _train("fp32", False)
    assert acc > 0.9
    for precision, cl in [("fp32", True), ("bf16", False), ("bf16", True)]:
        model, acc = _train(precision, cl)
        assert acc > 0.9, (precision, cl)
        diff = max((a - b).abs().max().item() for a, b in zip(model.parameters(), ref.parameters()))
        assert diff > 0 if precision == "bf16" else diff < 1e-4, (precision, cl, diff)
    again, _ = _train("fp32", False)
    assert all(torch.equal(a, b) for a, b in zip(again.parameters(), ref.parameters()))
