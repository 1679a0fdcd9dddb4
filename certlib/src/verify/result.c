/* Verification results: what a licence disclosed, and the accessors over it. */
#include <stdlib.h>
#include <string.h>

#include "licence/elements.h"
#include "verify/result.h"

static const char *const check_names[CERTLIB_CHECK_COUNT] = {
    "structure", "signer", "signature", "certificates", "scope",           "validity",
    "digests",   "status", "logged",    "holder",       "expected_holder",
};

const char *certlib_check_name(certlib_check check)
{
    return (unsigned)check < CERTLIB_CHECK_COUNT ? check_names[check] : "unknown";
}

const char *certlib_check_state_name(certlib_check_state state)
{
    switch (state) {
    case CERTLIB_CHECK_NOT_RUN:
        return "not_run";
    case CERTLIB_CHECK_PASSED:
        return "passed";
    case CERTLIB_CHECK_FAILED:
        return "failed";
    case CERTLIB_CHECK_UNKNOWN:
        return "unknown";
    case CERTLIB_CHECK_NOT_APPLICABLE:
        return "not_applicable";
    default:
        return "invalid";
    }
}

const char *certlib_verdict_name(certlib_verdict verdict)
{
    switch (verdict) {
    case CERTLIB_VERDICT_VALID:
        return "valid";
    case CERTLIB_VERDICT_INVALID:
        return "invalid";
    case CERTLIB_VERDICT_INDETERMINATE:
        return "indeterminate";
    default:
        return "invalid";
    }
}

const char *certlib__result_str(certlib_result *r, const void *s, size_t len)
{
    if (r->arena_cap - r->arena_used < len + 1) return NULL;
    char *out = r->arena + r->arena_used;
    memcpy(out, s, len);
    out[len] = '\0';
    r->arena_used += len + 1;
    return out;
}

/* Strings of the metadata namespace that the result exposes as facts. */
static void note_fact(certlib_result *r, const certlib_element *e)
{
    if (strcmp(e->ns, CERTLIB_NS_META) != 0 || e->type != CERTLIB_VALUE_TEXT) return;
    if (strcmp(e->identifier, "licence_id") == 0)
        r->licence_id = e->text;
    else if (strcmp(e->identifier, "licence_type_code") == 0)
        r->licence_type = e->text;
    else if (strcmp(e->identifier, "issuer_code") == 0)
        r->issuer_code = e->text;
    else if (strcmp(e->identifier, "holder_name") == 0)
        r->holder_name = e->text;
    else if (strcmp(e->identifier, "holder_id") == 0)
        r->holder_id = e->text;
}

certlib_err certlib__result_fill(certlib_result *r, const certlib__licence *lic)
{
    /* Room for every string: each is a piece of the input plus its NUL; the signer's O comes later. */
    size_t arena = r->input_len + 4 * lic->n_items + 512;
    size_t elements = lic->n_items * sizeof(certlib_element), items = lic->n_items * sizeof(certlib__item);
    char *block = malloc(elements + items + arena);
    if (!block) return CERTLIB_E_NOMEM;
    r->elements = (certlib_element *)(void *)block;
    /* The items' slices point into the licence parsed, which is the result's own copy of the input. */
    r->items = (certlib__item *)(void *)(block + elements);
    if (items) memcpy(r->items, lic->items, items);
    r->arena = block + elements + items;
    r->arena_cap = arena;
    r->arena_used = 0;
    const uint8_t *ns_source = NULL;
    const char *ns_copy = NULL;
    for (size_t i = 0; i < lic->n_items; i++) {
        const certlib__item *it = &lic->items[i];
        certlib_element *e = &r->elements[i];
        memset(e, 0, sizeof(*e));
        certlib_err err = certlib__element_decode(it->value, e);
        if (err) return err;
        /* Items of one namespace share its key's bytes: copy each namespace once, so the arena never
         * needs more than the input's size. */
        if (it->ns.ptr != ns_source) {
            ns_source = it->ns.ptr;
            ns_copy = certlib__result_str(r, it->ns.ptr, it->ns.len);
        }
        e->ns = ns_copy;
        e->identifier = certlib__result_str(r, it->identifier.ptr, it->identifier.len);
        if (e->text) e->text = certlib__result_str(r, e->text, e->text_len);
        if (!e->ns || !e->identifier || (e->type != CERTLIB_VALUE_OTHER && e->text_len && !e->text))
            return CERTLIB_E_INTERNAL;
        r->n_elements = i + 1;
        note_fact(r, e);
    }
    const certlib__mso *mso = &lic->mso;
    r->have_validity = true;
    r->signed_at = mso->signed_at;
    r->valid_from = mso->valid_from;
    r->valid_until = mso->valid_until;
    r->alg = lic->auth.alg;
    r->has_status_ref = mso->has_status;
    if (mso->has_status) {
        r->status_uri = certlib__result_str(r, mso->status_uri.ptr, mso->status_uri.len);
        r->status_idx = mso->status_idx;
    }
    r->holder_bound = !(mso->device_key.len == certlib__unbound_device_key_len &&
                        memcmp(mso->device_key.ptr, certlib__unbound_device_key, mso->device_key.len) == 0);
    r->issuer_auth_raw = lic->issuer_auth_raw; /* every item is in: certlib_result_disclose may use them */
    return CERTLIB_OK;
}

void certlib__result_conclude(certlib_result *r)
{
    r->verdict = CERTLIB_VERDICT_VALID;
    r->reason = CERTLIB_OK;
    for (int i = 0; i < CERTLIB_CHECK_COUNT; i++)
        if (r->checks[i].state == CERTLIB_CHECK_FAILED) {
            r->verdict = CERTLIB_VERDICT_INVALID;
            r->reason = r->checks[i].reason;
            return;
        }
    for (int i = 0; i < CERTLIB_CHECK_COUNT; i++)
        if (r->checks[i].state == CERTLIB_CHECK_UNKNOWN) {
            r->verdict = CERTLIB_VERDICT_INDETERMINATE;
            r->reason = r->checks[i].reason;
            return;
        }
}

void certlib_result_free(certlib_result *r)
{
    if (!r) return;
    free(r->elements); /* one block with the arena */
    free(r);
}

certlib_verdict certlib_result_verdict(const certlib_result *r)
{
    return r->verdict;
}
certlib_err certlib_result_reason(const certlib_result *r)
{
    return r->reason;
}

certlib_check_result certlib_result_check(const certlib_result *r, certlib_check check)
{
    if ((unsigned)check >= CERTLIB_CHECK_COUNT)
        return (certlib_check_result){CERTLIB_CHECK_NOT_RUN, CERTLIB_E_INVALID_ARGUMENT};
    return r->checks[check];
}

const char *certlib_result_licence_id(const certlib_result *r)
{
    return r->licence_id;
}
const char *certlib_result_licence_type(const certlib_result *r)
{
    return r->licence_type;
}
const char *certlib_result_issuer_code(const certlib_result *r)
{
    return r->issuer_code;
}
const char *certlib_result_issuer_name(const certlib_result *r)
{
    return r->issuer_name;
}
const char *certlib_result_holder_name(const certlib_result *r)
{
    return r->holder_name;
}
const char *certlib_result_holder_id(const certlib_result *r)
{
    return r->holder_id;
}
certlib_alg certlib_result_alg(const certlib_result *r)
{
    return r->alg;
}
certlib_status certlib_result_status(const certlib_result *r)
{
    return r->status;
}
bool certlib_result_holder_bound(const certlib_result *r)
{
    return r->holder_bound;
}
size_t certlib_result_element_count(const certlib_result *r)
{
    return r->n_elements;
}

bool certlib_result_validity(const certlib_result *r, int64_t *signed_at, int64_t *valid_from,
                             int64_t *valid_until)
{
    if (!r->have_validity) return false;
    if (signed_at) *signed_at = r->signed_at;
    if (valid_from) *valid_from = r->valid_from;
    if (valid_until) *valid_until = r->valid_until;
    return true;
}

bool certlib_result_status_ref(const certlib_result *r, const char **uri, uint64_t *idx)
{
    if (!r->has_status_ref) return false;
    if (uri) *uri = r->status_uri;
    if (idx) *idx = r->status_idx;
    return true;
}

const certlib_element *certlib_result_element(const certlib_result *r, size_t i)
{
    return i < r->n_elements ? &r->elements[i] : NULL;
}

const certlib_element *certlib_result_find(const certlib_result *r, const char *ns, const char *identifier)
{
    for (size_t i = 0; identifier && i < r->n_elements; i++)
        if (strcmp(r->elements[i].identifier, identifier) == 0 && (!ns || strcmp(r->elements[i].ns, ns) == 0))
            return &r->elements[i];
    return NULL;
}

bool certlib_result_log_index(const certlib_result *r, uint64_t *index)
{
    if (!r || !r->logged) return false;
    if (index) *index = r->log_index;
    return true;
}
