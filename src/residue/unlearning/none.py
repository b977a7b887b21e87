"""The "no unlearning" reference: the poisoned model itself (P1's upper reference line)."""

from ..registries import UNLEARNING


@UNLEARNING.register("none")
def none(model, retain, forget, seed, meter):
    """Leaves the model as trained on D_r ∪ D_f."""
