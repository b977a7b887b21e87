"""P2's job grid (plan.py): a variant's fields replace its run's, nested ones field by field."""

from residue.experiments.camouflage.plan import Plan, merge

from ..conftest import profile


def test_merge_replaces_nested_fields_one_by_one():
    base = {"attack": {"eps": 0.1, "poison": {"steps": 10, "lr": 0.01}}, "targets": 5}
    over = {"attack": {"poison": {"steps": 3}}, "targets": 1}
    assert merge(base, over) == {"attack": {"eps": 0.1, "poison": {"steps": 3, "lr": 0.01}}, "targets": 1}
    assert base["attack"]["poison"]["steps"] == 10  # the run's own config is left as it was


def test_one_job_per_run_variant_and_seed():
    config = profile("smoke")
    plan, section = Plan(config), config["camouflage"]
    n = sum(len(r["variants"]) for r in section["runs"].values()) * len(section["seeds"])
    assert len(plan.jobs) == len(set(plan.jobs)) == n
    assert len(plan.summary_inputs()["metrics"]) == n
    run, variant = next((r, v) for r, spec in sorted(section["runs"].items()) for v in spec["variants"] if v != "main")
    job = plan.trials(run, variant, 3)
    assert "variants" not in job and (job["run"], job["variant"], job["seed"]) == (run, variant, 3)
    for key, value in section["runs"][run]["variants"][variant].items():
        if not isinstance(value, dict):
            assert job[key] == value
