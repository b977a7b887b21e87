#!/usr/bin/env bash
# Regenerate a profile's results at one clean commit, in a fresh clone so that nothing of this
# checkout leaks in (every run.json then names that commit, clean: the lineage invariant):
#
#   scripts/regenerate.sh [COMMIT]          default HEAD; PROFILE=smoke for another profile
#
# 1. clones COMMIT into a temporary folder (kept; its path is printed) and runs `make setup data`
#    and `make clean` there; 2. `make reproduce` under /usr/bin/time -v (jobs forked, as always);
#    3. stops if the run changed any tracked file other than its results and figures (dvc.lock
#    rewritten: this machine made other data than the commit locked); 4. records the timing in
#    benchmarks/results.json (benchmarks/record.py); 5. copies results/ and figures/ into this
#    checkout (out/<profile>/ for a profile other than default) and prints scripts/claims_diff.py
#    against what was there.  For the default profile, review and commit them on top of COMMIT:
#    git add results figures benchmarks && git commit
# It needs this checkout's .venv (`make setup`) for recording; the clone makes its own.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
profile=${PROFILE:-default}
commit=$(git -C "$root" rev-parse "${1:-HEAD}")
if [ -n "$(git -C "$root" status --porcelain --untracked-files=no)" ]; then
  echo "error: $root has uncommitted changes; commit or stash them first" >&2
  exit 2
fi
out=$( [ "$profile" = default ] && echo . || echo "out/$profile" )
work=$(mktemp -d)/residue
echo "regenerating the $profile profile at ${commit:0:12} in $work"
git clone -q "$root" "$work"
git -C "$work" checkout -q --detach "$commit"
cd "$work"
make setup data > setup.log 2>&1
.venv/bin/python -m residue clean "$profile" > /dev/null
load=$(cut -d' ' -f1-3 /proc/loadavg)
/usr/bin/time -v make reproduce PROFILE="$profile" > reproduce.log 2> reproduce.time || { tail -5 reproduce.time >&2; exit 1; }
changed=$(git status --porcelain --untracked-files=no -- . ':!results' ':!figures')
if [ -n "$changed" ]; then
  echo "error: the run changed tracked files besides results/ and figures/ (its results are not those of a clean $commit):" >&2
  echo "$changed" >&2
  exit 1
fi
"$root/.venv/bin/python" "$root/benchmarks/record.py" "$profile" reproduce.time "$out" --load "$load" --cores "${CORES:-2}"
mkdir -p "$root/$out"
old=$(mktemp)
cp "$root/$out/results/claims.json" "$old" 2>/dev/null || echo "[]" > "$old"
for d in results figures; do
  rm -rf "${root:?}/$out/$d"
  cp -a "$work/$out/$d" "$root/$out/$d"
done
"$root/.venv/bin/python" "$root/scripts/claims_diff.py" "$old" "$root/$out/results/claims.json"
echo "wall: $(grep 'Elapsed (wall' reproduce.time | sed 's/.*: //'); clone kept in $work"
