"""P1's hyper-parameter rule, "as strong as utility allows", as a pure search over a log grid.

The paper tunes each method to remove as much of the attack as it can while keeping utility
(arXiv 2406.17216, §5: hyper-parameters chosen so that test accuracy stays close to the poisoned
model's).  A fixed 3-point grid cannot show that the method was pushed that far, so the grid here
*extends until the tolerance binds*:

1. start at ``points_per_decade`` log-spaced points covering ``[lo, hi]``;
2. while the strongest evaluated point still meets the tolerance, add one log-step stronger;
   while no point meets it, add one log-step weaker (at most ``max_extend`` steps either way);
3. choose the point with the lowest mean effect among those within tolerance, ties toward the
   stronger setting, and report its stronger grid neighbour, the one that breaks the tolerance
   when the search ended because the tolerance bound (``bound == "tolerance"``).

``evaluate(value) -> {"drop": ..., "effect": ...}`` is the caller's: here only the ordering logic,
so it can be tested on synthetic grids.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from ...errors import ConfigError

SLACK = 1e-6  # accuracies are float32 means: a drop of exactly 4/200 must not read as 0.0200001 > 0.02


@dataclass(frozen=True)
class Axis:
    """One tuned hyper-parameter: its start range and which direction removes more."""

    name: str
    lo: float
    hi: float
    stronger: str = "up"  # "up": a larger value acts more (lr); "down": a smaller value does (SSD's alpha)

    @classmethod
    def parse(cls, tune: dict) -> "Axis":
        """``{lr: [0.01, 0.2]}`` or ``{alpha: {range: [1, 100], stronger: down}}``."""
        if len(tune) != 1:
            raise ConfigError(f"poison_unlearning.methods[].tune: exactly one hyper-parameter, got {sorted(tune)}")
        (name, arg), = tune.items()
        rng, stronger = (arg["range"], arg.get("stronger", "up")) if isinstance(arg, dict) else (arg, "up")
        if len(rng) != 2 or not 0 < rng[0] <= rng[1] or stronger not in ("up", "down"):
            raise ConfigError(f"poison_unlearning.methods[].tune.{name}: need [lo, hi] with 0 < lo <= hi and stronger up|down")
        return cls(name, float(rng[0]), float(rng[1]), stronger)

    def sign(self) -> int:
        return 1 if self.stronger == "up" else -1


def value_at(lo: float, step: int, points_per_decade: int) -> float:
    """The grid point ``step`` log-steps above ``lo`` (4 significant digits, so configs read well)."""
    return float(f"{lo * 10 ** (step / points_per_decade):.4g}")


def start_steps(axis: Axis, points_per_decade: int) -> list[int]:
    """Steps 0..n whose values cover [lo, hi] at ``points_per_decade`` points per decade (≥ 2 points)."""
    n = max(1, math.ceil(points_per_decade * math.log10(axis.hi / axis.lo) - 1e-9))
    return list(range(n + 1))


def search(axis: Axis, evaluate: Callable[[float], dict], tolerance: float, points_per_decade: int = 3,
           max_extend: int = 4) -> dict:
    """Run the extending grid; return every evaluated point (weak → strong), the choice and why it stopped."""
    points: dict[int, dict] = {}

    def run(step: int):
        v = value_at(axis.lo, step, points_per_decade)
        points[step] = {axis.name: v, **evaluate(v)}
        points[step]["within"] = points[step]["drop"] <= tolerance + SLACK

    for s in start_steps(axis, points_per_decade):
        run(s)
    strongest = (max if axis.sign() > 0 else min)
    weakest = (min if axis.sign() > 0 else max)
    extended, bound = 0, "tolerance"
    while not any(p["within"] for p in points.values()):  # too strong everywhere: go weaker
        if extended == max_extend:
            bound = "none_within"
            break
        run(weakest(points) - axis.sign())
        extended += 1
    while points[strongest(points)]["within"] and bound == "tolerance":  # utility left: go stronger
        if extended == max_extend:
            bound = "cap"
            break
        run(strongest(points) + axis.sign())
        extended += 1
    grid = [points[s] for s in sorted(points, key=lambda s: axis.sign() * s)]  # weak → strong
    ok = [i for i, p in enumerate(grid) if p["within"]]
    if not ok:
        return {"grid": grid, "chosen": None, "neighbour": None, "neighbour_breaks": False, "bound": bound}
    best = min(ok, key=lambda i: (grid[i]["effect"], -i))  # lowest effect; ties → the stronger setting
    neighbour = grid[best + 1] if best + 1 < len(grid) else None
    return {"grid": grid, "chosen": grid[best], "neighbour": neighbour,
            "neighbour_breaks": bool(neighbour is not None and not neighbour["within"]), "bound": bound}


def choose_across(results: dict) -> object:
    """EUk/CFk: the outer key (k) whose chosen point has the lowest effect; ties → the larger key (more of
    the model re-trained, the stronger setting).  ``None`` when no key has a point within tolerance."""
    keyed = [(r["chosen"]["effect"], -k, k) for k, r in results.items() if r["chosen"] is not None]
    return min(keyed)[2] if keyed else None
