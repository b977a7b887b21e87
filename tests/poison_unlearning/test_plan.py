"""P1's job grid (plan.py): paths, the references' budgets, and config slices that change only
with the config they hold (Snakemake re-runs a job exactly when its slice changes)."""

import copy

from residue.experiments.poison_unlearning.plan import REFERENCE_BUDGET, Plan

from ..conftest import profile


def test_grid_of_the_default_profile():
    config = profile("default")
    plan, section = Plan(config), config["poison_unlearning"]
    assert len(plan.settings) == len(section["settings"]) == 6
    inputs = plan.summary_inputs()
    reported = {k: plan.seeds_of(*k.split("/")) for k in plan.settings}
    assert len(inputs["poisoned"]) == sum(map(len, reported.values()))
    assert reported["fashion_mnist/gradient_matching"] == list(range(10)) != reported["fashion_mnist/gaussian"] == section["seeds"]
    assert len(inputs["unlearn"]) == 6 * (len(REFERENCE_BUDGET) + len(section["methods"]))
    tuned = [m["name"] for m in section["methods"] if m.get("tune")]
    assert len(inputs["tuning"]) == 6 * len(tuned) and tuned
    assert not set(plan.tuning_seeds) & {s for seeds in reported.values() for s in seeds}  # tuning never on a reported seed


def test_a_setting_with_its_own_seeds_loops_over_them_and_keeps_them_out_of_every_slice():
    plan = Plan(profile("smoke"))
    own = plan.seeds_of("fashion_mnist", "gradient_matching")
    assert own == [0, 1, 2] != plan.seeds == plan.seeds_of("fashion_mnist", "gaussian")
    assert plan.unlearn("fashion_mnist", "gradient_matching", "gd")["seeds"] == own
    assert plan.poisoned("fashion_mnist", "gradient_matching", own)[-1].endswith("poisoned/seed=2/model.pt")
    # the seed list is not part of the setting: adding a seed does not re-run the other seeds' jobs
    assert "seeds" not in plan.poison("fashion_mnist", "gradient_matching", 0)["setting"]


def test_references_have_one_budget_and_methods_sweep_the_configs():
    plan = Plan(profile("smoke"))
    assert plan.unlearn("fashion_mnist", "gaussian", "none")["budgets"] == [0]
    assert plan.unlearn("fashion_mnist", "gaussian", "retrain")["budgets"] == [100]
    assert plan.unlearn("fashion_mnist", "gaussian", "gd")["budgets"] == plan.section["budgets"]
    tune = plan.tune("fashion_mnist", "gaussian", "ga")
    assert tune["seed"] == plan.tuning_seeds[0] and tune["budget_pct"] == max(plan.section["budgets"])
    assert plan.tuning_result("fashion_mnist", "gaussian", "ga") and not plan.tuning_result("fashion_mnist", "gaussian", "gd")
    assert plan.poison("sklearn_descr", "backdoor", 1)["datasets"] == []  # the text corpus is built in the job
    assert plan.data("fashion_mnist") == ["data/fashion_mnist/manifest.json"]


def test_a_slice_changes_only_with_the_config_it_holds():
    config = profile("smoke")
    before = Plan(config)
    changed = copy.deepcopy(config)
    gd = next(m for m in changed["poison_unlearning"]["methods"] if m["name"] == "gd")
    gd["hp"]["lr"] = 0.5
    after = Plan(changed)
    assert after.unlearn("fashion_mnist", "gaussian", "gd") != before.unlearn("fashion_mnist", "gaussian", "gd")
    assert after.unlearn("fashion_mnist", "gaussian", "ga") == before.unlearn("fashion_mnist", "gaussian", "ga")
    assert after.poison("fashion_mnist", "gaussian", 0) == before.poison("fashion_mnist", "gaussian", 0)
