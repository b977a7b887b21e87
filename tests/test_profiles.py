"""Profiles write apart: the default at the top, others under out/<profile>/; reports never mix."""

import json

import pytest

from residue.errors import ResidueError
from residue.profiles import output_dir, prepare
from residue.report.build import merge_claims


def test_each_profile_has_its_own_output_folder_that_sees_the_data(tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "x.npz").write_text("d")
    monkeypatch.delenv("RESIDUE_REPO", raising=False)
    assert output_dir("default", tmp_path) == tmp_path
    out = prepare("smoke", tmp_path)
    assert out == tmp_path / "out" / "smoke" and (out / "data" / "x.npz").read_text() == "d"
    assert prepare("smoke", tmp_path) == out  # idempotent
    assert output_dir("paper", tmp_path) != out


def test_a_report_refuses_claims_of_another_profile(tmp_path):
    paths = []
    for exp, profile in [("a", "smoke"), ("b", "default")]:
        paths.append(tmp_path / f"{exp}.json")
        paths[-1].write_text(json.dumps([{"id": f"{exp}.1", "config": profile}]))
    assert len(merge_claims(paths[:1], tmp_path / "m.json", "smoke")) == 1
    with pytest.raises(ResidueError, match="^claims of profile default in a report of profile smoke"):
        merge_claims(paths, tmp_path / "m.json", "smoke")


def test_clean_removes_every_output_and_names_it(tmp_path):
    import subprocess

    from residue.profiles import clean

    for rel in ["results/REPORT.md", "results/claims.json", "results/a/seed=0/metrics.json", "figures/a/f.png",
                "logs/a.log", "artifacts/a/model.pt", "mlruns.db", "README.md", "src/m.py", "out/smoke/results/x"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    for cmd in (["init", "-q"], ["add", "results", "README.md"], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "c"]):
        subprocess.run(["git", *cmd], cwd=tmp_path, check=True)
    assert clean("default", tmp_path, dry_run=True)[0].startswith("would remove results (3 committed files")
    assert (tmp_path / "results/REPORT.md").exists()
    lines = clean("default", tmp_path)
    assert [ln.split()[1] for ln in lines] == ["results", "figures", "logs", "artifacts", "mlruns.db"]
    assert not (tmp_path / "results").exists()  # REPORT.md too: the next run rebuilds everything
    assert (tmp_path / "README.md").exists() and (tmp_path / "src/m.py").exists()
    assert (tmp_path / "out/smoke/results/x").exists()  # another profile's outputs stay
    assert clean("smoke", tmp_path) == ["removed out/smoke"] and not (tmp_path / "out/smoke").exists()
    assert clean("smoke", tmp_path) == ["nothing to remove for profile smoke"]
