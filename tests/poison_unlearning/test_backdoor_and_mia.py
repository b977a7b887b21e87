"""The backdoor inserts its trigger and relabels; the calibrated MIA keeps its FPR and finds members."""

import torch
from torch import nn

from residue.attacks.backdoor import backdoor
from residue.data.text import load_descr
from residue.metrics.calibrated_mia import calibrated_tpr


def test_backdoor_poisons_carry_the_trigger_and_the_target_label():
    tokens = torch.arange(40).reshape(10, 4) + 10
    labels = torch.tensor([0, 1] * 5)
    trigger = torch.tensor([1, 2])
    xp, yp = backdoor(tokens, labels, trigger, target=0, fraction=0.3, seed=0)
    assert len(yp) == 3 and (yp == 0).all()
    for row in xp:  # the trigger appears as a contiguous span
        assert any(torch.equal(row[i:i + 2], trigger) for i in range(3))


def test_text_corpus_train_and_test_windows_come_from_disjoint_text():
    d = load_descr()
    assert d.train[0].shape[1] == 16 and len(d.classes) == 7
    train_rows = {tuple(r) for r in d.train[0].tolist()}
    repeated = sum(tuple(r) in train_rows for r in d.test[0].tolist())  # only text repeated verbatim in a document
    assert repeated <= 0.02 * len(d.test[0])


class Confident(nn.Module):
    """Logits favour class 0 by the input's first value, plus ``boost`` where the second column is 1
    (the rows it "trained on")."""

    def __init__(self, boost: float):
        super().__init__()
        self.boost = nn.Parameter(torch.tensor(boost))

    def forward(self, x):
        return torch.stack([x[:, 0] + self.boost * x[:, 1], torch.zeros(len(x))], 1)


def test_calibrated_mia_finds_members_the_reference_does_not_explain():
    difficulty = torch.linspace(-3, 3, 200)[:, None]  # per-example difficulty, shared by both sets
    members = (torch.cat([difficulty, torch.ones(200, 1)], 1), torch.zeros(200, dtype=torch.long))
    nonmembers = (torch.cat([difficulty, torch.zeros(200, 1)], 1), torch.zeros(200, dtype=torch.long))
    reference = Confident(0.0)  # never saw the members
    assert calibrated_tpr(Confident(2.0), reference, members, nonmembers, 0.01) == 1.0
    # no membership signal (an "unlearned" target): the TPR stays at the FPR
    assert calibrated_tpr(Confident(0.0), reference, members, nonmembers, 0.05) <= 0.05
