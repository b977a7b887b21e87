"""P1's verdict rules on synthetic tables: a residue claim is untestable when the attack did not
bite, when the method did not act, or when it duplicates GD; otherwise the criterion decides."""

from residue.experiments.poison_unlearning.claims import residue_claims

SEEDS = range(5)


def cell(effect, param_dist=1.0, loss=0.5, loss_before=0.1, whole=False, **extra):
    return {"effect": effect, "param_dist": param_dist, "forget_loss": loss, "forget_loss_before": loss_before,
            "covers_whole_model": whole, **extra}


def table(atk="gaussian", none=5.0, retrain=0.0, method=None, effect=4.5, **method_kw):
    t = {("d", atk, "none", 0.0): {s: cell(none + 0.1 * s, 0.0, 0.1) for s in SEEDS},
         ("d", atk, "retrain", 100.0): {s: cell(retrain + 0.1 * (s % 2), 10.0) for s in SEEDS},
         ("d", atk, "gd", 10.0): {s: cell(4.0 + 0.1 * s, 2.0) for s in SEEDS}}
    if method:
        t[("d", atk, method, 10.0)] = {s: cell(effect + 0.1 * s, **method_kw) for s in SEEDS}
    return t


def verdicts(t, atk="gaussian"):
    return {c.id.split(".")[-1]: c for c in residue_claims(t, "d", atk)}


def test_a_residue_that_is_there_holds_and_one_that_is_gone_fails():
    v = verdicts(table(method="ssd", effect=4.5, param_dist=1.0))
    assert v["gd"].holds is True and v["ssd"].holds is True
    v = verdicts(table(method="ssd", effect=0.0, param_dist=1.0))
    assert v["ssd"].holds is False


def test_a_method_that_did_not_act_is_untestable_not_a_residue():
    v = verdicts(table(method="ssd", effect=5.0, param_dist=0.0, loss=0.1))
    assert v["ssd"].holds is None and "did not act" in v["ssd"].untestable_reason


def test_no_effect_to_remove_makes_every_residue_untestable():
    v = verdicts(table(none=0.0, retrain=0.0, method="ssd"))
    assert all(c.holds is None and "no effect to remove" in c.untestable_reason for c in v.values())


def test_gradient_canceling_needs_three_points_and_nets_out_the_methods_own_damage():
    small = {("d", "gradient_canceling", "none", 0.0): {s: cell(0.01 + 0.001 * s, 0.0) for s in SEEDS},
             ("d", "gradient_canceling", "retrain", 100.0): {s: cell(0.0, 10.0) for s in SEEDS},
             ("d", "gradient_canceling", "gd", 10.0): {s: cell(0.009, 2.0, control_effect=0.0) for s in SEEDS}}
    assert "not ≥ 0.03" in verdicts(small, "gradient_canceling")["gd"].untestable_reason
    big = {("d", "gradient_canceling", "none", 0.0): {s: cell(0.06 + 0.001 * s, 0.0) for s in SEEDS},
           ("d", "gradient_canceling", "retrain", 100.0): {s: cell(0.001 * s, 10.0) for s in SEEDS},
           ("d", "gradient_canceling", "gd", 10.0): {s: cell(0.06 + 0.001 * s, 2.0, control_effect=0.06) for s in SEEDS}}
    gd = verdicts(big, "gradient_canceling")["gd"]
    assert gd.holds is False and abs(gd.value) < 0.1  # its whole "effect" was its own damage


def test_a_method_that_is_gd_in_disguise_is_not_separate_evidence():
    v = verdicts(table(method="cfk", whole=True))
    assert v["cfk"].holds is None and "whole model" in v["cfk"].untestable_reason


def test_retraining_cannot_remove_an_effect_the_poisons_do_not_have():
    """Gradient matching measures its effect against a same-seed twin: when the poisons do not beat
    it, "retraining removes the effect" is untestable, whatever none − retrain says."""
    from residue.experiments.poison_unlearning.claims import retrain_claims

    t = table(atk="gradient_matching")
    weak = [{"effect": 1.0 + (-1) ** s, "twin_effect": 1.0} for s in SEEDS]
    strong = [{"effect": 3.0 + 0.1 * s, "twin_effect": 1.0} for s in SEEDS]
    assert retrain_claims(t, "d", "gradient_matching", weak)[0].holds is None
    assert retrain_claims(t, "d", "gradient_matching", strong)[0].holds is True
    assert retrain_claims(t, "d", "gradient_matching")[0].holds is True  # no twins: none − retrain decides
