"""Clean classifiers: the plumbing every paper stands on, checked against known accuracies.

Jobs:
  ``baselines.train``     one (dataset, model, seed): train with the shared loop, test accuracy
  ``baselines.summarise`` all seeds: table, figure (accuracy per seed, training curves), claims

Claims (criteria fixed before the runs, from the literature, not from our numbers):
  * the small CNN reaches ≥ 0.88 test accuracy on Fashion-MNIST (Zalando's benchmark lists
    two-layer CNNs at 0.89–0.92), tested on the lower end of the 95% CI;
  * seed-to-seed spread is small: the standard deviation over seeds is below one accuracy point.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from ..claims import Criterion, ci_above, make_claim
from ..config import typed
from ..data import load
from ..io import read_json, write_json
from ..models import build
from ..registries import JOBS
from ..report.figures import save, subplots
from ..report.tables import write_table
from ..seeding import derive
from ..stats import Estimate, mean_ci
from ..training import TrainSpec, accuracy, fit


@dataclass(frozen=True)
class RunSpec:
    dataset: str
    model: str
    train: TrainSpec
    seed: int
    model_args: dict = field(default_factory=dict)
    subset: int | None = None  # train on a seeded random subset of this size (smoke profile)
    device: str = "auto"


@JOBS.register("baselines.train")
def train(ctx) -> dict:
    spec = typed(RunSpec, ctx.spec, "baselines.runs")
    data = load(spec.dataset)
    train_split = data.train
    if spec.subset:
        rng = np.random.default_rng(derive(spec.seed, "data"))
        idx = np.sort(rng.permutation(len(train_split))[: spec.subset])
        train_split = train_split.subset(idx)
    import torch

    torch.manual_seed(derive(spec.seed, "model"))
    model = build(spec.model, data.shape, data.num_classes, **spec.model_args).to(ctx.device)
    x, y = train_split.tensors()
    x_te, y_te = data.test.tensors()
    hist = fit(
        model, x, y, spec.train, spec.seed, ctx.meter,
        eval_data=(x_te, y_te),
        checkpoint=ctx.work_dir() / "train.ckpt",
        desc=f"{spec.dataset}/{spec.model}/seed={spec.seed}",
    )
    ctx.record.log_curve("train_loss", hist.loss)
    ctx.record.log_curve("test_accuracy_curve", hist.test_acc)
    (ctx.work_dir() / "train.ckpt").unlink(missing_ok=True)
    return {
        "test_accuracy": hist.test_acc[-1],
        "train_accuracy": accuracy(model, x, y),
        "train_loss": hist.loss,
        "test_accuracy_curve": hist.test_acc,
        "n_train": len(y),
    }


@JOBS.register("baselines.summarise")
def summarise(ctx) -> None:
    runs = defaultdict(list)
    for path in ctx.inputs["metrics"]:
        m = read_json(path)
        runs[(m["spec"]["dataset"], m["spec"]["model"])].append(m)
    rows, claims = [], []
    fig, axes = subplots(1, 1 + len(runs), figsize=(4.5 * (1 + len(runs)), 3.8), squeeze=False)
    ax_acc = axes[0, 0]
    for i, ((dataset, model), ms) in enumerate(sorted(runs.items())):
        ax_curve = axes[0, 1 + i]
        accs = [m["metrics"]["test_accuracy"] for m in ms]
        est = mean_ci(accs)
        rows.append({"dataset": dataset, "model": model, "seeds": len(accs),
                     "test accuracy": est.fmt(4), "sd over seeds": float(np.std(accs, ddof=1)) if len(accs) > 1 else 0.0,
                     "grad evals / run": ms[0]["grad_evals"]})
        ax_acc.scatter([i] * len(accs), accs, s=18, label=f"{dataset}/{model}")
        ax_acc.errorbar([i + 0.15], [est.mean], yerr=[[est.mean - est.lo], [est.hi - est.mean]], fmt="k_", capsize=4)
        for m in ms:
            curve = m["metrics"]["test_accuracy_curve"]
            ax_curve.plot(range(1, len(curve) + 1), curve, color=f"C{i}", alpha=0.6, marker="." if len(curve) < 10 else None)
        ax_curve.set(xlabel="epoch", ylabel="test accuracy", title=f"{dataset}/{model}: one line per seed")
        claims += _claims(dataset, model, accs, est)
    ax_acc.set_xticks(range(len(runs)), [f"{d}\n{m}" for d, m in sorted(runs)])
    ax_acc.set_ylabel("test accuracy")
    ax_acc.set_title("Test accuracy per seed (mean ± 95% CI)")
    figs = save(fig, ctx.outputs["figure"].with_suffix(""))
    tables = write_table(ctx.outputs["table"].with_suffix(""), rows, list(rows[0]))
    write_json(ctx.outputs["claims"], [c.to_dict() for c in claims])
    for p in figs + tables + [ctx.outputs["claims"]]:
        ctx.record.log_artifact(p)


def _claims(dataset: str, model: str, accs: list[float], est: Estimate) -> list:
    out = []
    if (dataset, model) == ("fashion_mnist", "cnn"):
        out.append(make_claim(
            "baselines.fmnist_cnn_accuracy", "baseline",
            "a small two-conv-layer CNN reaches the accuracy small CNNs are known to reach on Fashion-MNIST",
            "test accuracy", est, ci_above(0.88), unit="training seed", paper_value=0.90,
        ))
    sd = float(np.std(accs, ddof=1)) if len(accs) > 1 else 0.0
    out.append(make_claim(
        f"baselines.{dataset}_{model}_seed_spread", "baseline",
        f"{model} on {dataset}: seed-to-seed spread of test accuracy is small",
        "sd of test accuracy over seeds", Estimate(sd, sd, sd, len(accs)),
        Criterion("sd < 0.01", lambda e: e.mean < 0.01), unit="training seed", min_n=3,
    ))
    return out
