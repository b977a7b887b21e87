"""Gradient Canceling: the reachability numbers, a reachable θ_p that GC cancels, and the pixel box."""

import copy
import math
import warnings

import pytest
import torch
import torch.nn.functional as F

from residue.attacks.gradient_canceling import (GCSpec, bias_part, draw, fit_optimum, gradient_canceling, label_flip_target,
                                                max_poison_bias_grad_norm, max_poison_grad_norm, reachability,
                                                stationarity_grad, sum_grad)
from residue.compute import Meter
from residue.errors import ConfigError
from residue.models import build

WD = 0.01


def problem(n=150, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, 2, 2, generator=g)
    w = torch.randn(3, 4, generator=g)
    y = ((x.flatten(1) - 0.5) @ w.T + 0.3 * torch.randn(n, 3, generator=g)).argmax(1)
    torch.manual_seed(seed)
    return x, y, fit_optimum(build("logreg", (1, 2, 2), 3), x, y, WD, 200, Meter())


def test_stationarity_grad_is_n_times_the_sgd_weight_decay_gradient():
    """The cancelled objective is the victim's: SGD's weight_decay λ on the mean loss, times N."""
    x, y, model = problem()
    model.zero_grad()
    F.cross_entropy(model(x), y).backward()
    sgd = torch.cat([(p.grad + WD * p.detach()).reshape(-1) for p in model.parameters()])
    torch.testing.assert_close(stationarity_grad(model, x, y, WD, len(y)), len(y) * sgd, rtol=1e-4, atol=1e-5)


def test_fit_optimum_reaches_a_stationary_point():
    x, y, model = problem()
    start = stationarity_grad(build("logreg", (1, 2, 2), 3), x, y, WD, len(y)).norm()
    assert stationarity_grad(model, x, y, WD, len(y)).norm() < 1e-3 * start


def test_poison_gradient_bound_holds_and_is_nearly_attained_in_the_box():
    model = build("logreg", (1, 2, 2), 3)
    bound = max_poison_grad_norm(model, 1, clip=True)
    assert bound == pytest.approx(math.sqrt(2) * math.sqrt(4 + 1))
    assert max_poison_grad_norm(model, 5, clip=True) == pytest.approx(5 * bound)
    g = torch.Generator().manual_seed(1)
    for _ in range(50):  # any point of the box, any label, stays under the bound
        x, y = torch.rand(1, 1, 2, 2, generator=g), torch.randint(0, 3, (1,), generator=g)
        assert sum_grad(model, x, y).norm() <= bound
    with torch.no_grad():  # the sup: x = 1, all mass on a wrong class
        model[1].weight.zero_()
        model[1].bias.copy_(torch.tensor([0.0, 0.0, 50.0]))
    assert sum_grad(model, torch.ones(1, 1, 2, 2), torch.tensor([0])).norm() > 0.999 * bound
    assert max_poison_grad_norm(model, 1, clip=False) == math.inf
    with pytest.raises(ValueError, match="single linear layer"):
        max_poison_grad_norm(build("mlp", (1, 2, 2), 3, hidden=[4]), 1, clip=True)


def test_reachability_warns_when_the_poisons_cannot_cancel_the_gradient():
    x, y, model = problem()
    with torch.no_grad():
        model[1].bias.add_(torch.tensor([20.0, -20.0, 0.0]))  # far from the optimum: a large gradient
    with pytest.warns(UserWarning, match="unreachable"):
        r = reachability(model, x, y, 1, WD, clip=True)
    assert r["gc_reachable"] is False and r["gc_clean_grad_norm_at_target"] > r["gc_max_poison_grad_norm"]
    with pytest.warns(UserWarning, match="bias gradient to cancel"):  # no box bounds the whole norm, the bias part stays bounded
        r = reachability(model, x, y, 1, WD, clip=False)
    assert r["gc_reachable"] is False and r["gc_max_poison_grad_norm"] is None
    assert r["gc_clean_bias_grad_norm_at_target"] > r["gc_max_poison_bias_grad_norm"] == pytest.approx(math.sqrt(2))


def test_unclipped_reachability_is_decided_by_the_bias_part():
    """Unclipped, a target is reachable while its bias gradient is within n_p·√2 and not beyond; the bias
    bound holds for any input, however large, while the whole norm grows with the input."""
    x, y, model = problem()
    shift = torch.randn(model[1].weight.shape, generator=torch.Generator().manual_seed(2))
    reach = {}
    for size in (0.3, 3.0):
        moved = copy.deepcopy(model)
        with torch.no_grad():
            moved[1].weight.add_(size * shift)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = reachability(moved, x, y, 20, WD, clip=False)
        reach[size] = r["gc_reachable"]
        assert r["gc_reachable"] == (r["gc_clean_bias_grad_norm_at_target"] <= r["gc_max_poison_bias_grad_norm"])
    assert reach == {0.3: True, 3.0: False}
    g = torch.Generator().manual_seed(3)
    xp, yp = 1e3 * torch.randn(20, 1, 2, 2, generator=g), torch.randint(0, 3, (20,), generator=g)
    grad = sum_grad(model, xp, yp)
    assert bias_part(model, grad).norm() <= max_poison_bias_grad_norm(model, 20) < grad.norm()


def craft(spec, seed=0):
    x, y, clean = problem(seed=seed)
    witness, start = draw(clean, x, y, spec, seed)
    target, x_flip, y_flip = label_flip_target(clean, x, y, witness, spec, WD, Meter())
    xp, curve = gradient_canceling(target, x, y, x[start] * spec.scale, y_flip, spec, WD, Meter())
    return x, y, target, x_flip, y_flip, witness, start, xp, curve


def test_label_flip_target_is_reachable_and_gc_cancels_its_gradient():
    spec = GCSpec(fraction=0.1, steps=400, lr=1.0, clip=True)
    x, y, target, x_flip, y_flip, witness, start, xp, curve = craft(spec)
    assert len(set(witness.tolist()) & set(start.tolist())) == 0 and len(y_flip) == 15
    assert (y_flip != y[witness]).all()
    clean_grad = stationarity_grad(target, x, y, WD, len(y) + len(y_flip))
    witness_norm = (clean_grad + sum_grad(target, x_flip, y_flip)).norm()
    assert witness_norm < 1e-3 * clean_grad.norm()  # the flipped points are a feasible zero of the GC loss
    assert reachability(target, x, y, len(y_flip), WD, clip=True)["gc_reachable"]
    assert curve[-1] < curve[0] / 10  # GC, from other images, gets most of the way there


def test_unclipped_poisons_may_leave_the_box_clipped_ones_do_not():
    *_, xp_clipped, _ = craft(GCSpec(fraction=0.1, steps=100, lr=1.0, clip=True))
    *_, xp_free, _ = craft(GCSpec(fraction=0.1, steps=100, lr=1.0, clip=False, scale=3.0))
    assert xp_clipped.min() >= 0 and xp_clipped.max() <= 1
    assert xp_free.min() < 0 or xp_free.max() > 1


def test_scaled_witness_needs_the_unclipped_variant():
    with pytest.raises(ConfigError, match="scale"):
        GCSpec(clip=True, scale=2.0)


def test_control_unlearns_the_clean_model_on_clean_data_with_a_random_forget_set():
    """control_effect runs the method on D_c (no poison), from the clean state, forgetting the control set."""
    from residue.experiments.poison_unlearning.control import control_effect

    x, y, clean = problem()
    xp = torch.full((5, 1, 2, 2), 9.0)
    b = {"x": torch.cat([x, xp]), "y": torch.cat([y, y[:5]]), "forget": torch.arange(150, 155), "x_test": x, "y_test": y,
         "clean_accuracy": 0.9, "control": {"state": clean.state_dict(), "forget": torch.tensor([3, 7, 11, 19, 23]), "n_clean": 150}}
    seen = {}

    def run_unlearning(cell, bundle, state, hp, device, meter):
        seen.update(x=bundle["x"], forget=bundle["forget"], state=state, hp=hp, cell=cell)
        model = build("logreg", (1, 2, 2), 3)
        model.load_state_dict(state)
        return model

    effect = control_effect("cell", b, {"lr": 0.1}, "cpu", Meter(), run_unlearning)
    assert len(seen["x"]) == 150 and (seen["x"] != 9.0).all()  # the poisons are not in the control's data
    assert seen["forget"].tolist() == [3, 7, 11, 19, 23] and seen["hp"] == {"lr": 0.1} and seen["cell"] == "cell"
    assert seen["state"] is b["control"]["state"]
    acc = (clean(x).argmax(1) == y).float().mean().item()
    assert effect == pytest.approx(0.9 - acc)
