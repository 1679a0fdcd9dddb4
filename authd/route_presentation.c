/* OpenID4VP 1.0 cross-device presentation at the counter, authd as the counter's verifier.
 *
 *   POST /v1/presentation-requests             (counter) {matter, use_cause[, qr_svg]} -> 201 {id,
 *                                              request_uri, qr, client_id, expires[, qr_svg]}: `qr` is the
 *                                              openid4vp:// URI the counter page shows (as SVG if asked)
 *   GET  /v1/presentation-requests/{id}/request (public: the wallet) the request object, a JWT signed by
 *                                              the counter's reader key (reader_key.h)
 *   POST /v1/presentation-requests/{id}/response (public: the wallet) direct_post of vp_token
 *   GET  /v1/presentation-requests/{id}         (counter, the one that made it) the state, and once
 *                                              answered the verified licences, released as a lookup is:
 *                                              after its access-log entry is durable, with its mark
 *
 * The wallet's answer is verified when it arrives: each presentation against the request's session
 * (client id, nonce, response URI: certlib present.h), the licence's signature, chain, scope, validity,
 * status and holder binding, its type the credential query's, and nothing disclosed beyond the query
 * (dcql.h). A request is answered once, whether the answer passes or not, and only until it expires. */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access_record.h"
#include "certlib/encoding.h"
#include "certlib/mark.h"
#include "certlib/present.h"
#include "dcql.h"
#include "free_text.h"
#include "held.h"
#include "log_entries.h"
#include "presentation_requests.h"
#include "qr_svg.h"
#include "reader_key.h"
#include "record.h"
#include "router.h"
#include "trust_bundle.h"
#include "utf8_check.h"

#define ID_TEXT 23                     /* base64url of AUTHD_REQUEST_ID_LEN bytes, and a NUL */
#define VP_TOKEN_MAX ((size_t)1 << 20) /* bytes of a vp_token */
#define AD_LABEL "authd presentation request"

/* ---- the request as kept ---- */

struct kept {
    uint8_t id[AUTHD_REQUEST_ID_LEN];
    char id_text[ID_TEXT];
    struct authd_stored_request stored;
    json_t *doc; /* the opened blob: {matter, use_cause, nonce[, answer]} */
};

static void kept_free(struct kept *k)
{
    free(k->stored.blob);
    json_decref(k->doc);
}

static size_t blob_ad(const uint8_t id[AUTHD_REQUEST_ID_LEN], uint8_t *ad)
{
    memcpy(ad, AD_LABEL, sizeof(AD_LABEL)); /* the label and its NUL, then the id */
    memcpy(ad + sizeof(AD_LABEL), id, AUTHD_REQUEST_ID_LEN);
    return sizeof(AD_LABEL) + AUTHD_REQUEST_ID_LEN;
}

/* `doc` sealed for request `id` into *blob (malloc'd). */
static authd_err seal(const struct authd_server *s, const uint8_t id[AUTHD_REQUEST_ID_LEN], json_t *doc,
                      uint8_t **blob, size_t *len)
{
    char *text = json_dumps(doc, JSON_COMPACT);
    if (!text) return AUTHD_E_NOMEM;
    size_t n = strlen(text);
    uint8_t ad[sizeof(AD_LABEL) + AUTHD_REQUEST_ID_LEN];
    *len = authd_record_blob_len(s->keys, n);
    authd_err rc = (*blob = malloc(*len)) ? AUTHD_OK : AUTHD_E_NOMEM;
    if (!rc) rc = authd_record_seal_blob(s->keys, ad, blob_ad(id, ad), (const uint8_t *)text, n, *blob);
    sodium_memzero(text, n);
    free(text);
    return rc;
}

/* The request named by the path's {id}, opened. Sends a problem and returns false when there is none. */
static bool load(struct authd_request *r, struct kept *k)
{
    memset(k, 0, sizeof(*k));
    h2o_iovec_t text = r->params[0];
    size_t len;
    if (text.len >= ID_TEXT ||
        certlib_base64url_decode(text.base, text.len, k->id, sizeof(k->id), &len) != CERTLIB_OK ||
        len != AUTHD_REQUEST_ID_LEN) {
        authd_problem(r->req, 404, "unknown_request", "no such presentation request");
        return false;
    }
    memcpy(k->id_text, text.base, text.len);
    authd_err rc = authd_requests_get(r->server->requests, k->id, time(NULL), &k->stored);
    if (rc == AUTHD_E_NOT_FOUND) {
        authd_problem(r->req, 404, "unknown_request", "no such presentation request (or it is long gone)");
        return false;
    }
    uint8_t ad[sizeof(AD_LABEL) + AUTHD_REQUEST_ID_LEN], *plain = NULL;
    size_t plain_len = 0;
    if (!rc)
        rc = authd_record_open_blob(r->server->keys, ad, blob_ad(k->id, ad), k->stored.blob,
                                    k->stored.blob_len, &plain, &plain_len);
    if (!rc) {
        k->doc = json_loadb((const char *)plain, plain_len, 0, NULL);
        sodium_memzero(plain, plain_len);
        free(plain);
        if (!k->doc) rc = AUTHD_E_CORRUPT;
    }
    if (rc) {
        kept_free(k);
        authd_problem_store(r->req, rc, "store_failed", "the presentation request cannot be read");
        return false;
    }
    return true;
}

static const char *member(const struct kept *k, const char *name)
{
    return json_string_value(json_object_get(k->doc, name));
}

/* The URIs of request `id_text`: where the wallet fetches the request object, and where it answers. */
static void uris(const struct authd_server *s, const char *id_text, char *request_uri, char *response_uri,
                 size_t cap)
{
    const char *base = s->config->public_url;
    snprintf(request_uri, cap, "%s/v1/presentation-requests/%s/request", base, id_text);
    snprintf(response_uri, cap, "%s/v1/presentation-requests/%s/response", base, id_text);
}

/* ---- POST /v1/presentation-requests ---- */

/* `s` percent-encoded into `w`: RFC 3986 unreserved characters pass, every other byte is escaped. */
static void uri_component(struct authd_jsonw *w, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
            c == '.' || c == '_' || c == '~') {
            authd_jsonw_raw(w, (const char *)&c, 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            authd_jsonw_raw(w, e, 3);
        }
    }
}

/* The QR's text: openid4vp://?client_id=...&request_uri=... (malloc'd). */
static char *qr_text(const char *client_id, const char *request_uri)
{
    struct authd_jsonw w = {0};
    authd_jsonw_lit(&w, "openid4vp://?client_id=");
    uri_component(&w, client_id);
    authd_jsonw_lit(&w, "&request_uri=");
    uri_component(&w, request_uri);
    size_t len;
    return authd_jsonw_take(&w, &len);
}

void authd_route_presentation_create(struct authd_request *r)
{
    static const char *const fields[] = {"matter", "use_cause", "qr_svg", NULL};
    h2o_req_t *req = r->req;
    const struct authd_client *client = r->client;
    const struct authd_reader_key *reader = authd_server_reader(r->server, client->id);
    json_t *body = authd_json_body(req, fields);
    if (!body) return;
    json_t *jm = json_object_get(body, "matter"), *ju = json_object_get(body, "use_cause");
    const char *use_cause = json_string_value(ju);
    size_t use_len = json_string_length(ju);
    const struct authd_matter *matter =
        json_is_string(jm) ? authd_policy_matter(r->policy, json_string_value(jm), json_string_length(jm))
                           : NULL;
    json_t *doc = NULL;
    uint8_t *blob = NULL;
    if (!json_is_string(jm)) {
        authd_problem(req, 422, "missing_matter", "state the matter: 'matter' (a code of GET /v1/matters)");
    } else if (!use_cause || use_len == 0 || use_len > AUTHD_USE_CAUSE_MAX || strlen(use_cause) != use_len ||
               !authd_utf8_valid(use_cause, use_len)) {
        authd_problem(req, 422, "missing_use_cause",
                      "state the use cause (用途/事由): 1 to 200 bytes of UTF-8");
    } else if (authd_refuse_identity_in_text(r, "use_cause", use_cause, use_len) != 0) {
        /* answered */
    } else if (!matter) {
        authd_problem(req, 404, "unknown_matter", "no such matter in matters.yaml");
    } else if (!authd_client_serves(client, matter)) {
        authd_problem(req, 403, "forbidden_matter", "this counter does not serve that matter");
    } else if (!reader) {
        authd_problem(req, 409, "no_reader_key",
                      "this counter has no reader key to sign its requests with (readers: in authd's "
                      "configuration)");
    } else {
        uint8_t id[AUTHD_REQUEST_ID_LEN], nonce[16];
        char id_text[ID_TEXT], nonce_text[32], request_uri[512], response_uri[512], expires_text[21];
        randombytes_buf(id, sizeof(id));
        randombytes_buf(nonce, sizeof(nonce));
        sodium_bin2base64(id_text, sizeof(id_text), id, sizeof(id), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        sodium_bin2base64(nonce_text, sizeof(nonce_text), nonce, sizeof(nonce),
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        int64_t now = time(NULL), expires = now + r->server->config->request_ttl;
        authd_log_time(expires, expires_text);
        uris(r->server, id_text, request_uri, response_uri, sizeof(request_uri));
        doc = json_pack("{s:s, s:s%, s:s}", "matter", matter->code, "use_cause", use_cause, use_len, "nonce",
                        nonce_text);
        size_t blob_len = 0;
        authd_err rc = doc ? seal(r->server, id, doc, &blob, &blob_len) : AUTHD_E_NOMEM;
        if (!rc) rc = authd_requests_put(r->server->requests, id, client->id, expires, blob, blob_len, now);
        if (rc == AUTHD_E_FULL) {
            authd_problem(req, 503, "overloaded", "too many presentation requests outstanding");
        } else if (rc) {
            authd_problem_store(req, rc, "store_failed", "the presentation request cannot be kept");
        } else {
            const char *client_id = authd_reader_client_id(reader);
            /* the SVG only when asked (the counter page): encoding a QR code costs more than the rest */
            bool want_svg = json_is_true(json_object_get(body, "qr_svg"));
            char *qr = qr_text(client_id, request_uri), *svg = qr && want_svg ? authd_qr_svg(qr) : NULL;
            json_t *out = qr ? json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", id_text, "client_id", client_id,
                                         "request_uri", request_uri, "expires", expires_text, "qr", qr)
                             : NULL;
            if (out && svg) json_object_set_new(out, "qr_svg", json_string(svg)); /* for the counter page */
            char *text = out ? json_dumps(out, JSON_COMPACT) : NULL;
            if (text)
                authd_send_cache_control(req, 201, "application/json",
                                         authd_pool_copy(req, text, strlen(text)), "no-store");
            else
                authd_problem(req, 503, "overloaded", "out of memory");
            free(text);
            json_decref(out);
            free(qr);
            free(svg);
        }
    }
    free(blob);
    json_decref(doc);
    json_decref(body);
}

/* ---- GET /v1/presentation-requests/{id}/request ---- */

/* A request the wallet may still answer; else a problem sent and false. */
static bool answerable(struct authd_request *r, const struct kept *k, int64_t now)
{
    if (k->stored.answered) {
        authd_problem(r->req, 410, "request_answered", "this presentation request has been answered");
        return false;
    }
    if (now > k->stored.expires) {
        authd_problem(r->req, 410, "request_expired", "this presentation request has expired");
        return false;
    }
    return true;
}

void authd_route_presentation_request(struct authd_request *r)
{
    struct kept k;
    if (!load(r, &k)) return;
    int64_t now = time(NULL);
    const struct authd_reader_key *reader = authd_server_reader(r->server, k.stored.counter_id);
    const char *code = member(&k, "matter");
    const struct authd_matter *matter = code ? authd_policy_matter(r->policy, code, strlen(code)) : NULL;
    if (!answerable(r, &k, now)) {
        kept_free(&k);
        return;
    }
    if (!reader || !matter) { /* the configuration changed since the request was made */
        authd_problem(r->req, 410, "request_withdrawn", "the counter can no longer make this request");
        kept_free(&k);
        return;
    }
    char request_uri[512], response_uri[512];
    uris(r->server, k.id_text, request_uri, response_uri, sizeof(request_uri));
    struct authd_jsonw w = {0};
    authd_jsonw_lit(&w, "{\"aud\":\"https://self-issued.me/v2\",\"iss\":");
    authd_jsonw_cstring(&w, authd_reader_client_id(reader));
    authd_jsonw_lit(&w, ",\"client_id\":");
    authd_jsonw_cstring(&w, authd_reader_client_id(reader));
    authd_jsonw_lit(&w,
                    ",\"response_type\":\"vp_token\",\"response_mode\":\"direct_post\",\"response_uri\":");
    authd_jsonw_cstring(&w, response_uri);
    authd_jsonw_lit(&w, ",\"nonce\":");
    authd_jsonw_cstring(&w, member(&k, "nonce"));
    authd_jsonw_lit(&w, ",\"state\":");
    authd_jsonw_cstring(&w, k.id_text);
    authd_jsonw_lit(&w, ",\"iat\":");
    authd_jsonw_int(&w, (long long)now);
    authd_jsonw_lit(&w, ",\"exp\":");
    authd_jsonw_int(&w, (long long)k.stored.expires);
    authd_jsonw_lit(&w, ",\"dcql_query\":");
    authd_dcql_write(&w, matter);
    authd_jsonw_lit(&w, ",\"client_metadata\":{\"vp_formats_supported\":{\"mso_mdoc\":{"
                        "\"deviceauth_alg_values\":[-7,-8]}}}}");
    size_t payload_len, jwt_len = 0;
    char *payload = authd_jsonw_take(&w, &payload_len);
    char *jwt =
        payload ? authd_reader_sign_jwt(reader, "oauth-authz-req+jwt", payload, payload_len, &jwt_len) : NULL;
    if (jwt)
        authd_send_cache_control(r->req, 200, "application/oauth-authz-req+jwt",
                                 authd_pool_copy(r->req, jwt, jwt_len), "no-store");
    else
        authd_problem(r->req, 503, "overloaded", "the request object could not be signed");
    free(payload);
    free(jwt);
    kept_free(&k);
}

/* ---- POST /v1/presentation-requests/{id}/response ---- */

/* OpenID4VP's error answer to the wallet (RFC 6749 §5.2 shape). */
static void wallet_error(h2o_req_t *req, int status, const char *error, const char *description)
{
    authd_send_json_doc(req, status,
                        json_pack("{s:s, s:s}", "error", error, "error_description", description));
}

/* A type element's label from the policies the request holds (as POST /v1/verify labels them). */
static const char *element_label(void *arg, const char *type_code, const char *identifier)
{
    const struct authd_request *r = arg;
    const struct authd_licence_type *type = authd_policy_type(r->policy, type_code, strlen(type_code));
    const struct authd_element_schema *schema = type ? authd_type_element(type, identifier) : NULL;
    return schema ? schema->label : NULL;
}

/* What the checks of one answer found. */
struct verdict {
    const char *reason; /* NULL: every presentation passed */
    char holder_id[64]; /* the holder the licences name ("" when none disclosed it) */
    json_t *licences;   /* certlib's rendering of each */
    json_t *ids, *released;
};

/* Verifies one presentation for credential query `need`; notes what it found in `v`. */
static void check_one(struct authd_request *r, const certlib_ctx *ctx, const certlib_oid4vp_session *session,
                      const struct authd_matter_need *need, const uint8_t *bytes, size_t len,
                      struct verdict *v)
{
    certlib_verify_opts opts = {.holder = CERTLIB_HOLDER_REQUIRED};
    certlib_result *result = NULL;
    if (certlib_presentation_verify_oid4vp(ctx, bytes, len, session, &opts, &result) != CERTLIB_OK) {
        if (!v->reason) v->reason = "internal_error";
        return;
    }
    const char *type = certlib_result_licence_type(result), *beyond = NULL,
               *holder = certlib_result_holder_id(result);
    const char *reason = NULL;
    if (certlib_result_verdict(result) != CERTLIB_VERDICT_VALID)
        reason = certlib_err_name(certlib_result_reason(result));
    else if (!type) /* asked for always: the answer must show which type it is */
        reason = "licence_type_not_disclosed";
    else if (strcmp(type, need->type->code) != 0)
        reason = "wrong_licence_type";
    else if (!authd_dcql_within(need, result, &beyond))
        reason = "beyond_request";
    else if (holder && v->holder_id[0] && strcmp(holder, v->holder_id) != 0)
        reason = "holders_differ";
    if (reason && !v->reason) v->reason = reason;
    if (holder && !v->holder_id[0]) snprintf(v->holder_id, sizeof(v->holder_id), "%s", holder);
    size_t json_len;
    char *json = certlib_result_to_json_labelled(result, element_label, r, &json_len);
    json_t *one = json ? json_loadb(json, json_len, 0, NULL) : NULL;
    if (json) {
        sodium_memzero(json, json_len);
        certlib_free(json);
    }
    if (one) json_array_append_new(v->licences, one);
    const char *id = certlib_result_licence_id(result);
    certlib_licence_id parsed;
    if (!reason && id && certlib_licence_id_parse(id, strlen(id), &parsed) == CERTLIB_OK)
        json_array_append_new(v->ids, json_string(id));
    uint8_t hash[32];
    char hash_text[48];
    certlib_mark_licence_hash(bytes, len, hash);
    sodium_bin2base64(hash_text, sizeof(hash_text), hash, 32, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    if (!reason) json_array_append_new(v->released, json_string(hash_text));
    certlib_result_free(result);
}

/* Every presentation of the vp_token checked against the request. Returns the wallet-facing error of a
 * vp_token that is not of the request's shape, or NULL once `v` holds what the checks found. */
static const char *check_token(struct authd_request *r, const struct authd_matter *matter,
                               const certlib_oid4vp_session *session, json_t *token, struct verdict *v)
{
    const struct authd_trust *trust = authd_held_hold(r->server->trust, &r->req->pool);
    const char *id;
    json_t *list;
    if (!json_is_object(token) || json_object_size(token) == 0 || json_object_size(token) > matter->n_needs)
        return "vp_token is a JSON object of the request's credential query ids";
    json_object_foreach(token, id, list)
    {
        const struct authd_matter_need *need = authd_dcql_need(matter, id, strlen(id));
        if (!need) return "vp_token names a credential query the request does not hold";
        if (!json_is_array(list) || json_array_size(list) != 1 || !json_is_string(json_array_get(list, 0)))
            return "each credential query is answered by one presentation, a base64url string";
        json_t *p = json_array_get(list, 0);
        size_t text_len = json_string_length(p), cap = CERTLIB_BASE64URL_DECODED_MAX(text_len), len;
        uint8_t *bytes = malloc(cap ? cap : 1);
        if (!bytes) return "out of memory";
        if (certlib_base64url_decode(json_string_value(p), text_len, bytes, cap, &len) != CERTLIB_OK) {
            free(bytes);
            return "a presentation is not base64url without padding";
        }
        check_one(r, trust->ctx, session, need, bytes, len, v);
        sodium_memzero(bytes, len);
        free(bytes);
    }
    return NULL;
}

/* The counter's answer, as GET /v1/presentation-requests/{id} releases it. */
static json_t *answer_of(const struct kept *k, const struct authd_matter *matter, struct verdict *v,
                         const struct authd_server *s)
{
    json_t *missing = json_array();
    for (size_t i = 0; i < matter->n_needs; i++) {
        bool got = false;
        for (size_t j = 0; j < json_array_size(v->licences); j++) {
            const char *t =
                json_string_value(json_object_get(json_array_get(v->licences, j), "licence_type"));
            got = got || (t && strcmp(t, matter->needs[i].type->code) == 0);
        }
        if (!got)
            json_array_append_new(missing, json_pack("{s:s, s:s}", "type", matter->needs[i].type->code,
                                                     "type_name", matter->needs[i].type->name));
    }
    json_t *body =
        json_pack("{s:s, s:s, s:{s:s, s:s}, s:s, s:s, s:O, s:o}", "id", k->id_text, "state", "answered",
                  "matter", "code", matter->code, "name", matter->name, "use_cause", member(k, "use_cause"),
                  "verdict", v->reason ? "invalid" : "valid", "licences", v->licences, "missing", missing);
    if (body && v->reason) json_object_set_new(body, "reason", json_string(v->reason));
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_t *answer = NULL;
    if (text) {
        char holder_key[64] = "";
        if (v->holder_id[0]) {
            uint8_t key[AUTHD_HOLDER_KEY_LEN];
            authd_record_holder_key(s->keys, v->holder_id, strlen(v->holder_id), key);
            sodium_bin2base64(holder_key, sizeof(holder_key), key, sizeof(key),
                              sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        }
        answer =
            json_pack("{s:s, s:s, s:O, s:O, s:s}", "outcome", v->reason ? "invalid" : "valid", "holder_key",
                      holder_key, "licences", v->ids, "released", v->released, "body", text);
        sodium_memzero(text, strlen(text));
        free(text);
    }
    json_decref(body);
    return answer;
}

void authd_route_presentation_response(struct authd_request *r)
{
    h2o_req_t *req = r->req;
    struct kept k;
    if (!load(r, &k)) return;
    int64_t now = time(NULL);
    h2o_iovec_t token_text = {0}, state = {0}, error = {0};
    const char *code = member(&k, "matter");
    const struct authd_matter *matter = code ? authd_policy_matter(r->policy, code, strlen(code)) : NULL;
    const struct authd_reader_key *reader = authd_server_reader(r->server, k.stored.counter_id);
    json_t *token = NULL, *answer = NULL, *doc = NULL;
    uint8_t *blob = NULL;
    struct verdict v = {.licences = json_array(), .ids = json_array(), .released = json_array()};
    if (k.stored.answered) {
        wallet_error(req, 400, "invalid_request", "this presentation request has been answered already");
        goto done;
    }
    if (now > k.stored.expires) {
        wallet_error(req, 400, "invalid_request", "this presentation request has expired");
        goto done;
    }
    if (!matter || !reader) {
        wallet_error(req, 400, "invalid_request", "the counter can no longer take this answer");
        goto done;
    }
    if (!authd_content_type_is(req, "application/x-www-form-urlencoded") || req->entity.len > VP_TOKEN_MAX ||
        authd_form_param(&req->pool, req->entity, "vp_token", &token_text) != 0 ||
        authd_form_param(&req->pool, req->entity, "state", &state) != 0 ||
        authd_form_param(&req->pool, req->entity, "error", &error) != 0) {
        wallet_error(req, 400, "invalid_request",
                     "an application/x-www-form-urlencoded body of vp_token and state");
        goto done;
    }
    if (state.base && (state.len != strlen(k.id_text) || memcmp(state.base, k.id_text, state.len) != 0)) {
        wallet_error(req, 400, "invalid_request", "state is not this request's");
        goto done;
    }
    if (!token_text.base && error.base) { /* the citizen declined: the request is answered, with nothing */
        v.reason = "declined";
    } else if (!token_text.base || !(token = json_loadb(token_text.base, token_text.len, 0, NULL))) {
        wallet_error(req, 400, "invalid_request", "vp_token is missing or not JSON");
        goto done;
    } else {
        char request_uri[512], response_uri[512];
        uris(r->server, k.id_text, request_uri, response_uri, sizeof(request_uri));
        const certlib_oid4vp_session session = {.client_id = authd_reader_client_id(reader),
                                                .nonce = member(&k, "nonce"),
                                                .response_uri = response_uri};
        const char *shape = check_token(r, matter, &session, token, &v);
        if (shape) {
            wallet_error(req, 400, "invalid_request", shape);
            goto done;
        }
    }
    doc = json_deep_copy(k.doc);
    answer = answer_of(&k, matter, &v, r->server);
    size_t blob_len = 0;
    authd_err rc = doc && answer && !json_object_set(doc, "answer", answer)
                       ? seal(r->server, k.id, doc, &blob, &blob_len)
                       : AUTHD_E_NOMEM;
    if (!rc) rc = authd_requests_answer(r->server->requests, k.id, blob, blob_len);
    if (rc == AUTHD_E_CONFLICT)
        wallet_error(req, 400, "invalid_request", "this presentation request has been answered already");
    else if (rc)
        authd_problem_store(req, rc, "store_failed", "the answer cannot be kept");
    else if (v.reason && strcmp(v.reason, "declined") != 0) /* kept for the counter, refused to the wallet */
        wallet_error(req, 400, "invalid_request", v.reason);
    else
        authd_send_json(req, 200, h2o_iovec_init(H2O_STRLIT("{}")));
done:
    json_decref(token);
    json_decref(answer);
    json_decref(doc);
    json_decref(v.licences);
    json_decref(v.ids);
    json_decref(v.released);
    sodium_memzero(v.holder_id, sizeof(v.holder_id));
    free(blob);
    kept_free(&k);
}

/* ---- GET /v1/presentation-requests/{id} ---- */

void authd_route_presentation_get(struct authd_request *r)
{
    struct kept k;
    if (!load(r, &k)) return;
    const struct authd_client *client = r->client;
    if (strcmp(k.stored.counter_id, client->id) != 0) { /* another counter's: as if there were none */
        authd_problem(r->req, 404, "unknown_request", "no such presentation request");
        kept_free(&k);
        return;
    }
    json_t *answer = json_object_get(k.doc, "answer");
    const char *code = member(&k, "matter");
    if (!answer) {
        char expires[21];
        authd_log_time(k.stored.expires, expires);
        json_t *doc = json_pack("{s:s, s:s, s:s, s:s}", "id", k.id_text, "state",
                                time(NULL) > k.stored.expires ? "expired" : "pending", "matter", code,
                                "expires", expires);
        authd_send_json_doc(r->req, 200, doc); /* takes it */
        kept_free(&k);
        return;
    }
    /* Released as a verification is: recorded first, then sent with its disclosure mark. */
    const char *body = json_string_value(json_object_get(answer, "body"));
    const char *key_text = json_string_value(json_object_get(answer, "holder_key"));
    json_t *ids = json_object_get(answer, "licences"), *hashes = json_object_get(answer, "released");
    uint8_t key[AUTHD_HOLDER_KEY_LEN], released[CERTLIB_MARK_MAX_LICENCES][32];
    size_t key_len = 0, n_released = 0;
    bool has_key =
        key_text && key_text[0] &&
        certlib_base64url_decode(key_text, strlen(key_text), key, sizeof(key), &key_len) == CERTLIB_OK &&
        key_len == sizeof(key);
    char licences[CERTLIB_MARK_MAX_LICENCES * (CERTLIB_LICENCE_ID_MAX + 1)] = "";
    size_t at = 0;
    for (size_t i = 0; i < json_array_size(hashes) && n_released < CERTLIB_MARK_MAX_LICENCES; i++) {
        const char *h = json_string_value(json_array_get(hashes, i));
        size_t n;
        if (h && certlib_base64url_decode(h, strlen(h), released[n_released], 32, &n) == CERTLIB_OK &&
            n == 32)
            n_released++;
    }
    for (size_t i = 0; i < json_array_size(ids) && i < CERTLIB_MARK_MAX_LICENCES; i++) {
        const char *id = json_string_value(json_array_get(ids, i));
        at += (size_t)snprintf(licences + at, sizeof(licences) - at, "%s%s", i ? "," : "", id ? id : "");
    }
    const char *use_cause = member(&k, "use_cause");
    size_t body_len = body ? strlen(body) : 0;
    char *copy = body ? malloc(body_len + 1) : NULL;
    if (!copy) {
        authd_problem(r->req, body ? 503 : 500, body ? "overloaded" : "store_failed",
                      "the answer cannot be read");
        kept_free(&k);
        return;
    }
    memcpy(copy, body, body_len + 1);
    const struct authd_access access = {.lookup = false,
                                        .client = client->id,
                                        .matter = code,
                                        .holder_key = has_key ? key : NULL,
                                        .outcome = json_string_value(json_object_get(answer, "outcome")),
                                        .licences = licences,
                                        .use_cause = use_cause,
                                        .use_cause_len = use_cause ? strlen(use_cause) : 0,
                                        .released = (const uint8_t(*)[32])released,
                                        .n_released = n_released};
    authd_access_respond(r, &access, 200, copy, body_len);
    kept_free(&k);
}
