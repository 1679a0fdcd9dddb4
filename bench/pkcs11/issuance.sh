#!/usr/bin/env bash
# bench/pkcs11/issuance.sh: durable issuance through authd with the department's signing key in a SoftHSM2
# token (PKCS#11: CKM_ECDSA for P-256, CKM_EDDSA for Ed25519) against the same key as a file, in the same
# run: ROUNDS alternating rounds of SECONDS each with wrk (-t2 -c64), fresh stores per round, medians and
# the median ratio token/file for each algorithm (target for P-256: >= 0.5).
# usage: bench/pkcs11/issuance.sh [BUILD_DIR] [ROUNDS] [SECONDS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
rounds=${2:-5}
secs=${3:-8}
keys=$root/keys-example
command -v wrk >/dev/null || { echo "bench/pkcs11/issuance.sh needs wrk (scripts/install-deps installs it)" >&2; exit 1; }
command -v softhsm2-util >/dev/null || { echo "bench/pkcs11/issuance.sh needs softhsm2 (scripts/install-deps)" >&2; exit 1; }
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
# shellcheck source=bench/authd/config.sh
. "$root/bench/authd/config.sh"
export BENCH_DIR=$root/bench/authd THREADS=2
"$keys/softhsm-init.sh" "$work/softhsm" 2>/dev/null
export SOFTHSM2_CONF=$work/softhsm/softhsm2.conf
uri() { printf 'pkcs11:token=authd-demo;object=%s?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:%s/softhsm/pin' "$1" "$work"; }

# run_round file|token ALG CODE DEPT CLIENT KIND: one fresh authd, wrk issuance for SECONDS; prints the rate
run_round() {
    local where=$1 alg=$2 code=$3 dept=$4 client=$5 kind=$6 port data rate
    port=$(free_port)
    data=$work/round-$RANDOM
    authd_yaml "$port" "$data" "http://127.0.0.1:$port" "store:
  map_size: 4G" "$code:$alg:$dept" >"$work/authd.yaml"
    if [ "$where" = token ]; then
        local key_uri status_uri # '&' is sed's "the match": escaped
        key_uri=$(uri "$dept-ds" | sed 's/&/\\&/g')
        status_uri=$(uri "$alg-status" | sed 's/&/\\&/g')
        sed -i -e "s|    key: $keys/pki/$alg/$dept.key|    key: \"$key_uri\"|" \
            -e "s|    status_key: $keys/pki/$alg/status.key|    status_key: \"$status_uri\"|" "$work/authd.yaml"
        grep -q 'pkcs11:' "$work/authd.yaml"
    fi
    "$build/bin/authd" --config "$work/authd.yaml" init 2>/dev/null
    "$build/bin/authd" --config "$work/authd.yaml" 2>>"$work/authd.err" &
    pid=$!
    wait_up "$port"
    rate=$(TOKEN=$(cat "$keys/tokens/$client.token") KIND=$kind BASE=0 \
        wrk -t2 -c64 -d"${secs}s" -s "$root/bench/authd/issue.lua" "http://127.0.0.1:$port" 2>/dev/null |
        awk '/^Requests\/sec/ {print $2}')
    echo "  $alg $where: $rate licences/s" >&2
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=
    rm -rf "$data" "$data.state"
    echo "$rate"
}

echo "bench/pkcs11/issuance: $rounds alternating rounds of ${secs}s per key, wrk -t2 -c64"
for spec in "p256 1133010000249813XA ga issuer-ga hukou" "ed25519 11330100002498121J mz issuer-mz marriage"; do
    read -r alg _ <<<"$spec"
    alternate "$rounds" "file $spec" "token $spec"
    mr=$(median "${ratios[@]}")
    target=$([ "$alg" = p256 ] && echo "target >= 0.5: $(met "$mr" 0.5)" || echo "no target")
    printf '%s issuance, medians: %.0f/s key file, %.0f/s key in SoftHSM2; median ratio %.3f (%s)\n' "$alg" \
        "$(median "${rates_a[@]}")" "$(median "${rates_b[@]}")" "$mr" "$target"
done
