"""NeMo's hooks zero exactly the chosen value channels; Wanda zeroes the top-scored weights;
every registered mitigation returns paired images; NeMo-C deactivates the cluster's union."""

import pytest
import torch

from residue.memorization.mitigations import nemo, wanda
from residue.registries import MITIGATIONS


def test_text_model_protocol(tiny):
    model, tok, _ = tiny
    cond = tok(["vmem0 photo", "red shirt on coffee"])
    null = model.null_cond(cond)
    assert null.shape == cond.shape and null[:, 0].eq(1).all() and null[:, 1:].eq(0).all()
    x = torch.randn(2, 3, 16, 16)
    assert model(x, torch.tensor([5, 900]), cond).shape == x.shape


def _value_output(model, name, x, t, cond):
    captured = {}
    hook = model.value_layers()[name].register_forward_hook(lambda m, i, o: captured.setdefault("out", o.detach().clone()))
    with torch.no_grad():
        eps = model(x, t, cond)
    hook.remove()
    return captured["out"], eps


def test_nemo_hooks_zero_chosen_channels_only(tiny):
    model, tok, _ = tiny
    layers = model.value_layers()
    name = sorted(layers)[0]
    cond, x, t = tok(["vmem0 photo"]), torch.randn(1, 3, 16, 16), torch.tensor([10])
    before, eps0 = _value_output(model, name, x, t, cond)
    with nemo.deactivate(model, {name: [0, 3]}):
        after, eps1 = _value_output(model, name, x, t, cond)  # registered after NeMo's hook: sees its output
    assert torch.all(after[..., [0, 3]] == 0) and before[..., [0, 3]].abs().sum() > 0
    keep = [i for i in range(before.shape[-1]) if i not in (0, 3)]
    assert torch.equal(after[..., keep], before[..., keep])
    assert not torch.equal(eps0, eps1)
    for other in sorted(set(layers) - {name}):  # other layers untouched
        plain = _value_output(model, other, x, t, cond)[0]
        with nemo.deactivate(model, {name: [0, 3]}):
            assert torch.equal(_value_output(model, other, x, t, cond)[0], plain)
    assert not any(layer._forward_hooks for layer in layers.values())  # hooks removed on exit
    assert torch.equal(_value_output(model, name, x, t, cond)[1], eps0)


def test_value_activations_shapes(tiny):
    model, tok, _ = tiny
    act = nemo.value_activations(model, tok(["vmem0 photo", "red shirt on coffee"]))
    assert set(act) == set(model.value_layers())
    assert all(v.shape == (2, model.value_layers()[k].out_features) and (v >= 0).all() for k, v in act.items())


def test_wanda_prunes_top_scored_weights(tiny):
    model, tok, _ = tiny
    tokens = tok(["vmem0 photo"])
    pruned, zeroed = wanda.prune(model, tokens, 0.1)
    ctx = model.encode(tokens)[tokens != 0]
    norm = ctx.norm(dim=0)
    total = 0
    for name, lin in model.value_layers().items():
        new = pruned.value_layers()[name].weight
        score = (lin.weight.abs() * norm[None]).flatten()
        k = int(round(0.1 * score.numel()))
        top = score.topk(k).indices
        assert torch.all(new.flatten()[top] == 0)
        rest = torch.ones_like(score, dtype=torch.bool)
        rest[top] = False
        assert torch.equal(new.flatten()[rest], lin.weight.flatten()[rest])
        total += k
    assert zeroed == total
    assert not torch.equal(pruned.value_layers()[name].weight, model.value_layers()[name].weight)


@pytest.mark.parametrize("name", ["none", "nemo", "nemo_c", "wanda", "wen"])
def test_mitigations_return_paired_images(tiny, name):
    model, tok, lab = tiny
    tokens = tok(["vmem0 photo", "red shirt on coffee"])
    images, info = MITIGATIONS.get(name)(lab, tokens)
    assert images.shape == (2, lab.n, 3, 16, 16) and torch.isfinite(images).all()
    if name == "none":
        again, _ = MITIGATIONS.get(name)(lab, tokens)
        assert torch.equal(images, again)  # seeded per prompt: before/after pairs share noise


def test_nemo_c_uses_cluster_union(tiny, monkeypatch):
    model, tok, lab = tiny
    tokens = tok(["vmem0 photo", "red shirt on coffee", "blue bag on china"])
    per_prompt = [{"a": [1]}, {"a": [2], "b": [0]}, {}]
    monkeypatch.setattr("residue.memorization.mitigations.nemo_c.neurons_of", lambda lab, t: per_prompt)
    seen = []
    monkeypatch.setattr("residue.memorization.mitigations.nemo_c.generate_with", lambda lab, t, chosen: seen.append(chosen) or torch.zeros(3))
    _, info = MITIGATIONS.get("nemo_c")(lab, tokens, clusters=1)
    assert seen[0][0] == seen[0][1] == {"a": [1, 2], "b": [0]} and seen[0][2] == {}
    assert info["cluster"] == [0, 0, -1]


class _PullTowards(torch.nn.Module):
    """An ε model whose prediction for token 2 is x_T − 0.01·image (a fixed x₀ behind every seed: a
    memorized prompt) and for any other token x_T − 0.01·noise that differs per initial noise."""

    def __init__(self):
        super().__init__()
        self.image = torch.rand(3, 16, 16, generator=torch.Generator().manual_seed(1))

    def forward(self, x, t, cond):
        other = torch.randn(x.shape, generator=torch.Generator().manual_seed(2))
        pull = torch.where((cond[:, 1] == 2)[:, None, None, None], self.image.expand_as(x), other)
        return x - 0.01 * pull


def test_nemo_statistic_reads_the_noise_difference_not_the_seed(tiny):
    """ε(x_T) is x_T plus a small prompt-dependent term: SSIM of ε itself only sees the seeds (it
    scores every prompt ≈ 0); NeMo's ε − x_T sees the prompt's fixed x₀ (score 1) and a per-seed one (low)."""
    _, tok, lab = tiny
    stub = _PullTowards()
    s = lab.noise_ssim(stub, tok(["vmem0 photo", "red shirt on coffee"]))
    assert s[0] > 0.99 and s[1] < 0.2
