"""The final jobs: merge every experiment's claims and write REPORT.md."""

from __future__ import annotations

import os

from ..claims import tally
from ..registries import JOBS
from ..report.build import merge_claims, render


@JOBS.register("report.build")
def build(ctx) -> None:
    claims = merge_claims(ctx.inputs["claims"], ctx.outputs["claims"], os.environ.get("RESIDUE_PROFILE"))
    render(claims, ctx.spec["experiments"], ctx.outputs["report"])
    ctx.record.log_metrics({f"claims_{k}": v for k, v in tally(claims).items()})
    ctx.record.log_artifact(ctx.outputs["report"])
