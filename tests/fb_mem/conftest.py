import pytest
import torch

from residue.diffusion import DiffusionSpec
from residue.diffusion.text import TextConditionalUNet, TextUNetSpec, Tokenizer
from residue.memorization.mitigations.lab import Lab

VOCAB = ["<pad>", "<s>", "vmem0", "photo", "red", "shirt", "on", "coffee", "blue", "bag", "china"]


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(0)
    model = TextConditionalUNet(len(VOCAB), TextUNetSpec(sample_size=16, block_out_channels=(8, 16), cross_attention_dim=16, attention_head_dim=8)).eval()
    tok = Tokenizer(VOCAB, 6)
    ref = tok(["red shirt on coffee", "blue bag on china", "red bag on coffee", "blue shirt on china"])
    lab = Lab(model, DiffusionSpec(sample_steps=2), ref, n=2, seed=0, detect_seeds=3, shape=(3, 16, 16))
    return model, tok, lab
