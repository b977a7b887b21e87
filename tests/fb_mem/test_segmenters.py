"""Segmenter backends: ground truth, classical, learned, and SAM end to end on a tiny random SAM
built from segment_anything's own modeling parts (saved by the test, loaded by the backend)."""

import pytest
import torch

from residue.compute import Meter
from residue.errors import ConfigError, DataError
from residue.segmentation import learned
from residue.segmentation.base import Assets, build, iou
from residue.segmentation.sam import build_sam

TINY = {"embed_dim": 16, "depth": 1, "num_heads": 2, "global_attn_indexes": [0], "img_size": 64,
        "patch_size": 16, "window_size": 2, "prompt_dim": 16, "decoder_mlp_dim": 32, "decoder_heads": 2}


def scenes(n=6):
    g = torch.Generator().manual_seed(0)
    x = torch.rand(n, 3, 32, 32, generator=g) * 0.3
    m = torch.zeros(n, 32, 32, dtype=torch.bool)
    for i in range(n):
        m[i, 6 + i:18 + i, 8:20] = True
    x[:, 0][m] = 0.95
    return x, m


def test_iou():
    a = torch.zeros(2, 4, 4, dtype=torch.bool)
    b = a.clone()
    a[0, :2], b[0, 1:3] = True, True
    assert iou(a, b).tolist() == pytest.approx([1 / 3, 1.0])


def test_gt_and_classical():
    x, m = scenes()
    gt = build("gt", Assets(images=x, masks=m))
    assert torch.equal(gt(x), m)
    with pytest.raises(DataError):
        gt(torch.rand(1, 3, 32, 32))
    assert iou(build("classical")(x), m).mean() > 0.9


def test_learned_fits_masks():
    x, m = scenes()
    net = learned.train(x, m, steps=60, seed=0, meter=Meter(), batch_size=6)
    seg = build("learned", Assets(learned=net))
    assert seg(x).shape == m.shape and iou(seg(x), m).mean() > 0.5
    with pytest.raises(DataError):
        build("learned")


def test_sam_backend_on_tiny_sam(tmp_path):
    torch.manual_seed(0)
    sam = build_sam(TINY)
    path = tmp_path / "tiny_sam.pt"
    torch.save(sam.state_dict(), path)
    seg = build("sam", checkpoint=str(path), arch=TINY)
    x, _ = scenes(2)
    out = seg(x)
    assert out.shape == (2, 32, 32) and out.dtype == torch.bool
    with pytest.raises(DataError):
        build("sam", checkpoint=str(path), arch={**TINY, "embed_dim": 32})
    with pytest.raises(ConfigError):
        build("sam", checkpoint=str(tmp_path / "missing.pt"))
