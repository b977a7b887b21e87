"""The shared training loop: deterministic, budget-bound, resumable to identical numbers."""

import torch

from residue.compute import BudgetExhausted, Meter
from residue.models import build
from residue.training import TrainSpec, accuracy, fit

import pytest


def blobs(n=200, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 3, (n,), generator=g)
    x = torch.randn(n, 1, 4, 4, generator=g) * 0.5 + y.view(-1, 1, 1, 1).float()
    return x, y


def trained(spec, seed=0, checkpoint=None, meter=None):
    torch.manual_seed(123)
    model = build("mlp", (1, 4, 4), 3, hidden=(16,))
    fit(model, *blobs(), spec, seed, meter or Meter(), checkpoint=checkpoint)
    return model


def same(a, b):
    return all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))


def test_fit_learns_and_is_deterministic():
    spec = TrainSpec(epochs=5, batch_size=20, lr=0.1)
    m1, m2 = trained(spec), trained(spec)
    assert same(m1, m2)
    assert accuracy(m1, *blobs(seed=1)) > 0.9
    assert not same(m1, trained(spec, seed=1))  # the shuffling seed matters


def test_fit_counts_gradient_evaluations_and_respects_the_budget():
    spec = TrainSpec(epochs=3, batch_size=20, lr=0.1)
    meter = Meter()
    trained(spec, meter=meter)
    assert meter.grad_evals == spec.grad_evals(200) == 600
    capped = Meter(budget=250)
    trained(spec, meter=capped)
    assert capped.grad_evals == 240  # 12 whole batches of 20 fit in 250
    with pytest.raises(BudgetExhausted):
        capped.charge(20)


def test_zero_budget_leaves_the_model_unchanged():
    torch.manual_seed(123)
    before = build("mlp", (1, 4, 4), 3, hidden=(16,))
    after = trained(TrainSpec(epochs=2, batch_size=20), meter=Meter(budget=0))
    assert same(before, after)


def test_resume_from_checkpoint_gives_identical_parameters(tmp_path, monkeypatch):
    monkeypatch.setenv("RESIDUE_CHECKPOINT_SECONDS", "0")  # a checkpoint at every epoch end
    ckpt = tmp_path / "ckpt.pt"
    full = trained(TrainSpec(epochs=4, batch_size=20, lr=0.1, schedule="cosine"))
    # "interrupted" after 2 epochs: the checkpoint holds epoch 2 of a 4-epoch cosine run
    trained(TrainSpec(epochs=4, batch_size=20, lr=0.1, schedule="cosine"), checkpoint=ckpt, meter=Meter(budget=400))
    meter = Meter()
    resumed = trained(TrainSpec(epochs=4, batch_size=20, lr=0.1, schedule="cosine"), checkpoint=ckpt, meter=meter)
    assert same(full, resumed)
    assert meter.grad_evals == 800


def test_checkpoints_are_spaced_in_time_and_do_not_change_the_numbers(tmp_path, monkeypatch):
    import residue.training.loop as loop

    saves = []
    monkeypatch.setattr(loop, "save_torch", lambda path, obj: saves.append(obj["epoch"]))
    spec = TrainSpec(epochs=6, batch_size=20, lr=0.1, schedule="cosine")
    monkeypatch.setenv("RESIDUE_CHECKPOINT_SECONDS", "0")
    every_epoch = trained(spec, checkpoint=tmp_path / "a.pt")
    assert saves == [1, 2, 3, 4, 5, 6]
    saves.clear()
    monkeypatch.setenv("RESIDUE_CHECKPOINT_SECONDS", "3600")
    spaced = trained(spec, checkpoint=tmp_path / "b.pt")
    assert saves == [] and same(every_epoch, spaced)


def test_lbfgs_solver_reaches_the_optimum_the_loop_approaches_and_counts_passes():
    """``solver: lbfgs`` minimises the loop's objective (mean CE + wd/2‖θ‖², every parameter decayed):
    a long full-batch SGD run ends at the same point, the solver in a fraction of the passes."""
    from residue.attacks.gradient_canceling import stationarity_grad

    x, y = blobs()
    wd = 0.01
    solved, meter = build("logreg", (1, 4, 4), 3), Meter()
    hist = fit(solved, x, y, TrainSpec(solver="lbfgs", epochs=100, weight_decay=wd), 0, meter)
    looped = build("logreg", (1, 4, 4), 3)
    fit(looped, x, y, TrainSpec(epochs=2000, batch_size=len(y), lr=0.5, weight_decay=wd, schedule="cosine"), 0, Meter())
    assert meter.grad_evals == len(hist.loss) * len(y) <= 100 * len(y)
    assert stationarity_grad(solved, x, y, wd, len(y)).norm() < 1e-3 * len(y)
    w = torch.cat([p.detach().flatten() for p in solved.parameters()])
    v = torch.cat([p.detach().flatten() for p in looped.parameters()])
    assert (w - v).norm() / w.norm() < 0.01
    capped = Meter()
    fit(build("logreg", (1, 4, 4), 3), x, y, TrainSpec(solver="lbfgs", epochs=3, weight_decay=wd), 0, capped)
    assert capped.grad_evals <= (3 + 25) * len(y)  # the cap, plus a line search under way


def test_lbfgs_solver_runs_in_fp32_only_and_unknown_solvers_fail():
    from residue.errors import ConfigError

    with pytest.raises(ConfigError, match="fp32 only"):
        TrainSpec(solver="lbfgs", precision="bf16")
    with pytest.raises(ConfigError, match="train.solver"):
        TrainSpec(solver="newton")
