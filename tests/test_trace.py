"""`residue trace`: a claim back to its runs, commit and data, failing at the first broken link."""

import json
import sqlite3
import subprocess

import pytest

from residue.cli import main
from residue.trace import trace

MD5 = "0123456789abcdef0123456789abcdef.dir"


def _repo(tmp_path):
    def write(rel, obj):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(obj if isinstance(obj, str) else json.dumps(obj))

    write("src/m.py", "x = 1\n")
    write("dvc.lock", f"stages:\n  prepare_digits:\n    outs:\n    - path: data/digits\n      md5: {MD5}\n")
    for cmd in (["init", "-q"], ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "c"]):
        subprocess.run(["git", *cmd], cwd=tmp_path, check=True)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, text=True).stdout.strip()
    write("results/e/claims.json", [{"id": "e.c", "claim": "c", "value": 1.0, "ci95": [0.9, 1.1], "n": 3, "unit": "seed",
                                     "criterion": "> 0", "holds": True, "untestable_reason": None, "config": "default",
                                     "commit": head[:12]}])
    machine = {"cpu": "AMD EPYC", "cpu_kernels": "AVX2", "accelerator": "none", "native_bf16": False, "torch": "2.13.0", "threads": 2}
    run = {"git_commit": head, "git_dirty": False, "config_sha256": "x", "mlflow_run_id": "r1", "machine": machine}
    for seed in (0, 1):
        write(f"results/e/seed={seed}/metrics.json", {"job": "e.train", "data": {"digits": MD5}})
        write(f"results/e/seed={seed}/run.json", run)
    con = sqlite3.connect(tmp_path / "mlruns.db")  # the three tables trace reads, one run
    con.executescript("create table runs (run_uuid, status); create table params (run_uuid, key, value);"
                      "create table tags (run_uuid, key, value); insert into runs values ('r1', 'FINISHED');"
                      "insert into tags values ('r1', 'rule', 'e_train');")
    con.commit()
    con.close()
    return tmp_path, run, write


def test_an_intact_chain_passes_and_each_broken_link_is_named(tmp_path, monkeypatch, capsys):
    root, run, write = _repo(tmp_path)
    ok, lines = trace("e.c", root)
    assert ok, lines
    assert lines[-1] == "  all 2 metrics.json files: one commit, clean"
    assert any("data/digits: DVC" in ln for ln in lines) and any("MLflow: FINISHED, 0 params, rule e_train" in ln for ln in lines)
    assert any("machine: AMD EPYC (AVX2 kernels), accelerator none, native bf16 False" in ln for ln in lines)
    monkeypatch.chdir(root)
    assert main(["trace", "results/e/seed=0/metrics.json"]) == 0
    capsys.readouterr()
    for change, broken in [
        ({"git_dirty": True}, "seed=0/metrics.json: made from uncommitted code"),
        ({"git_commit": "f" * 40}, f"seed=0/metrics.json: commit {'f' * 40} does not exist"),
    ]:
        write("results/e/seed=0/run.json", {**run, **change})
        ok, lines = trace("e.c", root)
        assert not ok and lines[-1].startswith("BROKEN: results/e/") and broken in lines[-1], lines[-1]
    write("results/e/seed=0/run.json", {**run, "mlflow_run_id": "r2"})
    ok, lines = trace("e.c", root)
    assert not ok and "MLflow run r2 is not in mlruns.db" in lines[-1]
    (root / "mlruns.db").rename(root / "elsewhere.db")
    ok, lines = trace("e.c", root)
    assert not ok and "python -m residue mlflow-store restore" in lines[-1]
    (root / "elsewhere.db").rename(root / "mlruns.db")
    write("results/e/seed=0/run.json", run)
    write("results/e/seed=1/metrics.json", {"job": "e.train", "data": {"digits": "f" * 32 + ".dir"}})
    ok, lines = trace("e.c", root)
    assert not ok and "data/digits was ffff" in lines[-1]
    write("results/e/seed=1/metrics.json", {"job": "e.train", "data": {"digits": MD5}})
    ok, lines = trace("results/e/claims.json", root)  # a whole claims file: its verdicts, then the same chain
    assert ok, lines
    assert lines[0] == "results/e/claims.json: 1 paper claims: 1 hold / 0 fail / 0 untestable; 0 sanity checks: 0 hold / 0 fail / 0 untestable"
    assert lines[-1] == "  all 2 metrics.json files: one commit, clean"
    ok, lines = trace("e.nope", root)
    assert not ok and lines == ["BROKEN: no claim 'e.nope' in results/*/claims.json"]
    with pytest.raises(SystemExit) as e:
        main(["trace", "e.nope"])
    assert e.value.code == 1
