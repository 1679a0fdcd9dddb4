#!/usr/bin/env bash
# Regenerates the demo key material of the three-province federation example in keys/ (NOT FOR
# PRODUCTION: the private keys are committed). 浙江 is the main demo (keys-example/, policies/); this adds
# what it needs to federate, and two more provinces with their own keys:
#
#   keys/zhejiang/  trust-list.{key,crt}        浙江's trust-list key (peers pin the certificate)
#                   peer-client.{key,crt}       浙江's mutual-TLS identity towards its peers
#   keys/shanghai/  the same, plus log/ (its two logs' Ed25519 keys and verifier keys), data.key, and
#                   pki/ with its own Ed25519 root (上海 issues nothing in the demo: it federates)
#   keys/jiangsu/   the same, plus pki/mz.{key,crt}: 南京市民政局's document signer (结婚证, 离婚证) and
#                   pki/status.{key,crt}, its status-list signer, and tokens/ for its issuer client
#   keys/*/trust.json  each province's trust bundle
#   keys/fingerprints.txt  the peer client certificates' and tokens' SHA-256, for the clients.yaml files
#
# Peer client certificates are signed by keys-example/tls/client-ca (every demo authd trusts it); the
# servers use keys-example/tls/server.crt, which each peer's `ca:` names.
set -euo pipefail
cd "$(dirname "$0")"
KEYS_EXAMPLE=../../../keys-example
umask 077
rm -rf keys
mkdir -p keys

MDOC_DS_EKU=1.0.18013.5.1.2
ext_root='basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n'
ext_ds="basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,$MDOC_DS_EKU\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
ext_status='basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n'
ext_client='basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n'

# sign_cert DIR NAME SUBJECT EXT CA_CRT CA_KEY [ALG]: a key and a certificate signed by CA.
sign_cert() {
    local dir=$1 name=$2 subject=$3 ext=$4 ca_crt=$5 ca_key=$6 alg=${7:-ed25519}
    if [ "$alg" = p256 ]; then
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:named_curve -out "$dir/$name.key"
    else
        openssl genpkey -algorithm ED25519 -out "$dir/$name.key"
    fi
    openssl req -new -utf8 -key "$dir/$name.key" -subj "$subject" -out "$dir/$name.csr"
    openssl x509 -req -in "$dir/$name.csr" -CA "$ca_crt" -CAkey "$ca_key" -days 3650 \
        -extfile <(printf '%b' "$ext") -out "$dir/$name.crt" 2>/dev/null
    rm -f "$dir/$name.csr" "$dir"/*.srl "$(dirname "$ca_crt")"/*.srl
}

# self_signed DIR NAME SUBJECT EXT: an Ed25519 key and its self-signed certificate.
self_signed() {
    openssl genpkey -algorithm ED25519 -out "$1/$2.key"
    openssl req -x509 -new -utf8 -key "$1/$2.key" -days 7300 -subj "$3" -addext "$(printf '%b' "$4" | head -1)" \
        -out "$1/$2.crt"
}

# log_keys DIR HOST: the two logs' Ed25519 keys and their C2SP verifier keys for origin HOST/log/NAME.
log_keys() {
    mkdir -p "$1/log"
    local logname raw origin id b64
    for logname in signatures access; do
        openssl genpkey -algorithm ED25519 -out "$1/log/$logname.key"
        raw=$(mktemp)
        openssl pkey -in "$1/log/$logname.key" -pubout -outform DER | tail -c 32 >"$raw"
        origin="$2/log/$logname"
        id=$( { printf '%s\n\001' "$origin"; cat "$raw"; } | openssl dgst -sha256 -binary | head -c 4 | od -An -tx1 | tr -d ' \n')
        b64=$( { printf '\001'; cat "$raw"; } | openssl base64 -A)
        printf '%s+%s+%s\n' "$origin" "$id" "$b64" >"$1/log/$logname.vkey"
        rm -f "$raw"
    done
}

for p in zhejiang shanghai jiangsu; do
    mkdir -p "keys/$p"
    self_signed "keys/$p" trust-list "/C=CN/O=$p authd demo (NOT FOR PRODUCTION)/CN=$p trust list" \
        'keyUsage=critical,digitalSignature'
    sign_cert "keys/$p" peer-client "/O=authd demo (NOT FOR PRODUCTION)/CN=peer-$p" "$ext_client" \
        "$KEYS_EXAMPLE/tls/client-ca.crt" "$KEYS_EXAMPLE/tls/client-ca.key" p256
done

# 上海 and 江苏: their own logs, data keys and roots.
for p in shanghai jiangsu; do
    log_keys "keys/$p" "authd.$p.example"
    openssl rand -hex 32 >"keys/$p/data.key"
    mkdir -p "keys/$p/pki" "keys/$p/tokens"
    openssl genpkey -algorithm ED25519 -out "keys/$p/pki/root.key"
    openssl req -x509 -new -utf8 -key "keys/$p/pki/root.key" -days 7300 \
        -subj "/C=CN/O=$p e-licence demo root (NOT FOR PRODUCTION)/CN=$p demo root Ed25519" \
        -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -addext "subjectKeyIdentifier=hash" -out "keys/$p/pki/root.crt"
    sign_cert "keys/$p/pki" status "/C=CN/O=$p status lists (NOT FOR PRODUCTION)/CN=$p status signer" \
        "$ext_status" "keys/$p/pki/root.crt" "keys/$p/pki/root.key"
done
# 南京市民政局 (USCC 11320100002498121E, region 320100) signs 江苏's 结婚证 and 离婚证.
sign_cert keys/jiangsu/pki mz "/C=CN/ST=江苏省/L=南京市/O=南京市民政局/organizationIdentifier=NTRCN-11320100002498121E/CN=南京市民政局 电子证照签发" \
    "$ext_ds" keys/jiangsu/pki/root.crt keys/jiangsu/pki/root.key
printf 'authd_%s' "$(openssl rand -hex 24)" >keys/jiangsu/tokens/issuer-js-mz.token
printf 'authd_%s' "$(openssl rand -hex 24)" >keys/shanghai/tokens/counter-sh.token
printf 'authd_%s' "$(openssl rand -hex 24)" >keys/shanghai/tokens/counter-sh-full.token
printf 'authd_%s' "$(openssl rand -hex 24)" >keys/shanghai/tokens/auditor-sh.token

/usr/bin/python3 - <<'EOF'
import json
def pem(path):
    return open(path).read()
prefixes = ["http://127.0.0.1:", "https://127.0.0.1:"]
bundles = {
    "shanghai": {"version": 1,
                 "roots": [{"name": "上海市电子证照演示根 Ed25519", "licence_types": ["*"], "regions": ["31"],
                            "certificate": pem("keys/shanghai/pki/root.crt")}],
                 "status_signers": [{"uri_prefixes": prefixes, "certificate": pem("keys/shanghai/pki/status.crt")}]},
    "jiangsu": {"version": 1,
                "roots": [{"name": "江苏省电子证照演示根 Ed25519", "licence_types": ["*"], "regions": ["32"],
                           "certificate": pem("keys/jiangsu/pki/root.crt")}],
                "signers": [{"licence_types": ["11100000000013338W002", "11100000000013338W003"],
                             "certificate": pem("keys/jiangsu/pki/mz.crt")}],
                "status_signers": [{"uri_prefixes": prefixes, "issuers": ["11320100002498121E"],
                                    "certificate": pem("keys/jiangsu/pki/status.crt")}]},
}
for name, b in bundles.items():
    with open(f"keys/{name}/trust.json", "w") as f:
        json.dump(b, f, ensure_ascii=False, indent=2)
        f.write("\n")
EOF

{
    for p in zhejiang shanghai jiangsu; do
        printf 'peer-%s cert_sha256 %s\n' "$p" \
            "$(openssl x509 -in "keys/$p/peer-client.crt" -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1)"
    done
    for t in keys/*/tokens/*.token; do
        printf '%s token_sha256 %s\n' "$(basename "$t" .token)" "$(openssl dgst -sha256 -r "$t" | cut -d' ' -f1)"
    done
} >keys/fingerprints.txt
chmod -R go+rX keys
echo "wrote keys/ (NOT FOR PRODUCTION); update the clients.yaml files with keys/fingerprints.txt"
