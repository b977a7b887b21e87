"""A text-conditional denoiser (P3): diffusers ``UNet2DConditionModel`` + a small text encoder.

The text encoder (token embedding, learned positions, one Transformer layer) is trained jointly
with the UNet on the captions; its output sequence is the cross-attention context, so the value
projections ``attn2.to_v`` of the UNet's transformer blocks are exactly where NeMo looks for
memorization neurons.  The model follows the core's protocol: ``model(x_t, t, cond)`` with
``cond`` = token ids ``(B, L)``; the null condition is the empty caption (start token alone).
The UNet runs on 2×2 pixel blocks folded into channels (``pixel_unshuffle``: 32×32×3 → 16×16×12),
a lossless stand-in for Stable Diffusion's latent space that makes CPU training 4× cheaper; the
noise and L_simple are unchanged because the folding is a permutation of pixels.

:class:`EmbeddingTable` lets a method condition on *text-encoder outputs* instead of tokens
(Wen et al.'s prompt-embedding optimisation) while keeping the protocol: its ``cond`` is a row
index into a table of embeddings whose last row is the empty caption's.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from diffusers import UNet2DConditionModel
from torch import nn
from torch.nn import functional as F

PAD, START = 0, 1


@dataclass(frozen=True)
class TextUNetSpec:
    sample_size: int = 32
    channels: int = 3
    block_out_channels: tuple[int, ...] = (16, 32)
    patch: int = 2  # the UNet sees patch×patch pixel blocks as channels (a lossless "latent")
    layers_per_block: int = 1
    cross_attention_dim: int = 64
    attention_head_dim: int = 16
    max_len: int = 6


class Tokenizer:
    """Whitespace tokenizer over a fixed vocabulary (index 0 = padding, 1 = start)."""

    def __init__(self, vocab: list[str], max_len: int):
        self.vocab, self.max_len = vocab, max_len
        self.index = {w: i for i, w in enumerate(vocab)}

    def __call__(self, captions: list[str]) -> torch.Tensor:
        out = torch.full((len(captions), self.max_len), PAD, dtype=torch.long)
        for i, c in enumerate(captions):
            ids = [START] + [self.index[w] for w in c.split()]
            out[i, : len(ids[: self.max_len])] = torch.tensor(ids[: self.max_len])
        return out


class TextConditionalUNet(nn.Module):
    def __init__(self, vocab_size: int, spec: TextUNetSpec = TextUNetSpec()):
        super().__init__()
        self.patch = spec.patch
        d = spec.cross_attention_dim
        self.tok = nn.Embedding(vocab_size, d)
        self.pos = nn.Parameter(torch.zeros(1, spec.max_len, d))
        self.encoder = nn.TransformerEncoderLayer(d, nhead=4, dim_feedforward=2 * d, batch_first=True, dropout=0.0)
        n = len(spec.block_out_channels)
        self.unet = UNet2DConditionModel(
            sample_size=spec.sample_size // spec.patch,
            in_channels=spec.channels * spec.patch**2,
            out_channels=spec.channels * spec.patch**2,
            block_out_channels=tuple(spec.block_out_channels),
            layers_per_block=spec.layers_per_block,
            # attention only below full resolution (self-attention over 32×32 pixels is too slow on CPU)
            down_block_types=("DownBlock2D",) + ("CrossAttnDownBlock2D",) * (n - 1),
            up_block_types=("CrossAttnUpBlock2D",) * (n - 1) + ("UpBlock2D",),
            cross_attention_dim=d,
            attention_head_dim=spec.attention_head_dim,
            norm_num_groups=min(32, spec.block_out_channels[0]),
        )

    def null_cond(self, cond: torch.Tensor) -> torch.Tensor:
        null = torch.full_like(cond, PAD)
        null[:, 0] = START
        return null

    def encode(self, cond: torch.Tensor) -> torch.Tensor:
        """Text-encoder outputs ``(B, L, d)``; padded positions are zeroed (they are also masked)."""
        pad = cond == PAD
        h = self.encoder(self.tok(cond) + self.pos[:, : cond.shape[1]], src_key_padding_mask=pad)
        return h.masked_fill(pad[..., None], 0.0)

    def denoise(self, x_t: torch.Tensor, t: torch.Tensor, context: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        z = F.pixel_unshuffle(x_t, self.patch)
        eps = self.unet(z, t, encoder_hidden_states=context, encoder_attention_mask=keep.float()).sample
        return F.pixel_shuffle(eps, self.patch)

    def forward(self, x_t: torch.Tensor, t: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        return self.denoise(x_t, t, self.encode(cond), cond != PAD)

    def value_layers(self) -> dict[str, nn.Linear]:
        """The cross-attention value projections (NeMo's neurons are their output channels)."""
        return {n: m for n, m in self.named_modules() if n.endswith("attn2.to_v")}


class EmbeddingTable(nn.Module):
    """Condition a :class:`TextConditionalUNet` on given text-encoder outputs.

    ``cond`` is a ``(B,)`` row index into ``context`` (``(P, L, d)``) whose last row is the empty
    caption; ``null_cond`` points at that row.
    """

    def __init__(self, model: TextConditionalUNet, context: torch.Tensor, keep: torch.Tensor):
        super().__init__()
        self.model, self.context, self.keep = model, context, keep

    def null_cond(self, cond: torch.Tensor) -> torch.Tensor:
        return torch.full_like(cond, len(self.context) - 1)

    def forward(self, x_t: torch.Tensor, t: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        return self.model.denoise(x_t, t, self.context[cond], self.keep[cond])
