"""P4's job grid (plan.py): each step's slice holds the shared setting and only its own keys."""

import copy

import pytest

from residue.errors import ConfigError
from residue.experiments.poison_unlearning.plan import Plan as P1Plan
from residue.experiments.relearning.plan import Plan

from ..conftest import profile


def test_the_classifier_does_not_depend_on_the_diffusion_model():
    config = profile("smoke")
    changed = copy.deepcopy(config)
    changed["relearning"]["unet"] = {**changed["relearning"]["unet"], "extra_probe": 1}
    before, after = Plan(config), Plan(changed)
    assert after.classifier() == before.classifier()
    assert after.original() != before.original()
    name = next(iter(before.methods))
    assert "train" not in before.unlearn(name) and before.unlearn(name)["seeds"] == before.seeds


def test_poison_relearn_runs_p1s_unlearning_of_its_setting():
    config = profile("smoke")
    plan, p1 = Plan(config), P1Plan(config)
    job = plan.poison_relearn("gd")
    dataset, attack = config["relearning"]["poison_relearn"]["setting"].split("/")
    assert job["p1"]["setting"] == p1.settings[f"{dataset}/{attack}"]
    assert job["p1"]["method_spec"] == p1.methods["gd"] and job["p1"]["seeds"] == plan.seeds
    assert plan.poison_relearn_inputs("gd")["model"] == p1.poisoned(dataset, attack, plan.seeds)


def test_an_unknown_p1_setting_is_one_line():
    config = profile("smoke")
    config["relearning"]["poison_relearn"]["setting"] = "fashion_mnist/nope"
    with pytest.raises(ConfigError, match=r"relearning\.poison_relearn\.setting: 'fashion_mnist/nope' is not a poison_unlearning setting; allowed: "):
        Plan(config).poison_relearn("gd")
