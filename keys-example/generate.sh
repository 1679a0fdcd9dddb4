#!/usr/bin/env bash
# Regenerates the demo key material in this directory with the openssl CLI (and registry.py, for the trust
# bundle's matters and reader registrations from policies/). NOT FOR PRODUCTION:
# the private keys are committed to a public repository.
#
# What it makes (see README.md for the table):
#   pki/<alg>/   for each of sm2, p256, ed25519: an issuing-authority root (like an ISO 18013-5 IACA),
#                document-signer certificates for six departments of 杭州市, and a status-list signer
#   log/         Ed25519 keys of the signature log and the access log, and of two example witnesses
#   tls/         authd's TLS server certificate, a client CA and mutual-TLS client certificates
#   readers/     the reader PKI: a relying-party root and a reader certificate per counter (OpenID4VP)
#   trust.json   the trust bundle: the roots with their scope, plus the signer certificates
#
# SM2 certificates are signed and verified with the GM/T 0009 default distinguishing id
# 1234567812345678, which OpenSSL 3.0 only uses when told to (-sigopt/-vfyopt distid:...).
set -euo pipefail
cd "$(dirname "$0")"

# The C2SP verifier key of a log, "<origin>+<key id>+<base64(0x01 || key)>", for the origins of
# authd/authd.example.yaml: what auditors give certctl audit. The key id is the first four bytes of
# SHA-256(origin || "\n" || 0x01 || key).
write_vkeys() {
    local logname raw
    for logname in signatures access; do
        raw=$(mktemp)
        openssl pkey -pubin -in "log/$logname.pub" -outform DER | tail -c 32 >"$raw"
        local origin="authd.hangzhou.example/log/$logname"
        local id b64
        id=$( { printf '%s\n\001' "$origin"; cat "$raw"; } | openssl dgst -sha256 -binary | head -c 4 | od -An -tx1 | tr -d ' \n')
        b64=$( { printf '\001'; cat "$raw"; } | openssl base64 -A)
        printf '%s+%s+%s\n' "$origin" "$id" "$b64" >"log/$logname.vkey"
        rm -f "$raw"
    done
}

# Demo departments: short name, unified social credit code (GB 32100, valid check characters,
# category 11 = 机关, region 330100 = 杭州市), Chinese name, and the licence types of
# policies/licence-types.yaml it issues (its signer certificate's scope in the trust bundle).
departments=(
    "scjg 11330100002498113P 杭州市市场监督管理局 11100000000013338W001,11100000000013338W009"
    "mz 11330100002498121J 杭州市民政局 11100000000013338W002,11100000000013338W003"
    "ga 1133010000249813XA 杭州市公安局 11100000000013338W004,11100000000013338W005"
    "zrzy 113301000024981565 杭州市规划和自然资源局 11100000000013338W006"
    "wjw 113301000024981640 杭州市卫生健康委员会 11100000000013338W007"
    "rs 11330100002498172T 杭州市人力资源和社会保障局 11100000000013338W008"
)
STATUS_USCC=11330100002498148A # 杭州市数据资源管理局, signs the status lists
STATUS_NAME=杭州市数据资源管理局
# Where the example authd and the tests' authd publish status lists (public_url: loopback, any port):
# the only URIs the demo status signers may sign lists for.
STATUS_URI_PREFIXES='"http://127.0.0.1:", "https://127.0.0.1:"'


label() {
    case $1 in
    sm2) echo "SM2" ;;
    p256) echo "P-256" ;;
    ed25519) echo "Ed25519" ;;
    esac
}

# The trust bundle (format: docs/formats.md). Scope: the SM2 and P-256 roots may sign every licence
# type for issuers anywhere in 浙江省 (region prefix 33); the Ed25519 root only for 杭州市 (3301). Each
# department's document signer is limited to its own licence types; the status signers to the example
# authd's status URIs and the six departments.
write_trust() {
    pem_json() { awk 'BEGIN { ORS = "" } { gsub(/\r/, ""); print $0 "\\n" }' "$1"; }
    local issuers="" sep
    for d in "${departments[@]}"; do
        read -r _ uscc _ _ <<<"$d"
        issuers="$issuers${issuers:+, }\"$uscc\""
    done
    {
        echo '{'
        echo '  "version": 1,'
        echo '  "roots": ['
        sep=""
        for alg in sm2 p256 ed25519; do
            region=33
            [ "$alg" = ed25519 ] && region=3301
            printf '%s    {\n      "name": "浙江省电子证照演示根 %s",\n' "$sep" "$(label "$alg")"
            printf '      "licence_types": ["*"],\n      "regions": ["%s"],\n' "$region"
            printf '      "certificate": "%s"\n    }' "$(pem_json "pki/$alg/root.crt")"
            sep=$',\n'
        done
        printf '\n  ],\n  "signers": [\n'
        sep=""
        for alg in sm2 p256 ed25519; do
            for d in "${departments[@]}"; do
                read -r short _ _ types <<<"$d"
                printf '%s    {"licence_types": ["%s"],\n     "certificate": "%s"}' "$sep" "${types//,/\", \"}" \
                    "$(pem_json "pki/$alg/$short.crt")"
                sep=$',\n'
            done
        done
        printf '\n  ],\n  "status_signers": [\n'
        sep=""
        for alg in sm2 p256 ed25519; do
            printf '%s    {"uri_prefixes": [%s],\n     "issuers": [%s],\n     "certificate": "%s"}' "$sep" \
                "$STATUS_URI_PREFIXES" "$issuers" "$(pem_json "pki/$alg/status.crt")"
            sep=$',\n'
        done
        printf '\n  ]'
        if [ -f readers/root.crt ]; then
            printf ',\n  "reader_roots": [\n    {"name": "%s",\n     "certificate": "%s"}\n  ]' \
                "$READER_ROOT_NAME" "$(pem_json readers/root.crt)"
            /usr/bin/python3 registry.py # the matters catalogue and the counters' reader registrations
        fi
        printf '\n}\n'
    } >trust.json
    chmod 644 trust.json
}

# The reader PKI (ISO/IEC 18013-5 Annex B.1.7, reader authentication): a relying-party root, P-256, and a
# reader certificate per counter of policies/clients.yaml that makes OpenID4VP requests (authd signs the
# counter's request objects with its key). The wallet checks the chain to this root, which the trust
# bundle lists apart from the licence roots ("reader_roots"): it never vouches for a licence.
READER_ROOT_NAME="浙江省政务服务读取方演示根"
READER_EKU=1.0.18013.5.1.6 # id-mdl-kp-mdlReaderAuth
write_readers() {
    rm -rf readers
    mkdir -p readers
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:named_curve \
        -out readers/root.key
    openssl req -x509 -new -utf8 -key readers/root.key -sha256 -days 7300 \
        -subj "/C=CN/ST=浙江省/O=$READER_ROOT_NAME (NOT FOR PRODUCTION)/CN=Zhejiang counter reader demo root" \
        -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -addext "subjectKeyIdentifier=hash" \
        -addext "issuerAltName=URI:https://zwfw.zj.gov.cn.example/readers" \
        -addext "crlDistributionPoints=URI:https://zwfw.zj.gov.cn.example/readers/root.crl" -out readers/root.crt
    local client
    for client in counter-hz counter-hz-full; do
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:named_curve \
            -out "readers/$client.key"
        openssl req -new -utf8 -key "readers/$client.key" -sha256 \
            -subj "/C=CN/ST=浙江省/L=杭州市/O=杭州市民中心/CN=$client" -out "readers/$client.csr"
        openssl x509 -req -in "readers/$client.csr" -CA readers/root.crt -CAkey readers/root.key -sha256 \
            -days 3650 -out "readers/$client.crt" 2>/dev/null -extfile <(printf '%b' \
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,$READER_EKU\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\nissuerAltName=URI:https://zwfw.zj.gov.cn.example/readers\ncrlDistributionPoints=URI:https://zwfw.zj.gov.cn.example/readers/root.crl\n")
        rm -f "readers/$client.csr"
    done
    rm -f readers/*.srl
    chmod 644 readers/*.crt
}

if [ "${1:-}" = "--vkeys-only" ]; then
    write_vkeys
    exit 0
fi
if [ "${1:-}" = "--readers-only" ]; then
    umask 077
    write_readers
    write_trust
    exit 0
fi
if [ "${1:-}" = "--trust-only" ]; then
    write_trust
    exit 0
fi

umask 077

SM2_ID=1234567812345678
DAYS_ROOT=7300
DAYS_SIGNER=3650
MDOC_DS_EKU=1.0.18013.5.1.2 # ISO/IEC 18013-5 Annex B: id-mdl-kp-mdlDS
# ISO/IEC 18013-5 Annex B asks roots (IACA) and document signers for an issuerAltName and a CRL distribution
# point, and document signers for a critical EKU. The status signers carry no EKU: the Token Status List
# draft's id-kp-oauthStatusSigning is still "{ id-kp TBD }" (draft 21), and the demo invents no OID.
annex_b() { printf 'issuerAltName=URI:https://zwfw.zj.gov.cn.example/elicence\ncrlDistributionPoints=URI:https://zwfw.zj.gov.cn.example/elicence/crl/%s.crl\n' "$1"; }
root_ext() { printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n%s' "$(annex_b "$1")"; }
ds_ext() { printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,%s\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n%s' "$MDOC_DS_EKU" "$(annex_b "$1")"; }
status_ext() { printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n%s' "$(annex_b "$1")"; }

# Per algorithm: openssl genpkey arguments and signing options.
keygen() {
    case $1 in
    sm2) openssl genpkey -algorithm SM2 -out "$2" ;;
    p256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:named_curve -out "$2" ;;
    ed25519) openssl genpkey -algorithm ED25519 -out "$2" ;;
    esac
}
sigopts() {
    case $1 in
    sm2) echo "-sm3 -sigopt distid:$SM2_ID" ;;
    p256) echo "-sha256" ;;
    ed25519) echo "" ;;
    esac
}
vfyopts() { [ "$1" = sm2 ] && echo "-vfyopt distid:$SM2_ID" || true; }
# issue DIR NAME SUBJECT EXTENSIONS: a key and a certificate signed by DIR/root.
issue() {
    local alg=$1 dir=$2 name=$3 subject=$4 ext=$5
    keygen "$alg" "$dir/$name.key"
    # shellcheck disable=SC2046
    openssl req -new -utf8 -key "$dir/$name.key" $(sigopts "$alg") -subj "$subject" -out "$dir/$name.csr"
    # shellcheck disable=SC2046
    openssl x509 -req -in "$dir/$name.csr" -CA "$dir/root.crt" -CAkey "$dir/root.key" $(sigopts "$alg") \
        $(vfyopts "$alg") -days "$DAYS_SIGNER" -extfile <(printf '%b' "$ext") -out "$dir/$name.crt" 2>/dev/null
    rm -f "$dir/$name.csr"
}

# --reissue: the committed demo PKI's certificates signed again with the extensions above, keeping their
# keys, subjects, serials and validity dates (licences and seeds signed at fixed times stay inside them).
# A root signs itself again (x509 -preserve_dates); a signer's certificate goes through a request made from
# it and `openssl ca`, the one command here that takes a start date.
reissue_signer() { # alg dir name extensions
    local alg=$1 dir=$2 name=$3 ext=$4 tmp md
    tmp=$(mktemp -d)
    touch "$tmp/index.txt"
    openssl x509 -in "$dir/$name.crt" -noout -serial | cut -d= -f2 >"$tmp/serial"
    printf '[ca]\ndefault_ca=d\n[d]\ndatabase=%s/index.txt\nnew_certs_dir=%s\nserial=%s/serial\npolicy=p\nunique_subject=no\n[p]\n' \
        "$tmp" "$tmp" "$tmp" >"$tmp/ca.cnf"
    case $alg in sm2) md=sm3 ;; p256) md=sha256 ;; ed25519) md=default ;; esac
    # shellcheck disable=SC2046
    openssl x509 -x509toreq -in "$dir/$name.crt" -signkey "$dir/$name.key" $(sigopts "$alg") -out "$tmp/req.csr" 2>/dev/null
    # shellcheck disable=SC2046
    openssl ca -batch -config "$tmp/ca.cnf" -cert "$dir/root.crt" -keyfile "$dir/root.key" -in "$tmp/req.csr" \
        -out "$dir/$name.crt" -notext -preserveDN -utf8 -md "$md" $( [ "$alg" = sm2 ] && echo "-sigopt distid:$SM2_ID -vfyopt distid:$SM2_ID") \
        -startdate "$(date -u -d "$(openssl x509 -in "$dir/$name.crt" -noout -startdate | cut -d= -f2)" +%Y%m%d%H%M%SZ)" \
        -enddate "$(date -u -d "$(openssl x509 -in "$dir/$name.crt" -noout -enddate | cut -d= -f2)" +%Y%m%d%H%M%SZ)" \
        -extfile <(printf '%s\n' "$ext") 2>/dev/null
    rm -rf "$tmp"
}
if [ "${1:-}" = "--reissue" ]; then
    for alg in sm2 p256 ed25519; do
        dir=pki/$alg
        # shellcheck disable=SC2046
        openssl x509 -in "$dir/root.crt" -signkey "$dir/root.key" $(sigopts "$alg") -preserve_dates -clrext \
            -extfile <(root_ext "$alg") -out "$dir/root.crt.new"
        mv "$dir/root.crt.new" "$dir/root.crt"
        for name in scjg mz ga zrzy wjw rs; do
            reissue_signer "$alg" "$dir" "$name" "$(ds_ext "$alg")"
        done
        reissue_signer "$alg" "$dir" status "$(status_ext "$alg")"
    done
    chmod 644 pki/*/*.crt
    write_trust
    exit 0
fi

for alg in sm2 p256 ed25519; do
    dir=pki/$alg
    rm -rf "$dir"
    mkdir -p "$dir"
    keygen "$alg" "$dir/root.key"
    # shellcheck disable=SC2046
    openssl req -x509 -new -utf8 -key "$dir/root.key" $(sigopts "$alg") -days "$DAYS_ROOT" \
        -subj "/C=CN/ST=浙江省/O=浙江省电子证照演示根 (NOT FOR PRODUCTION)/CN=Zhejiang e-licence demo root $(label "$alg")" \
        -config <(printf '[req]\ndistinguished_name=dn\nx509_extensions=ext\n[dn]\n[ext]\n%s\n' "$(root_ext "$alg")") \
        -out "$dir/root.crt"
    for d in "${departments[@]}"; do
        read -r short uscc cname _ <<<"$d"
        issue "$alg" "$dir" "$short" \
            "/C=CN/ST=浙江省/L=杭州市/O=$cname/organizationIdentifier=NTRCN-$uscc/CN=$cname 电子证照签发 $(label "$alg")" \
            "$(ds_ext "$alg")"
    done
    issue "$alg" "$dir" status \
        "/C=CN/ST=浙江省/L=杭州市/O=$STATUS_NAME/organizationIdentifier=NTRCN-$STATUS_USCC/CN=$STATUS_NAME 状态列表签发 $(label "$alg")" \
        "$(status_ext "$alg")"
done

# Log keys (C2SP signed notes use Ed25519).
rm -rf log
mkdir -p log
# witness-a and witness-b: the cosigning keys of the two example witnesses (authd's witness role).
for logname in signatures access witness-a witness-b; do
    openssl genpkey -algorithm ED25519 -out "log/$logname.key"
    openssl pkey -in "log/$logname.key" -pubout -out "log/$logname.pub"
done
write_vkeys

# The data key authd encrypts licences at rest with (and derives the holder-index key from): 32 random
# bytes in hex. And bearer tokens for the example clients of policies/clients.yaml, which holds only
# their SHA-256 (tokens/sha256.txt lists them to paste there after regenerating).
openssl rand -hex 32 >data.key
rm -rf tokens
mkdir -p tokens
: >tokens/sha256.txt
for client in issuer-scjg issuer-mz issuer-ga issuer-zrzy issuer-wjw issuer-rs counter-hz counter-hz-full auditor admin; do
    printf 'authd_%s' "$(openssl rand -hex 24)" >"tokens/$client.token"
    printf '%s %s\n' "$client" "$(openssl dgst -sha256 -r "tokens/$client.token" | cut -d' ' -f1)" >>tokens/sha256.txt
done

# TLS: authd's server certificate (self-signed, localhost), a client CA and one client certificate per
# example client of the mutual-TLS demo.
mkdir -p tls
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout tls/server.key -out tls/server.crt -days 3650 \
    -subj "/CN=localhost/O=authd demo (NOT FOR PRODUCTION)" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"
keygen p256 tls/client-ca.key
openssl req -x509 -new -key tls/client-ca.key -sha256 -days "$DAYS_ROOT" \
    -subj "/O=authd demo (NOT FOR PRODUCTION)/CN=authd demo client CA" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign" \
    -out tls/client-ca.crt
rm -rf tls/clients
mkdir -p tls/clients
for client in issuer-scjg counter-hz auditor; do
    keygen p256 "tls/clients/$client.key"
    openssl req -new -key "tls/clients/$client.key" -sha256 \
        -subj "/O=authd demo (NOT FOR PRODUCTION)/CN=$client" -out "tls/clients/$client.csr"
    openssl x509 -req -in "tls/clients/$client.csr" -CA tls/client-ca.crt -CAkey tls/client-ca.key -sha256 \
        -days "$DAYS_SIGNER" -out "tls/clients/$client.crt" 2>/dev/null \
        -extfile <(printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n')
    rm -f "tls/clients/$client.csr"
done
rm -f tls/*.srl pki/*/*.srl

write_readers
write_trust
chmod 644 pki/*/*.crt log/*.pub tls/*.crt tls/clients/*.crt tokens/sha256.txt
# Client certificate fingerprints (SHA-256 of the DER), for policies/clients.yaml.
for c in tls/clients/*.crt; do
    printf '%s %s\n' "$(basename "$c" .crt)" "$(openssl x509 -in "$c" -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1)"
done >tls/clients/sha256.txt
echo "wrote pki/, log/, tls/, tokens/, data.key and trust.json (NOT FOR PRODUCTION)"
echo "update policies/clients.yaml with tokens/sha256.txt and tls/clients/sha256.txt"
