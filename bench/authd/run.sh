#!/usr/bin/env bash
# bench/authd: authd under load on loopback with wrk, every figure next to GET /healthz of the same
# server in the same run. Issuance (durable, EdDSA and SM2), lookups on a store filled to TARGET licences
# (default 1,000,000), and HTTP verification against the library's own rate; authd's resident memory
# (anonymous pages: the LMDB page cache is file-backed and not counted).
# usage: bench/authd/run.sh [BUILD_DIR] [TARGET] [SECONDS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-build}
target=${2:-1000000}
secs=${3:-10}
command -v wrk >/dev/null || { echo "bench/authd needs wrk (scripts/install-deps installs it)" >&2; exit 1; }
work=$(mktemp -d)
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
keys=$root/keys-example
export BENCH_DIR=$here THREADS=2

# shellcheck source=bench/authd/config.sh
. "$here/config.sh"
authd_yaml "$port" "$work/data" "http://127.0.0.1:$port" "store:
  map_size: 16G" 11330100002498121J:ed25519:mz 113301000024981565:sm2:zrzy >"$work/authd.yaml"
"$build/bin/authd" --config "$work/authd.yaml" init 2>"$work/authd.err"
"$build/bin/authd" --config "$work/authd.yaml" 2>>"$work/authd.err" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
url=http://127.0.0.1:$port

# run NAME SCRIPT DURATION [CONNECTIONS]: wrk's rate, p99 and failures into $name_*
run() {
    local out
    out=$(wrk -t2 -c"${4:-64}" -d"$3" --latency -s "$here/$2" "$url" 2>"$work/wrk.err")
    eval "${1}_rate=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")"
    eval "${1}_p99=$(awk '/^P99_MS/ {print $2}' <<<"$out")"
    eval "${1}_fail=$(awk '/^FAILURES/ {print $2}' <<<"$out")"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
issued() { curl -s -H "authorization: Bearer $(cat "$keys/tokens/admin.token")" "$url/metrics" | awk '/^authd_licences_issued_total/ {print $2}'; }

echo "bench/authd: 2 workers on 127.0.0.1:$port, wrk -t2 -c64, ${secs}s per figure, data in $work"
run healthz healthz.lua "${secs}s"
printf 'healthz            %10.0f req/s   p99 %6.2f ms   failures %s\n' "$healthz_rate" "$healthz_p99" "$healthz_fail"

TOKEN=$(cat "$keys/tokens/issuer-mz.token") KIND=marriage BASE=0 run issue_ed issue.lua "${secs}s"
printf 'issue EdDSA        %10.0f req/s   p99 %6.2f ms   failures %s   %.2fx healthz (target >= 5000/s: %s)\n' \
    "$issue_ed_rate" "$issue_ed_p99" "$issue_ed_fail" "$(ratio "$issue_ed_rate" "$healthz_rate")" \
    "$(awk -v r="$issue_ed_rate" 'BEGIN { print (r >= 5000 ? "met" : "NOT met") }')"
TOKEN=$(cat "$keys/tokens/issuer-zrzy.token") KIND=property BASE=0 run issue_sm2 issue.lua "${secs}s"
printf 'issue SM2          %10.0f req/s   p99 %6.2f ms   failures %s   %.2fx healthz\n' \
    "$issue_sm2_rate" "$issue_sm2_p99" "$issue_sm2_fail" "$(ratio "$issue_sm2_rate" "$healthz_rate")"

# Fill the store to the target with EdDSA issuance, one holder per licence beyond those above.
n=$(issued)
base=2000000
while [ "$n" -lt "$target" ]; do
    left=$((target - n))
    dur=$(awk -v l="$left" -v r="$issue_ed_rate" 'BEGIN { d = l / r + 1; if (d > 60) d = 60; printf "%d", d }')
    TOKEN=$(cat "$keys/tokens/issuer-mz.token") KIND=marriage BASE=$base run fill issue.lua "${dur}s" 128
    base=$((base + 2 * dur * 20000))
    n=$(issued)
    echo "  store: $n licences"
done
rss_anon=$(awk '/^RssAnon/ {print $2}' "/proc/$pid/status")
rss_file=$(awk '/^RssFile/ {print $2}' "/proc/$pid/status")
printf 'store              %10d licences; authd resident memory %d MB anonymous (+%d MB LMDB page cache, file-backed)  (target <= 100 MB: %s)\n' \
    "$n" $((rss_anon / 1024)) $((rss_file / 1024)) "$( [ $((rss_anon / 1024)) -le 100 ] && echo met || echo NOT met)"

run healthz2 healthz.lua "${secs}s"
# Lookups ask for the first 10,000 holders: each has a 结婚证 (EdDSA) and a 不动产权证书 (SM2) from the
# issuance runs above, so every lookup decrypts, reduces and returns two licences out of the million,
# and signs the answer's disclosure mark.
TOKEN=$(cat "$keys/tokens/counter-hz.token") HOLDERS=10000 run lookup lookup.lua "${secs}s"
printf 'lookup             %10.0f req/s   p99 %6.2f ms   failures %s   %.2fx healthz %.0f/s (target >= 0.5x, p99 <= 5 ms)\n' \
    "$lookup_rate" "$lookup_p99" "$lookup_fail" "$(ratio "$lookup_rate" "$healthz2_rate")" "$healthz2_rate"
# The desk's lookup: authd verifies both licences (one EdDSA, one SM2 signature) with their receipts.
TOKEN=$(cat "$keys/tokens/counter-hz.token") HOLDERS=10000 VERIFY=true run lookupv lookup.lua "${secs}s"
printf 'lookup, verify=true %9.0f req/s   p99 %6.2f ms   failures %s   %.2fx the lookup above\n' \
    "$lookupv_rate" "$lookupv_p99" "$lookupv_fail" "$(ratio "$lookupv_rate" "$lookup_rate")"

# HTTP verify against certlib's own verification rate of the same licence, on both cores.
curl -s -X POST "$url/v1/licences" -H "authorization: Bearer $(cat "$keys/tokens/issuer-mz.token")" \
    -H 'content-type: application/json' \
    -d '{"type":"11100000000013338W002","holder":{"id":"11010519491231002X","name":"张三"},"elements":{"spouse_name":"李四","spouse_id":"11010119900307651X","registration_date":"2024-05-20","registration_authority":"民政局"}}' |
    /usr/bin/python3 -c 'import sys,json,base64; d=json.load(sys.stdin)["licence"]; sys.stdout.buffer.write(base64.urlsafe_b64decode(d+"="*(-len(d)%4)))' >"$work/licence.cbor"
lib=$("$build/bin/bench_verify" --rate "$keys" "$work/licence.cbor" 2 2>/dev/null | awk '/^RATE/ {print $2}')
TOKEN=$(cat "$keys/tokens/counter-hz.token") LICENCE=$work/licence.cbor run verify verify.lua "${secs}s"
printf 'verify (HTTP)      %10.0f req/s   p99 %6.2f ms   failures %s   %.2fx certlib on 2 threads (%.0f/s; target >= 0.7x)\n' \
    "$verify_rate" "$verify_p99" "$verify_fail" "$(ratio "$verify_rate" "$lib")" "$lib"
