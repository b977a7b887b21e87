#!/usr/bin/env bash
# Whole-pipeline timings a user can re-run (`make bench`): wall time and peak memory of the smoke
# profile from scratch, the default profile from scratch, and a no-op re-run, each with
# /usr/bin/time -v; then the training-loop overhead benchmark.  Logs go to benchmarks/out/; each
# timed run is appended to benchmarks/results.json (benchmarks/record.py: commit, cores, wall, CPU,
# peak RSS, load at start, the slowest rules from the run's MLflow store) and the README's table
# is regenerated from it.
# It runs in a temporary copy of the repository, so your results/ and mlruns.db are untouched.
# EXPERIMENTS="poison_unlearning camouflage" times only those experiments' share of each profile;
# KEEP=1 keeps the temporary copy (its path is printed) to read the results the timed run made.
# Jobs fork from one warm interpreter as under `make reproduce`; FORKSERVER=0 times one process per job.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/benchmarks/out
mkdir -p "$out"
work=$(mktemp -d)
if [ -n "${KEEP:-}" ]; then echo "keeping $work"; else trap 'rm -rf "$work"' EXIT; fi
git -C "$root" ls-files -co --exclude-standard -z | (cd "$root" && xargs -0 cp --parents -t "$work")
ln -s "$root/data" "$work/data"
cd "$work"
export RESIDUE_PROGRESS=0 PATH="$root/.venv/bin:$PATH"
timed() {  # name, profile output folder, command...
  local name=$1 dir=$2; shift 2
  local load; load=$(cut -d' ' -f1-3 /proc/loadavg)
  /usr/bin/time -v "$@" > "$out/$name.log" 2> "$out/$name.time"
  awk -v n="$name" -F': ' '/Elapsed \(wall clock\)/{w=$2} /Maximum resident/{m=$2} END{printf "%-16s wall %s  peak RSS %.0f MB\n", n, w, m/1024}' "$out/$name.time"
  python "$root/benchmarks/record.py" "$name" "$out/$name.time" "$dir" --load "$load" --cores "${CORES:-2}"
}
only=()
if [ -n "${EXPERIMENTS:-}" ]; then
  only=(--config "experiments=[$(printf '"%s",' $EXPERIMENTS | sed 's/,$//')]")
fi
tag=${EXPERIMENTS:+-${EXPERIMENTS// /+}}
forked=()
if [ "${FORKSERVER:-1}" = 1 ]; then forked=(python -m residue forkserver --); else tag=$tag-unforked; fi
for profile in ${PROFILES:-smoke default}; do
  dir=$( [ "$profile" = default ] && echo . || echo "out/$profile" )
  python -m residue clean "$profile" > /dev/null
  timed "$profile$tag" "$dir" "${forked[@]}" snakemake --profile profiles/local --cores "${CORES:-2}" --configfile "config/$profile.yaml" "${only[@]}"
  timed "$profile$tag-noop" "$dir" "${forked[@]}" snakemake --profile profiles/local --cores "${CORES:-2}" --configfile "config/$profile.yaml" "${only[@]}"
done
if [ -z "${EXPERIMENTS:-}" ]; then
  python "$root/benchmarks/loop_overhead.py" | tee "$out/loop_overhead.txt"
fi
