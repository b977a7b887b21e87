"""FB-Mem on hand-built pairs with known categories, the 97% fall-backs, the mitigation score."""

import numpy as np
import pytest
import torch

from residue.memorization import fbmem
from residue.memorization.ssim import ms_ssim_to_many, ssim_to_many


def scene(fg_colour, bg_seed, top=8, left=8, size=14):
    g = torch.Generator().manual_seed(bg_seed)
    bg = torch.rand(3, 1, 1, generator=g) * 0.6 + 0.2 + 0.15 * torch.rand(3, 32, 32, generator=g)
    mask = torch.zeros(32, 32, dtype=torch.bool)
    mask[top:top + size, left:left + size] = True
    shade = torch.linspace(0.6, 1.0, size)[None, :, None] * torch.tensor(fg_colour)[:, None, None]
    x = bg.clone()
    x[:, top:top + size, left:left + size] = shade.expand(3, size, size)
    return x.clamp(0, 1), mask


def test_ssim_identity_and_range():
    x, _ = scene((0.9, 0.1, 0.1), 0)
    y, _ = scene((0.1, 0.1, 0.9), 1)
    for f in (ssim_to_many, ms_ssim_to_many):
        s = f(x, torch.stack([x, y]))
        assert s[0] == pytest.approx(1.0, abs=1e-5)
        assert s[1] < 0.9


def test_split_and_fallbacks():
    x, m = scene((0.9, 0.1, 0.1), 0)
    fg, bg = fbmem.split(x[None], m[None])
    assert torch.all(fg[0][:, ~m] == 0) and torch.all(bg[0][:, m] == 1)
    assert torch.equal(fg[0][:, m], x[:, m]) and torch.equal(bg[0][:, ~m], x[:, ~m])
    full = torch.ones(1, 32, 32, dtype=torch.bool)       # object fills the image: fg used for both
    fg, bg = fbmem.split(x[None], full)
    assert torch.equal(fg, bg) and torch.equal(fg[0], x)
    empty = torch.zeros(1, 32, 32, dtype=torch.bool)     # no object: bg used for both
    fg, bg = fbmem.split(x[None], empty)
    assert torch.equal(fg, bg) and torch.equal(bg[0], x)


def test_known_categories():
    red, blue = (0.9, 0.1, 0.1), (0.1, 0.2, 0.9)
    train = [scene(red, 0), scene(blue, 5, top=4, left=16, size=12)]
    gens = [
        scene(red, 0),                            # identical → VM
        scene(red, 7),                            # same fg, new bg → FM
        scene((0.1, 0.9, 0.2), 0),                # new fg (another colour) on the same bg as train[0] → BM
        scene((0.9, 0.9, 0.1), 11, top=2, left=2, size=20),  # unrelated → NM
    ]
    tx, tm = torch.stack([t[0] for t in train]), torch.stack([t[1] for t in train])
    gx, gm = torch.stack([g[0] for g in gens]), torch.stack([g[1] for g in gens])
    m = fbmem.match(gx, gm, tx, tm, k=2)
    assert fbmem.classify(m, 0.8) == ["VM", "FM", "BM", "NM"]
    for tau in (0.3, 0.5, 0.8, 0.95):  # flagged by flag_score exactly when classify says VM, FM or BM
        assert [c != "NM" for c in fbmem.classify(m, tau)] == (m.flag_score >= tau).tolist()
    assert m.top[0, 0] == 0 and m.top.shape == (4, 2)
    assert fbmem.one_to_many(m, 0.8).tolist()[0] >= 1


def test_one_to_many_counts_distinct_groups():
    m = fbmem.Matches(np.zeros((1, 1), int), np.ones((1, 1)), np.ones((1, 1)),
                      np.array([[0.9, 0.85, 0.1, 0.95]]), np.array([[0.1, 0.1, 0.1, 0.1]]))
    assert fbmem.one_to_many(m, 0.8).tolist() == [3]
    assert fbmem.one_to_many(m, 0.8, groups=np.array([0, 0, 1, 2])).tolist() == [2]


def test_mitigation_score_arithmetic():
    before = ["VM", "FM", "BM", "NM", "BM"]
    after = ["NM", "BM", "NM", "NM", "FM"]
    # 2 + (1.5 - 0.5) + 0.5 + 0 + (0.5 - 1.5) = 2.5
    assert fbmem.mitigation_score(before, after) == pytest.approx(2.5)
    # official table: BM→FM counts −0.5 instead of −1
    assert fbmem.mitigation_score(before, after, official=True) == pytest.approx(3.0)
    with pytest.raises(ValueError):
        fbmem.mitigation_score(before, after[:-1])


def test_calibrated_tau():
    assert fbmem.calibrated_tau(np.array([0.2, 0.4, 0.6])) == pytest.approx(0.4 + 0.2)
