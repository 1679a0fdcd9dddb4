/* GET /v1/holders/{holder_id}/licences?matter=CODE&use_cause=TEXT: the 一证通办 lookup. A counter gives
 * the holder's number and the matter; it gets every licence of the types the matter needs, each
 * reduced to the elements the matter needs (and still verifiable), identity numbers masked unless the
 * counter may see them, and the types the holder lacks. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "access_record.h"
#include "free_text.h"
#include "auth.h"
#include "licence_view.h"
#include "licences.h"
#include "record.h"
#include "metrics.h"
#include "router.h"
#include "utf8_check.h"

#define MAX_HOLDER_LICENCES                                                                                  \
    256 /* a lookup names at most this many licences (the access-log entry's room)                           \
         */

/* The answer as the holder's licences are read (from one snapshot of the store). */
struct lookup {
    const struct authd_server *server;
    const struct authd_policy *policy;
    const struct authd_matter *matter;
    bool unmasked;
    struct authd_jsonw w;
    bool found[AUTHD_MATTER_MAX_NEEDS];
    char *returned; /* the ids returned, comma-separated, for the access-log entry */
    size_t n_returned, returned_len, returned_cap;
    bool truncated; /* MAX_HOLDER_LICENCES reached */
};

static void lookup_free(struct lookup *l)
{
    size_t len;
    char *text = authd_jsonw_take(&l->w, &len);
    if (text) sodium_memzero(text, len); /* names, maybe numbers */
    free(text);
    free(l->returned);
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

static int add_licence(void *arg, const struct authd_holder_licence *h)
{
    struct lookup *l = arg;
    const struct authd_matter *matter = l->matter;
    if (l->n_returned == MAX_HOLDER_LICENCES)
        return l->truncated = true, AUTHD_E_FULL; /* the rest left out */
    size_t k = 0;
    while (k < matter->n_needs && strcmp(matter->needs[k].type->code, h->meta.type_code) != 0)
        k++;
    /* Only what the matter needs, and never a revoked licence: it proves nothing. */
    if (k == matter->n_needs || h->meta.status == CERTLIB_STATUS_VALUE_REVOKED) return AUTHD_OK;
    struct authd_licence_meta meta;
    uint8_t *licence;
    size_t len;
    if (authd_record_open(l->server->keys, h->id, h->id_len, h->record, h->record_len, &meta, &licence,
                          &len) != AUTHD_OK)
        return AUTHD_OK; /* the body does not open: left out, as a header that fails its MAC is */
    char id[CERTLIB_LICENCE_ID_MAX];
    memcpy(id, h->id, h->id_len);
    id[h->id_len] = '\0';
    size_t mark = l->w.len;
    if (l->n_returned) authd_jsonw_lit(&l->w, ",");
    bool viewed = authd_licence_view(&l->w, l->server, l->policy, id, &meta, licence, len, &matter->needs[k],
                                     l->unmasked, NULL, NULL);
    sodium_memzero(licence, len);
    free(licence);
    if (!viewed) {
        l->w.len = mark; /* the comma goes: the view wrote nothing */
        return AUTHD_OK;
    }
    l->found[k] = true;
    return note_returned(l, id, h->id_len) ? AUTHD_OK : AUTHD_E_NOMEM;
}

void authd_route_lookup(struct authd_request *r)
{
    h2o_req_t *req = r->req;
    const struct authd_client *client = r->client;
    h2o_iovec_t holder, matter_code, use_cause;
    if (authd_percent_decode(&req->pool, r->params[0], &holder) != 0 ||
        authd_query_param(req, "matter", &matter_code) != 0 ||
        authd_query_param(req, "use_cause", &use_cause) != 0) {
        authd_problem(req, 400, "bad_path_encoding", "a malformed percent-escape");
        return;
    }
    if (!matter_code.base) {
        authd_problem(req, 400, "missing_matter", "state the matter: ?matter=CODE");
        return;
    }
    /* 用途/事由: provincial data-sharing rules ask every lookup to say why. */
    if (!use_cause.base || use_cause.len == 0 || use_cause.len > AUTHD_USE_CAUSE_MAX ||
        !authd_utf8_valid(use_cause.base, use_cause.len)) {
        authd_problem(req, 400, "missing_use_cause",
                      "state the use cause (用途/事由): &use_cause=TEXT, 1 to 200 bytes of UTF-8");
        return;
    }
    if (authd_refuse_identity_in_text(r, "use_cause", use_cause.base, use_cause.len) != 0) return;
    const struct authd_matter *matter = authd_policy_matter(r->policy, matter_code.base, matter_code.len);
    if (!matter) {
        authd_problem(req, 404, "unknown_matter", "no such matter in matters.yaml");
        return;
    }
    if (!authd_client_serves(client, matter)) {
        authd_problem(req, 403, "forbidden_matter", "this counter does not serve that matter");
        return;
    }
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
    struct lookup l = {.server = r->server, .policy = r->policy, .matter = matter, .unmasked = unmasked};
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
    authd_err rc = authd_licence_each_of_holder(r->server->storage, r->server->keys, key, add_licence, &l);
    if (rc && !(rc == AUTHD_E_FULL && l.truncated)) {
        lookup_free(&l);
        authd_problem_store(req, rc, "store_failed", "the holder index could not be read");
        return;
    }
    authd_jsonw_lit(&l.w, "],\"missing\":[");
    for (size_t k = 0, listed = 0; k < matter->n_needs; k++) {
        if (l.found[k]) continue;
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
        free(l.returned);
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
                                        .use_cause_len = use_cause.len};
    authd_access_respond(r, &access, 200, body, body_len);
    free(l.returned);
}
