"""SalUn's saliency mask, the metrics on hand-built inputs, and DiMRA's auxiliary sets."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from residue.diffusion import ClassConditionalUNet, DiffusionSpec
from residue.diffusion.unlearning.base import UnlearnTask, other_classes
from residue.diffusion.unlearning.salun import mask_gradients, saliency_mask
from residue.errors import DataError
from residue.experiments.relearning.jobs import curve_steps
from residue.experiments.relearning.data import AUX_SETS, Images, aux_set, split_forget, without_class
from residue.experiments.relearning.metrics import kid, polynomial_mmd2, retained_accuracy, unlearning_accuracy


def tiny_unet_task():
    torch.manual_seed(0)
    model = ClassConditionalUNet(3, 8, 1, (8, 8), 1)
    x = torch.rand(12, 1, 8, 8) * 2 - 1
    y = torch.arange(12) % 3
    return UnlearnTask(model, ClassConditionalUNet(3, 8, 1, (8, 8), 1), (x[y != 0], y[y != 0]), (x[y == 0], y[y == 0]),
                       0, 3, DiffusionSpec())


@pytest.mark.parametrize("fraction", [0.5, 0.1])
def test_saliency_mask_keeps_the_stated_fraction(fraction, gen):
    task = tiny_unet_task()
    mask = saliency_mask(task, gen, fraction, batch_size=4)
    kept = sum(int(m.sum()) for m in mask.values())
    total = sum(m.numel() for m in mask.values())
    assert abs(kept / total - fraction) < 0.01
    assert set(mask) == {n for n, _ in task.model.named_parameters()}


def test_masked_gradients_vanish_outside_the_mask(gen):
    task = tiny_unet_task()
    mask = saliency_mask(task, gen, 0.5, batch_size=4)
    hooks = mask_gradients(task.model, mask)
    task.model(task.forget[0], torch.zeros(4, dtype=torch.long), task.forget[1]).pow(2).mean().backward()
    for n, p in task.model.named_parameters():
        if p.grad is not None:
            assert (p.grad[~mask[n]] == 0).all()
    for h in hooks:
        h.remove()


def test_other_classes_never_returns_the_class(gen):
    c = torch.randint(0, 10, (5000,), generator=gen)
    o = other_classes(c, 10, gen)
    assert (o != c).all() and set(o.tolist()) == set(range(10))


def test_unlearning_and_retained_accuracy_by_hand():
    assert unlearning_accuracy(torch.tensor([1, 1, 0, 2]), 1) == 0.5
    assert unlearning_accuracy(torch.tensor([0, 2, 3]), 1) == 1.0
    assert retained_accuracy(torch.tensor([0, 2, 3, 3]), torch.tensor([0, 2, 2, 3])) == 0.75


def test_polynomial_mmd2_matches_the_unbiased_formula_by_hand():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(5, 3)), rng.normal(size=(4, 3)) + 1

    def k(x, y):
        return (x @ y / 3 + 1) ** 3

    aa = sum(k(a[i], a[j]) for i in range(5) for j in range(5) if i != j) / 20
    bb = sum(k(b[i], b[j]) for i in range(4) for j in range(4) if i != j) / 12
    ab = sum(k(x, y) for x in a for y in b) / 20
    assert abs(polynomial_mmd2(a, b) - (aa + bb - 2 * ab)) < 1e-9


def test_kid_is_unbiased_near_zero_for_one_distribution_and_grows_with_a_shift():
    rng = np.random.default_rng(1)
    ref = rng.normal(size=(2000, 16))
    same = kid(rng.normal(size=(1000, 16)), ref, subsets=20, subset_size=500, seed=0)
    shifted = kid(rng.normal(size=(1000, 16)) + 0.3, ref, subsets=20, subset_size=500, seed=0)
    assert abs(same[0]) < 3 * same[1] + 1e-3  # unbiased: zero within its own spread
    assert shifted[0] > same[0] + 5 * shifted[1] and shifted[1] > 0


def fake_images(forget_class=1):
    y_tr = torch.arange(40) % 4
    y_te = torch.arange(20) % 4
    return Images((torch.rand(40, 1, 8, 8), y_tr), (torch.rand(20, 1, 8, 8), y_te), 4, list("abcd"))


@pytest.mark.parametrize("name", sorted(AUX_SETS))
def test_dimra_aux_sets_never_hold_the_forget_class(name):
    data = fake_images()
    replay = (torch.rand(6, 1, 8, 8), torch.tensor([0, 2, 3, 0, 2, 3]))
    x, c = aux_set(name, data, replay, forget_class=1)
    assert len(c) > 0 and not (c == 1).any()
    assert x.min() >= -1 and x.max() <= 1
    forget_images = split_forget(data.train, 1)[1][0] * 2 - 1
    assert not any(torch.equal(xi, fi) for xi in x for fi in forget_images)


def test_dimra_refuses_a_set_with_the_forget_class():
    data = fake_images()
    with pytest.raises(DataError, match="forget class 1"):
        aux_set("generated", data, (torch.rand(3, 1, 8, 8), torch.tensor([0, 1, 2])), forget_class=1)
    with pytest.raises(DataError):
        without_class((torch.zeros(1), torch.tensor([3])), 3, "x")


def test_dimra_training_data_excludes_forget_class(monkeypatch):
    """The DiMRA job hands train_denoiser only aux data: capture what it receives."""
    from residue.experiments.relearning import jobs

    seen = {}

    def fake_train(model, x, c, *a, **k):
        seen["c"] = c
        raise StopIteration

    monkeypatch.setattr(jobs, "train_denoiser", fake_train)
    monkeypatch.setattr(jobs, "images", lambda spec: fake_images())
    monkeypatch.setattr(jobs, "load_model", lambda m, p, d: m)
    monkeypatch.setattr(jobs, "load_torch", lambda p: {"x": torch.rand(4, 1, 8, 8), "y": torch.tensor([0, 2, 3, 0])})

    class FakeEval:
        num_classes = 10

        def ua(self, model, n, seed):
            return 1.0, None

    monkeypatch.setattr(jobs.Evaluator, "create", classmethod(lambda cls, *a: FakeEval()))
    for aux in sorted(AUX_SETS):
        spec = {"dataset": "fashion_mnist", "resolution": 8, "forget_class": 1, "diffusion": {}, "unet": {"block_out_channels": [8]},
                "eval": {}, "aux": [aux], "seeds": [0], "name": "x", "dimra": {"opt": {"steps": 3}}}
        ctx = type("Ctx", (), {"spec": spec, "inputs": {"unlearned": ["m"], "replay": ["r"], "classifier": ["c"]},
                               "output_files": {"samples": ["s"]}, "device": torch.device("cpu"), "meter": None})()
        with pytest.raises(StopIteration):
            jobs.dimra(ctx)
        assert len(seen["c"]) > 0 and not (seen["c"] == 1).any()


def test_curve_steps_end_at_the_attack_length():
    assert curve_steps(100, 4) == [25, 50, 75, 100]
    assert curve_steps(3, 4) == [1, 2, 3]
