#!/usr/bin/env bash
# bench/authd/backends.sh: the same authd load on each storage backend, in one run on this machine, side by
# side: one node on LMDB (the baseline), one node on PostgreSQL, and two nodes on one PostgreSQL. For
# each: durable EdDSA issuance and lookups on a store filled to TARGET licences (default 200,000), with
# wrk at 64 connections (split 32 + 32 over two nodes), p99 latencies, and ratios against LMDB. Lookups
# are measured three times in a row, saturated (each connection sends its next request when its answer
# comes), then three times paced at half LMDB's saturated rate; the table gives the medians, and the mean
# waits of the paced lookups from authd's /metrics (holder read, access write, the rest), and what a saturated
# lookup cost in CPU (authd's nodes, and the PostgreSQL cluster: every process of it, from /proc).
# PostgreSQL runs on the same cores, started by scripts/dev-postgres in a scratch directory (fsync on,
# synchronous_commit on: every 201 is durable).
# usage: bench/authd/backends.sh [BUILD_DIR] [TARGET] [SECONDS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-build}
target=${2:-200000}
secs=${3:-10}
command -v wrk >/dev/null || { echo "bench/authd needs wrk (scripts/install-deps installs it)" >&2; exit 1; }
work=$(mktemp -d)
chmod 755 "$work" # the postgres user reaches its cluster inside
keys=$root/keys-example
export BENCH_DIR=$here
pids=()
clusters=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    for c in "${clusters[@]}"; do DEV_POSTGRES_DIR=$c "$root/scripts/dev-postgres" destroy >/dev/null 2>&1 || true; done
    rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=bench/authd/config.sh
. "$here/config.sh"
# node NAME PORT STORE_YAML: starts authd, waits until it serves
node() {
    authd_yaml "$2" "$work/$1.data" "http://127.0.0.1:$public_port" "$3" 11330100002498121J:ed25519:mz \
        >"$work/$1.yaml"
    "$build/bin/authd" --config "$work/$1.yaml" init 2>"$work/$1.err"
    "$build/bin/authd" --config "$work/$1.yaml" 2>>"$work/$1.err" &
    pids+=($!)
    for _ in $(seq 200); do curl -sf "http://127.0.0.1:$2/healthz" >/dev/null && return; sleep 0.1; done
    echo "authd $1 did not start:" >&2
    cat "$work/$1.err" >&2
    exit 1
}

# worst KEY: the highest figure the wrks of the last load printed under KEY (a latency, in ms)
worst() { cat "$work"/wrk.*.out | awk -v k="$1" '$1 == k {if ($2 > m) m = $2} END {printf "%.2f", m}'; }

# load SCRIPT DURATION CONNECTIONS URL...: wrk on every URL at once; total rate, worst p99 and p50 into
# load_rate, load_p99, load_p50, load_fail. With PACE set, the wrks send PACE requests a second in all, on a
# schedule (common.lua), instead of as fast as the nodes answer.
load() {
    local script=$1 dur=$2 conns=$3 i=0 running=() threads
    shift 3
    threads=$(($# >= 2 ? 1 : 2))
    for u in "$@"; do
        # the two wrk threads of the machine shared among the nodes; holder numbers step by threads
        THREADS=$threads BASE=$((i * 5000000 + ${BASE0:-0})) RATE=$((${PACE:-0} / $#)) wrk -t$threads -c"$conns" -d"$dur" --latency \
            -s "$here/$script" "$u" \
            >"$work/wrk.$i.out" 2>"$work/wrk.$i.err" &
        running+=($!)
        i=$((i + 1))
    done
    wait "${running[@]}"
    load_rate=$(cat "$work"/wrk.*.out | awk '/^Requests\/sec/ {s += $2} END {printf "%.0f", s}')
    load_p99=$(worst P99_MS)
    load_p50=$(worst P50_MS)
    load_fail=$(cat "$work"/wrk.*.out | awk '/^FAILURES/ {s += $2} END {print s + 0}')
    rm -f "$work"/wrk.*.out
}
issued() { # the licences the nodes at URL... issued
    local n=0
    for u in "$@"; do
        n=$((n + $(curl -s -H "authorization: Bearer $(cat "$keys/tokens/admin.token")" "$u/metrics" |
            awk '/^authd_licences_issued_total/ {print $2}')))
    done
    echo $n
}

# waits URL...: the sums and counts of the request and stage histograms, over the nodes
waits() {
    for u in "$@"; do curl -s -H "authorization: Bearer $(cat "$keys/tokens/admin.token")" "$u/metrics"; done |
        awk '/^authd_(request_duration|holder_read|write_wait)_seconds_(sum|count) / {s[$1] += $2}
             END {for (k in s) print k, s[k]}'
}
# mean_ms BEFORE AFTER NAME: the mean of histogram NAME, in ms, between two readings of waits
mean_ms() {
    awk -v n="$3" '{v[FILENAME == ARGV[1] ? 0 : 1, $1] = $2}
        END {c = v[1, n "_count"] - v[0, n "_count"]; s = v[1, n "_sum"] - v[0, n "_sum"]
             printf "%.2f", (c > 0 ? s / c * 1000 : 0)}' "$1" "$2"
}

# cpu_ticks [PG_DATA]: the CPU clock ticks (user + system) authd's nodes and, given its data directory, the
# PostgreSQL cluster have used: "AUTHD PG". The cluster's is its postmaster's own, its children's that
# ended (backends, autovacuum workers) and its live children's; a child alive at one reading and ended
# at the next counts its time before the first one twice, which with the connections authd keeps open
# is an autovacuum worker's at most.
cpu_ticks() {
    local a=0 g=0 pm
    for p in "${pids[@]}"; do a=$((a + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
    if [ -n "${1:-}" ]; then
        pm=$(head -1 "$1/postmaster.pid")
        g=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$pm/stat")
        for c in $(pgrep -P "$pm"); do g=$((g + $(awk '{print $14 + $15}' "/proc/$c/stat" 2>/dev/null || echo 0))); done
    fi
    echo "$a $g"
}
# per_request BEFORE AFTER REQUESTS: the CPU of each of the two ticks counts between two readings, in
# microseconds a request: "AUTHD PG"
per_request() {
    awk -v n="$3" -v hz="$(getconf CLK_TCK)" -v b="$1" -v a="$2" 'BEGIN {
        split(b, x, " "); split(a, y, " ")
        printf "%.0f %.0f", (y[1] - x[1]) / hz / n * 1e6, (y[2] - x[2]) / hz / n * 1e6 }'
}

# setup NAME STORE NODES: measures one setup; figures into NAME_issue, NAME_issue_p99, NAME_lookup, ...
setup() {
    local name=$1 store=$2 nodes=$3 urls=() yaml=""
    if [ "$store" = postgresql ]; then
        local cluster=$work/$name.pg pgport
        pgport=$(free_port)
        clusters+=("$cluster")
        DEV_POSTGRES_DIR=$cluster PGPORT=$pgport "$root/scripts/dev-postgres" >/dev/null 2>&1
        yaml="store:
  backend: postgresql
  postgresql:
    conninfo: \"host=127.0.0.1 port=$pgport dbname=authd user=authd\"
    passfile: $cluster/pgpass"
    fi
    public_port=$(free_port)
    for i in $(seq "$nodes"); do
        local port=$public_port
        [ "$i" -gt 1 ] && port=$(free_port)
        node "$name$i" "$port" "$yaml"
        urls+=("http://127.0.0.1:$port")
    done
    local conns=$((64 / nodes))
    TOKEN=$(cat "$keys/tokens/issuer-mz.token") KIND=marriage BASE0=0 load issue.lua "${secs}s" "$conns" "${urls[@]}"
    eval "${name}_issue=$load_rate ${name}_issue_p99=$load_p99 ${name}_issue_fail=$load_fail"
    local n base=20000000
    n=$(issued "${urls[@]}")
    while [ "$n" -lt "$target" ]; do
        local dur
        dur=$(awk -v l=$((target - n)) -v r="$load_rate" 'BEGIN { d = l / r + 1; if (d > 60) d = 60; printf "%d", d }')
        TOKEN=$(cat "$keys/tokens/issuer-mz.token") KIND=marriage BASE0=$base load issue.lua "${dur}s" "$conns" "${urls[@]}"
        base=$((base + 2 * dur * 20000))
        n=$(issued "${urls[@]}")
        echo "  $name: $n licences" >&2
    done
        if [ "$store" = postgresql ]; then
        # Measured in the steady state, as pgbench does: the autovacuum a bulk fill sets off, and the
        # checkpoint its WAL calls for, would otherwise run during the lookups below.
        PGPASSWORD=$(cat "$cluster/superuser.pw") /usr/bin/psql -X -q -h 127.0.0.1 -p "$pgport" -U postgres \
            -d authd -c "VACUUM ANALYZE" -c "CHECKPOINT"
    fi
    # holders 0..9,999 of the first node's measured issuance each have a licence. Three rounds, their
    # medians: PostgreSQL's own background work (autovacuum of the growing access log, checkpoints)
    # lands in one round or another, and moved single figures by a quarter from run to run.
    local rates=() p99s=() fails=0 ticks0 pgdata=""
    [ "$store" = postgresql ] && pgdata=$cluster/data
    waits "${urls[@]}" >"$work/served.0"
    ticks0=$(cpu_ticks "$pgdata")
    for _ in 1 2 3; do
        TOKEN=$(cat "$keys/tokens/counter-hz.token") HOLDERS=10000 load lookup.lua "${secs}s" "$conns" "${urls[@]}"
        rates+=("$load_rate") p99s+=("$load_p99") fails=$((fails + load_fail))
        echo "  $name: lookups $load_rate/s, p99 $load_p99 ms" >&2
    done
    eval "${name}_lookup=$(median "${rates[@]}") ${name}_lookup_p99=$(median "${p99s[@]}") ${name}_lookup_fail=$fails"
    # what a lookup costs in CPU, saturated (the capacity of a machine: its cores over this), wrk's own apart
    local ticks1
    ticks1=$(cpu_ticks "$pgdata")
    waits "${urls[@]}" >"$work/served.1"
    read -r "${name}_cpu_authd" "${name}_cpu_pg" <<<"$(per_request "$ticks0" "$ticks1" \
        "$(awk '$1 == "authd_request_duration_seconds_count" {n[FILENAME] = $2} END {print n[ARGV[2]] - n[ARGV[1]]}' \
            "$work/served.0" "$work/served.1")")"
    # The same lookups paced at half LMDB's rate, the load the ratio target asks each setup to carry:
    # their latency there, where saturated it is only 64 over the rate.
    [ -n "${pace:-}" ] || pace=$(awk -v r="$lmdb_lookup" 'BEGIN { printf "%d", r / 2 }')
    local p50s=()
    rates=() p99s=()
    waits "${urls[@]}" >"$work/waits.0"
    for _ in 1 2 3; do
        TOKEN=$(cat "$keys/tokens/counter-hz.token") HOLDERS=10000 PACE=$pace load lookup.lua "${secs}s" "$conns" "${urls[@]}"
        rates+=("$load_rate") p99s+=("$load_p99") p50s+=("$load_p50") fails=$((fails + load_fail))
        echo "  $name: lookups paced at $pace/s: $load_rate/s, p50 $load_p50 ms, p99 $load_p99 ms" >&2
    done
    eval "${name}_paced=$(median "${rates[@]}") ${name}_paced_p99=$(median "${p99s[@]}")" \
        "${name}_paced_p50=$(median "${p50s[@]}") ${name}_lookup_fail=$fails"
    # where the paced lookups waited (authd's /metrics): the holder read, the access entry's write, and
    # the rest of authd's time (its workers, and the hand-overs between threads)
    waits "${urls[@]}" >"$work/waits.1"
    local all read write
    all=$(mean_ms "$work/waits.0" "$work/waits.1" authd_request_duration_seconds)
    read=$(mean_ms "$work/waits.0" "$work/waits.1" authd_holder_read_seconds)
    write=$(mean_ms "$work/waits.0" "$work/waits.1" authd_write_wait_seconds)
    eval "${name}_read=$read ${name}_write=$write ${name}_rest=$(awk -v a="$all" -v r="$read" -v w="$write" \
        'BEGIN { printf "%.2f", a - r - w }')"
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    pids=()
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "bench/authd/backends: 2 workers per node, wrk 64 connections in all, ${secs}s per figure, $target licences"
setup lmdb lmdb 1
setup pg1 postgresql 1
setup pg2 postgresql 2

printf '\n%-28s %12s %12s %12s\n' "" "LMDB, 1 node" "PG, 1 node" "PG, 2 nodes"
printf '%-28s %12.0f %12.0f %12.0f\n' "issue EdDSA (req/s)" "$lmdb_issue" "$pg1_issue" "$pg2_issue"
printf '%-28s %12s %12s %12s\n' "  p99 (ms)" "$lmdb_issue_p99" "$pg1_issue_p99" "$pg2_issue_p99"
printf '%-28s %12s %12s %12s\n' "  x LMDB (target >= 0.5)" "1.00" "$(ratio "$pg1_issue" "$lmdb_issue")" "$(ratio "$pg2_issue" "$lmdb_issue")"
printf '%-28s %12.0f %12.0f %12.0f\n' "lookup (req/s, median of 3)" "$lmdb_lookup" "$pg1_lookup" "$pg2_lookup"
printf '%-28s %12s %12s %12s\n' "  p99 (ms, saturated)" "$lmdb_lookup_p99" "$pg1_lookup_p99" "$pg2_lookup_p99"
printf '%-28s %12s %12s %12s\n' "  x LMDB (target >= 0.5)" "1.00" "$(ratio "$pg1_lookup" "$lmdb_lookup")" "$(ratio "$pg2_lookup" "$lmdb_lookup")"
printf '%-28s %12s %12s %12s\n' "  CPU (us/lookup, authd)" "$lmdb_cpu_authd" "$pg1_cpu_authd" "$pg2_cpu_authd"
printf '%-28s %12s %12s %12s\n' "  CPU (us/lookup, PG)" "-" "$pg1_cpu_pg" "$pg2_cpu_pg"
printf '%-28s %12.0f %12.0f %12.0f\n' "lookup paced at 0.5x LMDB" "$lmdb_paced" "$pg1_paced" "$pg2_paced"
printf '%-28s %12s %12s %12s\n' "  p50 (ms, paced)" "$lmdb_paced_p50" "$pg1_paced_p50" "$pg2_paced_p50"
printf '%-28s %12s %12s %12s\n' "  p99 (ms, paced)" "$lmdb_paced_p99" "$pg1_paced_p99" "$pg2_paced_p99"
printf '%-28s %12s %12s %12s\n' "  holder read (ms, mean)" "$lmdb_read" "$pg1_read" "$pg2_read"
printf '%-28s %12s %12s %12s\n' "  access write (ms, mean)" "$lmdb_write" "$pg1_write" "$pg2_write"
printf '%-28s %12s %12s %12s\n' "  the rest (ms, mean)" "$lmdb_rest" "$pg1_rest" "$pg2_rest"
printf '%-28s %12s %12s %12s\n' "failures (issue, lookup)" "$lmdb_issue_fail, $lmdb_lookup_fail" \
    "$pg1_issue_fail, $pg1_lookup_fail" "$pg2_issue_fail, $pg2_lookup_fail"
p99_met() { awk -v s="$1" -v p="$2" 'BEGIN { print (s <= 10 && p <= 10 ? "met" : "NOT met") }'; }
echo "lookup p99 <= 10 ms at 64 connections on PostgreSQL, one node: $(p99_met "$pg1_lookup_p99" "$pg1_paced_p99")" \
    "(saturated $pg1_lookup_p99 ms, paced $pg1_paced_p99 ms; LMDB $lmdb_lookup_p99 and $lmdb_paced_p99 ms)"
pg_best=$(awk -v a="$pg1_issue" -v b="$pg2_issue" 'BEGIN { print (a > b ? a : b) }')
echo "durable EdDSA issuance on PostgreSQL >= 3,000/s: $(awk -v r="$pg_best" 'BEGIN { print (r >= 3000 ? "met" : "NOT met") }') ($pg_best/s)"
