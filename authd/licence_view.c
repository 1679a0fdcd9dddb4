/* Rendering licences for clients (see licence_view.h). */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "licence_view.h"
#include "statuslists.h"

json_t *authd_json_base64url(const uint8_t *bytes, size_t len)
{
    size_t cap = sodium_base64_encoded_len(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *b64 = malloc(cap);
    if (!b64) return NULL;
    sodium_bin2base64(b64, cap, bytes, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    json_t *s = json_stringn_nocheck(b64, strlen(b64)); /* ASCII by construction: skip jansson's UTF-8 scan */
    free(b64);
    return s;
}

json_t *authd_json_masked(const char *id, size_t len)
{
    char masked[64];
    if (len >= sizeof(masked) ||
        certlib_ident_mask(id, len, len >= 15 ? 6 : 2, len >= 15 ? 4 : 2, masked, sizeof(masked)))
        return json_string("********");
    return json_string(masked);
}

static bool is_identifier(const char *name)
{
    size_t n = strlen(name);
    return strcmp(name, "holder_id") == 0 ||
           (n > 3 && strcmp(name + n - 3, "_id") == 0 && strcmp(name, "licence_id") != 0);
}

static json_t *element_value(const certlib_element *e)
{
    switch (e->type) {
    case CERTLIB_VALUE_TEXT:
    case CERTLIB_VALUE_DATE:
    case CERTLIB_VALUE_DATETIME:
        return json_stringn(e->text, e->text_len);
    case CERTLIB_VALUE_INT:
        return json_integer(e->integer);
    case CERTLIB_VALUE_BOOL:
        return json_boolean(e->boolean);
    default:
        return json_null();
    }
}

json_t *authd_licence_view(const struct authd_server *s, const char *id,
                           const struct authd_licence_meta *meta, const uint8_t *licence, size_t len,
                           const struct authd_matter_need *need, bool unmasked, uint8_t *holder_key,
                           bool *holder_found)
{
    const struct authd_licence_type *type =
        authd_policy_type(s->policy, meta->type_code, strlen(meta->type_code));
    const char *keep[80];
    size_t n_keep = 0;
    uint8_t *reduced = NULL;
    size_t reduced_len = len;
    const uint8_t *original = licence;
    /* Which elements go out: the matter's (or all), minus identity numbers for masked clients. */
    if (need || !unmasked) {
        if (need) {
            for (size_t i = 0; i < need->n_elements && n_keep < 80; i++)
                if (unmasked || !is_identifier(need->elements[i])) keep[n_keep++] = need->elements[i];
        } else {
            static const char *const metadata[] = {
                "licence_type_code", "licence_name", "licence_number", "holder_name", "holder_id_type_code",
                "issuer_name",       "issuer_code",  "issue_date",     "valid_from",  "valid_until"};
            for (size_t i = 0; i < sizeof(metadata) / sizeof(metadata[0]); i++)
                keep[n_keep++] = metadata[i];
            for (size_t i = 0; type && i < type->n_elements && n_keep < 80; i++)
                if (!is_identifier(type->elements[i].name)) keep[n_keep++] = type->elements[i].name;
        }
        if (certlib_licence_disclose(licence, len, keep, n_keep, &reduced, &reduced_len) != CERTLIB_OK)
            return NULL;
        licence = reduced;
    }
    /* The elements, read once from the full licence (no trust needed: nothing is vouched for here):
     * those sent are listed, identity numbers withheld from a masked client are shown masked. */
    certlib_result *r = NULL;
    json_t *doc = NULL;
    if (certlib_licence_verify(s->inspect_ctx, original, len, NULL, &r) != CERTLIB_OK) goto done;
    if (holder_key) {
        const char *holder = certlib_result_holder_id(r);
        *holder_found = holder != NULL;
        if (holder) authd_store_holder_key(s->store, holder, strlen(holder), holder_key);
    }
    doc = json_object();
    json_t *elements = json_array(), *masked = json_object();
    json_object_set_new(doc, "licence_id", json_string(id));
    json_object_set_new(doc, "type", json_string(meta->type_code));
    json_object_set_new(doc, "type_name", json_string(type ? type->name : ""));
    json_object_set_new(doc, "issuer_code", json_string(meta->issuer_code));
    json_object_set_new(doc, "status", json_string(authd_status_value_name(meta->status)));
    json_object_set_new(doc, "licence", authd_json_base64url(licence, reduced_len));
    for (size_t i = 0; i < certlib_result_element_count(r); i++) {
        const certlib_element *e = certlib_result_element(r, i);
        bool wanted = !need || strcmp(e->identifier, "licence_id") == 0;
        for (size_t k = 0; need && !wanted && k < need->n_elements; k++)
            wanted = strcmp(need->elements[k], e->identifier) == 0;
        if (!wanted) continue;
        if (!unmasked && is_identifier(e->identifier)) {
            if (e->type == CERTLIB_VALUE_TEXT)
                json_object_set_new(masked, e->identifier, authd_json_masked(e->text, e->text_len));
            continue;
        }
        const struct authd_element_schema *schema = type ? authd_type_element(type, e->identifier) : NULL;
        const char *label = schema ? schema->label : certlib_element_label(e->identifier);
        json_t *el = json_object();
        json_object_set_new(el, "name", json_string(e->identifier));
        json_object_set_new(el, "label", label ? json_string(label) : json_null());
        json_object_set_new(el, "value", element_value(e));
        json_array_append_new(elements, el);
    }
    json_object_set_new(doc, "elements", elements);
    json_object_set_new(doc, "masked", masked);
done:
    certlib_result_free(r);
    certlib_free(reduced);
    return doc;
}
