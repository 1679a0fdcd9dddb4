/* Rendering licences for clients (see licence_view.h). */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "certlib/encoding.h"
#include "certlib/mark.h"
#include "licence_view.h"
#include "peer_answer.h"
#include "record.h"

void authd_jsonw_masked(struct authd_jsonw *w, const char *id, size_t len)
{
    char masked[64];
    if (len >= sizeof(masked) ||
        certlib_ident_mask(id, len, len >= 15 ? 6 : 2, len >= 15 ? 4 : 2, masked, sizeof(masked)))
        authd_jsonw_lit(w, "\"********\"");
    else
        authd_jsonw_cstring(w, masked);
}

static bool is_identifier(const char *name)
{
    size_t n = strlen(name);
    return strcmp(name, "holder_id") == 0 ||
           (n > 3 && strcmp(name + n - 3, "_id") == 0 && strcmp(name, "licence_id") != 0);
}

static void element_value(struct authd_jsonw *w, const certlib_element *e)
{
    switch (e->type) {
    case CERTLIB_VALUE_TEXT:
    case CERTLIB_VALUE_DATE:
    case CERTLIB_VALUE_DATETIME:
        authd_jsonw_string(w, e->text, e->text_len);
        break;
    case CERTLIB_VALUE_INT:
        authd_jsonw_int(w, e->integer);
        break;
    case CERTLIB_VALUE_BOOL:
        if (e->boolean)
            authd_jsonw_lit(w, "true");
        else
            authd_jsonw_lit(w, "false");
        break;
    default:
        authd_jsonw_lit(w, "null");
    }
}

/* certlib's verdict and checks, as certlib renders them, and the receipt they used. False when out of
 * memory. */
static bool verification(struct authd_jsonw *w, const certlib_result *r, const struct authd_view *v)
{
    size_t len;
    char *checks = certlib_result_checks_to_json(r, &len);
    if (!checks) return false;
    authd_jsonw_lit(w, ",");
    authd_jsonw_raw(w, checks + 1, len - 2); /* its members, into the licence's object */
    certlib_free(checks);
    authd_jsonw_lit(w, ",\"receipt\":");
    if (v->receipt)
        authd_jsonw_string(w, v->receipt, v->receipt_len);
    else
        authd_jsonw_lit(w, "null");
    return true;
}

static bool need_names(const struct authd_matter_need *need, const char *element)
{
    for (size_t k = 0; k < need->n_elements; k++)
        if (strcmp(need->elements[k], element) == 0) return true;
    return false;
}

bool authd_licence_view(struct authd_jsonw *w, const struct authd_server *s, const char *id,
                        const struct authd_licence_meta *meta, const uint8_t *licence, size_t len,
                        struct authd_view *v)
{
    const struct authd_matter_need *need = v->need;
    bool unmasked = v->unmasked;
    const struct authd_licence_type *type =
        authd_policy_type(v->policy, meta->type_code, strlen(meta->type_code));
    /* One parse: the elements come from reading (or verifying) the licence, and the copy sent is
     * disclosed from that same reading. */
    certlib_result *r = NULL;
    certlib_verify_opts opts = {.holder = CERTLIB_HOLDER_NOT_CHECKED,
                                .receipt = v->receipt,
                                .receipt_len = v->receipt_len,
                                .log_key = v->log_key,
                                .require_logged = true};
    certlib_err err = v->trust ? certlib_licence_verify(v->trust, licence, len, &opts, &r)
                               : certlib_licence_read(licence, len, &r);
    if (err != CERTLIB_OK) return false;
    if (certlib_result_check(r, CERTLIB_CHECK_STRUCTURE).state != CERTLIB_CHECK_PASSED) {
        certlib_result_free(r);
        return false;
    }
    const char *keep[AUTHD_TYPE_MAX_ELEMENTS + CERTLIB_METADATA_COUNT];
    size_t n_keep = 0;
    uint8_t *reduced = NULL;
    size_t reduced_len = len;
    /* Which elements go out: the matter's (or all), minus identity numbers for masked clients. */
    if (need || !unmasked) {
        size_t cap = sizeof(keep) / sizeof(keep[0]);
        if (need) {
            /* holder_id stays for a peer, masked or not: it sent that number, and checks it */
            for (size_t i = 0; i < need->n_elements && n_keep < cap; i++)
                if (unmasked || !is_identifier(need->elements[i]) ||
                    (v->for_peer && strcmp(need->elements[i], "holder_id") == 0))
                    keep[n_keep++] = need->elements[i];
            if (v->for_peer && !need_names(need, "holder_id") && n_keep < cap) keep[n_keep++] = "holder_id";
            keep[n_keep++] = "holder_id";
        } else { /* the whole licence but its identifiers (licence_id is always kept) */
            for (int m = 0; m < CERTLIB_METADATA_COUNT; m++) {
                const char *name = certlib_metadata_element((certlib_metadata)m);
                if (!is_identifier(name) && m != CERTLIB_META_LICENCE_ID) keep[n_keep++] = name;
            }
            for (size_t i = 0; type && i < type->n_elements && n_keep < cap; i++)
                if (!is_identifier(type->elements[i].name)) keep[n_keep++] = type->elements[i].name;
        }
        if (certlib_result_disclose(r, keep, n_keep, &reduced, &reduced_len) != CERTLIB_OK) {
            certlib_result_free(r);
            return false;
        }
        licence = reduced;
    }
    if (v->trust) {
        static const certlib_check needed[] = {CERTLIB_CHECK_STRUCTURE, CERTLIB_CHECK_SIGNER,
                                               CERTLIB_CHECK_SIGNATURE, CERTLIB_CHECK_CERTIFICATES,
                                               CERTLIB_CHECK_SCOPE,     CERTLIB_CHECK_DIGESTS};
        v->authentic = true;
        for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++)
            v->authentic = v->authentic && certlib_result_check(r, needed[i]).state == CERTLIB_CHECK_PASSED;
        const char *own = certlib_result_licence_id(r);
        v->same_id = own && strcmp(own, id) == 0;
    }
    const char *holder = certlib_result_holder_id(r);
    v->holder_found = holder != NULL;
    if (holder) authd_record_holder_key(s->keys, holder, strlen(holder), v->holder_key);
    certlib_mark_licence_hash(licence, reduced_len, v->released);
    if (v->cbor) {
        authd_peer_answer_licence(w, id, meta->type_code, meta->issuer_code, licence, reduced_len, v->receipt,
                                  v->receipt_len);
        goto done;
    }
    authd_jsonw_lit(w, "{\"licence_id\":");
    authd_jsonw_cstring(w, id);
    if (v->source) {
        authd_jsonw_lit(w, ",\"source\":");
        authd_jsonw_cstring(w, v->source);
    }
    authd_jsonw_lit(w, ",\"type\":");
    authd_jsonw_cstring(w, meta->type_code);
    authd_jsonw_lit(w, ",\"type_name\":");
    authd_jsonw_cstring(w, type ? type->name : "");
    authd_jsonw_lit(w, ",\"issuer_code\":");
    authd_jsonw_cstring(w, meta->issuer_code);
    authd_jsonw_lit(w, ",\"status\":");
    /* a peer's licence: the status its signed list gives ("unknown" without a fresh one), not its word */
    authd_jsonw_cstring(w, v->source ? certlib_status_name(certlib_result_status(r))
                                     : authd_status_value_name(meta->status));
    int64_t signed_at, valid_from, valid_until;
    if (certlib_result_validity(r, &signed_at, &valid_from, &valid_until)) {
        char from[CERTLIB_TIME_TEXT_LEN], until[CERTLIB_TIME_TEXT_LEN];
        certlib_time_format(valid_from, from);
        certlib_time_format(valid_until, until);
        authd_jsonw_lit(w, ",\"valid_from\":");
        authd_jsonw_cstring(w, from);
        authd_jsonw_lit(w, ",\"valid_until\":");
        authd_jsonw_cstring(w, until);
    }
    if (v->trust) { /* the signer certificate's organisation, as verification found it */
        authd_jsonw_lit(w, ",\"issuer_name\":");
        authd_jsonw_cstring(w, certlib_result_issuer_name(r));
    }
    authd_jsonw_lit(w, ",\"licence\":");
    authd_jsonw_base64url(w, licence, reduced_len);
    if (v->trust && !verification(w, r, v)) w->failed = true; /* out of memory: the writer fails */
    if (!v->trust && v->receipt) { /* for a peer, which verifies it with the receipt itself */
        authd_jsonw_lit(w, ",\"receipt\":");
        authd_jsonw_string(w, v->receipt, v->receipt_len);
    }
    if (v->for_peer) {
        authd_jsonw_lit(w, "}");
        goto done;
    }
    /* the elements sent, then the identity numbers withheld, masked */
    for (int pass = 0; pass < 2; pass++) {
        if (pass)
            authd_jsonw_lit(w, "],\"masked\":{");
        else
            authd_jsonw_lit(w, ",\"elements\":[");
        bool first = true;
        for (size_t i = 0; i < certlib_result_element_count(r); i++) {
            const certlib_element *e = certlib_result_element(r, i);
            bool kept_holder = v->for_peer && strcmp(e->identifier, "holder_id") == 0;
            bool wanted = !need || kept_holder || strcmp(e->identifier, "licence_id") == 0 ||
                          need_names(need, e->identifier);
            bool withheld = !unmasked && !kept_holder && is_identifier(e->identifier);
            if (!wanted || withheld != (pass == 1) || (withheld && e->type != CERTLIB_VALUE_TEXT)) continue;
            if (!first) authd_jsonw_lit(w, ",");
            first = false;
            if (withheld) {
                authd_jsonw_cstring(w, e->identifier);
                authd_jsonw_lit(w, ":");
                authd_jsonw_masked(w, e->text, e->text_len);
                continue;
            }
            const struct authd_element_schema *schema = type ? authd_type_element(type, e->identifier) : NULL;
            const char *label = schema ? schema->label : certlib_element_label(e->identifier);
            authd_jsonw_lit(w, "{\"name\":");
            authd_jsonw_cstring(w, e->identifier);
            authd_jsonw_lit(w, ",\"label\":");
            authd_jsonw_cstring(w, label);
            authd_jsonw_lit(w, ",\"value\":");
            element_value(w, e);
            authd_jsonw_lit(w, "}");
        }
    }
    authd_jsonw_lit(w, "}}");
done:
    certlib_result_free(r);
    certlib_free(reduced);
    return true;
}
