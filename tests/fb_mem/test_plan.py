"""P3's job grid (plan.py)."""

from residue.experiments.fb_mem.plan import Plan

from ..conftest import profile


def test_evaluation_slices_carry_the_training_recipe_of_their_model():
    config = profile("smoke")
    plan, section = Plan(config), config["fb_mem"]
    t, s = section["train_seeds"][0], section["sample_seeds"][-1]
    job = plan.evaluate(t, s)
    assert job["train"] == plan.train(t) == {**section["train"], "seed": t, "dataset": "fb_mem_scenes"} and job["sample_seed"] == s
    assert job["dataset"] == "fb_mem_scenes"  # both jobs name the data they read: metrics.json records its DVC hash
    inputs = plan.summary_inputs()
    n = len(section["train_seeds"]) * len(section["sample_seeds"])
    assert [len(inputs[k]) for k in ("metrics", "samples", "masks")] == [n] * 3
    assert len(inputs["train"]) == len(section["train_seeds"])
