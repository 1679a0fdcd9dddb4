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
    *a = (struct authd_answer){.ids = json_array(), .released = json_array()};
}

void authd_answer_clear(struct authd_answer *a)
{
    authd_jsonw_discard(&a->licences); /* personal data */
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
    if (json && v->n_licences < AUTHD_MATTER_MAX_NEEDS) { /* authd_answer_check allows no more */
        if (v->n_licences) authd_jsonw_lit(&v->licences, ",");
        authd_jsonw_raw(&v->licences, json, json_len);
        snprintf(v->types[v->n_licences++], sizeof(v->types[0]), "%s", type ? type : "");
    } else if (!v->reason) {
        v->reason = "internal_error";
    }
    if (json) {
        sodium_memzero(json, json_len);
        certlib_free(json);
    }
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
                               const certlib_oid4vp_session *session, const struct authd_vp_token *token)
{
    if (token->n == 0 || token->n > matter->n_needs)
        return "vp_token is a JSON object of the request's credential query ids";
    for (size_t i = 0; i < token->n; i++) {
        const struct authd_vp_entry *e = &token->entries[i];
        const struct authd_matter_need *need = authd_dcql_need(matter, e->id, e->id_len);
        if (!need) return "vp_token names a credential query the request does not hold";
        size_t cap = CERTLIB_BASE64URL_DECODED_MAX(e->presentation_len), len;
        uint8_t *bytes = malloc(cap ? cap : 1);
        if (!bytes) return "out of memory";
        if (certlib_base64url_decode(e->presentation, e->presentation_len, bytes, cap, &len) != CERTLIB_OK) {
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
                             const char *id_text, const struct authd_matter *matter, const char *use_cause,
                             char **body, size_t *body_len)
{
    struct authd_jsonw w = {0};
    authd_jsonw_lit(&w, "{\"id\":");
    authd_jsonw_cstring(&w, id_text);
    authd_jsonw_lit(&w, ",\"state\":\"answered\",\"matter\":{\"code\":");
    authd_jsonw_cstring(&w, matter->code);
    authd_jsonw_lit(&w, ",\"name\":");
    authd_jsonw_cstring(&w, matter->name);
    authd_jsonw_lit(&w, "},\"use_cause\":");
    authd_jsonw_cstring(&w, use_cause);
    authd_jsonw_lit(&w, ",\"verdict\":");
    authd_jsonw_cstring(&w, v->reason ? "invalid" : "valid");
    if (v->reason) {
        authd_jsonw_lit(&w, ",\"reason\":");
        authd_jsonw_cstring(&w, v->reason);
    }
    authd_jsonw_lit(&w, ",\"licences\":[");
    authd_jsonw_raw(&w, v->licences.buf, v->licences.len);
    if (v->licences.failed) w.failed = true;
    authd_jsonw_lit(&w, "],\"missing\":[");
    for (size_t i = 0, listed = 0; i < matter->n_needs; i++) {
        bool got = false;
        for (size_t j = 0; j < v->n_licences && !got; j++)
            got = strcmp(v->types[j], matter->needs[i].type->code) == 0;
        if (got) continue;
        if (listed++) authd_jsonw_lit(&w, ",");
        authd_jsonw_lit(&w, "{\"type\":");
        authd_jsonw_cstring(&w, matter->needs[i].type->code);
        authd_jsonw_lit(&w, ",\"type_name\":");
        authd_jsonw_cstring(&w, matter->needs[i].type->name);
        authd_jsonw_lit(&w, "}");
    }
    authd_jsonw_lit(&w, "]}");
    if (!(*body = authd_jsonw_take(&w, body_len))) return NULL;
    char holder_key[64] = "";
    if (v->holder_id[0]) {
        uint8_t key[AUTHD_HOLDER_KEY_LEN];
        authd_record_holder_key(keys, v->holder_id, strlen(v->holder_id), key);
        sodium_bin2base64(holder_key, sizeof(holder_key), key, sizeof(key),
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    }
    json_t *answer = json_pack("{s:s, s:s, s:O, s:O}", "outcome", v->reason ? "invalid" : "valid",
                               "holder_key", holder_key, "licences", v->ids, "released", v->released);
    if (!answer) {
        sodium_memzero(*body, *body_len);
        free(*body);
        *body = NULL;
    }
    return answer;
}
