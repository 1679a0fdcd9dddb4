#!/usr/bin/env bash
# bench/witness: authd's witness add-checkpoint on one core with one-step consistency proofs, its state
# on disk and on tmpfs, against checking the log's signature alone in the same run (bench_witness.c).
# usage: bench/witness/run.sh [BUILD_DIR] [ENTRIES] [ROUNDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
"$build/bin/bench_witness" "${2:-60000}" "${3:-5}"
