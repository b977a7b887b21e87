"""Fashion-MNIST from the idx files of Debian's ``dataset-fashion-mnist`` package or a given folder.

The folder is found in this order: the ``--source`` argument, ``$FASHION_MNIST_DIR``, then the
Debian package's ``/usr/share/datasets/fashion-mnist``.  Each file may be gzipped or not; the
SHA-256 of its *decompressed* bytes must equal the published one before it is parsed.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path

import numpy as np

from ...errors import DataError
from ...registries import DATASETS
from ..arrays import Split, write

DEBIAN_DIR = "/usr/share/datasets/fashion-mnist"
SHA256 = {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def find_source(source: str | None) -> Path:
    folder = Path(source or os.environ.get("FASHION_MNIST_DIR") or DEBIAN_DIR)
    if not folder.is_dir():
        raise DataError(
            f"Fashion-MNIST folder {folder} not found: `apt-get install dataset-fashion-mnist` "
            "or set FASHION_MNIST_DIR to a folder holding the four idx files"
        )
    return folder


def read_idx(folder: Path, stem: str, sha256: dict[str, str] = SHA256) -> np.ndarray:
    """Read one idx file after checking the SHA-256 of its decompressed bytes."""
    for path, opener in ((folder / f"{stem}.gz", gzip.open), (folder / stem, open)):
        if path.exists():
            try:
                with opener(path, "rb") as f:
                    raw = f.read()
            except (OSError, EOFError) as e:
                raise DataError(f"{path} cannot be read ({e})") from None
            break
    else:
        raise DataError(f"{folder / stem}(.gz) is missing; expected the Fashion-MNIST idx file")
    if hashlib.sha256(raw).hexdigest() != sha256[stem]:
        raise DataError(f"{path} is corrupted: SHA-256 of its content is not {sha256[stem]}")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


@DATASETS.register("fashion_mnist")
def materialise(out: str, source: str | None = None) -> None:
    folder = find_source(source)
    train = Split(read_idx(folder, "train-images-idx3-ubyte")[:, None], read_idx(folder, "train-labels-idx1-ubyte").astype(np.int64))
    test = Split(read_idx(folder, "t10k-images-idx3-ubyte")[:, None], read_idx(folder, "t10k-labels-idx1-ubyte").astype(np.int64))
    write(out, "fashion_mnist", train, test, CLASSES, {"origin": "Fashion-MNIST idx files", "sha256": SHA256})
