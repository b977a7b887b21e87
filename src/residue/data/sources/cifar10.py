"""CIFAR-10 from the standard ``cifar-10-batches-py`` folder given by path (paper profile).

The batches are Python pickles, so they are treated as untrusted: each file's MD5 must match the
published one *before* it is opened, and even then it is read with :class:`RestrictedUnpickler`,
which resolves only the few NumPy globals that the official batches reference.
"""

from __future__ import annotations

import hashlib
import io
import pickle
from pathlib import Path

import numpy as np

from ...errors import DataError
from ...registries import DATASETS
from ..arrays import Split, write

# The MD5 sums published with the official archive's python batches.
MD5 = {
    "data_batch_1": "c99cafc152244af753f735de768cd75f",
    "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
    "data_batch_3": "54ebc095f3ab1f0389bbae665268c751",
    "data_batch_4": "634d18415352ddfa80567beed471001a",
    "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb",
    "test_batch": "40351d587109b95175f43aff81a1287e",
}
CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that refuses every global but NumPy's array reconstruction helpers."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("_codecs", "encode"),  # bytes pickled by Python 3 at protocol 2; encodes text, nothing else
    }

    def find_class(self, module: str, name: str):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"global {module}.{name} is not allowed in a CIFAR-10 batch")
        import codecs

        from numpy._core import multiarray

        owner = {"numpy": np, "_codecs": codecs}.get(module, multiarray)
        return getattr(owner, name)


def read_batch(folder: Path, name: str, md5: dict[str, str]) -> tuple[np.ndarray, np.ndarray]:
    path = folder / name
    if not path.exists():
        raise DataError(f"{path} is missing; expected the CIFAR-10 python batch {name}")
    raw = path.read_bytes()
    if hashlib.md5(raw).hexdigest() != md5[name]:
        raise DataError(f"{path} is corrupted or not the official batch: MD5 is not {md5[name]}")
    try:
        batch = RestrictedUnpickler(io.BytesIO(raw), encoding="bytes").load()
        data = np.asarray(batch[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
        labels = np.asarray(batch[b"labels"], dtype=np.int64)
    except (pickle.UnpicklingError, KeyError, ValueError, EOFError) as e:
        raise DataError(f"{path} is not a valid CIFAR-10 batch ({e})") from None
    return data, labels


@DATASETS.register("cifar10")
def materialise(out: str, source: str | None = None, md5: dict[str, str] = MD5) -> None:
    if not source:
        raise DataError("cifar10 needs --source: the path of a cifar-10-batches-py folder")
    folder = Path(source)
    if not folder.is_dir():
        raise DataError(f"CIFAR-10 folder {folder} not found; expected cifar-10-batches-py")
    parts = [read_batch(folder, f"data_batch_{i}", md5) for i in range(1, 6)]
    train = Split(np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))
    test = Split(*read_batch(folder, "test_batch", md5))
    write(out, "cifar10", train, test, CLASSES, {"origin": "cifar-10-batches-py", "md5": md5})
