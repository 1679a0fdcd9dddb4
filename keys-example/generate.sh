#!/usr/bin/env bash
# Regenerates the demo key material in this directory with the openssl CLI. NOT FOR PRODUCTION: the
# private keys are committed to a public repository.
# So far: the TLS server certificate authd's example configuration uses. The issuing PKI (roots,
# document signers, status-list signer, log key, client certificates) is added with the e-licence work.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p tls
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout tls/server.key -out tls/server.crt -days 3650 \
    -subj "/CN=localhost/O=authd demo (NOT FOR PRODUCTION)" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"
chmod 600 tls/server.key
echo "wrote tls/server.crt and tls/server.key"
