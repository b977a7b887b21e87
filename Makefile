# The two commands of the README:
#   make reproduce   set up, materialise the data (DVC), run the default profile (Snakemake)
#   make test        set up, materialise the data, run the test suite (smoke profile included)
# Everything installs into .venv from the pinned requirements.lock (+ this package, editable).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
CORES ?= 2
PROFILE ?= default
export PATH := $(BIN):$(PATH)
export DVC_NO_ANALYTICS := 1
export MLFLOW_ENABLE_TELEMETRY := false
export DO_NOT_TRACK := 1
export HF_HUB_OFFLINE := 1
export PYTHONHASHSEED := 0

.PHONY: reproduce check-profile test setup data data-paper data-sources dry-run report ui lint bench clean

SNAKEMAKE = snakemake --profile profiles/local --cores $(CORES) --configfile config/$(PROFILE).yaml
# A run's jobs fork from one warm interpreter (src/residue/forkserver.py: ≈ 8 s of imports saved
# per job, the same bytes); FORKSERVER=0 starts each job as its own process.
FORKSERVER ?= 1
FORKED = $(if $(filter 1,$(FORKSERVER)),$(BIN)/python -m residue forkserver --)
# Where the profile writes (residue/profiles.py): the repository itself for the default profile
# (the committed results), out/<profile>/ for any other.
OUT := $(if $(filter default,$(PROFILE)),.,out/$(PROFILE))
# One line for a PROFILE typo, a bad config or missing/corrupted data, before anything runs.
PREFLIGHT = $(BIN)/python -m residue preflight config/$(PROFILE).yaml
# On failure, the failing job's one-line error is the last thing printed.
LAST_ERROR = { s=$$?; $(BIN)/python -m residue last-error --since $(OUT)/.snakemake/run-start --logs $(OUT)/logs; exit $$s; }
# How many jobs would run, per rule (`make dry-run`; `make reproduce` needs no separate dry run:
# Snakemake prints the same table before its first job, and a no-op re-run is ≈ 2 s faster without it).
PLAN = set -o pipefail; $(SNAKEMAKE) -n --quiet rules host 2>&1 | awk 'p == 0 {print} /^total /{p = 1}'


reproduce: check-profile data
	@$(PREFLIGHT) --data --unlock
	@mkdir -p $(OUT)/.snakemake && touch $(OUT)/.snakemake/run-start
	$(FORKED) $(SNAKEMAKE) || $(LAST_ERROR)

check-profile: $(STAMP)
	@$(PREFLIGHT)

test: data
	pytest

setup: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	touch $@

data-sources:
	@bash scripts/data-sources.sh

data: $(STAMP) data-sources
	dvc repro --quiet

# The paper profile's CIFAR-10: point CIFAR10_DIR (or cifar10_dir in params.yaml) at an extracted
# cifar-10-batches-py folder. The stage is added to dvc.yaml and its hash recorded in dvc.lock.
data-paper: $(STAMP)
	$(if $(CIFAR10_DIR),sed -i 's#^cifar10_dir:.*#cifar10_dir: $(CIFAR10_DIR)#' params.yaml)
	dvc stage add --force -n prepare_cifar10 -p cifar10_dir \
	  -d src/residue/data/sources/cifar10.py -d src/residue/data/arrays.py -o data/cifar10 \
	  'python -m residue data prepare cifar10 --source $${cifar10_dir} --out data/cifar10'
	dvc repro prepare_cifar10

# A summary (jobs per rule); VERBOSE=1 prints every job, its shell command and its reason.
dry-run: $(STAMP)
	@$(PREFLIGHT) --data
ifeq ($(VERBOSE),1)
	$(SNAKEMAKE) -n -p
else
	@$(PLAN)
	@echo "(a summary: every job, its command and its reason with VERBOSE=1 make dry-run)"
endif

report: $(STAMP)
	@$(PREFLIGHT) --unlock
	$(SNAKEMAKE) --report results/report.html  # relative to the profile's folder: $(OUT)/results/report.html

lint: $(STAMP)
	snakemake --lint

ui: $(STAMP)
	$(BIN)/python -c "import mlflow.server" 2>/dev/null || $(BIN)/python -m pip install -q mlflow==3.17.2
	$(BIN)/mlflow ui --backend-store-uri sqlite:///$(OUT)/mlruns.db --host 127.0.0.1 --port 5000

bench: $(STAMP)
	bash benchmarks/run.sh

# Everything the profile's run rebuilds, each removal named (PROFILE=smoke make clean: out/smoke).
clean: $(STAMP)
	@$(BIN)/python -m residue clean $(PROFILE)
