"""Same seeds → byte-identical metrics.json; a job killed mid-run re-runs to the same numbers."""

import json
import os
import signal
import subprocess
import sys
import time

from .conftest import run

SPEC = {"dataset": "fashion_mnist", "model": "mlp", "seed": 1, "device": "cpu", "subset": 20000,
        "train": {"epochs": 4, "batch_size": 100, "lr": 0.05, "schedule": "cosine"}}


def command(out):
    return [sys.executable, "-m", "residue", "job", "baselines.train", "--spec", json.dumps(SPEC), "--output", f"metrics={out}"]


def job(out, cwd):
    return run(command(out), cwd=cwd)


def test_same_seeds_give_identical_metrics(in_tmp):
    for name in ("a", "b"):
        assert job(f"r/{name}/metrics.json", in_tmp).returncode == 0
    assert (in_tmp / "r/a/metrics.json").read_bytes() == (in_tmp / "r/b/metrics.json").read_bytes()


def test_kill_9_mid_run_then_rerun_gives_the_same_numbers(in_tmp, monkeypatch):
    monkeypatch.setenv("RESIDUE_CHECKPOINT_SECONDS", "0")  # a checkpoint at the first epoch end, to kill after
    assert job("r/clean/metrics.json", in_tmp).returncode == 0
    proc = subprocess.Popen(command("r/killed/metrics.json"), cwd=in_tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ckpt = in_tmp / ".work/r/killed/train.ckpt"
    deadline = time.time() + 120
    while not ckpt.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.01)
    assert ckpt.exists(), "the job never wrote a checkpoint"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (in_tmp / "r/killed/metrics.json").exists()  # nothing that looks finished
    assert not (in_tmp / "r/killed/run.json").exists()
    assert job("r/killed/metrics.json", in_tmp).returncode == 0
    assert (in_tmp / "r/killed/metrics.json").read_bytes() == (in_tmp / "r/clean/metrics.json").read_bytes()
    assert not ckpt.exists()  # cleaned up after success
