"""Append one timed pipeline run to ``benchmarks/results.json`` and regenerate the README table.

    python benchmarks/record.py NAME TIME_FILE OUT_DIR [--load "0.1 0.2 0.3"] [--cores 2]

``TIME_FILE`` is what ``/usr/bin/time -v`` wrote for the run; ``OUT_DIR`` the profile's output
folder (its ``mlruns.db`` gives every job's seconds, grouped by rule: where the time goes).
Each entry records the commit (of ``OUT_DIR``'s checkout when it has one), the machine (CPU and
torch's kernel set: timings and numbers both depend on it), cores, wall and CPU seconds, peak RSS,
the load average when the run started (a busy machine inflates wall time), the number of jobs, the
ten slowest rules and the jobs and job seconds of each experiment.
An entry of the same name and commit replaces the old one.  ``benchmarks/run.sh`` calls this
after each timed run; ``--table`` only rewrites the README's generated section.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.json"
README = HERE / "README.md"
BEGIN, END = "<!-- results.json: begin -->", "<!-- results.json: end -->"


def parse_time(path: Path) -> dict:
    """Wall, CPU and peak RSS from ``/usr/bin/time -v``'s report."""
    text = path.read_text()

    def field(label: str) -> str:
        return re.search(rf"{re.escape(label)}: (.+)", text).group(1).strip()

    h_m_s = [float(p) for p in field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":")]
    wall = sum(v * 60**i for i, v in enumerate(reversed(h_m_s)))
    return {"wall_s": round(wall, 1), "user_s": float(field("User time (seconds)")),
            "sys_s": float(field("System time (seconds)")),
            "peak_rss_mb": round(int(field("Maximum resident set size (kbytes)")) / 1024)}


def by_tag(db: Path, key: str) -> list[tuple[str, int, float]]:
    """(tag value, jobs, summed seconds) of the MLflow runs grouped by tag ``key``, slowest first.
    A run's seconds run from its start (after the job's imports) to its end, so a process's
    start-up (≈ 3–5 s of imports) is not in them."""
    if not db.exists():
        return []
    con = sqlite3.connect(db)
    return con.execute(
        "select t.value, count(*), sum(r.end_time - r.start_time) / 1000.0 from runs r "
        "join tags t on t.run_uuid = r.run_uuid and t.key = ? group by t.value order by 3 desc", (key,)).fetchall()


def rules(db: Path, top: int = 10) -> tuple[int, list[dict]]:
    """Jobs in the MLflow store and the ``top`` rules by total seconds."""
    rows = by_tag(db, "rule")
    return sum(n for _, n, _ in rows), [{"rule": r, "jobs": n, "seconds": round(t, 1)} for r, n, t in rows[:top]]


def experiments(db: Path) -> dict[str, dict]:
    """Jobs and summed job seconds per experiment."""
    return {e: {"jobs": n, "job_seconds": round(t, 1)} for e, n, t in by_tag(db, "experiment")}


def table(entries: list[dict]) -> str:
    lines = ["| run | commit | machine | cores | load at start | jobs | wall | CPU (user + sys) | peak RSS | slowest rules (s) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for e in entries:
        slow = ", ".join(f"{r['rule']} {r['seconds']:.0f}" for r in e["slowest_rules"][:3])
        m = e.get("machine")
        where = f"{m['cpu']} ({m['cpu_kernels']})" if m else "not recorded"
        lines.append(f"| {e['name']} | `{e['commit'][:7]}` | {where} | {e['cores']} | {e['load_at_start']} | {e['jobs']} | "
                     f"{e['wall_s'] / 60:.1f} min | {e['user_s']:.0f} + {e['sys_s']:.0f} s | {e['peak_rss_mb']} MB | {slow} |")
    return "\n".join(lines)


def write_table(entries: list[dict]) -> None:
    text = README.read_text()
    block = f"{BEGIN}\n{table(entries)}\n{END}"
    text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S) if BEGIN in text else text + "\n" + block + "\n"
    README.write_text(text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("name", nargs="?")
    ap.add_argument("time_file", nargs="?", type=Path)
    ap.add_argument("out_dir", nargs="?", type=Path)
    ap.add_argument("--load", default="", help="the load average when the run started")
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--table", action="store_true", help="only regenerate the README table")
    args = ap.parse_args()
    entries = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    if not args.table:
        from residue.device import machine

        git = ["git", "rev-parse", "HEAD"]
        commit = (subprocess.run(git, capture_output=True, text=True, cwd=args.out_dir).stdout.strip()
                  or subprocess.run(git, capture_output=True, text=True, cwd=HERE).stdout.strip())
        jobs, slowest = rules(args.out_dir / "mlruns.db")
        entry = {"name": args.name, "commit": commit, "machine": machine(), "cores": args.cores, "load_at_start": args.load,
                 **parse_time(args.time_file), "jobs": jobs, "slowest_rules": slowest,
                 "experiments": experiments(args.out_dir / "mlruns.db")}
        entries = [e for e in entries if (e["name"], e["commit"]) != (args.name, commit)] + [entry]
        RESULTS.write_text(json.dumps(entries, indent=1) + "\n")
    write_table(entries)


if __name__ == "__main__":
    main()
