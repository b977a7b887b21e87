"""Merge every experiment's claims and render ``results/REPORT.md``.

REPORT.md shows, per experiment, its tables (the Markdown forms) and figures, then one claims
table: paper, claim, paper value, our value ± 95% CI, n, criterion, holds.  Each experiment's
section ends with the lineage pointers: the ``run.json`` files name the MLflow run, commit and
config hash behind every number.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..io import read_json, write_json, write_text
from .tables import to_markdown

PAPERS = {
    "2406.17216": "P1 unlearning vs poisoning",
    "2212.10717": "P2 camouflaged poisoning",
    "2508.12148": "P3 FB-Mem",
    "2512.03564": "P4 DiMRA / DiMUM",
    "baseline": "baselines",
}


def merge_claims(paths: list[Path], out: Path) -> list[dict]:
    """Concatenate the experiments' claims in the order given (the config's experiment order)."""
    claims = [c for p in paths for c in read_json(p)]
    ids = [c["id"] for c in claims]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise ValueError(f"duplicate claim ids: {sorted(dup)}")
    write_json(out, claims)
    return claims


def claims_table(claims: list[dict]) -> str:
    rows = []
    for c in claims:
        half = (c["ci95"][1] - c["ci95"][0]) / 2
        rows.append({
            "id": c["id"],
            "paper": PAPERS.get(c["paper"], c["paper"]),
            "claim": c["claim"],
            "paper value": "—" if c["paper_value"] is None else f"{c['paper_value']:.4g}",
            "ours (± 95% CI)": f"{c['value']:.4g} ± {half:.2g}",
            "n": c["n"],
            "criterion": c["criterion"],
            "holds": "yes" if c["holds"] else "**no**",
        })
    return to_markdown(rows, list(rows[0])) if rows else "_no claims_\n"


def render(claims: list[dict], experiments: list[str], out: Path, results: Path = Path("results"),
           figures: Path = Path("figures")) -> None:
    rel = lambda p: os.path.relpath(p, out.parent)
    held = sum(c["holds"] for c in claims)
    parts = [
        "# residue: reproduction report\n",
        f"Profile `{os.environ.get('RESIDUE_PROFILE', 'adhoc')}`, config sha256 "
        f"`{os.environ.get('RESIDUE_CONFIG_SHA256', 'unknown')[:12]}`. "
        f"{held} of {len(claims)} claims hold. Every number below comes from a `metrics.json` under "
        "`results/`; the `run.json` beside it names its MLflow run, commit and config hash.\n",
        "## Claims\n",
        claims_table(claims),
    ]
    for exp in experiments:
        parts.append(f"\n## {exp}\n")
        readme = Path("experiments") / exp / "README.md"
        if readme.exists():
            parts.append(f"Protocol, deviations and mapping to the paper: [{readme}]({rel(readme)}).\n")
        for table in sorted((results / exp).glob("*.md")):
            parts.append(f"\n**{table.stem}**\n\n{table.read_text()}")
        for fig in sorted((figures / exp).glob("*.png")):
            parts.append(f"\n![{fig.stem}]({rel(fig)})\n")
    write_text(out, "\n".join(parts))
