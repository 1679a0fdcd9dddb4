#!/usr/bin/env bash
# Installs certlib from BUILD_DIR into a scratch prefix, then builds examples/counter_verify.c against
# the installed copy twice (pkg-config, and CMake's find_package) and runs both on a licence issued
# with the demo PKI: valid exits 0, a tampered copy exits 1.
# usage: tests/install/consumer.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
build=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig:$prefix/lib/x86_64-linux-gnu/pkgconfig
export LD_LIBRARY_PATH=$prefix/lib:$prefix/lib/x86_64-linux-gnu

cc -Wall -Wextra -Werror -o "$work/by-pkg-config" "$src/examples/counter_verify.c" $(pkg-config --cflags --libs certlib)
cmake -S "$src/examples" -B "$work/example-build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/example-build" >/dev/null

keys=$src/keys-example
"$prefix/bin/certctl" issue --offline --key "$keys/pki/sm2/ga.key" --cert "$keys/pki/sm2/ga.crt" \
    --type 11100000000013338W004 --name 居民户口簿 --holder-id 11010519491231002X --holder-name 张三 \
    --out "$work/licence.cbor" 2>/dev/null
for bin in "$work/by-pkg-config" "$work/example-build/counter_verify"; do
    out=$("$bin" "$keys/trust.json" "$work/licence.cbor")
    grep -q '^valid' <<<"$out"
    grep -q '持证主体: 张三' <<<"$out"
    python3 - "$work/licence.cbor" <<'PY'
import sys
p = sys.argv[1]
d = bytearray(open(p, "rb").read())
i = d.find("张三".encode())
d[i + 1] ^= 1
open(p + ".tampered", "wb").write(d)
PY
    if "$bin" "$keys/trust.json" "$work/licence.cbor.tampered" >/dev/null; then
        echo "tampered licence accepted by $bin" >&2
        exit 1
    fi
done
echo "installed certlib: pkg-config and find_package consumers built and verified"
