"""The on-disk form of a dataset: four ``.npy`` files and a manifest, no pickles.

Images are stored as uint8 ``(N, C, H, W)``; :meth:`Split.tensors` scales them to [0, 1] floats.
``.npy`` files written by NumPy are byte-for-byte deterministic, so DVC's content hash of a
dataset folder is the same on every machine that materialises it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DataError
from ..io import load_array, save_array, sha256_file, write_json

FILES = ("train_x.npy", "train_y.npy", "test_x.npy", "test_y.npy")


@dataclass(frozen=True)
class Split:
    x: np.ndarray  # uint8 (N, C, H, W)
    y: np.ndarray  # int64 (N,)
    scale: float = 255.0  # x / scale lies in [0, 1]

    def __len__(self) -> int:
        return len(self.y)

    def subset(self, idx: np.ndarray) -> "Split":
        return Split(self.x[idx], self.y[idx], self.scale)

    def tensors(self, device=None):
        """Float images in [0, 1] and long labels, as torch tensors."""
        import torch

        x = torch.from_numpy(self.x.astype(np.float32) / self.scale)
        y = torch.from_numpy(self.y.astype(np.int64))
        return x.to(device), y.to(device)


@dataclass(frozen=True)
class Dataset:
    name: str
    train: Split
    test: Split
    classes: list[str]

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.train.x.shape[1:])

    @property
    def num_classes(self) -> int:
        return len(self.classes)


def write(out: str | Path, name: str, train: Split, test: Split, classes: list[str], source: dict) -> None:
    """Write a dataset folder; the manifest is written last, so its presence means complete."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    arrays = {"train_x.npy": train.x, "train_y.npy": train.y, "test_x.npy": test.x, "test_y.npy": test.y}
    for fname, arr in arrays.items():
        save_array(out / fname, np.ascontiguousarray(arr))
    write_json(
        out / "manifest.json",
        {
            "name": name,
            "classes": classes,
            "scale": train.scale,
            "shape": list(train.x.shape[1:]),
            "sizes": {"train": len(train), "test": len(test)},
            "sha256": {f: sha256_file(out / f) for f in FILES},
            "source": source,
        },
    )


def load(name: str, root: str | Path = "data", verify: bool = True) -> Dataset:
    """Load ``root/name``; a missing or altered file raises :class:`DataError` naming it."""
    folder = Path(root) / name
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        raise DataError(
            f"{manifest_path} is missing: materialise the dataset with `make data` "
            f"(dvc repro prepare@{name})"
        )
    try:
        manifest = json.loads(manifest_path.read_text())
    except json.JSONDecodeError as e:
        raise DataError(f"{manifest_path} is not valid JSON ({e.msg}); re-run `make data`") from None
    for fname in FILES:
        path = folder / fname
        if not path.exists():
            raise DataError(f"{path} is missing; re-run `make data`")
        if verify and sha256_file(path) != manifest["sha256"][fname]:
            raise DataError(
                f"{path} is corrupted: its SHA-256 differs from {manifest_path}; "
                f"restore it with `make data` (or `dvc checkout --force`)"
            )
    try:
        train = Split(load_array(folder / "train_x.npy"), load_array(folder / "train_y.npy"), manifest["scale"])
        test = Split(load_array(folder / "test_x.npy"), load_array(folder / "test_y.npy"), manifest["scale"])
    except ValueError as e:
        raise DataError(f"{folder}: cannot read arrays ({e})") from None
    return Dataset(name=manifest["name"], train=train, test=test, classes=list(manifest["classes"]))
