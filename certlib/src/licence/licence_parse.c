/* IssuerSigned and MSO decoding (ISO/IEC 18013-5 §8.3.2.1.2.2 and §9.1.2.4), strict: every field
 * typed, required fields present, no duplicate keys, limits on every count. Nothing is trusted here;
 * verify.c decides what the parsed structure is worth. */
#include <stdlib.h>
#include <string.h>

#include "licence/licence_parse.h"
#include "base/timeutil.h"

#define MAX_MAP_KEYS 16 /* the most keys any fixed-schema map here may have */

/* COSE_Key {1: 1 (OKP), -1: 6 (Ed25519), -2: x} where x is the Ed25519 point Elligator 2 maps
 * SHA-256("cn.gov.elicence.1 unbound device key") to (crypto_core_ed25519_from_uniform): a valid key
 * whose private key no one knows. tests/unit/licence_test.c recomputes it. */
const uint8_t certlib__unbound_device_key[] = {
    0xa3, 0x01, 0x01, 0x20, 0x06, 0x21, 0x58, 0x20, 0x12, 0xed, 0x38, 0xd2, 0xae, 0x8d,
    0xd6, 0x29, 0xb7, 0xf4, 0xe1, 0xf0, 0x55, 0xcb, 0x9e, 0xb3, 0xb1, 0x93, 0x25, 0xf4,
    0xf7, 0x23, 0xea, 0xa1, 0xf9, 0x2d, 0x38, 0xdc, 0xf9, 0xdb, 0x92, 0xc4,
};
const size_t certlib__unbound_device_key_len = sizeof(certlib__unbound_device_key);

/* Reads a map whose keys are text, calling `field` for each; `field` must consume the value. Checks
 * the key count limit and key uniqueness. */
typedef certlib_err (*field_fn)(cbr *r, certlib_slice key, void *arg);

static certlib_err read_text_map(cbr *r, field_fn field, void *arg)
{
    uint64_t n;
    certlib_err err = certlib__cbr_map(r, &n);
    if (err) return err;
    if (n > MAX_MAP_KEYS) return CERTLIB_E_CBOR_LIMIT;
    certlib_slice keys[MAX_MAP_KEYS];
    for (uint64_t i = 0; i < n; i++) {
        if ((err = certlib__cbr_tstr(r, &keys[i]))) return err;
        if ((err = field(r, keys[i], arg))) return err;
    }
    return certlib__cbr_unique_keys(keys, (size_t)n);
}

static certlib_err read_tdate(cbr *r, int64_t *t)
{
    uint64_t tag;
    certlib_slice s;
    certlib_err err = certlib__cbr_tag(r, &tag);
    if (err) return err;
    if (tag != 0) return CERTLIB_E_CBOR_TYPE;
    if ((err = certlib__cbr_tstr(r, &s))) return err;
    return certlib__tdate_parse(s.ptr, s.len, t);
}

/* ---- IssuerSignedItem ---- */

struct item_fields {
    certlib__item *item;
    unsigned seen;
};

/* Namespaces and element identifiers are handed out as C strings: one holding a NUL byte would read as
 * a shorter name ("holder_id\0x" as a second "holder_id") while every byte-wise check here sees two
 * different names. Text values are another matter: they are checked against their element's type. */
static bool is_name(certlib_slice s)
{
    return s.len == 0 || memchr(s.ptr, 0, s.len) == NULL;
}

static certlib_err item_field(cbr *r, certlib_slice key, void *arg)
{
    struct item_fields *f = arg;
    certlib_err err;
    if (slice_eq_str(key, "digestID")) {
        f->seen |= 1;
        return certlib__cbr_uint(r, &f->item->digest_id);
    }
    if (slice_eq_str(key, "random")) {
        certlib_slice random;
        f->seen |= 2;
        if ((err = certlib__cbr_bstr(r, &random))) return err;
        return random.len >= 16 ? CERTLIB_OK : CERTLIB_E_CBOR_TYPE; /* ISO 18013-5 §9.1.2.5 */
    }
    if (slice_eq_str(key, "elementIdentifier")) {
        f->seen |= 4;
        if ((err = certlib__cbr_tstr(r, &f->item->identifier))) return err;
        if (f->item->identifier.len == 0 || f->item->identifier.len > 128) return CERTLIB_E_CBOR_LIMIT;
        return is_name(f->item->identifier) ? CERTLIB_OK : CERTLIB_E_CBOR_TYPE;
    }
    if (slice_eq_str(key, "elementValue")) {
        f->seen |= 8;
        return certlib__cbr_raw(r, 3, &f->item->value);
    }
    return CERTLIB_E_CBOR_TYPE; /* IssuerSignedItem has exactly these four fields */
}

static certlib_err parse_item(cbr *r, certlib_slice ns, certlib__item *item)
{
    certlib_slice inner;
    certlib_err err = certlib__cbr_embedded(r, &inner, &item->whole);
    if (err) return err;
    item->ns = ns;
    cbr ir;
    cbr_init(&ir, inner.ptr, inner.len);
    struct item_fields f = {item, 0};
    if ((err = read_text_map(&ir, item_field, &f))) return err;
    if (f.seen != 15) return CERTLIB_E_CBOR_TYPE;
    return cbr_done(&ir);
}

/* One namespace names each element once: with two "licence_id" items the scope check and the result
 * could read different ones (ISO 18013-5 §8.3.2.1.2.2: an element identifier is unique in its
 * namespace). */
static certlib_err unique_identifiers(const certlib__item *items, size_t n)
{
    for (size_t i = 1; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (items[i].identifier.len == items[j].identifier.len &&
                memcmp(items[i].identifier.ptr, items[j].identifier.ptr, items[i].identifier.len) == 0)
                return CERTLIB_E_DUPLICATE_ELEMENT;
    return CERTLIB_OK;
}

static certlib_err parse_name_spaces(cbr *r, certlib__licence *lic)
{
    uint64_t n_ns;
    certlib_err err = certlib__cbr_map(r, &n_ns);
    if (err) return err;
    if (n_ns > CERTLIB_LICENCE_MAX_NAMESPACES) return CERTLIB_E_CBOR_LIMIT;
    certlib_slice keys[CERTLIB_LICENCE_MAX_NAMESPACES];
    size_t cap = 0;
    for (uint64_t i = 0; i < n_ns; i++) {
        uint64_t n;
        if ((err = certlib__cbr_tstr(r, &keys[i]))) return err;
        if (!is_name(keys[i])) return CERTLIB_E_CBOR_TYPE;
        if ((err = certlib__cbr_array(r, &n))) return err;
        if (n == 0) return CERTLIB_E_CBOR_TYPE; /* ISO 18013-5: IssuerSignedItemBytes arrays are non-empty */
        if (lic->n_items + n > CERTLIB_LICENCE_MAX_ELEMENTS) return CERTLIB_E_CBOR_LIMIT;
        if (lic->n_items + n > cap) {
            cap = lic->n_items + n < 16 ? 16 : (lic->n_items + n) * 2;
            if (cap > CERTLIB_LICENCE_MAX_ELEMENTS) cap = CERTLIB_LICENCE_MAX_ELEMENTS;
            certlib__item *grown = realloc(lic->items, cap * sizeof(*grown));
            if (!grown) return CERTLIB_E_NOMEM;
            lic->items = grown;
        }
        size_t first = lic->n_items;
        for (uint64_t j = 0; j < n; j++) {
            if ((err = parse_item(r, keys[i], &lic->items[lic->n_items]))) return err;
            lic->n_items++;
        }
        if ((err = unique_identifiers(lic->items + first, lic->n_items - first))) return err;
    }
    return certlib__cbr_unique_keys(keys, (size_t)n_ns);
}

/* ---- MSO ---- */

static int digest_cmp(const void *a, const void *b)
{
    const certlib__value_digest *x = a, *y = b;
    if (x->ns != y->ns) return x->ns < y->ns ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static certlib_err parse_value_digests(cbr *r, certlib__mso *mso)
{
    uint64_t n_ns;
    certlib_err err = certlib__cbr_map(r, &n_ns);
    if (err) return err;
    if (n_ns > CERTLIB_LICENCE_MAX_NAMESPACES) return CERTLIB_E_CBOR_LIMIT;
    size_t cap = 0;
    for (uint64_t i = 0; i < n_ns; i++) {
        uint64_t n;
        if ((err = certlib__cbr_tstr(r, &mso->ns[i]))) return err;
        mso->n_ns = (size_t)i + 1;
        if ((err = certlib__cbr_map(r, &n))) return err;
        if (mso->n_digests + n > CERTLIB_LICENCE_MAX_ELEMENTS) return CERTLIB_E_CBOR_LIMIT;
        if (mso->n_digests + n > cap) {
            cap = mso->n_digests + n < 16 ? 16 : (mso->n_digests + n) * 2;
            if (cap > CERTLIB_LICENCE_MAX_ELEMENTS) cap = CERTLIB_LICENCE_MAX_ELEMENTS;
            certlib__value_digest *grown = realloc(mso->digests, cap * sizeof(*grown));
            if (!grown) return CERTLIB_E_NOMEM;
            mso->digests = grown;
        }
        for (uint64_t j = 0; j < n; j++) {
            certlib__value_digest *d = &mso->digests[mso->n_digests];
            certlib_slice digest;
            d->ns = (uint16_t)i;
            if ((err = certlib__cbr_uint(r, &d->id))) return err;
            if ((err = certlib__cbr_bstr(r, &digest))) return err;
            if (digest.len != CERTLIB_DIGEST_LEN) return CERTLIB_E_MSO;
            d->digest = digest.ptr;
            mso->n_digests++;
        }
    }
    if ((err = certlib__cbr_unique_keys(mso->ns, mso->n_ns))) return err;
    if (mso->n_digests > 1) qsort(mso->digests, mso->n_digests, sizeof(*mso->digests), digest_cmp);
    for (size_t i = 1; i < mso->n_digests; i++)
        if (digest_cmp(&mso->digests[i - 1], &mso->digests[i]) == 0) return CERTLIB_E_DUPLICATE_DIGEST_ID;
    return CERTLIB_OK;
}

struct validity_fields {
    certlib__mso *mso;
    unsigned seen;
};

static certlib_err validity_field(cbr *r, certlib_slice key, void *arg)
{
    struct validity_fields *f = arg;
    static const char *const names[] = {"signed", "validFrom", "validUntil"};
    int64_t *const fields[] = {&f->mso->signed_at, &f->mso->valid_from, &f->mso->valid_until};
    for (unsigned i = 0; i < 3; i++)
        if (slice_eq_str(key, names[i])) {
            f->seen |= 1u << i;
            return read_tdate(r, fields[i]);
        }
    if (slice_eq_str(key, "expectedUpdate")) {
        int64_t ignored;
        return read_tdate(r, &ignored);
    }
    return certlib__cbr_skip(r, 3);
}

static certlib_err status_list_field(cbr *r, certlib_slice key, void *arg)
{
    certlib__mso *mso = arg;
    if (slice_eq_str(key, "idx")) return certlib__cbr_uint(r, &mso->status_idx);
    if (slice_eq_str(key, "uri")) return certlib__cbr_tstr(r, &mso->status_uri);
    return certlib__cbr_skip(r, 4);
}

static certlib_err status_field(cbr *r, certlib_slice key, void *arg)
{
    certlib__mso *mso = arg;
    if (!slice_eq_str(key, "status_list")) return certlib__cbr_skip(r, 3); /* other status mechanisms */
    mso->has_status = true;
    return read_text_map(r, status_list_field, mso);
}

static certlib_err device_key_info_field(cbr *r, certlib_slice key, void *arg)
{
    certlib__mso *mso = arg;
    if (slice_eq_str(key, "deviceKey")) {
        if (certlib__cbr_peek(r) != CBR_MAP) return CERTLIB_E_MSO;
        return certlib__cbr_raw(r, 3, &mso->device_key);
    }
    return certlib__cbr_skip(r, 3); /* keyAuthorizations, keyInfo */
}

struct mso_fields {
    certlib__mso *mso;
    unsigned seen;
};

static certlib_err mso_field(cbr *r, certlib_slice key, void *arg)
{
    struct mso_fields *f = arg;
    certlib__mso *mso = f->mso;
    certlib_err err;
    certlib_slice s;
    if (slice_eq_str(key, "version")) {
        f->seen |= 1;
        if ((err = certlib__cbr_tstr(r, &s))) return err;
        return slice_eq_str(s, "1.0") ? CERTLIB_OK : CERTLIB_E_MSO;
    }
    if (slice_eq_str(key, "digestAlgorithm")) {
        f->seen |= 2;
        if ((err = certlib__cbr_tstr(r, &s))) return err;
        if (slice_eq_str(s, "SHA-256"))
            mso->digest_alg = CERTLIB_DIGEST_SHA256;
        else if (slice_eq_str(s, "SM3"))
            mso->digest_alg = CERTLIB_DIGEST_SM3;
        else
            return CERTLIB_E_UNSUPPORTED_DIGEST;
        return CERTLIB_OK;
    }
    if (slice_eq_str(key, "valueDigests")) {
        f->seen |= 4;
        return parse_value_digests(r, mso);
    }
    if (slice_eq_str(key, "deviceKeyInfo")) {
        f->seen |= 8;
        if ((err = read_text_map(r, device_key_info_field, mso))) return err;
        return mso->device_key.ptr ? CERTLIB_OK : CERTLIB_E_MSO;
    }
    if (slice_eq_str(key, "docType")) {
        f->seen |= 16;
        return certlib__cbr_tstr(r, &mso->doc_type);
    }
    if (slice_eq_str(key, "validityInfo")) {
        struct validity_fields v = {mso, 0};
        f->seen |= 32;
        if ((err = read_text_map(r, validity_field, &v))) return err;
        return v.seen == 7 ? CERTLIB_OK : CERTLIB_E_MSO;
    }
    if (slice_eq_str(key, "status")) {
        if ((err = read_text_map(r, status_field, mso))) return err;
        return !mso->has_status || mso->status_uri.ptr ? CERTLIB_OK : CERTLIB_E_MSO;
    }
    return certlib__cbr_skip(r, 2);
}

static certlib_err parse_mso(certlib_slice payload, certlib__mso *mso)
{
    cbr r;
    certlib_slice inner;
    cbr_init(&r, payload.ptr, payload.len);
    certlib_err err = certlib__cbr_embedded(&r, &inner, NULL);
    if (err) return err;
    if ((err = cbr_done(&r))) return err;
    cbr mr;
    cbr_init(&mr, inner.ptr, inner.len);
    struct mso_fields f = {mso, 0};
    if ((err = read_text_map(&mr, mso_field, &f))) return err;
    if ((err = cbr_done(&mr))) return err;
    return f.seen == 63 ? CERTLIB_OK : CERTLIB_E_MSO;
}

/* ---- IssuerSigned ---- */

certlib_err certlib__licence_parse(const uint8_t *p, size_t len, certlib__licence *lic)
{
    memset(lic, 0, sizeof(*lic));
    if (len > CERTLIB_LICENCE_MAX_BYTES) return CERTLIB_E_CBOR_LIMIT;
    cbr r;
    cbr_init(&r, p, len);
    uint64_t n;
    certlib_err err = certlib__cbr_map(&r, &n);
    if (!err && (n < 1 || n > 2)) err = CERTLIB_E_CBOR_TYPE;
    certlib_slice keys[2];
    bool have_auth = false;
    for (uint64_t i = 0; !err && i < n; i++) {
        if ((err = certlib__cbr_tstr(&r, &keys[i]))) break;
        const uint8_t *start = r.p;
        if (slice_eq_str(keys[i], "nameSpaces")) {
            err = parse_name_spaces(&r, lic);
            lic->name_spaces_raw = (certlib_slice){start, (size_t)(r.p - start)};
        } else if (slice_eq_str(keys[i], "issuerAuth")) {
            err = certlib__sign1_decode(&r, &lic->auth);
            lic->issuer_auth_raw = (certlib_slice){start, (size_t)(r.p - start)};
            have_auth = true;
        } else {
            err = CERTLIB_E_CBOR_TYPE;
        }
    }
    if (!err) err = certlib__cbr_unique_keys(keys, (size_t)n);
    if (!err && !have_auth) err = CERTLIB_E_CBOR_TYPE;
    if (!err) err = cbr_done(&r);
    if (!err) err = parse_mso(lic->auth.payload, &lic->mso);
    if (err) certlib__licence_clear(lic);
    return err;
}

void certlib__licence_clear(certlib__licence *lic)
{
    free(lic->items);
    free(lic->mso.digests);
    memset(lic, 0, sizeof(*lic));
}

const uint8_t *certlib__mso_digest(const certlib__mso *mso, certlib_slice ns, uint64_t id)
{
    size_t k = 0;
    while (k < mso->n_ns && !(mso->ns[k].len == ns.len && memcmp(mso->ns[k].ptr, ns.ptr, ns.len) == 0))
        k++;
    if (k == mso->n_ns) return NULL;
    certlib__value_digest key = {.ns = (uint16_t)k, .id = id};
    const certlib__value_digest *d = bsearch(&key, mso->digests, mso->n_digests, sizeof(key), digest_cmp);
    return d ? d->digest : NULL;
}

certlib_err certlib_licence_signature_hash(const uint8_t *licence, size_t len, uint8_t out[32])
{
    if (!licence || !out) return CERTLIB_E_INVALID_ARGUMENT;
    certlib__licence lic;
    certlib_err e = certlib__licence_parse(licence, len, &lic);
    if (e) return e;
    e = certlib__digest(CERTLIB_DIGEST_SHA256, lic.issuer_auth_raw.ptr, lic.issuer_auth_raw.len, out);
    certlib__licence_clear(&lic);
    return e;
}
