"""Segment Anything (Kirillov et al. 2023) as a backend, with a checkpoint file the user gives.

The installed ``segment_anything`` package cannot be imported here: its ``__init__`` imports
``utils.transforms``, which needs torchvision.  Its model code (``segment_anything.modeling``)
needs only torch, so :func:`modeling` loads that sub-package under a private parent module whose
``__path__`` is the package folder, without executing the package's ``__init__``.  The
torchvision-based pre-processing (``ResizeLongestSide``) is replaced by :func:`resize_longest`;
``Sam.forward`` then normalises, pads, decodes and upsamples the masks back to the input size.

The prompt is a box around the whole image (the object of a scene is its salient object); of the
three multimask outputs the one with the highest predicted IoU is kept.  ``arch`` gives the image
encoder's size (ViT-B by default); the checkpoint is read with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from functools import partial
from pathlib import Path

import torch
from torch.nn import functional as F

from ..errors import ConfigError, DataError
from ..io import load_torch
from ..registries import SEGMENTERS
from .base import Assets

_PARENT = "_residue_segment_anything"
VIT_B = {"embed_dim": 768, "depth": 12, "num_heads": 12, "global_attn_indexes": [2, 5, 8, 11],
         "img_size": 1024, "patch_size": 16, "window_size": 14, "prompt_dim": 256, "decoder_mlp_dim": 2048, "decoder_heads": 8}


def modeling():
    """``segment_anything.modeling`` imported without running ``segment_anything/__init__.py``."""
    if _PARENT not in sys.modules:
        spec = importlib.util.find_spec("segment_anything")
        if spec is None or not spec.submodule_search_locations:
            raise ConfigError("the sam segmenter needs the segment-anything package installed")
        parent = types.ModuleType(_PARENT)
        parent.__path__ = list(spec.submodule_search_locations)
        sys.modules[_PARENT] = parent
    return importlib.import_module(f"{_PARENT}.modeling")


def build_sam(arch: dict):
    m = modeling()
    a = {**VIT_B, **arch}
    grid = a["img_size"] // a["patch_size"]
    return m.Sam(
        image_encoder=m.ImageEncoderViT(
            depth=a["depth"], embed_dim=a["embed_dim"], img_size=a["img_size"], mlp_ratio=4,
            norm_layer=partial(torch.nn.LayerNorm, eps=1e-6), num_heads=a["num_heads"], patch_size=a["patch_size"],
            qkv_bias=True, use_rel_pos=True, global_attn_indexes=a["global_attn_indexes"],
            window_size=a["window_size"], out_chans=a["prompt_dim"]),
        prompt_encoder=m.PromptEncoder(embed_dim=a["prompt_dim"], image_embedding_size=(grid, grid),
                                       input_image_size=(a["img_size"], a["img_size"]), mask_in_chans=16),
        mask_decoder=m.MaskDecoder(
            num_multimask_outputs=3, transformer_dim=a["prompt_dim"], iou_head_depth=3, iou_head_hidden_dim=256,
            transformer=m.TwoWayTransformer(depth=2, embedding_dim=a["prompt_dim"], mlp_dim=a["decoder_mlp_dim"],
                                            num_heads=a["decoder_heads"])),
        pixel_mean=[123.675, 116.28, 103.53], pixel_std=[58.395, 57.12, 57.375],
    ).eval()


def resize_longest(img: torch.Tensor, size: int) -> torch.Tensor:
    """(3, H, W) in [0, 1] → (3, h, w) in [0, 255] with max(h, w) = size (ResizeLongestSide)."""
    h, w = img.shape[1:]
    s = size / max(h, w)
    out = F.interpolate(img[None], size=(round(h * s), round(w * s)), mode="bilinear", align_corners=False)
    return out[0] * 255


class SAM:
    def __init__(self, model):
        self.model = model

    @torch.no_grad()
    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        size = self.model.image_encoder.img_size
        inputs = []
        for img in x:
            r = resize_longest(img, size)
            box = torch.tensor([[0.0, 0.0, r.shape[2] - 1.0, r.shape[1] - 1.0]])
            inputs.append({"image": r, "original_size": tuple(img.shape[1:]), "boxes": box})
        out = self.model(inputs, multimask_output=True)
        return torch.stack([o["masks"][0, o["iou_predictions"][0].argmax()] for o in out])


@SEGMENTERS.register("sam")
def build(assets: Assets, checkpoint: str | None = None, arch: dict | None = None) -> SAM:
    if not checkpoint or not Path(checkpoint).is_file():
        raise ConfigError(f"sam segmenter: checkpoint file {checkpoint!r} not found (give fb_mem.segmenters.sam.checkpoint)")
    model = build_sam(arch or {})
    try:
        model.load_state_dict(load_torch(checkpoint, verify=False))
    except RuntimeError as e:
        raise DataError(f"sam segmenter: {checkpoint} does not fit the architecture {arch or 'vit_b'} ({str(e)[:120]})") from None
    return SAM(model)
