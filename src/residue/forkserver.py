"""Pipeline jobs forked from one warm interpreter instead of each starting Python anew.

A job of the pipeline is a process (``python -m residue job …``) that Snakemake starts. Before its
first line of work it imports torch, torch's compiler stack (``torch.manual_seed`` and
``torch.optim`` pull it in on first use), MLflow with its SQL store, SciPy, Matplotlib and the
experiment's modules: 8.7 s per job on the 2-core development machine, 65% of the smoke profile's
job time (``benchmarks/forkserver.py``, ``benchmarks/README.md``).
``python -m residue forkserver -- CMD …`` imports all of that once (at the first job request, so
that a run with nothing to do pays nothing), runs CMD (Snakemake) with ``RESIDUE_FORKSERVER``
naming a Unix socket, and forks one child per job request. The job command is unchanged: with the
variable set it hands its argument list, working folder, environment and standard streams to the
server and waits for its child's exit status; without it (Snakemake run directly) it runs in its
own process as before.

What keeps a forked job equal to a fresh process:

- the server imports modules and computes nothing, so a child starts from import-time state; it
  then seeds, sets its thread count and reads its environment exactly as a fresh process does;
- the server is single-threaded (a ``selectors`` loop), so ``fork`` never copies a held lock;
- the libraries the server loaded read their thread counts from its environment when they
  started; a child sets them from the job's (``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``, …, which
  Snakemake sets to the rule's threads) as a fresh process would have read them (threadpoolctl);
- a request whose code or import-time settings differ from the server's (a file under
  ``src/residue`` edited during the run, another ``PYTHONHASHSEED``, ``TORCH_*``, ``MKL_*``, …)
  is refused and the client runs the job itself;
- a job's CPU time and memory stay in the accounting of whoever runs the server (``make``), since
  the server waits for its children and CMD.

Signals: SIGINT and SIGTERM sent to a client reach its child; a client that dies (SIGKILL) takes
its child with it (the server sees its connection close); the server ignores SIGINT (Snakemake
decides what a Ctrl-C stops) and passes SIGTERM on to CMD.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

ENV = "RESIDUE_FORKSERVER"
FORWARDED = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}  # what a client passes on to its job
SOURCE = Path(__file__).resolve().parent
MAX_FDS = 3  # stdin, stdout, stderr


# Environment variables that libraries read once, when they load (a thread count is reapplied
# per job instead: THREADS); the server's and a job's must agree.
IMPORT_TIME = ("PYTHONHASHSEED", "TORCH_", "PYTORCH_", "HF_", "CUDA_", "MKL_", "KMP_", "OMP_", "OPENBLAS_", "GOTO_", "BLIS_")
# What each threading library reads at load time for its thread count, the first set one winning.
THREADS = {
    "openblas": ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS"),
    "mkl": ("MKL_NUM_THREADS", "OMP_NUM_THREADS"),
    "blis": ("BLIS_NUM_THREADS", "OMP_NUM_THREADS"),
    "openmp": ("OMP_NUM_THREADS",),
}


def fingerprint() -> str:
    """What a forked child must share with the server: the package's files (path, size, mtime)
    and the import-time settings of the environment."""
    files = sorted((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in SOURCE.rglob("*.py"))
    settings = sorted((k, v) for k, v in os.environ.items() if k.startswith(IMPORT_TIME) and not k.endswith("_NUM_THREADS"))
    return json.dumps([files, settings])


def match_threads(env: dict) -> None:
    """Set the thread count of every threading library loaded here (BLAS, OpenMP) from ``env``,
    as a process started with that environment reads it when it loads them: an unset variable
    means one thread per CPU."""
    from threadpoolctl import ThreadpoolController

    loaded = ThreadpoolController()
    for api, names in THREADS.items():
        value = next((env[n] for n in names if env.get(n, "").strip().isdigit()), None)
        loaded.select(internal_api=api).limit(limits=int(value) if value else os.cpu_count())


def preload() -> None:
    """Import what any job imports: every registry's package, MLflow's client and SQL store, and
    torch's compiler stack (the first ``torch.optim`` call imports it)."""
    import mlflow.entities  # noqa: F401
    import mlflow.store.tracking.sqlalchemy_store  # noqa: F401
    import mlflow.tracking  # noqa: F401
    import torch._dynamo  # noqa: F401

    import residue.jobs  # noqa: F401
    from residue.registry import _ALL

    for registry in _ALL.values():
        registry.names()


def cuda_initialised() -> bool:
    """A process that has set up CUDA cannot fork children that use it (preloading never does;
    this guards the GPU path against a module that would)."""
    return "torch" in sys.modules and sys.modules["torch"].cuda.is_initialized()


# --- framing: a 4-byte length, then JSON --------------------------------------------------------

def send(sock: socket.socket, message: dict, fds: list[int] = ()) -> None:
    data = json.dumps(message).encode()
    payload = struct.pack("!I", len(data)) + data
    sent = socket.send_fds(sock, [payload], list(fds)) if fds else 0  # the descriptors go with the first bytes
    sock.sendall(payload[sent:])


def receive(sock: socket.socket) -> tuple[dict | None, list[int]]:
    """One message and the descriptors sent with it; ``None`` when the peer closed."""
    head, fds, _, _ = socket.recv_fds(sock, 4, MAX_FDS)
    if len(head) < 4:
        head += _exactly(sock, 4 - len(head)) if head else b""
    if len(head) < 4:
        return None, fds
    return json.loads(_exactly(sock, struct.unpack("!I", head)[0])), fds


def _exactly(sock: socket.socket, n: int) -> bytes:
    chunks = []
    while n:
        chunk = sock.recv(n)
        if not chunk:
            break
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


# --- client: `python -m residue job …` with RESIDUE_FORKSERVER set --------------------------------

def submit(argv: list[str]) -> int | None:
    """Run ``python -m residue`` with ``argv`` in a child of the server; its exit status, or
    ``None`` when the server is unreachable or refuses (the caller then runs the job itself)."""
    try:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(os.environ[ENV])
        send(sock, {"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ), "fingerprint": fingerprint()},
             [0, 1, 2])
        reply, _ = receive(sock)
    except OSError:
        return None
    if reply is None or "pid" not in reply:
        return None
    pid = reply["pid"]
    for sig in FORWARDED:
        signal.signal(sig, lambda s, _f: os.kill(pid, s))
    done, _ = receive(sock)
    return 1 if done is None else done["status"]


# --- server -------------------------------------------------------------------------------------

def child(argv: list[str], cwd: str, env: dict, fds: list[int], inherited: list[int]) -> None:
    """In the forked child (signals blocked): take a fresh process's signal handlers, close the
    server's descriptors (``inherited``), become the client's process (streams, folder,
    environment), run the command line as ``python -m residue`` would, and exit with its status."""
    signal.set_wakeup_fd(-1)
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, FORWARDED)
    for fd in inherited:
        os.close(fd)
    for target, fd in zip((0, 1, 2), fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    os.environ.pop(ENV)
    match_threads(env)
    sys.argv = [sys.executable, "-m", "residue", *argv]
    status = 1
    try:
        from residue.cli import main

        status = main(argv)
    except SystemExit as e:
        status = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        if isinstance(e.code, str):
            print(e.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


class Server:
    """The selector loop: accept requests, fork children, reap them, report their status."""

    def __init__(self, listener: socket.socket, command: list[str]):
        self.listener, self.selector = listener, selectors.DefaultSelector()
        self.fingerprint = fingerprint()
        self.jobs: dict[int, socket.socket] = {}  # child pid → its client's connection
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)
        signal.set_wakeup_fd(self.wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)  # a handler, so the wakeup fd is written
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        self.command = subprocess.Popen(command)
        signal.signal(signal.SIGTERM, lambda s, _f: self.command.send_signal(s))
        self.status: int | None = None
        self.preloaded = False
        self.selector.register(listener, selectors.EVENT_READ, self.accept)
        self.selector.register(self.wake_r, selectors.EVENT_READ, self.reap)

    def accept(self, _key) -> None:
        conn, _ = self.listener.accept()
        self.selector.register(conn, selectors.EVENT_READ, self.request)

    def request(self, key) -> None:
        conn = key.fileobj
        self.selector.unregister(conn)
        try:
            message, fds = receive(conn)
        except (OSError, ValueError):
            message, fds = None, []
        if message is not None and message.get("fingerprint") == self.fingerprint and not self.preloaded:
            preload()
            self.preloaded = True
        if message is None or message.get("fingerprint") != self.fingerprint or cuda_initialised():
            for fd in fds:
                os.close(fd)
            if message is not None:
                send(conn, {"refused": "the code, import-time settings or CUDA state do not allow a fork"})
            conn.close()
            return
        # Signals wait until the child has its own handlers (the server's would forward a SIGTERM
        # meant for the job to Snakemake) and the parent has recorded the child.
        signal.pthread_sigmask(signal.SIG_BLOCK, FORWARDED)
        pid = os.fork()
        if pid == 0:
            inherited = [self.listener.fileno(), self.selector.fileno(), self.wake_r, self.wake_w, conn.fileno()]
            child(message["argv"], message["cwd"], message["env"], fds, inherited + [c.fileno() for c in self.jobs.values()])
        for fd in fds:
            os.close(fd)
        self.jobs[pid] = conn
        signal.pthread_sigmask(signal.SIG_UNBLOCK, FORWARDED)
        try:
            send(conn, {"pid": pid})
        except OSError:  # the client went away while the server was busy (its first request imports)
            self.client_gone(pid)
            return
        self.selector.register(conn, selectors.EVENT_READ, lambda _k, pid=pid: self.client_gone(pid))

    def client_gone(self, pid: int) -> None:
        """The client's connection closed before its child ended: the client was killed."""
        conn = self.jobs.get(pid)
        if conn is not None:
            self.unwatch(conn)
            os.kill(pid, signal.SIGTERM)

    def unwatch(self, conn: socket.socket) -> None:
        """Stop watching a client's connection (it may never have been watched, or no longer is)."""
        try:
            self.selector.unregister(conn)
        except KeyError:
            pass

    def reap(self, _key) -> None:
        try:
            while os.read(self.wake_r, 512):
                pass
        except BlockingIOError:
            pass
        while True:
            try:
                pid, wait_status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            code = os.waitstatus_to_exitcode(wait_status)
            status = code if code >= 0 else 128 - code  # killed by signal N: 128 + N, as a shell says
            if pid == self.command.pid:
                self.command.returncode = code
                self.status = status
            elif (conn := self.jobs.pop(pid, None)) is not None:
                self.unwatch(conn)
                try:
                    send(conn, {"status": status})
                except OSError:
                    pass  # the client is gone
                conn.close()

    def serve(self) -> int:
        try:
            while self.status is None or self.jobs:
                for key, _ in self.selector.select(timeout=1.0):
                    key.data(key)
                self.reap(None)
        except BaseException:  # a server that fails leaves no job running unwatched
            for pid in self.jobs:
                os.kill(pid, signal.SIGTERM)
            raise
        return self.status


def serve(command: list[str]) -> int:
    """Run ``command`` with ``RESIDUE_FORKSERVER`` set; return its exit status once it and every
    job forked for it have ended."""
    if not command:
        raise SystemExit("error: forkserver needs a command after --, e.g. -- snakemake --cores 2")
    if not hasattr(socket, "AF_UNIX") or not hasattr(os, "fork"):  # not a POSIX system: no forking
        return subprocess.run(command).returncode
    with tempfile.TemporaryDirectory(prefix="residue-forkserver-") as d:
        path = os.path.join(d, "socket")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(path)
        listener.listen(64)
        os.environ[ENV] = path
        try:
            return Server(listener, command).serve()
        finally:
            listener.close()
