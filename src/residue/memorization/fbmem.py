"""The FB-Mem metric (PAPERS.md §P3): foreground/background memorization of generated images.

1. :func:`split` — foreground image (object cut out, zeros elsewhere) and background image (object
   area painted white), with the two 97% fall-backs.
2. :func:`match` — fg = MS-SSIM(fg_gen, fg_train), bg = MS-SSIM(bg_gen, bg_train) against every
   training image; rank by 0.5·fg + 0.5·bg, keep the top k.
3. :func:`classify` — VM (fg ≥ τ and bg ≥ τ), BM (bg only), FM (fg only), NM, from the best match;
   :func:`calibrated_tau` — mean + 1 sd of the best-match scores of non-memorized generations.
4. :func:`one_to_many` — distinct training images whose fg or bg score reaches τ.
5. :func:`mitigation_score` — Σ severity(before) − severity(after) with VM 2, FM 1.5, BM 0.5, NM 0
   (``official=True`` uses the official code's table, whose BM→FM entry is −0.5 instead of −1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .ssim import SCALES, pyramid, to_many

CATEGORIES = ("VM", "FM", "BM", "NM")
SEVERITY = {"VM": 2.0, "FM": 1.5, "BM": 0.5, "NM": 0.0}
FALLBACK = 0.97


def split(x: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, C, H, W) images in [0, 1] and (N, H, W) boolean masks → fg and bg images (step 1)."""
    m = mask[:, None].to(x.dtype)
    fg = x * m
    bg = x * (1 - m) + m
    white = (bg >= 1 - 1e-6).all(1).flatten(1).float().mean(1)
    black = (fg <= 1e-6).all(1).flatten(1).float().mean(1)
    full, empty = (white >= FALLBACK)[:, None, None, None], (black >= FALLBACK)[:, None, None, None]
    fg_out = torch.where(full, fg, torch.where(empty, bg, fg))
    bg_out = torch.where(full, fg, torch.where(empty, bg, bg))
    return fg_out, bg_out


@dataclass(frozen=True)
class Matches:
    """Per generation: top-k training indices with their fg, bg scores, and every fg/bg score."""

    top: np.ndarray       # (G, k) indices into the candidates, best first
    fg: np.ndarray        # (G, k)
    bg: np.ndarray        # (G, k)
    fg_all: np.ndarray    # (G, N)
    bg_all: np.ndarray    # (G, N)

    def rows(self, sel) -> "Matches":
        return Matches(self.top[sel], self.fg[sel], self.bg[sel], self.fg_all[sel], self.bg_all[sel])

    @property
    def best_score(self) -> np.ndarray:
        return 0.5 * self.fg[:, 0] + 0.5 * self.bg[:, 0]

    @property
    def flag_score(self) -> np.ndarray:
        """max(fg, bg) of the best match: the generation is VM, FM or BM at τ exactly when this is ≥ τ."""
        return np.maximum(self.fg[:, 0], self.bg[:, 0])


def match(gen: torch.Tensor, gen_mask: torch.Tensor, train: torch.Tensor, train_mask: torch.Tensor,
          k: int = 5, similarity: str = "ms_ssim") -> Matches:
    n = SCALES[similarity]
    gfg, gbg = split(gen, gen_mask)
    tfg, tbg = split(train, train_mask)
    fg_all = torch.zeros(len(gen), len(train))
    bg_all = torch.zeros(len(gen), len(train))
    with torch.no_grad():
        pfg, pbg = pyramid(tfg, n), pyramid(tbg, n)
        for i in range(len(gen)):
            fg_all[i] = to_many(pyramid(gfg[i:i + 1], n), pfg, similarity)
            bg_all[i] = to_many(pyramid(gbg[i:i + 1], n), pbg, similarity)
    score = 0.5 * fg_all + 0.5 * bg_all
    top = score.topk(min(k, len(train)), dim=1).indices
    return Matches(top.numpy(), fg_all.gather(1, top).numpy(), bg_all.gather(1, top).numpy(),
                   fg_all.numpy(), bg_all.numpy())


def classify(m: Matches, tau: float) -> list[str]:
    """Step 3: the category of each generation from its best match's fg and bg scores at τ."""
    fg, bg = m.fg[:, 0] >= tau, m.bg[:, 0] >= tau
    return ["VM" if f and b else "FM" if f else "BM" if b else "NM" for f, b in zip(fg, bg)]


def calibrated_tau(best_scores_non_memorized: np.ndarray) -> float:
    """NeMo-style calibration: mean + 1 sd of the non-memorized generations' best-match scores."""
    s = np.asarray(best_scores_non_memorized, float)
    return float(s.mean() + s.std(ddof=1)) if len(s) > 1 else float(s.mean())


def one_to_many(m: Matches, tau: float, groups: np.ndarray | None = None) -> np.ndarray:
    """Distinct training images linked to each generation (fg ≥ τ or bg ≥ τ); ``groups`` maps
    candidates to content ids, so exact duplicates count once."""
    linked = (m.fg_all >= tau) | (m.bg_all >= tau)
    if groups is None:
        return linked.sum(1)
    return np.array([len(np.unique(groups[row])) for row in linked])


def mitigation_score(before: list[str], after: list[str], official: bool = False) -> float:
    """Σ_i severity(before_i) − severity(after_i) over generations paired by prompt and seed."""
    total = 0.0
    for b, a in zip(before, after, strict=True):
        total += -0.5 if official and (b, a) == ("BM", "FM") else SEVERITY[b] - SEVERITY[a]
    return total


def counts(categories: list[str]) -> dict[str, int]:
    return {c: int(sum(x == c for x in categories)) for c in CATEGORIES}
