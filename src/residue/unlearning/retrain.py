"""The "retrain" reference: a fresh model trained on D_r only (exact unlearning, P1's lower
reference line).  ``unlearn`` calls the caller's ``retrain`` callable, which charges its own cost."""

from ..registries import UNLEARNING


@UNLEARNING.register("retrain")
def retrain(model, retain, forget, seed, meter):
    raise AssertionError("unlearn() dispatches 'retrain' to the caller's retrain callable")
