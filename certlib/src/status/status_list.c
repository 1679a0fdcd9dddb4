/* Token Status List (draft-ietf-oauth-status-list §4 and §6): the bit array, its zlib form, and the
 * CWT that carries it. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "cose/cose.h"
#include "trust/ctx_internal.h"
#include "status/status_token.h"

#define TYP_STATUSLIST_CWT "application/statuslist+cwt"
enum { CLAIM_SUB = 2, CLAIM_EXP = 4, CLAIM_IAT = 6, CLAIM_TTL = 65534, CLAIM_STATUS_LIST = 65533 };

struct certlib_status_list {
    uint8_t *bytes;
    size_t n_bytes;
    unsigned bits;
    char *uri; /* set when decoded from a token */
};

const char *certlib_status_name(certlib_status status)
{
    switch (status) {
    case CERTLIB_STATUS_NONE:
        return "none";
    case CERTLIB_STATUS_VALID:
        return "valid";
    case CERTLIB_STATUS_REVOKED:
        return "revoked";
    case CERTLIB_STATUS_SUSPENDED:
        return "suspended";
    case CERTLIB_STATUS_UNKNOWN:
    default:
        return "unknown";
    }
}

static bool bits_ok(unsigned bits)
{
    return bits == 1 || bits == 2 || bits == 4 || bits == 8;
}

certlib_err certlib_status_list_new(size_t n_entries, unsigned bits, certlib_status_list **out)
{
    if (!out || !bits_ok(bits) || n_entries == 0) return CERTLIB_E_INVALID_ARGUMENT;
    *out = NULL;
    size_t n_bytes = (n_entries * bits + 7) / 8;
    if (n_entries > SIZE_MAX / 8 || n_bytes > CERTLIB_STATUS_LIST_MAX_BYTES) return CERTLIB_E_CBOR_LIMIT;
    certlib_status_list *list = calloc(1, sizeof(*list));
    if (!list || !(list->bytes = calloc(n_bytes, 1))) {
        free(list);
        return CERTLIB_E_NOMEM;
    }
    list->n_bytes = n_bytes;
    list->bits = bits;
    *out = list;
    return CERTLIB_OK;
}

void certlib_status_list_free(certlib_status_list *list)
{
    if (!list) return;
    free(list->bytes);
    free(list->uri);
    free(list);
}

certlib_err certlib_status_list_dup(const certlib_status_list *list, certlib_status_list **out)
{
    if (!list || !out) return CERTLIB_E_INVALID_ARGUMENT;
    *out = NULL;
    certlib_status_list *copy = calloc(1, sizeof(*copy));
    if (!copy || !(copy->bytes = malloc(list->n_bytes)) || (list->uri && !(copy->uri = strdup(list->uri)))) {
        if (copy) free(copy->bytes);
        free(copy);
        return CERTLIB_E_NOMEM;
    }
    memcpy(copy->bytes, list->bytes, list->n_bytes);
    copy->n_bytes = list->n_bytes;
    copy->bits = list->bits;
    *out = copy;
    return CERTLIB_OK;
}

size_t certlib_status_list_size(const certlib_status_list *list)
{
    return list->n_bytes * 8 / list->bits;
}
unsigned certlib_status_list_bits(const certlib_status_list *list)
{
    return list->bits;
}

unsigned certlib__status_list_value(const certlib_status_list *list, uint64_t idx)
{
    /* §4.1: entry i occupies bits [i*bits, (i+1)*bits), counting from the least significant bit of
     * byte 0. */
    uint64_t bit = idx * list->bits;
    return (list->bytes[bit / 8] >> (bit % 8)) & ((1u << list->bits) - 1);
}

certlib_err certlib_status_list_get(const certlib_status_list *list, uint64_t idx, unsigned *value)
{
    if (!list || !value) return CERTLIB_E_INVALID_ARGUMENT;
    if (idx >= certlib_status_list_size(list)) return CERTLIB_E_STATUS_INDEX;
    *value = certlib__status_list_value(list, idx);
    return CERTLIB_OK;
}

certlib_err certlib_status_list_set(certlib_status_list *list, uint64_t idx, unsigned value)
{
    if (!list) return CERTLIB_E_INVALID_ARGUMENT;
    if (idx >= certlib_status_list_size(list)) return CERTLIB_E_STATUS_INDEX;
    unsigned mask = (1u << list->bits) - 1;
    if (value > mask) return CERTLIB_E_INVALID_ARGUMENT;
    uint64_t bit = idx * list->bits;
    uint8_t *b = &list->bytes[bit / 8];
    *b = (uint8_t)((*b & ~(mask << (bit % 8))) | (value << (bit % 8)));
    return CERTLIB_OK;
}

certlib_err certlib_status_list_sign(const certlib_status_list *list, const certlib_signer *signer,
                                     const char *uri, int64_t iat, int64_t exp, uint64_t ttl, uint8_t **out,
                                     size_t *out_len)
{
    if (!list || !signer || !uri || !*uri || !out || !out_len || strlen(uri) > CERTLIB_STATUS_URI_MAX)
        return CERTLIB_E_INVALID_ARGUMENT;
    uLongf packed_len = compressBound((uLong)list->n_bytes);
    uint8_t *packed = malloc(packed_len);
    if (!packed) return CERTLIB_E_NOMEM;
    if (compress2(packed, &packed_len, list->bytes, (uLong)list->n_bytes, Z_BEST_COMPRESSION) != Z_OK) {
        free(packed);
        return CERTLIB_E_INTERNAL;
    }
    cbw claims = {0}, token = {0};
    certlib__cbw_map(&claims, 3 + (exp != 0) + (ttl != 0));
    certlib__cbw_uint(&claims, CLAIM_SUB);
    certlib__cbw_tstr(&claims, uri);
    certlib__cbw_uint(&claims, CLAIM_IAT);
    certlib__cbw_int(&claims, iat);
    if (exp) {
        certlib__cbw_uint(&claims, CLAIM_EXP);
        certlib__cbw_int(&claims, exp);
    }
    if (ttl) {
        certlib__cbw_uint(&claims, CLAIM_TTL);
        certlib__cbw_uint(&claims, ttl);
    }
    certlib__cbw_uint(&claims, CLAIM_STATUS_LIST);
    certlib__cbw_map(&claims, 2);
    certlib__cbw_tstr(&claims, "bits");
    certlib__cbw_uint(&claims, list->bits);
    certlib__cbw_tstr(&claims, "lst");
    certlib__cbw_bstr(&claims, packed, packed_len);
    free(packed);
    certlib_err err = cbw_status(&claims);
    if (!err)
        err = certlib__sign1_encode(&token, signer, TYP_STATUSLIST_CWT, false, true, claims.buf, claims.len);
    certlib__cbw_free(&claims);
    if (err) {
        certlib__cbw_free(&token);
        return err;
    }
    *out = certlib__cbw_take(&token, out_len);
    return CERTLIB_OK;
}

/* zlib inflate with a hard output cap: a token must not inflate into more than a list can hold. */
static certlib_err inflate_capped(certlib_slice in, uint8_t **out, size_t *out_len)
{
    size_t cap = 4096;
    uint8_t *buf = malloc(cap);
    if (!buf) return CERTLIB_E_NOMEM;
    z_stream z = {0};
    if (inflateInit(&z) != Z_OK) {
        free(buf);
        return CERTLIB_E_NOMEM;
    }
    z.next_in = (Bytef *)in.ptr;
    z.avail_in = (uInt)in.len;
    certlib_err err = CERTLIB_OK;
    for (;;) {
        z.next_out = buf + z.total_out;
        z.avail_out = (uInt)(cap - z.total_out);
        int rc = inflate(&z, Z_NO_FLUSH);
        if (rc == Z_STREAM_END) break;
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            err = rc == Z_MEM_ERROR ? CERTLIB_E_NOMEM : CERTLIB_E_DECOMPRESS;
            break;
        }
        if (z.avail_out == 0) {
            if (cap >= CERTLIB_STATUS_LIST_MAX_BYTES) {
                err = CERTLIB_E_DECOMPRESS;
                break;
            }
            cap *= 2;
            uint8_t *grown = realloc(buf, cap);
            if (!grown) {
                err = CERTLIB_E_NOMEM;
                break;
            }
            buf = grown;
        } else if (z.avail_in == 0) {
            err = CERTLIB_E_DECOMPRESS; /* truncated stream */
            break;
        }
    }
    if (!err && (z.avail_in != 0 || z.total_out == 0)) err = CERTLIB_E_DECOMPRESS; /* trailing or empty */
    *out_len = z.total_out;
    inflateEnd(&z);
    if (err) {
        free(buf);
        return err;
    }
    *out = buf;
    return CERTLIB_OK;
}

static certlib_err read_claims(certlib_slice payload, certlib__status_token *t)
{
    cbr r;
    cbr_init(&r, payload.ptr, payload.len);
    uint64_t n;
    certlib_err err = certlib__cbr_map(&r, &n);
    if (err) return err;
    if (n > 16) return CERTLIB_E_CBOR_LIMIT;
    certlib_slice keys[16], lst = {0};
    bool have_list = false, have_iat = false;
    for (uint64_t i = 0; i < n; i++) {
        const uint8_t *key_start = r.p;
        int64_t label;
        if (certlib__cbr_peek(&r) == CBR_TSTR) { /* text claim names: none defined here, skip */
            if ((err = certlib__cbr_raw(&r, 1, &keys[i])) || (err = certlib__cbr_skip(&r, 1))) return err;
            continue;
        }
        if ((err = certlib__cbr_int(&r, &label))) return err;
        keys[i] = (certlib_slice){key_start, (size_t)(r.p - key_start)};
        switch (label) {
        case CLAIM_SUB:
            err = certlib__cbr_tstr(&r, &t->uri);
            if (!err && (t->uri.len == 0 || t->uri.len > CERTLIB_STATUS_URI_MAX)) err = CERTLIB_E_STATUS_LIST;
            break;
        case CLAIM_IAT:
            err = certlib__cbr_int(&r, &t->iat);
            have_iat = true;
            break;
        case CLAIM_EXP:
            err = certlib__cbr_int(&r, &t->exp);
            break;
        case CLAIM_TTL:
            err = certlib__cbr_uint(&r, &t->ttl);
            break;
        case CLAIM_STATUS_LIST: {
            uint64_t m;
            if ((err = certlib__cbr_map(&r, &m))) break;
            if (m > 4) return CERTLIB_E_CBOR_LIMIT;
            certlib_slice inner_keys[4];
            for (uint64_t j = 0; j < m && !err; j++) {
                if ((err = certlib__cbr_tstr(&r, &inner_keys[j]))) break;
                if (slice_eq_str(inner_keys[j], "bits")) {
                    uint64_t bits;
                    err = certlib__cbr_uint(&r, &bits);
                    if (!err && !bits_ok((unsigned)bits)) err = CERTLIB_E_STATUS_LIST;
                    t->bits = (unsigned)bits;
                } else if (slice_eq_str(inner_keys[j], "lst")) {
                    err = certlib__cbr_bstr(&r, &lst);
                    have_list = true;
                } else {
                    err = certlib__cbr_skip(&r, 2); /* aggregation_uri and later additions */
                }
            }
            if (!err) err = certlib__cbr_unique_keys(inner_keys, (size_t)m);
            break;
        }
        default:
            err = certlib__cbr_skip(&r, 1);
            break;
        }
        if (err) return err == CERTLIB_E_CBOR_TYPE ? CERTLIB_E_STATUS_LIST : err;
    }
    if ((err = certlib__cbr_unique_keys(keys, (size_t)n))) return err;
    if ((err = cbr_done(&r))) return err;
    if (!t->uri.ptr || !have_iat || !have_list || !t->bits) return CERTLIB_E_STATUS_LIST;
    t->lst = lst;
    return CERTLIB_OK;
}

certlib_err certlib__status_token_parse(const uint8_t *cwt, size_t len, certlib__status_token *t)
{
    memset(t, 0, sizeof(*t));
    if (len > CERTLIB_STATUS_LIST_MAX_BYTES) return CERTLIB_E_CBOR_LIMIT;
    cbr r;
    cbr_init(&r, cwt, len);
    certlib_err err = certlib__sign1_decode(&r, &t->sign1);
    if (!err) err = cbr_done(&r);
    /* draft-ietf-oauth-status-list §5.2: typ is a protected header; an unprotected one proves nothing */
    if (!err && (!slice_eq_str(t->sign1.typ, TYP_STATUSLIST_CWT) || !t->sign1.typ_protected))
        err = CERTLIB_E_STATUS_LIST;
    if (!err) err = read_claims(t->sign1.payload, t);
    return err;
}

certlib_err certlib__status_token_list(const certlib__status_token *t, certlib_status_list **out)
{
    *out = NULL;
    certlib_status_list *list = calloc(1, sizeof(*list));
    if (!list) return CERTLIB_E_NOMEM;
    list->bits = t->bits;
    certlib_err err = inflate_capped(t->lst, &list->bytes, &list->n_bytes);
    if (!err && !(list->uri = strndup((const char *)t->uri.ptr, t->uri.len))) err = CERTLIB_E_NOMEM;
    if (!err && strlen(list->uri) != t->uri.len) err = CERTLIB_E_STATUS_LIST; /* NUL inside the URI */
    if (err) {
        certlib_status_list_free(list);
        return err;
    }
    *out = list;
    return CERTLIB_OK;
}

const char *certlib__status_list_uri(const certlib_status_list *list)
{
    return list->uri;
}

certlib_err certlib_status_list_decode(const uint8_t *cwt, size_t len, certlib_status_list **out,
                                       certlib_status_token_info *info)
{
    if (!cwt || !out) return CERTLIB_E_INVALID_ARGUMENT;
    *out = NULL;
    certlib__status_token t;
    certlib_err err = certlib__status_token_parse(cwt, len, &t);
    if (!err) err = certlib__status_token_list(&t, out);
    if (err) return err;
    if (info) {
        info->uri = (*out)->uri;
        info->iat = t.iat;
        info->exp = t.exp;
        info->ttl = t.ttl;
    }
    return CERTLIB_OK;
}
