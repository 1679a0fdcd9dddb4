#!/usr/bin/env bash
# bench/present: presentation verification against the two raw signature verifications, one core.
# usage: bench/present/run.sh [BUILD_DIR] [SECONDS_PER_ROUND]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
taskset -c 0 "$build/bin/bench_present" "$here/../../keys-example" "${2:-0.5}"
