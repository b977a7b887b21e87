"""pyproject.toml, environment.yml and requirements.lock pin the same versions; torch is pinned."""

import re
import tomllib

import yaml

from .conftest import ROOT


def pins(lines):
    out = {}
    for line in lines:
        m = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)==([^\s;#]+)\s*", line)
        if m:
            out[m.group(1).lower().replace("_", "-")] = m.group(2)
    return out


def test_pyproject_environment_and_lock_agree():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    py = pins(project["dependencies"] + project["optional-dependencies"]["test"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert pins(pip_section) == py
    lock = pins((ROOT / "requirements.lock").read_text().splitlines())
    assert {k: lock.get(k) for k in py} == py


def test_torch_is_pinned_exactly():
    assert "torch==2.13.0" in (ROOT / "pyproject.toml").read_text()
    assert "torch==2.13.0" in (ROOT / "requirements.lock").read_text().splitlines()
