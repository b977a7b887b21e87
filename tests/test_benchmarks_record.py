"""benchmarks/record.py: a timed run becomes a results.json entry that names its commit and machine."""

import importlib.util
import json
import sqlite3
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIME = """\tUser time (seconds): 100.5
\tSystem time (seconds): 7.25
\tElapsed (wall clock) time (h:mm:ss or m:ss): 1:02:03
\tMaximum resident set size (kbytes): 2048000
"""


def _record():
    spec = importlib.util.spec_from_file_location("record", ROOT / "benchmarks/record.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_an_entry_names_the_out_dirs_commit_and_this_machine(tmp_path, monkeypatch):
    rec = _record()
    monkeypatch.setattr(rec, "RESULTS", tmp_path / "results.json")
    monkeypatch.setattr(rec, "README", tmp_path / "README.md")
    (tmp_path / "README.md").write_text("# b\n")
    out = tmp_path / "clone"
    out.mkdir()
    for cmd in (["init", "-q"], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "c"]):
        subprocess.run(["git", *cmd], cwd=out, check=True)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=out, capture_output=True, text=True).stdout.strip()
    con = sqlite3.connect(out / "mlruns.db")
    con.executescript("create table runs (run_uuid, start_time, end_time); create table tags (run_uuid, key, value);"
                      "insert into runs values ('a', 0, 4000); insert into runs values ('b', 0, 1000);"
                      "insert into tags values ('a', 'rule', 'slow'); insert into tags values ('b', 'rule', 'fast');")
    con.commit()
    con.close()
    (tmp_path / "t.time").write_text(TIME)
    monkeypatch.setattr("sys.argv", ["record.py", "default", str(tmp_path / "t.time"), str(out), "--load", "0.5 0.4 0.3"])
    rec.main()
    [entry] = json.loads((tmp_path / "results.json").read_text())
    assert entry["commit"] == head and entry["wall_s"] == 3723.0 and entry["peak_rss_mb"] == 2000
    assert entry["machine"]["cpu_kernels"] and entry["slowest_rules"][0] == {"rule": "slow", "jobs": 1, "seconds": 4.0}
    table = (tmp_path / "README.md").read_text()
    assert f"| default | `{head[:7]}` | {entry['machine']['cpu']} ({entry['machine']['cpu_kernels']}) | 2 |" in table
    assert "not recorded" in rec.table([{**entry, "machine": None}])
