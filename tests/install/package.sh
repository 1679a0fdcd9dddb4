#!/usr/bin/env bash
# Checks the Debian package `make package` built: its control data (dependencies, maintainer scripts,
# conffiles), that it carries the unit, the configuration template, logrotate's file and the binaries, and
# that the packaged authd runs and its unit scores as confined.
# usage: tests/install/package.sh BUILD_PACKAGE_DIR
set -euo pipefail
deb=$(ls "$1"/authd_*_amd64.deb)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
info=$(dpkg-deb -I "$deb")
for want in "Package: authd" "libsystemd0" "libh2o-evloop0.13" "liblmdb0" "libpq5" "adduser" "postinst" "prerm" \
    "postrm" "conffiles"; do
    grep -q -- "$want" <<<"$info" || { echo "package.sh: control lacks $want" >&2; exit 1; }
done
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles | grep -qx /etc/authd/authd.yaml
files=$(dpkg-deb -c "$deb" | awk '{print $6}')
for want in ./lib/systemd/system/authd.service ./etc/authd/authd.yaml ./etc/logrotate.d/authd ./usr/bin/authd \
    ./usr/bin/certctl ./usr/share/doc/authd/operations.md ./usr/share/doc/authd/examples/policies/clients.yaml; do
    grep -qx -- "$want" <<<"$files" || { echo "package.sh: $want is not in the package" >&2; exit 1; }
done
dpkg-deb -x "$deb" "$work/root"
"$work/root/usr/bin/authd" --version | grep -q '^authd '
# the packaged template configures, stopping only at the keys an operator must put in place
set +e
"$work/root/usr/bin/authd" --config "$work/root/etc/authd/authd.yaml" store check 2>"$work/err"
status=$?
set -e
[ "$status" -eq 2 ] && grep -q /etc/authd/data.key "$work/err"
systemd-analyze security --offline=yes --threshold=25 "$work/root/lib/systemd/system/authd.service" |
    grep 'Overall exposure level'
echo "package.sh: $(basename "$deb") ok"
