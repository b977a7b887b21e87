"""The copy test (Gu et al. 2023), matched-FPR thresholds, the gt-vs-gt backend and the paired
VM transitions, on tiny inputs whose answers are known."""

import numpy as np
import pytest
import torch

from residue.errors import DataError
from residue.experiments.fb_mem import claims
from residue.experiments.fb_mem.matched import fbmem_flags, flags
from residue.memorization.copy_test import copies, nn_ratio
from residue.memorization.whole import matched_threshold
from residue.segmentation.base import Assets, build


def test_copy_test_flags_copies_not_blends():
    g = torch.Generator().manual_seed(0)
    train = torch.rand(5, 3, 8, 8, generator=g)
    exact = train[2] + 0.001 * torch.randn(3, 8, 8, generator=g)
    blend = 0.5 * train[0] + 0.5 * train[1]
    r, nn = nn_ratio(torch.stack([exact, blend]), train)
    assert nn[0] == 2 and r[0] < 0.05
    assert 0.9 < r[1] <= 1.0  # equidistant from its two parents
    assert copies(torch.stack([exact, blend]), train).tolist() == [True, False]


@pytest.mark.parametrize("fpr,flagged", [(0.0, 0), (0.1, 1), (0.25, 2), (1.0, 10)])
def test_matched_threshold_keeps_the_fpr(fpr, flagged):
    scores = np.arange(10.0)
    t = matched_threshold(scores, fpr)
    assert int((scores >= t).sum()) == flagged


def test_gt_nearest_borrows_the_nearest_known_mask():
    imgs = torch.stack([torch.zeros(3, 4, 4), torch.ones(3, 4, 4)])
    masks = torch.zeros(2, 4, 4, dtype=torch.bool)
    masks[1, :2] = True
    near = build("gt", Assets(images=imgs, masks=masks), nearest=True)
    assert torch.equal(near(torch.full((1, 3, 4, 4), 0.9))[0], masks[1])
    with pytest.raises(DataError, match="nearest"):
        build("gt", Assets(images=imgs, masks=masks))(torch.full((1, 3, 4, 4), 0.9))


def _run(train_seed, sample_seed, none, nemo):
    return {"spec": {"train": {"seed": train_seed}, "sample_seed": sample_seed},
            "mitigations": {"none": {"categories_tau": none}, "nemo": {"categories_tau": nemo}}}


def test_paired_transitions_pool_sampling_seeds_within_a_model():
    runs = [_run(0, 0, ["VM", "VM", "NM"], ["FM", "VM", "NM"]), _run(0, 1, ["VM", "FM"], ["BM", "FM"]),
            _run(1, 0, ["VM", "VM"], ["FM", "FM"])]
    t = claims.transitions(runs, "nemo")
    assert t == {0: {"VM": 1, "FM": 1, "BM": 1, "NM": 0}, 1: {"VM": 0, "FM": 2, "BM": 0, "NM": 0}}
    assert claims.fg_over_bg(runs, "nemo") == {0: 0.0, 1: 1.0}
    assert claims.vm_drop(runs, "nemo") == {0: pytest.approx(2 / 3), 1: 1.0}
    assert claims.acted(runs, "nemo").ok
    assert not claims.acted([_run(0, 0, ["VM"], ["VM"]), _run(1, 0, ["VM"], ["NM"])], "nemo").ok


def _copy_run(train_seed, copied: bool):
    """One run whose verbatim-prompt generation is (or is not) a copy by the copy test."""
    return {"spec": {"train": {"seed": train_seed}, "sample_seed": 0}, "groups": ["verbatim", "generic"],
            "images_per_prompt": 1, "copy_ratio": 1 / 3,
            "mitigations": {"none": {"categories_tau": ["VM", "NM"], "copy_ratio": [0.1 if copied else 0.9, 0.9]}}}


def test_mitigation_claims_need_copies_the_copy_test_confirms():
    """FB-Mem's VM count alone does not make a mitigation claim testable: the copy test, independent
    of FB-Mem, must find a copied verbatim-prompt generation in every trained model."""
    assert claims.has_vm([_copy_run(s, copied=False) for s in range(3)]).ok
    missing = claims.copies_confirmed([_copy_run(s, copied=s != 1) for s in range(3)])
    assert not missing.ok and "1.00, 0.00, 1.00" in missing.reason
    assert claims.copies_confirmed([_copy_run(s, copied=True) for s in range(3)]).ok


def _edit_run(train_seed, neurons, zeroed):
    run = _copy_run(train_seed, copied=True)
    run["mitigations"] |= {"nemo": {"info": {"neurons": neurons}}, "wanda": {"info": {"weights_zeroed": zeroed}}}
    return run


def test_reduces_vm_needs_a_mitigation_that_changed_the_model_in_every_trained_model():
    """NeMo's neurons count for the memorized prompts only (the first prompt here; the second is
    generic); Wanda's zeroed weights are one edit for every prompt."""
    runs = [_edit_run(s, [4, 0], 10) for s in range(3)]
    assert claims.edited(runs, "nemo").ok and claims.edited(runs, "wanda").ok
    runs[1] = _edit_run(1, [0, 7], 0)
    nemo, wanda = claims.edited(runs, "nemo"), claims.edited(runs, "wanda")
    assert not nemo.ok and "neurons deactivated per model: [4, 0, 4]" in nemo.reason
    assert not wanda.ok and "weights zeroed per model: [10, 0, 10]" in wanda.reason


def _scored_run(sample_seed, fbmem, l2):
    """One run of one memorized prompt × 2 images, then one generic prompt × 2: FB-Mem's score
    (max of the best match's fg and bg) and one baseline's, in that order; whole_fpr 0.5."""
    return {"spec": {"train": {"seed": 0}, "sample_seed": sample_seed}, "memorized_prompts": 1, "images_per_prompt": 2,
            "whole_fpr": 0.5, "fbmem_scores": fbmem, "whole_scores": {"l2": l2},
            "mitigations": {"none": {"categories_tau": ["VM" if s >= 0.9 else "FM" for s in fbmem[:2]]}}}


def test_whole_image_misses_at_one_fpr_drops_fb_mems_own_false_positives():
    """At the paper's τ = 0.8 FB-Mem flags both memorized generations, and half its generic ones are
    above τ too; the baseline flags only the first.  Thresholded at the baselines' matched FPR (from
    the other sampling seed's generic scores), FB-Mem keeps only the first: nothing is missed."""
    runs = [_scored_run(0, [0.95, 0.82, 0.90, 0.85], [1.0, 0.0, 0.0, 0.0]),
            _scored_run(1, [0.97, 0.81, 0.88, 0.86], [1.0, 0.0, 0.0, 0.0])]
    assert claims.whole_image_misses(runs, flags(runs)) == {0: 0.5}
    assert claims.whole_image_misses(runs, flags(runs), matched=True) == {0: 0.0}
    own = fbmem_flags(runs)
    assert own[(0, 0)]["memorized"].tolist() == [True, False] and own[(0, 0)]["fpr"] == 0.5
