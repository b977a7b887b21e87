"""Beyond the paper: P1's poisoned model → P1's unlearning → fine-tuning on D_r, end to end on a tiny setting."""

from pathlib import Path

import pytest

from residue.compute import Meter
from residue.experiments.relearning.poison_relearn import FinetuneSpec, relearn_curve
from residue.experiments.poison_unlearning.jobs import fresh_model, split
from residue.experiments.poison_unlearning.scenarios import SCENARIOS
from residue.config import typed
from residue.experiments.poison_unlearning.spec import JobSpec as P1Spec
from residue.io import load_torch
from residue.jobs import run_job

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not (REPO / "data/fashion_mnist/manifest.json").exists(),
                                reason="Fashion-MNIST is not materialised (make data)")
SETTING = {"dataset": "fashion_mnist", "attack": "gaussian", "model": "mlp", "model_args": {"hidden": [16]}, "subset": 200,
           "train": {"epochs": 2, "batch_size": 32, "lr": 0.05, "optimizer": "sgd", "momentum": 0.9},
           "attack_args": {"fraction": 0.05, "sigma": 0.1}}


@pytest.fixture(scope="module")
def poisoned(tmp_path_factory):
    root = tmp_path_factory.mktemp("pr")
    (root / "data").mkdir()
    (root / "data/fashion_mnist").symlink_to(REPO / "data/fashion_mnist")
    return root


def p1_spec(method, hp=None):
    return {"setting": SETTING, "seeds": [0], "method": method, "budget_pct": 10.0, "method_spec": {"hp": hp or {}},
            "datasets": ["fashion_mnist"], "device": "cpu"}


def test_poison_relearn_job_end_to_end(poisoned, monkeypatch):
    monkeypatch.chdir(poisoned)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{poisoned}/mlruns.db")
    run_job("poison_unlearning.poison", {"setting": SETTING, "seed": 0, "datasets": ["fashion_mnist"], "device": "cpu"}, {},
            {"model": "p/seed=0/model.pt", "metrics": "p/seed=0/metrics.json"})
    ft = {"steps": [2, 6], "batch_size": 16, "lr": 0.05, "momentum": 0.9}
    out = {}
    for method, hp in (("none", {}), ("gd", {"batch_size": 16, "lr": 0.05})):
        out[method] = run_job("relearning.poison_relearn", {"p1": p1_spec(method, hp), "finetune": ft},
                              {"model": ["p/seed=0/model.pt"]}, {"metrics": f"r/{method}/metrics.json"})
    none, gd = out["none"]["per_seed"]["0"], out["gd"]["per_seed"]["0"]
    assert none["step"] == [0, 2, 6] and len(none["effect"]) == len(none["test_accuracy"]) == 3
    assert none["effect"][0] == pytest.approx(none["poisoned_effect"])  # "none" leaves the poisoned model as it is
    assert gd["effect"][0] != pytest.approx(gd["poisoned_effect"])  # gd changed it before the attack
    assert none["effect"][2] != pytest.approx(none["effect"][0])  # the fine-tune moved the model
    again = run_job("relearning.poison_relearn", {"p1": p1_spec("none"), "finetune": ft},
                    {"model": ["p/seed=0/model.pt"]}, {"metrics": "r/again/metrics.json"})
    assert again == out["none"]  # deterministic


def test_relearn_curve_fine_tunes_on_the_retain_set_and_charges_its_steps(poisoned, monkeypatch):
    monkeypatch.chdir(poisoned)
    saved = load_torch("p/seed=0/model.pt")  # written by the test above (module order)
    b = saved["bundle"]
    spec = typed(P1Spec, p1_spec("none"))
    model = fresh_model(spec, b, "model", "cpu")
    model.load_state_dict(saved["state"])
    forget = set(b["forget"].tolist())
    retain, _ = split(b)
    assert len(retain[1]) == len(b["y"]) - len(forget)
    meter = Meter()
    curve = relearn_curve(model, b, SCENARIOS["gaussian"], FinetuneSpec(steps=[3], batch_size=8), seed=0, meter=meter)
    assert curve["step"] == [0, 3] and 0 < meter.grad_evals <= 3 * 8
