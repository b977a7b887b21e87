"""``python -m residue``: the thin entry points Snakemake rules and DVC stages call.

    python -m residue data prepare NAME --out data/NAME [--source DIR]   # a dvc.yaml stage
    python -m residue job NAME --spec JSON --output metrics=PATH ...      # a Snakemake job
    python -m residue check-config config/default.yaml                    # validate only
    python -m residue list                                                # every registry
    python -m residue preflight config/default.yaml --data --unlock       # before `make reproduce`
    python -m residue trace CLAIM_ID                                      # a number to its origin
    python -m residue mlflow-store restore                                # committed runs → mlruns.db
    python -m residue forkserver -- snakemake …                           # jobs forked warm (make reproduce)

Errors a user can fix (:class:`residue.errors.ResidueError`) print one line and exit 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from . import forkserver
from .errors import ResidueError


def _data(args: argparse.Namespace) -> None:
    from .registries import DATASETS

    DATASETS.get(args.name, "dataset")(args.out, source=args.source)
    print(f"materialised {args.name} in {args.out}")


def _job(args: argparse.Namespace) -> None:
    from .jobs import load_spec, parse_pairs, run_job

    run_job(
        args.name,
        load_spec(args.spec),
        parse_pairs(args.input),
        parse_pairs(args.output),
        wildcards=json.loads(args.wildcards),
        threads=args.threads,
    )


def _check(args: argparse.Namespace) -> None:
    from .config import load

    load(args.path)
    print(f"{args.path}: ok")


# Not a registered dataset (it is read from scikit-learn's install, not data/), but a config may
# name it: listed so that `list` shows every name a config accepts.
EXTRA_NAMES = {"dataset": ["sklearn_descr (text, poison_unlearning backdoor only)"]}


def _list(args: argparse.Namespace) -> None:
    import residue.registries as regs
    from .registry import Registry

    for reg in vars(regs).values():
        if isinstance(reg, Registry):
            print(f"{reg.kind}: {', '.join(sorted(reg.declared) + EXTRA_NAMES.get(reg.kind, []))}")


def _preflight(args: argparse.Namespace) -> None:
    """What `make reproduce` / `make dry-run` run before Snakemake: the profile's config is
    readable and valid, a stale lock is cleared, and (with --data) its datasets are intact."""
    from .config import load
    from .preflight import check_data, clear_stale_lock
    from .profiles import output_dir

    config = load(args.path)
    if args.data:
        check_data(config)
    if args.unlock and (note := clear_stale_lock(output_dir(config["profile"], Path.cwd()))):
        print(note, file=sys.stderr)


def _clean(args: argparse.Namespace) -> None:
    """Remove what a profile's run rebuilds, and say what went (``make clean``)."""
    from .profiles import clean

    for line in clean(args.profile, Path.cwd(), dry_run=args.dry_run):
        print(line)


def _store(args: argparse.Namespace) -> None:
    from . import mlflow_store

    if args.action == "dump":
        n = mlflow_store.dump(Path(args.db), Path(args.out))
        print(f"wrote {n} MLflow runs of {args.db} to {args.out}")
    else:
        n = mlflow_store.restore(Path(args.out), Path(args.db), force=args.force)
        print(f"restored {n} MLflow runs from {args.out} into {args.db}")


def _trace(args: argparse.Namespace) -> None:
    from .trace import trace

    intact, lines = trace(args.target)
    print("\n".join(lines))
    if not intact:
        raise SystemExit(1)


def _last_error(args: argparse.Namespace) -> None:
    """After a failed run: the one-line error of the newest job log written since ``--since``,
    so that it is the last thing the user sees (Snakemake's own report comes before it)."""
    from pathlib import Path

    since = Path(args.since).stat().st_mtime if Path(args.since).exists() else 0.0
    logs = sorted((p for p in Path(args.logs).rglob("*.log") if p.stat().st_mtime >= since),
                  key=lambda p: p.stat().st_mtime, reverse=True)
    for log in logs:
        lines = [ln.strip() for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
        errors = [ln for ln in lines if ln.startswith("error:")]
        if errors or lines:
            print(f"{errors[-1] if errors else lines[-1]}  (full log: {log})", file=sys.stderr)
            return


def _forkserver(args: argparse.Namespace) -> None:
    raise SystemExit(forkserver.serve(args.command[1:] if args.command[:1] == ["--"] else args.command))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m residue", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    data = sub.add_parser("data", help="materialise a dataset (DVC stage)")
    data.add_argument("action", choices=["prepare"])
    data.add_argument("name")
    data.add_argument("--out", required=True)
    data.add_argument("--source", default=None, help="folder holding the raw files, if the dataset needs one")
    data.set_defaults(fn=_data)
    job = sub.add_parser("job", help="run one pipeline job")
    job.add_argument("name")
    job.add_argument("--spec", required=True, help="the job's config slice as JSON")
    job.add_argument("--input", action="append", default=[], metavar="NAME=PATH")
    job.add_argument("--output", action="append", default=[], metavar="NAME=PATH")
    job.add_argument("--wildcards", default="{}")
    job.add_argument("--threads", type=int, default=1)
    job.set_defaults(fn=_job)
    check = sub.add_parser("check-config", help="validate a config file")
    check.add_argument("path")
    check.set_defaults(fn=_check)
    sub.add_parser("list", help="list every registry").set_defaults(fn=_list)
    pre = sub.add_parser("preflight", help="check a profile before a run (config, data, stale lock)")
    pre.add_argument("path", help="the profile's config file, e.g. config/default.yaml")
    pre.add_argument("--data", action="store_true", help="also check the datasets it uses")
    pre.add_argument("--unlock", action="store_true", help="clear a stale Snakemake lock")
    pre.set_defaults(fn=_preflight)
    cl = sub.add_parser("clean", help="remove everything a profile's run rebuilds (results, figures, logs, models, MLflow store)")
    cl.add_argument("profile", help="default (the committed results at the top) or another profile's name")
    cl.add_argument("--dry-run", action="store_true", help="only say what would go")
    cl.set_defaults(fn=_clean)
    tr = sub.add_parser("trace", help="a claim or metrics.json back to its runs, commit, config and data; exit 1 at a broken link")
    tr.add_argument("target", help="a claim id (see results/claims.json) or a metrics.json path")
    tr.set_defaults(fn=_trace)
    st = sub.add_parser("mlflow-store", help="the MLflow store as committed SQL: dump (the pipeline's last rule) or restore (a fresh clone)")
    st.add_argument("action", choices=["dump", "restore"])
    st.add_argument("--out", default="results/mlflow-store.sql.gz", help="the dump file")
    st.add_argument("--db", default="mlruns.db", help="the SQLite store")
    st.add_argument("--force", action="store_true", help="restore over an existing store")
    st.set_defaults(fn=_store)
    last = sub.add_parser("last-error", help="the newest failed job's one-line error")
    last.add_argument("--since", default=".snakemake/run-start", help="only logs newer than this file")
    last.add_argument("--logs", default="logs")
    last.set_defaults(fn=_last_error)
    fs = sub.add_parser("forkserver", help="run a command (Snakemake) whose `job` calls fork from one warm interpreter")
    fs.add_argument("command", nargs=argparse.REMAINDER, help="-- and the command, e.g. -- snakemake --cores 2")
    fs.set_defaults(fn=_forkserver)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["job"] and os.environ.get(forkserver.ENV):
        if (status := forkserver.submit(argv)) is not None:
            return status
    args = parser().parse_args(argv)
    try:
        args.fn(args)
    except ResidueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0
