"""The claims of PAPERS.md §P3 and their criteria, fixed before any run.

The unit is the trained diffusion model: per-run counts (one run per training seed × sampling
seed) are pooled over the sampling seeds of a training seed first, and the CI runs over training
seeds (one trained model gives no CI, so the claims are then untestable).
* whole_image_misses — share of FB-Mem-flagged (VM/FM/BM at τ) unmitigated generations of the
  memorized prompts that no whole-image baseline flags, every baseline thresholded at the matched
  false-positive rate on generic generations (:mod:`.matched`); holds if the CI's low end > 0;
* whole_image_misses_matched — the same with FB-Mem also thresholded at that matched FPR (its own
  generic false positives otherwise count as findings the baselines miss); same criterion;
* one_to_many — mean number of distinct training images linked (fg or bg ≥ τ) to a flagged
  generation; holds if the CI's low end > 1;
* <m>_reduces_vm (m = nemo, wanda) — relative drop of the VM count vs no mitigation; CI low > 0;
  untestable without verbatim memorization before mitigation in every model, or when m left the
  model as it was for every memorized prompt of some model (NeMo deactivated no neuron, Wanda
  zeroed no weight: its detector flagged nothing, so there was no mitigation to judge);
* <m>_leaves_fg — a paired test against ``none``: among the generations that are VM without
  mitigation, the share that becomes FM minus the share that becomes BM under m (under ``none``
  both are 0); CI low > 0; untestable when m changed none of them in some model;
* nemo_c_beats_nemo — mitigation score of NeMo-C minus NeMo; CI low > 0; untestable when NeMo-C's
  generations are NeMo's (the clustering changed nothing).
Verbatim memorization is an effect the mitigation claims need, and FB-Mem's own VM count cannot
confirm it (it is what they measure): every mitigation claim (reduces_vm, leaves_fg,
nemo_c_beats_nemo) is untestable unless the copy test, which is independent of FB-Mem, finds a
copied verbatim-prompt generation in every trained model (issue #15: "memorization that is
measured, not assumed").
Sanity checks of the set-up (not the paper's claims): the copy test (Gu et al. 2023) finds the
verbatim prompts' generations copied (rate CI low > 0.5) and the generic prompts' not (mean < 0.1).
"""

from __future__ import annotations

import numpy as np

from ...claims import Requirement, ci_above, make_claim, mean_below, requires
from ...stats import Estimate, mean_ci
from .matched import Flags, key

PAPER = "2508.12148"
UNIT = "trained model (training seed)"


def by_model(runs: list[dict]) -> dict[int, list[dict]]:
    """Runs grouped by training seed (the independent unit), sampling seeds nested inside."""
    groups: dict[int, list[dict]] = {}
    for r in runs:
        groups.setdefault(r["spec"]["train"]["seed"], []).append(r)
    return dict(sorted(groups.items()))


def _cats(r: dict, method: str = "none") -> np.ndarray:
    return np.array(r["mitigations"][method]["categories_tau"])


def _ratio(num: float, den: float) -> float:
    return num / den if den else float("nan")


def whole_image_misses(runs: list[dict], flags: Flags, matched: bool = False) -> dict[int, float]:
    """Per model: FB-Mem-flagged generations no matched-FPR baseline flags / FB-Mem-flagged; FB-Mem
    at the paper's τ, or (``matched``) at the baselines' matched FPR too."""
    out = {}
    for seed, rs in by_model(runs).items():
        missed = flagged = 0
        for r in rs:
            fl = flags.fb_mem[key(r)]["memorized"] if matched else _cats(r) != "NM"
            any_whole = np.any([f["memorized"] for f in flags.whole[key(r)].values()], axis=0)
            missed += int((fl & ~any_whole).sum())
            flagged += int(fl.sum())
        out[seed] = _ratio(missed, flagged)
    return out


def one_to_many(runs: list[dict]) -> dict[int, float]:
    out = {}
    for seed, rs in by_model(runs).items():
        links = np.concatenate([np.array(r["mitigations"]["none"]["one_to_many"])[_cats(r) != "NM"] for r in rs])
        out[seed] = float(links.mean()) if len(links) else float("nan")
    return out


def vm_drop(runs: list[dict], method: str) -> dict[int, float]:
    return {seed: _ratio(sum((_cats(r) == "VM").sum() - (_cats(r, method) == "VM").sum() for r in rs),
                         sum((_cats(r) == "VM").sum() for r in rs)) for seed, rs in by_model(runs).items()}


def transitions(runs: list[dict], method: str) -> dict[int, dict[str, int]]:
    """Per model: where the unmitigated VM generations go under ``method`` (paired by prompt and noise)."""
    out = {}
    for seed, rs in by_model(runs).items():
        after = np.concatenate([_cats(r, method)[_cats(r) == "VM"] for r in rs])
        out[seed] = {c: int((after == c).sum()) for c in ("VM", "FM", "BM", "NM")}
    return out


def fg_over_bg(runs: list[dict], method: str) -> dict[int, float]:
    return {s: _ratio(t["FM"] - t["BM"], sum(t.values())) for s, t in transitions(runs, method).items()}


def copy_rate(runs: list[dict], group: str) -> dict[int, float]:
    """Per model: share of the unmitigated generations of a prompt group that the copy test flags."""
    out = {}
    for seed, rs in by_model(runs).items():
        hits = []
        for r in rs:
            g = np.repeat(r["groups"], r["images_per_prompt"])
            hits.append(np.array(r["mitigations"]["none"]["copy_ratio"])[g == group] < r["copy_ratio"])
        out[seed] = float(np.concatenate(hits).mean())
    return out


def has_vm(runs: list[dict]) -> Requirement:
    vm = [int(sum((_cats(r) == "VM").sum() for r in rs)) for rs in by_model(runs).values()]
    return requires(all(v > 0 for v in vm), f"no verbatim memorization to reduce in some trained model (VM before mitigation: {vm})")


def copies_confirmed(runs: list[dict]) -> Requirement:
    rates = copy_rate(runs, "verbatim")
    return requires(all(v > 0 for v in rates.values()),
                    f"the copy test confirms no verbatim memorization to mitigate in some trained model "
                    f"(verbatim-prompt copy rate per model: {', '.join(f'{v:.2f}' for v in rates.values())})")


EDITS = {  # mitigation: (what it changes, (run info, memorized-prompt mask) -> how much of it)
    "nemo": ("neurons deactivated", lambda info, mem: sum(n for n, m in zip(info["neurons"], mem) if m)),
    "wanda": ("weights zeroed", lambda info, mem: info["weights_zeroed"]),
}


def edited(runs: list[dict], method: str) -> Requirement:
    """The mitigation changed the model for some memorized prompt in every trained model."""
    what, amount = EDITS[method]
    done = [sum(amount(r["mitigations"][method]["info"], np.array(r["groups"]) != "generic") for r in rs)
            for rs in by_model(runs).values()]
    return requires(all(d > 0 for d in done),
                    f"{method} changed the model for no memorized prompt in some trained model ({what} per model: {done})")


def acted(runs: list[dict], method: str) -> Requirement:
    moved = [sum(v for c, v in t.items() if c != "VM") for t in transitions(runs, method).values()]
    return requires(all(m > 0 for m in moved), f"{method} changed no unmitigated VM generation in some trained model (moved: {moved})")


def defined(values: dict[int, float], what: str) -> Requirement:
    bad = [s for s, v in values.items() if not np.isfinite(v)]
    return requires(not bad, f"{what} undefined for training seeds {bad}")


def claim(id, text, metric, values: dict[int, float], criterion, reqs=(), **kw):
    finite = [v for v in values.values() if np.isfinite(v)]
    est = mean_ci(finite) if finite else Estimate.empty()
    return make_claim(id, PAPER, text, metric, est, criterion, unit=UNIT,
                      reqs=[*reqs, defined(values, metric)], **kw)


def build(runs: list[dict], flags: Flags) -> list:
    methods = set(runs[0]["mitigations"])
    tau = runs[0]["tau"]
    claims = [
        claim("P3.whole_image_misses", "whole-image metrics (pixel l2, SSIM, classifier cosine) miss partial memorization that FB-Mem finds",
              f"share of FB-Mem-flagged generations (tau = {tau:g}) no whole-image baseline flags at the matched FPR",
              whole_image_misses(runs, flags), ci_above(0.0), direction="> 0"),
        claim("P3.whole_image_misses_matched", "whole-image metrics miss partial memorization that FB-Mem finds, both at one false-positive rate",
              f"share of FB-Mem-flagged generations (FB-Mem too at the matched FPR {runs[0]['whole_fpr']:g}) no whole-image baseline flags",
              whole_image_misses(runs, flags, matched=True), ci_above(0.0), direction="> 0"),
        claim("P3.one_to_many", "one generation links to several training images",
              f"distinct training images with fg or bg >= {tau:g} per flagged generation", one_to_many(runs), ci_above(1.0),
              direction="> 1"),
    ]
    memorized = [has_vm(runs), copies_confirmed(runs)]
    for m in sorted(methods & {"nemo", "wanda"}):
        claims.append(claim(f"P3.{m}_reduces_vm", f"{m} reduces verbatim copies", "relative drop of VM count vs no mitigation",
                            vm_drop(runs, m), ci_above(0.0), [*memorized, edited(runs, m)], direction="> 0"))
        claims.append(claim(f"P3.{m}_leaves_fg", f"{m} leaves local memorization, above all in the foreground",
                            "among unmitigated VM generations: share FM minus share BM after mitigation (paired vs none)",
                            fg_over_bg(runs, m), ci_above(0.0), [*memorized, acted(runs, m)], direction="FM > BM"))
    if {"nemo", "nemo_c"} <= methods:
        diff = {s: float(np.mean([r["mitigations"]["nemo_c"]["mitigation_score_tau"] - r["mitigations"]["nemo"]["mitigation_score_tau"]
                                  for r in rs])) for s, rs in by_model(runs).items()}
        same = all(r["mitigations"]["nemo_c"]["categories_tau"] == r["mitigations"]["nemo"]["categories_tau"]
                   and r["mitigations"]["nemo_c"]["best_fg"] == r["mitigations"]["nemo"]["best_fg"] for r in runs)
        claims.append(claim("P3.nemo_c_beats_nemo", "NeMo-C mitigates better than per-prompt NeMo",
                            f"mitigation score NeMo-C minus NeMo (severity rule, tau = {tau:g})", diff, ci_above(0.0),
                            [*memorized, requires(not same, "NeMo-C's generations equal NeMo's in every run: the clustering changed nothing")],
                            direction="> 0"))
    ratio = runs[0]["copy_ratio"]
    claims += [
        claim("P3.check.verbatim_copies", "set-up: the verbatim prompts' generations are copies (Gu et al. 2023 copy test)",
              f"share of generations with d1/d2 < {ratio:.3g}", copy_rate(runs, "verbatim"), ci_above(0.5), sanity=True),
        claim("P3.check.generic_no_copies", "set-up: the generic prompts' generations are not copies",
              f"share of generations with d1/d2 < {ratio:.3g}", copy_rate(runs, "generic"), mean_below(0.1), sanity=True),
    ]
    return claims
