/* Reads authd's YAML configuration with libyaml's document API, so every error can name the file,
 * line and key. Unknown keys are errors: a misspelt limit must not silently fall back to a default. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config.h"
#include "config_federation.h"
#include "record.h"
#include "yamlutil.h"

int authd_config_parse_listen(const char *text, struct authd_listener_config *out)
{
    const char *colon = strrchr(text, ':');
    if (!colon || colon == text) return -1;
    size_t host_len = (size_t)(colon - text);
    const char *host = text;
    if (host[0] == '[') {
        if (host_len < 3 || host[host_len - 1] != ']') return -1;
        host++;
        host_len -= 2;
    }
    char *end;
    errno = 0;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (errno || end == colon + 1 || *end || port == 0 || port > 65535) return -1;
    char buf[INET6_ADDRSTRLEN];
    unsigned char addr[sizeof(struct in6_addr)];
    if (host_len >= sizeof(buf)) return -1;
    memcpy(buf, host, host_len);
    buf[host_len] = '\0';
    if (inet_pton(AF_INET, buf, addr) != 1 && inet_pton(AF_INET6, buf, addr) != 1) return -1;
    memset(out, 0, sizeof(*out));
    out->host = strdup(buf);
    out->port = (uint16_t)port;
    return out->host ? 0 : -1;
}

static int tls_cert(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    return authd_yaml_path(l, v, "tls.certificate", &((struct authd_listener_config *)t)->tls_cert);
}
static int tls_key(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    return authd_yaml_path(l, v, "tls.key", &((struct authd_listener_config *)t)->tls_key);
}
static int listener_address(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    struct authd_listener_config *lc = t, parsed;
    const char *s = authd_yaml_scalar(v);
    if (!s || authd_config_parse_listen(s, &parsed) != 0)
        return authd_yaml_fail(l, v,
                               "listen.address: expected HOST:PORT with a numeric host, e.g. 127.0.0.1:8080");
    free(lc->host);
    lc->host = parsed.host;
    lc->port = parsed.port;
    return 0;
}
static int tls_client_ca(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    return authd_yaml_path(l, v, "tls.client_ca", &((struct authd_listener_config *)t)->client_ca);
}
static int listener_tls(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    static const struct authd_yaml_field fields[] = {
        {"certificate", tls_cert}, {"key", tls_key}, {"client_ca", tls_client_ca}};
    return authd_yaml_walk(l, v, "listen.tls", fields, 3, t);
}

static int top_listen(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    static const struct authd_yaml_field fields[] = {{"address", listener_address}, {"tls", listener_tls}};
    struct authd_config *c = t;
    if (!v || v->type != YAML_SEQUENCE_NODE)
        return authd_yaml_fail(l, v, "listen: expected a list of listeners");
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
        yaml_node_t *item = yaml_document_get_node(&l->doc, *it);
        if (c->listener_count == AUTHD_MAX_LISTENERS)
            return authd_yaml_fail(l, item, "listen: at most %d listeners", AUTHD_MAX_LISTENERS);
        struct authd_listener_config *lc = &c->listeners[c->listener_count++];
        if (authd_yaml_walk(l, item, "listen", fields, 2, lc) != 0) return -1;
        if (!lc->host) return authd_yaml_fail(l, item, "listen: 'address' is required");
        if (!lc->tls_cert != !lc->tls_key)
            return authd_yaml_fail(l, item, "listen.tls: both 'certificate' and 'key' are required");
    }
    return 0;
}

static int top_workers(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    uint64_t n = 0;
    if (authd_yaml_uint(l, v, "workers", 1, 256, &n) != 0) return -1;
    ((struct authd_config *)t)->workers = (unsigned)n;
    return 0;
}
static int top_data_dir(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    return authd_yaml_path(l, v, "data_dir", &((struct authd_config *)t)->data_dir);
}
static int top_state_dir(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    return authd_yaml_path(l, v, "state_dir", &((struct authd_config *)t)->state_dir);
}
static int top_regions(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    return authd_yaml_path(l, v, "regions_file", &((struct authd_config *)t)->regions_file);
}
static int top_access_log(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    const char *s = authd_yaml_scalar(v);
    if (s && strcmp(s, "-") == 0)
        return authd_yaml_string(l, v, "access_log", &((struct authd_config *)t)->access_log);
    return authd_yaml_path(l, v, "access_log", &((struct authd_config *)t)->access_log);
}

#define SIZE_FIELD(fn, name, member, min, max)                                                               \
    static int fn(struct authd_yaml *l, yaml_node_t *v, void *t)                                             \
    {                                                                                                        \
        uint64_t n = 0;                                                                                      \
        if (authd_yaml_uint(l, v, name, min, max, &n) != 0) return -1;                                       \
        ((struct authd_config *)t)->member = (size_t)n;                                                      \
        return 0;                                                                                            \
    }
SIZE_FIELD(limit_body, "limits.max_body_bytes", max_body_bytes, 1024, 1ull << 30)
SIZE_FIELD(limit_header, "limits.max_header_bytes", max_header_bytes, 1024, 256ull << 10)
SIZE_FIELD(limit_batch, "limits.max_batch", max_batch, 1, 1000000)
SIZE_FIELD(store_map, "store.map_size", lmdb_map_bytes, 1ull << 20, 1ull << 40)
SIZE_FIELD(limit_inflight, "limits.max_in_flight", max_in_flight, 1, 1000000)
SIZE_FIELD(limit_inflight_bytes, "limits.max_in_flight_bytes", max_in_flight_bytes, 1ull << 20, 1ull << 40)
SIZE_FIELD(limit_client_inflight, "limits.client_max_in_flight", client_max_in_flight, 1, 1000000)
SIZE_FIELD(limit_client_inflight_bytes, "limits.client_max_in_flight_bytes", client_max_in_flight_bytes,
           64ull << 10, 1ull << 40)
SIZE_FIELD(limit_http2_bodies, "limits.http2_bodies", http2_bodies, 1, 100)
SIZE_FIELD(limit_receive_buffer, "limits.receive_buffer_bytes", receive_buffer, 4096, 16ull << 20)

static int limit_grace(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    uint64_t n = 0;
    if (authd_yaml_uint(l, v, "limits.shutdown_grace_ms", 0, 600000, &n) != 0) return -1;
    ((struct authd_config *)t)->shutdown_grace_ms = n;
    return 0;
}

static int top_limits(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    static const struct authd_yaml_field fields[] = {
        {"max_body_bytes", limit_body},
        {"max_header_bytes", limit_header},
        {"max_batch", limit_batch},
        {"shutdown_grace_ms", limit_grace},
        {"max_in_flight", limit_inflight},
        {"max_in_flight_bytes", limit_inflight_bytes},
        {"client_max_in_flight", limit_client_inflight},
        {"client_max_in_flight_bytes", limit_client_inflight_bytes},
        {"http2_bodies", limit_http2_bodies},
        {"receive_buffer_bytes", limit_receive_buffer}};
    return authd_yaml_walk(l, v, "limits", fields, sizeof(fields) / sizeof(fields[0]), t);
}

static int store_backend(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    const char *s = authd_yaml_scalar(v);
    struct authd_config *c = t;
    if (s && strcmp(s, "lmdb") == 0)
        c->store_backend = AUTHD_STORE_LMDB;
    else if (s && strcmp(s, "postgresql") == 0)
        c->store_backend = AUTHD_STORE_POSTGRESQL;
    else
        return authd_yaml_fail(l, v, "store.backend: expected lmdb or postgresql");
    return 0;
}

static int store_cipher(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    const char *s = authd_yaml_scalar(v);
    int cipher = s ? authd_cipher_of(s) : -1;
    if (cipher < 0) return authd_yaml_fail(l, v, "store.cipher: expected xchacha20-poly1305 or sm4");
    ((struct authd_config *)t)->store_cipher = cipher;
    return 0;
}

static int pg_conninfo(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    return authd_yaml_string(l, v, "store.postgresql.conninfo", &((struct authd_config *)t)->pg_conninfo);
}

static int pg_passfile(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    return authd_yaml_path(l, v, "store.postgresql.passfile", &((struct authd_config *)t)->pg_passfile);
}

SIZE_FIELD(pg_pool, "store.postgresql.pool_size", pg_pool_size, 1, 256)

static int store_postgresql(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    static const struct authd_yaml_field fields[] = {
        {"conninfo", pg_conninfo}, {"passfile", pg_passfile}, {"pool_size", pg_pool}};
    return authd_yaml_walk(l, v, "store.postgresql", fields, 3, t);
}

static int top_store(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    static const struct authd_yaml_field fields[] = {{"backend", store_backend},
                                                     {"map_size", store_map},
                                                     {"cipher", store_cipher},
                                                     {"postgresql", store_postgresql}};
    return authd_yaml_walk(l, v, "store", fields, sizeof(fields) / sizeof(fields[0]), t);
}

#define PATH_FIELD(fn, name, member)                                                                         \
    static int fn(struct authd_yaml *l, yaml_node_t *v, void *t)                                             \
    {                                                                                                        \
        return authd_yaml_path(l, v, name, &((struct authd_config *)t)->member);                             \
    }
PATH_FIELD(top_policies, "policies_dir", policies_dir)
PATH_FIELD(top_trust, "trust_bundle", trust_bundle)
PATH_FIELD(top_data_key, "data_key", data_key)
PATH_FIELD(top_pkcs11_module, "pkcs11_module", pkcs11_module)
static int top_data_key_wrapping(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    const char *s = authd_yaml_scalar(v);
    if (!s || strncmp(s, "pkcs11:", 7) != 0)
        return authd_yaml_fail(l, v, "data_key_wrapping: expected the PKCS#11 URI of an AES key");
    return authd_yaml_key_ref(l, v, "data_key_wrapping", &((struct authd_config *)t)->data_key_wrapping);
}

static int top_public_url(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    struct authd_config *c = t;
    if (authd_yaml_string(l, v, "public_url", &c->public_url) != 0) return -1;
    size_t n = strlen(c->public_url);
    if ((strncmp(c->public_url, "http://", 7) != 0 && strncmp(c->public_url, "https://", 8) != 0) ||
        c->public_url[n - 1] == '/')
        return authd_yaml_fail(l, v,
                               "public_url: expected http(s)://host[:port][/path] without a trailing /");
    return 0;
}

#define SIGNER_FIELD(fn, name, member, read)                                                                 \
    static int fn(struct authd_yaml *l, yaml_node_t *v, void *t)                                             \
    {                                                                                                        \
        return read(l, v, "signers." name, &((struct authd_signer_config *)t)->member);                      \
    }
/* keys: a PEM file, or a PKCS#11 URI (pkcs11_key.h) */
SIGNER_FIELD(signer_key, "key", key, authd_yaml_key_ref)
SIGNER_FIELD(signer_cert, "certificate", certificate, authd_yaml_path)
SIGNER_FIELD(signer_status_key, "status_key", status_key, authd_yaml_key_ref)
SIGNER_FIELD(signer_status_cert, "status_certificate", status_certificate, authd_yaml_path)
static int signer_issuer(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    return authd_yaml_string(l, v, "signers.issuer_code", &((struct authd_signer_config *)t)->issuer_code);
}

static int one_signer(struct authd_yaml *l, yaml_node_t *item, size_t i, void *t)
{
    static const struct authd_yaml_field fields[] = {{"issuer_code", signer_issuer},
                                                     {"key", signer_key},
                                                     {"certificate", signer_cert},
                                                     {"status_key", signer_status_key},
                                                     {"status_certificate", signer_status_cert}};
    struct authd_config *c = t;
    if (i >= AUTHD_MAX_SIGNERS) return authd_yaml_fail(l, item, "signers: at most %d", AUTHD_MAX_SIGNERS);
    struct authd_signer_config *sc = &c->signers[i];
    c->signer_count = i + 1;
    if (authd_yaml_walk(l, item, "signers", fields, 5, sc) != 0) return -1;
    if (!sc->issuer_code || !sc->key || !sc->certificate || !sc->status_key || !sc->status_certificate)
        return authd_yaml_fail(
            l, item,
            "signers: issuer_code, key, certificate, status_key and status_certificate are required");
    return 0;
}

static int top_signers(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    return authd_yaml_each(l, v, "signers", one_signer, t);
}

static int status_size(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    uint64_t n;
    if (authd_yaml_uint(l, v, "status.list_size", 1024, 1u << 24, &n) != 0) return -1;
    if (n % 8) return authd_yaml_fail(l, v, "status.list_size: a multiple of 8");
    ((struct authd_config *)t)->status_list_size = (uint32_t)n;
    return 0;
}
static int status_ttl(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    uint64_t n;
    if (authd_yaml_uint(l, v, "status.ttl", 1, 86400, &n) != 0) return -1;
    ((struct authd_config *)t)->status_ttl = (uint32_t)n;
    return 0;
}
static int top_status(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    static const struct authd_yaml_field fields[] = {{"list_size", status_size}, {"ttl", status_ttl}};
    return authd_yaml_walk(l, v, "status", fields, 2, t);
}

SIZE_FIELD(writer_batch, "writer.max_batch", writer_max_batch, 1, 65536)
SIZE_FIELD(writer_delay, "writer.commit_delay_us", writer_commit_delay_us, 0, 1000000)
SIZE_FIELD(writer_fill, "writer.commit_fill", writer_commit_fill, 1, 65536)
static int top_writer(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    static const struct authd_yaml_field fields[] = {
        {"max_batch", writer_batch}, {"commit_delay_us", writer_delay}, {"commit_fill", writer_fill}};
    return authd_yaml_walk(l, v, "writer", fields, 3, t);
}

static int log_origin(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    return authd_yaml_string(l, v, "logs.*.origin", &((struct authd_log_config *)t)->origin);
}

static int log_key(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    return authd_yaml_key_ref(l, v, "logs.*.key", &((struct authd_log_config *)t)->key);
}

static int log_witness_url(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    return authd_yaml_string(l, v, "logs.*.witnesses[].url", &((struct authd_witness_server *)t)->url);
}

static int log_witness_key(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    return authd_yaml_string(l, v, "logs.*.witnesses[].key", &((struct authd_witness_server *)t)->key);
}

static int log_witness(struct authd_yaml *l, yaml_node_t *item, size_t i, void *t)
{
    static const struct authd_yaml_field fields[] = {{"url", log_witness_url}, {"key", log_witness_key}};
    struct authd_log_config *lc = t;
    if (i >= AUTHD_MAX_LOG_WITNESSES)
        return authd_yaml_fail(l, item, "logs.*.witnesses: at most %d", AUTHD_MAX_LOG_WITNESSES);
    lc->n_witnesses = i + 1;
    struct authd_witness_server *w = &lc->witnesses[i];
    if (authd_yaml_walk(l, item, "logs.*.witnesses[]", fields, 2, w) != 0) return -1;
    if (!w->url || !w->key) return authd_yaml_fail(l, item, "logs.*.witnesses[]: url and key are required");
    if (strncmp(w->url, "http://", 7) != 0 && strncmp(w->url, "https://", 8) != 0)
        return authd_yaml_fail(l, item, "logs.*.witnesses[].url: an http:// or https:// URL");
    return 0;
}

static int log_witnesses(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    return authd_yaml_each(l, v, "logs.*.witnesses", log_witness, t);
}

static int log_witness_quorum(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    uint64_t n;
    if (authd_yaml_uint(l, v, "logs.*.witness_quorum", 1, AUTHD_MAX_LOG_WITNESSES, &n) != 0) return -1;
    ((struct authd_log_config *)t)->witness_quorum = (size_t)n;
    return 0;
}

static int one_log(struct authd_yaml *l, yaml_node_t *v, const char *what, struct authd_log_config *lc)
{
    static const struct authd_yaml_field fields[] = {{"origin", log_origin},
                                                     {"key", log_key},
                                                     {"witnesses", log_witnesses},
                                                     {"witness_quorum", log_witness_quorum}};
    if (authd_yaml_walk(l, v, what, fields, 4, lc) != 0) return -1;
    if (!lc->origin || !lc->key) return authd_yaml_fail(l, v, "%s: origin and key are required", what);
    if (lc->witness_quorum > lc->n_witnesses)
        return authd_yaml_fail(l, v, "%s: witness_quorum %zu exceeds the %zu witnesses", what,
                               lc->witness_quorum, lc->n_witnesses);
    if (!lc->witness_quorum) lc->witness_quorum = lc->n_witnesses;
    return 0;
}

static int logs_signatures(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    return one_log(l, v, "logs.signatures", &((struct authd_config *)t)->sig_log);
}

static int logs_access(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    return one_log(l, v, "logs.access", &((struct authd_config *)t)->access_tlog);
}

static int challenge_ttl(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    uint64_t n;
    if (authd_yaml_uint(l, v, "challenges.ttl", 1, 3600, &n) != 0) return -1;
    ((struct authd_config *)t)->challenge_ttl = (uint32_t)n;
    return 0;
}
SIZE_FIELD(challenge_capacity, "challenges.capacity", challenge_capacity, 16, 1 << 24)
SIZE_FIELD(challenge_per_counter, "challenges.per_counter", challenge_per_counter, 1, 1 << 16)
static int top_challenges(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    static const struct authd_yaml_field fields[] = {
        {"ttl", challenge_ttl}, {"capacity", challenge_capacity}, {"per_counter", challenge_per_counter}};
    return authd_yaml_walk(l, v, "challenges", fields, 3, t);
}

#define READER_FIELD(fn, name, member, read)                                                                 \
    static int fn(struct authd_yaml *l, yaml_node_t *v, void *t)                                             \
    {                                                                                                        \
        return read(l, v, "readers." name, &((struct authd_reader_config *)t)->member);                      \
    }
READER_FIELD(reader_client, "client", client, authd_yaml_string)
READER_FIELD(reader_key, "key", key, authd_yaml_path)
READER_FIELD(reader_cert, "certificate", certificate, authd_yaml_path)

static int one_reader(struct authd_yaml *l, yaml_node_t *item, size_t i, void *t)
{
    static const struct authd_yaml_field fields[] = {
        {"client", reader_client}, {"key", reader_key}, {"certificate", reader_cert}};
    struct authd_config *c = t;
    if (i >= AUTHD_MAX_READERS) return authd_yaml_fail(l, item, "readers: at most %d", AUTHD_MAX_READERS);
    struct authd_reader_config *rc = &c->readers[i];
    c->reader_count = i + 1;
    if (authd_yaml_walk(l, item, "readers", fields, 3, rc) != 0) return -1;
    if (!rc->client || !rc->key || !rc->certificate)
        return authd_yaml_fail(l, item, "readers: client, key and certificate are required");
    return 0;
}

static int top_readers(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    return authd_yaml_each(l, v, "readers", one_reader, t);
}

static int request_ttl(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    uint64_t n;
    if (authd_yaml_uint(l, v, "presentation_requests.ttl", 10, 3600, &n) != 0) return -1;
    ((struct authd_config *)t)->request_ttl = (uint32_t)n;
    return 0;
}
SIZE_FIELD(request_capacity, "presentation_requests.capacity", request_capacity, 16, 1 << 22)
static int top_requests(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    static const struct authd_yaml_field fields[] = {{"ttl", request_ttl}, {"capacity", request_capacity}};
    return authd_yaml_walk(l, v, "presentation_requests", fields, 2, t);
}

static int issuance_x5chain(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    int on;
    if (authd_yaml_bool(l, v, "issuance.x5chain", &on) != 0) return -1;
    ((struct authd_config *)t)->issue_x5chain = on != 0;
    return 0;
}
static int top_issuance(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    static const struct authd_yaml_field fields[] = {{"x5chain", issuance_x5chain}};
    return authd_yaml_walk(l, v, "issuance", fields, 1, t);
}

static int witness_name(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    return authd_yaml_string(l, v, "witness.name", &((struct authd_config *)t)->witness.name);
}

static int witness_key(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    return authd_yaml_path(l, v, "witness.key", &((struct authd_config *)t)->witness.key);
}

static int witness_log(struct authd_yaml *l, yaml_node_t *item, size_t i, void *t)
{
    struct authd_witness_config *w = &((struct authd_config *)t)->witness;
    w->n_logs = i + 1;
    return authd_yaml_string(l, item, "witness.logs", &w->logs[i]);
}

static int witness_logs(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    struct authd_witness_config *w = &((struct authd_config *)t)->witness;
    if (!v || v->type != YAML_SEQUENCE_NODE) return authd_yaml_fail(l, v, "witness.logs: expected a list");
    size_t n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
    if (n == 0 || n > AUTHD_MAX_WITNESSED_LOGS)
        return authd_yaml_fail(l, v, "witness.logs: 1 to %d verifier keys", AUTHD_MAX_WITNESSED_LOGS);
    if (!(w->logs = calloc(n, sizeof(*w->logs)))) return authd_yaml_fail(l, v, "out of memory");
    return authd_yaml_each(l, v, "witness.logs", witness_log, t);
}

static int top_witness(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    static const struct authd_yaml_field fields[] = {
        {"name", witness_name}, {"key", witness_key}, {"logs", witness_logs}};
    struct authd_witness_config *w = &((struct authd_config *)t)->witness;
    if (authd_yaml_walk(l, v, "witness", fields, 3, t) != 0) return -1;
    if (!w->name || !w->key || !w->n_logs)
        return authd_yaml_fail(l, v, "witness: name, key and logs are required");
    return 0;
}

static int top_logs(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    static const struct authd_yaml_field fields[] = {{"signatures", logs_signatures},
                                                     {"access", logs_access}};
    return authd_yaml_walk(l, v, "logs", fields, 2, t);
}

static void set_defaults(struct authd_config *c)
{
    memset(c, 0, sizeof(*c));
    c->workers = 2;
    c->lmdb_map_bytes = (size_t)8 << 30;
    c->pg_pool_size = 0; /* 0: workers + 4 */
    authd_config_federation_defaults(&c->federation);
    c->max_body_bytes = (size_t)2 << 20;
    c->max_header_bytes = (size_t)16 << 10;
    c->max_batch = 10000;
    c->max_in_flight = 2048;
    c->max_in_flight_bytes = (size_t)64 << 20;
    c->client_max_in_flight = 256;
    c->http2_bodies = 8;
    c->receive_buffer = 16 << 10;
    c->client_max_in_flight_bytes = (size_t)16 << 20;
    c->shutdown_grace_ms = 5000;
    c->status_list_size = 1u << 20;
    c->status_ttl = 60;
    c->writer_max_batch = 1024;
    c->writer_commit_delay_us = 500;
    c->writer_commit_fill = 32;
    c->challenge_ttl = 120;
    c->issue_x5chain = true;
    c->challenge_capacity = 65536;
    c->challenge_per_counter = 64;
    c->request_ttl = 300;
    c->request_capacity = 65536;
}

int authd_config_load(struct authd_config *config, const char *path, char *err, size_t err_cap)
{
    static const struct authd_yaml_field fields[] = {{"listen", top_listen},
                                                     {"workers", top_workers},
                                                     {"data_dir", top_data_dir},
                                                     {"regions_file", top_regions},
                                                     {"access_log", top_access_log},
                                                     {"limits", top_limits},
                                                     {"store", top_store},
                                                     {"policies_dir", top_policies},
                                                     {"trust_bundle", top_trust},
                                                     {"data_key", top_data_key},
                                                     {"public_url", top_public_url},
                                                     {"signers", top_signers},
                                                     {"pkcs11_module", top_pkcs11_module},
                                                     {"data_key_wrapping", top_data_key_wrapping},
                                                     {"status", top_status},
                                                     {"writer", top_writer},
                                                     {"logs", top_logs},
                                                     {"challenges", top_challenges},
                                                     {"readers", top_readers},
                                                     {"presentation_requests", top_requests},
                                                     {"issuance", top_issuance},
                                                     {"state_dir", top_state_dir},
                                                     {"witness", top_witness},
                                                     {"federation", authd_config_federation}};
    struct authd_yaml y;
    set_defaults(config);
    if (authd_yaml_load(&y, path, err, err_cap) != 0) return -1;
    int rc = authd_yaml_walk(&y, yaml_document_get_root_node(&y.doc), "top level", fields,
                             sizeof(fields) / sizeof(fields[0]), config);
    authd_yaml_free(&y);
    return rc;
}

static bool is_loopback(const char *host)
{
    unsigned char a[16];
    if (inet_pton(AF_INET, host, a) == 1) return a[0] == 127;
    return strcmp(host, "::1") == 0;
}

void authd_config_describe_store(const struct authd_config *c, char *out, size_t cap)
{
    if (c->store_backend == AUTHD_STORE_POSTGRESQL)
        snprintf(out, cap, "PostgreSQL (%s)", c->pg_conninfo); /* never a password: config refuses one */
    else
        snprintf(out, cap, "LMDB (%s)", c->data_dir);
}

int authd_config_derive(struct authd_config *c)
{
    if (c->state_dir || !c->data_dir) return 0;
    size_t n = strlen(c->data_dir);
    while (n > 1 && c->data_dir[n - 1] == '/')
        n--;
    if (!(c->state_dir = malloc(n + sizeof(".state")))) return -1;
    memcpy(c->state_dir, c->data_dir, n);
    memcpy(c->state_dir + n, ".state", sizeof(".state"));
    return 0;
}

int authd_config_validate(const struct authd_config *c, char *err, size_t err_cap)
{
    if (c->listener_count == 0) {
        snprintf(err, err_cap, "no listeners: add 'listen' to the configuration or pass --listen");
        return -1;
    }
    for (size_t i = 0; i < c->listener_count; i++) {
        const struct authd_listener_config *lc = &c->listeners[i];
        /* Identity numbers cross this API: cleartext is for development on this machine only. */
        if (!lc->tls_cert && !is_loopback(lc->host)) {
            snprintf(err, err_cap, "listener %s:%u: plain HTTP is allowed on loopback only; configure tls",
                     lc->host, lc->port);
            return -1;
        }
    }
    if (c->store_backend == AUTHD_STORE_LMDB && !c->data_dir) {
        snprintf(err, err_cap, "no data directory: set 'data_dir' or pass --data");
        return -1;
    }
    if (c->store_backend == AUTHD_STORE_POSTGRESQL && !c->pg_conninfo) {
        snprintf(err, err_cap, "store.backend is postgresql: set store.postgresql.conninfo");
        return -1;
    }
    const char *missing = !c->state_dir         ? "state_dir"
                          : !c->policies_dir    ? "policies_dir"
                          : !c->trust_bundle    ? "trust_bundle"
                          : !c->data_key        ? "data_key"
                          : !c->public_url      ? "public_url"
                          : !c->sig_log.key     ? "logs.signatures"
                          : !c->access_tlog.key ? "logs.access"
                                                : NULL;
    if (missing) {
        snprintf(err, err_cap, "'%s' is required", missing);
        return -1;
    }
    return 0;
}

void authd_config_replace_listeners(struct authd_config *c, const struct authd_listener_config *listeners,
                                    size_t count)
{
    for (size_t i = 0; i < c->listener_count; i++) {
        free(c->listeners[i].host);
        free(c->listeners[i].tls_cert);
        free(c->listeners[i].tls_key);
        free(c->listeners[i].client_ca);
    }
    if (count) memcpy(c->listeners, listeners, count * sizeof(listeners[0]));
    c->listener_count = count;
}

void authd_config_free(struct authd_config *c)
{
    authd_config_replace_listeners(c, NULL, 0);
    free(c->data_dir);
    free(c->state_dir);
    free(c->pg_conninfo);
    free(c->pg_passfile);
    free(c->access_log);
    free(c->regions_file);
    free(c->policies_dir);
    free(c->trust_bundle);
    free(c->data_key);
    free(c->pkcs11_module);
    free(c->data_key_wrapping);
    free(c->public_url);
    free(c->sig_log.origin);
    free(c->sig_log.key);
    free(c->access_tlog.origin);
    free(c->access_tlog.key);
    for (int l = 0; l < 2; l++) {
        struct authd_log_config *lc = l ? &c->access_tlog : &c->sig_log;
        for (size_t i = 0; i < lc->n_witnesses; i++)
            free(lc->witnesses[i].url), free(lc->witnesses[i].key);
    }
    free(c->witness.name);
    free(c->witness.key);
    for (size_t i = 0; i < c->witness.n_logs; i++)
        free(c->witness.logs[i]);
    free(c->witness.logs);
    authd_config_federation_free(&c->federation);
    for (size_t i = 0; i < c->reader_count; i++) {
        free(c->readers[i].client);
        free(c->readers[i].key);
        free(c->readers[i].certificate);
    }
    for (size_t i = 0; i < c->signer_count; i++) {
        free(c->signers[i].issuer_code);
        free(c->signers[i].key);
        free(c->signers[i].certificate);
        free(c->signers[i].status_key);
        free(c->signers[i].status_certificate);
    }
    memset(c, 0, sizeof(*c));
}
