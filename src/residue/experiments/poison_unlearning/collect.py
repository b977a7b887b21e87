"""Read every metrics.json of the experiment into per-cell lists keyed by identity."""

from __future__ import annotations

from collections import defaultdict

from ...io import read_json

REFERENCES = ("none", "retrain")


def key(setting: dict) -> str:
    """A setting's name in paths and tables: ``name`` when given, else the attack."""
    return setting.get("name") or setting["attack"]


def cells(paths) -> dict:
    """{(dataset, attack, method, budget): {seed: metrics}} for the unlearning jobs."""
    out: dict = defaultdict(dict)
    for p in paths:
        m = read_json(p)
        s = m["spec"]
        for budget, per_seed in m["metrics"]["per_budget"].items():
            for seed, metrics in per_seed.items():
                out[(s["setting"]["dataset"], key(s["setting"]), s["method"], float(budget))][int(seed)] = {**metrics, "hp": m["metrics"]["hp"]}
    return dict(out)


def by_setting(paths) -> dict:
    """{(dataset, attack): [metrics, ...]} for poison or tuning jobs (tuning: keyed with the method)."""
    out: dict = defaultdict(list)
    for p in paths:
        m = read_json(p)
        s = m["spec"]
        ident = (s["setting"]["dataset"], key(s["setting"])) + ((s["method"],) if m["job"].endswith("tune") else ())
        out[ident].append(m["metrics"])
    return dict(out)


def settings(table: dict) -> list[tuple[str, str]]:
    return sorted({k[:2] for k in table})


def methods(table: dict) -> list[str]:
    return sorted({k[2] for k in table} - set(REFERENCES))


def budgets(table: dict) -> list[float]:
    return sorted({k[3] for k in table if k[2] not in REFERENCES})


def series(table: dict, ds: str, atk: str, method: str, budget: float, key: str = "effect") -> dict[int, float]:
    return {seed: m[key] for seed, m in table.get((ds, atk, method, budget), {}).items()}


def reference(table: dict, ds: str, atk: str, method: str, key: str = "effect") -> dict[int, float]:
    (cell,) = [v for k, v in table.items() if k[:3] == (ds, atk, method)]
    return {seed: m[key] for seed, m in cell.items()}
