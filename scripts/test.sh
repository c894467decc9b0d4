#!/usr/bin/env bash
# Sets up neuroflow with its test tools and peers, then runs lint and both test tiers.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
# Peers for the comparison tests (PyTorch from the local CPU wheel, TensorFlow-Keras).
# Best effort: without them those comparisons skip and everything else still runs.
if ! .venv/bin/python -m pip install -q torch==2.13.0 tensorflow-cpu; then
  echo "WARNING: could not install the peers (torch, tensorflow-cpu); their comparisons will skip" >&2
fi
.venv/bin/ruff check src tests benchmarks examples
set +e
.venv/bin/python -m pytest -q -ra "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "ERROR: pytest collected no tests" >&2
  exit 1
fi
exit "$rc"
