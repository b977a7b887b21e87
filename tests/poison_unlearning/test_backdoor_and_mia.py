"""The backdoor inserts its trigger and relabels; the loss-MIA is calibrated to its FPR."""

import torch
from torch import nn

from residue.attacks.backdoor import backdoor
from residue.data.text import load_descr
from residue.metrics.loss_mia import tpr_at_fpr


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


def test_loss_mia_flags_low_loss_members_only():
    class Fixed(nn.Module):  # logits favour class 0 with a margin given by the input's first value
        def __init__(self):
            super().__init__()
            self.unused = nn.Parameter(torch.zeros(1))  # `predict` finds the device from a parameter

        def forward(self, x):
            return torch.stack([x[:, 0], torch.zeros(len(x))], 1)

    members = (torch.full((50, 1), 10.0), torch.zeros(50, dtype=torch.long))  # near-zero loss
    nonmembers = (torch.linspace(-2, 2, 200)[:, None], torch.zeros(200, dtype=torch.long))
    model = Fixed()
    assert tpr_at_fpr(model, members, nonmembers, 0.01) == 1.0
    assert tpr_at_fpr(model, nonmembers, nonmembers, 0.01) <= 0.02
