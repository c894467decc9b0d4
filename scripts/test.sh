#!/usr/bin/env bash
# Sets up neuroflow with its test tools and peers, then runs lint, both test tiers and the
# docstring examples (pytest's testpaths: tests/ and src/neuroflow/).
# Peers (PyTorch, TensorFlow-Keras, scikit-learn, neat-python, KerasTuner) are what the comparison tests check against.
# In CI (CI=true) they are required: a failed install fails here, and tests/conftest.py fails any
# run without them. Elsewhere a failed install warns and their comparisons skip, with the reason.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
peers=(torch==2.13.0 tensorflow-cpu scikit-learn neat-python keras-tuner)
if ! .venv/bin/python -m pip install -q "${peers[@]}"; then
  if [ "${CI:-}" = "true" ]; then
    echo "ERROR: could not install the peers (${peers[*]}); CI needs them for the comparisons" >&2
    exit 1
  fi
  echo "WARNING: could not install the peers (${peers[*]}); their comparisons will skip" >&2
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
