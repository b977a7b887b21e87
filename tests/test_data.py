"""Datasets: real data load; missing, corrupted or malicious files fail with one clear line."""

import gzip
import hashlib
import pickle
import shutil

import numpy as np
import pytest

from residue.data import load
from residue.data.sources import cifar10, fashion_mnist
from residue.errors import DataError

from .conftest import ROOT, run


def test_digits_and_fashion_mnist_load():
    d = load("digits", ROOT / "data")
    assert d.train.x.shape == (1347, 1, 8, 8) and len(d.test) == 450 and d.num_classes == 10
    f = load("fashion_mnist", ROOT / "data", verify=False)
    assert f.train.x.shape == (60000, 1, 28, 28) and len(f.test) == 10000
    x, y = f.test.subset(np.arange(5)).tensors()
    assert x.dtype.is_floating_point and 0 <= x.min() and x.max() <= 1


def test_corrupted_and_missing_files_are_named(tmp_path):
    shutil.copytree(ROOT / "data" / "digits", tmp_path / "digits")
    with open(tmp_path / "digits" / "train_y.npy", "r+b") as f:
        f.seek(-1, 2)
        f.write(b"\x07")
    with pytest.raises(DataError, match=r"digits/train_y.npy is corrupted"):
        load("digits", tmp_path)
    (tmp_path / "digits" / "test_x.npy").unlink()
    with pytest.raises(DataError, match=r"digits/test_x.npy is missing"):
        load("digits", tmp_path, verify=False)
    with pytest.raises(DataError, match=r"nothing/manifest.json is missing: materialise"):
        load("nothing", tmp_path)


def test_fashion_mnist_checks_decompressed_sha256(tmp_path):
    raw = b"\x00\x00\x08\x01" + (3).to_bytes(4, "big") + bytes([1, 2, 3])
    with gzip.open(tmp_path / "train-labels-idx1-ubyte.gz", "wb") as f:
        f.write(raw)
    good = {"train-labels-idx1-ubyte": hashlib.sha256(raw).hexdigest()}
    assert fashion_mnist.read_idx(tmp_path, "train-labels-idx1-ubyte", good).tolist() == [1, 2, 3]
    with pytest.raises(DataError, match="is corrupted: SHA-256"):
        fashion_mnist.read_idx(tmp_path, "train-labels-idx1-ubyte")  # the published hash
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte\\(.gz\\) is missing"):
        fashion_mnist.read_idx(tmp_path, "t10k-images-idx3-ubyte", good)


def write_fake_cifar(folder, n=4):
    """A cifar-10-batches-py look-alike: pickled dicts of uint8 arrays, as the official batches."""
    folder.mkdir()
    rng = np.random.default_rng(0)
    md5 = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8), b"labels": list(rng.integers(0, 10, n))}
        raw = pickle.dumps(batch, protocol=2)
        (folder / name).write_bytes(raw)
        md5[name] = hashlib.md5(raw).hexdigest()
    return md5


def test_cifar10_loads_a_fake_folder_with_its_checksums(tmp_path):
    md5 = write_fake_cifar(tmp_path / "cifar-10-batches-py")
    cifar10.materialise(str(tmp_path / "out"), str(tmp_path / "cifar-10-batches-py"), md5=md5)
    d = load("out", tmp_path)
    assert d.train.x.shape == (20, 3, 32, 32) and d.test.x.shape == (4, 3, 32, 32)


def test_cifar10_refuses_unknown_files_before_unpickling(tmp_path):
    write_fake_cifar(tmp_path / "c")
    with pytest.raises(DataError, match="data_batch_1 is corrupted or not the official batch: MD5"):
        cifar10.materialise(str(tmp_path / "out"), str(tmp_path / "c"))  # published MD5s


class Evil:
    def __reduce__(self):
        return (shutil.rmtree, ("/nonexistent-residue-test",))


def test_restricted_unpickler_refuses_code_even_with_a_matching_hash(tmp_path):
    md5 = write_fake_cifar(tmp_path / "c")
    raw = pickle.dumps({b"data": Evil(), b"labels": []}, protocol=2)
    (tmp_path / "c" / "data_batch_1").write_bytes(raw)
    md5["data_batch_1"] = hashlib.md5(raw).hexdigest()
    with pytest.raises(DataError, match="global shutil.rmtree is not allowed"):
        cifar10.materialise(str(tmp_path / "out"), str(tmp_path / "c"), md5=md5)


def test_cli_reports_a_missing_source_in_one_line(tmp_path):
    out = run(["python", "-m", "residue", "data", "prepare", "cifar10", "--source", str(tmp_path / "none"), "--out", str(tmp_path / "o")], cwd=ROOT)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [f"error: CIFAR-10 folder {tmp_path / 'none'} not found; expected cifar-10-batches-py"]
