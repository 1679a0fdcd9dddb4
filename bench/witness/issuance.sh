#!/usr/bin/env bash
# bench/witness/issuance.sh: durable EdDSA issuance through authd with its signature log witnessed by two
# local witnesses (two more authd on loopback, quorum 2), against the same authd configuration without
# witnesses, in the same run: ROUNDS alternating rounds of SECONDS each with wrk (-t2 -c64), fresh
# stores (and witnesses) per round, medians and the median ratio (target >= 0.9). Also whether the witnessed authd's
# newest checkpoint was cosigned by the end of each round.
# usage: bench/witness/issuance.sh [BUILD_DIR] [ROUNDS] [SECONDS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
rounds=${2:-5}
secs=${3:-8}
keys=$root/keys-example
command -v wrk >/dev/null || { echo "bench/witness/issuance.sh needs wrk (scripts/install-deps installs it)" >&2; exit 1; }
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
# shellcheck source=bench/authd/config.sh
. "$root/bench/authd/config.sh"
export BENCH_DIR=$root/bench/authd THREADS=2

sig_vkey=$(/usr/bin/python3 - "$keys" <<'PY'
import base64, hashlib, sys
from cryptography.hazmat.primitives import serialization
pub = serialization.load_pem_public_key(open(sys.argv[1] + "/log/signatures.pub", "rb").read()).public_bytes(
    serialization.Encoding.Raw, serialization.PublicFormat.Raw)
origin = "bench.example/log/signatures"
key_id = hashlib.sha256(origin.encode() + b"\n\x01" + pub).digest()[:4].hex()
print(f"{origin}+{key_id}+" + base64.b64encode(b"\x01" + pub).decode())
PY
)

# start_witnesses: two fresh witnesses (a new store each round: the log of every round is a new history
# under the same key, which a witness that saw the last one would rightly refuse)
wports=()
wkeys=()
wpids=()
start_witnesses() {
    wports=()
    wkeys=()
    wpids=()
    local w p
    for w in witness-a witness-b; do
        p=$(free_port)
        authd_yaml "$p" "$work/$w-$RANDOM" "http://127.0.0.1:$p" "" >"$work/$w.yaml"
        printf 'witness:\n  name: %s.bench.example\n  key: %s/log/%s.key\n  logs: ["%s"]\n' "$w" "$keys" "$w" \
            "$sig_vkey" >>"$work/$w.yaml"
        sed -i 's/^signers:$//' "$work/$w.yaml"
        "$build/bin/authd" --config "$work/$w.yaml" init 2>/dev/null
        "$build/bin/authd" --config "$work/$w.yaml" 2>>"$work/$w.err" &
        wpids+=($!)
        pids+=($!)
        wait_up "$p"
        wports+=("$p")
        wkeys+=("$(curl -s "http://127.0.0.1:$p/witness/key")")
    done
}

# run_round witnessed|plain: one fresh authd, wrk issuance for SECONDS; prints the rate
run_round() {
    local kind=$1 port data rate pid
    port=$(free_port)
    data=$work/round-$kind-$RANDOM
    authd_yaml "$port" "$data" "http://127.0.0.1:$port" "store:
  map_size: 4G" 11330100002498121J:ed25519:mz >"$work/$kind.yaml"
    if [ "$kind" = witnessed ]; then
        start_witnesses
        /usr/bin/python3 - "$work/$kind.yaml" "$keys" "${wports[0]}" "${wkeys[0]}" "${wports[1]}" "${wkeys[1]}" <<'PY'
import sys
path, keys, p1, k1, p2, k2 = sys.argv[1:]
text = open(path).read()
anchor = f"    key: {keys}/log/signatures.key\n"
block = (f"    witnesses:\n      - url: http://127.0.0.1:{p1}/witness\n        key: \"{k1}\"\n"
         f"      - url: http://127.0.0.1:{p2}/witness\n        key: \"{k2}\"\n    witness_quorum: 2\n")
open(path, "w").write(text.replace(anchor, anchor + block, 1))
PY
    fi
    "$build/bin/authd" --config "$work/$kind.yaml" init 2>/dev/null
    "$build/bin/authd" --config "$work/$kind.yaml" 2>>"$work/$kind.err" &
    pid=$!
    wait_up "$port"
    rate=$(TOKEN=$(cat "$keys/tokens/issuer-mz.token") KIND=marriage BASE=0 \
        wrk -t2 -c64 -d"${secs}s" -s "$root/bench/authd/issue.lua" "http://127.0.0.1:$port" 2>/dev/null |
        awk '/^Requests\/sec/ {print $2}')
    if [ "$kind" = witnessed ]; then
        sleep 1.5 # a round of the witnessing thread after the load
        cosigs=$(curl -s "http://127.0.0.1:$port/log/signatures/checkpoint" | grep -c '^— ' || true)
        echo "  witnessed round: $rate licences/s; newest checkpoint carries $((cosigs - 1)) cosignatures" >&2
    else
        echo "  plain round:     $rate licences/s" >&2
    fi
    kill "$pid" "${wpids[@]}" 2>/dev/null || true
    wait "$pid" "${wpids[@]}" 2>/dev/null || true
    wpids=()
    rm -rf "$data" "$data.state"
    echo "$rate"
}

echo "bench/witness/issuance: $rounds alternating rounds of ${secs}s, wrk -t2 -c64, EdDSA issuance"
alternate "$rounds" plain witnessed
mr=$(median "${ratios[@]}")
printf 'issuance, medians: %.0f/s without witnesses, %.0f/s with two (quorum 2); median ratio %.3f (target >= 0.9: %s)\n' \
    "$(median "${rates_a[@]}")" "$(median "${rates_b[@]}")" "$mr" "$(met "$mr" 0.9)"
