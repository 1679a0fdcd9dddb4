#!/usr/bin/env bash
# bench/postgres/collation.sh: what a database's collation costs an index search of authd's licence ids
# (docs/postgresql.md, "Schema 7"). In a scratch PostgreSQL (scripts/dev-postgres), one database per
# collation, each with a table of N ids of the GB/T 36904 form under a primary key in that collation;
# 100,000 searches by id in one statement (a nested loop, each a descent of the index), ROUNDS times.
# Prints the median time of one search per collation and its ratio to byte order ("C", what schema 7
# gives authd's keys whatever the database's locale). glibc's zh_CN.UTF-8 is measured where the machine
# has it (`locale -a`; Debian: enable it in /etc/locale.gen and run locale-gen), ICU's zh always.
# usage: bench/postgres/collation.sh [N] [ROUNDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
n=${1:-100000}
rounds=${2:-5}
work=$(mktemp -d)
chmod 755 "$work" # the postgres user reaches its cluster inside
# shellcheck source=bench/authd/config.sh
. "$root/bench/authd/config.sh" # free_port, median
port=$(free_port)
cleanup() {
    DEV_POSTGRES_DIR=$work/pg "$root/scripts/dev-postgres" destroy >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
LC_ALL=C DEV_POSTGRES_DIR=$work/pg PGPORT=$port "$root/scripts/dev-postgres" >/dev/null 2>&1
sql() { PGPASSWORD=$(cat "$work/pg/superuser.pw") /usr/bin/psql -X -q -A -t -h 127.0.0.1 -p "$port" -U postgres -v ON_ERROR_STOP=1 "$@"; }

# name|CREATE DATABASE options
collations=("C|LOCALE 'C'" "icu-zh|LOCALE_PROVIDER icu ICU_LOCALE 'zh' LOCALE 'C.UTF-8'")
if locale -a 2>/dev/null | grep -qix 'zh_CN.utf8'; then
    collations+=("zh_CN.UTF-8|LOCALE 'zh_CN.UTF-8'")
else
    echo "collation: no zh_CN.UTF-8 locale on this machine: glibc's zh_CN is not measured" >&2
fi
id="'1.2.156.3005.2.11100000000013338W004.11330100002498121J.' || lpad(%s::text, 12, '0') || '.001.X'"
# shellcheck disable=SC2059 # the id's expression is the format on purpose
fill=$(printf "$id" i)
# shellcheck disable=SC2059
probe=$(printf "$id" "((i * 7919) % $n + 1)")
echo "bench/postgres/collation: $n licence ids, 100,000 searches a round, $rounds rounds, median"
printf '%-14s %14s %10s\n' "collation" "us a search" "x C"
base="" k=0
for c in "${collations[@]}"; do
    name=${c%%|*} opts=${c#*|} db=bench_$((k += 1))
    sql -d postgres -c "CREATE DATABASE $db TEMPLATE template0 $opts"
    sql -d "$db" -c "CREATE TABLE lic (id text PRIMARY KEY, rec bytea)" \
        -c "INSERT INTO lic SELECT $fill, '\\x00' FROM generate_series(1, $n) i" -c "VACUUM ANALYZE lic"
    times=()
    for _ in $(seq "$rounds"); do
        # the statement's time as psql measures it (EXPLAIN ANALYZE's own counting would add to each search)
        out=$(sql -d "$db" -c "SET enable_hashjoin = off" -c "SET enable_mergejoin = off" -c '\timing on' \
            -c "SELECT count(*) FROM generate_series(1, 100000) i JOIN lic ON lic.id = $probe")
        [ "$(head -1 <<<"$out")" = 100000 ] || { echo "collation $name: not every id found: $out" >&2; exit 1; }
        times+=("$(awk '/^Time:/ {print $2}' <<<"$out")")
    done
    us=$(awk -v ms="$(median "${times[@]}")" 'BEGIN {printf "%.2f", ms / 100}') # 100,000 searches, in us
    [ -n "$base" ] || base=$us
    printf '%-14s %14s %10s\n' "$name" "$us" "$(awk -v a="$us" -v b="$base" 'BEGIN {printf "%.1f", a / b}')"
done
