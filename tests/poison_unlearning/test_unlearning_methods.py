"""The P1 methods as their papers define them: lr decayed to 0 over the budget, GA's stopping
rule, SCRUB's max-steps, NegGrad+'s paired batches, EUk/CFk's k counted in blocks."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from residue.compute import Meter
from residue.errors import ConfigError
from residue.training import predict
from residue.unlearning import unlearn
from residue.unlearning.base import Steps, fit_budget
from residue.unlearning.cfk import covers_whole_model, n_blocks
from residue.unlearning.scrub import plan

from .test_unlearning import flat, toy


class Recorder(nn.Module):
    """A linear classifier that records the size of every batch it is called on."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.lin = nn.Linear(16, 3)
        self.sizes = []

    def forward(self, x):
        self.sizes.append(len(x))
        return self.lin(x.flatten(1))


def test_fit_budget_decays_lr_linearly_to_zero_at_the_last_step_the_budget_affords():
    # constant gradient 1 and no momentum: the weight moves by −Σ lr_t, lr_t = lr·(1 − t/H)
    model = nn.Linear(1, 1, bias=False)
    nn.init.zeros_(model.weight)
    x, y = torch.zeros(10, 1), torch.zeros(10, dtype=torch.long)
    meter = Meter(budget=25)  # 10 + 10 + 3: two epochs of 4 batches (3,3,3,1), then one batch of 3
    fit_budget(model, (x, y), 0, meter, lr=0.1, batch_size=3, momentum=0.0, desc="t",
               loss_fn=lambda m, xb, yb: m.weight.sum())
    assert meter.grad_evals == 23
    horizon = 9
    assert model.weight.item() == pytest.approx(-0.1 * (horizon + 1) / 2)


def test_steps_reach_lr_zero_after_the_horizon():
    model = nn.Linear(1, 1, bias=False)
    nn.init.zeros_(model.weight)
    steps = Steps(model, lr=0.1, momentum=0.0, horizon=4, meter=Meter(budget=8))
    for _ in range(4):
        steps.take(model.weight.sum(), 2)
    assert steps.lr == 0.0
    assert model.weight.item() == pytest.approx(-0.1 * (1 + 0.75 + 0.5 + 0.25))


def forget_loss(model, forget):
    return F.cross_entropy(predict(model, forget[0]), forget[1]).item()


def test_ga_stops_at_the_uniform_guess_loss_before_the_budget():
    model, retain, forget = toy()
    assert forget_loss(model, forget) < math.log(3)
    meter = Meter()
    new = unlearn("ga", model, retain, forget, budget=2000, seed=0, meter=meter, lr=0.5, batch_size=5)
    assert 0 < meter.grad_evals < 2000 and meter.grad_evals % 5 == 0
    assert forget_loss(new, forget) >= math.log(3)


def test_ga_spends_at_most_the_budget_when_the_stop_loss_is_out_of_reach():
    model, retain, forget = toy()
    meter = Meter()
    unlearn("ga", model, retain, forget, budget=23, seed=0, meter=meter, lr=0.01, batch_size=5, stop_loss=1e9)
    assert meter.grad_evals == 20


def test_ga_does_nothing_when_the_forget_loss_is_already_at_the_stop_loss():
    model, retain, forget = toy()
    meter = Meter()
    new = unlearn("ga", model, retain, forget, budget=100, seed=0, meter=meter, lr=0.5, stop_loss=0.0)
    assert meter.grad_evals == 0 and torch.equal(flat(new), flat(model))


def test_scrub_takes_exactly_max_steps_max_steps_then_min_steps_to_the_budget():
    _, retain, forget = toy()  # |D_r| = 100, |D_f| = 20
    meter = Meter()
    new = unlearn("scrub", Recorder(), retain, forget, budget=1000, seed=0, meter=meter,
                  batch_size=10, forget_batch_size=4, max_steps=7)
    assert new.sizes.count(4) == 7
    assert new.sizes.count(10) == (1000 - 7 * 4) // 10
    assert meter.grad_evals == 7 * 4 + 97 * 10


def test_scrub_plan_interleaves_passes_and_fits_every_max_step_in_a_small_budget():
    # the paper's order when the budget affords it: a pass over D_f (5 steps), a pass over D_r (10)
    full = plan(20, 100, 10, 4, 7, budget=10_000)
    assert full[:17] == ["max"] * 5 + ["min"] * 10 + ["max"] * 2
    # a budget below one retain pass: the min pass is cut so that all 8 max-steps still happen
    small = plan(50, 1950, 64, 16, 8, budget=1200)
    assert small.count("max") == 8 and small[:4] == ["max"] * 4 and small[4] == "min"
    assert 8 * 16 + small.count("min") * 64 <= 1200


def test_every_neggrad_plus_step_pairs_a_retain_batch_with_one_forget_batch():
    _, retain, forget = toy()
    meter = Meter()
    new = unlearn("neggrad_plus", Recorder(), retain, forget, budget=100, seed=0, meter=meter,
                  batch_size=12, forget_batch_size=4)
    assert new.sizes == [12, 4] * 6  # 100 // (12 + 4) steps
    assert meter.grad_evals == 96


@pytest.mark.parametrize("method", ["cfk", "euk"])
def test_k_beyond_the_model_blocks_is_a_config_error(method):
    model, retain, forget = toy()
    assert n_blocks(model) == 2
    with pytest.raises(ConfigError, match="k must be between 1 and 2"):
        unlearn(method, model, retain, forget, budget=100, seed=0, meter=Meter(), k=3)


def test_cfk_over_every_block_is_gd():
    model, retain, forget = toy()
    hp = dict(lr=0.3, batch_size=16)
    gd = unlearn("gd", model, retain, forget, budget=200, seed=3, meter=Meter(), **hp)
    whole = unlearn("cfk", model, retain, forget, budget=200, seed=3, meter=Meter(), k=n_blocks(model), **hp)
    last = unlearn("cfk", model, retain, forget, budget=200, seed=3, meter=Meter(), k=1, **hp)
    assert covers_whole_model(model, n_blocks(model)) and not covers_whole_model(model, 1)
    assert torch.equal(flat(whole), flat(gd))
    assert not torch.equal(flat(last), flat(gd))
