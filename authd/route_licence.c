/* /v1/licences: issuing (issuer), fetching (issuer, counter for a matter, auditor) and status changes
 * (issuer). Issuance signs on the worker, then hands the write to the writer thread; the 201 goes out
 * only once the licence is durably stored. */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access_record.h"
#include "async.h"
#include "auth.h"
#include "jsonw.h"
#include "licence_view.h"
#include "metrics.h"
#include "router.h"
#include "statuslists.h"
#include "utf8_check.h"
#include "writer.h"

#define MAX_TIME                                                                                             \
    253402271999LL /* 9999-12-31 23:59:59 China Standard Time, the last date a licence can name */

/* ---- issuing ---- */

struct issue_job {
    struct authd_async async;
    struct authd_write_job job;
    struct authd_server *server;
    uint8_t *licence;
    size_t licence_len;
};

static void issue_respond(struct authd_async *a, h2o_req_t *req)
{
    struct issue_job *j = (struct issue_job *)a;
    if (j->job.w.result != AUTHD_STORE_OK) {
        authd_problem(req, 500, "store_failed",
                      "the licence could not be stored durably; nothing was issued");
        return;
    }
    /* Written by hand: every field is ASCII that needs no escaping (a GB/T 36904 id, base64url, Base45,
     * a status-list id, numbers), and jansson's escaping scan of the 5 KB of base64 and QR text cost
     * more than the rest of the response (bench/authd). */
    char *qr = NULL;
    if (certlib_qr_encode(j->licence, j->licence_len, &qr) != CERTLIB_OK) {
        authd_problem(req, 503, "overloaded", "out of memory");
        return;
    }
    size_t cap = authd_base64url_len(j->licence_len) + strlen(qr) + CERTLIB_LICENCE_ID_MAX + 160;
    char *body = h2o_mem_alloc_pool(&req->pool, cap), list_id[32];
    authd_statuslists_id(j->job.w.meta.issuer_code, j->job.w.meta.list_no, list_id);
    int n = snprintf(body, cap, "{\"licence_id\":\"%s\",\"licence\":\"", j->job.w.licence_id);
    n += (int)authd_base64url_encode(body + n, j->licence, j->licence_len);
    n += snprintf(body + n, cap - (size_t)n,
                  "\",\"qr\":\"%s\",\"status\":{\"list\":\"%s\",\"idx\":%u},\"log\":{\"index\":%llu}}", qr,
                  list_id, j->job.w.meta.status_idx, (unsigned long long)j->job.w.log_index);
    certlib_free(qr);
    authd_send_json(req, 201, h2o_iovec_init(body, (size_t)n));
}

static void issue_release(struct authd_async *a)
{
    struct issue_job *j = (struct issue_job *)a;
    sodium_memzero(j->licence, j->licence_len); /* personal data */
    certlib_free(j->licence);
    free(j);
}

/* Writer thread: the batch is committed. */
static void issue_done(struct authd_write_job *job)
{
    struct issue_job *j = H2O_STRUCT_FROM_MEMBER(struct issue_job, job, job);
    if (job->w.result == AUTHD_STORE_OK)
        authd_metrics_count(j->server->metrics, AUTHD_M_ISSUED);
    else
        authd_statuslists_release(j->server->statuslists, job->w.meta.issuer_code, job->w.meta.list_no,
                                  job->w.meta.status_idx);
    authd_async_complete(&j->async);
}

/* "YYYY-MM-DD" (00:00 China Standard Time) or "YYYY-MM-DDTHH:MM:SSZ". */
static int parse_time(const char *s, int64_t *t)
{
    unsigned y, m, d, hh = 0, mm = 0, ss = 0;
    int n = 0;
    if (sscanf(s, "%4u-%2u-%2u%n", &y, &m, &d, &n) != 3 || n != 10 || y < 1970 || m < 1 || m > 12 || d < 1 ||
        d > 31)
        return -1;
    struct tm tm = {.tm_year = (int)y - 1900, .tm_mon = (int)m - 1, .tm_mday = (int)d};
    if (s[10] == 'T') {
        char z = 0;
        if (sscanf(s + 10, "T%2u:%2u:%2u%c", &hh, &mm, &ss, &z) != 4 || z != 'Z' || s[20] || hh > 23 ||
            mm > 59 || ss > 59)
            return -1;
        tm.tm_hour = (int)hh, tm.tm_min = (int)mm, tm.tm_sec = (int)ss;
        *t = (int64_t)timegm(&tm);
    } else if (s[10] == '\0') {
        *t = (int64_t)timegm(&tm) - 8 * 3600;
    } else {
        return -1;
    }
    struct tm back;
    time_t tt = (time_t)(*t + (s[10] == 'T' ? 0 : 8 * 3600));
    gmtime_r(&tt, &back);
    return back.tm_mday == (int)d ? 0 : -1; /* rejects 2023-02-30 */
}

static int valid_date_text(const char *s)
{
    int64_t t;
    return strlen(s) == 10 && parse_time(s, &t) == 0;
}

/* The type-specific elements, checked against the type's schema. Sends the problem on failure. */
static int read_elements(struct authd_request *r, const struct authd_licence_type *type, json_t *elements,
                         certlib_element *out, size_t *n_out)
{
    h2o_req_t *req = r->req;
    if (elements && !json_is_object(elements)) {
        authd_problem(req, 422, "invalid_elements", "'elements' must be an object");
        return -1;
    }
    const char *key;
    json_t *value;
    size_t n = 0;
    json_object_foreach(elements, key, value)
    {
        const struct authd_element_schema *schema = authd_type_element(type, key);
        if (!schema) {
            authd_problemf(req, 422, "unknown_element", "%s has no element '%.64s'", type->name, key);
            return -1;
        }
        certlib_element *e = &out[n++];
        memset(e, 0, sizeof(*e));
        e->identifier = schema->name;
        int ok;
        switch (schema->type) {
        case AUTHD_VALUE_TEXT:
            ok = json_is_string(value) && json_string_length(value) > 0 &&
                 json_string_length(value) <= 4096 &&
                 !memchr(json_string_value(value), 0, json_string_length(value));
            e->type = CERTLIB_VALUE_TEXT;
            e->text = json_string_value(value);
            break;
        case AUTHD_VALUE_INT:
            ok = json_is_integer(value);
            e->type = CERTLIB_VALUE_INT;
            e->integer = json_integer_value(value);
            break;
        case AUTHD_VALUE_BOOL:
            ok = json_is_boolean(value);
            e->type = CERTLIB_VALUE_BOOL;
            e->boolean = json_is_true(value);
            break;
        case AUTHD_VALUE_DATE:
        default:
            ok = json_is_string(value) && valid_date_text(json_string_value(value));
            e->type = CERTLIB_VALUE_DATE;
            e->text = json_string_value(value);
            break;
        }
        if (!ok) {
            static const char *const want[] = {"a non-empty string (at most 4096 bytes)", "an integer",
                                               "true or false", "a date YYYY-MM-DD"};
            authd_problemf(req, 422, "invalid_element", "element '%s' must be %s", schema->name,
                           want[schema->type]);
            return -1;
        }
    }
    for (size_t i = 0; i < type->n_elements; i++)
        if (type->elements[i].required && !json_object_get(elements, type->elements[i].name)) {
            authd_problemf(req, 422, "missing_element", "%s needs element '%s'", type->name,
                           type->elements[i].name);
            return -1;
        }
    *n_out = n;
    return 0;
}

/* The holder's number: valid, and of the kind the licence type is for. */
static int read_holder(struct authd_request *r, const struct authd_licence_type *type, json_t *holder,
                       const char **id, const char **name)
{
    h2o_req_t *req = r->req;
    json_t *jid = json_object_get(holder, "id"), *jname = json_object_get(holder, "name");
    if (!json_is_object(holder) || json_object_size(holder) != 2 || !json_is_string(jid) ||
        !json_is_string(jname)) {
        authd_problem(req, 422, "invalid_holder", "'holder' must be {\"id\": \"...\", \"name\": \"...\"}");
        return -1;
    }
    size_t name_len = json_string_length(jname);
    if (name_len == 0 || name_len > 200 || memchr(json_string_value(jname), 0, name_len)) {
        authd_problem(req, 422, "invalid_holder_name", "holder.name must be 1 to 200 bytes");
        return -1;
    }
    certlib_ident ident;
    certlib_ident_opts opts = {.regions = r->server->regions,
                               .accept = type->holder == AUTHD_HOLDER_ORG
                                             ? CERTLIB_IDENT_ACCEPT(CERTLIB_IDENT_USCC)
                                             : CERTLIB_IDENT_ACCEPT(CERTLIB_IDENT_RIC) |
                                                   CERTLIB_IDENT_ACCEPT(CERTLIB_IDENT_HMT) |
                                                   CERTLIB_IDENT_ACCEPT(CERTLIB_IDENT_FOREIGN_PR)};
    certlib_err err = certlib_ident_check(json_string_value(jid), json_string_length(jid), &opts, &ident);
    if (err) {
        authd_problemf(req, 422, "invalid_holder_id", "holder.id is not a valid %s: %s",
                       type->holder == AUTHD_HOLDER_ORG ? "unified social credit code" : "identity number",
                       certlib_err_name(err));
        return -1;
    }
    *id = json_string_value(jid);
    *name = json_string_value(jname);
    return 0;
}

static int read_validity(struct authd_request *r, const struct authd_licence_type *type, json_t *doc,
                         int64_t now, int64_t *from, int64_t *until)
{
    json_t *jfrom = json_object_get(doc, "valid_from"), *juntil = json_object_get(doc, "valid_until");
    *from = now;
    *until = type->validity_days ? now + (int64_t)type->validity_days * 86400 : MAX_TIME;
    if ((jfrom && (!json_is_string(jfrom) || parse_time(json_string_value(jfrom), from) != 0)) ||
        (juntil && (!json_is_string(juntil) || parse_time(json_string_value(juntil), until) != 0))) {
        authd_problem(r->req, 422, "invalid_date",
                      "valid_from and valid_until are YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
        return -1;
    }
    if (jfrom && !juntil && type->validity_days) *until = *from + (int64_t)type->validity_days * 86400;
    if (*until <= *from || *until > MAX_TIME) {
        authd_problem(r->req, 422, "invalid_validity",
                      "valid_until must be after valid_from and before the year 10000");
        return -1;
    }
    return 0;
}

void authd_route_licence_issue(struct authd_request *r)
{
    static const char *const fields[] = {"type",        "holder",     "elements", "valid_from",
                                         "valid_until", "device_key", NULL};
    h2o_req_t *req = r->req;
    const struct authd_client *client = authd_require(r, AUTHD_ROLE(AUTHD_ROLE_ISSUER));
    if (!client) return;
    json_t *doc = authd_json_body(req, fields);
    if (!doc) return;
    certlib_element elements[64];
    size_t n_elements = 0;
    const char *holder_id, *holder_name;
    int64_t now = (int64_t)time(NULL), from, until;
    uint8_t *device_key = NULL;
    size_t device_key_len = 0;
    json_t *jtype = json_object_get(doc, "type"), *jdevice = json_object_get(doc, "device_key");
    const struct authd_licence_type *type =
        json_is_string(jtype)
            ? authd_policy_type(r->server->policy, json_string_value(jtype), json_string_length(jtype))
            : NULL;
    const struct authd_issuer_keys *keys = authd_server_issuer(r->server, client->issuer_code);
    if (!type) {
        authd_problem(req, 422, "unknown_licence_type",
                      "'type' must be a licence type code from licence-types.yaml");
        goto done;
    }
    if (!authd_client_may_issue(client, type)) {
        authd_problemf(req, 403, "forbidden_licence_type", "this issuer may not issue %s", type->name);
        goto done;
    }
    if (!keys) {
        authd_problem(req, 503, "issuer_not_configured", "this authd has no signing key for the issuer");
        goto done;
    }
    if (read_holder(r, type, json_object_get(doc, "holder"), &holder_id, &holder_name) != 0 ||
        read_elements(r, type, json_object_get(doc, "elements"), elements, &n_elements) != 0 ||
        read_validity(r, type, doc, now, &from, &until) != 0)
        goto done;
    if (jdevice) {
        if (!json_is_string(jdevice) ||
            certlib_cose_key_from_pem(
                (certlib_slice){(const uint8_t *)json_string_value(jdevice), json_string_length(jdevice)},
                &device_key, &device_key_len) != CERTLIB_OK) {
            authd_problem(req, 422, "invalid_device_key",
                          "device_key must be a PEM public key, P-256 or Ed25519");
            goto done;
        }
    }

    struct issue_job *j = calloc(1, sizeof(*j));
    if (!j) {
        authd_problem(req, 503, "overloaded", "out of memory");
        goto done;
    }
    j->server = r->server;
    struct authd_store_write *w = &j->job.w;
    w->kind = AUTHD_WRITE_ISSUE;
    memcpy(w->meta.issuer_code, client->issuer_code, 19);
    memcpy(w->meta.type_code, type->code, 22);
    w->meta.issued_at = now;
    w->meta.status = CERTLIB_STATUS_VALUE_VALID;
    if (authd_statuslists_reserve(r->server->statuslists, client->issuer_code, &w->meta.list_no,
                                  &w->meta.status_idx) != 0) {
        free(j);
        authd_problem(req, 503, "status_lists_full", "no free status-list index");
        goto done;
    }
    char uri[512];
    authd_statuslists_uri(r->server->statuslists, client->issuer_code, w->meta.list_no, uri, sizeof(uri));
    certlib_licence_spec spec = {.licence_type_code = type->code,
                                 .licence_name = type->name,
                                 .holder_name = holder_name,
                                 .holder_id = holder_id,
                                 .signed_at = now,
                                 .valid_from = from,
                                 .valid_until = until,
                                 .elements = elements,
                                 .n_elements = n_elements,
                                 .status_uri = uri,
                                 .status_idx = w->meta.status_idx,
                                 .device_key = {device_key, device_key_len}};
    certlib_err err = certlib_licence_issue(keys->signer, &spec, &j->licence, &j->licence_len, w->licence_id);
    if (err) {
        authd_statuslists_release(r->server->statuslists, client->issuer_code, w->meta.list_no,
                                  w->meta.status_idx);
        free(j);
        authd_problemf(req, 422, "refused", "the licence cannot be issued: %s", certlib_err_name(err));
        goto done;
    }
    if (certlib_licence_signature_hash(j->licence, j->licence_len, w->sig_hash) != CERTLIB_OK) {
        authd_statuslists_release(r->server->statuslists, client->issuer_code, w->meta.list_no,
                                  w->meta.status_idx);
        sodium_memzero(j->licence, j->licence_len);
        certlib_free(j->licence);
        free(j);
        authd_problem(req, 500, "internal_error", "the licence just signed does not parse");
        goto done;
    }
    certlib_ident ident;
    certlib_ident_check(holder_id, strlen(holder_id), NULL, &ident);
    authd_store_holder_key(r->server->store, ident.normalized, ident.normalized_len, w->holder_key);
    w->licence = j->licence;
    w->licence_len = j->licence_len;
    j->job.done = issue_done;
    authd_async_init(&j->async, req, issue_respond, issue_release);
    authd_writer_submit(r->server->writer, &j->job);
done:
    certlib_free(device_key);
    json_decref(doc);
}

/* ---- fetching ---- */

void authd_route_licence_get(struct authd_request *r)
{
    h2o_req_t *req = r->req;
    const struct authd_client *client = authd_require(
        r, AUTHD_ROLE(AUTHD_ROLE_ISSUER) | AUTHD_ROLE(AUTHD_ROLE_COUNTER) | AUTHD_ROLE(AUTHD_ROLE_AUDITOR));
    if (!client) return;
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
        matter = authd_policy_matter(r->server->policy, matter_code.base, matter_code.len);
        if (!matter || !authd_client_serves(client, matter)) {
            authd_problem(req, 403, "forbidden_matter", "this counter does not serve that matter");
            return;
        }
    }
    struct authd_licence_meta meta;
    uint8_t *licence = NULL;
    size_t len = 0;
    int rc = authd_store_get(r->server->store, id.base, id.len, &meta, &licence, &len);
    /* Another issuer's licence reads as absent: its existence is not this client's business. */
    if (rc == AUTHD_STORE_OK && client->role == AUTHD_ROLE_ISSUER &&
        strcmp(meta.issuer_code, client->issuer_code) != 0)
        rc = AUTHD_STORE_NOT_FOUND;
    if (rc == AUTHD_STORE_OK && matter) {
        for (size_t i = 0; i < matter->n_needs; i++)
            if (strcmp(matter->needs[i].type->code, meta.type_code) == 0) need = &matter->needs[i];
        if (!need) {
            sodium_memzero(licence, len);
            free(licence);
            authd_problem(req, 403, "type_not_in_matter", "the matter does not need this licence type");
            return;
        }
    }
    if (rc == AUTHD_STORE_NOT_FOUND) {
        authd_problem(req, 404, "licence_not_found", "no such licence");
        return;
    }
    if (rc != AUTHD_STORE_OK) {
        authd_problem(req, 500, "store_failed", "the licence could not be read");
        return;
    }
    bool unmasked = client->role != AUTHD_ROLE_COUNTER || client->unmasked;
    uint8_t holder_key[AUTHD_HOLDER_KEY_LEN];
    bool have_holder = false;
    struct authd_jsonw w = {0};
    bool viewed = authd_licence_view(&w, r->server, id.base, &meta, licence, len, need, unmasked, holder_key,
                                     &have_holder);
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
    if (client->role != AUTHD_ROLE_COUNTER) {
        authd_send_json(req, 200, authd_pool_copy(req, body, body_len));
        sodium_memzero(body, body_len);
        free(body);
        return;
    }
    /* A counter's fetch is an access like a lookup: recorded before it is answered. */
    h2o_iovec_t use_cause;
    char licence_id[CERTLIB_LICENCE_ID_MAX];
    if (authd_query_param(req, "use_cause", &use_cause) != 0 || use_cause.len > 200 ||
        (use_cause.base && !authd_utf8_valid(use_cause.base, use_cause.len))) {
        sodium_memzero(body, body_len);
        free(body);
        authd_problem(req, 400, "invalid_use_cause", "use_cause: at most 200 bytes of UTF-8");
        return;
    }
    memcpy(licence_id, id.base, id.len);
    licence_id[id.len] = '\0';
    const struct authd_access access = {.lookup = true,
                                        .client = client->id,
                                        .matter = matter->code,
                                        .holder_key = have_holder ? holder_key : NULL,
                                        .outcome = "ok",
                                        .licences = licence_id,
                                        .use_cause = use_cause.base,
                                        .use_cause_len = use_cause.len};
    authd_access_respond(r, &access, 200, body, body_len);
}

/* ---- status changes ---- */

struct status_job {
    struct authd_async async;
    struct authd_write_job job;
    struct authd_server *server;
    char reason[512];
};

static void status_respond(struct authd_async *a, h2o_req_t *req)
{
    struct status_job *j = (struct status_job *)a;
    switch (j->job.w.result) {
    case AUTHD_STORE_OK:
        authd_send_json_doc(req, 200,
                            json_pack("{s:s, s:s, s:s, s:{s:I}}", "licence_id", j->job.w.licence_id, "status",
                                      authd_status_value_name(j->job.w.meta.status), "previous",
                                      authd_status_value_name(j->job.w.before.status), "log", "index",
                                      (json_int_t)j->job.w.log_index));
        break;
    case AUTHD_STORE_NOT_FOUND:
        authd_problem(req, 404, "licence_not_found", "no such licence");
        break;
    case AUTHD_STORE_CONFLICT:
        authd_problem(req, 409, "already_revoked", "a revoked licence stays revoked; issue a new one");
        break;
    default:
        authd_problem(req, 500, "store_failed", "the status change could not be stored durably");
        break;
    }
}

static void status_release(struct authd_async *a)
{
    free(a);
}

static void status_done(struct authd_write_job *job)
{
    struct status_job *j = H2O_STRUCT_FROM_MEMBER(struct status_job, job, job);
    if (job->w.result == AUTHD_STORE_OK) {
        authd_statuslists_set(j->server->statuslists, job->w.before.issuer_code, job->w.before.list_no,
                              job->w.before.status_idx, job->w.meta.status);
        authd_metrics_count(j->server->metrics, AUTHD_M_STATUS_CHANGES);
    }
    authd_async_complete(&j->async);
}

void authd_route_licence_status(struct authd_request *r)
{
    static const char *const fields[] = {"status", "reason", NULL};
    h2o_req_t *req = r->req;
    const struct authd_client *client = authd_require(r, AUTHD_ROLE(AUTHD_ROLE_ISSUER));
    if (!client) return;
    h2o_iovec_t id;
    if (authd_percent_decode(&req->pool, r->params[0], &id) != 0) {
        authd_problem(req, 400, "bad_path_encoding", "a malformed percent-escape");
        return;
    }
    json_t *doc = authd_json_body(req, fields);
    if (!doc) return;
    json_t *jstatus = json_object_get(doc, "status"), *jreason = json_object_get(doc, "reason");
    const char *s = json_string_value(jstatus);
    int value = !s                            ? -1
                : strcmp(s, "valid") == 0     ? CERTLIB_STATUS_VALUE_VALID
                : strcmp(s, "revoked") == 0   ? CERTLIB_STATUS_VALUE_REVOKED
                : strcmp(s, "suspended") == 0 ? CERTLIB_STATUS_VALUE_SUSPENDED
                                              : -1;
    struct authd_licence_meta meta;
    if (value < 0) {
        authd_problem(req, 422, "invalid_status", "'status' must be valid, revoked or suspended");
    } else if (!json_is_string(jreason) || json_string_length(jreason) == 0 ||
               json_string_length(jreason) > 500 ||
               strlen(json_string_value(jreason)) != json_string_length(jreason)) {
        authd_problem(req, 422, "invalid_reason",
                      "'reason' must be 1 to 500 bytes of text; it is public, in the signature log");
    } else if (authd_store_get(r->server->store, id.base, id.len, &meta, NULL, NULL) != AUTHD_STORE_OK ||
               strcmp(meta.issuer_code, client->issuer_code) != 0) {
        authd_problem(req, 404, "licence_not_found", "no such licence among this issuer's");
    } else {
        struct status_job *j = calloc(1, sizeof(*j));
        if (!j) {
            authd_problem(req, 503, "overloaded", "out of memory");
        } else {
            j->server = r->server;
            j->job.w.kind = AUTHD_WRITE_STATUS;
            memcpy(j->job.w.licence_id, id.base, id.len);
            j->job.w.meta.status = (uint8_t)value;
            j->job.w.time = time(NULL);
            memcpy(j->reason, json_string_value(jreason), json_string_length(jreason) + 1);
            j->job.w.reason = j->reason;
            j->job.done = status_done;
            authd_async_init(&j->async, req, status_respond, status_release);
            authd_writer_submit(r->server->writer, &j->job);
        }
    }
    json_decref(doc);
}
