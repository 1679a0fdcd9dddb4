/* The citizen's use record (用证记录): who used my licences, and why.
 *
 *   GET  /v1/use-record/nonce    (public) a fresh nonce for the app to sign (holder_nonce.h)
 *   POST /v1/use-record          (public) {licence_id, nonce, proof[, from]}: every access-log entry about
 *                                the holder of that licence, each with an inclusion proof to the signed
 *                                access checkpoint it comes with
 *
 * No client credentials: the holder proves control of the device key the licence names (certlib
 * present.h's holder request, signed over the nonce and the licence id). The entries are found through
 * the holder-access index under the licence's own holder key, never by the number a caller gives, so
 * the answer holds that holder's entries and no one else's. The request is not itself recorded in the
 * access log: it releases no licence, and the holder's own reads would otherwise fill the record they
 * read. */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "certlib/encoding.h"
#include "certlib/licence_id.h"
#include "certlib/present.h"
#include "certlib/status.h"
#include "certlib/verify.h"
#include "holder_nonce.h"
#include "licences.h"
#include "router.h"
#include "tlog.h"

#define PAGE 200       /* entries per answer; `next` says where the following page starts */
#define PROOF_MAX 1024 /* bytes of a device signature (a COSE_Sign1 without payload) */

void authd_route_use_record_nonce(struct authd_request *r)
{
    uint8_t nonce[AUTHD_HOLDER_NONCE_LEN];
    char text[64], body[128];
    authd_holder_nonce_make(r->server->keys, time(NULL), nonce);
    sodium_bin2base64(text, sizeof(text), nonce, sizeof(nonce), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    int n = snprintf(body, sizeof(body), "{\"nonce\":\"%s\",\"expires_in\":%u}", text,
                     (unsigned)r->server->config->challenge_ttl);
    authd_send_cache_control(r->req, 200, "application/json", authd_pool_copy(r->req, body, (size_t)n),
                             "no-store");
}

/* A base64url string member decoded into `out` (at most `cap` bytes); false after a 422. */
static bool bytes_member(h2o_req_t *req, json_t *doc, const char *name, uint8_t *out, size_t cap, size_t *len)
{
    json_t *v = json_object_get(doc, name);
    if (!json_is_string(v) ||
        certlib_base64url_decode(json_string_value(v), json_string_length(v), out, cap, len) != CERTLIB_OK ||
        *len == 0) {
        authd_problemf(req, 422, "invalid_request", "'%s' is base64url without padding, at most %zu bytes",
                       name, cap);
        return false;
    }
    return true;
}

/* The request's licence id, checked, into `id`; false after a 422. */
static bool licence_id_member(h2o_req_t *req, json_t *doc, char id[CERTLIB_LICENCE_ID_MAX])
{
    json_t *v = json_object_get(doc, "licence_id");
    certlib_licence_id parsed;
    if (!json_is_string(v) || json_string_length(v) >= CERTLIB_LICENCE_ID_MAX ||
        certlib_licence_id_parse(json_string_value(v), json_string_length(v), &parsed) != CERTLIB_OK) {
        authd_problem(req, 422, "invalid_request", "'licence_id' is the id of one of your licences");
        return false;
    }
    memcpy(id, json_string_value(v), json_string_length(v) + 1);
    return true;
}

/* The nonce is one a node of this store made within the ttl; false after a 422. */
static bool nonce_fresh(struct authd_request *r, const uint8_t *nonce, size_t len)
{
    switch (
        authd_holder_nonce_check(r->server->keys, nonce, len, time(NULL), r->server->config->challenge_ttl)) {
    case AUTHD_HOLDER_NONCE_OK:
        return true;
    case AUTHD_HOLDER_NONCE_EXPIRED:
        authd_problem(r->req, 422, "nonce_expired", "the nonce is too old: get a fresh one and sign again");
        return false;
    case AUTHD_HOLDER_NONCE_FORGED:
    default:
        authd_problem(r->req, 422, "unknown_nonce", "the nonce was not made here (GET /v1/use-record/nonce)");
        return false;
    }
}

/* The holder key of the licence whose holder proved control of its device key; false after the
 * problem (404, 403, or a store failure). */
static bool proven_holder(struct authd_request *r, const char *id, const uint8_t *nonce, size_t nonce_len,
                          const uint8_t *proof, size_t proof_len, uint8_t key[AUTHD_HOLDER_KEY_LEN])
{
    struct authd_licence_meta meta;
    uint8_t *licence = NULL;
    size_t len = 0;
    authd_err rc =
        authd_licence_get(r->server->storage, r->server->keys, id, strlen(id), &meta, NULL, &licence, &len);
    if (rc == AUTHD_E_NOT_FOUND) {
        authd_problem(r->req, 404, "licence_not_found", "no licence with this id was issued here");
        return false;
    }
    if (rc) {
        authd_problem_store(r->req, rc, "store_failed", "the licence could not be read");
        return false;
    }
    bool ok = false;
    certlib_err proved = certlib_holder_request_verify(licence, len, id, nonce, nonce_len, proof, proof_len);
    certlib_result *read = NULL;
    if (proved == CERTLIB_E_NOT_HOLDER_BOUND) {
        authd_problem(r->req, 403, "not_holder_bound",
                      "this licence is bound to no device: ask with a licence your app holds");
    } else if (proved) {
        authd_problem(r->req, 403, "not_holder",
                      "the proof is not a signature of this licence's device key over this nonce");
    } else if (meta.status != CERTLIB_STATUS_VALUE_VALID) {
        /* a revoked licence's device (a lost phone) proves nothing any more */
        authd_problemf(r->req, 403, "licence_not_in_force", "this licence is %s: ask with one in force",
                       authd_status_value_name(meta.status));
    } else if (certlib_licence_read(licence, len, &read) != CERTLIB_OK || !certlib_result_holder_id(read)) {
        authd_problem(r->req, 500, "internal_error", "the stored licence names no holder");
    } else {
        const char *holder = certlib_result_holder_id(read);
        authd_record_holder_key(r->server->keys, holder, strlen(holder), key);
        ok = true;
    }
    certlib_result_free(read);
    sodium_memzero(licence, len); /* personal data */
    free(licence);
    return ok;
}

struct page {
    uint64_t size; /* the checkpoint's: entries at or past it are not in it yet */
    uint64_t index[PAGE + 1];
    size_t n;
};

static int collect(void *arg, uint64_t index)
{
    struct page *p = arg;
    if (index < p->size) p->index[p->n++] = index; /* later ones are not in the checkpoint yet */
    return 0;
}

/* {index, entry, inclusion}: one entry with its proof against the checkpoint of p->size. */
static json_t *entry_json(struct authd_log *log, uint64_t index, uint64_t size, authd_err *rc)
{
    uint8_t *entry = NULL;
    size_t len = 0, n = 0;
    certlib_tlog_hash proof[CERTLIB_TLOG_MAX_PROOF];
    if ((*rc = authd_log_entry(log, index, &entry, &len)) != AUTHD_OK) return NULL;
    if ((*rc = authd_log_inclusion(log, index, size, proof, &n)) != AUTHD_OK) {
        free(entry);
        return NULL;
    }
    json_t *o = json_pack("{s:I, s:s%, s:o}", "index", (json_int_t)index, "entry", (const char *)entry, len,
                          "inclusion", authd_proof_json(proof, n));
    free(entry);
    if (!o) *rc = AUTHD_E_NOMEM;
    return o;
}

void authd_route_use_record(struct authd_request *r)
{
    static const char *const fields[] = {"licence_id", "nonce", "proof", "from", NULL};
    json_t *doc = authd_json_body(r->req, fields);
    if (!doc) return;
    char id[CERTLIB_LICENCE_ID_MAX];
    uint8_t nonce[CERTLIB_HOLDER_NONCE_MAX], proof[PROOF_MAX], key[AUTHD_HOLDER_KEY_LEN];
    size_t nonce_len = 0, proof_len = 0;
    json_t *from = json_object_get(doc, "from");
    if (from && (!json_is_integer(from) || json_integer_value(from) < 0)) {
        authd_problem(r->req, 422, "invalid_request", "'from' is the 'next' of the previous page");
        goto done;
    }
    if (!licence_id_member(r->req, doc, id) ||
        !bytes_member(r->req, doc, "nonce", nonce, sizeof(nonce), &nonce_len) ||
        !bytes_member(r->req, doc, "proof", proof, sizeof(proof), &proof_len) ||
        !nonce_fresh(r, nonce, nonce_len) || !proven_holder(r, id, nonce, nonce_len, proof, proof_len, key))
        goto done;

    struct authd_log *log = r->server->logs[AUTHD_LOG_ACCESS];
    char checkpoint[AUTHD_CHECKPOINT_MAX];
    struct page page = {0};
    size_t cp_len = authd_log_checkpoint_served(log, checkpoint, &page.size);
    uint64_t start = from ? (uint64_t)json_integer_value(from) : 0;
    authd_err rc =
        r->server->storage->ops->holder_access(r->server->storage, key, start, PAGE + 1, collect, &page);
    json_t *entries = json_array();
    for (size_t i = 0; !rc && i < page.n && i < PAGE; i++) {
        json_t *e = entry_json(log, page.index[i], page.size, &rc);
        if (e && json_array_append_new(entries, e) != 0) rc = AUTHD_E_NOMEM;
    }
    if (rc) {
        json_decref(entries);
        authd_problem_store(r->req, rc, "store_failed", "the use record could not be read");
        goto done;
    }
    char holder[64];
    sodium_bin2base64(holder, sizeof(holder), key, sizeof(key), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    json_t *out = json_pack("{s:s, s:s, s:s%, s:I, s:o}", "licence_id", id, "holder", holder, "checkpoint",
                            checkpoint, cp_len, "size", (json_int_t)page.size, "entries", entries);
    if (out && page.n > PAGE) json_object_set_new(out, "next", json_integer((json_int_t)page.index[PAGE]));
    authd_send_json_doc(r->req, 200, out);
done:
    json_decref(doc);
}
