"""``python -m residue``: the thin entry points Snakemake rules and DVC stages call.

    python -m residue data prepare NAME --out data/NAME [--source DIR]   # a dvc.yaml stage
    python -m residue job NAME --spec JSON --output metrics=PATH ...      # a Snakemake job
    python -m residue check-config config/default.yaml                    # validate only
    python -m residue list                                                # every registry

Errors a user can fix (:class:`residue.errors.ResidueError`) print one line and exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys

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


def _list(args: argparse.Namespace) -> None:
    import residue.registries as regs
    from .registry import Registry

    for reg in vars(regs).values():
        if isinstance(reg, Registry):
            print(f"{reg.kind}: {', '.join(reg.names())}")


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
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        args.fn(args)
    except ResidueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0
