/* The logs for auditors, in C2SP tlog-tiles layout under /log/signatures/ (public) and /log/access/
 * (auditors and admins): checkpoint, tile/<L>/<N>[.p/<W>], tile/entries/<N>[.p/<W>], the verifier key,
 * and JSON proofs. Tiles never change once written (the tree only grows), so they are cacheable for a
 * year; the checkpoint is not cacheable. Also GET /v1/licences/{id}/receipt: a C2SP tlog-proof that the
 * licence's issuance is in the signature log. */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "licences.h"
#include "router.h"
#include "tlog.h"

/* The log a request names, or NULL after a 404 or 401/403. */
static struct authd_log *which_log(struct authd_request *r, int *is_public)
{
    h2o_iovec_t name = r->params[0];
    if (h2o_memis(name.base, name.len, H2O_STRLIT("signatures"))) {
        *is_public = 1;
        return r->server->logs[AUTHD_LOG_SIGNATURES];
    }
    if (h2o_memis(name.base, name.len, H2O_STRLIT("access"))) {
        *is_public = 0;
        if (!authd_require(r, AUTHD_ROLE(AUTHD_ROLE_AUDITOR) | AUTHD_ROLE(AUTHD_ROLE_ADMIN))) return NULL;
        return r->server->logs[AUTHD_LOG_ACCESS];
    }
    authd_problem(r->req, 404, "log_not_found", "the logs are 'signatures' and 'access'");
    return NULL;
}

void authd_route_log_checkpoint(struct authd_request *r)
{
    int pub;
    struct authd_log *log = which_log(r, &pub);
    if (!log) return;
    char cp[AUTHD_CHECKPOINT_MAX];
    size_t n = authd_log_checkpoint_served(log, cp, NULL);
    authd_send_cache_control(r->req, 200, "text/plain; charset=utf-8", authd_pool_copy(r->req, cp, n),
                             "no-cache");
}

void authd_route_log_key(struct authd_request *r)
{
    int pub;
    struct authd_log *log = which_log(r, &pub);
    if (!log) return;
    char text[512];
    int n = snprintf(text, sizeof(text), "%s\n", authd_log_vkey(log));
    authd_send_cache_control(r->req, 200, "text/plain; charset=utf-8",
                             authd_pool_copy(r->req, text, (size_t)n), "no-cache");
}

void authd_route_log_tile(struct authd_request *r)
{
    int pub;
    struct authd_log *log = which_log(r, &pub);
    if (!log) return;
    char path[128];
    certlib_tile t;
    h2o_iovec_t rest = r->params[1];
    if (rest.len > sizeof(path) - 6) {
        authd_problem(r->req, 404, "tile_not_found", "not a tile path");
        return;
    }
    memcpy(path, "tile/", 5);
    memcpy(path + 5, rest.base, rest.len);
    if (certlib_tile_parse_path(path, rest.len + 5, &t) != CERTLIB_OK) {
        authd_problem(r->req, 404, "tile_not_found",
                      "not a C2SP tile path: tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>]");
        return;
    }
    uint8_t *bytes;
    size_t len;
    authd_err rc = authd_log_tile(log, &t, &bytes, &len);
    if (rc == AUTHD_E_NOT_FOUND) {
        authd_problem(r->req, 404, "tile_not_found", "the log's published tree has no such tile");
        return;
    }
    if (rc != AUTHD_OK) {
        authd_problem_store(r->req, rc, "store_failed", "the tile could not be read");
        return;
    }
    h2o_iovec_t body = authd_pool_copy(r->req, bytes, len);
    free(bytes);
    authd_send_cache_control(r->req, 200, "application/octet-stream", body,
                             pub ? "public, max-age=31536000, immutable"
                                 : "private, max-age=31536000, immutable");
}

/* A decimal query parameter; -1 after a 400 when malformed, 0 when absent, 1 when read. */
static int u64_param(struct authd_request *r, const char *name, uint64_t *out)
{
    h2o_iovec_t v;
    if (authd_query_param(r->req, name, &v) != 0 || (v.base && v.len == 0)) goto bad;
    if (!v.base) return 0;
    if (v.len > 20 || (v.len > 1 && v.base[0] == '0')) goto bad;
    uint64_t n = 0;
    for (size_t i = 0; i < v.len; i++) {
        if (v.base[i] < '0' || v.base[i] > '9' || n > (UINT64_MAX - (uint64_t)(v.base[i] - '0')) / 10)
            goto bad;
        n = n * 10 + (uint64_t)(v.base[i] - '0');
    }
    *out = n;
    return 1;
bad:
    authd_problemf(r->req, 400, "invalid_parameter", "'%s' must be a decimal number without leading zeros",
                   name);
    return -1;
}

json_t *authd_proof_json(const certlib_tlog_hash *proof, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        char b64[48];
        sodium_bin2base64(b64, sizeof(b64), proof[i], CERTLIB_TLOG_HASH_LEN, sodium_base64_VARIANT_ORIGINAL);
        json_array_append_new(a, json_string(b64));
    }
    return a;
}

/* The signature-log index of a licence's issuance; -1 after a 404 when there is none. */
static int receipt_index(struct authd_request *r, h2o_iovec_t id, uint64_t *index)
{
    struct authd_licence_meta meta;
    if (authd_licence_get(r->server->storage, r->server->keys, id.base, id.len, &meta, index, NULL, NULL) !=
            AUTHD_OK ||
        *index == UINT64_MAX) {
        authd_problem(r->req, 404, "licence_not_found", "no such licence in the signature log");
        return -1;
    }
    return 0;
}

/* A proof as JSON {a_name: a, b_name: b, proof: [base64...]}, or the problem its lookup ended in. */
static void send_proof(h2o_req_t *req, authd_err rc, const char *a_name, uint64_t a, const char *b_name,
                       uint64_t b, const certlib_tlog_hash *proof, size_t n, const char *range_code,
                       const char *range_detail)
{
    if (rc == AUTHD_E_NOT_FOUND) {
        authd_problem(req, 422, range_code, range_detail);
        return;
    }
    if (rc != AUTHD_OK) {
        authd_problem_store(req, rc, "store_failed", "the proof could not be read");
        return;
    }
    authd_send_json_doc(req, 200,
                        json_pack("{s:I, s:I, s:o}", a_name, (json_int_t)a, b_name, (json_int_t)b, "proof",
                                  authd_proof_json(proof, n)));
}

/* ?size= defaults to the published checkpoint's; it may name any earlier size. */
static int tree_size(struct authd_request *r, struct authd_log *log, const char *name, uint64_t *size)
{
    char cp[AUTHD_CHECKPOINT_MAX];
    uint64_t published;
    authd_log_checkpoint(log, cp, &published);
    int got = u64_param(r, name, size);
    if (got < 0) return -1;
    if (!got) *size = published;
    if (*size > published) {
        authd_problemf(r->req, 422, "size_out_of_range", "'%s' is beyond the published tree (%llu entries)",
                       name, (unsigned long long)published);
        return -1;
    }
    return 0;
}

void authd_route_log_inclusion(struct authd_request *r)
{
    int pub;
    struct authd_log *log = which_log(r, &pub);
    if (!log) return;
    uint64_t index, size;
    h2o_iovec_t id;
    if (authd_query_param(r->req, "licence_id", &id) != 0) {
        authd_problem(r->req, 400, "bad_path_encoding", "a malformed percent-escape");
        return;
    }
    int got = u64_param(r, "index", &index);
    if (got < 0) return;
    if (!got == !id.base) {
        authd_problem(r->req, 400, "invalid_parameter", "give exactly one of 'index' and 'licence_id'");
        return;
    }
    if (id.base) {
        if (!pub) {
            authd_problem(r->req, 400, "invalid_parameter", "'licence_id' applies to the signature log");
            return;
        }
        if (receipt_index(r, id, &index) != 0) return;
    }
    if (tree_size(r, log, "size", &size) != 0) return;
    certlib_tlog_hash proof[CERTLIB_TLOG_MAX_PROOF];
    size_t n;
    authd_err rc = authd_log_inclusion(log, index, size, proof, &n);
    send_proof(r->req, rc, "index", index, "size", size, (const certlib_tlog_hash *)proof, n,
               "index_out_of_range", "the index is not below the tree size");
}

void authd_route_log_consistency(struct authd_request *r)
{
    int pub;
    struct authd_log *log = which_log(r, &pub);
    if (!log) return;
    uint64_t from, to;
    int got = u64_param(r, "from", &from);
    if (got < 0) return;
    if (!got) {
        authd_problem(r->req, 400, "invalid_parameter", "give 'from', the older tree size");
        return;
    }
    if (tree_size(r, log, "to", &to) != 0) return;
    certlib_tlog_hash proof[CERTLIB_TLOG_MAX_PROOF];
    size_t n;
    authd_err rc = authd_log_consistency(log, from, to, proof, &n);
    send_proof(r->req, rc, "from", from, "to", to, (const certlib_tlog_hash *)proof, n, "size_out_of_range",
               "'from' must not exceed 'to'");
}

void authd_route_receipt(struct authd_request *r)
{
    h2o_iovec_t id;
    uint64_t index;
    if (authd_percent_decode(&r->req->pool, r->params[0], &id) != 0) {
        authd_problem(r->req, 400, "bad_path_encoding", "a malformed percent-escape");
        return;
    }
    if (receipt_index(r, id, &index) != 0) return;
    char *text;
    size_t len;
    authd_err rc = authd_log_receipt(r->server->logs[AUTHD_LOG_SIGNATURES], index, &text, &len);
    if (rc != AUTHD_OK) {
        authd_problem_store(r->req, rc, "store_failed", "the receipt could not be made");
        return;
    }
    h2o_iovec_t body = authd_pool_copy(r->req, text, len);
    free(text);
    authd_send_cache_control(r->req, 200, "text/plain; charset=utf-8", body, "no-cache");
}
