"""CFk: catastrophic forgetting of the last k layers — fine-tune only them on D_r, no
re-initialisation (P1, method table, row "CFk"; Goel et al. 2022).  "Layer" = a parametrised
block of the sequential model (``residue.models.blocks``)."""

from ..models.blocks import parametrised_blocks
from ..registries import UNLEARNING
from ..training import fit
from .base import steps_spec


def train_last_k(model, retain, seed, meter, k, lr, batch_size, momentum, reinit, desc):
    """Freeze all but the last ``k`` parametrised blocks (optionally re-initialised), train them on D_r."""
    blocks = parametrised_blocks(model)
    last = blocks[-min(k, len(blocks)):]
    for p in model.parameters():
        p.requires_grad_(False)
    for block in last:
        for m in block.modules():
            if reinit and hasattr(m, "reset_parameters"):
                m.reset_parameters()
        for p in block.parameters():
            p.requires_grad_(True)
    x, y = retain
    fit(model, x, y, steps_spec(len(y), meter.budget, lr, batch_size, momentum), seed, meter, desc=desc)
    for p in model.parameters():
        p.requires_grad_(True)


@UNLEARNING.register("cfk")
def cfk(model, retain, forget, seed, meter, lr=0.01, batch_size=128, momentum=0.9, k=2):
    train_last_k(model, retain, seed, meter, k, lr, batch_size, momentum, reinit=False, desc="cfk")
