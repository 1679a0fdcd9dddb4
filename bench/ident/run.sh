#!/usr/bin/env bash
# bench/ident: certlib's batch identifier checks against validator.js on the same inputs, one core.
# usage: bench/ident/run.sh [BUILD_DIR] [N]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
n=${2:-4000000}
inputs=$(mktemp)
trap 'rm -f "$inputs"' EXIT

echo "bench/ident: $n generated inputs, pinned to CPU 0"
c_out=$(taskset -c 0 "$build/bin/bench_ident" "$n" "$inputs")
echo "$c_out" | grep -v '^CERTLIB_RATE'
c_rate=$(echo "$c_out" | awk '/^CERTLIB_RATE/ {print $2}')

if [ ! -d "$here/node_modules/validator" ]; then
    if ! (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1); then
        echo "!!! npm registry unreachable: the reference validator could not be installed; no ratio printed" >&2
        exit 0
    fi
fi
ref_out=$(taskset -c 0 node "$here/reference.js" "$inputs")
echo "$ref_out" | grep -v '^REFERENCE_RATE'
ref_rate=$(echo "$ref_out" | awk '/^REFERENCE_RATE/ {print $2}')
awk -v c="$c_rate" -v r="$ref_rate" 'BEGIN { printf "ratio certlib / validator.js: %.1fx (target >= 20x; certlib target >= 20 M/s: %s)\n", c / r, (c >= 20e6 ? "met" : "NOT met") }'
