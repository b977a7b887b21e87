"""CFk: catastrophic forgetting of the last k layers — fine-tune only them on D_r, no
re-initialisation (P1, method table, row "CFk"; Goel et al. 2022).  "Layer" = a parametrised
block of the sequential model (``residue.models.blocks``), so k runs over 1..``n_blocks(model)``.

With k = ``n_blocks(model)`` every parameter trains and CFk *is* GD (same seed and hp give the
same weights); :func:`covers_whole_model` says so, for whoever compares methods.
"""

from ..errors import ConfigError
from ..models.blocks import parametrised_blocks
from ..registries import UNLEARNING
from .base import fit_budget


def n_blocks(model) -> int:
    """How many parametrised blocks ``model`` has: the largest k EUk and CFk accept."""
    return len(parametrised_blocks(model))


def covers_whole_model(model, k: int) -> bool:
    """Whether the last ``k`` blocks are all of ``model`` (CFk is then GD, EUk a retrain on the budget)."""
    return k == n_blocks(model)


def train_last_k(model, retain, seed, meter, k, lr, batch_size, momentum, reinit, desc):
    """Freeze all but the last ``k`` parametrised blocks (optionally re-initialised), train them on D_r
    (lr decaying linearly to 0 over the steps the budget affords)."""
    blocks = parametrised_blocks(model)
    if not 1 <= k <= len(blocks):
        raise ConfigError(f"{desc}: k must be between 1 and {len(blocks)} (the model's parametrised blocks), got {k}")
    for p in model.parameters():
        p.requires_grad_(False)
    for block in blocks[-k:]:
        for m in block.modules():
            if reinit and hasattr(m, "reset_parameters"):
                m.reset_parameters()
        for p in block.parameters():
            p.requires_grad_(True)
    fit_budget(model, retain, seed, meter, lr, batch_size, momentum, desc=desc)
    for p in model.parameters():
        p.requires_grad_(True)


@UNLEARNING.register("cfk")
def cfk(model, retain, forget, seed, meter, lr=0.01, batch_size=128, momentum=0.9, k=2):
    train_last_k(model, retain, seed, meter, k, lr, batch_size, momentum, reinit=False, desc="cfk")
