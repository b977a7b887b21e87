"""The dirty flag says whether code or configuration differ from the commit — not results."""

import subprocess

from residue import lineage


def git(repo, *args):
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def fresh_flags(monkeypatch, repo):
    monkeypatch.setenv("RESIDUE_REPO", str(repo))
    lineage._git.cache_clear()
    return lineage.git_dirty(), lineage.code_diff()


def test_writing_results_keeps_a_run_clean_and_editing_code_makes_it_dirty(tmp_path, monkeypatch):
    for rel, text in {"src/m.py": "x = 1\n", "results/a/metrics.json": "{}\n", "README.md": "hi\n"}.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "c")
    (tmp_path / "results/a/metrics.json").write_text('{"value": 2}\n')
    (tmp_path / "README.md").write_text("edited\n")
    assert fresh_flags(monkeypatch, tmp_path) == (False, "") and lineage.diff_sha256() is None
    (tmp_path / "src/m.py").write_text("x = 2\n")
    dirty, diff = fresh_flags(monkeypatch, tmp_path)
    assert dirty and "+x = 2" in diff
    assert len(lineage.diff_sha256()) == 64
    (tmp_path / "src/m.py").write_text("x = 1\n")
    (tmp_path / "src/new.py").write_text("y = 1\n")  # an untracked module can change numbers too
    assert fresh_flags(monkeypatch, tmp_path)[0]
    lineage._git.cache_clear()
