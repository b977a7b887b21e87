"""Every script and benchmark a README tells a user to run starts: its imports resolve against the
package as it is now (a module renamed in ``src/`` once broke ``scripts/relearning_pilot.py``
silently) and ``--help`` answers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted(p.relative_to(ROOT).as_posix() for p in [*ROOT.glob("scripts/*.py"), *ROOT.glob("benchmarks/*.py")])


def test_the_list_is_not_empty():
    assert "scripts/relearning_pilot.py" in SCRIPTS and "scripts/gc_reachability_pilot.py" in SCRIPTS


@pytest.mark.parametrize("script", SCRIPTS)
def test_script_answers_help(script):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run([sys.executable, script, "--help"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{script} --help: {done.stderr.strip().splitlines()[-1:]}"
    assert done.stdout.startswith("usage:")
