"""Every unlearning method: changes the model, respects its budget, is a no-op at budget 0."""

import pytest
import torch
from torch import nn

from residue.compute import Meter
from residue.errors import ConfigError
from residue.models import build
from residue.registries import UNLEARNING
from residue.unlearning import unlearn
from residue.unlearning.ssd import dampen

APPROXIMATE = ["gd", "ngd", "ga", "neggrad_plus", "euk", "cfk", "scrub", "ssd"]
# hp under which each method acts on the toy: GA's stop loss out of reach, SCRUB's single max-step
# followed by min-steps (its first max-step has zero gradient: KL(p_T ‖ p_S) = 0 is a minimum)
CHANGING_HP = {"ssd": {"alpha": 0.5}, "ga": {"lr": 0.5, "stop_loss": 1e9}, "scrub": {"lr": 0.5, "max_steps": 1}}


def toy():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(120, 1, 4, 4, generator=g)
    y = torch.randint(0, 3, (120,), generator=g)
    torch.manual_seed(0)
    return build("mlp", (1, 4, 4), 3, hidden=(8,)), (x[:100], y[:100]), (x[100:], y[100:])


def flat(model):
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def test_every_method_is_registered():
    assert set(APPROXIMATE + ["none", "retrain"]) <= set(UNLEARNING.names())


@pytest.mark.parametrize("method", APPROXIMATE)
def test_method_changes_model_within_budget(method):
    model, retain, forget = toy()
    before = flat(model)
    meter = Meter()
    new = unlearn(method, model, retain, forget, budget=150, seed=0, meter=meter, **CHANGING_HP.get(method, {"lr": 0.5}))
    assert torch.equal(flat(model), before), "the input model must not be modified"
    assert not torch.equal(flat(new), before)
    assert 0 < meter.grad_evals <= 150


@pytest.mark.parametrize("method", APPROXIMATE + ["none"])
def test_budget_zero_is_a_no_op(method):
    model, retain, forget = toy()
    meter = Meter()
    new = unlearn(method, model, retain, forget, budget=0, seed=0, meter=meter)
    assert torch.equal(flat(new), flat(model))
    assert meter.grad_evals == 0


def test_retrain_uses_the_callable_and_unknown_hp_fails():
    model, retain, forget = toy()
    fresh = nn.Linear(2, 2)
    assert unlearn("retrain", model, retain, forget, 0, 0, Meter(), retrain=lambda: fresh) is fresh
    with pytest.raises(ConfigError, match="unknown hyper-parameter 'nope'"):
        unlearn("gd", model, retain, forget, 10, 0, Meter(), nope=1)


def test_ssd_dampening_matches_its_formula():
    lin = nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[2.0, 3.0]]))
    imp_d = {"weight": torch.tensor([[1.0, 1.0]])}
    imp_f = {"weight": torch.tensor([[20.0, 5.0]])}  # only the first exceeds α·I_D = 10
    dampen(lin, imp_d, imp_f, lam=1.0, alpha=10.0)
    # first weight: min(1·1/20, 1)·2 = 0.1; second is not selected and stays 3
    assert torch.allclose(lin.weight, torch.tensor([[0.1, 3.0]]))
