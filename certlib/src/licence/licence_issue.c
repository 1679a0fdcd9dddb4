/* Issuing a licence: metadata items, type-specific items, the MSO and the issuer's COSE_Sign1. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "certlib/ident.h"
#include "cose/cose.h"
#include "cose/cose_key.h"
#include "licence/elements.h"
#include "licence/licence_parse.h"
#include "cose/signer_internal.h"
#include "base/timeutil.h"
#include "base/utf8.h"

#define MAX_TIME                                                                                             \
    253402271999LL /* 9999-12-31 23:59:59 China Standard Time: the last date a licence can name */
#define SERIAL_LEN 20
#define RANDOM_LEN 16 /* ISO 18013-5 §9.1.2.5: at least 16 random bytes per item */

struct pending_item {
    const char *ns;
    certlib_element element;
    uint64_t digest_id;
    cbw encoded; /* #6.24(bstr .cbor IssuerSignedItem) */
    uint8_t digest[CERTLIB_DIGEST_LEN];
};

struct build {
    struct pending_item *items;
    size_t n, cap;
    char type_ns[64];
    char holder_id[19];
    char issue_date[11], valid_from[11], valid_until[11];
};

static certlib_err add(struct build *b, const char *ns, const certlib_element *e)
{
    if (b->n == b->cap) return CERTLIB_E_CBOR_LIMIT;
    struct pending_item *it = &b->items[b->n++];
    memset(it, 0, sizeof(*it));
    it->ns = ns;
    it->element = *e;
    return CERTLIB_OK;
}

static certlib_err add_text(struct build *b, const char *identifier, const char *text)
{
    certlib_element e = {.identifier = identifier, .type = CERTLIB_VALUE_TEXT, .text = text};
    return add(b, CERTLIB_NS_META, &e);
}

static certlib_err add_date(struct build *b, const char *identifier, const char *date)
{
    certlib_element e = {.identifier = identifier, .type = CERTLIB_VALUE_DATE, .text = date};
    return add(b, CERTLIB_NS_META, &e);
}

static bool text_ok(const char *s)
{
    return s && *s && certlib__utf8_valid((const uint8_t *)s, strlen(s));
}

/* The holder id, checked and normalised, and its GB/T 36903 type code. */
static certlib_err holder(const certlib_licence_spec *spec, struct build *b, const char **type_code)
{
    if (!spec->holder_id) return CERTLIB_E_INVALID_ARGUMENT;
    certlib_ident id;
    certlib_err err = certlib_ident_check(spec->holder_id, strlen(spec->holder_id), NULL, &id);
    if (err) return err;
    if (id.kind == CERTLIB_IDENT_RIC15 || id.kind == CERTLIB_IDENT_ORG_CODE) return CERTLIB_E_IDENT_KIND;
    memcpy(b->holder_id, id.normalized, sizeof(b->holder_id));
    *type_code = spec->holder_id_type_code;
    if (!*type_code) {
        if (id.kind == CERTLIB_IDENT_RIC)
            *type_code = CERTLIB_HOLDER_ID_TYPE_RIC;
        else if (id.kind == CERTLIB_IDENT_USCC)
            *type_code = CERTLIB_HOLDER_ID_TYPE_USCC;
        else
            return CERTLIB_E_IDENT_KIND; /* no default code for this kind: the caller must name one */
    }
    return text_ok(*type_code) ? CERTLIB_OK : CERTLIB_E_INVALID_ARGUMENT;
}

static void random_serial(char out[SERIAL_LEN + 1])
{
    static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    for (int i = 0; i < SERIAL_LEN; i++)
        out[i] = alphabet[randombytes_uniform(36)];
    out[SERIAL_LEN] = '\0';
}

/* Encodes each item with a random digestID (a random permutation: the IDs reveal nothing about the
 * order or the names of withheld elements) and computes its digest. */
static certlib_err encode_items(struct build *b, certlib__digest_alg digest_alg)
{
    uint64_t *ids = malloc(b->n * sizeof(*ids));
    if (!ids) return CERTLIB_E_NOMEM;
    for (size_t i = 0; i < b->n; i++)
        ids[i] = i;
    for (size_t i = b->n; i > 1; i--) {
        size_t j = randombytes_uniform((uint32_t)i);
        uint64_t t = ids[i - 1];
        ids[i - 1] = ids[j];
        ids[j] = t;
    }
    certlib_err err = CERTLIB_OK;
    for (size_t i = 0; i < b->n && !err; i++) {
        struct pending_item *it = &b->items[i];
        uint8_t random[RANDOM_LEN];
        randombytes_buf(random, sizeof(random));
        it->digest_id = ids[i];
        cbw inner = {0};
        certlib__cbw_map(&inner, 4);
        certlib__cbw_tstr(&inner, "digestID");
        certlib__cbw_uint(&inner, it->digest_id);
        certlib__cbw_tstr(&inner, "random");
        certlib__cbw_bstr(&inner, random, sizeof(random));
        certlib__cbw_tstr(&inner, "elementIdentifier");
        certlib__cbw_tstr(&inner, it->element.identifier);
        certlib__cbw_tstr(&inner, "elementValue");
        err = certlib__element_encode(&inner, &it->element);
        if (!err) {
            certlib__cbw_embedded(&it->encoded, &inner);
            err = cbw_status(&it->encoded);
        }
        certlib__cbw_free(&inner);
        if (!err) err = certlib__digest(digest_alg, it->encoded.buf, it->encoded.len, it->digest);
    }
    free(ids);
    return err;
}

static void write_tdate(cbw *w, int64_t t)
{
    char s[21];
    certlib__tdate_format(t, s);
    certlib__cbw_tag(w, 0);
    certlib__cbw_tstr(w, s);
}

/* Items of one namespace, in build order. */
static size_t count_ns(const struct build *b, const char *ns)
{
    size_t n = 0;
    for (size_t i = 0; i < b->n; i++)
        n += b->items[i].ns == ns;
    return n;
}

static certlib_err build_mso(const struct build *b, const certlib_licence_spec *spec,
                             certlib__digest_alg digest_alg, int64_t signed_at, int64_t valid_from, cbw *mso)
{
    const char *namespaces[2] = {CERTLIB_NS_META, b->type_ns};
    size_t n_ns = count_ns(b, b->type_ns) ? 2 : 1;
    certlib__cbw_map(mso, spec->status_uri ? 7 : 6);
    certlib__cbw_tstr(mso, "version");
    certlib__cbw_tstr(mso, "1.0");
    certlib__cbw_tstr(mso, "digestAlgorithm");
    certlib__cbw_tstr(mso, digest_alg == CERTLIB_DIGEST_SM3 ? "SM3" : "SHA-256");
    certlib__cbw_tstr(mso, "valueDigests");
    certlib__cbw_map(mso, n_ns);
    for (size_t k = 0; k < n_ns; k++) {
        certlib__cbw_tstr(mso, namespaces[k]);
        certlib__cbw_map(mso, count_ns(b, namespaces[k]));
        /* Deterministic order (RFC 8949 §4.2.1): by digestID. */
        for (uint64_t id = 0; id < b->n; id++)
            for (size_t i = 0; i < b->n; i++)
                if (b->items[i].ns == namespaces[k] && b->items[i].digest_id == id) {
                    certlib__cbw_uint(mso, id);
                    certlib__cbw_bstr(mso, b->items[i].digest, CERTLIB_DIGEST_LEN);
                }
    }
    certlib__cbw_tstr(mso, "deviceKeyInfo");
    certlib__cbw_map(mso, 1);
    certlib__cbw_tstr(mso, "deviceKey");
    if (spec->device_key.len)
        certlib__cbw_raw(mso, spec->device_key.ptr, spec->device_key.len);
    else
        certlib__cbw_raw(mso, certlib__unbound_device_key, certlib__unbound_device_key_len);
    certlib__cbw_tstr(mso, "docType");
    certlib__cbw_tstr(mso, CERTLIB_DOCTYPE);
    certlib__cbw_tstr(mso, "validityInfo");
    certlib__cbw_map(mso, 3);
    certlib__cbw_tstr(mso, "signed");
    write_tdate(mso, signed_at);
    certlib__cbw_tstr(mso, "validFrom");
    write_tdate(mso, valid_from);
    certlib__cbw_tstr(mso, "validUntil");
    write_tdate(mso, spec->valid_until);
    if (spec->status_uri) {
        certlib__cbw_tstr(mso, "status");
        certlib__cbw_map(mso, 1);
        certlib__cbw_tstr(mso, "status_list");
        certlib__cbw_map(mso, 2);
        certlib__cbw_tstr(mso, "idx");
        certlib__cbw_uint(mso, spec->status_idx);
        certlib__cbw_tstr(mso, "uri");
        certlib__cbw_tstr(mso, spec->status_uri);
    }
    return cbw_status(mso);
}

static void write_issuer_signed(const struct build *b, const cbw *auth, cbw *out)
{
    const char *namespaces[2] = {CERTLIB_NS_META, b->type_ns};
    size_t n_ns = count_ns(b, b->type_ns) ? 2 : 1;
    certlib__cbw_map(out, 2);
    certlib__cbw_tstr(out, "nameSpaces");
    certlib__cbw_map(out, n_ns);
    for (size_t k = 0; k < n_ns; k++) {
        certlib__cbw_tstr(out, namespaces[k]);
        certlib__cbw_array(out, count_ns(b, namespaces[k]));
        for (size_t i = 0; i < b->n; i++)
            if (b->items[i].ns == namespaces[k])
                certlib__cbw_raw(out, b->items[i].encoded.buf, b->items[i].encoded.len);
    }
    certlib__cbw_tstr(out, "issuerAuth");
    certlib__cbw_raw(out, auth->buf, auth->len);
}

static certlib_err check_spec(const certlib_signer *signer, const certlib_licence_spec *spec,
                              int64_t signed_at, int64_t valid_from)
{
    if (!text_ok(spec->licence_type_code) || !text_ok(spec->licence_name) || !text_ok(spec->holder_name))
        return CERTLIB_E_INVALID_ARGUMENT;
    if ((spec->licence_number && !text_ok(spec->licence_number)) ||
        (spec->issuer_name && !text_ok(spec->issuer_name)))
        return CERTLIB_E_INVALID_ARGUMENT;
    if (signed_at < 0 || signed_at > MAX_TIME || valid_from < 0 || spec->valid_until > MAX_TIME ||
        spec->valid_until <= valid_from)
        return CERTLIB_E_INVALID_ARGUMENT;
    if (spec->status_uri && !text_ok(spec->status_uri)) return CERTLIB_E_INVALID_ARGUMENT;
    if (spec->n_elements > CERTLIB_LICENCE_MAX_ELEMENTS - 16 || (spec->n_elements && !spec->elements))
        return CERTLIB_E_INVALID_ARGUMENT;
    if (!signer->cert.issuer_code[0]) return CERTLIB_E_ISSUER_MISMATCH;
    for (size_t i = 0; i < spec->n_elements; i++) {
        if (!spec->elements[i].identifier || !certlib__identifier_ok(spec->elements[i].identifier))
            return CERTLIB_E_ELEMENT_VALUE;
        for (size_t j = 0; j < i; j++)
            if (strcmp(spec->elements[i].identifier, spec->elements[j].identifier) == 0)
                return CERTLIB_E_ELEMENT_VALUE;
    }
    if (spec->device_key.len) { /* a key every verifier can use: P-256 points must be on the curve */
        certlib__cose_key key;
        certlib__pubkey pub;
        certlib_err err = certlib__cose_key_parse(spec->device_key, &key);
        if (!err) err = certlib__cose_key_pubkey(&key, &pub);
        if (!err) certlib__pubkey_clear(&pub);
        return err;
    }
    return CERTLIB_OK;
}

certlib_err certlib_licence_issue(const certlib_signer *signer, const certlib_licence_spec *spec,
                                  uint8_t **out, size_t *out_len, char *licence_id)
{
    return certlib_licence_issue_ex(signer, spec, out, out_len, licence_id, NULL);
}

certlib_err certlib_licence_issue_ex(const certlib_signer *signer, const certlib_licence_spec *spec,
                                     uint8_t **out, size_t *out_len, char *licence_id, uint8_t sig_hash[32])
{
    if (!signer || !spec || !out || !out_len) return CERTLIB_E_INVALID_ARGUMENT;
    *out = NULL;
    *out_len = 0;
    if (sodium_init() < 0) return CERTLIB_E_INTERNAL;
    int64_t signed_at = spec->signed_at ? spec->signed_at : certlib__now();
    int64_t valid_from = spec->valid_from ? spec->valid_from : signed_at;
    certlib_err err = check_spec(signer, spec, signed_at, valid_from);
    if (err) return err;

    struct build b = {.cap = 16 + spec->n_elements};
    b.items = calloc(b.cap, sizeof(*b.items));
    if (!b.items) return CERTLIB_E_NOMEM;
    const char *holder_type = NULL;
    char serial[SERIAL_LEN + 1], id[CERTLIB_LICENCE_ID_MAX];
    cbw mso = {0}, payload = {0}, auth = {0}, doc = {0};
    certlib__digest_alg digest_alg =
        signer->key.alg == CERTLIB_ALG_SM2_SM3 ? CERTLIB_DIGEST_SM3 : CERTLIB_DIGEST_SHA256;

    if ((err = holder(spec, &b, &holder_type))) goto done;
    if ((err = certlib_type_namespace(spec->licence_type_code, b.type_ns, sizeof(b.type_ns)))) goto done;
    if (!spec->serial) random_serial(serial);
    err = certlib_licence_id_make(spec->licence_type_code, signer->cert.issuer_code,
                                  spec->serial ? spec->serial : serial, spec->version ? spec->version : 1, id,
                                  sizeof(id));
    if (err) goto done;
    const char *issuer_name = spec->issuer_name ? spec->issuer_name : signer->cert.org_name;
    if (!text_ok(issuer_name)) { /* a signer certificate without O needs an explicit issuer_name */
        err = CERTLIB_E_INVALID_ARGUMENT;
        goto done;
    }
    certlib__cst_date_format(signed_at, b.issue_date);
    certlib__cst_date_format(valid_from, b.valid_from);
    certlib__cst_date_format(spec->valid_until, b.valid_until);

    /* GB/T 36903 metadata, in the standard's order, then the type's own elements. */
    const char *const values[CERTLIB_METADATA_COUNT] = {
        [CERTLIB_META_LICENCE_ID] = id,
        [CERTLIB_META_LICENCE_TYPE_CODE] = spec->licence_type_code,
        [CERTLIB_META_LICENCE_NAME] = spec->licence_name,
        [CERTLIB_META_LICENCE_NUMBER] =
            spec->licence_number ? spec->licence_number : (spec->serial ? spec->serial : serial),
        [CERTLIB_META_HOLDER_NAME] = spec->holder_name,
        [CERTLIB_META_HOLDER_ID_TYPE_CODE] = holder_type,
        [CERTLIB_META_HOLDER_ID] = b.holder_id,
        [CERTLIB_META_ISSUER_NAME] = issuer_name,
        [CERTLIB_META_ISSUER_CODE] = signer->cert.issuer_code,
        [CERTLIB_META_ISSUE_DATE] = b.issue_date,
        [CERTLIB_META_VALID_FROM] = b.valid_from,
        [CERTLIB_META_VALID_UNTIL] = b.valid_until,
    };
    for (int m = 0; !err && m < CERTLIB_METADATA_COUNT; m++) {
        const char *name = certlib_metadata_element((certlib_metadata)m);
        err = m >= CERTLIB_META_ISSUE_DATE ? add_date(&b, name, values[m]) : add_text(&b, name, values[m]);
    }
    if (err) goto done;
    for (size_t i = 0; i < spec->n_elements; i++)
        if ((err = add(&b, b.type_ns, &spec->elements[i]))) goto done;

    if ((err = encode_items(&b, digest_alg))) goto done;
    if ((err = build_mso(&b, spec, digest_alg, signed_at, valid_from, &mso))) goto done;
    certlib__cbw_embedded(&payload, &mso);
    if ((err = cbw_status(&payload))) goto done;
    if ((err =
             certlib__sign1_encode(&auth, signer, NULL, spec->with_x5chain, false, payload.buf, payload.len)))
        goto done;
    write_issuer_signed(&b, &auth, &doc);
    if ((err = cbw_status(&doc))) goto done;
    /* issuerAuth goes into the licence as these very bytes: their hash is the licence's */
    if (sig_hash && (err = certlib__digest(CERTLIB_DIGEST_SHA256, auth.buf, auth.len, sig_hash))) goto done;
    *out = certlib__cbw_take(&doc, out_len);
    if (licence_id) memcpy(licence_id, id, strlen(id) + 1);
done:
    for (size_t i = 0; i < b.n; i++)
        certlib__cbw_free(&b.items[i].encoded);
    free(b.items);
    sodium_memzero(b.holder_id, sizeof(b.holder_id));
    certlib__cbw_free(&mso);
    certlib__cbw_free(&payload);
    certlib__cbw_free(&auth);
    certlib__cbw_free(&doc);
    return err;
}
