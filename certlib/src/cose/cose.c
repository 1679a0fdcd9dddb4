/* COSE_Sign1 decoding, Sig_structure and signing. */
#include <cbor.h>
#include <stdlib.h>
#include <string.h>

#include "cose/cose.h"
#include "cose/signer_internal.h"

enum { LABEL_ALG = 1, LABEL_CRIT = 2, LABEL_KID = 4, LABEL_TYP = 16, LABEL_X5CHAIN = 33 };

static certlib_alg known_alg(int64_t v)
{
    switch (v) {
    case CERTLIB_ALG_ES256:
        return CERTLIB_ALG_ES256;
    case CERTLIB_ALG_EDDSA:
        return CERTLIB_ALG_EDDSA;
    case CERTLIB_ALG_SM2_SM3:
        return CERTLIB_ALG_SM2_SM3;
    default:
        return CERTLIB_ALG_NONE;
    }
}

/* Reads a header map. Labels are ints or text (RFC 9052 §3); unknown ones are skipped, crit is
 * refused because this profile defines no critical extensions. RFC 9052 §3 forbids a label in both
 * buckets: the protected map's keys come back in `prot` and the unprotected map may repeat none of them
 * (the reader only accepts shortest encodings, so equal labels have equal bytes). */
struct header_keys {
    certlib_slice keys[COSE_MAX_HEADERS];
    size_t n;
};

static bool in_keys(const struct header_keys *k, certlib_slice key)
{
    for (size_t i = 0; i < k->n; i++)
        if (k->keys[i].len == key.len && memcmp(k->keys[i].ptr, key.ptr, key.len) == 0) return true;
    return false;
}

static certlib_err read_headers(cbr *r, bool is_protected, certlib__sign1 *out, struct header_keys *prot)
{
    uint64_t n;
    certlib_err err = certlib__cbr_map(r, &n);
    if (err) return err == CERTLIB_E_CBOR_TYPE ? CERTLIB_E_COSE_HEADER : err;
    if (n > COSE_MAX_HEADERS) return CERTLIB_E_CBOR_LIMIT;
    certlib_slice keys[COSE_MAX_HEADERS];
    for (uint64_t i = 0; i < n; i++) {
        int major = certlib__cbr_peek(r);
        if (major != CBR_UINT && major != CBR_NEGINT && major != CBR_TSTR)
            return major < 0 ? CERTLIB_E_CBOR_TRUNCATED : CERTLIB_E_COSE_HEADER;
        const uint8_t *key_start = r->p;
        int64_t label = 0;
        if (major == CBR_TSTR) {
            if ((err = certlib__cbr_skip(r, 2))) return err;
        } else if ((err = certlib__cbr_int(r, &label))) {
            return err;
        }
        keys[i] = (certlib_slice){key_start, (size_t)(r->p - key_start)};
        if (!is_protected && in_keys(prot, keys[i])) return CERTLIB_E_COSE_HEADER;
        if (major == CBR_TSTR) {
            if ((err = certlib__cbr_skip(r, 2))) return err;
            continue;
        }
        switch (label) {
        case LABEL_ALG: {
            int64_t alg;
            if (!is_protected) return CERTLIB_E_COSE_HEADER; /* alg must be integrity-protected */
            if ((err = certlib__cbr_int(r, &alg)))
                return err == CERTLIB_E_CBOR_TYPE ? CERTLIB_E_COSE_HEADER : err;
            out->alg = known_alg(alg);
            if (out->alg == CERTLIB_ALG_NONE) return CERTLIB_E_UNSUPPORTED_ALG;
            break;
        }
        case LABEL_CRIT:
            return CERTLIB_E_COSE_HEADER;
        case LABEL_KID:
            if ((err = certlib__cbr_bstr(r, &out->kid)))
                return err == CERTLIB_E_CBOR_TYPE ? CERTLIB_E_COSE_HEADER : err;
            if (!out->kid.ptr) out->kid.ptr = (const uint8_t *)""; /* present but empty */
            break;
        case LABEL_TYP:
            if (certlib__cbr_peek(r) == CBR_TSTR) {
                if ((err = certlib__cbr_tstr(r, &out->typ))) return err;
                out->typ_protected = is_protected;
            } else if ((err = certlib__cbr_skip(r, 2))) {
                return err;
            }
            break;
        case LABEL_X5CHAIN:
            if (certlib__cbr_peek(r) == CBR_BSTR) {
                if ((err = certlib__cbr_bstr(r, &out->x5chain[0]))) return err;
                out->n_x5chain = 1;
            } else {
                uint64_t certs;
                if ((err = certlib__cbr_array(r, &certs)))
                    return err == CERTLIB_E_CBOR_TYPE ? CERTLIB_E_COSE_HEADER : err;
                if (certs == 0) return CERTLIB_E_COSE_HEADER;
                if (certs > COSE_MAX_X5CHAIN) return CERTLIB_E_CBOR_LIMIT;
                for (uint64_t c = 0; c < certs; c++)
                    if ((err = certlib__cbr_bstr(r, &out->x5chain[c])))
                        return err == CERTLIB_E_CBOR_TYPE ? CERTLIB_E_COSE_HEADER : err;
                out->n_x5chain = (size_t)certs;
            }
            break;
        default:
            if ((err = certlib__cbr_skip(r, 2))) return err;
            break;
        }
    }
    if ((err = certlib__cbr_unique_keys(keys, (size_t)n))) return err;
    if (is_protected) {
        memcpy(prot->keys, keys, (size_t)n * sizeof(keys[0]));
        prot->n = (size_t)n;
    }
    return CERTLIB_OK;
}

certlib_err certlib__sign1_decode(cbr *r, certlib__sign1 *out)
{
    memset(out, 0, sizeof(*out));
    certlib_err err;
    uint64_t tag, n;
    if (certlib__cbr_peek(r) == CBR_TAG) {
        if ((err = certlib__cbr_tag(r, &tag))) return err;
        if (tag == 61 && certlib__cbr_peek(r) == CBR_TAG && (err = certlib__cbr_tag(r, &tag))) return err;
        if (tag != 18) return CERTLIB_E_CBOR_TYPE;
    }
    if ((err = certlib__cbr_array(r, &n))) return err;
    if (n != 4) return CERTLIB_E_CBOR_TYPE;

    if ((err = certlib__cbr_bstr(r, &out->protected_bytes))) return err;
    cbr prot;
    cbr_init(&prot, out->protected_bytes.ptr, out->protected_bytes.len);
    if (out->protected_bytes.len == 0) return CERTLIB_E_COSE_HEADER; /* alg is required */
    struct header_keys prot_keys = {.n = 0};
    if ((err = read_headers(&prot, true, out, &prot_keys))) return err;
    if ((err = cbr_done(&prot))) return err;
    if (out->alg == CERTLIB_ALG_NONE) return CERTLIB_E_COSE_HEADER;

    if ((err = read_headers(r, false, out, &prot_keys))) return err;
    if (certlib__cbr_peek(r) == CBR_SIMPLE) { /* nil: a detached payload (device signatures) */
        cbr_item it;
        if ((err = certlib__cbr_head(r, &it))) return err;
        if (it.value != CBR_NULL) return CERTLIB_E_CBOR_TYPE;
        out->detached = true;
    } else if ((err = certlib__cbr_bstr(r, &out->payload))) {
        return err;
    }
    if ((err = certlib__cbr_bstr(r, &out->signature))) return err;
    if (out->signature.len != CERTLIB_SIG_LEN) return CERTLIB_E_SIGNATURE;
    return CERTLIB_OK;
}

/* The Sig_structure's bytes: array(4), "Signature1", bstr protected, h'', bstr payload. Verification
 * is the hot path, so small ones are assembled on the stack without any allocation. */
static certlib_err with_sig_structure(const uint8_t *prot, size_t prot_len, const uint8_t *payload,
                                      size_t len, certlib_err (*use)(const uint8_t *, size_t, void *),
                                      void *arg)
{
    uint8_t head[32], mid[16], stack[4096];
    size_t h = cbor_encode_array_start(4, head, sizeof(head));
    h += cbor_encode_string_start(10, head + h, sizeof(head) - h);
    memcpy(head + h, "Signature1", 10);
    h += 10;
    h += cbor_encode_bytestring_start(prot_len, head + h, sizeof(head) - h);
    size_t m = cbor_encode_bytestring_start(0, mid, sizeof(mid));
    m += cbor_encode_bytestring_start(len, mid + m, sizeof(mid) - m);

    size_t total = h + prot_len + m + len;
    uint8_t *buf = total <= sizeof(stack) ? stack : malloc(total);
    if (!buf) return CERTLIB_E_NOMEM;
    uint8_t *p = buf;
    memcpy(p, head, h), p += h;
    memcpy(p, prot, prot_len), p += prot_len;
    memcpy(p, mid, m), p += m;
    memcpy(p, payload, len);
    certlib_err err = use(buf, total, arg);
    if (buf != stack) free(buf);
    return err;
}

struct verify_args {
    const certlib__pubkey *key;
    const uint8_t *sig;
};

static certlib_err do_verify(const uint8_t *msg, size_t len, void *arg)
{
    const struct verify_args *a = arg;
    return certlib__verify(a->key, msg, len, a->sig, CERTLIB_SIG_LEN);
}

certlib_err certlib__sign1_verify_detached(const certlib__sign1 *s, const certlib__pubkey *key,
                                           const uint8_t *payload, size_t len)
{
    if (!s->detached) return CERTLIB_E_COSE_HEADER;
    if (s->alg != key->alg) return CERTLIB_E_ALG_MISMATCH;
    struct verify_args a = {key, s->signature.ptr};
    return with_sig_structure(s->protected_bytes.ptr, s->protected_bytes.len, payload, len, do_verify, &a);
}

certlib_err certlib__sign1_verify(const certlib__sign1 *s, const certlib__pubkey *key)
{
    if (s->detached) return CERTLIB_E_COSE_HEADER; /* the payload is the thing being verified */
    if (s->alg != key->alg) return CERTLIB_E_ALG_MISMATCH;
    struct verify_args a = {key, s->signature.ptr};
    return with_sig_structure(s->protected_bytes.ptr, s->protected_bytes.len, s->payload.ptr, s->payload.len,
                              do_verify, &a);
}

struct sign_args {
    const certlib__privkey *key;
    uint8_t sig[CERTLIB_SIG_LEN];
};

static certlib_err do_sign(const uint8_t *msg, size_t len, void *arg)
{
    struct sign_args *a = arg;
    return certlib__sign(a->key, msg, len, a->sig);
}

certlib_err certlib__sign1_encode(cbw *out, const struct certlib_signer *signer, const char *typ,
                                  bool with_x5chain, bool tagged, const uint8_t *payload, size_t len)
{
    cbw prot = {0};
    certlib__cbw_map(&prot, typ ? 3 : 2);
    certlib__cbw_uint(&prot, LABEL_ALG);
    certlib__cbw_int(&prot, signer->key.alg);
    certlib__cbw_uint(&prot, LABEL_KID);
    certlib__cbw_bstr(&prot, signer->cert.kid, CERTLIB_KID_LEN);
    if (typ) {
        certlib__cbw_uint(&prot, LABEL_TYP);
        certlib__cbw_tstr(&prot, typ);
    }
    certlib_err err = cbw_status(&prot);
    struct sign_args a = {.key = &signer->key};
    if (!err) err = with_sig_structure(prot.buf, prot.len, payload, len, do_sign, &a);
    if (!err) {
        if (tagged) certlib__cbw_tag(out, 18);
        certlib__cbw_array(out, 4);
        certlib__cbw_bstr(out, prot.buf, prot.len);
        certlib__cbw_map(out, with_x5chain ? 1 : 0);
        if (with_x5chain) {
            certlib__cbw_uint(out, LABEL_X5CHAIN);
            certlib__cbw_bstr(out, signer->cert_der, signer->cert_der_len);
        }
        certlib__cbw_bstr(out, payload, len);
        certlib__cbw_bstr(out, a.sig, sizeof(a.sig));
        err = cbw_status(out);
    }
    certlib__cbw_free(&prot);
    return err;
}

certlib_err certlib__sign1_encode_detached(cbw *out, const certlib__privkey *key, const uint8_t *payload,
                                           size_t len)
{
    uint8_t prot[16];
    cbw p = {0};
    certlib__cbw_map(&p, 1);
    certlib__cbw_uint(&p, LABEL_ALG);
    certlib__cbw_int(&p, key->alg);
    certlib_err err = cbw_status(&p);
    size_t prot_len = p.len;
    if (!err && prot_len <= sizeof(prot)) memcpy(prot, p.buf, prot_len);
    certlib__cbw_free(&p);
    if (err) return err;
    struct sign_args a = {.key = key};
    if ((err = with_sig_structure(prot, prot_len, payload, len, do_sign, &a))) return err;
    certlib__cbw_array(out, 4);
    certlib__cbw_bstr(out, prot, prot_len);
    certlib__cbw_map(out, 0);
    certlib__cbw_raw(out, "\xf6", 1); /* nil: the verifier rebuilds the payload */
    certlib__cbw_bstr(out, a.sig, sizeof(a.sig));
    return cbw_status(out);
}
