"""Whole-image baselines at a matched false-positive rate.

For the run (training seed t, sampling seed s), each baseline's threshold is set on the *other*
sampling seeds' generic generations of the same trained model at ``whole_fpr``
(:func:`residue.memorization.whole.matched_threshold`), so the FPR reported on the run's own
generic generations is held out.  With a single sampling seed the run's own generic generations
are used (the FPR is then in-sample).
"""

from __future__ import annotations

import numpy as np

from ...memorization.whole import matched_threshold


def key(r: dict) -> tuple[int, int]:
    return r["spec"]["train"]["seed"], r["spec"]["sample_seed"]


def _split(r: dict, scores: list[float]) -> tuple[np.ndarray, np.ndarray]:
    n_mem = r["memorized_prompts"] * r["images_per_prompt"]
    s = np.asarray(scores, float)
    return s[:n_mem], s[n_mem:]


def whole_flags(runs: list[dict]) -> dict[tuple[int, int], dict[str, dict]]:
    """Per run and baseline: threshold, flags on the memorized and the generic generations, FPR."""
    out = {}
    for r in runs:
        peers = [p for p in runs if p["spec"]["train"]["seed"] == r["spec"]["train"]["seed"] and p is not r] or [r]
        out[key(r)] = {}
        for b, scores in r["whole_scores"].items():
            ref = np.concatenate([_split(p, p["whole_scores"][b])[1] for p in peers])
            t = matched_threshold(ref, r["whole_fpr"])
            mem, gen = _split(r, scores)
            out[key(r)][b] = {"threshold": t, "memorized": mem >= t, "generic": gen >= t, "fpr": float((gen >= t).mean())}
    return out
