#!/usr/bin/env bash
# Make sure the raw Fashion-MNIST files are on this machine before `dvc repro` reads them.
# Order: $FASHION_MNIST_DIR, then Debian's dataset-fashion-mnist package (installed with apt-get
# when we are root and apt-get exists), else a one-line explanation and exit 1.
set -euo pipefail
debian=/usr/share/datasets/fashion-mnist
if [[ -n "${FASHION_MNIST_DIR:-}" ]]; then
  [[ -d "$FASHION_MNIST_DIR" ]] && exit 0
  echo "error: FASHION_MNIST_DIR=$FASHION_MNIST_DIR is not a folder" >&2; exit 1
fi
[[ -f $debian/train-images-idx3-ubyte.gz ]] && exit 0
if command -v apt-get >/dev/null && [[ $(id -u) -eq 0 ]]; then
  echo "installing Debian's dataset-fashion-mnist (the raw Fashion-MNIST idx files)..."
  apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null && apt-get install -y -q dataset-fashion-mnist >/dev/null; }
  exit 0
fi
echo "error: Fashion-MNIST not found: run 'sudo apt-get install dataset-fashion-mnist', or set FASHION_MNIST_DIR to a folder with train-images-idx3-ubyte(.gz), train-labels-idx1-ubyte(.gz), t10k-images-idx3-ubyte(.gz), t10k-labels-idx1-ubyte(.gz)" >&2
exit 1
