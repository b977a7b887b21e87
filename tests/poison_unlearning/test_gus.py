"""GUS is N(0, 1) for a model that never saw the noise and shifts below 0 for one trained on it."""

import torch
from scipy import stats

from residue.attacks.gaussian import gaussian
from residue.compute import Meter
from residue.metrics.gus import THRESHOLD, gus_scores, summary
from residue.models import build
from residue.training import TrainSpec, fit


def data(n=300, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, 8, 8, generator=g)
    y = torch.randint(0, 2, (n,), generator=g)  # labels only memorisation can fit: a strong, fast signal
    return x, y


def trained(x, y):
    torch.manual_seed(0)
    model = build("mlp", (1, 8, 8), 2, hidden=(256,))
    fit(model, x, y, TrainSpec(epochs=150, batch_size=50, lr=0.1), 0, Meter())
    return model


def test_gus_is_standard_normal_without_the_noise():
    x, y = data()
    model = trained(x, y)  # never sees the noise below
    x_poisoned, idx, noise = gaussian(x, fraction=1.0, sigma=0.1, seed=1)
    scores = gus_scores(model, x[idx], y[idx], noise, 0.1, Meter())
    assert stats.kstest(scores.numpy(), "norm").pvalue > 0.01
    assert abs(summary(scores)["z"]) < 3


def test_gus_shifts_negative_when_trained_on_the_noise():
    x, y = data()
    x_poisoned, idx, noise = gaussian(x, fraction=0.2, sigma=0.1, seed=1)
    model = trained(x_poisoned, y)
    meter = Meter()
    s = summary(gus_scores(model, x[idx], y[idx], noise, 0.1, meter))
    assert s["z"] < -3 and s["mean"] < 0  # the documented sign: trained-on noise gives I < 0
    assert meter.grad_evals == len(idx)
    fresh = torch.randn(noise.shape, generator=torch.Generator().manual_seed(9)) * 0.1
    assert abs(summary(gus_scores(model, x[idx], y[idx], fresh, 0.1, Meter()))["z"]) < 3
    assert THRESHOLD < -2.3


def test_gaussian_poison_changes_only_the_chosen_rows():
    x, _ = data(n=50)
    out, idx, noise = gaussian(x, fraction=0.1, sigma=0.5, seed=3)
    assert len(idx) == 5
    assert torch.allclose(out[idx] - x[idx], noise)
    keep = torch.ones(50, dtype=torch.bool)
    keep[idx] = False
    assert torch.equal(out[keep], x[keep])


def test_gus_does_not_depend_on_the_gradient_scale_and_is_missing_without_a_gradient():
    """A saturated model's input gradients (~1e-20) square to 0 in fp32; I_i must not explode."""
    import math

    x, y = data(n=40)
    x_poisoned, idx, noise = gaussian(x, fraction=0.5, sigma=0.1, seed=1)
    torch.manual_seed(0)
    model = build("mlp", (1, 8, 8), 2, hidden=(16,))
    base = gus_scores(model, x[idx], y[idx], noise, 0.1, Meter())
    with torch.no_grad():  # scale the last layer: the logits' gradient shrinks by the same factor
        model[-1].weight.mul_(1e-20)
        model[-1].bias.zero_()
    tiny = gus_scores(model, x[idx], y[idx], noise, 0.1, Meter())
    assert torch.allclose(tiny, base, atol=1e-4)
    with torch.no_grad():
        model[-1].weight.zero_()
    flat = gus_scores(model, x[idx], y[idx], noise, 0.1, Meter())
    assert torch.isnan(flat).all()
    assert all(math.isnan(v) for v in summary(flat).values())
