"""Damage control (issue #13): the unlearning method's own accuracy damage, with no poison to remove.

An indiscriminate attack's effect is an accuracy drop, and so is the damage an unlearning method
does by itself; the residue of the attack is only what remains net of the latter.  The control
applies the same method, with the same hyper-parameters and budget, to the clean model (trained on
D_c alone with the same recipe) and a random forget set of D_c of the poisons' size, both saved by
the scenario under ``bundle["control"]``.  ``control_effect`` = clean test accuracy − test accuracy
after unlearning, on the same scale as the GC effect.
"""

from __future__ import annotations

from ...training import accuracy


def control_effect(cell, b: dict, hp: dict, device, meter, run_unlearning) -> float:
    c = b["control"]
    n = c["n_clean"]
    clean = {**b, "x": b["x"][:n], "y": b["y"][:n], "forget": c["forget"]}
    model = run_unlearning(cell, clean, c["state"], hp, device, meter)
    return b["clean_accuracy"] - accuracy(model, b["x_test"], b["y_test"])
