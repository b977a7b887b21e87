"""A fastText-style text classifier: token embeddings, mean over the sequence, an MLP head.

Shapes: (B, L) token ids → (B, L, dim) → mean (B, dim) → (B, hidden) → classes.  Used for P1's
backdoor on real offline text (``residue.data.text``); small enough to train from scratch in
seconds on one core, and its blocks are parametrised so EUk/CFk's "last k layers" apply.
"""

from torch import nn

from ..registries import MODELS


class MeanOverTokens(nn.Module):
    def forward(self, x):
        return x.mean(1)


@MODELS.register("bag_of_embeddings")
def build(in_shape: tuple[int, ...], num_classes: int, vocab: int = 2, dim: int = 32, hidden: int = 64) -> nn.Sequential:
    return nn.Sequential(
        nn.Embedding(vocab, dim),  # (B, L, dim)
        MeanOverTokens(),  # (B, dim)
        nn.Sequential(nn.Linear(dim, hidden), nn.ReLU()),
        nn.Linear(hidden, num_classes),
    )
