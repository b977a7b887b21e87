"""The extending grid of P1's hyper-parameter rule, on synthetic response curves."""

import pytest

from residue.errors import ConfigError
from residue.experiments.poison_unlearning.tuning import Axis, choose_across, search, start_steps


def curve(drop_at, effect=lambda v: 1.0 / (1 + v)):
    """A method whose accuracy drop exceeds the tolerance 0.02 once v > drop_at (v = lr: larger acts more)."""
    calls = []

    def evaluate(v):
        calls.append(v)
        return {"drop": 0.0 if v <= drop_at else 0.1, "effect": effect(v)}
    return evaluate, calls


def test_start_grid_covers_the_range_at_three_points_per_decade():
    assert start_steps(Axis("lr", 0.01, 0.1), 3) == [0, 1, 2, 3]
    out = search(Axis("lr", 0.01, 0.1), curve(10.0)[0], 0.02, 3, max_extend=0)
    assert [p["lr"] for p in out["grid"]] == [0.01, 0.02154, 0.04642, 0.1]


def test_extends_stronger_until_the_tolerance_breaks():
    evaluate, calls = curve(drop_at=0.5)
    out = search(Axis("lr", 0.01, 0.1), evaluate, 0.02, 3, max_extend=10)
    assert out["chosen"]["lr"] == 0.4642 and out["bound"] == "tolerance"
    assert out["neighbour"]["lr"] == 1.0 and out["neighbour_breaks"]
    assert calls[-1] == 1.0  # stopped at the first point that breaks it


def test_extends_weaker_while_nothing_meets_the_tolerance():
    out = search(Axis("lr", 0.1, 1.0), curve(drop_at=0.03)[0], 0.02, 3, max_extend=10)
    assert out["chosen"]["lr"] == 0.02154 and out["neighbour"]["lr"] == 0.04642 and out["neighbour_breaks"]
    assert out["grid"][0]["lr"] == 0.02154  # weak → strong, and it stopped at the first point within


def test_ties_go_to_the_stronger_setting():
    out = search(Axis("lr", 0.01, 0.1), curve(drop_at=0.05, effect=lambda v: 0.3)[0], 0.02, 3, max_extend=10)
    assert out["chosen"]["lr"] == 0.04642


def test_an_interior_minimum_is_chosen_over_a_stronger_worse_point():
    out = search(Axis("lr", 0.01, 0.1), curve(drop_at=0.05, effect=lambda v: abs(v - 0.02))[0], 0.02, 3, max_extend=10)
    assert out["chosen"]["lr"] == 0.02154 and not out["neighbour_breaks"]  # its neighbour 0.046 is still within


def test_cap_is_recorded():
    out = search(Axis("lr", 0.01, 0.1), curve(drop_at=1e9)[0], 0.02, 3, max_extend=2)
    assert out["bound"] == "cap" and out["chosen"]["lr"] == 0.4642 and out["neighbour"] is None
    out = search(Axis("lr", 0.01, 0.1), curve(drop_at=-1.0)[0], 0.02, 3, max_extend=2)
    assert out["bound"] == "none_within" and out["chosen"] is None and len(out["grid"]) == 6


def test_stronger_down_extends_towards_smaller_values():
    """SSD's alpha: a smaller selection threshold dampens more parameters."""
    evaluate = lambda v: {"drop": 0.0 if v >= 0.5 else 0.1, "effect": v}  # noqa: E731
    out = search(Axis.parse({"alpha": {"range": [1, 10], "stronger": "down"}}), evaluate, 0.02, 1, max_extend=5)
    assert [p["alpha"] for p in out["grid"]] == [10.0, 1.0, 0.1]
    assert out["chosen"]["alpha"] == 1.0 and out["neighbour"]["alpha"] == 0.1 and out["neighbour_breaks"]


def test_a_drop_equal_to_the_tolerance_is_within_despite_float32_rounding():
    out = search(Axis("lr", 0.01, 0.1), lambda v: {"drop": 0.020000001, "effect": 0.0}, 0.02, 1, max_extend=0)
    assert all(p["within"] for p in out["grid"])


def test_bad_axis_and_choice_across_k():
    with pytest.raises(ConfigError, match="tune.lr"):
        Axis.parse({"lr": [0.2, 0.01]})
    r = lambda e: {"chosen": None if e is None else {"effect": e}}  # noqa: E731
    assert choose_across({1: r(0.3), 2: r(0.1), 3: r(0.1)}) == 3
    assert choose_across({1: r(None)}) is None
