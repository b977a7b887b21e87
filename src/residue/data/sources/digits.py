"""scikit-learn's bundled 8×8 digits (1797 images, 10 classes), split 75/25 with a fixed seed."""

from __future__ import annotations

import numpy as np

from ...registries import DATASETS
from ..arrays import Split, write


@DATASETS.register("digits")
def materialise(out: str, source: str | None = None) -> None:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    x = bunch.images.astype(np.uint8)[:, None]  # (N, 1, 8, 8), values 0..16
    y = bunch.target.astype(np.int64)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)
    write(
        out,
        "digits",
        Split(x_tr, y_tr, scale=16.0),
        Split(x_te, y_te, scale=16.0),
        classes=[str(c) for c in range(10)],
        source={"origin": "sklearn.datasets.load_digits", "split": "stratified 75/25, random_state=0"},
    )
