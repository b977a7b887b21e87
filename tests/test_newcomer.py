"""Issue #18, a newcomer's path without traps: each bad input gives one line naming the file or
key and the fix, and a failure never leaves the run state inconsistent."""

from __future__ import annotations

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


def test_saving_the_same_weights_twice_gives_the_same_bytes(tmp_path):
    """The temporary file's random name must not reach the archive: two runs that compute the
    same weights commit the same model.pt and the same sidecar (lineage compares them by hash)."""
    first, second = tmp_path / "a" / "model.pt", tmp_path / "b" / "model.pt"
    for path in (first, second):
        save_torch(path, {"w": torch.arange(1000, dtype=torch.float32)})
    assert first.read_bytes() == second.read_bytes()
    assert checksum_path(first).read_text() == checksum_path(second).read_text()


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
    assert err == f"warning: checkpoint {path} is corrupted (its sha256 does not match train.ckpt.sha256); discarding it and training from the start"
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


# --- missing or corrupted data: one line before any job ---------------------------------------

def _digits_copy(tmp_path) -> Path:
    import shutil

    root = tmp_path / "data"
    shutil.copytree(ROOT / "data" / "digits", root / "digits")
    return root


def test_the_preflight_names_the_datasets_a_profile_uses():
    from residue.preflight import datasets_used

    assert datasets_used(_smoke()) == ["digits", "fashion_mnist", "fb_mem_scenes"]
    assert datasets_used({"experiments": ["baselines"], "baselines": {"runs": {"a": {"dataset": "digits"}}}}) == ["digits"]


def test_a_corrupted_dataset_is_one_line_saying_make_data(tmp_path):
    from residue.errors import DataError
    from residue.preflight import check_dataset

    root = _digits_copy(tmp_path)
    check_dataset("digits", root)
    f = root / "digits" / "train_y.npy"
    data = bytearray(f.read_bytes())
    data[-1] ^= 0x01
    f.write_bytes(bytes(data))
    with pytest.raises(DataError, match=r"data/digits is corrupted \(train_y.npy differs from its manifest\): run `make data`"):
        check_dataset("digits", root)


def test_a_missing_dataset_or_file_is_one_line_saying_make_data(tmp_path):
    from residue.errors import DataError
    from residue.preflight import check_dataset

    root = _digits_copy(tmp_path)
    (root / "digits" / "test_x.npy").unlink()
    with pytest.raises(DataError, match=r"data/digits is missing test_x.npy: run `make data`"):
        check_dataset("digits", root)
    with pytest.raises(DataError, match=r"data/fashion_mnist is missing \(no manifest.json\): run `make data`"):
        check_dataset("fashion_mnist", root)
    with pytest.raises(DataError, match=r"run `make data-paper`"):
        check_dataset("cifar10", root)


# --- a stale Snakemake lock is cleared, a live one kept -----------------------------------------

def _locked(tmp_path) -> Path:
    locks = tmp_path / ".snakemake" / "locks"
    locks.mkdir(parents=True)
    (locks / "0.input.lock").write_text("results/x\n")
    (locks / "0.output.lock").write_text("results/y\n")
    return locks


def test_a_stale_lock_is_cleared_with_a_one_line_notice(tmp_path):
    from residue.preflight import clear_stale_lock

    locks = _locked(tmp_path)
    note = clear_stale_lock(tmp_path)
    assert note.startswith("note: cleared a stale Snakemake lock") and "\n" not in note
    assert not list(locks.glob("*.lock"))
    assert clear_stale_lock(tmp_path) is None  # nothing left to do


def test_the_lock_of_a_live_snakemake_is_kept(tmp_path, monkeypatch):
    from residue import preflight

    locks = _locked(tmp_path)
    fake = tmp_path / "bin" / "snakemake"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\nsleep 30\n")
    fake.chmod(0o755)
    proc = subprocess.Popen([str(fake)], cwd=tmp_path)  # a process named snakemake, running here
    import time

    deadline = time.time() + 10
    while b"snakemake" not in Path(f"/proc/{proc.pid}/cmdline").read_bytes() and time.time() < deadline:
        time.sleep(0.01)  # until it has exec'd
    try:
        note = preflight.clear_stale_lock(tmp_path)
    finally:
        proc.kill()
        proc.wait()
    assert "its lock is kept" in note and "snakemake --unlock" in note
    assert len(list(locks.glob("*.lock"))) == 2


# --- `python -m residue list` is fast and complete ------------------------------------------------

def test_list_is_fast_and_names_every_registered_entry():
    import time

    import residue.registries as regs
    from residue.registry import Registry

    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "residue", "list"], capture_output=True, text=True, env=env, check=True)
    assert time.perf_counter() - start < 3.0  # it imported torch and every experiment: 6-7 s
    listed = dict(line.split(": ", 1) for line in out.stdout.splitlines())
    for reg in vars(regs).values():
        if isinstance(reg, Registry):  # the slow, importing way agrees with the source scan
            assert [n for n in listed[reg.kind].split(", ") if " " not in n] == reg.names(), reg.kind
    assert "sklearn_descr" in listed["dataset"]


# --- a failing job's one-line error is the last thing printed -------------------------------------

def test_last_error_prints_the_newest_failed_jobs_error_line(tmp_path, monkeypatch, capsys):
    import time

    from residue.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "logs" / "a").mkdir(parents=True)
    old = tmp_path / "logs" / "a" / "old.log"
    old.write_text("error: an earlier failure\n")
    time.sleep(0.05)
    (tmp_path / ".snakemake").mkdir()
    (tmp_path / ".snakemake" / "run-start").touch()
    time.sleep(0.05)
    new = tmp_path / "logs" / "a" / "new.log"
    new.write_text("device: cpu from config=cpu\nerror: checkpoint results/m.pt is corrupted: delete it\n")
    assert main(["last-error"]) == 0
    err = capsys.readouterr().err
    assert err == "error: checkpoint results/m.pt is corrupted: delete it  (full log: logs/a/new.log)\n"


# --- jobs run with the project's interpreter, venv activated or not -------------------------------

def test_jobs_run_with_the_interpreter_running_snakemake(tmp_path):
    """A dry run with a PATH that has no venv (`python` is not the project's) prints job commands
    that start with the interpreter running Snakemake, not a bare `python`."""
    snakemake = Path(sys.executable).parent / "snakemake"
    env = {"HOME": os.environ.get("HOME", "/tmp"), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT / "src"),
           "OMP_NUM_THREADS": "1"}
    out = subprocess.run([str(snakemake), "-n", "-p", "--cores", "1", "--configfile", "config/smoke.yaml",
                          "--forceall", "baselines_summarise"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:] + out.stdout[-2000:]
    commands = [ln for ln in (out.stdout + out.stderr).splitlines() if "-m residue job" in ln]
    assert commands and all(ln.split()[0] == "Shell" or ln.split()[0] == sys.executable for ln in commands)
    assert all(f"{sys.executable} -m residue job" in ln for ln in commands)


# --- the README's snippets run as written in a fresh clone ----------------------------------------

def test_the_readme_mlflow_snippet_runs_in_a_fresh_clone(tmp_path):
    """A fresh clone has the committed run.json and store dump but no mlruns.db: after the
    documented restore command the snippet prints the run's lineage tags."""
    import re
    import shutil

    readme = (ROOT / "README.md").read_text()
    snippet = next(b for b in re.findall(r"```python\n(.*?)```", readme, re.S) if "MlflowClient" in b)
    snippet = "\n".join(line[3:] if line.startswith("   ") else line for line in snippet.splitlines())
    for rel in ("results/baselines/digits_logreg/seed=0/run.json", "results/mlflow-store.sql.gz"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, tmp_path / rel)
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    restore = subprocess.run([sys.executable, "-m", "residue", "mlflow-store", "restore"], cwd=tmp_path,
                             capture_output=True, text=True, env=env)
    assert restore.returncode == 0 and restore.stdout.startswith("restored "), restore.stderr
    out = subprocess.run([sys.executable, "-c", snippet], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert "'rule': 'baselines_train'" in out.stdout and "'git_dirty': 'false'" in out.stdout


def test_snakemake_dry_run_reports_corrupted_data_in_one_line(tmp_path):
    """`snakemake -n` itself (not only `make`) notices a corrupted dataset, before the DAG."""
    import shutil

    data = _digits_copy(tmp_path)
    for name in ("fashion_mnist", "fb_mem_scenes"):
        (data / name).symlink_to(ROOT / "data" / name)
    f = data / "digits" / "train_x.npy"
    raw = bytearray(f.read_bytes())
    raw[200] ^= 0x7F
    f.write_bytes(bytes(raw))
    (tmp_path / "config").mkdir()
    shutil.copy(ROOT / "config" / "smoke.yaml", tmp_path / "config")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run([str(Path(sys.executable).parent / "snakemake"), "-n", "--cores", "1", "-s", str(ROOT / "Snakefile"),
                          "--configfile", "config/smoke.yaml"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 2
    assert (out.stdout + out.stderr).strip() == "error: data/digits is corrupted (train_x.npy differs from its manifest): run `make data`"


def test_make_reproduce_clears_a_stale_lock_before_snakemake(tmp_path, monkeypatch, capsys):
    """The preflight `make reproduce` runs before Snakemake (checked with `make -n`), run on a
    lock state made by hand: the lock is gone and the one-line notice printed."""
    from residue.cli import main

    recipe = subprocess.run(["make", "-n", "-o", ".venv/.installed", "-o", "data", "reproduce"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.splitlines()
    pre = next(i for i, ln in enumerate(recipe) if "-m residue preflight config/default.yaml --data --unlock" in ln)
    run = next(i for i, ln in enumerate(recipe) if "snakemake --profile" in ln)
    assert pre < run and "-m residue forkserver -- snakemake" in recipe[run]  # jobs forked warm (FORKSERVER=1)
    locks = _locked(tmp_path / "out" / "smoke")  # the smoke profile's own Snakemake state
    monkeypatch.chdir(tmp_path)
    assert main(["preflight", str(ROOT / "config" / "smoke.yaml"), "--unlock"]) == 0
    assert capsys.readouterr().err.startswith("note: cleared a stale Snakemake lock")
    assert not list(locks.glob("*.lock"))


def test_make_dry_run_is_a_summary_unless_verbose():
    def recipe(*args):
        return subprocess.run(["make", "-n", "-o", ".venv/.installed", "dry-run", *args], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout

    quiet, verbose = recipe(), recipe("VERBOSE=1")
    assert "-n --quiet rules host" in quiet and "VERBOSE=1" in quiet
    assert "-n -p" in verbose and "--quiet" not in verbose


def test_no_model_is_saved_or_loaded_around_the_checksum():
    """Every saver goes through residue.io (the sidecar), so a corrupt file cannot slip through."""
    def calls(path):  # code lines, not ``torch.load(...)`` in a docstring
        return [ln for ln in path.read_text().splitlines()
                if ("torch.save(" in ln or "torch.load(" in ln) and "``" not in ln]

    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "src" / "residue").rglob("*.py")
                 if p.name != "io.py" and calls(p)]
    assert offenders == []


def test_the_workflow_lints_clean_with_the_interpreter_in_its_commands():
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    out = subprocess.run(["snakemake", "--lint"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert "good condition" in out.stdout + out.stderr, (out.stdout + out.stderr)[-2000:]


def test_the_device_used_is_a_tag_of_the_run(monkeypatch):
    from residue import device
    from residue.jobs import JobContext
    from residue.tracking import JobRecord

    device.pick.cache_clear()
    monkeypatch.setenv("RESIDUE_DEVICE", "cpu")
    ctx = JobContext("x.y", {"device": "auto"}, {}, {}, record=JobRecord("x", "x_y", {}, {}))
    assert str(ctx.device) == "cpu" and ctx.record.tags["device"] == "cpu"
    device.pick.cache_clear()
