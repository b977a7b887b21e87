"""The smoke profile runs the whole relearning experiment (the session's shared smoke run)."""

from __future__ import annotations

import json

import pytest


@pytest.mark.slow
def test_smoke_profile_runs_the_relearning_experiment(smoke_run):
    claims = json.loads((smoke_run / "results/relearning/claims.json").read_text())
    assert {c["id"].split(".")[-1] for c in claims} >= {"ua", "quality", "dimra_relearns", "ua_under_dimra", "not_relearned"}
    for stem in ("relearning_curves", "quality_vs_ua", "sample_grids"):
        assert (smoke_run / f"figures/relearning/{stem}.png").stat().st_size > 0
    dimra = json.loads((smoke_run / "results/relearning/fashion_mnist/salun/dimra/metrics.json").read_text())
    curve = dimra["metrics"]["per_aux"]["generated"]["0"]["curve"]
    assert curve["step"][0] == 0 and len(curve["ua"]) == 3
