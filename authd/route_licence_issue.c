/* POST /v1/licences (issuer): the request read from JSON into the issuance service's terms
 * (issuance.h), and the 201 once the licence is durably stored. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "async.h"
#include "certlib/encoding.h"
#include "certlib/ident.h"
#include "issuance.h"
#include "jsonw.h"
#include "policy.h"
#include "router.h"
#include "statuslists.h"

#define ELEMENT_TEXT_MAX 4096

struct issue_job {
    struct authd_async async;
    struct authd_issuance iss;
};

static void issue_respond(struct authd_async *a, h2o_req_t *req)
{
    struct issue_job *j = (struct issue_job *)a;
    struct authd_issuance *iss = &j->iss;
    if (iss->result != AUTHD_OK) {
        authd_problem_store(req, iss->result, "store_failed",
                            iss->result == AUTHD_E_INDOUBT
                                ? "the licence may or may not have been stored"
                                : "the licence could not be stored durably; nothing was issued");
        return;
    }
    /* Written by hand: every field is ASCII that needs no escaping (a GB/T 36904 id, base64url, Base45,
     * a status-list id, numbers), and jansson's escaping scan of the 5 KB of base64 and QR text cost
     * more than the rest of the response (bench/authd). */
    char *qr = NULL;
    if (certlib_qr_encode(iss->licence, iss->licence_len, &qr) != CERTLIB_OK) {
        authd_problem(req, 503, "overloaded", "out of memory");
        return;
    }
    size_t cap = CERTLIB_BASE64URL_ENCODED_LEN(iss->licence_len) + strlen(qr) + CERTLIB_LICENCE_ID_MAX + 160;
    char *body = h2o_mem_alloc_pool(&req->pool, cap), list_id[AUTHD_LIST_ID_MAX];
    authd_status_list_id(iss->meta.issuer_code, iss->meta.list_no, list_id);
    int n = snprintf(body, cap, "{\"licence_id\":\"%s\",\"licence\":\"", iss->licence_id);
    n += (int)certlib_base64url_encode(iss->licence, iss->licence_len, body + n);
    n += snprintf(body + n, cap - (size_t)n,
                  "\",\"qr\":\"%s\",\"status\":{\"list\":\"%s\",\"idx\":%u},\"log\":{\"index\":%llu}}", qr,
                  list_id, iss->meta.status_idx, (unsigned long long)iss->log_index);
    certlib_free(qr);
    authd_send_json(req, 201, h2o_iovec_init(body, (size_t)n));
}

static void issue_release(struct authd_async *a)
{
    struct issue_job *j = (struct issue_job *)a;
    authd_issuance_clear(&j->iss);
    free(j);
}

/* Writer or signing thread: the issuance is complete (or failed): answer on the request's loop. */
static void issue_done(struct authd_issuance *iss)
{
    struct issue_job *j = H2O_STRUCT_FROM_MEMBER(struct issue_job, iss, iss);
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

/* An identifier element's value, checked as certlib checks the holder's number. */
static int identifier_element(struct authd_request *r, enum authd_value_type type, const char *text,
                              size_t len, certlib_element *e)
{
    uint32_t accept = type == AUTHD_VALUE_RIC    ? CERTLIB_IDENT_ACCEPT_PERSON
                      : type == AUTHD_VALUE_USCC ? CERTLIB_IDENT_ACCEPT(CERTLIB_IDENT_USCC)
                                                 : CERTLIB_IDENT_ACCEPT_ANY;
    certlib_ident_opts opts = {.regions = r->server->regions, .accept = accept};
    certlib_ident id;
    if (certlib_ident_check(text, len, &opts, &id) != CERTLIB_OK) return 0;
    e->type = CERTLIB_VALUE_TEXT;
    e->text = h2o_strdup(&r->req->pool, id.normalized, id.normalized_len).base;
    return 1;
}

/* The type-specific elements, as values of the kinds the type's schema gives them. Sends the problem
 * on failure. (Whether every required one is there is the service's to say.) */
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
            /* never the name itself: it is the client's text, and could be anything */
            authd_problemf(req, 422, "unknown_element",
                           "%s has no element by one of the given names (licence-types.yaml lists them)",
                           type->name);
            return -1;
        }
        certlib_element *e = &out[n++];
        memset(e, 0, sizeof(*e));
        e->identifier = schema->name;
        int ok;
        switch (schema->type) {
        case AUTHD_VALUE_TEXT:
            ok = json_is_string(value) && json_string_length(value) > 0 &&
                 json_string_length(value) <= ELEMENT_TEXT_MAX &&
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
            ok = json_is_string(value) && valid_date_text(json_string_value(value));
            e->type = CERTLIB_VALUE_DATE;
            e->text = json_string_value(value);
            break;
        default: /* an identifier: checked as the holder's, kept in canonical form */
            ok = json_is_string(value) &&
                 identifier_element(r, schema->type, json_string_value(value), json_string_length(value), e);
            break;
        }
        if (!ok) {
            static const char *const want[AUTHD_VALUE_TYPE_COUNT] = {
                "a non-empty string (at most 4096 bytes)",
                "an integer",
                "true or false",
                "a date YYYY-MM-DD",
                "a valid identity number of a person",
                "a valid unified social credit code",
                "a valid identity number or unified social credit code"};
            authd_problemf(req, 422, "invalid_element", "element '%s' must be %s", schema->name,
                           want[schema->type]);
            return -1;
        }
    }
    *n_out = n;
    return 0;
}

/* The problem a refusal is answered with. */
static void refused(h2o_req_t *req, enum authd_issue_refusal why, const char *detail)
{
    static const struct {
        int status;
        const char *code;
    } problems[] = {
        [AUTHD_ISSUE_UNKNOWN_TYPE] = {422, "unknown_licence_type"},
        [AUTHD_ISSUE_FORBIDDEN_TYPE] = {403, "forbidden_licence_type"},
        [AUTHD_ISSUE_NO_KEYS] = {503, "issuer_not_configured"},
        [AUTHD_ISSUE_BAD_HOLDER_ID] = {422, "invalid_holder_id"},
        [AUTHD_ISSUE_BAD_HOLDER_NAME] = {422, "invalid_holder_name"},
        [AUTHD_ISSUE_UNKNOWN_ELEMENT] = {422, "unknown_element"},
        [AUTHD_ISSUE_MISSING_ELEMENT] = {422, "missing_element"},
        [AUTHD_ISSUE_BAD_VALIDITY] = {422, "invalid_validity"},
        [AUTHD_ISSUE_BAD_DEVICE_KEY] = {422, "invalid_device_key"},
        [AUTHD_ISSUE_LISTS_FULL] = {503, "status_lists_full"},
        [AUTHD_ISSUE_REFUSED_BY_CERTLIB] = {422, "refused"},
        [AUTHD_ISSUE_OVERLOADED] = {503, "overloaded"},
        [AUTHD_ISSUE_SIGNER_UNAVAILABLE] = {503, "signer_unavailable"},
        [AUTHD_ISSUE_STORE_UNAVAILABLE] = {503, "store_unavailable"},
        [AUTHD_ISSUE_INTERNAL] = {500, "internal_error"},
    };
    if ((size_t)why >= sizeof(problems) / sizeof(problems[0]) || !problems[why].code)
        authd_problem(req, 500, "internal_error", "the issuance failed");
    else
        authd_problem(req, problems[why].status, problems[why].code, detail);
}

void authd_route_licence_issue(struct authd_request *r)
{
    static const char *const fields[] = {"type",        "holder",     "elements", "valid_from",
                                         "valid_until", "device_key", NULL};
    h2o_req_t *req = r->req;
    json_t *doc = authd_json_body(req, fields);
    if (!doc) return;
    char detail[256];
    certlib_element elements[AUTHD_TYPE_MAX_ELEMENTS];
    struct authd_issue_input in = {.client = r->client, .now = (int64_t)time(NULL), .elements = elements};
    json_t *jtype = json_object_get(doc, "type"), *holder = json_object_get(doc, "holder"),
           *jid = json_object_get(holder, "id"), *jname = json_object_get(holder, "name"),
           *jfrom = json_object_get(doc, "valid_from"), *juntil = json_object_get(doc, "valid_until"),
           *jdevice = json_object_get(doc, "device_key");
    const struct authd_licence_type *type;
    enum authd_issue_refusal why =
        authd_issue_type(r->server, r->client, json_string_value(jtype), &type, detail, sizeof(detail));
    if (why) {
        refused(req, why, detail);
    } else if (!json_is_object(holder) || json_object_size(holder) != 2 || !json_is_string(jid) ||
               !json_is_string(jname) || strlen(json_string_value(jname)) != json_string_length(jname) ||
               strlen(json_string_value(jid)) != json_string_length(jid)) {
        authd_problem(req, 422, "invalid_holder", "'holder' must be {\"id\": \"...\", \"name\": \"...\"}");
    } else if (read_elements(r, type, json_object_get(doc, "elements"), elements, &in.n_elements) != 0) {
        /* answered */
    } else if ((jfrom &&
                (!json_is_string(jfrom) || parse_time(json_string_value(jfrom), &in.valid_from) != 0)) ||
               (juntil &&
                (!json_is_string(juntil) || parse_time(json_string_value(juntil), &in.valid_until) != 0))) {
        authd_problem(req, 422, "invalid_date",
                      "valid_from and valid_until are YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
    } else if (jdevice && !json_is_string(jdevice)) {
        authd_problem(req, 422, "invalid_device_key",
                      "device_key must be a PEM public key, P-256 or Ed25519");
    } else {
        in.type_code = type->code;
        in.holder_id = json_string_value(jid);
        in.holder_name = json_string_value(jname);
        in.device_key_pem = json_string_value(jdevice);
        struct issue_job *j = calloc(1, sizeof(*j));
        if (!j) {
            authd_problem(req, 503, "overloaded", "out of memory");
        } else {
            authd_async_init(&j->async, req, issue_respond, issue_release);
            why = authd_issue(r->server, &in, &j->iss, issue_done, detail, sizeof(detail));
            if (why) {
                refused(req, why, detail);
                authd_async_cancel(&j->async);
                free(j);
            }
        }
    }
    json_decref(doc);
}
