#!/usr/bin/env bash
# bench/store-cipher/lookups.sh: 一证通办 lookups (GET /v1/holders/{id}/licences: each decrypts and returns the
# holder's licences) on a store sealed with SM4-CTR + HMAC-SM3 (store.cipher: sm4) against one sealed with
# XChaCha20-Poly1305, in the same run: ROUNDS alternating rounds, each a fresh store filled with FILL seconds
# of issuance of two licence types (hukou, P-256; marriage, Ed25519) to the same holders, then SECONDS of
# lookups with wrk (-t2 -c64). Medians and the median ratio sm4/xchacha (target >= 0.8).
# usage: bench/store-cipher/lookups.sh [BUILD_DIR] [ROUNDS] [SECONDS] [FILL]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
rounds=${2:-5}
secs=${3:-8}
fill=${4:-3}
keys=$root/keys-example
command -v wrk >/dev/null || { echo "bench/store-cipher/lookups.sh needs wrk (scripts/install-deps installs it)" >&2; exit 1; }
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
# shellcheck source=bench/authd/config.sh
. "$root/bench/authd/config.sh"
export BENCH_DIR=$root/bench/authd THREADS=2

# run_round xchacha20-poly1305|sm4: fills a fresh store, then measures lookups; prints the rate
run_round() {
    local cipher=$1 port data rate issued
    port=$(free_port)
    data=$work/round-$RANDOM
    authd_yaml "$port" "$data" "http://127.0.0.1:$port" "store:
  map_size: 4G
  cipher: $cipher" 1133010000249813XA:p256:ga 11330100002498121J:ed25519:mz >"$work/authd.yaml"
    "$build/bin/authd" --config "$work/authd.yaml" init 2>/dev/null
    "$build/bin/authd" --config "$work/authd.yaml" 2>>"$work/authd.err" &
    pid=$!
    wait_up "$port"
    issued=$(TOKEN=$(cat "$keys/tokens/issuer-ga.token") KIND=hukou BASE=0 \
        wrk -t2 -c64 -d"${fill}s" -s "$root/bench/authd/issue.lua" "http://127.0.0.1:$port" 2>/dev/null |
        awk '/requests in/ {print $1}')
    TOKEN=$(cat "$keys/tokens/issuer-mz.token") KIND=marriage BASE=0 \
        wrk -t2 -c64 -d"${fill}s" -s "$root/bench/authd/issue.lua" "http://127.0.0.1:$port" >/dev/null 2>&1
    rate=$(TOKEN=$(cat "$keys/tokens/counter-hz.token") HOLDERS=$((issued / 2)) \
        wrk -t2 -c64 -d"${secs}s" -s "$root/bench/authd/lookup.lua" "http://127.0.0.1:$port" 2>/dev/null | wrk_rate)
    echo "  $cipher: $rate lookups/s over $((issued / 2)) holders" >&2
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=
    rm -rf "$data" "$data.state"
    echo "$rate"
}

echo "bench/store-cipher/lookups: $rounds alternating rounds, ${secs}s of lookups each, wrk -t2 -c64"
alternate "$rounds" xchacha20-poly1305 sm4
mr=$(median "${ratios[@]}")
printf 'lookups, medians: %.0f/s XChaCha20-Poly1305, %.0f/s SM4-CTR + HMAC-SM3; median ratio %.3f (target >= 0.8: %s)\n' \
    "$(median "${rates_a[@]}")" "$(median "${rates_b[@]}")" "$mr" "$(met "$mr" 0.8)"
