"""The claims of PAPERS.md §P3 and their criteria, fixed before any run.

The unit is the trained diffusion model: per-run values (one per training seed × sampling seed)
are averaged over sampling seeds within a training seed first, and the CI runs over training seeds
(one trained model gives no CI, so the claims are then untestable).
* whole_image_misses — share of FB-Mem-flagged (VM/FM/BM at τ) unmitigated generations of the
  memorized prompts that no whole-image baseline flags; holds if the CI's low end > 0; untestable
  unless the baselines were calibrated to a false-positive rate on generic generations;
* one_to_many — mean number of distinct training images linked (fg or bg ≥ τ) to a flagged
  generation; holds if the CI's low end > 1;
* <m>_reduces_vm (m = nemo, wanda) — relative drop of VM counts vs no mitigation; CI low > 0;
  untestable without verbatim memorization before mitigation;
* <m>_leaves_fg — share of FM among the mitigated generations of the memorized prompts; CI low > 0.05;
* nemo_c_beats_nemo — mitigation score of NeMo-C minus NeMo; CI low > 0; untestable when NeMo-C's
  generations are NeMo's (the clustering changed nothing).
"""

from __future__ import annotations

import numpy as np

from ...claims import Requirement, ci_above, make_claim, requires
from ...stats import mean_ci

PAPER = "2508.12148"


def _flagged(run: dict) -> np.ndarray:
    return np.array([c != "NM" for c in run["mitigations"]["none"]["categories_tau"]])


def whole_image_misses(runs: list[dict]) -> tuple[list[float], list[int]]:
    shares, missed = [], []
    for r in runs:
        fl = _flagged(r)
        any_whole = np.any([np.array(v) for v in r["whole_flags"].values()], axis=0)
        n = int((fl & ~any_whole).sum())
        missed.append(n)
        shares.append(n / fl.sum() if fl.sum() else 0.0)
    return shares, missed


def one_to_many(runs: list[dict]) -> list[float]:
    out = []
    for r in runs:
        fl = _flagged(r)
        links = np.array(r["mitigations"]["none"]["one_to_many"])
        out.append(float(links[fl].mean()) if fl.any() else 0.0)
    return out


def vm_drop(runs: list[dict], method: str) -> list[float]:
    out = []
    for r in runs:
        before = r["mitigations"]["none"]["counts_tau"]["VM"]
        after = r["mitigations"][method]["counts_tau"]["VM"]
        out.append((before - after) / before if before else 0.0)
    return out


def fm_share(runs: list[dict], method: str) -> list[float]:
    return [r["mitigations"][method]["counts_tau"]["FM"] / max(1, len(r["mitigations"][method]["categories_tau"])) for r in runs]


UNIT = "trained model (training seed)"


def per_model(runs: list[dict], values: list[float]) -> list[float]:
    """Average per-run values over sampling seeds within each training seed (the independent unit)."""
    groups: dict[int, list[float]] = {}
    for r, v in zip(runs, values):
        groups.setdefault(r["spec"]["train"]["seed"], []).append(v)
    return [float(np.mean(v)) for _, v in sorted(groups.items())]


def has_vm(runs: list[dict]) -> Requirement:
    vm = [r["mitigations"]["none"]["counts_tau"]["VM"] for r in runs]
    return requires(all(v > 0 for v in vm), f"no verbatim memorization to reduce in some run (VM before mitigation: {vm})")


def claim(id, text, metric, runs, values, criterion, **kw):
    return make_claim(id, PAPER, text, metric, mean_ci(per_model(runs, values)), criterion, unit=UNIT, **kw)


def build(runs: list[dict]) -> list:
    methods = set(runs[0]["mitigations"])
    shares, _ = whole_image_misses(runs)
    calibrated = all("whole_fpr" in r for r in runs)
    claims = [
        claim("P3.whole_image_misses", "whole-image metrics (pixel l2, SSIM, classifier cosine) miss partial memorization that FB-Mem finds",
              "share of FB-Mem-flagged generations no whole-image baseline flags", runs, shares, ci_above(0.0), direction="> 0",
              reqs=[requires(calibrated, "whole-image baselines not calibrated to a matched false-positive rate on generic generations")]),
        claim("P3.one_to_many", "one generation links to several training images",
              "distinct training images with fg or bg >= tau per flagged generation", runs, one_to_many(runs), ci_above(1.0), direction="> 1"),
    ]
    for m in sorted(methods & {"nemo", "wanda"}):
        claims.append(claim(f"P3.{m}_reduces_vm", f"{m} reduces verbatim copies", "relative drop of VM count vs no mitigation",
                            runs, vm_drop(runs, m), ci_above(0.0), direction="> 0", reqs=[has_vm(runs)]))
        claims.append(claim(f"P3.{m}_leaves_fg", f"{m} leaves local memorization, above all in the foreground",
                            "share of FM among mitigated generations of memorized prompts", runs, fm_share(runs, m), ci_above(0.05),
                            direction="FM remains", reqs=[has_vm(runs)]))
    if {"nemo", "nemo_c"} <= methods:
        diff = [r["mitigations"]["nemo_c"]["mitigation_score_tau"] - r["mitigations"]["nemo"]["mitigation_score_tau"] for r in runs]
        same = all(r["mitigations"]["nemo_c"]["categories_tau"] == r["mitigations"]["nemo"]["categories_tau"]
                   and r["mitigations"]["nemo_c"]["best_fg"] == r["mitigations"]["nemo"]["best_fg"] for r in runs)
        claims.append(claim("P3.nemo_c_beats_nemo", "NeMo-C mitigates better than per-prompt NeMo",
                            "mitigation score NeMo-C minus NeMo (severity rule, tau)", runs, diff, ci_above(0.0), direction="> 0",
                            reqs=[requires(not same, "NeMo-C's generations equal NeMo's in every run: the clustering changed nothing")]))
    return claims
