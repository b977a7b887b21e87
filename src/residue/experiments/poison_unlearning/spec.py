"""Typed config of the poison_unlearning experiment (config section ``poison_unlearning``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ...training import TrainSpec
from .plan import TUNING_SEEDS


@dataclass(frozen=True)
class Setting:
    """One (dataset, attack) cell: the model, its training recipe and the attack's arguments."""

    dataset: str
    attack: str
    model: str
    train: TrainSpec
    model_args: dict = field(default_factory=dict)
    attack_args: dict = field(default_factory=dict)
    pretrain: TrainSpec | None = None  # fine-tuning threat model: the clean model's recipe; the victim fine-tunes it with ``train``
    subset: int | None = None  # seeded random subset of the training set (time budget)
    val_fraction: float = 0.1  # seeded validation split of the clean pool, before poisoning (tuning only)
    name: str | None = None  # the setting's key in result paths and tables; default: the attack

    @property
    def key(self) -> str:
        return self.name or self.attack


@dataclass(frozen=True)
class MethodSpec:
    """Fixed hyper-parameters and the one chosen by the paper's rule (see ``tuning.py``)."""

    hp: dict = field(default_factory=dict)
    tune: dict = field(default_factory=dict)  # {name: [lo, hi]} or {name: {range: [lo, hi], stronger: up|down}}
    tune_k: bool = False  # EUk/CFk: also choose k in 1..n_blocks (outer loop; the inner one tunes ``tune``)


@dataclass(frozen=True)
class Tuning:
    """The seeds tuning runs on (never reported) and the extending grid's resolution and cap."""

    seeds: list[int] = field(default_factory=lambda: list(TUNING_SEEDS))
    points_per_decade: int = 3
    max_extend: int = 4


@dataclass(frozen=True)
class JobSpec:
    """What one job receives: its setting, and for unlearning jobs the method and its budgets."""

    setting: Setting
    seed: int = 0
    seeds: list[int] = field(default_factory=list)  # unlearning jobs loop over these
    method: str = "none"
    method_spec: MethodSpec = MethodSpec()
    budget_pct: float = 0.0  # the budget of one unlearning run (tuning: the largest budget)
    budgets: list[float] = field(default_factory=list)  # unlearning jobs loop over these (% of retrain)
    tolerance: float = 0.02  # the tuning rule: mean validation-accuracy drop vs the poisoned model at most this
    tuning: Tuning = Tuning()
    datasets: list[str] = field(default_factory=list)  # for lineage (DVC hashes)
    device: str = "auto"
