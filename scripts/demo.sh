#!/usr/bin/env bash
# Sets up neuroflow and trains the seed 000 MLP on MNIST with a progress bar.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python examples/seed000_mlp.py "$@"
