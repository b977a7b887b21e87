"""The FB-Mem scenes are the same bytes on every CPU: the resizes' floats may differ in their last
bits between machines (numpy's exp is vectorised differently on AVX-512 and AVX2), and the dataset
must not depend on them.  Simulated here by scaling every resize output by 1 ± 1e-12 (a few hundred
times the difference two CPUs produce); the scenes, masks and captions must not change."""

from pathlib import Path

import numpy as np
import pytest

from residue.data.arrays import load
from residue.data.sources import fb_mem_scenes as fs

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not (REPO / "data/fashion_mnist/manifest.json").exists(),
                                reason="Fashion-MNIST is not materialised (make data)")
SPEC = fs.SceneSpec(generic=60, verbatim=2, verbatim_copies=2, foreground=1, foreground_copies=10,
                    background=1, background_copies=10, test=10, classifier=10)


def _scenes(monkeypatch, factor: float):
    import skimage.transform

    resize = skimage.transform.resize
    monkeypatch.setattr(skimage.transform, "resize", lambda *a, **k: resize(*a, **k) * factor)
    fm = load("fashion_mnist", REPO / "data")
    return fs.make(SPEC, fm.train.x[:, 0], fm.train.y, fm.test.x[:, 0], fm.test.y)


@pytest.mark.parametrize("factor", [1 + 1e-12, 1 - 1e-12])
def test_last_bit_differences_do_not_change_the_scenes(monkeypatch, factor):
    reference = _scenes(monkeypatch, 1.0)
    monkeypatch.undo()
    perturbed = _scenes(monkeypatch, factor)
    for split_ref, split in zip(reference, perturbed):
        for key in ("x", "y", "m"):
            assert np.array_equal(split_ref[key], split[key]), key
        assert split_ref["captions"] == split["captions"]
