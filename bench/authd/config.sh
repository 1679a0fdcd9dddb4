# Sourced by the scripts that bench a running authd: the configuration of a benchmarked authd, and the
# helpers they share (a free loopback port, waiting for /healthz, the median of figures, wrk's rate).
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 100); do curl -sf "http://127.0.0.1:$1/healthz" >/dev/null && return; sleep 0.1; done; exit 1; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
wrk_rate() { awk '/^Requests\/sec/ {print $2}'; }
# alternate ROUNDS "A ARGS" "B ARGS": run_round with A's and B's arguments in turn, ROUNDS times (each prints
# a rate); sets the arrays rates_a, rates_b and ratios (b / a) for the medians.
alternate() {
    local a b
    rates_a=() rates_b=() ratios=()
    for _ in $(seq "$1"); do
        # shellcheck disable=SC2086 # the arguments are words on purpose
        a=$(run_round $2)
        # shellcheck disable=SC2086
        b=$(run_round $3)
        rates_a+=("$a")
        rates_b+=("$b")
        ratios+=("$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", b / a }')")
    done
}
# met RATIO TARGET: "met" or "NOT met"
met() { awk -v r="$1" -v t="$2" 'BEGIN { print (r >= t ? "met" : "NOT met") }'; }

# authd_yaml PORT DATA_DIR PUBLIC_URL STORE_YAML SIGNER...: the YAML on standard output. Each SIGNER is
# "issuer_code:algorithm:department" from keys-example/pki; $root and $keys must be set.
authd_yaml() {
    local port=$1 data=$2 public=$3 store=$4
    shift 4
    cat <<YAML
listen:
  - address: 127.0.0.1:$port
workers: 2
data_dir: $data
access_log: /dev/null
$store
policies_dir: $root/policies
trust_bundle: $keys/trust.json
data_key: $keys/data.key
public_url: $public
writer:
  max_batch: 4096
logs:
  signatures:
    origin: bench.example/log/signatures
    key: $keys/log/signatures.key
  access:
    origin: bench.example/log/access
    key: $keys/log/access.key
signers:
YAML
    local s code alg dept
    for s in "$@"; do
        IFS=: read -r code alg dept <<<"$s"
        printf '  - issuer_code: %s\n    key: %s/pki/%s/%s.key\n    certificate: %s/pki/%s/%s.crt\n' \
            "$code" "$keys" "$alg" "$dept" "$keys" "$alg" "$dept"
        printf '    status_key: %s/pki/%s/status.key\n    status_certificate: %s/pki/%s/status.crt\n' \
            "$keys" "$alg" "$keys" "$alg"
    done
}
