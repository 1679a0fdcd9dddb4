#!/usr/bin/env bash
# Creates a SoftHSM2 demo token "authd-demo" holding keys-example's P-256 and Ed25519 keys: the document
# signers of 公安 (ga), 民政 (mz), 卫健委 (wjw) and 人社 (rs), both status signers, and both log keys.
# The SM2 signers stay files: SoftHSM2 has no SM2 (a cipher machine's SDF library is the way for them).
# DEMO ONLY: these keys are public in this repository, and the PIN is 123456.
# usage: keys-example/softhsm-init.sh [DIR]   (default var/softhsm; an existing token there is kept)
# Then: export SOFTHSM2_CONF=DIR/softhsm2.conf, and name keys as
#   pkcs11:token=authd-demo;object=ga-ds?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:DIR/pin
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-$here/../var/softhsm}
mkdir -p "$dir/tokens"
dir=$(cd "$dir" && pwd)
export SOFTHSM2_CONF=$dir/softhsm2.conf
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$dir" >"$SOFTHSM2_CONF"
umask 077
printf '123456\n' >"$dir/pin"
if softhsm2-util --show-slots 2>/dev/null | grep -q 'Label:.*authd-demo'; then
    echo "softhsm-init: the token authd-demo is there already ($dir)" >&2
    exit 0
fi
softhsm2-util --init-token --free --label authd-demo --so-pin 12345678 --pin 123456 >/dev/null
id=0
add() { # key file, label
    id=$((id + 1))
    softhsm2-util --import "$1" --token authd-demo --label "$2" --id "$(printf '%02x' "$id")" --pin 123456 >/dev/null
    echo "softhsm-init: $2 <- ${1#$here/}" >&2
}
for dept in ga rs; do add "$here/pki/p256/$dept.key" "$dept-ds"; done
for dept in mz wjw; do add "$here/pki/ed25519/$dept.key" "$dept-ds"; done
add "$here/pki/p256/status.key" p256-status
add "$here/pki/ed25519/status.key" ed25519-status
add "$here/log/signatures.key" log-signatures
add "$here/log/access.key" log-access
echo "softhsm-init: token authd-demo ready; export SOFTHSM2_CONF=$SOFTHSM2_CONF" >&2
