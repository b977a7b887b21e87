"""Stage bookkeeping: which set each model of a trial is trained on."""

import pytest
import torch

from residue.experiments.camouflage.stages import STAGES, Part, TrainingSets
from residue.experiments.camouflage.trial import deletion_mask


def part(n, value):
    return Part(torch.full((n, 1, 2, 2), float(value)), torch.full((n,), int(value)))


def test_compose_each_stage():
    sets = TrainingSets(clean=part(10, 0))
    with pytest.raises(ValueError, match="poisons"):
        sets.compose("poisoned")
    sets.poisons, sets.camouflages = part(3, 1), part(4, 2)
    x, y, comp = sets.compose("poisoned")
    assert comp == {"clean": 10, "poisons": 3} and len(x) == 13 and y.tolist() == [0] * 10 + [1] * 3
    x, y, comp = sets.compose("camouflaged")
    assert comp == {"clean": 10, "poisons": 3, "camouflages": 4} and y.tolist() == [0] * 10 + [1] * 3 + [2] * 4
    sets.delete_camouflages(deletion_mask(4, 1.0, seed=0))
    x_un, y_un, comp = sets.compose("unlearned")
    x_po, y_po, _ = sets.compose("poisoned")
    assert comp == {"clean": 10, "poisons": 3, "camouflages_kept": 0}
    assert torch.equal(x_un, x_po) and torch.equal(y_un, y_po)  # full deletion = D ∪ S_po exactly


def test_partial_deletion_keeps_the_rest():
    sets = TrainingSets(clean=part(5, 0), poisons=part(2, 1), camouflages=Part(torch.arange(8.0).view(8, 1, 1, 1).expand(8, 1, 2, 2), torch.ones(8, dtype=torch.long)))
    keep = deletion_mask(8, 0.25, seed=1)
    assert keep.sum() == 6
    sets.delete_camouflages(keep)
    _, _, comp = sets.compose("unlearned")
    assert comp["camouflages_kept"] == 6
    assert set(sets.camouflages_kept.x[:, 0, 0, 0].tolist()) == set(torch.arange(8.0)[keep].tolist())
    assert deletion_mask(8, 0.0, 1).all() and not deletion_mask(8, 1.0, 1).any()


def test_controls_use_unperturbed_bases():
    assert STAGES["poison_bases"] == ("clean", "poison_bases")
    assert STAGES["camouflage_bases"] == ("clean", "poisons", "camouflage_bases")
    assert STAGES["unlearned"][:2] == STAGES["poisoned"]
