#!/usr/bin/env bash
# bench/verify: licence verification against the raw signature primitive, per algorithm, one core.
# usage: bench/verify/run.sh [BUILD_DIR] [SECONDS_PER_ROUND]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
taskset -c 0 "$build/bin/bench_verify" "$here/../../keys-example" "${2:-0.4}"
