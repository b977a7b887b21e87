"""EUk: exact unlearning of the last k layers — re-initialise them and train only them on D_r
(P1, method table, row "EUk"; Goel et al. 2022)."""

import torch

from ..registries import UNLEARNING
from ..seeding import derive
from .cfk import train_last_k


@UNLEARNING.register("euk")
def euk(model, retain, forget, seed, meter, lr=0.01, batch_size=128, momentum=0.9, k=2):
    torch.manual_seed(derive(seed, "euk-init"))
    train_last_k(model, retain, seed, meter, k, lr, batch_size, momentum, reinit=True, desc="euk")
