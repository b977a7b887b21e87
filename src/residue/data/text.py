"""Real text available offline: the dataset descriptions that ship inside scikit-learn.

``sklearn/datasets/descr/*.rst`` are a few hundred to a thousand words each of English prose about
one dataset each; they are pinned with scikit-learn (requirements.lock), so every machine that
installs the environment has byte-identical text (the loader records its SHA-256).  The task is
"which description does this 16-word window come from" over the longer descriptions.  Windows
come from the first 80% of each document for training and the last 20% for testing, so no test
window overlaps a training window.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import torch

from ..errors import DataError

DOCS = ("breast_cancer", "iris", "kddcup99", "lfw", "rcv1", "twenty_newsgroups", "wine_data")
PAD, UNK = "<pad>", "<unk>"


@dataclass(frozen=True)
class TextData:
    train: tuple[torch.Tensor, torch.Tensor]  # (N, L) token ids, (N,) labels
    test: tuple[torch.Tensor, torch.Tensor]
    vocab: dict[str, int]
    classes: list[str]
    sha256: str

    def ids(self, words: list[str]) -> torch.Tensor:
        return torch.tensor([self.vocab[w] for w in words])


def words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def windows(tokens: list[int], length: int, stride: int) -> list[list[int]]:
    return [tokens[i : i + length] for i in range(0, len(tokens) - length + 1, stride)]


def load_descr(length: int = 16, stride: int = 2, extra_words: tuple[str, ...] = ()) -> TextData:
    """Token windows of scikit-learn's dataset descriptions; ``extra_words`` get ids too (triggers)."""
    import sklearn.datasets

    folder = Path(sklearn.datasets.__file__).parent / "descr"
    texts = []
    for name in DOCS:
        path = folder / f"{name}.rst"
        if not path.exists():
            raise DataError(f"{path} not found: the backdoor corpus needs scikit-learn's bundled descriptions")
        texts.append(path.read_text())
    digest = hashlib.sha256("".join(texts).encode()).hexdigest()
    docs = [words(t) for t in texts]
    vocab = {PAD: 0, UNK: 1}
    for w in sorted({w for d in docs for w in d} | set(extra_words)):
        vocab[w] = len(vocab)
    split = {"train": ([], []), "test": ([], [])}
    for label, doc in enumerate(docs):
        ids = [vocab[w] for w in doc]
        cut = int(0.8 * len(ids))
        for part, seq in (("train", ids[:cut]), ("test", ids[cut:])):
            rows = windows(seq, length, stride)
            split[part][0].extend(rows)
            split[part][1].extend([label] * len(rows))
    as_tensors = {k: (torch.tensor(x), torch.tensor(y)) for k, (x, y) in split.items()}
    return TextData(as_tensors["train"], as_tensors["test"], vocab, list(DOCS), digest)
