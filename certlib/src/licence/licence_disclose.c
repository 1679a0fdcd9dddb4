/* Selective disclosure: a licence with fewer items. Kept items and issuerAuth are copied byte for
 * byte; only the nameSpaces map around them is written anew. */
#include <string.h>

#include "cbor/cbor_write.h"
#include "licence/licence_parse.h"
#include "verify/result.h"

static bool wanted(const certlib__item *it, const char *const *keep, size_t n_keep)
{
    if (slice_eq_str(it->ns, CERTLIB_NS_META) && slice_eq_str(it->identifier, "licence_id")) return true;
    for (size_t i = 0; i < n_keep; i++) {
        const char *k = keep[i];
        const char *slash = strrchr(k, '/');
        if (!slash) {
            if (slice_eq_str(it->identifier, k)) return true;
        } else if ((size_t)(slash - k) == it->ns.len && memcmp(k, it->ns.ptr, it->ns.len) == 0 &&
                   slice_eq_str(it->identifier, slash + 1)) {
            return true;
        }
    }
    return false;
}

/* A new IssuerSigned with the wanted items and issuerAuth, each copied byte for byte. */
static certlib_err write_disclosed(const certlib__item *items, size_t n_items, certlib_slice issuer_auth_raw,
                                   const char *const *keep, size_t n_keep, uint8_t **out, size_t *out_len)
{
    bool keep_item[CERTLIB_LICENCE_MAX_ELEMENTS];
    const uint8_t *ns_keys[CERTLIB_LICENCE_MAX_NAMESPACES];
    size_t ns_count[CERTLIB_LICENCE_MAX_NAMESPACES], n_ns = 0;
    for (size_t i = 0; i < n_items; i++) {
        keep_item[i] = wanted(&items[i], keep, n_keep);
        size_t k = 0;
        while (k < n_ns && ns_keys[k] != items[i].ns.ptr)
            k++;
        if (k == n_ns) {
            ns_keys[n_ns] = items[i].ns.ptr;
            ns_count[n_ns++] = 0;
        }
        ns_count[k] += keep_item[i];
    }
    size_t non_empty = 0;
    for (size_t k = 0; k < n_ns; k++)
        non_empty += ns_count[k] > 0;

    cbw w = {0};
    certlib__cbw_map(&w, non_empty ? 2 : 1);
    if (non_empty) {
        certlib__cbw_tstr(&w, "nameSpaces");
        certlib__cbw_map(&w, non_empty);
        for (size_t k = 0; k < n_ns; k++) {
            if (!ns_count[k]) continue;
            bool first = true;
            for (size_t i = 0; i < n_items; i++) {
                if (items[i].ns.ptr != ns_keys[k] || !keep_item[i]) continue;
                if (first) {
                    certlib__cbw_tstrn(&w, items[i].ns.ptr, items[i].ns.len);
                    certlib__cbw_array(&w, ns_count[k]);
                    first = false;
                }
                certlib__cbw_raw(&w, items[i].whole.ptr, items[i].whole.len);
            }
        }
    }
    certlib__cbw_tstr(&w, "issuerAuth");
    certlib__cbw_raw(&w, issuer_auth_raw.ptr, issuer_auth_raw.len);
    certlib_err err = cbw_status(&w);
    if (err) {
        certlib__cbw_free(&w);
        return err;
    }
    *out = certlib__cbw_take(&w, out_len);
    return CERTLIB_OK;
}

certlib_err certlib_licence_disclose(const uint8_t *licence, size_t len, const char *const *keep,
                                     size_t n_keep, uint8_t **out, size_t *out_len)
{
    if (!licence || !out || !out_len || (n_keep && !keep)) return CERTLIB_E_INVALID_ARGUMENT;
    *out = NULL;
    *out_len = 0;
    certlib__licence lic;
    certlib_err err = certlib__licence_parse(licence, len, &lic);
    if (err) return err;
    err = write_disclosed(lic.items, lic.n_items, lic.issuer_auth_raw, keep, n_keep, out, out_len);
    certlib__licence_clear(&lic);
    return err;
}

certlib_err certlib_result_disclose(const certlib_result *r, const char *const *keep, size_t n_keep,
                                    uint8_t **out, size_t *out_len)
{
    if (!r || !out || !out_len || (n_keep && !keep)) return CERTLIB_E_INVALID_ARGUMENT;
    *out = NULL;
    *out_len = 0;
    if (!r->issuer_auth_raw.ptr) return CERTLIB_E_INVALID_ARGUMENT; /* the structure was never read */
    return write_disclosed(r->items, r->n_elements, r->issuer_auth_raw, keep, n_keep, out, out_len);
}
