/* GET /v1/holders/{holder_id}/licences?matter=CODE&use_cause=TEXT[&verify=true]: the 一证通办 lookup. A
 * counter gives the holder's number and the matter; it gets every licence of the types the matter
 * needs, each reduced to the elements the matter needs (and still verifiable; with verify=true verified
 * by authd, with its issuance receipt), identity numbers masked unless the counter may see them, and
 * the types the holder lacks. The answer carries its disclosure mark (access_record.h). */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "access_record.h"
#include "auth.h"
#include "held.h"
#include "licence_view.h"
#include "licences.h"
#include "metrics.h"
#include "record.h"
#include "router.h"
#include "tlog.h"
#include "trust_bundle.h"

#define MAX_HOLDER_LICENCES                                                                                  \
    256 /* a lookup names at most this many licences (the access-log entry's room)                           \
         */

/* A licence of a type the matter needs, read from one snapshot of the store and shown after it. */
struct found {
    char id[CERTLIB_LICENCE_ID_MAX];
    struct authd_licence_meta meta;
    uint64_t log_index;
    size_t need; /* which of the matter's needs */
    uint8_t *licence;
    size_t len;
};

/* The answer, as the holder's licences are read and then shown. */
struct lookup {
    const struct authd_server *server;
    const struct authd_matter *matter;
    struct found *found;
    size_t n_found, cap_found;
    bool truncated;                      /* MAX_HOLDER_LICENCES reached */
    bool needed[AUTHD_MATTER_MAX_NEEDS]; /* a licence of that need's type was shown */
    struct authd_jsonw w;
    char *returned; /* the ids returned, comma-separated, for the access-log entry */
    size_t n_returned, returned_len, returned_cap;
    uint8_t (*released)[32]; /* SHA-256 of each licence returned, for the disclosure mark */
};

static void lookup_free(struct lookup *l)
{
    size_t len;
    char *text = authd_jsonw_take(&l->w, &len);
    if (text) sodium_memzero(text, len); /* names, maybe numbers */
    free(text);
    for (size_t i = 0; i < l->n_found; i++) {
        sodium_memzero(l->found[i].licence, l->found[i].len);
        free(l->found[i].licence);
    }
    free(l->found);
    free(l->returned);
    free(l->released);
}

/* Records the id of a licence returned; false when out of memory. */
static bool note_returned(struct lookup *l, const char *id, size_t id_len)
{
    if (l->returned_len + id_len + 2 > l->returned_cap) {
        size_t cap = l->returned_cap * 2 + id_len + 2 + CERTLIB_LICENCE_ID_MAX;
        char *grown = realloc(l->returned, cap);
        if (!grown) return false;
        l->returned = grown, l->returned_cap = cap;
    }
    if (l->n_returned++) l->returned[l->returned_len++] = ',';
    memcpy(l->returned + l->returned_len, id, id_len);
    l->returned_len += id_len;
    l->returned[l->returned_len] = '\0';
    return true;
}

/* Inside the store's snapshot: keeps the licences the matter needs, opened. */
static int collect(void *arg, const struct authd_holder_licence *h)
{
    struct lookup *l = arg;
    const struct authd_matter *matter = l->matter;
    if (l->n_found == MAX_HOLDER_LICENCES) return l->truncated = true, AUTHD_E_FULL; /* the rest left out */
    size_t k = 0;
    while (k < matter->n_needs && strcmp(matter->needs[k].type->code, h->meta.type_code) != 0)
        k++;
    /* Only what the matter needs, and never a revoked licence: it proves nothing. */
    if (k == matter->n_needs || h->meta.status == CERTLIB_STATUS_VALUE_REVOKED) return AUTHD_OK;
    if (l->n_found == l->cap_found) { /* most holders have a few: grown, not allocated for 256 */
        size_t cap = l->cap_found ? l->cap_found * 2 : 4;
        struct found *grown = realloc(l->found, cap * sizeof(*grown));
        if (!grown) return AUTHD_E_NOMEM;
        l->found = grown, l->cap_found = cap;
    }
    struct found *f = &l->found[l->n_found];
    if (authd_record_open(l->server->keys, h->id, h->id_len, h->record, h->record_len, &f->meta, &f->licence,
                          &f->len) != AUTHD_OK)
        return AUTHD_OK; /* the body does not open: left out, as a header that fails its MAC is */
    memcpy(f->id, h->id, h->id_len);
    f->id[h->id_len] = '\0';
    f->log_index = h->log_index;
    f->need = k;
    l->n_found++;
    return AUTHD_OK;
}

/* After the snapshot: each licence reduced to the matter's elements and written; with `verify`,
 * verified first as a counter would verify it, with its issuance receipt. Verifying costs a signature
 * check per licence (390 µs for SM2 on this machine, against a lookup's 110 µs without): counters that
 * verify with certlib themselves leave it to them. */
static authd_err show(struct lookup *l, const struct authd_request *r, bool unmasked, bool verify)
{
    const struct authd_trust *trust = verify ? authd_held_hold(r->server->trust, &r->req->pool) : NULL;
    struct authd_log *log = r->server->logs[AUTHD_LOG_SIGNATURES];
    for (size_t i = 0; i < l->n_found; i++) {
        struct found *f = &l->found[i];
        char *receipt = NULL;
        size_t receipt_len = 0;
        if (verify && f->log_index != UINT64_MAX &&
            authd_log_receipt(log, f->log_index, &receipt, &receipt_len) != AUTHD_OK)
            receipt = NULL; /* not in the published tree yet: the logged check says so */
        struct authd_view v = {.policy = r->policy,
                               .need = &l->matter->needs[f->need],
                               .unmasked = unmasked,
                               .trust = trust ? trust->ctx : NULL,
                               .receipt = receipt,
                               .receipt_len = receipt_len,
                               .log_key = authd_log_verifier(log)};
        size_t mark = l->w.len;
        if (l->n_returned) authd_jsonw_lit(&l->w, ",");
        bool viewed = authd_licence_view(&l->w, l->server, f->id, &f->meta, f->licence, f->len, &v);
        free(receipt);
        if (!viewed) {
            l->w.len = mark; /* the comma goes: the view wrote nothing */
            continue;
        }
        memcpy(l->released[l->n_returned], v.released, 32);
        l->needed[f->need] = true;
        if (!note_returned(l, f->id, strlen(f->id))) return AUTHD_E_NOMEM;
    }
    return AUTHD_OK;
}

void authd_route_lookup(struct authd_request *r)
{
    h2o_req_t *req = r->req;
    const struct authd_client *client = r->client;
    h2o_iovec_t holder, matter_code, use_cause, verify_text;
    if (authd_percent_decode(&req->pool, r->params[0], &holder) != 0 ||
        authd_query_param(req, "matter", &matter_code) != 0 ||
        authd_query_param(req, "use_cause", &use_cause) != 0 ||
        authd_query_param(req, "verify", &verify_text) != 0) {
        authd_problem(req, 400, "bad_path_encoding", "a malformed percent-escape");
        return;
    }
    bool verify = verify_text.base && h2o_memis(verify_text.base, verify_text.len, H2O_STRLIT("true"));
    if (verify_text.base && !verify && !h2o_memis(verify_text.base, verify_text.len, H2O_STRLIT("false"))) {
        authd_problem(req, 400, "invalid_parameter", "verify: true or false");
        return;
    }
    if (!matter_code.base) {
        authd_problem(req, 400, "missing_matter", "state the matter: ?matter=CODE");
        return;
    }
    const struct authd_matter *matter = authd_access_purpose(
        r, matter_code.base, matter_code.len, use_cause.base, use_cause.len, 400, "&use_cause=TEXT");
    if (!matter) return;
    certlib_ident ident;
    certlib_ident_opts opts = {
        .regions = r->server->regions,
        .accept = CERTLIB_IDENT_ACCEPT(CERTLIB_IDENT_RIC) | CERTLIB_IDENT_ACCEPT(CERTLIB_IDENT_HMT) |
                  CERTLIB_IDENT_ACCEPT(CERTLIB_IDENT_FOREIGN_PR) | CERTLIB_IDENT_ACCEPT(CERTLIB_IDENT_USCC)};
    certlib_err err = certlib_ident_check(holder.base, holder.len, &opts, &ident);
    if (err) {
        authd_problemf(req, 422, "invalid_holder_id",
                       "the holder id is not a valid identity number or USCC: %s", certlib_err_name(err));
        return;
    }
    uint8_t key[AUTHD_HOLDER_KEY_LEN];
    authd_record_holder_key(r->server->keys, ident.normalized, ident.normalized_len, key);
    bool unmasked = client->unmasked;
    struct lookup l = {.server = r->server, .matter = matter};

    authd_jsonw_lit(&l.w, "{\"holder_id\":");
    if (unmasked)
        authd_jsonw_string(&l.w, ident.normalized, ident.normalized_len);
    else
        authd_jsonw_masked(&l.w, ident.normalized, ident.normalized_len);
    authd_jsonw_lit(&l.w, ",\"holder_kind\":");
    authd_jsonw_cstring(&l.w, certlib_ident_kind_name((certlib_ident_kind)ident.kind));
    authd_jsonw_lit(&l.w, ",\"matter\":{\"code\":");
    authd_jsonw_cstring(&l.w, matter->code);
    authd_jsonw_lit(&l.w, ",\"name\":");
    authd_jsonw_cstring(&l.w, matter->name);
    authd_jsonw_lit(&l.w, "},\"use_cause\":");
    authd_jsonw_string(&l.w, use_cause.base, use_cause.len);
    authd_jsonw_lit(&l.w, ",\"licences\":[");
    sodium_memzero(&ident, sizeof(ident));
    authd_err rc = authd_licence_each_of_holder(r->server->storage, r->server->keys, key, collect, &l);
    if (rc == AUTHD_E_FULL && l.truncated) rc = AUTHD_OK;
    if (rc == AUTHD_OK && l.n_found && !(l.released = malloc(l.n_found * sizeof(*l.released))))
        rc = AUTHD_E_NOMEM;
    if (rc == AUTHD_OK) rc = show(&l, r, unmasked, verify);
    if (rc) {
        lookup_free(&l);
        authd_problem_store(req, rc, "store_failed", "the holder index could not be read");
        return;
    }
    authd_jsonw_lit(&l.w, "],\"missing\":[");
    for (size_t k = 0, listed = 0; k < matter->n_needs; k++) {
        if (l.needed[k]) continue;
        if (listed++) authd_jsonw_lit(&l.w, ",");
        authd_jsonw_lit(&l.w, "{\"type\":");
        authd_jsonw_cstring(&l.w, matter->needs[k].type->code);
        authd_jsonw_lit(&l.w, ",\"type_name\":");
        authd_jsonw_cstring(&l.w, matter->needs[k].type->name);
        authd_jsonw_lit(&l.w, "}");
    }
    authd_jsonw_lit(&l.w, "]}");
    authd_metrics_count(r->server->metrics, AUTHD_M_LOOKUPS);
    size_t body_len;
    char *body = authd_jsonw_take(&l.w, &body_len);
    if (!body) {
        lookup_free(&l);
        authd_problem(req, 503, "overloaded", "out of memory");
        return;
    }
    const struct authd_access access = {.lookup = true,
                                        .client = client->id,
                                        .matter = matter->code,
                                        .holder_key = key,
                                        .outcome = "ok",
                                        .licences = l.returned ? l.returned : "",
                                        .use_cause = use_cause.base,
                                        .use_cause_len = use_cause.len,
                                        .released = (const uint8_t(*)[32])l.released,
                                        .n_released = l.n_returned};
    authd_access_respond(r, &access, 200, body, body_len);
    lookup_free(&l);
}
