"""The targeted setting (issue #14): the same-seed twin, and the fine-tuning threat model's start."""

import pytest
import torch

from residue.io import load_torch
from residue.jobs import run_job

TRAIN = {"epochs": 1, "batch_size": 64, "lr": 0.05, "optimizer": "sgd", "momentum": 0.9}
SETTING = {"dataset": "fashion_mnist", "attack": "gradient_matching", "model": "cnn", "model_args": {"width": 4, "hidden": 16},
           "subset": 300, "train": TRAIN, "val_fraction": 0.1,
           "attack_args": {"targets": 1, "poisons_per_target": 5, "adversary": "random", "ensemble": 2, "steps": 3, "restarts": 1,
                           "lr": 0.01, "shift": 2}}


def poison(root, setting, name):
    out = run_job("poison_unlearning.poison", {"setting": setting, "seed": 0, "device": "cpu", "datasets": ["fashion_mnist"]}, {},
                  {"model": str(root / name / "model.pt"), "metrics": str(root / name / "metrics.json")})
    return out, load_torch(root / name / "model.pt")


@pytest.fixture()
def root(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlruns.db")
    return tmp_path


def test_scratch_victim_has_a_twin_and_no_start(root):
    m, saved = poison(root, SETTING, "scratch")
    assert "init_state" not in saved["bundle"]
    assert {"effect", "success", "twin_effect", "twin_success"} <= set(m)
    assert m["effect"] != m["twin_effect"]  # one training each, on different images, same seed


def test_finetuning_victim_starts_from_the_brewing_model(root):
    """With a fine-tuning recipe of 0 epochs the victim *is* θ_cl, and so is its twin."""
    setting = {**SETTING, "name": "ft", "pretrain": TRAIN, "train": {**TRAIN, "epochs": 0}}
    m, saved = poison(root, setting, "ft")
    start = saved["bundle"]["init_state"]
    assert all(torch.equal(saved["state"][k], start[k]) for k in start)
    assert m["effect"] == m["twin_effect"]


def test_poisoned_model_file_is_byte_identical_across_runs(root):
    """The saved bundle holds weights and data only: the brew's CPU seconds go to the job's log (a
    timing in ``model.pt`` changed its hash on every run with identical weights)."""
    _, saved = poison(root, SETTING, "a")
    poison(root, SETTING, "b")
    assert "brew_seconds" not in saved["bundle"]
    assert (root / "a/model.pt").read_bytes() == (root / "b/model.pt").read_bytes()
