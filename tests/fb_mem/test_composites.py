"""Every FB-Mem category on composites with known ground truth, built by the dataset's own code
at the sizes the data uses (items of 18–26 px on 32×32 photo crops), gt masks on both sides:
identical → VM; the same item on a new photo → FM; a new item on a new photo → NM.  BM is not
tested: a new item on the same photo is not reliably BM at these sizes (its silhouette repaints the
background white elsewhere), and the same silhouette with other content still scores fg ≈ 0.95
(the cut-out's outline dominates MS-SSIM); experiments/fb_mem/README.md, "Reach of the categories"."""

from pathlib import Path

import numpy as np
import pytest
import torch

from residue.data.arrays import load
from residue.data.sources import fb_mem_scenes as fs
from residue.memorization import fbmem

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not (REPO / "data/fashion_mnist/manifest.json").exists(),
                                reason="Fashion-MNIST is not materialised (make data)")


def _t(img: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(img[None].astype(np.float32) / 255)


@pytest.mark.parametrize("seed", range(4))
def test_each_category_comes_out_where_it_should(seed):
    items = load("fashion_mnist", REPO / "data").train.x[:200, 0]
    photos = fs.photos()
    names = sorted(photos)
    rng = np.random.default_rng(seed)
    bg1, bg2 = fs._crop(photos[names[seed]], rng), fs._crop(photos[names[seed + 4]], rng)
    (i1, m1, _), (i2, m2, _) = fs._item(items, rng), fs._item(items, rng)
    red, blue = fs.COLOURS["red"], fs.COLOURS["blue"]
    train, train_mask = _t(fs.composite(bg1, i1, m1, red)), torch.from_numpy(m1[None])
    cases = {"VM": (fs.composite(bg1, i1, m1, red), m1), "FM": (fs.composite(bg2, i1, m1, red), m1),
             "NM": (fs.composite(bg2, i2, m2, blue), m2)}
    got = {}
    for want, (img, mask) in cases.items():
        mt = fbmem.match(_t(img), torch.from_numpy(mask[None]), train, train_mask, 1)
        got[want] = fbmem.classify(mt, 0.8)[0]
    assert got == {c: c for c in cases}

