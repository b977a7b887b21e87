"""``python -m residue trace``: from a committed number back to what made it, link by link.

For a claim id (``P1.gaussian.gd.residue``), a ``metrics.json`` path or a ``claims.json`` path (every
claim of an experiment, or of all of them for ``results/claims.json``), print the chain

    claim (value, criterion, verdict, commit, profile)
      → the experiment's metrics.json files (the summary job's inputs)
        → run.json beside each → its commit (exists? which code files differ from HEAD?)
        → dirty flag → config hash (the profile's current config or not)
        → DVC hash of each dataset (as in dvc.lock now?) → MLflow run (resolvable here?)

and exit 1 naming the first broken link: a missing run.json, a commit that does not exist here,
a run made from uncommitted code, a dataset whose DVC hash is no longer the locked one, an MLflow
run the store does not have (``python -m residue mlflow-store restore`` loads the committed one),
or metrics.json files of one claim made at different commits.  A config that changed since is
reported as a note.
"""

from __future__ import annotations

import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .io import read_json, sha256_json
from .lineage import CODE_PATHS, dvc_hash


class Broken(Exception):
    """The first broken link of a chain."""


@dataclass
class Trace:
    root: Path
    lines: list[str] = field(default_factory=list)
    _changed: dict[str, list[str] | None] = field(default_factory=dict)

    def say(self, depth: int, text: str) -> None:
        self.lines.append("  " * depth + text)

    def git(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", *args], cwd=self.root, capture_output=True, text=True)

    def changed_since(self, commit: str) -> list[str] | None:
        """Code and config files that differ between ``commit`` and HEAD (None: no such commit)."""
        if commit not in self._changed:
            exists = self.git("cat-file", "-e", f"{commit}^{{commit}}").returncode == 0
            self._changed[commit] = self.git("diff", "--name-only", commit, "HEAD", "--", *CODE_PATHS).stdout.split() if exists else None
        return self._changed[commit]


def find_claim(root: Path, claim_id: str) -> tuple[dict, Path]:
    for path in sorted((root / "results").glob("*/claims.json")):
        for claim in read_json(path):
            if claim["id"] == claim_id:
                return claim, path
    raise Broken(f"no claim {claim_id!r} in results/*/claims.json")


def current_config_hash(root: Path, profile: str) -> str | None:
    """The hash the Snakefile would export for this profile's config now (None if unreadable):
    the same ``snakemake.utils.validate`` fills the schema's defaults before hashing."""
    from snakemake.utils import validate

    from .config import read

    try:
        config = read(root / "config" / f"{profile}.yaml")
        validate(config, str(root / "config" / "schema.yaml"))
    except Exception:
        return None
    return sha256_json(config)


def mlflow_run(root: Path, run_id: str) -> str:
    """The run's status, params count, rule and commit from the profile's MLflow store."""
    db = root / "mlruns.db"
    if not db.exists():
        raise Broken("no MLflow store (mlruns.db) in this checkout: `python -m residue mlflow-store restore` "
                     "loads the committed one (results/mlflow-store.sql.gz)")
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    row = con.execute("select status from runs where run_uuid = ?", (run_id,)).fetchone()
    if row is None:
        raise Broken(f"MLflow run {run_id} is not in mlruns.db (restore the committed store, or re-run the job)")
    n_params = con.execute("select count(*) from params where run_uuid = ?", (run_id,)).fetchone()[0]
    tags = dict(con.execute("select key, value from tags where run_uuid = ?", (run_id,)))
    return f"{row[0]}, {n_params} params, rule {tags.get('rule')}, commit {tags.get('git_commit', '')[:12]}"


def trace_metrics(t: Trace, path: Path, depth: int, config_hash: str | None) -> str:
    """Check one metrics.json and its run.json; return the commit it was made at."""
    rel = path.relative_to(t.root)
    run_path = path.with_name("run.json")
    if not run_path.exists():
        raise Broken(f"{rel}: no run.json beside it")
    metrics, run = read_json(path), read_json(run_path)
    commit = run["git_commit"]
    t.say(depth, f"{rel} (job {metrics.get('job')}) ← run.json: commit {commit[:12]}, MLflow run {run['mlflow_run_id']}")
    if (changed := t.changed_since(commit)) is None:
        raise Broken(f"{rel}: commit {commit} does not exist in this repository")
    t.say(depth + 1, f"commit exists; code and config changed since in {len(changed)} files"
                     + (f" ({', '.join(changed[:4])}{', …' if len(changed) > 4 else ''})" if changed else ""))
    if run["git_dirty"]:
        raise Broken(f"{rel}: made from uncommitted code (diff sha256 {run.get('git_diff_sha256')})")
    same = run["config_sha256"] == config_hash
    t.say(depth + 1, "config hash = the profile's current config" if same else
          "note: config hash differs from the profile's current config (some section changed since)")
    for name, md5 in metrics.get("data", {}).items():
        locked = dvc_hash(f"data/{name}", t.root / "dvc.lock")
        if md5 != locked:
            raise Broken(f"{rel}: data/{name} was {md5}, dvc.lock now says {locked}")
        t.say(depth + 1, f"data/{name}: DVC {md5} = dvc.lock")
    if (m := run.get("machine")) is not None:
        t.say(depth + 1, f"machine: {m['cpu']} ({m['cpu_kernels']} kernels), accelerator {m['accelerator']}, "
                         f"native bf16 {m['native_bf16']}, torch {m['torch']}, {m['threads']} threads")
    t.say(depth + 1, f"MLflow: {mlflow_run(t.root, run['mlflow_run_id'])}")
    return commit


def trace_inputs(t: Trace, claims: Path, profile: str) -> None:
    """Every metrics.json under the claims file's folder (its summary job's inputs): one commit, clean."""
    folder = claims.parent.relative_to(t.root)
    files = sorted(claims.parent.glob("**/metrics.json"))
    if not files:
        raise Broken(f"{folder}: no metrics.json under it")
    config_hash = current_config_hash(t.root, profile)
    commits = {trace_metrics(t, f, 2, config_hash) for f in files}
    if len(commits) > 1:
        raise Broken(f"{folder}: its {len(files)} metrics.json come from "
                     f"{len(commits)} commits ({', '.join(sorted(c[:12] for c in commits))})")
    t.say(1, f"all {len(files)} metrics.json files: one commit, clean")


def trace_claims_file(t: Trace, path: Path) -> None:
    """All claims of one claims.json: their verdict counts, then the inputs' chain."""
    claims = read_json(path)
    if not claims:
        raise Broken(f"{path.relative_to(t.root)}: no claims in it")
    def counts(kind: str, label: str) -> str:
        v = [c["holds"] for c in claims if c.get("kind", "claim") == kind]
        return f"{len(v)} {label}: {v.count(True)} hold / {v.count(False)} fail / {v.count(None)} untestable"

    made = sorted({(c["config"], c["commit"]) for c in claims})
    t.say(0, f"{path.relative_to(t.root)}: {counts('claim', 'paper claims')}; {counts('sanity', 'sanity checks')}")
    t.say(1, "profile, commit: " + "; ".join(f"{p}, {c}" for p, c in made))
    trace_inputs(t, path, made[0][0])


def trace(target: str, root: Path = Path(".")) -> tuple[bool, list[str]]:
    """The chain for a claim id, a metrics.json or a claims.json path; (intact, printed lines)."""
    root = root.resolve()
    t = Trace(root)
    try:
        if target.endswith(".json"):
            path = (root / target).resolve()
            if not path.exists():
                raise Broken(f"{target} does not exist")
            if path.name == "claims.json":
                trace_claims_file(t, path)
            else:
                trace_metrics(t, path, 0, current_config_hash(root, "default"))
        else:
            claim, source = find_claim(root, target)
            t.say(0, f"{claim['id']}: {claim['claim']}")
            t.say(1, f"value {claim['value']} {claim['ci95']}, n {claim['n']} ({claim['unit']}); "
                     f"criterion {claim['criterion']}; holds {claim['holds']}"
                     + (f" (untestable: {claim['untestable_reason']})" if claim["holds"] is None else ""))
            t.say(1, f"from {source.relative_to(root)}, profile {claim['config']}, commit {claim['commit']}")
            trace_inputs(t, source, claim["config"])
    except Broken as e:
        t.say(0, f"BROKEN: {e}")
        return False, t.lines
    return True, t.lines
