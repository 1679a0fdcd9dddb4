#!/usr/bin/env bash
# Starts the example of one log and two witnesses on loopback (log.yaml, witness-a.yaml, witness-b.yaml):
# both witnesses first, then the log, which asks them to cosign each new checkpoint. Watch it happen:
#   curl -s http://127.0.0.1:8180/log/signatures/checkpoint       # the log's line, then two cosignatures
#   build/bin/certctl audit --log http://127.0.0.1:8180/log/signatures --key keys-example/log/signatures.vkey \
#       --witness "$(curl -s http://127.0.0.1:8181/witness/key)" --witness "$(curl -s http://127.0.0.1:8182/witness/key)"
# Ctrl-C stops all three.
# usage: authd/examples/witnessed/run.sh [BUILD_DIR]
# WITNESSED_DIR (data, default var/witnessed) and WITNESSED_PORT (the log's port, the witnesses on the next
# two; default 8180) put the three somewhere else: the tests use them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
build=${1:-$root/build}
authd=$build/bin/authd
data=${WITNESSED_DIR:-$root/var/witnessed}
port=${WITNESSED_PORT:-8180}
mkdir -p "$data"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null' EXIT INT TERM
i=0
for name in witness-a witness-b log; do
    # the example file, its paths made absolute and its ports and data directory moved when asked
    sed -e "s|\.\./\.\./\.\./keys-example|$root/keys-example|g" -e "s|\.\./\.\./\.\./policies|$root/policies|g" \
        -e "s|\.\./\.\./\.\./var/witnessed|$data|g" \
        -e "s|127.0.0.1:8180|127.0.0.1:$port|g" -e "s|127.0.0.1:8181|127.0.0.1:$((port + 1))|g" \
        -e "s|127.0.0.1:8182|127.0.0.1:$((port + 2))|g" "$here/$name.yaml" >"$data/$name.yaml"
    [ -e "$data/$name/data.mdb" ] || "$authd" --config "$data/$name.yaml" init
    "$authd" --config "$data/$name.yaml" 2>>"$data/$name.log" &
    pids+=($!)
    echo "witnessed example: $name on 127.0.0.1:$([ "$name" = log ] && echo "$port" || echo $((port + 1 + i))) (stderr: $data/$name.log)" >&2
    i=$((i + 1))
done
wait -n "${pids[@]}"
