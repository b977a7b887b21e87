"""``fb_mem.summarise``: tables (categories and scores per mitigation, whole-image baselines,
segmenter IoU), figures and claims over all (training seed, sampling seed) evaluations."""

from __future__ import annotations

import numpy as np

from ...io import load_array, read_json, write_json
from ...memorization.fbmem import CATEGORIES
from ...registries import JOBS
from ...report.tables import write_table
from ...stats import mean_ci
from . import claims, figures


def mitigation_rows(runs: list[dict]) -> list[dict]:
    rows = []
    for name in runs[0]["mitigations"]:
        ms = [r["mitigations"][name] for r in runs]
        row = {"mitigation": name}
        for c in CATEGORIES:
            row[f"{c} (tau=0.8)"] = mean_ci([m["counts_tau"][c] for m in ms]).fmt(2)
        for c in CATEGORIES:
            row[f"{c} (tau_cal)"] = mean_ci([m["counts_tau_cal"][c] for m in ms]).fmt(2)
        row["score"] = mean_ci([m["mitigation_score_tau"] for m in ms]).fmt(2)
        row["score (official table)"] = mean_ci([m["mitigation_score_official_tau"] for m in ms]).fmt(2)
        row["mean fg change"] = mean_ci([np.mean(m["best_fg"]) - np.mean(r["mitigations"]["none"]["best_fg"][: len(m["best_fg"])])
                                         for m, r in zip(ms, runs)]).fmt(3)
        row["Frechet (classifier feats)"] = mean_ci([m["frechet_memorized"] for m in ms]).fmt(2)
        row["alignment"] = mean_ci([m["alignment"] for m in ms]).fmt(3)
        rows.append(row)
    return rows


def whole_rows(runs: list[dict]) -> list[dict]:
    shares, missed = claims.whole_image_misses(runs)
    rows = []
    for r in runs:
        cats = np.array(r["mitigations"]["none"]["categories_tau"])
        row = {"train seed": r["spec"]["train"]["seed"], "sample seed": r["spec"]["sample_seed"], "generations": len(cats)}
        for c in CATEGORIES[:3]:
            row[f"FB-Mem {c}"] = int((cats == c).sum())
        for k, v in r["whole_flags"].items():
            row[f"{k} flags"] = int(np.sum(v))
        rows.append(row)
    for row, n in zip(rows, missed):
        row["FB-Mem flagged, missed by all whole-image"] = n
    return rows


@JOBS.register("fb_mem.summarise")
def summarise(ctx) -> None:
    runs = []
    for path in ctx.inputs["metrics"]:
        m = read_json(path)
        runs.append({**m["metrics"], "spec": m["spec"]})
    trains = [read_json(p)["metrics"] for p in ctx.inputs["train"]]
    samples, masks = load_array(ctx.inputs["samples"][0]), load_array(ctx.inputs["masks"][0])
    out = ctx.outputs
    paths = []
    rows = mitigation_rows(runs)
    paths += write_table(out["mitigations"].with_suffix(""), rows, list(rows[0]))
    rows = whole_rows(runs)
    paths += write_table(out["whole"].with_suffix(""), rows, list(rows[0]))
    seg = [{"segmenter": k, "IoU on held-out scenes": mean_ci([t["segmenter_iou"][k] for t in trains]).fmt(3),
            "training seeds": len(trains)} for k in trains[0]["segmenter_iou"]]
    paths += write_table(out["segmenters"].with_suffix(""), seg, list(seg[0]))
    paths += figures.grid(runs[0], samples, masks, out["grid"].with_suffix(""))
    paths += figures.distributions(runs, out["distributions"].with_suffix(""))
    paths += figures.one_to_many(runs, out["one_to_many"].with_suffix(""))
    paths += figures.score_vs_utility(runs, out["tradeoff"].with_suffix(""))
    write_json(out["claims"], [c.to_dict() for c in claims.build(runs)])
    for p in paths + [out["claims"]]:
        ctx.record.log_artifact(p)
