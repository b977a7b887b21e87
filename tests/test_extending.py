"""The README's "Extending" example, run as written: its two blocks (a method file and a config
line) installed in a copy of the repository give a registered, validated, runnable method whose
jobs appear in the DAG; a misspelt hyper-parameter stops the config before any job."""

from __future__ import annotations

import re
import shutil
import sys

import pytest

from .conftest import ROOT, run


def block(header: str) -> str:
    """The README code block whose first line is ``header``."""
    text = (ROOT / "README.md").read_text()
    found = re.search(rf"```\w+\n({re.escape(header)}\n.*?)```", text, re.S)
    assert found, header
    return found.group(1)


@pytest.fixture(scope="module")
def copy(tmp_path_factory):
    dst = tmp_path_factory.mktemp("extending")
    for name in ("src", "config", "experiments", "profiles", "report"):
        shutil.copytree(ROOT / name, dst / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("Snakefile", "environment.yml"):
        shutil.copy2(ROOT / name, dst / name)
    (dst / "data").symlink_to(ROOT / "data")
    code = block("# src/residue/unlearning/l1_sparse.py")
    (dst / "src/residue/unlearning/l1_sparse.py").write_text(code)
    entry = block("# config/default.yaml, poison_unlearning.methods: one more entry").splitlines()[1]
    cfg = dst / "config/default.yaml"
    lines = cfg.read_text().splitlines()
    last = max(i for i, ln in enumerate(lines) if ln.startswith("    - {name: ") and "tune:" in ln and i < 120)
    lines.insert(last + 1, entry)
    cfg.write_text("\n".join(lines) + "\n")
    return dst


def py(copy, *args, **kw):
    return run([sys.executable, *args], cwd=copy, env={"PYTHONPATH": str(copy / "src")}, **kw)


def test_the_example_registers_validates_and_runs(copy):
    assert "l1_sparse" in py(copy, "-m", "residue", "list").stdout
    ok = py(copy, "-m", "residue", "check-config", "config/default.yaml")
    assert ok.returncode == 0, ok.stderr
    code = (
        "import torch; from residue.compute import Meter; from residue.models import build;"
        "from residue.unlearning.base import unlearn;"
        "g = torch.Generator().manual_seed(0); x = torch.rand(64, 1, 8, 8, generator=g); y = torch.randint(0, 3, (64,), generator=g);"
        "torch.manual_seed(0); m = build('logreg', (1, 8, 8), 3); meter = Meter();"
        "new = unlearn('l1_sparse', m, (x, y), (x[:8], y[:8]), 256, 0, meter, batch_size=32, gamma=1e-3);"
        "moved = sum((a - b).abs().sum().item() for a, b in zip(m.parameters(), new.parameters()));"
        "print(meter.grad_evals, moved > 0)"
    )
    out = py(copy, "-c", code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["256", "True"]  # spends exactly its budget and changes the model


def test_its_jobs_appear_in_the_dag(copy):
    out = run(["snakemake", "results/poison_unlearning/claims.json", "-n", "-p", "--cores", "2",
               "--configfile", "config/default.yaml"], cwd=copy, env={"PYTHONPATH": str(copy / "src")})
    assert out.returncode == 0, out.stderr[-2000:]
    assert "/l1_sparse/unlearn/metrics.json" in out.stdout and "/l1_sparse/tuning/metrics.json" in out.stdout


def test_a_misspelt_hyper_parameter_stops_before_any_job(copy, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text((copy / "config/default.yaml").read_text().replace("gamma: 0.0001", "gama: 0.0001"))
    out = py(copy, "-m", "residue", "check-config", str(bad))
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "error: config error at poison_unlearning.methods[8].hp.gama: unknown hyper-parameter 'gama' of unlearning "
        "method 'l1_sparse'; allowed: batch_size, gamma, lr, momentum"]
