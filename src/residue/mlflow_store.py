"""The MLflow tracking store as a committed file, so a fresh clone can resolve every run id.

Jobs log to ``mlruns.db`` (SQLite) in the profile's folder; that file is local and not
committed.  The pipeline's last rule writes it as SQL text, gzip-compressed with a fixed
timestamp, to ``results/mlflow-store.sql.gz``; ``python -m residue mlflow-store restore`` loads
it back into ``mlruns.db`` with the same run ids, params, metric curves and tags, so that
``python -m residue trace``, ``mlflow ui`` and ``MlflowClient`` find the committed results' runs.

Artifacts are not in the dump: every artifact a job logs is also one of the committed files
(an experiment's tables, figures and claims, the REPORT).  The dump records the folder the runs
were made in; restore rewrites the artifact locations to the folder it restores into.
"""

from __future__ import annotations

import gzip
import sqlite3
from pathlib import Path

from .errors import ResidueError

DUMP = Path("results/mlflow-store.sql.gz")
DB = Path("mlruns.db")
_ROOT_HEADER = "-- residue: runs made in "


def dump(db: Path = DB, out: Path = DUMP) -> int:
    """Write ``db`` as SQL text to ``out`` (gzip with no name or time in its header); return the number of runs."""
    if not db.is_file():
        raise ResidueError(f"{db} does not exist: no MLflow runs to write")
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        n = con.execute("select count(*) from runs").fetchone()[0]
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out, "wb") as raw, gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as gz:
            gz.write(f"{_ROOT_HEADER}{db.resolve().parent}\n".encode())
            for statement in con.iterdump():
                gz.write(f"{statement}\n".encode())
    finally:
        con.close()
    return n


def restore(src: Path = DUMP, db: Path = DB, force: bool = False) -> int:
    """Create ``db`` from a dump; return the number of runs.  An existing store is kept unless
    ``force`` (it may hold runs that are in no dump)."""
    if not src.is_file():
        raise ResidueError(f"{src} does not exist: nothing to restore (it is written by the pipeline's last rule)")
    if db.exists() and not force:
        raise ResidueError(f"{db} exists; move it away or pass --force to replace it")
    try:
        text = gzip.decompress(src.read_bytes()).decode()
    except (OSError, EOFError, UnicodeDecodeError) as e:
        raise ResidueError(f"{src} is not a gzip-compressed SQL dump ({e})") from None
    header, _, script = text.partition("\n")
    if not header.startswith(_ROOT_HEADER):
        raise ResidueError(f"{src} is not a dump written by `python -m residue mlflow-store dump`")
    made_in, here = header[len(_ROOT_HEADER):], str(db.resolve().parent)
    tmp = db.with_name(db.name + ".restoring")
    tmp.unlink(missing_ok=True)
    con = sqlite3.connect(tmp)
    try:
        con.executescript(script)
        for table, column in (("runs", "artifact_uri"), ("experiments", "artifact_location")):
            con.execute(f"update {table} set {column} = replace({column}, ?, ?)", (made_in, here))
        con.commit()
        n = con.execute("select count(*) from runs").fetchone()[0]
    except sqlite3.Error as e:
        tmp.unlink(missing_ok=True)
        raise ResidueError(f"{src}: the SQL does not load ({e})") from None
    finally:
        con.close()
    tmp.replace(db)
    return n
