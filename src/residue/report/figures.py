"""Every figure is drawn with matplotlib (Agg) and saved as PNG and PDF, atomically."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ..io import atomic_path  # noqa: E402

plt.rcParams.update({"figure.dpi": 110, "savefig.bbox": "tight", "axes.spines.top": False, "axes.spines.right": False})
# Deterministic PDFs: no creation date, fixed hash salt for SVG-like ids.
PDF_META = {"CreationDate": None}


def save(fig, stem: str | Path) -> list[Path]:
    """Save ``fig`` as ``stem.png`` and ``stem.pdf``, close it, return the paths."""
    stem = Path(stem)
    paths = []
    for ext in ("png", "pdf"):
        path = stem.with_suffix(f".{ext}")
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=ext, metadata=PDF_META if ext == "pdf" else None)
        paths.append(path)
    plt.close(fig)
    return paths


def subplots(*args, **kwargs):
    return plt.subplots(*args, **kwargs)
