/* A wallet's answer checked, presentation by presentation, and the counter's view of it
 * (presentation_answer.h). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certlib/encoding.h"
#include "certlib/licence_id.h"
#include "certlib/mark.h"
#include "dcql.h"
#include "presentation_answer.h"
#include "record.h"

void authd_answer_init(struct authd_answer *a)
{
    *a = (struct authd_answer){.licences = json_array(), .ids = json_array(), .released = json_array()};
}

void authd_answer_clear(struct authd_answer *a)
{
    json_decref(a->licences);
    json_decref(a->ids);
    json_decref(a->released);
    sodium_memzero(a->holder_id, sizeof(a->holder_id));
}

/* Verifies one presentation for credential query `need`; notes what it found in `v`. */
static void check_one(struct authd_answer *v, const certlib_ctx *ctx, const struct authd_policy *policy,
                      const certlib_oid4vp_session *session, const struct authd_matter_need *need,
                      const uint8_t *bytes, size_t len)
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
    char *json =
        certlib_result_to_json_labelled(result, authd_policy_element_label, (void *)policy, &json_len);
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

const char *authd_answer_check(struct authd_answer *v, const certlib_ctx *ctx,
                               const struct authd_policy *policy, const struct authd_matter *matter,
                               const certlib_oid4vp_session *session, json_t *token)
{
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
        check_one(v, ctx, policy, session, need, bytes, len);
        sodium_memzero(bytes, len);
        free(bytes);
    }
    return NULL;
}

json_t *authd_answer_release(const struct authd_answer *v, const struct authd_record_keys *keys,
                             const char *id_text, const struct authd_matter *matter, const char *use_cause)
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
        json_pack("{s:s, s:s, s:{s:s, s:s}, s:s, s:s, s:O, s:o}", "id", id_text, "state", "answered",
                  "matter", "code", matter->code, "name", matter->name, "use_cause", use_cause, "verdict",
                  v->reason ? "invalid" : "valid", "licences", v->licences, "missing", missing);
    if (body && v->reason) json_object_set_new(body, "reason", json_string(v->reason));
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_t *answer = NULL;
    if (text) {
        char holder_key[64] = "";
        if (v->holder_id[0]) {
            uint8_t key[AUTHD_HOLDER_KEY_LEN];
            authd_record_holder_key(keys, v->holder_id, strlen(v->holder_id), key);
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
