"""Issue #18, a newcomer's path without traps: each bad input gives one line naming the file or
key and the fix, and a failure never leaves the run state inconsistent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from residue.errors import CheckpointError
from residue.io import checksum_path, load_torch, resume_state, save_torch

ROOT = Path(__file__).resolve().parents[1]


# --- checkpoints carry a content hash -------------------------------------------------------

def _saved(tmp_path) -> Path:
    path = tmp_path / "model.pt"
    save_torch(path, {"w": torch.arange(1000, dtype=torch.float32)})
    return path


def test_a_saved_model_round_trips_with_its_checksum(tmp_path):
    path = _saved(tmp_path)
    assert checksum_path(path).read_text().split() [1] == "model.pt"
    assert torch.equal(load_torch(path)["w"], torch.arange(1000, dtype=torch.float32))


def test_a_truncated_model_is_one_line_naming_the_file_and_the_fix(tmp_path):
    path = _saved(tmp_path)
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(CheckpointError) as e:
        load_torch(path)
    msg = str(e.value)
    assert "\n" not in msg and str(path) in msg and "corrupted" in msg and "re-run" in msg


def test_a_byte_flipped_model_of_the_same_size_is_refused(tmp_path):
    path = _saved(tmp_path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="corrupted"):
        load_torch(path)


def test_a_model_without_its_checksum_is_refused(tmp_path):
    path = _saved(tmp_path)
    checksum_path(path).unlink()
    with pytest.raises(CheckpointError, match="no checksum"):
        load_torch(path)


def test_a_corrupt_resumable_checkpoint_is_discarded_with_one_warning(tmp_path, capsys):
    path = tmp_path / "train.ckpt"
    save_torch(path, {"epoch": 3})
    assert resume_state(path) == {"epoch": 3}
    path.write_bytes(path.read_bytes()[:100])
    assert resume_state(path) is None
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("warning:") and "training from the start" in err
    assert not path.exists() and not checksum_path(path).exists()


# --- a failed job leaves neither metrics.json nor run.json -----------------------------------

def test_a_failed_job_leaves_no_stale_run_json(in_tmp, monkeypatch):
    from residue.jobs import run_job

    def boom(ctx):
        raise RuntimeError("job failed")

    out = in_tmp / "results" / "x" / "metrics.json"
    out.parent.mkdir(parents=True)
    out.write_text('{"old": 1}')
    (out.parent / "run.json").write_text('{"mlflow_run_id": "old"}')
    monkeypatch.setattr("residue.jobs.JOBS", _OneJob(boom))
    with pytest.raises(RuntimeError):
        run_job("newcomer.boom", {"device": "cpu"}, {}, {"metrics": str(out)})
    assert not out.exists() and not (out.parent / "run.json").exists()


class _OneJob:
    def __init__(self, fn):
        self.fn = fn

    def get(self, name, kind):
        return self.fn


# --- validation gaps -----------------------------------------------------------------------

def _smoke(**changes) -> dict:
    import yaml

    config = yaml.safe_load((ROOT / "config" / "smoke.yaml").read_text())
    config.update(changes)
    return config


@pytest.mark.parametrize("name", ["tpu", "cuda:x", "gpu"])
def test_an_unknown_device_is_one_line_with_the_allowed_names(name):
    from residue.config import ConfigError, validate

    with pytest.raises(ConfigError, match=r"at device: .* allowed: auto .*cpu, cuda, cuda:N or mps"):
        validate(_smoke(device=name))


@pytest.mark.parametrize("name", ["auto", "cpu", "cuda", "cuda:1", "mps"])
def test_the_device_names_torch_understands_pass(name):
    from residue.config import validate

    validate(_smoke(device=name))


def test_residue_device_beats_the_config_and_the_log_says_so(monkeypatch, capsys):
    from residue import device

    device.pick.cache_clear()
    monkeypatch.setenv("RESIDUE_DEVICE", "cpu")
    assert device.choose("cuda") == ("cpu", "RESIDUE_DEVICE")
    assert str(device.pick("cuda")) == "cpu"
    assert "device: cpu from RESIDUE_DEVICE=cpu (config says cuda)" in capsys.readouterr().err
    monkeypatch.setenv("RESIDUE_DEVICE", "tpu")
    with pytest.raises(Exception, match="RESIDUE_DEVICE: 'tpu' is not a device; allowed"):
        device.choose("cpu")
    monkeypatch.delenv("RESIDUE_DEVICE")
    assert device.choose("cpu") == ("cpu", "config")
    device.pick.cache_clear()


def test_duplicate_seeds_are_an_error_in_every_seeds_list():
    from residue.config import ConfigError, validate

    config = _smoke()
    config["baselines"]["seeds"] = [0, 0]
    with pytest.raises(ConfigError, match=r"at baselines.seeds: \[0, 0\] repeats 0"):
        validate(config)
    config = _smoke()
    config["relearning"]["seeds"] = [1, 2, 1]
    with pytest.raises(ConfigError, match=r"at relearning.seeds: .*repeats 1"):
        validate(config)


def test_a_yaml_syntax_error_names_file_line_and_column(tmp_path):
    from residue.config import ConfigError, load

    bad = tmp_path / "bad.yaml"
    bad.write_text("profile: x\nexperiments: [baselines\ndevice: cpu\n")
    with pytest.raises(ConfigError) as e:
        load(bad)
    assert str(e.value).startswith(f"{bad}:3:7: not valid YAML") and "\n" not in str(e.value)


def test_a_missing_profile_names_the_available_ones(monkeypatch):
    from residue.config import ConfigError, load

    monkeypatch.chdir(ROOT)
    with pytest.raises(ConfigError, match=r"config/smok.yaml not found \(profile 'smok'\); available profiles in config/: default, paper, smoke"):
        load("config/smok.yaml")
