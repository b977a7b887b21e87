"""NeMo-C, the FB-Mem paper's clustering mitigation (PAPERS.md §P3): cluster the memorized prompts
by KMeans on their flattened text-encoder outputs, take the union of the per-prompt NeMo neurons
of each cluster, and deactivate that union for every prompt of the cluster."""

from __future__ import annotations

import torch
from sklearn.cluster import KMeans

from ...registries import MITIGATIONS
from ...seeding import derive
from .lab import Lab
from .nemo import Neurons, generate_with, neurons_of, size


def union(sets: list[Neurons]) -> Neurons:
    out: dict[str, set[int]] = {}
    for s in sets:
        for k, v in s.items():
            out.setdefault(k, set()).update(v)
    return {k: sorted(v) for k, v in out.items()}


@MITIGATIONS.register("nemo_c")
def run(lab: Lab, tokens: torch.Tensor, clusters: int = 3) -> tuple[torch.Tensor, dict]:
    per_prompt = neurons_of(lab, tokens)
    mem = [i for i, n in enumerate(per_prompt) if n]
    labels = {}
    if mem:
        with torch.no_grad():
            feats = lab.model.encode(tokens[mem]).flatten(1).numpy()
        k = min(clusters, len(mem))
        km = KMeans(n_clusters=k, n_init=10, random_state=derive(lab.seed, "nemo-c") % 2**31).fit(feats)
        labels = dict(zip(mem, km.labels_.tolist()))
    cluster_sets = {c: union([per_prompt[i] for i in mem if labels[i] == c]) for c in set(labels.values())}
    chosen = [cluster_sets[labels[i]] if i in labels else {} for i in range(len(tokens))]
    info = {"detected": [bool(n) for n in per_prompt], "neurons": [size(n) for n in chosen],
            "cluster": [labels.get(i, -1) for i in range(len(tokens))]}
    return generate_with(lab, tokens, chosen), info
