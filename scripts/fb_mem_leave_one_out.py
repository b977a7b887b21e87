"""P3 (experiments/fb_mem/README.md, "Eighth pass"): how much each verdict rests on one trained model.

Reads the committed evaluations (``results/fb_mem/train_seed=*/sample_seed=*/metrics.json``), builds
P3's claims with every training seed and then once with each training seed left out (the same
criteria, n − 1 models), and prints per claim its verdict on all models, the verdict without each
model, and how many of the leave-one-out verdicts agree with the full one.  A verdict that flips
when one model is left out rests on that model: a reader should weigh it accordingly.

    python scripts/fb_mem_leave_one_out.py
"""

from __future__ import annotations

import argparse
from glob import glob

from residue.experiments.fb_mem import claims
from residue.experiments.fb_mem.matched import flags
from residue.io import read_json

VERDICT = {True: "holds", False: "fails", None: "untestable"}


def verdicts(runs: list[dict]) -> dict[str, tuple[str, float]]:
    return {c.id: (VERDICT[c.holds], c.value) for c in claims.build(runs, flags(runs)) if c.kind == "claim"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", default="results/fb_mem", help="the fb_mem results folder")
    a = ap.parse_args()
    runs = [{**m["metrics"], "spec": m["spec"]} for m in map(read_json, sorted(glob(f"{a.results}/train_seed=*/sample_seed=*/metrics.json")))]
    seeds = sorted({r["spec"]["train"]["seed"] for r in runs})
    full = verdicts(runs)
    out = {s: verdicts([r for r in runs if r["spec"]["train"]["seed"] != s]) for s in seeds}
    print("| claim | all models | " + " | ".join(f"without {s}" for s in seeds) + " | leave-one-out agreeing |")
    print("|---|---|" + "---|" * len(seeds) + "---|")
    for cid, (v, value) in full.items():
        cells = [f"{out[s][cid][0]} ({out[s][cid][1]:.3g})" for s in seeds]
        agree = sum(out[s][cid][0] == v for s in seeds)
        print(f"| {cid} | **{v}** ({value:.3g}) | " + " | ".join(cells) + f" | {agree}/{len(seeds)} |")


if __name__ == "__main__":
    main()
