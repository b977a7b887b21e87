"""The smoke profile runs the whole relearning experiment (the session's shared smoke run)."""

from __future__ import annotations

import json

import pytest

from ..conftest import run

SALUN_DIMRA = "results/relearning/fashion_mnist/salun/dimra/metrics.json"


@pytest.mark.slow
def test_smoke_profile_runs_the_relearning_experiment(smoke_out):
    claims = json.loads((smoke_out / "results/relearning/claims.json").read_text())
    assert {c["id"].split(".")[-1] for c in claims} >= {"ua", "quality", "dimra_relearns", "ua_under_dimra", "not_relearned"}
    for stem in ("relearning_curves", "quality_vs_ua", "sample_grids"):
        assert (smoke_out / f"figures/relearning/{stem}.png").stat().st_size > 0
    dimra = json.loads((smoke_out / SALUN_DIMRA).read_text())
    curve = dimra["metrics"]["per_aux"]["generated"]["0"]["curve"]
    assert curve["step"][0] == 0 and len(curve["ua"]) == 3


@pytest.mark.slow
def test_a_dimra_cell_does_not_depend_on_the_cells_run_before_it(smoke_out, tmp_path):
    """One DiMRA job runs every (aux set, seed) cell; each is seeded on its own. Re-running the smoke
    job's only cell after another one (the public split first) gives the same numbers to the digit."""
    done = json.loads((smoke_out / SALUN_DIMRA).read_text())
    spec = {**done["spec"], "aux": ["public", "generated"]}
    art = "artifacts/relearning/fashion_mnist"
    io = [f"--input=classifier={art}/classifier.pt", f"--input=replay={art}/replay.pt",
          f"--input=unlearned={art}/salun/seed=0/model.pt", f"--output=metrics={tmp_path}/dimra/metrics.json"]
    io += [f"--output=samples={tmp_path}/{aux}.pt" for aux in spec["aux"]]
    out = run(["python", "-m", "residue", "job", "relearning.dimra", "--spec", json.dumps(spec), *io],
              cwd=smoke_out, env={"MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path}/mlruns.db"})
    assert out.returncode == 0, out.stderr[-2000:]
    again = json.loads((tmp_path / "dimra/metrics.json").read_text())["metrics"]["per_aux"]
    assert set(again) == {"public", "generated"}
    assert again["generated"] == done["metrics"]["per_aux"]["generated"]
