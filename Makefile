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

.PHONY: reproduce test setup data data-paper data-sources dry-run report ui lint bench clean

reproduce: data
	snakemake --profile profiles/local --cores $(CORES) --configfile config/$(PROFILE).yaml

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

dry-run: $(STAMP)
	snakemake --profile profiles/local --cores $(CORES) --configfile config/$(PROFILE).yaml -n

report: $(STAMP)
	snakemake --profile profiles/local --cores $(CORES) --configfile config/$(PROFILE).yaml --report results/report.html

lint: $(STAMP)
	snakemake --lint

ui: $(STAMP)
	$(BIN)/python -c "import mlflow.server" 2>/dev/null || $(BIN)/python -m pip install -q mlflow==3.17.2
	$(BIN)/mlflow ui --backend-store-uri sqlite:///mlruns.db --host 127.0.0.1 --port 5000

bench: $(STAMP)
	bash benchmarks/run.sh

clean:
	rm -rf results/*/ figures/*/ logs .work .snakemake/incomplete mlruns mlruns.db .mlflow.lock
