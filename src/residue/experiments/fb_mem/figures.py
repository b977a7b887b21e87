"""The FB-Mem figures: generations with their best training matches, masks and scores; category
distributions per mitigation; the one-to-many histogram; mitigation score against utility loss."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...data.sources.fb_mem_scenes import load_scenes
from ...memorization.fbmem import CATEGORIES
from ...report.figures import save, subplots
from .evaluate import distinct


def grid(run: dict, samples: np.ndarray, masks: np.ndarray, stem: Path, rows: int = 8) -> list[Path]:
    """One row per memorized prompt (its first generation): the generation, its segmentation mask,
    its best training match with that image's ground-truth mask, the fg/bg scores and category."""
    scenes = load_scenes()
    keep = distinct(scenes.data.train.x)
    cand, cand_mask = scenes.data.train.x[keep], scenes.train_mask[keep]
    none = run["mitigations"]["none"]
    n = len(samples) // run["memorized_prompts"]
    picks = list(range(0, len(samples), n))[:rows]
    fig, axes = subplots(len(picks), 4, figsize=(6.4, 1.7 * len(picks)), squeeze=False)
    for r, i in enumerate(picks):
        j = none["top"][i][0]
        for a, img, title in zip(axes[r], (samples[i].transpose(1, 2, 0), masks[i], cand[j].transpose(1, 2, 0), cand_mask[j]),
                                 (run["captions"][i // n], f"mask ({run['segmenter']})",
                                  f"fg {none['best_fg'][i]:.2f} bg {none['best_bg'][i]:.2f} → {none['categories_tau'][i]} (τ = {run['tau']:g})",
                                  "its mask (gt)")):
            a.imshow(img, cmap="gray" if img.ndim == 2 else None)
            a.set_title(title, fontsize=7)
            a.axis("off")
    fig.suptitle("generation | its mask | best training match | its mask", fontsize=8)
    fig.tight_layout()
    return save(fig, stem)


def distributions(runs: list[dict], stem: Path) -> list[Path]:
    names = list(runs[0]["mitigations"])
    fig, axes = subplots(1, 2, figsize=(10, 3.6))
    for ax, label in zip(axes, ("tau", "tau_cal")):
        bottom = np.zeros(len(names))
        for c in CATEGORIES:
            v = np.array([np.mean([r["mitigations"][m][f"counts_{label}"][c] for r in runs]) for m in names])
            ax.bar(names, v, bottom=bottom, label=c)
            bottom += v
        which = f"τ = {runs[0]['tau']:g}" if label == "tau" else "calibrated τ"
        ax.set_title(f"categories of memorized-prompt generations ({which})", fontsize=9)
        ax.set_ylabel("generations (mean over seeds)")
    axes[0].legend(frameon=False)
    return save(fig, stem)


def one_to_many(runs: list[dict], stem: Path) -> list[Path]:
    links = np.concatenate([np.array(r["mitigations"]["none"]["one_to_many"]) for r in runs])
    fig, ax = subplots(figsize=(5, 3.4))
    ax.hist(links, bins=np.arange(links.max() + 2) - 0.5 if links.max() < 60 else 30)
    ax.set_xlabel(f"distinct training images with fg or bg ≥ τ = {runs[0]['tau']:g}")
    ax.set_ylabel("generations (memorized prompts)")
    ax.set_title(f"One generation, many training images (τ = {runs[0]['tau']:g})", fontsize=9)
    return save(fig, stem)


def score_vs_utility(runs: list[dict], stem: Path) -> list[Path]:
    fig, ax = subplots(figsize=(5, 3.6))
    for i, m in enumerate(n for n in runs[0]["mitigations"] if n != "none"):
        score = [r["mitigations"][m]["mitigation_score_tau"] for r in runs]
        loss = [r["mitigations"][m]["frechet_memorized"] - r["mitigations"]["none"]["frechet_memorized"] for r in runs]
        ax.scatter(loss, score, color=f"C{i}", label=m)
    ax.axhline(0, color="grey", lw=0.5)
    ax.set_xlabel("utility loss: Δ Fréchet distance (classifier features)")
    ax.set_ylabel("mitigation score (severity rule)")
    ax.legend(frameon=False)
    return save(fig, stem)
