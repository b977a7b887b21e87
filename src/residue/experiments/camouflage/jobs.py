"""The per-seed job of P2: draw targets, run a camouflaged-poisoning trial for each.

Job ``camouflage.trials`` — one (run, variant, seed): D is a seeded subset of the training split
(the rest is the pool the poison and camouflage bases come from), θ_cl (and, for an ensemble brew,
``ensemble − 1`` more clean models from other seeds) is trained once on D, and ``targets`` trials
follow (see :mod:`.trial`).  Output: ``metrics.json`` with one record per
trial, and ``examples.npy`` (bases, poisons, camouflage bases, camouflages of the first trial).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ...config import typed
from ...attacks.targets import pick_targets
from ...data import Split, load
from ...errors import ConfigError
from ...io import save_array
from ...registries import JOBS
from ...seeding import derive
from .learners import ConvexLearner, ConvexSpec, NeuralLearner, NeuralSpec
from .stages import Part, TrainingSets
from .trial import AttackSpec, Deleter, Target, Trial
from ...training import accuracy, predict


@dataclass(frozen=True)
class RunSpec:
    learner: str  # convex | neural
    dataset: str
    seed: int
    run: str = ""  # the run's name in the config (convex, neural, ...)
    variant: str = "main"
    classes: list[int] | None = None  # keep these classes only, relabelled 0..k-1 (convex: two)
    n_train: int = 2000  # |D|, a seeded subset of the training split; the rest is the base pool
    targets: int = 4  # trials per seed
    ensemble: int = 1  # clean models the poisons are brewed against (θ_cl and ensemble − 1 more seeds)
    n_test: int | None = None  # a seeded subset of the test split (targets and accuracy), None = all
    max_target_margin: float | None = None  # targets: correct test points with margin in (0, this]
    adversary: str = "random"  # rule for y_adv (attacks/targets.py): random (the paper) | runner_up
    convex: ConvexSpec = field(default_factory=ConvexSpec)
    neural: NeuralSpec = field(default_factory=NeuralSpec)
    attack: AttackSpec = field(default_factory=AttackSpec)
    unlearning: list[str] = field(default_factory=list)  # approximate methods (P1) deleting S_ca
    unlearn_budget: float = 0.1  # fraction of the retrain cost (TrainSpec.grad_evals)
    unlearn_hp: dict[str, dict] = field(default_factory=dict)
    device: str = "auto"


def restrict(split: Split, classes: list[int] | None) -> Split:
    """Keep ``classes`` only and relabel them 0..k-1 in the given order."""
    if classes is None:
        return split
    keep = np.isin(split.y, classes)
    relabel = {c: i for i, c in enumerate(classes)}
    return Split(split.x[keep], np.array([relabel[int(c)] for c in split.y[keep]], dtype=np.int64), split.scale)


LEARNERS = {
    "convex": lambda spec, shape, k, device: ConvexLearner(spec.convex, shape, device),
    "neural": lambda spec, shape, k, device: NeuralLearner(spec.neural, shape, k, device),
}


def deleters(spec: RunSpec, n_retain: int) -> dict[str, Deleter]:
    """Approximate unlearning of the camouflages with each configured P1 method (beyond the paper)."""
    if spec.unlearning and spec.learner != "neural":
        raise ConfigError(f"camouflage: approximate unlearning needs the neural learner, not {spec.learner!r}")
    if "retrain" in spec.unlearning:
        raise ConfigError("camouflage: 'retrain' is the built-in exact deletion; list approximate methods only")
    from ...unlearning import unlearn

    budget = int(spec.unlearn_budget * spec.neural.train.grad_evals(n_retain))

    def make(method: str) -> Deleter:
        hp = spec.unlearn_hp.get(method, {})
        return lambda model, retain, forget, seed, meter: unlearn(method, model, retain, forget, budget, seed, meter, **hp)

    return {m: make(m) for m in spec.unlearning}


@JOBS.register("camouflage.trials")
def trials(ctx) -> dict:
    spec = typed(RunSpec, ctx.spec, "camouflage.runs")
    if 1.0 not in spec.attack.delete_fractions:
        raise ConfigError("camouflage: attack.delete_fractions must contain 1.0 (the paper's full deletion)")
    if spec.learner not in LEARNERS:
        raise ConfigError(f"camouflage: unknown learner {spec.learner!r}; allowed: {', '.join(LEARNERS)}")
    data = load(spec.dataset)
    train, test = restrict(data.train, spec.classes), restrict(data.test, spec.classes)
    k = len(spec.classes) if spec.classes else data.num_classes
    if spec.n_train >= len(train):
        raise ConfigError(f"camouflage: n_train {spec.n_train} leaves no base pool ({len(train)} training images)")
    order = np.random.default_rng(derive(spec.seed, "data")).permutation(len(train))
    x, y = train.subset(np.sort(order[: spec.n_train])).tensors()
    pool = Part(*train.subset(np.sort(order[spec.n_train:])).tensors())
    if spec.n_test is not None and spec.n_test < len(test):
        test = test.subset(np.sort(np.random.default_rng(derive(spec.seed, "test")).permutation(len(test))[: spec.n_test]))
    x_te, y_te = test.tensors()
    learner = LEARNERS[spec.learner](spec, data.shape, k, ctx.device)
    dels = deleters(spec, spec.n_train + spec.attack.n_poison)

    clean = learner.fit(x, y, derive(spec.seed, "model/clean"), ctx.meter)
    brewers = [clean] + [learner.fit(x, y, derive(spec.seed, f"model/clean/{j}"), ctx.meter) for j in range(1, spec.ensemble)]
    targets = pick_targets(predict(clean, x_te), y_te, spec.targets, derive(spec.seed, "targets"), spec.max_target_margin, spec.adversary)
    records = []
    for i, (idx, adv) in enumerate(targets):
        target = Target(idx, x_te[idx], int(y_te[idx]), adv)
        trial = Trial(learner, TrainingSets(clean=Part(x, y)), (x_te, y_te), target, derive(spec.seed, f"trial/{i}"), ctx.meter)
        records.append(trial.run(brewers, pool, spec.attack, dels))
        print(f"brew CPU seconds, trial {i}: " + ", ".join(f"{k} {v:.1f}" for k, v in trial.seconds.items()), flush=True)
        if i == 0:
            save_array(ctx.outputs["examples"], trial.examples.astype(np.float32))
    return {"learner": spec.learner, "variant": spec.variant, "n_train": spec.n_train, "n_test": len(y_te),
            "classes": k, "clean_train_accuracy": accuracy(clean, x, y), "clean_test_accuracy": accuracy(clean, x_te, y_te),
            "trials": records}
