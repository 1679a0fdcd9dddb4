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
 * The wallet's answer is verified when it arrives (presentation_answer.h). A request is answered once,
 * whether the answer passes or not, and only until it expires. */
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
#include "held.h"
#include "presentation_answer.h"
#include "presentation_requests.h"
#include "qr_svg.h"
#include "reader_key.h"
#include "record.h"
#include "request_text.h"
#include "router.h"
#include "trust_bundle.h"
#include "vp_token.h"

#define ID_TEXT 23                     /* base64url of AUTHD_REQUEST_ID_LEN bytes, and a NUL */
#define VP_TOKEN_MAX ((size_t)1 << 20) /* bytes of a vp_token */
#define AD_LABEL "authd presentation request"

/* ---- the request as kept ---- */

struct kept {
    uint8_t id[AUTHD_REQUEST_ID_LEN];
    char id_text[ID_TEXT];
    struct authd_stored_request stored;
    json_t *doc;      /* the opened blob's head: {matter, use_cause, nonce[, answer]} */
    const char *body; /* once answered, the counter's answer (request_text.h) */
    size_t body_len;
    uint8_t *plain; /* the opened blob */
    size_t plain_len;
};

static void kept_free(struct kept *k)
{
    free(k->stored.blob);
    json_decref(k->doc);
    if (k->plain) sodium_memzero(k->plain, k->plain_len); /* use cause, the answer's licences */
    free(k->plain);
}

static size_t blob_ad(const uint8_t id[AUTHD_REQUEST_ID_LEN], uint8_t *ad)
{
    memcpy(ad, AD_LABEL, sizeof(AD_LABEL)); /* the label and its NUL, then the id */
    memcpy(ad + sizeof(AD_LABEL), id, AUTHD_REQUEST_ID_LEN);
    return sizeof(AD_LABEL) + AUTHD_REQUEST_ID_LEN;
}

/* `doc` and the answer's `body` (NULL: none yet) sealed for request `id` into *blob (malloc'd). */
static authd_err seal(const struct authd_server *s, const uint8_t id[AUTHD_REQUEST_ID_LEN], json_t *doc,
                      const char *body, size_t body_len, uint8_t **blob, size_t *len)
{
    char *text;
    size_t n;
    authd_err rc = authd_request_text(doc, body, body_len, &text, &n);
    if (rc) return rc;
    uint8_t ad[sizeof(AD_LABEL) + AUTHD_REQUEST_ID_LEN];
    *len = authd_record_blob_len(s->keys, n);
    if (!(*blob = malloc(*len))) rc = AUTHD_E_NOMEM;
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
    uint8_t ad[sizeof(AD_LABEL) + AUTHD_REQUEST_ID_LEN];
    if (!rc)
        rc = authd_record_open_blob(r->server->keys, ad, blob_ad(k->id, ad), k->stored.blob,
                                    k->stored.blob_len, &k->plain, &k->plain_len);
    if (!rc)
        rc = authd_request_text_read((const char *)k->plain, k->plain_len, &k->doc, &k->body, &k->body_len);
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

/* The QR's text, openid4vp://?client_id=...&request_uri=..., in the request's pool: each value
 * percent-encoded but RFC 3986's unreserved characters (h2o_uri_escape). */
static const char *qr_text(h2o_req_t *req, const char *client_id, const char *request_uri)
{
    h2o_iovec_t c = h2o_uri_escape(&req->pool, client_id, strlen(client_id), NULL),
                u = h2o_uri_escape(&req->pool, request_uri, strlen(request_uri), NULL);
    size_t cap = c.len + u.len + 64;
    char *out = h2o_mem_alloc_pool(&req->pool, cap);
    snprintf(out, cap, "openid4vp://?client_id=%.*s&request_uri=%.*s", (int)c.len, c.base, (int)u.len,
             u.base);
    return out;
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
    size_t use_len = use_cause ? json_string_length(ju) : 0;
    const struct authd_matter *matter = NULL;
    json_t *doc = NULL;
    uint8_t *blob = NULL;
    if (!json_is_string(jm)) {
        authd_problem(req, 422, "missing_matter", "state the matter: 'matter' (a code of GET /v1/matters)");
    } else if (!(matter = authd_access_purpose(r, json_string_value(jm), json_string_length(jm), use_cause,
                                               use_len, 422, "'use_cause'"))) {
        /* answered */
    } else if (!reader) {
        authd_problem(req, 409, "no_reader_key",
                      "this counter has no reader key to sign its requests with (readers: in authd's "
                      "configuration)");
    } else {
        uint8_t id[AUTHD_REQUEST_ID_LEN], nonce[16];
        char id_text[ID_TEXT], nonce_text[32], request_uri[512], response_uri[512],
            expires_text[CERTLIB_TIME_TEXT_LEN];
        randombytes_buf(id, sizeof(id));
        randombytes_buf(nonce, sizeof(nonce));
        sodium_bin2base64(id_text, sizeof(id_text), id, sizeof(id), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        sodium_bin2base64(nonce_text, sizeof(nonce_text), nonce, sizeof(nonce),
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        int64_t now = time(NULL), expires = now + r->server->config->request_ttl;
        certlib_time_format(expires, expires_text);
        uris(r->server, id_text, request_uri, response_uri, sizeof(request_uri));
        doc = json_pack("{s:s, s:s%, s:s}", "matter", matter->code, "use_cause", use_cause, use_len, "nonce",
                        nonce_text);
        size_t blob_len = 0;
        authd_err rc = doc ? seal(r->server, id, doc, NULL, 0, &blob, &blob_len) : AUTHD_E_NOMEM;
        if (!rc) rc = authd_requests_put(r->server->requests, id, client->id, expires, blob, blob_len, now);
        if (rc == AUTHD_E_FULL) {
            authd_problem(req, 503, "overloaded", "too many presentation requests outstanding");
        } else if (rc) {
            authd_problem_store(req, rc, "store_failed", "the presentation request cannot be kept");
        } else {
            const char *client_id = authd_reader_client_id(reader);
            /* the SVG only when asked (the counter page): encoding a QR code costs more than the rest */
            bool want_svg = json_is_true(json_object_get(body, "qr_svg"));
            const char *qr = qr_text(req, client_id, request_uri);
            char *svg = want_svg ? authd_qr_svg(qr) : NULL;
            json_t *out = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", id_text, "client_id", client_id,
                                    "request_uri", request_uri, "expires", expires_text, "qr", qr);
            if (out && svg) json_object_set_new(out, "qr_svg", json_string(svg)); /* for the counter page */
            char *text = out ? json_dumps(out, JSON_COMPACT) : NULL;
            if (text)
                authd_send_cache_control(req, 201, "application/json",
                                         authd_pool_copy(req, text, strlen(text)), "no-store");
            else
                authd_problem(req, 503, "overloaded", "out of memory");
            free(text);
            json_decref(out);
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
    char *jwt = payload ? authd_reader_sign_jwt(reader, payload, payload_len, &jwt_len) : NULL;
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
    struct authd_vp_token token = {0};
    const char *shape;
    json_t *answer = NULL, *doc = NULL;
    uint8_t *blob = NULL;
    char *body = NULL;
    size_t body_len = 0;
    struct authd_answer v;
    authd_answer_init(&v);
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
    } else if (!token_text.base) {
        wallet_error(req, 400, "invalid_request", "vp_token is missing or not JSON");
        goto done;
    } else if ((shape = authd_vp_token_read(token_text.base, token_text.len, &token))) {
        wallet_error(req, 400, "invalid_request", shape);
        goto done;
    } else {
        char request_uri[512], response_uri[512];
        uris(r->server, k.id_text, request_uri, response_uri, sizeof(request_uri));
        const certlib_oid4vp_session session = {.client_id = authd_reader_client_id(reader),
                                                .nonce = member(&k, "nonce"),
                                                .response_uri = response_uri};
        const struct authd_trust *trust = authd_held_hold(r->server->trust, &r->req->pool);
        if ((shape = authd_answer_check(&v, trust->ctx, r->policy, matter, &session, &token))) {
            wallet_error(req, 400, "invalid_request", shape);
            goto done;
        }
    }
    doc = json_deep_copy(k.doc);
    answer = authd_answer_release(&v, r->server->keys, k.id_text, matter, member(&k, "use_cause"), &body,
                                  &body_len);
    size_t blob_len = 0;
    authd_err rc = doc && answer && !json_object_set(doc, "answer", answer)
                       ? seal(r->server, k.id, doc, body, body_len, &blob, &blob_len)
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
    authd_vp_token_free(&token);
    json_decref(answer);
    json_decref(doc);
    authd_answer_clear(&v);
    free(blob);
    if (body) sodium_memzero(body, body_len);
    free(body);
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
        char expires[CERTLIB_TIME_TEXT_LEN];
        certlib_time_format(k.stored.expires, expires);
        json_t *doc = json_pack("{s:s, s:s, s:s, s:s}", "id", k.id_text, "state",
                                time(NULL) > k.stored.expires ? "expired" : "pending", "matter", code,
                                "expires", expires);
        authd_send_json_doc(r->req, 200, doc); /* takes it */
        kept_free(&k);
        return;
    }
    /* Released as a verification is: recorded first, then sent with its disclosure mark. */
    const char *body = k.body;
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
    size_t body_len = k.body_len;
    char *copy = body ? malloc(body_len + 1) : NULL;
    if (!copy) {
        authd_problem(r->req, body ? 503 : 500, body ? "overloaded" : "store_failed",
                      "the answer cannot be read");
        kept_free(&k);
        return;
    }
    memcpy(copy, body, body_len);
    copy[body_len] = '\0';
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
