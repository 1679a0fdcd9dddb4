/* Challenges and presentations (present.h): making them, as the counter and the app do, and taking a
 * presentation apart for verify.c's holder check. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cbor_read.h"
#include "certlib/licence.h"
#include "present_internal.h"
#include "tlog_internal.h"

#define HANDOVER "cn.gov.elicence.counter.1"

bool certlib_counter_id_valid(const char *s, size_t n)
{
    if (!s || n < 1 || n > CERTLIB_COUNTER_ID_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

certlib_err certlib_challenge_new(const char *counter_id, certlib_challenge *out)
{
    if (!counter_id || !out || !certlib_counter_id_valid(counter_id, strlen(counter_id)))
        return CERTLIB_E_INVALID_ARGUMENT;
    memcpy(out->counter_id, counter_id, strlen(counter_id) + 1);
    randombytes_buf(out->nonce, CERTLIB_NONCE_LEN);
    return CERTLIB_OK;
}

certlib_err certlib_challenge_format(const certlib_challenge *c, char *out, size_t cap)
{
    if (!c || !out) return CERTLIB_E_INVALID_ARGUMENT;
    char nonce[32];
    sodium_bin2base64(nonce, sizeof(nonce), c->nonce, CERTLIB_NONCE_LEN,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    int n = snprintf(out, cap, CERTLIB_CHALLENGE_PREFIX "%s:%s", c->counter_id, nonce);
    return n < 0 || (size_t)n >= cap ? CERTLIB_E_BUFFER_TOO_SMALL : CERTLIB_OK;
}

certlib_err certlib_challenge_parse(const char *text, size_t len, certlib_challenge *out)
{
    if (!text || !out) return CERTLIB_E_INVALID_ARGUMENT;
    while (len && (text[0] == ' ' || text[0] == '\t' || text[0] == '\r' || text[0] == '\n'))
        text++, len--;
    while (len &&
           (text[len - 1] == ' ' || text[len - 1] == '\t' || text[len - 1] == '\r' || text[len - 1] == '\n'))
        len--;
    size_t pl = sizeof(CERTLIB_CHALLENGE_PREFIX) - 1;
    if (len < pl || memcmp(text, CERTLIB_CHALLENGE_PREFIX, pl) != 0) return CERTLIB_E_CHALLENGE;
    const char *id = text + pl, *colon = memchr(id, ':', len - pl);
    if (!colon || !certlib_counter_id_valid(id, (size_t)(colon - id))) return CERTLIB_E_CHALLENGE;
    size_t nonce_len;
    if (certlib__b64url_decode(colon + 1, (size_t)(text + len - colon - 1), out->nonce, CERTLIB_NONCE_LEN,
                               &nonce_len) ||
        nonce_len != CERTLIB_NONCE_LEN)
        return CERTLIB_E_CHALLENGE;
    memcpy(out->counter_id, id, (size_t)(colon - id));
    out->counter_id[colon - id] = '\0';
    return CERTLIB_OK;
}

static void handover(cbw *w, const certlib_challenge *c)
{
    certlib__cbw_array(w, 3);
    certlib__cbw_tstr(w, HANDOVER);
    certlib__cbw_tstr(w, c->counter_id);
    certlib__cbw_bstr(w, c->nonce, CERTLIB_NONCE_LEN);
}

static const uint8_t empty_map = 0xa0;

void certlib__device_auth_bytes(cbw *out, const certlib_challenge *c)
{
    cbw inner = {0}, ns = {0};
    certlib__cbw_raw(&ns, &empty_map, 1);
    certlib__cbw_array(&inner, 4);
    certlib__cbw_tstr(&inner, "DeviceAuthentication");
    certlib__cbw_array(&inner, 3); /* SessionTranscript: no device engagement, no reader key */
    certlib__cbw_raw(&inner, "\xf6\xf6", 2);
    handover(&inner, c);
    certlib__cbw_tstr(&inner, CERTLIB_DOCTYPE);
    certlib__cbw_embedded(&inner, &ns);
    certlib__cbw_embedded(out, &inner);
    if (inner.oom || ns.oom) out->oom = true;
    certlib__cbw_free(&inner);
    certlib__cbw_free(&ns);
}

certlib_err certlib_present(const uint8_t *licence, size_t len, const char *const *keep, size_t n_keep,
                            certlib_slice device_key_pem, const certlib_challenge *challenge, uint8_t **out,
                            size_t *out_len)
{
    if (!licence || !device_key_pem.ptr || !challenge || !out || !out_len) return CERTLIB_E_INVALID_ARGUMENT;
    *out = NULL;
    certlib__privkey key;
    certlib_err err = certlib__privkey_from_pem(device_key_pem.ptr, device_key_pem.len, &key);
    if (err) return err;
    if (key.alg != CERTLIB_ALG_ES256 && key.alg != CERTLIB_ALG_EDDSA) {
        certlib__privkey_clear(&key);
        return CERTLIB_E_KEY;
    }
    uint8_t *issuer_signed = NULL;
    size_t is_len = 0;
    err = certlib_licence_disclose(licence, len, keep, n_keep, &issuer_signed, &is_len);
    cbw auth = {0}, w = {0}, ns = {0};
    if (!err) {
        certlib__device_auth_bytes(&auth, challenge);
        err = cbw_status(&auth);
    }
    if (!err) {
        certlib__cbw_raw(&ns, &empty_map, 1);
        certlib__cbw_map(&w, 4);
        certlib__cbw_tstr(&w, "version");
        certlib__cbw_tstr(&w, "1.0");
        certlib__cbw_tstr(&w, "documents");
        certlib__cbw_array(&w, 1);
        certlib__cbw_map(&w, 3);
        certlib__cbw_tstr(&w, "docType");
        certlib__cbw_tstr(&w, CERTLIB_DOCTYPE);
        certlib__cbw_tstr(&w, "issuerSigned");
        certlib__cbw_raw(&w, issuer_signed, is_len);
        certlib__cbw_tstr(&w, "deviceSigned");
        certlib__cbw_map(&w, 2);
        certlib__cbw_tstr(&w, "nameSpaces");
        certlib__cbw_embedded(&w, &ns);
        certlib__cbw_tstr(&w, "deviceAuth");
        certlib__cbw_map(&w, 1);
        certlib__cbw_tstr(&w, "deviceSignature");
        err = certlib__sign1_encode_detached(&w, &key, auth.buf, auth.len);
    }
    if (!err) {
        certlib__cbw_tstr(&w, "status");
        certlib__cbw_uint(&w, 0);
        certlib__cbw_tstr(&w, "challenge");
        handover(&w, challenge);
        err = cbw_status(&w);
    }
    if (!err) *out = certlib__cbw_take(&w, out_len);
    certlib__cbw_free(&w);
    certlib__cbw_free(&auth);
    certlib__cbw_free(&ns);
    certlib__privkey_clear(&key);
    if (issuer_signed) {
        sodium_memzero(issuer_signed, is_len); /* personal data */
        certlib_free(issuer_signed);
    }
    return err;
}

/* ---- taking a presentation apart ---- */

static certlib_err read_challenge(cbr *r, struct certlib__holder_proof *p)
{
    uint64_t n;
    certlib_slice tag;
    if (certlib__cbr_array(r, &n) || n != 3 || certlib__cbr_tstr(r, &tag) || !slice_eq_str(tag, HANDOVER) ||
        certlib__cbr_tstr(r, &p->echo_counter) || certlib__cbr_bstr(r, &p->echo_nonce))
        return CERTLIB_E_PRESENTATION;
    return CERTLIB_OK;
}

static certlib_err read_device_signed(cbr *r, struct certlib__holder_proof *p)
{
    uint64_t n, m;
    if (certlib__cbr_map(r, &n) || n > 2) return CERTLIB_E_PRESENTATION;
    for (uint64_t i = 0; i < n; i++) {
        certlib_slice key, inner, whole;
        if (certlib__cbr_tstr(r, &key)) return CERTLIB_E_PRESENTATION;
        if (slice_eq_str(key, "nameSpaces")) {
            /* no device-signed elements in this profile: the issuer vouches for everything shown */
            if (certlib__cbr_embedded(r, &inner, &whole) || inner.len != 1 || inner.ptr[0] != empty_map)
                return CERTLIB_E_PRESENTATION;
        } else if (slice_eq_str(key, "deviceAuth")) {
            if (certlib__cbr_map(r, &m) || m > 1) return CERTLIB_E_PRESENTATION;
            if (m == 1) {
                if (certlib__cbr_tstr(r, &key) || !slice_eq_str(key, "deviceSignature") ||
                    certlib__sign1_decode(r, &p->signature) != CERTLIB_OK)
                    return CERTLIB_E_PRESENTATION;
                p->has_signature = true;
            }
        } else {
            return CERTLIB_E_PRESENTATION;
        }
    }
    return CERTLIB_OK;
}

static certlib_err read_document(cbr *r, struct certlib__holder_proof *p, certlib_slice *issuer_signed)
{
    uint64_t n;
    bool have_is = false;
    if (certlib__cbr_map(r, &n) || n > 3) return CERTLIB_E_PRESENTATION;
    for (uint64_t i = 0; i < n; i++) {
        certlib_slice key, doc_type;
        if (certlib__cbr_tstr(r, &key)) return CERTLIB_E_PRESENTATION;
        if (slice_eq_str(key, "docType")) {
            if (certlib__cbr_tstr(r, &doc_type) || !slice_eq_str(doc_type, CERTLIB_DOCTYPE))
                return CERTLIB_E_PRESENTATION;
        } else if (slice_eq_str(key, "issuerSigned")) {
            if (certlib__cbr_raw(r, 3, issuer_signed)) return CERTLIB_E_PRESENTATION;
            have_is = true;
        } else if (slice_eq_str(key, "deviceSigned")) {
            certlib_err e = read_device_signed(r, p);
            if (e) return e;
        } else {
            return CERTLIB_E_PRESENTATION;
        }
    }
    return have_is ? CERTLIB_OK : CERTLIB_E_PRESENTATION;
}

static certlib_err read_presentation(const uint8_t *b, size_t len, struct certlib__holder_proof *p,
                                     certlib_slice *issuer_signed)
{
    cbr r;
    cbr_init(&r, b, len);
    uint64_t n, docs;
    bool have_doc = false, have_challenge = false;
    if (certlib__cbr_map(&r, &n) || n > 4) return CERTLIB_E_PRESENTATION;
    for (uint64_t i = 0; i < n; i++) {
        certlib_slice key, version;
        uint64_t status;
        certlib_err e = CERTLIB_OK;
        if (certlib__cbr_tstr(&r, &key)) return CERTLIB_E_PRESENTATION;
        if (slice_eq_str(key, "version")) {
            if (certlib__cbr_tstr(&r, &version) || !slice_eq_str(version, "1.0")) e = CERTLIB_E_PRESENTATION;
        } else if (slice_eq_str(key, "documents")) {
            if (certlib__cbr_array(&r, &docs) || docs != 1) return CERTLIB_E_PRESENTATION;
            e = read_document(&r, p, issuer_signed);
            have_doc = true;
        } else if (slice_eq_str(key, "status")) {
            if (certlib__cbr_uint(&r, &status) || status != 0) e = CERTLIB_E_PRESENTATION;
        } else if (slice_eq_str(key, "challenge")) {
            e = read_challenge(&r, p);
            have_challenge = true;
        } else {
            e = CERTLIB_E_PRESENTATION;
        }
        if (e) return e;
    }
    if (cbr_done(&r) || !have_doc || !have_challenge) return CERTLIB_E_PRESENTATION;
    return CERTLIB_OK;
}

bool certlib_is_presentation(const uint8_t *cbor, size_t len)
{
    cbr r;
    cbr_init(&r, cbor, len);
    uint64_t n;
    certlib_slice key;
    if (!cbor || certlib__cbr_map(&r, &n)) return false;
    for (uint64_t i = 0; i < n && i < 8; i++) {
        if (certlib__cbr_tstr(&r, &key)) return false;
        if (slice_eq_str(key, "documents")) return true;
        if (certlib__cbr_skip(&r, 1)) return false;
    }
    return false;
}

certlib_err certlib_presentation_verify(const certlib_ctx *ctx, const uint8_t *presentation, size_t len,
                                        const certlib_challenge *expected, const certlib_verify_opts *opts,
                                        certlib_result **out)
{
    if (!ctx || !presentation || !expected || !out) return CERTLIB_E_INVALID_ARGUMENT;
    struct certlib__holder_proof proof = {.expected = expected};
    certlib_slice issuer_signed = {0};
    if (len > CERTLIB_LICENCE_MAX_BYTES)
        proof.malformed = CERTLIB_E_CBOR_LIMIT;
    else
        proof.malformed = read_presentation(presentation, len, &proof, &issuer_signed);
    return certlib__verify_licence(ctx, issuer_signed.ptr, issuer_signed.len, opts, &proof, out);
}
