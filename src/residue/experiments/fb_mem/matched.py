"""Whole-image baselines at a matched false-positive rate.

For the run (training seed t, sampling seed s), each baseline's threshold is set on the *other*
sampling seeds' generic generations of the same trained model at ``whole_fpr``
(:func:`residue.memorization.whole.matched_threshold`), so the FPR reported on the run's own
generic generations is held out.  With a single sampling seed the run's own generic generations
are used (the FPR is then in-sample).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...memorization.whole import matched_threshold


def key(r: dict) -> tuple[int, int]:
    return r["spec"]["train"]["seed"], r["spec"]["sample_seed"]


def _split(r: dict, scores: list[float]) -> tuple[np.ndarray, np.ndarray]:
    n_mem = r["memorized_prompts"] * r["images_per_prompt"]
    s = np.asarray(scores, float)
    return s[:n_mem], s[n_mem:]


def matched_flags(runs: list[dict], scores_of) -> dict[tuple[int, int], dict[str, dict]]:
    """Per run and detector (``scores_of(run)``: {name: scores of the memorized, then the generic
    generations}): threshold, flags on the memorized and the generic generations, FPR."""
    out = {}
    for r in runs:
        peers = [p for p in runs if p["spec"]["train"]["seed"] == r["spec"]["train"]["seed"] and p is not r] or [r]
        out[key(r)] = {}
        for b, scores in scores_of(r).items():
            ref = np.concatenate([_split(p, scores_of(p)[b])[1] for p in peers])
            t = matched_threshold(ref, r["whole_fpr"])
            mem, gen = _split(r, scores)
            out[key(r)][b] = {"threshold": t, "memorized": mem >= t, "generic": gen >= t, "fpr": float((gen >= t).mean())}
    return out


def whole_flags(runs: list[dict]) -> dict[tuple[int, int], dict[str, dict]]:
    """The whole-image baselines (pixel l2, SSIM, classifier cosine) at the matched FPR."""
    return matched_flags(runs, lambda r: r["whole_scores"])


def fbmem_flags(runs: list[dict]) -> dict[tuple[int, int], dict]:
    """FB-Mem itself at the matched FPR: a generation is flagged (not NM) at τ exactly when the larger
    of its best match's fg and bg scores reaches τ, so that score, thresholded like the baselines',
    is FB-Mem at the same false-positive rate."""
    return {k: v["fb_mem"] for k, v in matched_flags(runs, lambda r: {"fb_mem": r["fbmem_scores"]}).items()}


@dataclass(frozen=True)
class Flags:
    """Per run (:func:`key`): the whole-image baselines' flags and FB-Mem's own, all at the matched FPR."""

    whole: dict[tuple[int, int], dict[str, dict]]
    fb_mem: dict[tuple[int, int], dict]


def flags(runs: list[dict]) -> Flags:
    """Every detector thresholded once, for the claims and the tables alike."""
    return Flags(whole_flags(runs), fbmem_flags(runs))
