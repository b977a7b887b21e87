"""poison → tune → unlearn on the tiny backdoor setting: validation split, tuning seeds, "did it act?"."""

import pytest
import torch

from residue.io import load_torch
from residue.jobs import run_job

SETTING = {"dataset": "sklearn_descr", "attack": "backdoor", "model": "bag_of_embeddings", "model_args": {"dim": 8, "hidden": 16},
           "train": {"epochs": 2, "batch_size": 32, "lr": 0.1, "optimizer": "sgd", "momentum": 0.9},
           "attack_args": {"fraction": 0.02, "target": 0}, "val_fraction": 0.1}
TOL = 0.02


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("p1")
    mp = pytest.MonkeyPatch()
    mp.chdir(root)
    mp.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{root}/mlruns.db")
    for seed in (0, 100):
        run_job("poison_unlearning.poison", {"setting": SETTING, "seed": seed, "device": "cpu"}, {},
                {"model": f"p/{seed}/model.pt", "metrics": f"p/{seed}/metrics.json"})
    method = {"method": "cfk", "method_spec": {"hp": {"batch_size": 32}, "tune": {"lr": [0.01, 0.1]}, "tune_k": True}}
    tuned = run_job("poison_unlearning.tune", {"setting": SETTING, "seed": 100, "budget_pct": 10.0, "tolerance": TOL, "device": "cpu",
                                               "tuning": {"seeds": [100], "points_per_decade": 1, "max_extend": 1}, **method},
                    {"model": ["p/100/model.pt"]}, {"metrics": "t/metrics.json"})
    cells = {m: run_job("poison_unlearning.unlearn", {"setting": SETTING, "seeds": [0], "budgets": [b], "device": "cpu", **spec},
                        {"model": ["p/0/model.pt"], **({"tuning": ["t/metrics.json"]} if m == "cfk" else {})}, {"metrics": f"u/{m}/metrics.json"})
             ["per_budget"][f"{b:g}"]["0"] for m, b, spec in (("none", 0, {"method": "none"}), ("retrain", 100, {"method": "retrain"}),
                                                              ("cfk", 10, method))}
    yield root, tuned, cells
    mp.undo()


def test_validation_split_is_held_out_of_training(run):
    root, _, _ = run
    b = load_torch(root / "p/0/model.pt")["bundle"]
    n_clean = len(b["y"]) - len(b["forget"])
    assert len(b["y_val"]) == round(0.1 * (n_clean + len(b["y_val"])))
    train_rows = {tuple(r) for r in b["x"].tolist()}
    assert sum(tuple(r) in train_rows for r in b["x_val"].tolist()) < 0.05 * len(b["y_val"])  # only verbatim repeats
    assert len(b["x_val_triggered"]) == int((b["y_val"] != b["target"]).sum())


def test_tuning_keeps_the_whole_grid_and_its_choice_follows_the_rule(run):
    _, t, _ = run
    assert t["tuning_seeds"] == [100] and set(t["per_k"]) == {str(k) for k in range(1, t["n_blocks"] + 1)}
    for p in t["grid"]:
        s = p["per_seed"]["100"]
        assert p["within"] == (p["drop"] <= TOL + 1e-6)
        assert s["drop"] == pytest.approx(t["reference"]["val_accuracy"] - s["val_accuracy"])
        assert s["removal"] == pytest.approx(t["reference"]["val_effect"] - s["val_effect"])
    ok = [p for p in t["grid"] if p["within"]]
    if ok:
        assert t["chosen_point"]["effect"] == min(p["effect"] for p in ok)
    assert set(t["chosen"]) == {"lr", "k"} and t["bound"] in ("tolerance", "cap", "none_within")


def test_every_cell_says_whether_the_method_acted(run):
    _, t, cells = run
    assert cells["none"]["param_dist"] == 0.0 and cells["none"]["forget_loss"] == cells["none"]["forget_loss_before"]
    assert cells["retrain"]["param_dist"] > 0 and cells["cfk"]["param_dist"] > 0
    assert cells["cfk"]["k"] == t["chosen"]["k"] and cells["cfk"]["n_blocks"] == t["n_blocks"]
    for c in cells.values():
        assert {"forget_accuracy_before", "forget_accuracy", "test_accuracy", "val_accuracy"} <= set(c)
    assert torch.isfinite(torch.tensor(cells["retrain"]["forget_loss"]))


def test_removal_vs_utility_figure_draws_the_tuning_grid(run, tmp_path):
    from residue.experiments.poison_unlearning.figures import removal_vs_utility
    _, t, _ = run
    paths = removal_vs_utility({("sklearn_descr", "backdoor", "cfk"): [t]}, tmp_path / "fig")
    assert [p.suffix for p in paths] == [".png", ".pdf"] and all(p.stat().st_size > 0 for p in paths)


@pytest.mark.parametrize("nhwc", [True, False])
def test_the_recipes_layout_reaches_every_model_of_the_job(nhwc):
    """``train.channels_last`` makes the poisoned model, its twin, the retrain and the model the
    unlearning methods start from NHWC alike (fresh_model), not only the ones ``fit`` trains."""
    from residue.config import typed
    from residue.experiments.poison_unlearning.jobs import fresh_model
    from residue.experiments.poison_unlearning.spec import JobSpec

    setting = {"dataset": "fashion_mnist", "attack": "gradient_matching", "model": "cnn", "model_args": {"width": 4, "hidden": 8},
               "train": {"epochs": 1, "channels_last": nhwc}}
    model = fresh_model(typed(JobSpec, {"setting": setting}), {"in_shape": (1, 28, 28), "num_classes": 10}, "model", "cpu")
    conv = model[1][0].weight  # the second convolution: with one input channel both layouts coincide
    assert conv.is_contiguous(memory_format=torch.channels_last) == nhwc and conv.is_contiguous() != nhwc
    x = torch.rand(3, 1, 28, 28)
    assert model(x).shape == (3, 10)
