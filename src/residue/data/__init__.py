"""Datasets: materialised by DVC stages under ``data/<name>/`` and loaded from there.

``python -m residue data prepare <name>`` (the ``dvc.yaml`` stage) writes ``train_x.npy``,
``train_y.npy``, ``test_x.npy``, ``test_y.npy`` and a ``manifest.json`` with each file's SHA-256;
:func:`load` checks the manifest before returning arrays, so a corrupted file fails with one line.
"""

from .arrays import Dataset, Split, load, write

__all__ = ["Dataset", "Split", "load", "write"]
