"""Merge every experiment's claims and render ``results/REPORT.md``.

REPORT.md opens with one line per paper — claims that hold, fail and are untestable — then the
claims table (paper, claim, the paper's value or stated direction, our value and 95% CI as an
interval, n and unit, criterion, verdict or the reason it is untestable), the sanity checks apart
(they hold by construction and are not counted), and per experiment its tables and figures.  The
``run.json`` beside every ``metrics.json`` names the MLflow run, commit and config hash.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..claims import tally
from ..errors import ResidueError
from ..io import read_json, write_json, write_text
from .tables import to_markdown

PAPERS = {
    "2406.17216": "P1 unlearning vs poisoning",
    "2212.10717": "P2 camouflaged poisoning",
    "2508.12148": "P3 FB-Mem",
    "2512.03564": "P4 DiMRA / DiMUM",
    "baseline": "baselines",
}


def merge_claims(paths: list[Path], out: Path, profile: str | None = None) -> list[dict]:
    """Concatenate the experiments' claims in the order given (the config's experiment order).

    With ``profile``, every claim must come from that profile's runs (its ``config`` field): a
    report never mixes profiles."""
    claims = [c for p in paths for c in read_json(p)]
    if profile is not None and (alien := sorted({c["config"] for c in claims} - {profile})):
        raise ResidueError(f"claims of profile {', '.join(alien)} in a report of profile {profile}; "
                           f"re-run the {profile} profile's experiments")
    ids = [c["id"] for c in claims]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise ValueError(f"duplicate claim ids: {sorted(dup)}")
    write_json(out, claims)
    return claims


def paper_of(c: dict) -> str:
    return PAPERS.get(c["paper"], c["paper"])


def fmt_value(c: dict) -> str:
    """``value [lo, hi]``: an interval as an interval (asymmetric ones stay asymmetric)."""
    if c["value"] is None:
        return "n/a"
    if c["ci95"] is None or c["ci95"][0] == c["ci95"][1]:
        return f"{c['value']:.4g}"
    lo, hi = c["ci95"]
    return f"{c['value']:.4g} [{lo:.4g}, {hi:.4g}]"


def fmt_verdict(c: dict) -> str:
    if c["holds"] is None:
        return f"untestable: {c['untestable_reason']}"
    return "holds" if c["holds"] else "**fails**"


def fmt_paper(c: dict) -> str:
    if c.get("paper_value") is not None:
        return f"{c['paper_value']:.4g}"
    return c.get("direction") or "—"


def claims_table(claims: list[dict]) -> str:
    rows = [{
        "id": c["id"],
        "claim": c["claim"],
        "paper says": fmt_paper(c),
        "ours [95% CI]": fmt_value(c),
        "n (unit)": f"{c['n']} ({c['unit']})",
        "criterion": c["criterion"],
        "verdict": fmt_verdict(c),
    } for c in claims]
    return to_markdown(rows, list(rows[0])) if rows else "_none_\n"


def summary_lines(claims: list[dict]) -> list[str]:
    order = list(dict.fromkeys(paper_of(c) for c in claims))
    lines = ["| paper | hold | fail | untestable | sanity checks |", "|---|---|---|---|---|"]
    for p in order:
        t = tally([c for c in claims if paper_of(c) == p])
        lines.append(f"| {p} | {t['hold']} | {t['fail']} | {t['untestable']} | {t['sanity']} |")
    return lines


def render(claims: list[dict], experiments: list[str], out: Path, results: Path = Path("results"),
           figures: Path = Path("figures")) -> None:
    rel = lambda p: os.path.relpath(p, out.parent)
    t = tally(claims)
    real = [c for c in claims if c["kind"] == "claim"]
    parts = [
        "# residue: reproduction report\n",
        f"Profile `{os.environ.get('RESIDUE_PROFILE', 'adhoc')}`, config sha256 "
        f"`{os.environ.get('RESIDUE_CONFIG_SHA256', 'unknown')[:12]}`. Of {len(real)} paper claims "
        f"{t['hold']} hold, {t['fail']} fail and {t['untestable']} are untestable (a precondition failed: "
        "no effect to remove, the method did not act, too few independent units, or a missing value); "
        f"{t['sanity']} sanity checks (true by construction when the code is right) are shown apart and not "
        "counted. Every number below comes "
        "from a `metrics.json` under `results/`; the `run.json` beside it names its MLflow run, commit "
        "and config hash. CIs are 95% intervals over the independent units named in each row.\n",
        "\n".join(summary_lines(claims)) + "\n",
        "## Claims\n",
        claims_table(real),
        "## Sanity checks\n",
        "Computed and shown; they hold by construction when the code is right, so they are not evidence "
        "for or against a paper.\n",
        claims_table([c for c in claims if c["kind"] == "sanity"]),
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
