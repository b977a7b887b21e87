"""P1's figures: effect vs budget with reference bands, GUS histograms, MIA vs GUS, H1/H2, and each
method's removal-vs-utility trade-off over its tuning grid."""

from __future__ import annotations

import numpy as np
from scipy import stats as sps

from ...report.figures import save, subplots
from ...stats import mean_ci
from .collect import budgets, methods, reference, series, settings

EFFECT_LABEL = {"gaussian": "GUS −z (0 = no trace)", "gradient_canceling": "test-accuracy gap",
                "backdoor": "trigger success rate", "gradient_matching": "target adversarial margin"}


def band(ax, values, label, color):
    est = mean_ci(values)
    ax.axhspan(est.lo, est.hi, color=color, alpha=0.2)
    ax.axhline(est.mean, color=color, ls="--", lw=1, label=label)


def effect_vs_budget(table, stem):
    cells = settings(table)
    fig, axes = subplots(1, len(cells), figsize=(4.6 * len(cells), 3.8), squeeze=False)
    for ax, (ds, atk) in zip(axes[0], cells):
        band(ax, list(reference(table, ds, atk, "none").values()), "no unlearning", "k")
        band(ax, list(reference(table, ds, atk, "retrain").values()), "retrain", "g")
        names = methods(table)
        for i, m in enumerate(names):
            bs = [b for b in budgets(table) if series(table, ds, atk, m, b)]
            ests = [mean_ci(list(series(table, ds, atk, m, b).values())) for b in bs]
            dodge = 0.12 * (i - (len(names) - 1) / 2)  # side by side, so methods at one budget do not overlap
            ax.errorbar([b + dodge for b in bs], [e.mean for e in ests], yerr=[[e.mean - e.lo for e in ests], [e.hi - e.mean for e in ests]],
                        marker="o", ms=3, capsize=2, color=f"C{i}", label=m)
        ax.set_title(f"{atk} ({ds})")
        ax.set_xlabel("budget (% of retrain gradient evaluations)")
        ax.set_ylabel(EFFECT_LABEL.get(atk, "effect"))
    axes[0][-1].legend(frameon=False, fontsize=7, bbox_to_anchor=(1.02, 1), loc="upper left")
    return save(fig, stem)


def gus_histograms(table, poisoned, ds, stem):
    b = max(x for x in budgets(table) if x <= 10)
    panels = [("none", None), ("retrain", None)] + [(m, b) for m in methods(table)]
    fig, axes = subplots(2, (len(panels) + 2) // 2, figsize=(3.0 * ((len(panels) + 2) // 2), 5.6), squeeze=False)
    grid = np.linspace(-5, 5, 200)
    flat_axes = list(axes.flat)
    fresh = [v for m in poisoned for v in m["fresh_noise_scores"]]
    for ax, (m, bud) in zip(flat_axes, panels + [("fresh noise (never trained on)", "fresh")]):
        if bud == "fresh":
            scores = fresh
        elif bud is None:
            scores = [v for s in reference(table, ds, "gaussian", m, "gus_scores").values() for v in s]
        else:
            scores = [v for s in series(table, ds, "gaussian", m, bud, "gus_scores").values() for v in s]
        ax.hist(scores, bins=30, range=(-6, 6), density=True, alpha=0.6)
        ax.plot(grid, sps.norm.pdf(grid), "k", lw=1)
        ax.set_title(m if bud in (None, "fresh") else f"{m} @ {bud:g}%", fontsize=9)
    for ax in flat_axes[len(panels) + 1:]:
        ax.axis("off")
    fig.suptitle("GUS I_i of the poisons (pooled over seeds) against N(0,1)")
    return save(fig, stem)


def mia_vs_gus(table, ds, stem):
    b = max(x for x in budgets(table) if x <= 10)
    rows = [("none", reference(table, ds, "gaussian", "none", "mia_tpr_at_1pct"), reference(table, ds, "gaussian", "none", "gus_tpr_at_1pct")),
            ("retrain", reference(table, ds, "gaussian", "retrain", "mia_tpr_at_1pct"), reference(table, ds, "gaussian", "retrain", "gus_tpr_at_1pct"))]
    rows += [(m, series(table, ds, "gaussian", m, b, "mia_tpr_at_1pct"), series(table, ds, "gaussian", m, b, "gus_tpr_at_1pct")) for m in methods(table)]
    fig, ax = subplots(figsize=(1.0 * len(rows) + 2, 3.6))
    x = np.arange(len(rows))
    for off, k, label in ((-0.2, 1, "calibrated MIA"), (0.2, 2, "GUS (per-sample)")):
        ests = [mean_ci(list(r[k].values())) for r in rows]
        ax.bar(x + off, [e.mean for e in ests], 0.4, yerr=[[e.mean - e.lo for e in ests], [e.hi - e.mean for e in ests]], capsize=2, label=label)
    ax.axhline(0.01, color="k", ls=":", lw=1, label="FPR = 1%")
    ax.set_xticks(x, [r[0] for r in rows], rotation=30)
    ax.set_ylabel("TPR on the poisons at FPR 1%")
    ax.set_title(f"MIA vs GUS after unlearning ({b:g}% budget)")
    ax.legend(frameon=False, fontsize=8)
    return save(fig, stem)


def hypotheses(hyp, stem):
    fr = [r["fraction"] for r in hyp[0]["rows"]]
    fig, (a1, a2) = subplots(1, 2, figsize=(9, 3.6))
    for key, label in (("shift_poisons", "remove the poisons"), ("shift_random", "remove as many random points")):
        ests = [mean_ci([m["rows"][i][key] for m in hyp]) for i in range(len(fr))]
        a1.errorbar(fr, [e.mean for e in ests], yerr=[[e.mean - e.lo for e in ests], [e.hi - e.mean for e in ests]], marker="o", capsize=2, label=label)
    a1.set_xlabel("removed fraction of D")
    a1.set_ylabel("‖θ(D) − θ(D ∖ removed)‖")
    a1.set_title("H1 (logistic regression)")
    a1.legend(frameon=False)
    ests = [mean_ci([m["rows"][i]["cos_gd_needed"] for m in hyp]) for i in range(len(fr))]
    a2.errorbar(fr, [e.mean for e in ests], yerr=[[e.mean - e.lo for e in ests], [e.hi - e.mean for e in ests]], marker="o", capsize=2)
    a2.axhline(0, color="k", lw=0.5)
    a2.set_ylim(-1, 1)
    a2.set_xlabel("poisoned fraction of D")
    a2.set_ylabel("cos(−∇L(θ; D_r), θ_retrain − θ)")
    a2.set_title("H2")
    return save(fig, stem)


def removal_vs_utility(tuning, stem):
    """Every tuned method's grid (tune job): validation-accuracy drop against removal = effect(poisoned) −
    effect(unlearned), both means over the tuning seeds; the chosen point is a star, the tolerance a dotted
    line.  EUk/CFk: the chosen k's lr grid as a line, the other k as faint points."""
    cells = settings(tuning)
    fig, axes = subplots(1, max(1, len(cells)), figsize=(4.6 * max(1, len(cells)), 3.8), squeeze=False)
    for ax, (ds, atk) in zip(axes[0], cells):
        for i, m in enumerate(sorted({k[2] for k in tuning if k[:2] == (ds, atk)})):
            (t,) = tuning[(ds, atk, m)]
            k = t["chosen"].get("k")
            line = [g for g in t["grid"] if g.get("k") == k]
            ax.plot([g["drop"] for g in line], [g["removal"] for g in line], marker="o", ms=3, color=f"C{i}", label=m)
            rest = [g for g in t["grid"] if g.get("k") != k]
            ax.scatter([g["drop"] for g in rest], [g["removal"] for g in rest], s=6, color=f"C{i}", alpha=0.3)
            ax.scatter([t["chosen_point"]["drop"]], [t["chosen_point"]["removal"]], marker="*", s=90, color=f"C{i}", edgecolor="k", zorder=3)
            ax.axvline(t["tolerance"], color="k", ls=":", lw=1)
        ax.set_title(f"{atk} ({ds})")
        ax.set_xlabel("validation-accuracy drop vs poisoned")
        ax.set_ylabel("removal (validation effect, poisoned − unlearned)")
    if cells:
        axes[0][-1].legend(frameon=False, fontsize=7, bbox_to_anchor=(1.02, 1), loc="upper left")
    else:
        axes[0][0].text(0.5, 0.5, "no tuned method in this profile", ha="center", va="center", transform=axes[0][0].transAxes)
    return save(fig, stem)
