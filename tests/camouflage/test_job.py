"""The per-seed job on real data at toy size: record structure, bookkeeping, determinism, bad input."""

import json

import numpy as np
import pytest

from residue.errors import ConfigError
from residue.experiments.camouflage.jobs import trials
from residue.jobs import JobContext

SPEC = {
    "learner": "convex", "dataset": "digits", "classes": [3, 8], "n_train": 150, "targets": 1, "seed": 0,
    "run": "convex", "variant": "main", "device": "cpu",
    "attack": {"n_poison": 4, "eps": 0.0627, "poison": {"steps": 3, "restarts": 1},
               "camouflage": {"steps": 3, "restarts": 1}, "delete_fractions": [1.0, 0.5]},
}


def run(tmp_path, spec):
    ctx = JobContext("camouflage.trials", spec, {}, {"examples": [tmp_path / "examples.npy"]})
    return trials(ctx), ctx


def test_trials_job_bookkeeping(tmp_path):
    m, ctx = run(tmp_path, SPEC)
    (rec,) = m["trials"]
    st = rec["stages"]
    assert st["clean"]["trained_on"] == {"clean": 150}
    assert st["poisoned"]["trained_on"] == {"clean": 150, "poisons": 4}
    assert st["camouflaged"]["trained_on"] == {"clean": 150, "poisons": 4, "camouflages": 4}
    assert st["unlearned/exact/1"]["trained_on"] == {"clean": 150, "poisons": 4, "camouflages_kept": 0}
    assert st["unlearned/exact/0.5"]["trained_on"]["camouflages_kept"] == 2
    assert rec["y_t"] != rec["y_adv"] and {rec["y_t"], rec["y_adv"]} == {0, 1}
    assert st["clean"]["prediction"] == rec["y_t"] and st["clean"]["target_margin"] > 0
    ex = np.load(tmp_path / "examples.npy")
    assert ex.shape[:2] == (4, 4) and np.abs(ex[1] - ex[0]).max() <= 0.0627 + 1e-6
    assert ctx.meter.grad_evals > 0
    again, _ = run(tmp_path, SPEC)
    assert json.dumps(again, sort_keys=True) == json.dumps(m, sort_keys=True)  # deterministic


@pytest.mark.parametrize("change, message", [
    ({"attack": {**SPEC["attack"], "delete_fractions": [0.5]}}, "must contain 1.0"),
    ({"unlearning": ["gd"]}, "needs the neural learner"),
    ({"n_train": 10**6}, "leaves no base pool"),
])
def test_bad_input_is_one_line(tmp_path, change, message):
    with pytest.raises(ConfigError, match=message):
        run(tmp_path, {**SPEC, **change})
