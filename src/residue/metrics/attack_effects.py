"""Attack effects (PAPERS.md §P1): success rate for targeted poisoning and backdoors, accuracy gap
for indiscriminate poisoning."""

from __future__ import annotations

from torch import Tensor, nn

from ..training import accuracy, predict


def success_rate(model: nn.Module, x: Tensor, label: Tensor | int) -> float:
    """Fraction of ``x`` classified as the attacker's ``label`` (targeted success, trigger success)."""
    return (predict(model, x).argmax(1) == label).float().mean().item()


def accuracy_gap(model: nn.Module, x: Tensor, y: Tensor, clean_accuracy: float) -> float:
    """Test-accuracy drop against a clean model (Gradient Canceling's effect)."""
    return clean_accuracy - accuracy(model, x, y)
