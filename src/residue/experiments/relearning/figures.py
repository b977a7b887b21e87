"""P4's figures: relearning curves, quality-vs-UA scatter, sample grids before and after DiMRA."""

from __future__ import annotations

import numpy as np

from ...io import load_torch
from ...report.figures import save, subplots
from ...stats import mean_ci


def relearning_curves(stem, names, aux_sets, curves, original_ua):
    """UA versus DiMRA steps, one panel per auxiliary set, mean ± 95% CI over seeds per method."""
    fig, axes = subplots(1, len(aux_sets), figsize=(4.2 * len(aux_sets), 3.6), sharey=True, squeeze=False)
    for ax, aux in zip(axes[0], aux_sets):
        for i, name in enumerate(names):
            runs = list(curves[(name, aux)].values())
            steps = runs[0]["step"]
            ests = [mean_ci([r["ua"][j] for r in runs]) for j in range(len(steps))]
            ax.plot(steps, [e.mean for e in ests], marker="o", ms=3, color=f"C{i}", label=name)
            ax.fill_between(steps, [e.lo for e in ests], [e.hi for e in ests], color=f"C{i}", alpha=0.15)
        ax.axhline(original_ua, color="k", ls=":", lw=1, label="original model")
        ax.set_title(f"DiMRA on {aux}")
        ax.set_xlabel("attack steps")
        ax.set_ylim(-0.02, 1.02)
    axes[0][0].set_ylabel("UA (1 − c_f rate)")
    axes[0][-1].legend(frameon=False, fontsize=7, loc="lower left")
    return save(fig, stem)


def quality_vs_ua(stem, names, kinds, unl, original, seeds):
    """KID after unlearning (mean ± 95% CI over seeds) vs UA per method, with the original model and
    the real-data floor (dotted)."""
    fig, ax = subplots(figsize=(5.6, 4.2))
    for i, name in enumerate(names):
        pts = [unl[(name, s)] for s in seeds]
        u, k = mean_ci([p["ua"] for p in pts]), mean_ci([1e3 * p["kid"] for p in pts])
        ax.errorbar(u.mean, k.mean, xerr=[[u.mean - u.lo], [u.hi - u.mean]], yerr=[[k.mean - k.lo], [k.hi - k.mean]],
                    fmt="o", color=f"C{i}", capsize=2, label=f"{name} ({kinds[name]})")
    ax.scatter([original["ua"]], [1e3 * original["kid"]], marker="*", s=120, color="k", label="original", zorder=3)
    ax.axhline(1e3 * original["kid_real_floor"], color="k", ls=":", lw=1, label="real test images (floor)")
    ax.set_xlabel("UA after unlearning")
    ax.set_ylabel("KID ×10³ (classifier features, retained classes)")
    ax.legend(frameon=False, fontsize=7)
    return save(fig, stem)


def _row(samples: dict) -> np.ndarray:
    """One strip: the forget-class generations, a gap, the retained-class generations."""
    f, r = samples["forget"].numpy()[:, 0], samples["retained"].numpy()[:, 0]
    gap = np.ones((f.shape[1], 4))
    return np.concatenate([*f, gap, *r], axis=1) if len(f) and len(r) else np.zeros((1, 1))


def sample_grids(stem, names, inputs, grid_aux):
    """Per method: c_f prompts | a retained class, before DiMRA (left) and after DiMRA (right)."""
    def by_name(paths):  # the path carries the method's name: .../<name>/seed=... or .../<name>/dimra=...
        return {n: next(p for p in paths if f"/{n}/" in str(p)) for n in names}

    before, after = by_name(inputs["grid_before"]), by_name(inputs["grid_after"])
    rows = [("original", load_torch(inputs["grid_original"][0]), None)]
    rows += [(n, load_torch(before[n]), load_torch(after[n])) for n in names]
    fig, axes = subplots(len(rows), 2, figsize=(14, 0.9 * len(rows) + 0.6), squeeze=False)
    for (name, b, a), (ax_b, ax_a) in zip(rows, axes):
        for ax, s in ((ax_b, b), (ax_a, a)):
            ax.set_xticks([])
            ax.set_yticks([])
            if s is not None:
                ax.imshow(_row(s), cmap="gray", vmin=0, vmax=1)
        ax_b.set_ylabel(name, rotation=0, ha="right", va="center", fontsize=8)
    axes[0][0].set_title("after unlearning: c_f prompts | retained class")
    axes[0][1].set_title(f"after DiMRA on {grid_aux}: c_f prompts | retained class")
    return save(fig, stem)
