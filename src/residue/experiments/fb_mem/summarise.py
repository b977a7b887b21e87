"""``fb_mem.summarise``: tables (categories and scores per mitigation, the copy test per prompt
group, the whole-image baselines at a matched FPR, FB-Mem under each segmenter backend, the paired
VM transitions), figures and claims over all (training seed, sampling seed) evaluations.  Every
mean ± CI runs over trained models (runs averaged over sampling seeds within a model first);
every threshold printed is the one the runs used (``tau``, ``copy_ratio``, ``whole_fpr``)."""

from __future__ import annotations

from typing import Callable

import numpy as np

from ...io import load_array, read_json, write_json
from ...memorization.fbmem import CATEGORIES
from ...registries import JOBS
from ...report.tables import write_table
from ...stats import Estimate, mean_ci
from . import claims, figures
from .matched import Flags, key
from .matched import flags as matched_flags

GROUPS = ("verbatim", "foreground", "background", "generic")


def over_models(runs: list[dict], f: Callable[[dict], float]) -> Estimate:
    """Mean ± CI over trained models of f(run) averaged over each model's sampling seeds."""
    return mean_ci([float(np.mean([f(r) for r in rs])) for rs in claims.by_model(runs).values()])


def mitigation_rows(runs: list[dict]) -> list[dict]:
    tau = runs[0]["tau"]
    rows = []
    for name in runs[0]["mitigations"]:
        def m(r, name=name):
            return r["mitigations"][name]
        row = {"mitigation": name}
        for c in CATEGORIES:
            row[f"{c} (tau={tau:g})"] = over_models(runs, lambda r, c=c: m(r)["counts_tau"][c]).fmt(2)
        for c in CATEGORIES:
            row[f"{c} (tau_cal)"] = over_models(runs, lambda r, c=c: m(r)["counts_tau_cal"][c]).fmt(2)
        row["score"] = over_models(runs, lambda r: m(r)["mitigation_score_tau"]).fmt(2)
        row["score (official table)"] = over_models(runs, lambda r: m(r)["mitigation_score_official_tau"]).fmt(2)
        row["mean fg change"] = over_models(runs, lambda r: np.mean(m(r)["best_fg"]) - np.mean(r["mitigations"]["none"]["best_fg"])).fmt(3)
        row[f"copies (d1/d2 < {runs[0]['copy_ratio']:.3g})"] = over_models(
            runs, lambda r: np.mean(np.array(m(r)["copy_ratio"][: len(m(r)["best_fg"])]) < r["copy_ratio"])).fmt(3)
        row["Frechet (classifier feats)"] = over_models(runs, lambda r: m(r)["frechet_memorized"]).fmt(2)
        row["alignment"] = over_models(runs, lambda r: m(r)["alignment"]).fmt(3)
        rows.append(row)
    return rows


def copy_rows(runs: list[dict]) -> list[dict]:
    ratio = runs[0]["copy_ratio"]
    first = next(iter(claims.by_model(runs).values()))
    rows = []
    for g in GROUPS:
        per = claims.copy_rate(runs, g)
        def ratios(r, g=g):
            return np.array(r["mitigations"]["none"]["copy_ratio"])[np.repeat(r["groups"], r["images_per_prompt"]) == g]
        rows.append({"prompt group": g, "prompts": sum(x == g for x in runs[0]["groups"]),
                     "generations per model": int(sum(len(ratios(r)) for r in first)),
                     f"copy rate (d1/d2 < {ratio:.3g})": mean_ci(list(per.values())).fmt(3),
                     "per model": ", ".join(f"{v:.2f}" for v in per.values()),
                     "median d1/d2": f"{np.median(np.concatenate([ratios(r) for r in runs])):.3f}"})
    return rows


def whole_rows(runs: list[dict], trains: dict[int, dict], flags: Flags) -> list[dict]:
    fpr = runs[0]["whole_fpr"]
    rows = []
    for r in runs:
        cats = np.array(r["mitigations"]["none"]["categories_tau"])
        fl = cats != "NM"
        gen = np.array(r["mitigations"]["none"]["categories_generic_tau"])
        row = {"train seed": r["spec"]["train"]["seed"], "sample seed": r["spec"]["sample_seed"], "generations": len(cats)}
        row |= {f"FB-Mem {c}": int((cats == c).sum()) for c in CATEGORIES[:3]}
        row[f"FB-Mem FPR (generic, tau={r['tau']:g})"] = f"{(gen != 'NM').mean():.3f}"
        any_whole = np.zeros(len(cats), bool)
        for b, f in flags.whole[key(r)].items():
            row[f"{b} flags"] = int(f["memorized"].sum())
            row[f"{b} FPR (target {fpr:g})"] = f"{f['fpr']:.3f}"
            any_whole |= f["memorized"]
        row["FB-Mem flagged, missed by all whole-image"] = int((fl & ~any_whole).sum())
        own = flags.fb_mem[key(r)]
        row[f"FB-Mem at the matched FPR: flags / FPR (target {fpr:g}) / missed by all whole-image"] = (
            f"{int(own['memorized'].sum())} / {own['fpr']:.3f} / {int((own['memorized'] & ~any_whole).sum())}")
        row["classifier test accuracy"] = f"{trains[r['spec']['train']['seed']]['classifier_test_accuracy']:.3f}"
        rows.append(row)
    return rows


def segmenter_rows(runs: list[dict], trains: dict[int, dict]) -> list[dict]:
    tau = runs[0]["tau"]
    rows = []
    for name in runs[0]["segmenter_counts"]:
        row = {"segmenter (both sides)": name + (" (main)" if name == runs[0]["segmenter"] else "")}
        ious = [t["segmenter_iou"][name] for t in trains.values() if name in t["segmenter_iou"]]
        row["IoU on held-out scenes"] = mean_ci(ious).fmt(3) if ious else "n/a"
        for c in CATEGORIES:
            row[f"{c} (tau={tau:g})"] = over_models(runs, lambda r, c=c: r["segmenter_counts"][name]["counts_tau"][c]).fmt(2)
        row["generic flagged"] = over_models(runs, lambda r: np.mean(np.array(r["segmenter_counts"][name]["categories_generic_tau"]) != "NM")).fmt(3)
        rows.append(row)
    return rows


def transition_rows(runs: list[dict]) -> list[dict]:
    rows = []
    for m in (n for n in runs[0]["mitigations"] if n != "none"):
        for seed, t in claims.transitions(runs, m).items():
            rows.append({"mitigation": m, "train seed": seed, "VM before": sum(t.values())} | {f"-> {c}": v for c, v in t.items()})
    return rows


@JOBS.register("fb_mem.summarise")
def summarise(ctx) -> None:
    runs = []
    for path in ctx.inputs["metrics"]:
        m = read_json(path)
        runs.append({**m["metrics"], "spec": m["spec"]})
    trains = {read_json(p)["spec"]["seed"]: read_json(p)["metrics"] for p in ctx.inputs["train"]}
    samples, masks = load_array(ctx.inputs["samples"][0]), load_array(ctx.inputs["masks"][0])
    out = ctx.outputs
    paths, flags = [], matched_flags(runs)
    for name, rows in (("mitigations", mitigation_rows(runs)), ("copy_test", copy_rows(runs)), ("whole", whole_rows(runs, trains, flags)),
                       ("segmenters", segmenter_rows(runs, trains)), ("transitions", transition_rows(runs))):
        if rows:
            paths += write_table(out[name].with_suffix(""), rows, list(rows[0]))
    paths += figures.grid(runs[0], samples, masks, out["grid"].with_suffix(""))
    paths += figures.distributions(runs, out["distributions"].with_suffix(""))
    paths += figures.one_to_many(runs, out["one_to_many"].with_suffix(""))
    paths += figures.score_vs_utility(runs, out["tradeoff"].with_suffix(""))
    write_json(out["claims"], [c.to_dict() for c in claims.build(runs, flags)])
    for p in paths + [out["claims"]]:
        ctx.record.log_artifact(p)
