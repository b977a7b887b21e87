"""The convex pipeline on a small hand-built case: the decision moves the way the paper says."""

import pytest
import torch

from residue.attacks.gradient_matching import BrewSpec, brew, final_loss, flat_grad
from residue.compute import Meter
from residue.attacks.targets import margins
from residue.experiments.camouflage.learners import ConvexLearner, ConvexSpec
from residue.experiments.camouflage.stages import Part, TrainingSets
from residue.experiments.camouflage.trial import AttackSpec, BrewSteps, Target, Trial, outcomes
from residue.training import predict

import torch.nn.functional as F


def blobs(n, seed):
    """Two classes of 1×3×3 'images' in [0, 1]: class 0 bright on the left, class 1 on the right."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 2
    x = 0.3 + 0.2 * torch.rand(n, 1, 3, 3, generator=g)
    x[y == 0, :, :, 0] += 0.4
    x[y == 1, :, :, 2] += 0.4
    return x.clamp(0, 1), y


def setup():
    x, y = blobs(60, 0)
    pool = Part(*blobs(80, 1))
    learner = ConvexLearner(ConvexSpec(C=1.0), (1, 3, 3), torch.device("cpu"))
    clean = learner.fit(x, y, 0, Meter())
    # the target: a class-0 point on the boundary side of class 0, near the boundary
    t = torch.full((1, 3, 3), 0.45)
    t[:, :, 0] += 0.06
    return x, y, pool, learner, clean, t


def test_logistic_module_is_the_sklearn_solution():
    x, y, _, learner, clean, _ = setup()
    from sklearn.linear_model import LogisticRegression

    feats = (x.flatten(1) / x.flatten(1).norm(dim=1, keepdim=True)).double().numpy()
    clf = LogisticRegression(C=1.0, tol=1e-8, max_iter=5000).fit(feats, y.numpy())
    logits = predict(clean, x)
    assert torch.allclose((logits[:, 1] - logits[:, 0]).double(), torch.tensor(clf.decision_function(feats)), atol=1e-5)


def test_convex_trial_moves_the_decision_in_the_expected_directions():
    x, y, pool, learner, clean, t = setup()
    m0 = margins(predict(clean, t[None]), torch.tensor([0])).item()
    assert 0 < m0 < 0.5
    steps = BrewSteps(steps=60, restarts=2, lr=0.05)
    attack = AttackSpec(n_poison=20, camouflage_ratio=1.0, eps=0.2, poison=steps, camouflage=steps, delete_fractions=[1.0, 0.0], controls=True)
    trial = Trial(learner, TrainingSets(clean=Part(x, y)), (x, y), Target(0, t, 0, 1), seed=0, meter=Meter())
    rec = trial.run([clean], pool, attack, deleters={})
    s = {k: v["target_margin"] for k, v in rec["stages"].items()}
    assert s["poisoned"] < 0 < s["clean"]  # poisons flip the target to y_adv
    assert s["poisoned"] < s["poison_bases"]  # ... because of their perturbations, not just their images
    assert s["camouflaged"] > 0  # camouflages hide it
    assert s["unlearned/exact/1"] == pytest.approx(s["poisoned"], abs=1e-4)  # convex: retraining = θ_po
    assert s["unlearned/exact/0"] == pytest.approx(s["camouflaged"], abs=1e-4)  # deleting nothing changes nothing
    assert outcomes(rec) == {"poison": True, "camouflage": True, "overall": True, "restored": True, "control": s["poison_bases"] < 0,
                             "restored_control": s["unlearned_bases"] < 0}
    adv = {k: v["adv_margin"] for k, v in rec["stages"].items()}
    assert adv["poisoned"] > adv["poison_bases"]  # the paired (same-seed) poison effect on the adversarial margin
    assert rec["stages"]["unlearned_bases"]["trained_on"] == {"clean": 60, "poison_bases": 20}
    assert rec["brew"]["poison_loss"] < rec["brew"]["poison_base_loss"]
    comp = rec["stages"]["camouflaged"]["trained_on"]
    assert comp == {"clean": 60, "poisons": 20, "camouflages": 20}


def test_camouflage_brew_lowers_its_loss_within_eps_and_box():
    x, y, pool, learner, clean, t = setup()
    bases = Part(pool.x[pool.y == 0][:10], pool.y[pool.y == 0][:10])
    spec = BrewSpec(eps=8 / 255, steps=40, restarts=1)
    cams, info = brew(clean, t, 0, bases.x, bases.y, spec, 0, Meter())
    params = list(clean.parameters())
    tg = flat_grad(F.cross_entropy(clean(t[None]), torch.tensor([0]), reduction="sum"), params)
    assert info["loss"] < final_loss([clean], [params], [tg], bases.x, bases.y)
    assert (cams - bases.x).abs().max() <= 8 / 255 + 1e-6 and cams.min() >= 0 and cams.max() <= 1
