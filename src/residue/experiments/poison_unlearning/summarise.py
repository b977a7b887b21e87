"""``poison_unlearning.summarise``: the (attack, method, budget) table, the figures and the claims."""

from __future__ import annotations

from ...io import read_json, write_json
from ...registries import JOBS
from ...report.tables import write_table
from ...stats import mean_ci
from . import figures
from .claims import acted, all_claims, movement
from .collect import REFERENCES, by_setting, cells


def acted_cell(table, ds, atk, m, b) -> str:
    """The table's "acted" column: the claims' rule (relative to GD at the same budget)."""
    if m in REFERENCES:
        return "-"
    rel, rise = movement(table, ds, atk, m, b)
    return f"{'yes' if acted(table, ds, atk, m, b).ok else '**no**'} ({rel:.2f}, {rise:+.2f})"


def table_rows(table) -> list[dict]:
    rows = []
    for (ds, atk, m, b), by_seed in sorted(table.items()):
        ms = [by_seed[s] for s in sorted(by_seed)]
        rows.append({"dataset": ds, "attack": atk, "method": m, "budget %": b, "seeds": len(ms),
                     "acted (rel. ‖Δθ‖, Δ forget loss)": acted_cell(table, ds, atk, m, b),
                     "effect": mean_ci([x["effect"] for x in ms]).fmt(3),
                     "test accuracy": mean_ci([x["test_accuracy"] for x in ms]).fmt(3),
                     "calibrated MIA TPR@1%": mean_ci([x["mia_tpr_at_1pct"] for x in ms]).fmt(3) if "mia_tpr_at_1pct" in ms[0] else "-",
                     "hp": " ".join(f"{k}={v}" for k, v in sorted(ms[0]["hp"].items()))})
    return rows


@JOBS.register("poison_unlearning.summarise")
def summarise(ctx) -> None:
    table = cells(ctx.inputs["unlearn"])
    poisoned = by_setting(ctx.inputs["poisoned"])
    tuning = by_setting(ctx.inputs.get("tuning", []))
    hyp = [read_json(p)["metrics"] for p in ctx.inputs.get("hypotheses", [])]
    out = ctx.outputs
    rows = table_rows(table)
    paths = write_table(out["table"].with_suffix(""), rows, list(rows[0]))
    paths += figures.effect_vs_budget(table, out["effect_fig"].with_suffix(""))
    gaussian = [k for k in poisoned if k[1] == "gaussian"]
    if gaussian:
        ds = gaussian[0][0]
        paths += figures.gus_histograms(table, poisoned[gaussian[0]], ds, out["gus_fig"].with_suffix(""))
        paths += figures.mia_vs_gus(table, ds, out["mia_fig"].with_suffix(""))
    if hyp:
        paths += figures.hypotheses(hyp, out["hyp_fig"].with_suffix(""))
    paths += figures.removal_vs_utility(tuning, out["tuning_fig"].with_suffix(""))
    claims = all_claims(table, poisoned, tuning, hyp)
    write_json(out["claims"], [c.to_dict() for c in claims])
    for p in paths + [out["claims"]]:
        ctx.record.log_artifact(p)
