"""Target selection shared by P1 (Witches' Brew) and P2 (camouflage): eligibility and y_adv rules."""

import pytest
import torch

from residue.attacks.targets import margins, pick_targets
from residue.errors import ConfigError

# 5 test points, 3 classes: margins 2.0, 0.3, −1.0 (misclassified), 0.1, 4.0
LOGITS = torch.tensor([[3.0, 1.0, 0.0], [0.0, 1.3, 1.0], [2.0, 1.0, 0.0], [0.0, 0.5, 0.6], [5.0, 0.0, 1.0]])
Y = torch.tensor([0, 1, 1, 2, 0])


def test_margins_sign_and_value():
    assert torch.allclose(margins(LOGITS, Y), torch.tensor([2.0, 0.3, -1.0, 0.1, 4.0]))


def test_only_correct_points_within_the_margin_are_targets():
    picked = pick_targets(LOGITS, Y, 2, seed=0, max_margin=0.5)
    assert sorted(i for i, _ in picked) == [1, 3]
    all_correct = {i for i, _ in pick_targets(LOGITS, Y, 4, seed=1)}
    assert all_correct == {0, 1, 3, 4}


def test_runner_up_is_the_second_most_likely_class():
    picked = dict(pick_targets(LOGITS, Y, 4, seed=0, adversary="runner_up"))
    assert picked == {0: 1, 1: 2, 3: 1, 4: 2}


def test_random_adversary_never_the_true_label_and_seeded():
    a = pick_targets(LOGITS, Y, 4, seed=3)
    assert a == pick_targets(LOGITS, Y, 4, seed=3)
    assert all(adv != int(Y[i]) for i, adv in a)


def test_too_few_targets_and_unknown_rule_are_config_errors():
    with pytest.raises(ConfigError, match="only 2 test points"):
        pick_targets(LOGITS, Y, 3, seed=0, max_margin=0.5)
    with pytest.raises(ConfigError, match="unknown adversary rule 'nearest'"):
        pick_targets(LOGITS, Y, 1, seed=0, adversary="nearest")
