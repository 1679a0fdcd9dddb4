#!/usr/bin/env bash
# Starts authd with its signing keys in a SoftHSM2 token (authd.yaml beside this script): makes the demo
# token first (keys-example/softhsm-init.sh) unless it is there. Then, for example:
#   T=$(cat keys-example/tokens/issuer-ga.token)
#   curl -s -H "authorization: Bearer $T" -H 'content-type: application/json' http://127.0.0.1:8190/v1/licences -d @...
# and the licence verifies with keys-example/trust.json alone. Ctrl-C stops it.
# usage: authd/examples/softhsm/run.sh [BUILD_DIR]
# SOFTHSM_DIR (token, PIN and data; default var/softhsm) and SOFTHSM_PORT (default 8190) move it: the
# tests use them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
build=${1:-$root/build}
dir=${SOFTHSM_DIR:-$root/var/softhsm}
port=${SOFTHSM_PORT:-8190}
"$root/keys-example/softhsm-init.sh" "$dir"
dir=$(cd "$dir" && pwd)
export SOFTHSM2_CONF=$dir/softhsm2.conf
# the example file, its paths made absolute (a PKCS#11 URI's pin-source is not relative to the file)
sed -e "s|\.\./\.\./\.\./keys-example|$root/keys-example|g" -e "s|\.\./\.\./\.\./policies|$root/policies|g" \
    -e "s|\.\./\.\./\.\./var/softhsm|$dir|g" -e "s|127.0.0.1:8190|127.0.0.1:$port|g" \
    "$here/authd.yaml" >"$dir/authd.yaml"
[ -e "$dir/data/data.mdb" ] || "$build/bin/authd" --config "$dir/authd.yaml" init
echo "softhsm example: authd on 127.0.0.1:$port, keys in the token authd-demo ($dir)" >&2
exec "$build/bin/authd" --config "$dir/authd.yaml"
