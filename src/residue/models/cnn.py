"""A small CNN for 28×28 / 32×32 images: two conv blocks and two linear layers.

Shapes for Fashion-MNIST (1×28×28): conv → 32×14×14 → conv → 64×7×7 → 128 → classes.
No BatchNorm, so train and eval mode compute the same function (gradient matching takes its
gradients in eval mode, P1/P2).
"""

from torch import nn

from ..registries import MODELS


def conv_block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))


@MODELS.register("cnn")
def build(in_shape: tuple[int, ...], num_classes: int, width: int = 32, hidden: int = 128) -> nn.Sequential:
    c, h, w = in_shape
    return nn.Sequential(
        conv_block(c, width),  # (B, width, H/2, W/2)
        conv_block(width, 2 * width),  # (B, 2w, H/4, W/4)
        nn.Sequential(nn.Flatten(), nn.Linear(2 * width * (h // 4) * (w // 4), hidden), nn.ReLU()),
        nn.Linear(hidden, num_classes),
    )
