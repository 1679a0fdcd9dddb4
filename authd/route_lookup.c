/* GET /v1/holders/{holder_id}/licences?matter=CODE&use_cause=TEXT: the 一证通办 lookup. A counter gives
 * the holder's number and the matter; it gets every licence of the types the matter needs, each
 * reduced to the elements the matter needs (and still verifiable), identity numbers masked unless the
 * counter may see them, and the types the holder lacks. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "access_record.h"
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
    const struct authd_matter *matter =
        authd_policy_matter(r->server->policy, matter_code.base, matter_code.len);
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
    char(*ids)[CERTLIB_LICENCE_ID_MAX] = malloc(MAX_HOLDER_LICENCES * sizeof(*ids));
    size_t n = 0;
    if (!ids || authd_licence_holder_ids(r->server->storage, key, ids, MAX_HOLDER_LICENCES, &n) != AUTHD_OK) {
        free(ids);
        authd_problem(req, 500, "store_failed", "the holder index could not be read");
        return;
    }
    bool unmasked = client->unmasked;
    bool found[AUTHD_MATTER_MAX_NEEDS] = {false};
    /* every licence returned is named in the access-log entry */
    char *returned = calloc(n ? n : 1, CERTLIB_LICENCE_ID_MAX);
    size_t n_returned = 0, returned_len = 0;
    if (!returned) n = 0;
    struct authd_jsonw w = {0};
    authd_jsonw_lit(&w, "{\"holder_id\":");
    if (unmasked)
        authd_jsonw_string(&w, ident.normalized, ident.normalized_len);
    else
        authd_jsonw_masked(&w, ident.normalized, ident.normalized_len);
    authd_jsonw_lit(&w, ",\"holder_kind\":");
    authd_jsonw_cstring(&w, certlib_ident_kind_name((certlib_ident_kind)ident.kind));
    authd_jsonw_lit(&w, ",\"matter\":{\"code\":");
    authd_jsonw_cstring(&w, matter->code);
    authd_jsonw_lit(&w, ",\"name\":");
    authd_jsonw_cstring(&w, matter->name);
    authd_jsonw_lit(&w, "},\"use_cause\":");
    authd_jsonw_string(&w, use_cause.base, use_cause.len);
    authd_jsonw_lit(&w, ",\"licences\":[");
    for (size_t i = 0; i < n; i++) {
        struct authd_licence_meta meta;
        if (authd_licence_get(r->server->storage, r->server->keys, ids[i], strlen(ids[i]), &meta, NULL, NULL,
                              NULL) != AUTHD_OK)
            continue;
        size_t k = 0;
        while (k < matter->n_needs && strcmp(matter->needs[k].type->code, meta.type_code) != 0)
            k++;
        /* Only what the matter needs, and never a revoked licence: it proves nothing. */
        if (k == matter->n_needs || meta.status == CERTLIB_STATUS_VALUE_REVOKED) continue;
        uint8_t *licence;
        size_t len;
        if (authd_licence_get(r->server->storage, r->server->keys, ids[i], strlen(ids[i]), &meta, NULL,
                              &licence, &len) != AUTHD_OK)
            continue;
        size_t mark = w.len;
        if (n_returned) authd_jsonw_lit(&w, ",");
        bool viewed = authd_licence_view(&w, r->server, ids[i], &meta, licence, len, &matter->needs[k],
                                         unmasked, NULL, NULL);
        sodium_memzero(licence, len);
        free(licence);
        if (!viewed) {
            w.len = mark; /* the comma goes: the view wrote nothing */
            continue;
        }
        size_t id_len = strlen(ids[i]);
        found[k] = true;
        if (n_returned++) returned[returned_len++] = ',';
        memcpy(returned + returned_len, ids[i], id_len + 1);
        returned_len += id_len;
    }
    free(ids);
    authd_jsonw_lit(&w, "],\"missing\":[");
    for (size_t k = 0, listed = 0; k < matter->n_needs; k++) {
        if (found[k]) continue;
        if (listed++) authd_jsonw_lit(&w, ",");
        authd_jsonw_lit(&w, "{\"type\":");
        authd_jsonw_cstring(&w, matter->needs[k].type->code);
        authd_jsonw_lit(&w, ",\"type_name\":");
        authd_jsonw_cstring(&w, matter->needs[k].type->name);
        authd_jsonw_lit(&w, "}");
    }
    authd_jsonw_lit(&w, "]}");
    sodium_memzero(&ident, sizeof(ident));
    authd_metrics_count(r->server->metrics, AUTHD_M_LOOKUPS);
    size_t body_len;
    char *body = authd_jsonw_take(&w, &body_len);
    if (!returned || !body) {
        if (body) sodium_memzero(body, body_len);
        free(body);
        free(returned);
        authd_problem(req, 503, "overloaded", "out of memory");
        return;
    }
    const struct authd_access access = {.lookup = true,
                                        .client = client->id,
                                        .matter = matter->code,
                                        .holder_key = key,
                                        .outcome = "ok",
                                        .licences = returned,
                                        .use_cause = use_cause.base,
                                        .use_cause_len = use_cause.len};
    authd_access_respond(r, &access, 200, body, body_len);
    free(returned);
}
