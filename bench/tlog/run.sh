#!/usr/bin/env bash
# bench/tlog: the signature log's costs against baselines of the same run (see bench_tlog.c):
# issuance with and without the log, inclusion proofs and certctl audit on a log of ENTRIES entries.
# usage: bench/tlog/run.sh [BUILD_DIR] [ENTRIES] [SECONDS_PER_ROUND]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
entries=${2:-10000000}
seconds=${3:-3}
echo "== bench/tlog: issuance with and without the signature log"
"$build/bin/bench_tlog" issue "$root/keys-example" "$seconds"
echo "== bench/tlog: a log of $entries entries (set-up needs about 6 GB in /tmp)"
"$build/bin/bench_tlog" log "$root/keys-example" "$entries" "$build/bin/certctl"
