"""ResNet-18 for 32×32 inputs (He et al. 2016, CIFAR variant: 3×3 stem, no max-pool).

Written here because torchvision is not a dependency; the paper profile of P1/P2 uses it.
"""

from torch import nn

from ..registries import MODELS


class BasicBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False),
            nn.BatchNorm2d(c_out),
            nn.ReLU(),
            nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False),
            nn.BatchNorm2d(c_out),
        )
        self.skip = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.skip = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(self.body(x) + self.skip(x))


def stage(c_in: int, c_out: int, stride: int) -> nn.Sequential:
    return nn.Sequential(BasicBlock(c_in, c_out, stride), BasicBlock(c_out, c_out, 1))


@MODELS.register("resnet18")
def build(in_shape: tuple[int, ...], num_classes: int, width: int = 64) -> nn.Sequential:
    w = width
    return nn.Sequential(
        nn.Sequential(nn.Conv2d(in_shape[0], w, 3, 1, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU()),
        stage(w, w, 1),
        stage(w, 2 * w, 2),
        stage(2 * w, 4 * w, 2),
        stage(4 * w, 8 * w, 2),
        nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten()),
        nn.Linear(8 * w, num_classes),
    )
