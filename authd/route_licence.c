/* /v1/licences/{id}: fetching (issuer, counter for a matter, auditor) and status changes (issuer,
 * through the status-change service). Issuing is route_licence_issue.c. */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access_record.h"
#include "free_text.h"
#include "async.h"
#include "jsonw.h"
#include "licence_meta.h"
#include "licence_view.h"
#include "licences.h"
#include "router.h"
#include "status_change.h"
#include "utf8_check.h"

/* ---- fetching ---- */

void authd_route_licence_get(struct authd_request *r)
{
    h2o_req_t *req = r->req;
    const struct authd_client *client = r->client;
    h2o_iovec_t id, matter_code;
    if (authd_percent_decode(&req->pool, r->params[0], &id) != 0 ||
        authd_query_param(req, "matter", &matter_code) != 0) {
        authd_problem(req, 400, "bad_path_encoding", "a malformed percent-escape");
        return;
    }
    const struct authd_matter_need *need = NULL;
    const struct authd_matter *matter = NULL;
    if (client->role == AUTHD_ROLE_COUNTER) {
        if (!matter_code.base) {
            authd_problem(req, 400, "missing_matter", "a counter states the matter: ?matter=CODE");
            return;
        }
        matter = authd_policy_matter(r->policy, matter_code.base, matter_code.len);
        if (!matter || !authd_client_serves(client, matter)) {
            authd_problem(req, 403, "forbidden_matter", "this counter does not serve that matter");
            return;
        }
    }
    struct authd_licence_meta meta;
    uint8_t *licence = NULL;
    size_t len = 0;
    authd_err rc =
        authd_licence_get(r->server->storage, r->server->keys, id.base, id.len, &meta, NULL, &licence, &len);
    /* Another issuer's licence reads as absent: its existence is not this client's business. */
    if (rc == AUTHD_OK && client->role == AUTHD_ROLE_ISSUER &&
        strcmp(meta.issuer_code, client->issuer_code) != 0) {
        sodium_memzero(licence, len);
        free(licence);
        licence = NULL;
        rc = AUTHD_E_NOT_FOUND;
    }
    if (rc == AUTHD_OK && matter) {
        for (size_t i = 0; i < matter->n_needs; i++)
            if (strcmp(matter->needs[i].type->code, meta.type_code) == 0) need = &matter->needs[i];
        if (!need) {
            sodium_memzero(licence, len);
            free(licence);
            authd_problem(req, 403, "type_not_in_matter", "the matter does not need this licence type");
            return;
        }
    }
    if (rc == AUTHD_E_NOT_FOUND) {
        authd_problem(req, 404, "licence_not_found", "no such licence");
        return;
    }
    if (rc != AUTHD_OK) {
        authd_problem_store(req, rc, "store_failed", "the licence could not be read");
        return;
    }
    bool unmasked = client->role != AUTHD_ROLE_COUNTER || client->unmasked;
    struct authd_view view = {.policy = r->policy, .need = need, .unmasked = unmasked};
    struct authd_jsonw w = {0};
    bool viewed = authd_licence_view(&w, r->server, id.base, &meta, licence, len, &view);
    sodium_memzero(licence, len);
    free(licence);
    size_t body_len;
    char *body = authd_jsonw_take(&w, &body_len);
    if (!viewed || !body) {
        if (body) sodium_memzero(body, body_len);
        free(body);
        authd_problem(req, viewed ? 503 : 500, viewed ? "overloaded" : "store_failed",
                      viewed ? "out of memory" : "the licence could not be read");
        return;
    }
    if (client->role == AUTHD_ROLE_ISSUER) { /* its own licence, which it signed */
        authd_send_json(req, 200, authd_pool_copy(req, body, body_len));
        sodium_memzero(body, body_len);
        free(body);
        return;
    }
    /* A counter's or an auditor's fetch is an access like a lookup: recorded before it is answered. */
    h2o_iovec_t use_cause;
    char licence_id[CERTLIB_LICENCE_ID_MAX];
    int bad_cause = authd_query_param(req, "use_cause", &use_cause) != 0 ||
                    use_cause.len > AUTHD_USE_CAUSE_MAX ||
                    (use_cause.base && !authd_utf8_valid(use_cause.base, use_cause.len));
    if (bad_cause) authd_problem(req, 400, "invalid_use_cause", "use_cause: at most 200 bytes of UTF-8");
    if (bad_cause || authd_refuse_identity_in_text(r, "use_cause", use_cause.base, use_cause.len) != 0) {
        sodium_memzero(body, body_len);
        free(body);
        return;
    }
    memcpy(licence_id, id.base, id.len);
    licence_id[id.len] = '\0';
    const struct authd_access access = {.lookup = true,
                                        .client = client->id,
                                        .matter = matter ? matter->code : NULL,
                                        .holder_key = view.holder_found ? view.holder_key : NULL,
                                        .outcome = "ok",
                                        .licences = licence_id,
                                        .use_cause = use_cause.base,
                                        .use_cause_len = use_cause.len,
                                        .released = (const uint8_t(*)[32])view.released,
                                        .n_released = 1};
    authd_access_respond(r, &access, 200, body, body_len);
}

/* ---- status changes ---- */

struct status_job {
    struct authd_async async;
    struct authd_status_change change;
};

static void status_respond(struct authd_async *a, h2o_req_t *req)
{
    struct authd_status_change *c = &((struct status_job *)a)->change;
    switch (c->result) {
    case AUTHD_OK:
        authd_send_json_doc(req, 200,
                            json_pack("{s:s, s:s, s:s, s:{s:I}}", "licence_id", c->licence_id, "status",
                                      authd_status_value_name(c->status), "previous",
                                      authd_status_value_name(c->before.status), "log", "index",
                                      (json_int_t)c->log_index));
        break;
    case AUTHD_E_NOT_FOUND:
        authd_problem(req, 404, "licence_not_found", "no such licence");
        break;
    case AUTHD_E_CONFLICT:
        authd_problem(req, 409, "already_revoked", "a revoked licence stays revoked; issue a new one");
        break;
    default:
        authd_problem_store(req, c->result, "store_failed", "the status change could not be stored durably");
        break;
    }
}

static void status_release(struct authd_async *a)
{
    free(a);
}

/* Durable and published (the list re-signed), or refused: answer on the request's loop. */
static void status_done(struct authd_status_change *c)
{
    authd_async_complete(&H2O_STRUCT_FROM_MEMBER(struct status_job, change, c)->async);
}

void authd_route_licence_status(struct authd_request *r)
{
    static const char *const fields[] = {"status", "reason", NULL};
    h2o_req_t *req = r->req;
    h2o_iovec_t id;
    if (authd_percent_decode(&req->pool, r->params[0], &id) != 0) {
        authd_problem(req, 400, "bad_path_encoding", "a malformed percent-escape");
        return;
    }
    json_t *doc = authd_json_body(req, fields);
    if (!doc) return;
    json_t *jstatus = json_object_get(doc, "status"), *jreason = json_object_get(doc, "reason");
    const char *s = json_string_value(jstatus);
    int value = s ? authd_status_value_of(s, strlen(s)) : -1;
    struct status_job *j;
    if (value < 0) {
        authd_problem(req, 422, "invalid_status", "'status' must be valid, revoked or suspended");
    } else if (!json_is_string(jreason) || json_string_length(jreason) == 0 ||
               json_string_length(jreason) > AUTHD_REASON_MAX ||
               strlen(json_string_value(jreason)) != json_string_length(jreason)) {
        authd_problemf(req, 422, "invalid_reason",
                       "'reason' must be 1 to %d bytes of text; it is public, in the signature log",
                       AUTHD_REASON_MAX);
    } else if (authd_refuse_identity_in_text(r, "reason", json_string_value(jreason),
                                             json_string_length(jreason)) != 0) {
        /* sent: the reason is public */
    } else if (!(j = calloc(1, sizeof(*j)))) {
        authd_problem(req, 503, "overloaded", "out of memory");
    } else {
        authd_async_init(&j->async, req, status_respond, status_release);
        authd_err rc =
            authd_status_change(r->server, r->client->issuer_code, id.base, id.len, (uint8_t)value,
                                (int64_t)time(NULL), json_string_value(jreason), &j->change, status_done);
        if (rc != AUTHD_OK) {
            authd_async_cancel(&j->async);
            free(j);
            if (rc == AUTHD_E_NOT_FOUND)
                authd_problem(req, 404, "licence_not_found", "no such licence among this issuer's");
            else
                authd_problem_store(req, rc, "store_failed", "the licence could not be read");
        }
    }
    json_decref(doc);
}
