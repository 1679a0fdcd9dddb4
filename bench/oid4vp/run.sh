#!/usr/bin/env bash
# bench/oid4vp: complete OpenID4VP flows (create a request, fetch it, present, post, read the result) per
# second against authd on loopback, next to GET /healthz of the same server in the same run; P-256 device
# key, 居民户口簿 issued by 杭州市公安局 (P-256). The wallet's signing runs on the same two cores.
# usage: bench/oid4vp/run.sh [BUILD_DIR] [SECONDS] [ROUNDS] [THREADS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-build}
secs=${2:-5}
rounds=${3:-5}
threads=${4:-32}
keys=$root/keys-example
work=$(mktemp -d)
# shellcheck source=bench/authd/config.sh
. "$root/bench/authd/config.sh"
port=$(free_port)
{
    authd_yaml "$port" "$work/data" "http://127.0.0.1:$port" "" 1133010000249813XA:p256:ga
    printf 'readers:\n  - client: counter-hz\n    key: %s/readers/counter-hz.key\n    certificate: %s/readers/counter-hz.crt\n' \
        "$keys" "$keys"
} >"$work/authd.yaml"
"$build/bin/authd" --config "$work/authd.yaml" init 2>"$work/authd.err"
"$build/bin/authd" --config "$work/authd.yaml" 2>>"$work/authd.err" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
wait_up "$port"
url=http://127.0.0.1:$port

# the phone's key and its licence
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/device.key" 2>/dev/null
pub=$(openssl pkey -in "$work/device.key" -pubout | awk '{printf "%s\\n", $0}')
curl -sf "$url/v1/licences" -H "authorization: Bearer $(cat "$keys/tokens/issuer-ga.token")" \
    -H 'content-type: application/json' -d "{\"type\": \"11100000000013338W004\",
  \"holder\": {\"id\": \"11010519491231002X\", \"name\": \"张三\"}, \"device_key\": \"$pub\",
  \"elements\": {\"household_number\": \"330106001234\", \"household_head\": \"张三\", \"relationship\": \"户主\",
  \"address\": \"杭州市西湖区文三路1号\"}}" |
    /usr/bin/python3 -c 'import sys, json, base64; s = json.load(sys.stdin)["licence"]; sys.stdout.buffer.write(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))' \
        >"$work/licence.cbor"

echo "bench/oid4vp: authd (2 workers) on 127.0.0.1:$port; $threads client threads, $rounds rounds of ${secs}s"
"$build/bin/bench_flows" "$url" "$(cat "$keys/tokens/counter-hz.token")" "$work/licence.cbor" "$work/device.key" \
    "$threads" "$secs" "$rounds"
