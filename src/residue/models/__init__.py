"""Classifiers, one file each, registered by name.

Every model is an ``nn.Sequential`` of *blocks* built by ``build(in_shape, num_classes, **kw)``,
so "the last k layers" (P1's EUk and CFk) is simply ``model[-k:]`` restricted to blocks that
hold parameters; see :func:`residue.models.blocks.parametrised_blocks`.
"""

from ..registries import MODELS


def build(name: str, in_shape: tuple[int, ...], num_classes: int, **kwargs):
    return MODELS.get(name, "model")(tuple(in_shape), num_classes, **kwargs)
