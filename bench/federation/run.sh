#!/usr/bin/env bash
# bench/federation: the federated lookup against a local one, on the same 2 cores (docs/federation.md).
# The three provinces of authd/examples/federation/ run on free loopback ports with scratch stores; 浙江
# issues a 居民户口簿 and 江苏 a 离婚证 to each of HOLDERS people. Measured with wrk:
#   local      a 浙江 counter's lookup at 浙江 (ZJ-HYDJ-001, verify=true: its licence verified, as a
#              federated lookup verifies its peers')
#   federated  a 上海 counter's lookup (SH-HYDJ-001): 上海 asks 浙江 and 江苏 in parallel over mutual TLS,
#              verifies both licences against their trust lists
# at light load (one connection: p50 and p99) and under load (wrk -t2 -c32: requests per second).
# Targets: federated p50 <= local p50 + 2 ms; federated rate >= 0.3x local.
# usage: bench/federation/run.sh [BUILD_DIR] [SECONDS] [HOLDERS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-build}
secs=${2:-10}
holders=${3:-500}
example=$root/authd/examples/federation
command -v wrk >/dev/null || { echo "bench/federation needs wrk (scripts/install-deps installs it)" >&2; exit 1; }
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
declare -A port
for p in 8281 8282 8283 8643 8644 8645; do port[$p]=$(free_port); done
for name in zhejiang jiangsu shanghai; do
    # the example's file, its paths made absolute, its ports and data moved
    sed -e "s|\.\./\.\./\.\./var/federation|$work|g" -e "s|\.\./\.\./\.\./|$root/|g" \
        -e "s|: keys/|: $example/keys/|" -e "s|: shanghai/|: $example/shanghai/|" -e "s|: jiangsu/|: $example/jiangsu/|" \
        -e "s|^access_log: .*|access_log: $work/$name.access|" \
        $(for p in "${!port[@]}"; do printf -- "-e s|127.0.0.1:%s|127.0.0.1:%s|g " "$p" "${port[$p]}"; done) \
        "$example/$name.yaml" >"$work/$name.yaml"
    "$build/bin/authd" --config "$work/$name.yaml" init 2>>"$work/$name.err"
    "$build/bin/authd" --config "$work/$name.yaml" 2>>"$work/$name.err" &
    pids+=($!)
done
zj=http://127.0.0.1:${port[8281]} js=http://127.0.0.1:${port[8283]} sh=http://127.0.0.1:${port[8282]}
for u in "$zj" "$js" "$sh"; do
    for _ in $(seq 100); do curl -sf "$u/healthz" >/dev/null && break; sleep 0.1; done
done
for _ in $(seq 100); do
    [ "$(grep -c 'trust list [0-9]* in force' "$work/shanghai.err" || true)" -ge 2 ] && break
    sleep 0.1
done

echo "bench/federation: ${holders} holders, each with a 户口簿 (浙江) and a 离婚证 (江苏); wrk ${secs}s per figure"
/usr/bin/python3 - "$zj" "$js" "$holders" "$root/keys-example/tokens/issuer-ga.token" \
    "$example/keys/jiangsu/tokens/issuer-js-mz.token" <<'EOF'
import http.client, json, sys, urllib.parse
zj, js, n, ga, mz = sys.argv[1], sys.argv[2], int(sys.argv[3]), open(sys.argv[4]).read().strip(), open(sys.argv[5]).read().strip()
weights, checks = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], "10X98765432"
def person(i):  # bench/authd/common.lua's person(n)
    days = i % 16800
    body = "330106%04d%02d%02d%03d" % (1950 + days // 336, 1 + days // 28 % 12, 1 + days % 28, i // 16800 % 1000)
    return body + checks[sum(int(c) * w for c, w in zip(body, weights)) % 11]
def issue(base, token, docs):
    u = urllib.parse.urlsplit(base)
    c = http.client.HTTPConnection(u.hostname, u.port)
    for d in docs:
        c.request("POST", "/v1/licences", json.dumps(d), {"authorization": "Bearer " + token, "content-type": "application/json"})
        r = c.getresponse(); r.read()
        assert r.status == 201, r.status
issue(zj, ga, [{"type": "11100000000013338W004", "holder": {"id": person(i), "name": "张三"},
                "elements": {"household_number": "330106%06d" % i, "household_head": "张三", "relationship": "户主",
                             "address": "杭州市西湖区文三路1号"}} for i in range(n)])
issue(js, mz, [{"type": "11100000000013338W003", "holder": {"id": person(i), "name": "张三"},
                "elements": {"former_spouse_name": "王二", "registration_date": "2020-01-02",
                             "registration_authority": "南京市鼓楼区民政局"}} for i in range(n)])
EOF

export BENCH_DIR=$root/bench/authd HOLDERS=$holders
# run NAME URL TOKEN MATTER VERIFY CONNECTIONS THREADS: rate, p50, p99, failures into NAME_*
run() {
    local out
    out=$(TOKEN=$(cat "$3") MATTER=$4 VERIFY=$5 wrk -t"$7" -c"$6" -d"${secs}s" --latency -s "$root/bench/authd/lookup.lua" "$2" 2>"$work/wrk.err")
    eval "${1}_rate=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")"
    eval "${1}_p50=$(awk '/^P50_MS/ {print $2}' <<<"$out")"
    eval "${1}_p99=$(awk '/^P99_MS/ {print $2}' <<<"$out")"
    eval "${1}_fail=$(awk '/^FAILURES/ {print $2}' <<<"$out")"
}
ct=$root/keys-example/tokens/counter-hz.token st=$example/keys/shanghai/tokens/counter-sh.token
run local1 "$zj" "$ct" ZJ-HYDJ-001 true 1 1
run fed1 "$sh" "$st" SH-HYDJ-001 false 1 1
run localN "$zj" "$ct" ZJ-HYDJ-001 true 32 2
run fedN "$sh" "$st" SH-HYDJ-001 false 32 2
printf 'light load (1 connection)   local p50 %6.2f ms  p99 %6.2f ms   federated p50 %6.2f ms  p99 %6.2f ms\n' \
    "$local1_p50" "$local1_p99" "$fed1_p50" "$fed1_p99"
awk -v a="$fed1_p50" -v b="$local1_p50" 'BEGIN { d = a - b; printf "  federated adds %.2f ms at p50 (target <= 2 ms: %s)\n", d, (d <= 2 ? "met" : "NOT met") }'
printf 'under load (wrk -t2 -c32)   local %8.0f req/s (failures %s)   federated %8.0f req/s (failures %s)\n' \
    "$localN_rate" "$localN_fail" "$fedN_rate" "$fedN_fail"
awk -v a="$fedN_rate" -v b="$localN_rate" 'BEGIN { r = a / b; printf "  federated / local %.3f (target >= 0.3: %s)\n", r, (r >= 0.3 ? "met" : "NOT met") }'
