/* POST /v1/verify (counter): a licence or a presentation as application/cbor, or JSON {licence |
 * presentation (base64url) | qr, challenge?, expect_holder_id?}; the verdict is certlib's, against the
 * trust bundle and authd's own current status lists, rendered by certlib. A presentation must answer a
 * challenge this counter got from POST /v1/challenges (given as `challenge`, or as the `challenge` query
 * parameter with CBOR), once and in time. A licence bound to a device fails the holder check unless it
 * comes as such a presentation. expect_holder_id, when given, must equal the disclosed holder_id. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <time.h>

#include "access_record.h"
#include "auth.h"
#include "certlib/mark.h"
#include "challenges.h"
#include "held.h"
#include "record.h"
#include "metrics.h"
#include "policy.h"
#include "router.h"
#include "trust_bundle.h"

/* Logs the verification in the access log, then answers with certlib's rendering of the result, type
 * elements labelled as lookups label them. */
static void respond(struct authd_request *r, const struct authd_client *client, certlib_result *result,
                    const uint8_t *bytes, size_t bytes_len)
{
    size_t len;
    char *json = certlib_result_to_json_labelled(result, authd_policy_element_label, (void *)r->policy, &len);
    char *body = json ? malloc(len + 1) : NULL; /* certlib's memory goes back to certlib_free */
    if (body) memcpy(body, json, len + 1);
    certlib_free(json);
    if (!body) {
        authd_problem(r->req, 503, "overloaded", "out of memory");
        return;
    }
    const char *id = certlib_result_licence_id(result), *holder = certlib_result_holder_id(result);
    uint8_t key[AUTHD_HOLDER_KEY_LEN]; /* the access log names the holder by it */
    if (holder) authd_record_holder_key(r->server->keys, holder, strlen(holder), key);
    char licence[CERTLIB_LICENCE_ID_MAX] = "";
    /* only an identifier that parses is named: the log holds no free text from the request */
    certlib_licence_id parsed;
    if (id && strlen(id) < sizeof(licence) && certlib_licence_id_parse(id, strlen(id), &parsed) == CERTLIB_OK)
        memcpy(licence, id, strlen(id) + 1);
    uint8_t released[1][32]; /* what the counter had verified: the mark traces a copy of those bytes */
    certlib_mark_licence_hash(bytes, bytes_len, released[0]);
    const struct authd_access access = {.lookup = false,
                                        .client = client->id,
                                        .holder_key = holder ? key : NULL,
                                        .outcome = certlib_verdict_name(certlib_result_verdict(result)),
                                        .licences = licence,
                                        .released = (const uint8_t(*)[32])released,
                                        .n_released = 1};
    authd_access_respond(r, &access, 200, body, len);
    authd_metrics_count(r->server->metrics, AUTHD_M_VERIFICATIONS);
}

/* The challenge a presentation answers, taken (once) from the store. Returns -1 after a problem; sets
 * *state when the challenge is expired or used (the presentation is still verified, to show
 * everything, but its holder check fails with that reason). */
static int take_challenge(struct authd_request *r, const struct authd_client *client, json_t *text,
                          certlib_challenge *out, certlib_err *state)
{
    h2o_iovec_t query = {0};
    certlib_challenge given;
    if (!text && authd_query_param(r->req, "challenge", &query) != 0) query.base = NULL;
    const char *s = text ? json_string_value(text) : query.base;
    size_t n = text ? json_string_length(text) : query.len;
    if (!s) {
        authd_problem(r->req, 422, "missing_challenge",
                      "a presentation answers a challenge: give it as 'challenge' (POST /v1/challenges)");
        return -1;
    }
    if (certlib_challenge_parse(s, n, &given) != CERTLIB_OK) {
        authd_problem(r->req, 422, "invalid_challenge", "'challenge' is not ELC1:<counter>:<nonce> text");
        return -1;
    }
    switch (authd_challenges_take(r->server->challenges, given.nonce, client->id, time(NULL), out)) {
    case AUTHD_CHALLENGE_OK:
        return 0;
    case AUTHD_CHALLENGE_EXPIRED:
        *state = CERTLIB_E_CHALLENGE_EXPIRED;
        return 0;
    case AUTHD_CHALLENGE_USED:
        *state = CERTLIB_E_CHALLENGE_REPLAYED;
        return 0;
    case AUTHD_CHALLENGE_UNREACHABLE:
        authd_problem_store(r->req, AUTHD_E_UNAVAILABLE, "store_failed", "the challenge cannot be looked up");
        return -1;
    case AUTHD_CHALLENGE_NOT_YOURS:
        authd_problem(r->req, 403, "challenge_not_yours", "the challenge was issued to another counter");
        return -1;
    case AUTHD_CHALLENGE_UNKNOWN:
    default:
        authd_problem(r->req, 422, "unknown_challenge",
                      "no such challenge was issued here (or it is long gone)");
        return -1;
    }
}

void authd_route_verify(struct authd_request *r)
{
    static const char *const fields[] = {"licence",   "presentation",     "qr",
                                         "challenge", "expect_holder_id", NULL};
    h2o_req_t *req = r->req;
    const struct authd_client *client = r->client;
    uint8_t *owned = NULL;
    const uint8_t *bytes = NULL;
    size_t len = 0;
    json_t *doc = NULL, *expect = NULL, *jchallenge = NULL;
    if (authd_content_type_is(req, "application/cbor")) {
        bytes = (const uint8_t *)req->entity.base;
        len = req->entity.len;
    } else {
        if (!(doc = authd_json_body(req, fields))) return;
        json_t *lic = json_object_get(doc, "licence"), *qr = json_object_get(doc, "qr");
        if (!lic) lic = json_object_get(doc, "presentation");
        if (json_object_get(doc, "licence") && json_object_get(doc, "presentation")) lic = json_null();
        jchallenge = json_object_get(doc, "challenge");
        if (jchallenge && !json_is_string(jchallenge)) {
            authd_problem(req, 422, "invalid_request",
                          "'challenge' is the ELC1: text of POST /v1/challenges");
            goto done;
        }
        expect = json_object_get(doc, "expect_holder_id");
        if (expect &&
            (!json_is_string(expect) || strlen(json_string_value(expect)) != json_string_length(expect))) {
            authd_problem(req, 422, "invalid_request", "'expect_holder_id' is an identity number or USCC");
            goto done;
        }
        if (!lic == !qr || (lic && !json_is_string(lic)) || (qr && !json_is_string(qr))) {
            authd_problem(req, 422, "invalid_request",
                          "give exactly one of 'licence' or 'presentation' (base64url) or 'qr' (EL1: text)");
            goto done;
        }
        if (lic) {
            size_t text_len = json_string_length(lic), cap = CERTLIB_BASE64URL_DECODED_MAX(text_len);
            if (!(owned = malloc(cap ? cap : 1))) {
                authd_problem(req, 503, "overloaded", "out of memory");
                goto done;
            }
            if (certlib_base64url_decode(json_string_value(lic), text_len, owned, cap, &len) != CERTLIB_OK) {
                authd_problem(req, 422, "invalid_base64url", "'licence' is not base64url without padding");
                goto done;
            }
        } else {
            certlib_err err = certlib_qr_decode(json_string_value(qr), json_string_length(qr), &owned, &len);
            if (err) {
                authd_problemf(req, 422, "invalid_qr", "the QR text cannot be decoded: %s",
                               certlib_err_name(err));
                goto done;
            }
        }
        bytes = owned;
    }
    /* A bound licence proves its holder only as a presentation answering this counter's challenge;
     * shown on its own it is a copy (device_signature_missing). Some counters take bound ones only. */
    certlib_verify_opts opts = {.holder = client->require_holder_binding ? CERTLIB_HOLDER_REQUIRED
                                                                         : CERTLIB_HOLDER_IF_BOUND,
                                .expected_holder_id = expect ? json_string_value(expect) : NULL};
    certlib_result *result = NULL;
    certlib_err verr;
    const struct authd_trust *trust = authd_held_hold(r->server->trust, &req->pool);
    if (certlib_is_presentation(bytes, len)) {
        certlib_challenge issued;
        if (take_challenge(r, client, jchallenge, &issued, &opts.challenge_state) != 0) goto done;
        verr = certlib_presentation_verify(trust->ctx, bytes, len, &issued, &opts, &result);
    } else {
        verr = certlib_licence_verify(trust->ctx, bytes, len, &opts, &result);
    }
    if (verr != CERTLIB_OK) {
        authd_problem(req, 503, "overloaded", "out of memory");
        goto done;
    }
    respond(r, client, result, bytes, len);
    certlib_result_free(result);
done:
    free(owned);
    json_decref(doc);
}
