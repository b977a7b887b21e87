"""Jobs forked from a warm interpreter (``python -m residue forkserver -- CMD``) behave as jobs run
in their own process: same bytes, same exit status and error line, and a killed client takes its
job along."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

SPEC = {"dataset": "digits", "model": "logreg", "seed": 3, "device": "cpu", "train": {"epochs": 2, "batch_size": 64, "lr": 0.1}}


def job(out: str, spec: dict = SPEC) -> list[str]:
    return [sys.executable, "-m", "residue", "job", "baselines.train", "--spec", json.dumps(spec), "--output", f"metrics={out}"]


def served(cwd: Path, script: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the shell ``script`` under a forkserver in ``cwd`` (jobs in it are forked)."""
    return subprocess.run([sys.executable, "-m", "residue", "forkserver", "--", "sh", "-c", script],
                          cwd=cwd, capture_output=True, text=True, timeout=timeout)


def test_a_forked_job_writes_the_bytes_a_fresh_process_writes(in_tmp):
    direct = subprocess.run(job("direct/metrics.json"), cwd=in_tmp, capture_output=True, text=True)
    assert direct.returncode == 0, direct.stderr
    cmd = " ".join(f"'{a}'" for a in job("forked/metrics.json"))
    forked = served(in_tmp, f"{cmd} > forked.log 2>&1; echo status $?")
    assert forked.returncode == 0 and forked.stdout.strip() == "status 0", (forked.stdout, forked.stderr)
    assert (in_tmp / "forked/metrics.json").read_bytes() == (in_tmp / "direct/metrics.json").read_bytes()
    runs = [json.loads((in_tmp / d / "run.json").read_text()) for d in ("direct", "forked")]
    assert runs[0]["mlflow_run_id"] != runs[1]["mlflow_run_id"]  # two MLflow runs, one per job


def test_exit_status_and_error_line_pass_through_and_the_server_returns_its_command_status(in_tmp):
    bad = " ".join(f"'{a}'" for a in job("x/metrics.json", {**SPEC, "model": "nope"}))
    r = served(in_tmp, f"{bad} 2> err.log; echo status $?; exit 3")
    assert r.stdout.strip() == "status 2" and r.returncode == 3
    assert (in_tmp / "err.log").read_text().strip().splitlines()[-1].startswith("error: ") and "unknown model 'nope'" in (in_tmp / "err.log").read_text()


def test_a_client_with_another_hash_seed_runs_its_job_itself(in_tmp):
    cmd = " ".join(f"'{a}'" for a in job("m/metrics.json"))
    r = served(in_tmp, f"PYTHONHASHSEED=7 {cmd}; echo status $?")
    assert r.stdout.strip() == "status 0" and (in_tmp / "m/metrics.json").exists()


def children(pid: int) -> set[int]:
    out = set()
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue
        if int(fields.get("PPid", "0")) == pid:
            out.add(int(status.parent.name))
    return out


def standing_server(cwd: Path) -> tuple[subprocess.Popen, dict]:
    """A forkserver whose command just waits (2 minutes), and the environment that reaches it."""
    server = subprocess.Popen([sys.executable, "-m", "residue", "forkserver", "--", "sh", "-c",
                               'echo "$RESIDUE_FORKSERVER" > socket.txt; exec sleep 120'], cwd=cwd)
    deadline = time.monotonic() + 120
    while not (cwd / "socket.txt").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    return server, {**os.environ, "RESIDUE_FORKSERVER": (cwd / "socket.txt").read_text().strip()}


def test_a_killed_client_takes_its_forked_job_along(in_tmp):
    server, env = standing_server(in_tmp)
    try:
        deadline = time.monotonic() + 120
        # a first job makes the server import everything (its imports may start short-lived
        # processes of their own), so that the next new child is the slow job
        subprocess.run(job("warm/metrics.json"), cwd=in_tmp, env=env, check=True, capture_output=True)
        before = children(server.pid)  # the command (sleep)
        client = subprocess.Popen(job("slow/metrics.json", {**SPEC, "train": {**SPEC["train"], "epochs": 100000}}),
                                  cwd=in_tmp, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while not (forked := children(server.pid) - before) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert forked, "no job was forked"
        time.sleep(1.0)
        assert children(server.pid) & forked == forked, "the slow job ended by itself"
        client.send_signal(signal.SIGKILL)
        client.wait()
        while children(server.pid) & forked and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not children(server.pid) & forked, "the job outlived its client"
        assert not [p for p in forked if Path(f"/proc/{p}").exists()], "the job left the server but runs on"
    finally:
        server.terminate()  # passed on to the command: the server ends with it
        assert server.wait(timeout=60) != 0


def in_folder(folder: Path) -> set[int]:
    """Processes whose working folder is ``folder``."""
    out = set()
    for cwd in Path("/proc").glob("[0-9]*/cwd"):
        try:
            if Path(os.readlink(cwd)) == folder:
                out.add(int(cwd.parent.name))
        except OSError:
            continue
    return out


def test_a_client_killed_before_its_job_is_forked_leaves_nothing_running(in_tmp):
    """The server's first request waits for its imports (seconds); a client killed meanwhile must
    not leave a forked job behind (once, the server failed sending the pid and its job ran on)."""
    server, env = standing_server(in_tmp)
    try:
        deadline = time.monotonic() + 120
        client = subprocess.Popen(job("slow/metrics.json", {**SPEC, "train": {**SPEC["train"], "epochs": 100000}}),
                                  cwd=in_tmp, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)  # the server is importing
        client.send_signal(signal.SIGKILL)
        client.wait()
        # the server is alive and serves the next job once its imports are done
        done = subprocess.run(job("after/metrics.json"), cwd=in_tmp, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0 and server.poll() is None, done.stderr[-2000:]
        ours = {server.pid, os.getpid()}  # this test runs in in_tmp too
        while len(in_folder(in_tmp) - ours) > 1 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(in_folder(in_tmp) - ours) == 1, "a job runs on after its client was killed"  # the command
    finally:
        server.terminate()
        assert server.wait(timeout=60) != 0


def test_a_forked_job_gets_the_thread_counts_of_its_environment():
    """The server's BLAS and OpenMP read its own environment when they loaded; a child takes the
    counts of the job's environment (Snakemake sets them to the rule's threads), as a fresh
    process with that environment would have them."""
    import numpy  # noqa: F401  (loads OpenBLAS with this process's thread count)
    import torch  # noqa: F401  (loads OpenMP)
    from threadpoolctl import threadpool_info, threadpool_limits

    from residue.forkserver import match_threads

    r, w = os.pipe()
    with threadpool_limits(limits=2):  # the server's counts, whatever this machine's
        pid = os.fork()
        if pid == 0:
            match_threads({"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
            os.write(w, json.dumps([i["num_threads"] for i in threadpool_info()]).encode())
            os._exit(0)
        os.waitpid(pid, 0)
    counts = json.loads(os.read(r, 1 << 16))
    assert counts and set(counts) == {1}, counts
