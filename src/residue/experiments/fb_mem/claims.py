"""The four claims of PAPERS.md §P3 and their criteria, fixed before any run.

Each per-seed value comes from one (training seed, sampling seed) evaluation; CIs are over them.
* whole_image_misses — share of FB-Mem-flagged (VM/FM/BM at τ) unmitigated generations of the
  memorized prompts that no whole-image baseline flags; holds if the CI's low end > 0;
* one_to_many — mean number of distinct training images linked (fg or bg ≥ τ) to a flagged
  generation; holds if the CI's low end > 1;
* <m>_reduces_vm (m = nemo, wanda) — relative drop of VM counts vs no mitigation; CI low > 0;
* <m>_leaves_fg — share of FM among the mitigated generations of the memorized prompts; CI low > 0.05;
* nemo_c_beats_nemo — mitigation score of NeMo-C minus NeMo; CI low > 0.
"""

from __future__ import annotations

import numpy as np

from ...claims import ci_above, make_claim
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


def build(runs: list[dict]) -> list:
    methods = set(runs[0]["mitigations"])
    shares, _ = whole_image_misses(runs)
    claims = [
        make_claim("P3.whole_image_misses", PAPER,
                   "whole-image metrics (pixel l2, SSIM, classifier cosine) miss partial memorization that FB-Mem finds",
                   "share of FB-Mem-flagged generations no whole-image baseline flags", mean_ci(shares), ci_above(0.0)),
        make_claim("P3.one_to_many", PAPER, "one generation links to several training images",
                   "distinct training images with fg or bg >= tau per flagged generation", mean_ci(one_to_many(runs)), ci_above(1.0)),
    ]
    for m in sorted(methods & {"nemo", "wanda"}):
        claims.append(make_claim(f"P3.{m}_reduces_vm", PAPER, f"{m} reduces verbatim copies",
                                 "relative drop of VM count vs no mitigation", mean_ci(vm_drop(runs, m)), ci_above(0.0)))
        claims.append(make_claim(f"P3.{m}_leaves_fg", PAPER, f"{m} leaves local memorization, above all in the foreground",
                                 "share of FM among mitigated generations of memorized prompts", mean_ci(fm_share(runs, m)), ci_above(0.05)))
    if {"nemo", "nemo_c"} <= methods:
        diff = [r["mitigations"]["nemo_c"]["mitigation_score_tau"] - r["mitigations"]["nemo"]["mitigation_score_tau"] for r in runs]
        claims.append(make_claim("P3.nemo_c_beats_nemo", PAPER, "NeMo-C mitigates better than per-prompt NeMo",
                                 "mitigation score NeMo-C minus NeMo (severity rule, tau)", mean_ci(diff), ci_above(0.0)))
    return claims
