"""MLflow records: one run per job with params, curves, artifacts and lineage tags."""

import json

from mlflow.tracking import MlflowClient

from residue.jobs import run_job
from residue.tracking import flatten


def test_flatten():
    assert flatten({"a": {"b": 1, "c": {"d": [1, 2]}}, "e": "x"}) == {"a.b": 1, "a.c.d": [1, 2], "e": "x"}


def test_a_job_writes_metrics_run_json_and_one_tagged_mlflow_run(in_tmp, monkeypatch):
    monkeypatch.setenv("RESIDUE_CONFIG_SHA256", "c" * 64)
    spec = {"dataset": "digits", "model": "logreg", "seed": 3, "device": "cpu",
            "train": {"epochs": 2, "batch_size": 64, "lr": 0.1}}
    out = in_tmp / "results" / "m" / "metrics.json"
    metrics = run_job("baselines.train", spec, {}, {"metrics": str(out)}, wildcards={"run": "x", "seed": "3"})
    saved = json.loads(out.read_text())
    assert saved["metrics"] == json.loads(json.dumps(metrics)) and saved["spec"] == spec
    assert saved["grad_evals"] == 2 * 1347
    run_info = json.loads((out.parent / "run.json").read_text())
    run = MlflowClient().get_run(run_info["mlflow_run_id"])
    tags = run.data.tags
    assert tags["experiment"] == "baselines" and tags["rule"] == "baselines_train"
    assert tags["wildcard.run"] == "x" and tags["seed.seed"] == "3"
    assert tags["config_sha256"] == "c" * 64
    assert "git_commit" in tags and tags["git_dirty"] in {"true", "false"}
    assert "data.digits.dvc_md5" in tags
    assert run.data.params["train.lr"] == "0.1"
    assert run.data.metrics["compute.grad_evals"] == 2 * 1347
    history = MlflowClient().get_metric_history(run.info.run_id, "train_loss")
    assert [m.step for m in history] == [0, 1]


def test_the_store_dumped_and_restored_elsewhere_resolves_the_same_run(in_tmp, tmp_path_factory, monkeypatch):
    """Issue #19 item 2: the committed dump gives a fresh clone the runs the results name."""
    import pytest

    from residue.errors import ResidueError
    from residue.mlflow_store import dump, restore

    spec = {"dataset": "digits", "model": "logreg", "seed": 0, "device": "cpu", "train": {"epochs": 1, "batch_size": 64, "lr": 0.1}}
    out = in_tmp / "results" / "m" / "metrics.json"
    run_job("baselines.train", spec, {}, {"metrics": str(out)})
    run_id = json.loads((out.parent / "run.json").read_text())["mlflow_run_id"]
    assert dump(in_tmp / "mlruns.db", in_tmp / "store.sql.gz") == 1
    again = in_tmp / "again.sql.gz"
    dump(in_tmp / "mlruns.db", again)
    assert again.read_bytes() == (in_tmp / "store.sql.gz").read_bytes()  # no timestamp in the gzip header
    clone = tmp_path_factory.mktemp("clone")
    assert restore(in_tmp / "store.sql.gz", clone / "mlruns.db") == 1
    run = MlflowClient(f"sqlite:///{clone}/mlruns.db").get_run(run_id)
    assert run.data.params["train.lr"] == "0.1" and run.data.tags["rule"] == "baselines_train"
    assert run.info.artifact_uri.startswith(str(clone))  # artifact locations follow the restore
    with pytest.raises(ResidueError, match="exists; move it away or pass --force"):
        restore(in_tmp / "store.sql.gz", clone / "mlruns.db")
    (clone / "bad.sql.gz").write_bytes(b"not gzip")
    with pytest.raises(ResidueError, match="not a gzip-compressed SQL dump"):
        restore(clone / "bad.sql.gz", clone / "other.db")
    assert not (clone / "other.db").exists()
