"""The figures of P2 (matplotlib, PNG + PDF): success rates, target margins, ablations, examples."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ...report.figures import save, subplots
from ...stats import Estimate, rate_ci
from .trial import outcomes

STAGES = ("clean", "poisoned", "camouflaged", "unlearned/exact/1")
# the official convex notebook's single target (LinearSVC, binary CIFAR-10): decision value per stage
NOTEBOOK_MARGINS = (0.0486, -0.0433, 0.0197, -0.0433)


def _yerr(ests: list[Estimate]) -> list[list[float]]:
    """Error-bar half-lengths; clipped at 0 (a Wilson bound can miss 0 or 1 by rounding)."""
    return [[max(0.0, e.mean - e.lo) for e in ests], [max(0.0, e.hi - e.mean) for e in ests]]


def _bar(ax, x: float, est: Estimate, color: str, label: str | None = None) -> None:
    if est.n == 0 or math.isnan(est.mean):
        ax.text(x, 0.02, "n=0", ha="center", fontsize=7)
        return
    ax.bar(x, est.mean, width=0.18, color=color, label=label)
    ax.errorbar(x, est.mean, yerr=_yerr([est]), fmt="none", ecolor="k", capsize=3)


def _rate(k: int, n: int) -> Estimate:
    return rate_ci(k, n) if n else Estimate(math.nan, math.nan, math.nan, 0)


def success(stem: Path, mains: dict[str, list[dict]]) -> list[Path]:
    """Poison, camouflage (| poison), overall and restored (| overall) rates per setting."""
    fig, ax = subplots(figsize=(7, 3.6))
    for i, (run, trials) in enumerate(mains.items()):
        o = [outcomes(t) for t in trials]
        n_po, n_all = sum(x["poison"] for x in o), sum(x["overall"] for x in o)
        ests = [_rate(n_po, len(o)), _rate(n_all, n_po), _rate(n_all, len(o)), _rate(sum(x["restored"] for x in o if x["overall"]), n_all)]
        for j, (est, name) in enumerate(zip(ests, ("poison", "camouflage | poison", "overall", "restored by deletion | overall"))):
            _bar(ax, i + (j - 1.5) * 0.2, est, f"C{j}", name if i == 0 else None)
    ax.set_xticks(range(len(mains)), [f"{r}\n(n={len(t)})" for r, t in mains.items()])
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("rate (95% Wilson CI)")
    ax.set_title("Camouflaged poisoning: success per stage")
    ax.legend(frameon=False, fontsize=7, loc="upper left", bbox_to_anchor=(1, 1))
    return save(fig, stem)


def margins(stem: Path, mains: dict[str, list[dict]]) -> list[Path]:
    """The target's margin (logit[y_t] − max other; > 0 = correct) through the stages, one line per trial."""
    fig, axes = subplots(1, len(mains), figsize=(4.5 * len(mains), 3.6), squeeze=False)
    for ax, (run, trials) in zip(axes[0], mains.items()):
        for t in trials:
            ok = outcomes(t)["overall"]
            ax.plot(range(4), [t["stages"][s]["target_margin"] for s in STAGES], color="C3" if ok else "0.6", alpha=0.6, lw=1)
        if trials and all(0 < t["stages"]["clean"]["target_margin"] <= 0.1 for t in trials):  # the notebook's target rule
            ax.plot(range(4), NOTEBOOK_MARGINS, "k--", lw=2, label="official convex notebook")
            ax.legend(frameon=False, fontsize=7)
        ax.axhline(0, color="k", lw=0.8)
        ax.set_xticks(range(4), ["clean", "poisoned", "camouflaged", "deleted"])
        ax.set_title(f"{run}: red = overall success")
        ax.set_ylabel("target margin")
    return save(fig, stem)


def ablations(stem: Path, groups: dict[tuple[str, str], list[dict]], specs: dict) -> list[Path]:
    """Camouflage budget and ε variants (camouflage success, restoration), and partial deletion."""
    fig, (a_bud, a_part, a_eps) = subplots(1, 3, figsize=(13, 3.6))
    for run in sorted({r for r, _ in groups}):
        keys = [k for k in groups if k[0] == run]
        for ax, field, same in ((a_bud, "camouflage_ratio", "eps"), (a_eps, "eps", "camouflage_ratio")):
            pts = sorted((specs[k]["attack"][field], k) for k in keys
                         if specs[k]["attack"][same] == specs.get((run, "main"), specs[k])["attack"][same])
            if len(pts) < 2:
                continue
            xs = [v * (255 if field == "eps" else 1) for v, _ in pts]
            for name, flag, cond, ls in (("camouflage | poison", "overall", "poison", "-"), ("restored | overall", "restored", "overall", "--")):
                ests = []
                for _, k in pts:
                    o = [outcomes(t) for t in groups[k]]
                    ests.append(_rate(sum(x[flag] for x in o if x[cond]), sum(x[cond] for x in o)))
                ax.errorbar(xs, [e.mean for e in ests], yerr=_yerr(ests),
                            ls=ls, marker="o", capsize=3, label=f"{run}: {name}")
        trials = groups.get((run, "main"), [])
        hidden = [t for t in trials if outcomes(t)["overall"]]
        fracs = sorted({float(k.split("/")[2]) for t in trials for k in t["stages"] if k.startswith("unlearned/exact/")})
        if hidden and len(fracs) > 1:
            ests = [_rate(sum(t["stages"][f"unlearned/exact/{f:g}"]["prediction"] == t["y_adv"] for t in hidden), len(hidden)) for f in fracs]
            a_part.errorbar(fracs, [e.mean for e in ests], yerr=_yerr(ests),
                            marker="o", capsize=3, label=run)
    a_bud.set_xlabel("camouflage budget / poison budget")
    a_eps.set_xlabel("ε × 255")
    a_part.set_xlabel("fraction of camouflages deleted")
    a_part.set_ylabel("y_adv after deletion | overall")
    for ax, title in ((a_bud, "Camouflage budget"), (a_part, "Partial deletion"), (a_eps, "Perturbation size ε")):
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(title)
        ax.legend(frameon=False, fontsize=7)
    a_bud.set_ylabel("rate (95% CI)")
    return save(fig, stem)


def examples(stem: Path, examples: dict[tuple[str, str], np.ndarray]) -> list[Path]:
    """Bases, poisons, camouflage bases and camouflages of one trial, with the perturbations."""
    rows = [(run, name, arr[i]) for (run, _), arr in sorted(examples.items())
            for i, name in ((0, "poison base"), (1, "poison"), (2, "camouflage base"), (3, "camouflage"))]
    n = max(a.shape[0] for _, _, a in rows)
    fig, axes = subplots(len(rows) // 2 * 3, n, figsize=(1.5 * n, 1.5 * len(rows) // 2 * 3), squeeze=False)
    r = 0
    for (run, bname, base), (_, pname, pert) in zip(rows[::2], rows[1::2]):
        for label, imgs, cmap, lim in ((bname, base, "gray", (0, 1)), (pname, pert, "gray", (0, 1)),
                                          ("Δ / max|Δ|", (pert - base) / max(float(np.abs(pert - base).max()), 1e-12), "RdBu_r", (-1, 1))):
            for j in range(n):
                ax = axes[r][j]
                ax.axis("off")
                if j < len(imgs):
                    ax.imshow(imgs[j].transpose(1, 2, 0).squeeze(-1) if imgs.shape[1] == 1 else imgs[j].transpose(1, 2, 0).clip(0, 1), cmap=cmap, vmin=lim[0], vmax=lim[1])
            axes[r][0].set_title(f"{run}: {label}", fontsize=7, loc="left")
            r += 1
    return save(fig, stem)


def unlearning(stem: Path, rates: dict[str, dict[str, Estimate]]) -> list[Path]:
    """Restoration rate of the hidden poison per deletion method (exact = the paper)."""
    fig, ax = subplots(figsize=(7, 3.4))
    methods = list(max(rates.values(), key=len)) if rates else []
    for i, (run, per_method) in enumerate(rates.items()):
        for method, est in per_method.items():
            _bar(ax, methods.index(method) + (i - (len(rates) - 1) / 2) * 0.2, est, f"C{i}", run if method == "exact" else None)
    ax.set_xticks(range(len(methods)), methods)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("y_adv after deletion | overall")
    ax.set_title("Deleting the camouflages: exact retraining vs approximate unlearning")
    ax.legend(frameon=False, fontsize=7)
    return save(fig, stem)
