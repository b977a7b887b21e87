"""The dataset is deterministic and has its four engineered groups; the three jobs run end to end
on a tiny dataset and model (train → evaluate for two sampling seeds → summarise)."""

from pathlib import Path

import numpy as np
import pytest

from residue.data.sources import fb_mem_scenes as fs
from residue.io import read_json
from residue.jobs import run_job

REPO = Path(__file__).resolve().parents[2]
TINY = fs.SceneSpec(generic=30, verbatim=2, verbatim_copies=3, foreground=1, foreground_copies=3,
                    background=1, background_copies=3, test=8)

pytestmark = pytest.mark.skipif(not (REPO / "data/fashion_mnist/manifest.json").exists(),
                                reason="Fashion-MNIST is not materialised (make data)")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("fbm")
    (root / "data").mkdir()
    (root / "data/fashion_mnist").symlink_to(REPO / "data/fashion_mnist")
    fs.materialise(str(root / "data/fb_mem_scenes"), spec=TINY)
    return root


def test_dataset_groups_masks_and_determinism(workdir, tmp_path, monkeypatch):
    monkeypatch.chdir(workdir)
    s = fs.load_scenes()
    assert len(s.data.train) == 30 + 6 + 3 + 3 and len(s.data.test) == 8
    groups = np.array(s.train_group)
    x = s.data.train.x
    verb = x[groups == "verbatim"]
    assert np.array_equal(verb[0], verb[2]) and not np.array_equal(verb[0], verb[3])
    fg = groups == "foreground"  # same object pixels, different backgrounds
    m = s.train_mask[fg]
    assert np.array_equal(m[0], m[1]) and np.array_equal(x[fg][0][:, m[0] > 0], x[fg][1][:, m[0] > 0])
    assert not np.array_equal(x[fg][0], x[fg][1])
    assert all(c.split()[0] in fs.COLOURS for c, g in zip(s.train_captions, groups) if g == "generic")
    assert 0 < s.train_mask.mean() < 0.8
    (tmp_path / "data").mkdir()
    (tmp_path / "data/fashion_mnist").symlink_to(REPO / "data/fashion_mnist")
    fs.materialise(str(tmp_path / "data/fb_mem_scenes"), spec=TINY)
    for f in ("train_x.npy", "train_mask.npy", "captions.json"):
        assert (tmp_path / "data/fb_mem_scenes" / f).read_bytes() == (workdir / "data/fb_mem_scenes" / f).read_bytes()


def test_jobs_end_to_end(workdir, monkeypatch):
    monkeypatch.chdir(workdir)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{workdir}/mlruns.db")
    train = {"seed": 0, "model": {"block_out_channels": [8, 16], "cross_attention_dim": 16, "attention_head_dim": 8},
             "optim": {"steps": 3, "batch_size": 8, "ema_decay": 0.0}, "diffusion": {"sample_steps": 2},
             "segmenter_steps": 3, "classifier": {"epochs": 1, "batch_size": 16}, "segmenters": {"gt": {}, "classical": {}},
             "device": "cpu"}
    t = run_job("fb_mem.train", train, {}, {"metrics": "r/t/metrics.json", "model": "r/t/model.pt"})
    assert t["segmenter_iou"]["gt"] == 1.0
    ev = {"train": train, "images_per_prompt": 1, "generic_prompts": 2, "reference_prompts": 3, "detect_seeds": 2,
          "mitigations": {"none": {}, "nemo": {}, "nemo_c": {"clusters": 2}, "wanda": {}, "wen": {"steps": 2}}, "device": "cpu"}
    for s in (0, 1):  # the same sampling seed twice: metrics.json must be identical
        m = run_job("fb_mem.evaluate", {**ev, "sample_seed": 0}, {"model": ["r/t/model.pt"]},
                    {"metrics": f"r/{s}/metrics.json", "samples": f"r/{s}/samples.npy", "masks": f"r/{s}/masks.npy"})
        assert m["memorized_prompts"] == 4 and set(m["mitigations"]) == set(ev["mitigations"])
        assert len(m["mitigations"]["none"]["categories_tau"]) == 4
        assert m["mitigations"]["none"]["mitigation_score_tau"] == 0
    assert Path("r/0/metrics.json").read_bytes() == Path("r/1/metrics.json").read_bytes()
    outs = {k: f"out/{k}.md" for k in ("mitigations", "whole", "segmenters")} | {"claims": "out/claims.json"}
    outs |= {k: f"out/{k}.png" for k in ("grid", "distributions", "one_to_many", "tradeoff")}
    Path("out").mkdir()
    run_job("fb_mem.summarise", {}, {"metrics": ["r/0/metrics.json", "r/1/metrics.json"], "samples": ["r/0/samples.npy", "r/1/samples.npy"],
                                     "masks": ["r/0/masks.npy", "r/1/masks.npy"],
                                     "train": ["r/t/metrics.json"]}, outs)
    claims = read_json("out/claims.json")
    assert {c["id"] for c in claims} >= {"P3.whole_image_misses", "P3.one_to_many", "P3.nemo_c_beats_nemo"}
    # one trained model (both runs share training seed 0): the unit is the model, so n = 1, untestable
    assert all(c["n"] == 1 and c["holds"] is None and c["untestable_reason"] for c in claims)
    assert Path("out/grid.pdf").exists() and Path("out/mitigations.csv").exists()
