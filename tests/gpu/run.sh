#!/usr/bin/env bash
# The first run on a GPU: the device tests on cuda and cuda-sim (and cuda:1 with two GPUs),
# the GPU benchmarks against the device's peak bandwidth, one summary table (tests/gpu/run.py).
# Without a GPU it prints why and exits 0. Options: see `tests/gpu/run.sh --help`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
exec "${PYTHON:-python3}" tests/gpu/run.py "$@"
