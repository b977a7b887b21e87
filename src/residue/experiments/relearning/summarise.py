"""``relearning.summarise``: the table, the claims and the figures of P4.

Claims (criteria fixed before any run; PAPERS.md §P4 "Claims to check"). The unit is the unlearned
model (one per seed, all from the one original model): DiMRA's results are averaged over the
auxiliary sets within a seed first, so the CI runs over seeds only.
  * ``P4.<m>.ua`` — each finetuning-based baseline reaches high UA: ci95 low of UA > 0.8;
  * ``P4.<m>.quality`` — … with a small quality cost, stated against the real-data floor (fixed
    before any unlearned model was scored with it): ci95 high of KID(unlearned) − KID(original) <
    ½ (KID(original) − KID(real floor)), i.e. the unlearned model's distance to real data, above
    the floor, grows by less than half of the original's (the floor-corrected form of the first
    pass's "Fréchet ratio < 1.5"); KID on 1,008 retained-class generations per model;
  * ``P4.<m>.dimra_relearns`` — DiMRA brings c_f back for finetuning-based methods: the paired UA
    drop (UA before DiMRA − UA after) of each unlearned model, ci95 low > 0.5 (issue #16, item 5;
    the first passes read 1 − UA after, the same number where UA before is 1); untestable where the
    method did not unlearn (mean UA < 0.8);
  * ``P4.<dimum>.ua_under_dimra`` — DiMUM keeps UA high under DiMRA: ci95 low of UA after DiMRA > 0.8;
    untestable where DiMUM did not unlearn or DiMRA brings back no baseline (no attack to resist);
  * ``P4.<dimum>.resists_better`` — DiMUM resists DiMRA better than the baselines it reverses, per
    seed under the same attack (seed, auxiliary sets): UA after DiMRA of DiMUM minus the mean UA
    after DiMRA of the finetuning baselines whose ``dimra_relearns`` holds, ci95 low > 0;
    untestable where DiMUM did not unlearn or DiMRA reverses no baseline;
  * ``P4.<dimum>.quality`` — … and keeps quality: the same KID criterion as the baselines;
  * ``P4.retrain.not_relearned`` — the control: ci95 low of UA after DiMRA on the retrained model > 0.8;
    untestable when DiMRA brings back no baseline.
"""

from __future__ import annotations

from collections import defaultdict

from ...claims import Criterion, ci_above, make_claim, requires, tally
from ...io import read_json, write_json
from ...registries import JOBS
from ...report.tables import write_table
from ...stats import Estimate, mean_ci
from . import figures

PAPER = "2512.03564"
FAMILY = {"retrain": "retrain", "dimum": "dimum"}  # every other registered method is finetuning-based


def family(method: str) -> str:
    return FAMILY.get(method, "finetuning")


def collect(ctx):
    """Metrics keyed by (name, seed) for unlearning and (name, aux, seed) for DiMRA."""
    unl, att = {}, {}
    for p in ctx.inputs["unlearn"]:
        m = read_json(p)
        unl.update({(m["spec"]["name"], int(s)): v for s, v in m["metrics"]["per_seed"].items()})
    for p in ctx.inputs["dimra"]:
        m = read_json(p)
        att.update({(m["spec"]["name"], a, int(s)): v for a, runs in m["metrics"]["per_aux"].items() for s, v in runs.items()})
    return unl, att


UNIT = "unlearned model (seed)"
UNLEARNED = 0.8  # UA before DiMRA below which there is nothing for DiMRA to bring back
QUALITY_SHARE = 0.5  # the allowed KID increase, as a share of the original's KID above the real floor


def quality_criterion(original: dict) -> Criterion:
    """ci95 high of KID(unlearned) − KID(original) < ½ (KID(original) − KID(real floor))."""
    t = QUALITY_SHARE * (original["kid"] - original["kid_real_floor"])
    return Criterion(f"ci95 high < {QUALITY_SHARE:g} × (KID original {original['kid']:.4g} − KID real floor "
                     f"{original['kid_real_floor']:.4g}) = {t:.4g}", lambda e: e.hi < t)


def claims_for(names, kinds, unl, att, original, aux_sets, seeds):
    kid0, small_cost = original["kid"], quality_criterion(original)
    ua = {n: [unl[(n, s)]["ua"] for s in seeds] for n in names}
    after = {n: [sum(att[(n, a, s)]["ua"] for a in aux_sets) / len(aux_sets) for s in seeds] for n in names}
    unlearned = {n: requires(sum(ua[n]) / len(seeds) >= UNLEARNED,
                             f"{n} did not unlearn (mean UA {sum(ua[n]) / len(seeds):.2f} < {UNLEARNED})") for n in names}
    relearns = {n: make_claim(f"P4.{n}.dimra_relearns", PAPER, f"DiMRA brings the forgotten class back after {n}",
                              "UA before DiMRA − UA after, after averaged over aux sets per seed",
                              mean_ci([b - a for b, a in zip(ua[n], after[n])]),
                              ci_above(0.5), unit=UNIT, direction="c_f returns", reqs=[unlearned[n]])
                for n in names if kinds[n] == "finetuning"}
    reversed_ = [n for n, c in relearns.items() if c.holds]
    bites = requires(bool(reversed_), "DiMRA brings c_f back after no finetuning baseline: no attack to resist")
    baseline_after = [sum(after[n][i] for n in reversed_) / len(reversed_) for i in range(len(seeds))] if reversed_ else []
    out = []
    for name in names:
        quality = make_claim(f"P4.{name}.quality", PAPER, f"{name} keeps retained-class quality (small cost)",
                             "KID(unlearned) − KID(original), classifier features, 1,008 retained-class samples",
                             mean_ci([unl[(name, s)]["kid"] - kid0 for s in seeds]), small_cost, unit=UNIT, direction="small cost")
        under = lambda claim_id, text, reqs: make_claim(claim_id, PAPER, text, "UA after DiMRA, mean over aux sets per seed",
                                                        mean_ci(after[name]), ci_above(0.8), unit=UNIT, direction="UA stays high", reqs=reqs)
        if kinds[name] == "finetuning":
            out += [make_claim(f"P4.{name}.ua", PAPER, f"{name} reaches high unlearning accuracy", "UA", mean_ci(ua[name]),
                               ci_above(0.8), unit=UNIT, direction="high UA"), quality, relearns[name]]
        elif kinds[name] == "dimum":
            better = make_claim(f"P4.{name}.resists_better", PAPER, f"{name} resists DiMRA better than the finetuning baselines it reverses",
                                f"UA after DiMRA of {name} − mean UA after DiMRA of the reversed baselines "
                                f"({', '.join(reversed_) or 'none'}), same seed and aux sets",
                                mean_ci([d - b for d, b in zip(after[name], baseline_after)]) if reversed_ else Estimate.empty(),
                                ci_above(0.0), unit=UNIT, direction="DiMUM keeps more UA", reqs=[unlearned[name], bites])
            out += [under(f"P4.{name}.ua_under_dimra", f"{name} keeps UA high under DiMRA", [unlearned[name], bites]), better, quality]
        else:
            out.append(under(f"P4.{name}.not_relearned", "DiMRA does not bring c_f back in the retrained model", [bites]))
    return out


def kid_text(kid: float, spread: float) -> str:
    """KID ×10³ with its subset spread (one model) — the table's unit."""
    return f"{1e3 * kid:.2f} (±{1e3 * spread:.2f})"


def table_rows(names, kinds, unl, att, original, aux_sets, seeds):
    """KID ×10³: for the original and the floor, the value and (±) its spread over KID subsets; for the
    methods, mean ± 95% CI half-width over seeds."""
    rows = [{"method": "original (reference)", "family": "-", "UA": f"{original['ua']:.3f}",
             "retained acc": f"{original['retained_accuracy']:.3f}", "KID ×10³": kid_text(original["kid"], original["kid_std"]),
             **{f"UA after DiMRA ({a})": "-" for a in aux_sets}},
            {"method": "real test images (floor)", "family": "-", "UA": "-", "retained acc": "-",
             "KID ×10³": kid_text(original["kid_real_floor"], original["kid_real_floor_std"]),
             **{f"UA after DiMRA ({a})": "-" for a in aux_sets}}]
    for name in names:
        m = [unl[(name, s)] for s in seeds]
        rows.append({
            "method": name, "family": kinds[name],
            "UA": mean_ci([x["ua"] for x in m]).fmt(3),
            "retained acc": mean_ci([x["retained_accuracy"] for x in m]).fmt(3),
            "KID ×10³": mean_ci([1e3 * x["kid"] for x in m]).fmt(2),
            **{f"UA after DiMRA ({a})": mean_ci([att[(name, a, s)]["ua"] for s in seeds]).fmt(3) for a in aux_sets},
        })
    return rows


def both_rows(names, kinds, unl, att, original, aux_sets, seeds, poison):
    """One table for both model families: the attack's residue before unlearning, after unlearning and
    after the relearning attack (diffusion: c_f rate 1 − UA under DiMRA; classifiers, beyond the paper:
    P1's effect after fine-tuning on clean D_r)."""
    rows = []
    for name in names:
        before = mean_ci([1 - unl[(name, s)]["ua"] for s in seeds])
        for a in aux_sets:
            after = [1 - att[(name, a, s)]["ua"] for s in seeds]
            steps = att[(name, a, seeds[0])]["curve"]["step"][-1]
            rows.append({"model": "diffusion (P4)", "method": name, "family": kinds[name], "residue measured": "c_f rate (1 − UA)",
                         "before unlearning": f"{1 - original['ua']:.3f}", "after unlearning": before.fmt(3),
                         "relearning attack": f"DiMRA on {a}, {steps} steps", "after relearning": mean_ci(after).fmt(3),
                         "change": mean_ci([x - (1 - unl[(name, s)]["ua"]) for x, s in zip(after, seeds)]).fmt(3)})
    for m in poison:
        p1, runs = m["spec"]["p1"], list(m["metrics"]["per_seed"].values())
        rows.append({"model": f"classifier (P1, {p1['setting']['dataset']}/{p1['setting']['attack']})", "method": p1["method"],
                     "family": "classifier unlearning", "residue measured": "P1 effect (−z of GUS)",
                     "before unlearning": mean_ci([r["poisoned_effect"] for r in runs]).fmt(2),
                     "after unlearning": mean_ci([r["effect"][0] for r in runs]).fmt(2),
                     "relearning attack": f"fine-tune on D_r, {runs[0]['step'][-1]} steps",
                     "after relearning": mean_ci([r["effect"][-1] for r in runs]).fmt(2),
                     "change": mean_ci([r["effect"][-1] - r["effect"][0] for r in runs]).fmt(2)})
    return rows


@JOBS.register("relearning.summarise")
def summarise(ctx) -> None:
    spec = ctx.spec
    seeds, aux_sets = spec["seeds"], spec["aux"]
    kinds = {n: family(m) for n, m in spec["methods"].items()}
    names = list(spec["methods"])
    unl, att = collect(ctx)
    original = read_json(ctx.inputs["original"][0])["metrics"]
    clf = read_json(ctx.inputs["classifier"][0])["metrics"]
    rows = table_rows(names, kinds, unl, att, original, aux_sets, seeds)
    claims = claims_for(names, kinds, unl, att, original, aux_sets, seeds)
    paths = write_table(ctx.outputs["table"].with_suffix(""), rows, list(rows[0]))
    poison = [read_json(p) for p in ctx.inputs.get("poison", [])]
    both = both_rows(names, kinds, unl, att, original, aux_sets, seeds, poison)
    paths += write_table(ctx.outputs["both"].with_suffix(""), both, list(both[0]))
    write_json(ctx.outputs["claims"], [c.to_dict() for c in claims])
    curves = defaultdict(dict)
    for (name, aux, seed), m in att.items():
        curves[(name, aux)][seed] = m["curve"]
    paths += figures.relearning_curves(ctx.outputs["curves"].with_suffix(""), names, aux_sets, curves, original["ua"])
    paths += figures.quality_vs_ua(ctx.outputs["scatter"].with_suffix(""), names, kinds, unl, original, seeds)
    paths += figures.sample_grids(ctx.outputs["grids"].with_suffix(""), names, ctx.inputs, spec["grid_aux"])
    for p in paths + [ctx.outputs["claims"]]:
        ctx.record.log_artifact(p)
    print(f"[summary] classifier test accuracy {clf['test_accuracy']:.4f}; "
          f"claims {tally([c.to_dict() for c in claims])}", flush=True)
