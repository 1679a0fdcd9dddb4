/* Presentations (present.h): making one, as the app does, and taking one apart for verification
 * (device_auth.c holds the session transcript; verify.c runs the checks). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cbor/cbor_read.h"
#include "certlib/licence.h"
#include "present/device_auth.h"
#include "verify/verify_internal.h"

struct certlib_device_key {
    certlib__privkey key;
};

certlib_err certlib_device_key_new(certlib_slice pem, certlib_device_key **out)
{
    if (!out || !pem.ptr) return CERTLIB_E_INVALID_ARGUMENT;
    *out = NULL;
    certlib_device_key *k = calloc(1, sizeof(*k));
    if (!k) return CERTLIB_E_NOMEM;
    certlib_err err = certlib__device_key_load(pem, &k->key);
    if (err) {
        free(k);
        return err;
    }
    *out = k;
    return CERTLIB_OK;
}

void certlib_device_key_free(certlib_device_key *k)
{
    if (!k) return;
    certlib__privkey_clear(&k->key);
    free(k);
}

/* The DeviceResponse for `session`, with the echo of `echo` when there is one. */
static certlib_err present_with(const uint8_t *licence, size_t len, const char *const *keep, size_t n_keep,
                                const certlib__privkey *key, const certlib_oid4vp_session *session,
                                const certlib_challenge *echo, uint8_t **out, size_t *out_len)
{
    *out = NULL;
    certlib_err err;
    uint8_t *issuer_signed = NULL;
    size_t is_len = 0;
    err = certlib_licence_disclose(licence, len, keep, n_keep, &issuer_signed, &is_len);
    cbw auth = {0}, w = {0}, ns = {0};
    if (!err) {
        certlib__device_auth_bytes(&auth, session);
        err = cbw_status(&auth);
    }
    if (!err) {
        certlib__cbw_raw(&ns, "\xa0", 1); /* {}: no device-signed elements */
        certlib__cbw_map(&w, echo ? 4 : 3);
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
        err = certlib__sign1_encode_detached(&w, key, auth.buf, auth.len);
    }
    if (!err) {
        certlib__cbw_tstr(&w, "status");
        certlib__cbw_uint(&w, 0);
        if (echo) {
            certlib__cbw_tstr(&w, "challenge");
            certlib__challenge_echo(&w, echo);
        }
        err = cbw_status(&w);
    }
    if (!err) *out = certlib__cbw_take(&w, out_len);
    certlib__cbw_free(&w);
    certlib__cbw_free(&auth);
    certlib__cbw_free(&ns);
    if (issuer_signed) {
        sodium_memzero(issuer_signed, is_len); /* personal data */
        certlib_free(issuer_signed);
    }
    return err;
}

/* The same with a key read from PEM for this one presentation. */
static certlib_err present(const uint8_t *licence, size_t len, const char *const *keep, size_t n_keep,
                           certlib_slice device_key_pem, const certlib_oid4vp_session *session,
                           const certlib_challenge *echo, uint8_t **out, size_t *out_len)
{
    *out = NULL;
    certlib__privkey key;
    certlib_err err = certlib__device_key_load(device_key_pem, &key);
    if (err) return err;
    err = present_with(licence, len, keep, n_keep, &key, session, echo, out, out_len);
    certlib__privkey_clear(&key);
    return err;
}

static bool session_ok(const certlib_oid4vp_session *s)
{
    return s && s->client_id && *s->client_id && s->nonce && *s->nonce && s->response_uri && *s->response_uri;
}

certlib_err certlib_present(const uint8_t *licence, size_t len, const char *const *keep, size_t n_keep,
                            certlib_slice device_key_pem, const certlib_challenge *challenge, uint8_t **out,
                            size_t *out_len)
{
    if (!licence || !device_key_pem.ptr || !challenge || !out || !out_len) return CERTLIB_E_INVALID_ARGUMENT;
    struct certlib__challenge_session cs;
    certlib__challenge_session(challenge, &cs);
    return present(licence, len, keep, n_keep, device_key_pem, &cs.session, challenge, out, out_len);
}

certlib_err certlib_present_oid4vp(const uint8_t *licence, size_t len, const char *const *keep, size_t n_keep,
                                   certlib_slice device_key_pem, const certlib_oid4vp_session *session,
                                   uint8_t **out, size_t *out_len)
{
    if (!licence || !device_key_pem.ptr || !session_ok(session) || !out || !out_len)
        return CERTLIB_E_INVALID_ARGUMENT;
    return present(licence, len, keep, n_keep, device_key_pem, session, NULL, out, out_len);
}

certlib_err certlib_present_oid4vp_with_key(const uint8_t *licence, size_t len, const char *const *keep,
                                            size_t n_keep, const certlib_device_key *key,
                                            const certlib_oid4vp_session *session, uint8_t **out,
                                            size_t *out_len)
{
    if (!licence || !key || !session_ok(session) || !out || !out_len) return CERTLIB_E_INVALID_ARGUMENT;
    return present_with(licence, len, keep, n_keep, &key->key, session, NULL, out, out_len);
}

/* ---- taking a presentation apart ---- */

static certlib_err read_challenge(cbr *r, struct certlib__holder_proof *p)
{
    uint64_t n;
    certlib_slice tag;
    if (certlib__cbr_array(r, &n) || n != 3 || certlib__cbr_tstr(r, &tag) ||
        !slice_eq_str(tag, CERTLIB__ECHO_LABEL) || certlib__cbr_tstr(r, &p->echo_counter) ||
        certlib__cbr_bstr(r, &p->echo_nonce))
        return CERTLIB_E_PRESENTATION;
    p->has_echo = true;
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
            if (certlib__cbr_embedded(r, &inner, &whole) || inner.len != 1 || inner.ptr[0] != 0xa0)
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
    bool have_doc = false, have_challenge = false; /* the echo is optional, but at most once */
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
        } else if (slice_eq_str(key, "challenge") && !have_challenge) {
            e = read_challenge(&r, p);
            have_challenge = true;
        } else {
            e = CERTLIB_E_PRESENTATION;
        }
        if (e) return e;
    }
    if (cbr_done(&r) || !have_doc) return CERTLIB_E_PRESENTATION;
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

static certlib_err verify(const certlib_ctx *ctx, const uint8_t *presentation, size_t len,
                          const certlib_oid4vp_session *session, const certlib_challenge *expected,
                          const certlib_verify_opts *opts, certlib_result **out)
{
    struct certlib__holder_proof proof = {.session = session, .expected = expected};
    certlib_slice issuer_signed = {0};
    if (len > CERTLIB_LICENCE_MAX_BYTES)
        proof.malformed = CERTLIB_E_CBOR_LIMIT;
    else
        proof.malformed = read_presentation(presentation, len, &proof, &issuer_signed);
    return certlib__verify_licence(ctx, issuer_signed.ptr, issuer_signed.len, opts, &proof, out);
}

certlib_err certlib_presentation_verify(const certlib_ctx *ctx, const uint8_t *presentation, size_t len,
                                        const certlib_challenge *expected, const certlib_verify_opts *opts,
                                        certlib_result **out)
{
    if (!ctx || !presentation || !expected || !out) return CERTLIB_E_INVALID_ARGUMENT;
    struct certlib__challenge_session cs;
    certlib__challenge_session(expected, &cs);
    return verify(ctx, presentation, len, &cs.session, expected, opts, out);
}

certlib_err certlib_presentation_verify_oid4vp(const certlib_ctx *ctx, const uint8_t *presentation,
                                               size_t len, const certlib_oid4vp_session *session,
                                               const certlib_verify_opts *opts, certlib_result **out)
{
    if (!ctx || !presentation || !session_ok(session) || !out) return CERTLIB_E_INVALID_ARGUMENT;
    return verify(ctx, presentation, len, session, NULL, opts, out);
}
