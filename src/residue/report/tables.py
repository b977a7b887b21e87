"""One table, three forms: CSV for tools, Markdown for REPORT.md, LaTeX for papers."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any, Sequence

from ..io import write_text


def _cell(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def to_markdown(rows: Sequence[dict], columns: Sequence[str]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(r.get(c, "")) for c in columns) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def to_latex(rows: Sequence[dict], columns: Sequence[str]) -> str:
    esc = lambda s: s.replace("_", r"\_").replace("%", r"\%").replace("±", r"$\pm$").replace("&", r"\&")
    lines = [r"\begin{tabular}{" + "l" * len(columns) + "}", r"\toprule", " & ".join(esc(c) for c in columns) + r" \\", r"\midrule"]
    lines += [" & ".join(esc(_cell(r.get(c, ""))) for c in columns) + r" \\" for r in rows]
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines) + "\n"


def to_csv(rows: Sequence[dict], columns: Sequence[str]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def write_table(stem: str | Path, rows: Sequence[dict], columns: Sequence[str]) -> list[Path]:
    """Write ``stem.csv``, ``stem.md`` and ``stem.tex``; return the paths."""
    stem = Path(stem)
    paths = []
    for ext, render in (("csv", to_csv), ("md", to_markdown), ("tex", to_latex)):
        path = stem.with_suffix(f".{ext}")
        write_text(path, render(rows, columns))
        paths.append(path)
    return paths
