/* POST /v1/verify (counter): a licence as application/cbor, or JSON {licence (base64url) | qr,
 * expect_holder_id?}; the verdict is certlib's, against the trust bundle and authd's own current status
 * lists. expect_holder_id, when given, must equal the licence's disclosed holder_id. */
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "metrics.h"
#include "router.h"
#include "statuslists.h"

void authd_route_verify(struct authd_request *r)
{
    static const char *const fields[] = {"licence", "qr", "expect_holder_id", NULL};
    h2o_req_t *req = r->req;
    if (!authd_require(r, AUTHD_ROLE(AUTHD_ROLE_COUNTER))) return;
    uint8_t *owned = NULL;
    const uint8_t *bytes = NULL;
    size_t len = 0;
    json_t *doc = NULL, *expect = NULL;
    if (authd_content_type_is(req, "application/cbor")) {
        bytes = (const uint8_t *)req->entity.base;
        len = req->entity.len;
    } else {
        if (!(doc = authd_json_body(req, fields))) return;
        json_t *lic = json_object_get(doc, "licence"), *qr = json_object_get(doc, "qr");
        expect = json_object_get(doc, "expect_holder_id");
        if (!lic == !qr || (lic && !json_is_string(lic)) || (qr && !json_is_string(qr)) ||
            (expect && !json_is_string(expect))) {
            authd_problem(req, 422, "invalid_request",
                          "give exactly one of 'licence' (base64url) or 'qr' (EL1: text)");
            goto done;
        }
        if (lic) {
            size_t cap = json_string_length(lic);
            owned = malloc(cap + 1);
            if (!owned ||
                sodium_base642bin(owned, cap + 1, json_string_value(lic), json_string_length(lic), NULL, &len,
                                  NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
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
    authd_statuslists_sync(r->server->statuslists); /* a change a moment ago must show */
    certlib_result *result = NULL;
    if (certlib_licence_verify(r->server->verify_ctx, bytes, len, NULL, &result) != CERTLIB_OK) {
        authd_problem(req, 503, "overloaded", "out of memory");
        goto done;
    }
    size_t json_len;
    char *json = certlib_result_to_json(result, &json_len);
    if (json && !expect) { /* the common case: certlib's rendering is the response, as it is */
        certlib_result_free(result);
        authd_metrics_count(r->server->metrics, AUTHD_M_VERIFICATIONS);
        authd_send_json(req, 200, authd_pool_copy(req, json, json_len));
        certlib_free(json);
        goto done;
    }
    json_t *out = json ? json_loadb(json, json_len, 0, NULL) : NULL;
    certlib_free(json);
    if (out && expect) {
        const char *holder = certlib_result_holder_id(result);
        certlib_ident ident;
        int match =
            holder &&
            certlib_ident_check(json_string_value(expect), json_string_length(expect), NULL, &ident) == 0 &&
            strcmp(ident.normalized, holder) == 0;
        json_object_set_new(out, "holder_match", holder ? json_boolean(match) : json_null());
        if (holder && !match) {
            json_object_set_new(out, "verdict", json_string("invalid"));
            json_object_set_new(out, "reason", json_string("holder_mismatch"));
        }
    }
    certlib_result_free(result);
    authd_metrics_count(r->server->metrics, AUTHD_M_VERIFICATIONS);
    if (!out)
        authd_problem(req, 503, "overloaded", "out of memory");
    else
        authd_send_json_doc(req, 200, out);
done:
    free(owned);
    json_decref(doc);
}
