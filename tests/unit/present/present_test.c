/* certlib present.h: challenges, presentations made as the app would, and every reason the holder
 * check gives (another nonce, another counter, another device, no device signature, an element not
 * covered by the MSO, an unbound licence, malformed input). */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#include "cbor/cbor_write.h"
#include "fixtures.h"

struct device {
    char priv[1024], pub[1024];
    size_t priv_len, pub_len;
};

/* A fresh device key pair in PEM, as a phone's secure element would hold it. */
static void make_device(struct device *d, const char *type)
{
    EVP_PKEY *k = strcmp(type, "EC") == 0 ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")
                                          : EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    assert_non_null(k);
    BIO *a = BIO_new(BIO_s_mem()), *b = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_PrivateKey(a, k, NULL, NULL, 0, NULL, NULL), 1);
    assert_int_equal(PEM_write_bio_PUBKEY(b, k), 1);
    d->priv_len = (size_t)BIO_read(a, d->priv, sizeof(d->priv));
    d->pub_len = (size_t)BIO_read(b, d->pub, sizeof(d->pub));
    BIO_free(a);
    BIO_free(b);
    EVP_PKEY_free(k);
}

static uint8_t *bound_licence(const struct device *d, size_t *len)
{
    certlib_signer *signer = fixture_signer("p256", "ga");
    uint8_t *key;
    size_t key_len;
    assert_int_equal(
        certlib_cose_key_from_pem((certlib_slice){(const uint8_t *)d->pub, d->pub_len}, &key, &key_len),
        CERTLIB_OK);
    certlib_licence_spec spec;
    fixture_spec(&spec);
    spec.device_key = (certlib_slice){key, key_len};
    uint8_t *lic = fixture_licence(signer, &spec, len);
    certlib_free(key);
    certlib_signer_free(signer);
    return lic;
}

static uint8_t *present(const uint8_t *lic, size_t len, const struct device *d, const certlib_challenge *c,
                        size_t *out_len)
{
    static const char *const keep[] = {"holder_name", "registered_capital"};
    uint8_t *p;
    assert_int_equal(certlib_present(lic, len, keep, 2,
                                     (certlib_slice){(const uint8_t *)d->priv, d->priv_len}, c, &p, out_len),
                     CERTLIB_OK);
    return p;
}

/* The holder check's state and reason, and the verdict. */
static certlib_check_result holder(const certlib_ctx *ctx, const uint8_t *p, size_t len,
                                   const certlib_challenge *c, certlib_verdict *verdict)
{
    certlib_verify_opts opts = {.now = FIXTURE_NOW};
    certlib_result *r;
    assert_int_equal(certlib_presentation_verify(ctx, p, len, c, &opts, &r), CERTLIB_OK);
    certlib_check_result h = certlib_result_check(r, CERTLIB_CHECK_HOLDER);
    if (verdict) *verdict = certlib_result_verdict(r);
    certlib_result_free(r);
    return h;
}

static void test_challenges(void **state)
{
    (void)state;
    certlib_challenge a, b;
    char text[CERTLIB_CHALLENGE_TEXT_MAX];
    assert_int_equal(certlib_challenge_new("counter-hz", &a), CERTLIB_OK);
    assert_int_equal(certlib_challenge_format(&a, text, sizeof(text)), CERTLIB_OK);
    assert_true(strncmp(text, "ELC1:counter-hz:", 16) == 0 && strlen(text) == 16 + 22);
    char typed[CERTLIB_CHALLENGE_TEXT_MAX + 8];
    snprintf(typed, sizeof(typed), " %s\r\n", text); /* as a scanner types it */
    assert_int_equal(certlib_challenge_parse(typed, strlen(typed), &b), CERTLIB_OK);
    assert_string_equal(b.counter_id, "counter-hz");
    assert_memory_equal(a.nonce, b.nonce, CERTLIB_NONCE_LEN);
    static const char *const bad[] = {"",
                                      "ELC1:",
                                      "ELC2:counter-hz:AAAAAAAAAAAAAAAAAAAAAA",
                                      "ELC1:Counter:AAAAAAAAAAAAAAAAAAAAAA",
                                      "ELC1::AAAAAAAAAAAAAAAAAAAAAA",
                                      "ELC1:counter-hz:AAAA",
                                      "ELC1:counter-hz:AAAAAAAAAAAAAAAAAAAAA!",
                                      "ELC1:counter hz:AAAAAAAAAAAAAAAAAAAAAA"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(certlib_challenge_parse(bad[i], strlen(bad[i]), &b), CERTLIB_E_CHALLENGE);
    assert_int_equal(certlib_challenge_new("Counter", &a), CERTLIB_E_INVALID_ARGUMENT);
}

static void test_presentations(void **state)
{
    (void)state;
    certlib_ctx *ctx = fixture_ctx();
    static const char *const types[] = {"EC", "ED25519"};
    for (int t = 0; t < 2; t++) {
        struct device d, other;
        make_device(&d, types[t]);
        make_device(&other, types[t]);
        size_t len, plen;
        uint8_t *lic = bound_licence(&d, &len);
        certlib_challenge c, stale, elsewhere;
        assert_int_equal(certlib_challenge_new("counter-hz", &c), CERTLIB_OK);
        assert_int_equal(certlib_challenge_new("counter-hz", &stale), CERTLIB_OK);
        assert_int_equal(certlib_challenge_new("counter-nb", &elsewhere), CERTLIB_OK);
        memcpy(elsewhere.nonce, c.nonce, CERTLIB_NONCE_LEN);
        uint8_t *p = present(lic, len, &d, &c, &plen);
        assert_true(certlib_is_presentation(p, plen));
        assert_false(certlib_is_presentation(lic, len));

        /* the answer to this challenge, with only what was kept */
        certlib_verify_opts opts = {.now = FIXTURE_NOW};
        certlib_result *r;
        assert_int_equal(certlib_presentation_verify(ctx, p, plen, &c, &opts, &r), CERTLIB_OK);
        assert_int_equal(certlib_result_verdict(r), CERTLIB_VERDICT_VALID);
        assert_int_equal(certlib_result_check(r, CERTLIB_CHECK_HOLDER).state, CERTLIB_CHECK_PASSED);
        assert_true(certlib_result_holder_bound(r));
        assert_int_equal(certlib_result_element_count(r), 3); /* licence_id and the two kept */
        assert_null(certlib_result_find(r, NULL, "holder_id"));
        certlib_result_free(r);

        /* the caller's own bookkeeping: the challenge answered has expired, or was answered before */
        static const certlib_err spent[] = {CERTLIB_E_CHALLENGE_EXPIRED, CERTLIB_E_CHALLENGE_REPLAYED};
        for (int k = 0; k < 2; k++) {
            certlib_verify_opts late = {.now = FIXTURE_NOW, .challenge_state = spent[k]};
            assert_int_equal(certlib_presentation_verify(ctx, p, plen, &c, &late, &r), CERTLIB_OK);
            assert_int_equal(certlib_result_verdict(r), CERTLIB_VERDICT_INVALID);
            assert_int_equal(certlib_result_check(r, CERTLIB_CHECK_HOLDER).reason, spent[k]);
            assert_int_equal(certlib_result_check(r, CERTLIB_CHECK_SIGNATURE).state, CERTLIB_CHECK_PASSED);
            certlib_result_free(r);
        }
        /* the bound licence inside, taken out and shown on its own: a copy proves no holder */
        assert_int_equal(certlib_licence_verify(ctx, lic, len, &opts, &r), CERTLIB_OK);
        assert_int_equal(certlib_result_check(r, CERTLIB_CHECK_HOLDER).reason,
                         CERTLIB_E_DEVICE_SIGNATURE_MISSING);
        assert_int_equal(certlib_result_verdict(r), CERTLIB_VERDICT_INVALID);
        certlib_result_free(r);

        /* a stale or replayed nonce, another counter's challenge */
        certlib_verdict v;
        assert_int_equal(holder(ctx, p, plen, &stale, &v).reason, CERTLIB_E_CHALLENGE_NONCE);
        assert_int_equal(v, CERTLIB_VERDICT_INVALID);
        assert_int_equal(holder(ctx, p, plen, &elsewhere, NULL).reason, CERTLIB_E_CHALLENGE_COUNTER);

        /* the echo rewritten to the expected nonce: the signature still covers the old one */
        uint8_t *echo = memmem(p, plen, c.nonce, CERTLIB_NONCE_LEN);
        assert_non_null(echo);
        memcpy(echo, stale.nonce, CERTLIB_NONCE_LEN);
        assert_int_equal(holder(ctx, p, plen, &stale, NULL).reason, CERTLIB_E_DEVICE_SIGNATURE);
        certlib_free(p);

        /* another device's key */
        p = present(lic, len, &other, &c, &plen);
        assert_int_equal(holder(ctx, p, plen, &c, NULL).reason, CERTLIB_E_DEVICE_SIGNATURE);
        certlib_free(p);

        /* an element not covered by the MSO's digest */
        p = present(lic, len, &d, &c, &plen);
        uint8_t *name = memmem(p, plen, "杭州某某", strlen("杭州某某"));
        assert_non_null(name);
        name[1] ^= 1;
        certlib_result *tampered;
        assert_int_equal(certlib_presentation_verify(ctx, p, plen, &c, &opts, &tampered), CERTLIB_OK);
        assert_int_equal(certlib_result_reason(tampered), CERTLIB_E_DIGEST_MISMATCH);
        certlib_result_free(tampered);

        /* every truncation is a precise refusal, never a crash */
        for (size_t cut = 0; cut < plen; cut += 7) {
            certlib_result *cr;
            assert_int_equal(certlib_presentation_verify(ctx, p, cut, &c, &opts, &cr), CERTLIB_OK);
            assert_int_equal(certlib_result_verdict(cr), CERTLIB_VERDICT_INVALID);
            certlib_result_free(cr);
        }
        certlib_free(p);
        certlib_free(lic);
    }
    certlib_ctx_free(ctx);
}

static void test_missing_signature_unbound_and_malformed(void **state)
{
    (void)state;
    certlib_ctx *ctx = fixture_ctx();
    certlib_challenge c;
    assert_int_equal(certlib_challenge_new("counter-hz", &c), CERTLIB_OK);

    /* A DeviceResponse with an empty deviceAuth, written field by field. */
    struct device d;
    make_device(&d, "EC");
    size_t len, is_len;
    uint8_t *lic = bound_licence(&d, &len), *is;
    static const char *const keep[] = {"holder_name"};
    assert_int_equal(certlib_licence_disclose(lic, len, keep, 1, &is, &is_len), CERTLIB_OK);
    cbw w = {0}, ns = {0};
    certlib__cbw_raw(&ns, "\xa0", 1);
    certlib__cbw_map(&w, 4);
    certlib__cbw_tstr(&w, "version"), certlib__cbw_tstr(&w, "1.0");
    certlib__cbw_tstr(&w, "documents"), certlib__cbw_array(&w, 1), certlib__cbw_map(&w, 3);
    certlib__cbw_tstr(&w, "docType"), certlib__cbw_tstr(&w, CERTLIB_DOCTYPE);
    certlib__cbw_tstr(&w, "issuerSigned"), certlib__cbw_raw(&w, is, is_len);
    certlib__cbw_tstr(&w, "deviceSigned"), certlib__cbw_map(&w, 2);
    certlib__cbw_tstr(&w, "nameSpaces"), certlib__cbw_embedded(&w, &ns);
    certlib__cbw_tstr(&w, "deviceAuth"), certlib__cbw_map(&w, 0);
    certlib__cbw_tstr(&w, "status"), certlib__cbw_uint(&w, 0);
    certlib__cbw_tstr(&w, "challenge"), certlib__cbw_array(&w, 3);
    certlib__cbw_tstr(&w, "cn.gov.elicence.counter.1"), certlib__cbw_tstr(&w, c.counter_id);
    certlib__cbw_bstr(&w, c.nonce, CERTLIB_NONCE_LEN);
    assert_int_equal(holder(ctx, w.buf, w.len, &c, NULL).reason, CERTLIB_E_DEVICE_SIGNATURE_MISSING);
    certlib__cbw_free(&w);
    certlib__cbw_free(&ns);
    certlib_free(is);
    certlib_free(lic);

    /* A licence without a device key: it verifies, but binds no one, and the result says so. */
    certlib_signer *signer = fixture_signer("p256", "ga");
    lic = fixture_licence(signer, NULL, &len);
    size_t plen;
    uint8_t *p = present(lic, len, &d, &c, &plen);
    certlib_verdict v;
    certlib_check_result h = holder(ctx, p, plen, &c, &v);
    assert_int_equal(h.state, CERTLIB_CHECK_NOT_APPLICABLE);
    assert_int_equal(v, CERTLIB_VERDICT_VALID);
    certlib_verify_opts opts = {.now = FIXTURE_NOW};
    certlib_result *r;
    assert_int_equal(certlib_presentation_verify(ctx, p, plen, &c, &opts, &r), CERTLIB_OK);
    assert_false(certlib_result_holder_bound(r));
    certlib_result_free(r);
    certlib_free(p);

    /* Not a presentation at all: a bare licence, garbage. */
    static const uint8_t garbage[] = {0xa1, 0x61, 'x', 0x01};
    const struct {
        const uint8_t *b;
        size_t n;
    } bad[] = {{lic, len}, {garbage, sizeof(garbage)}, {garbage, 0}};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(certlib_presentation_verify(ctx, bad[i].b, bad[i].n, &c, &opts, &r), CERTLIB_OK);
        assert_int_equal(certlib_result_reason(r), CERTLIB_E_PRESENTATION);
        certlib_result_free(r);
    }
    certlib_free(lic);
    certlib_signer_free(signer);
    certlib_ctx_free(ctx);
}

/* A DeviceResponse as an ISO 18013-5 wallet writes it, without certlib's echo of the challenge: it
 * verifies against the challenge the counter issued, and an answer to another challenge still fails, by
 * its signature. */
static void test_standard_device_response(void **state)
{
    (void)state;
    certlib_ctx *ctx = fixture_ctx();
    struct device d;
    make_device(&d, "EC");
    size_t len, plen;
    uint8_t *lic = bound_licence(&d, &len);
    certlib_challenge c, stale;
    assert_int_equal(certlib_challenge_new("counter-hz", &c), CERTLIB_OK);
    assert_int_equal(certlib_challenge_new("counter-hz", &stale), CERTLIB_OK);
    uint8_t *p = present(lic, len, &d, &c, &plen);
    /* the echo is the map's last entry: drop it (4 entries become 3) */
    uint8_t *key = memmem(p, plen,
                          "\x69"
                          "challenge",
                          10);
    assert_non_null(key);
    assert_int_equal(p[0], 0xa4);
    p[0] = 0xa3;
    plen = (size_t)(key - p);
    certlib_verify_opts opts = {.now = FIXTURE_NOW};
    certlib_result *r;
    assert_int_equal(certlib_presentation_verify(ctx, p, plen, &c, &opts, &r), CERTLIB_OK);
    assert_int_equal(certlib_result_verdict(r), CERTLIB_VERDICT_VALID);
    assert_int_equal(certlib_result_check(r, CERTLIB_CHECK_HOLDER).state, CERTLIB_CHECK_PASSED);
    certlib_result_free(r);
    assert_int_equal(certlib_presentation_verify(ctx, p, plen, &stale, &opts, &r), CERTLIB_OK);
    assert_int_equal(certlib_result_check(r, CERTLIB_CHECK_HOLDER).reason, CERTLIB_E_DEVICE_SIGNATURE);
    certlib_result_free(r);
    certlib_free(p);
    certlib_free(lic);
    certlib_ctx_free(ctx);
}

/* OpenID4VP sessions: a presentation verifies against the session it answers, and fails by its signature
 * against a session differing in any of its four fields. An offline challenge is the session named in
 * present.h, so its answer verifies as that session too. */
static void test_oid4vp_sessions(void **state)
{
    (void)state;
    certlib_ctx *ctx = fixture_ctx();
    static const char *const keep[] = {"holder_name"};
    static const uint8_t thumb[32] = {1, 2, 3};
    const char *types[] = {"EC", "ED25519"};
    for (size_t t = 0; t < 2; t++) {
        struct device d;
        make_device(&d, types[t]);
        size_t len, plen;
        uint8_t *lic = bound_licence(&d, &len), *p;
        const certlib_oid4vp_session s = {.client_id = "x509_hash:abc",
                                          .nonce = "n-1",
                                          .response_uri =
                                              "https://authd.example/v1/presentation-requests/x/response"};
        certlib_slice key = {(const uint8_t *)d.priv, d.priv_len};
        assert_int_equal(certlib_present_oid4vp(lic, len, keep, 1, key, &s, &p, &plen), CERTLIB_OK);
        assert_int_equal(p[0], 0xa3); /* version, documents, status: no echo */
        certlib_verify_opts opts = {.now = FIXTURE_NOW};
        certlib_result *r;
        assert_int_equal(certlib_presentation_verify_oid4vp(ctx, p, plen, &s, &opts, &r), CERTLIB_OK);
        assert_int_equal(certlib_result_verdict(r), CERTLIB_VERDICT_VALID);
        certlib_result_free(r);
        certlib_oid4vp_session other[4] = {s, s, s, s};
        other[0].client_id = "x509_hash:abd";
        other[1].nonce = "n-2";
        other[2].response_uri = "https://authd.example/v1/presentation-requests/y/response";
        other[3].jwk_thumbprint = thumb;
        for (size_t i = 0; i < 4; i++) {
            assert_int_equal(certlib_presentation_verify_oid4vp(ctx, p, plen, &other[i], &opts, &r),
                             CERTLIB_OK);
            assert_int_equal(certlib_result_check(r, CERTLIB_CHECK_HOLDER).reason,
                             CERTLIB_E_DEVICE_SIGNATURE);
            certlib_result_free(r);
        }
        certlib_oid4vp_session bad = s;
        bad.nonce = "";
        assert_int_equal(certlib_presentation_verify_oid4vp(ctx, p, plen, &bad, &opts, &r),
                         CERTLIB_E_INVALID_ARGUMENT);
        certlib_free(p);

        certlib_challenge c;
        assert_int_equal(certlib_challenge_new("counter-hz", &c), CERTLIB_OK);
        p = present(lic, len, &d, &c, &plen);
        char text[CERTLIB_CHALLENGE_TEXT_MAX];
        assert_int_equal(certlib_challenge_format(&c, text, sizeof(text)), CERTLIB_OK);
        const certlib_oid4vp_session offline = {.client_id = "counter-hz",
                                                .nonce = strrchr(text, ':') + 1,
                                                .response_uri = CERTLIB_OFFLINE_RESPONSE_URI};
        assert_int_equal(certlib_presentation_verify_oid4vp(ctx, p, plen, &offline, &opts, &r), CERTLIB_OK);
        assert_int_equal(certlib_result_check(r, CERTLIB_CHECK_HOLDER).state, CERTLIB_CHECK_PASSED);
        certlib_result_free(r);
        certlib_free(p);
        certlib_free(lic);
    }
    certlib_ctx_free(ctx);
}

/* A device key read once (certlib_device_key) presents as its PEM does, for both algorithms, from as
 * many presentations as asked; another key's presentation fails the holder check; a key of another
 * algorithm, or no key, is refused. */
static void test_a_device_key_read_once(void **state)
{
    (void)state;
    certlib_ctx *ctx = fixture_ctx();
    static const char *const keep[] = {"holder_name"};
    const certlib_oid4vp_session s = {.client_id = "x509_hash:abc",
                                      .nonce = "n-1",
                                      .response_uri =
                                          "https://authd.example/v1/presentation-requests/x/response"};
    certlib_verify_opts opts = {.now = FIXTURE_NOW};
    const char *types[] = {"EC", "ED25519"};
    for (size_t t = 0; t < 2; t++) {
        struct device d, other;
        make_device(&d, types[t]);
        make_device(&other, types[t]);
        size_t len, plen;
        uint8_t *lic = bound_licence(&d, &len), *p;
        certlib_device_key *key, *wrong;
        assert_int_equal(certlib_device_key_new((certlib_slice){(const uint8_t *)d.priv, d.priv_len}, &key),
                         CERTLIB_OK);
        assert_int_equal(
            certlib_device_key_new((certlib_slice){(const uint8_t *)other.priv, other.priv_len}, &wrong),
            CERTLIB_OK);
        for (int round = 0; round < 3; round++) { /* the key stays usable */
            assert_int_equal(certlib_present_oid4vp_with_key(lic, len, keep, 1, key, &s, &p, &plen),
                             CERTLIB_OK);
            certlib_result *r;
            assert_int_equal(certlib_presentation_verify_oid4vp(ctx, p, plen, &s, &opts, &r), CERTLIB_OK);
            assert_int_equal(certlib_result_verdict(r), CERTLIB_VERDICT_VALID);
            assert_int_equal(certlib_result_check(r, CERTLIB_CHECK_HOLDER).state, CERTLIB_CHECK_PASSED);
            certlib_result_free(r);
            certlib_free(p);
        }
        assert_int_equal(certlib_present_oid4vp_with_key(lic, len, keep, 1, wrong, &s, &p, &plen),
                         CERTLIB_OK);
        certlib_result *r;
        assert_int_equal(certlib_presentation_verify_oid4vp(ctx, p, plen, &s, &opts, &r), CERTLIB_OK);
        assert_int_equal(certlib_result_check(r, CERTLIB_CHECK_HOLDER).reason, CERTLIB_E_DEVICE_SIGNATURE);
        certlib_result_free(r);
        certlib_free(p);
        certlib_oid4vp_session bad = s;
        bad.nonce = NULL;
        assert_int_equal(certlib_present_oid4vp_with_key(lic, len, keep, 1, key, &bad, &p, &plen),
                         CERTLIB_E_INVALID_ARGUMENT);
        assert_int_equal(certlib_present_oid4vp_with_key(lic, len, keep, 1, NULL, &s, &p, &plen),
                         CERTLIB_E_INVALID_ARGUMENT);
        certlib_device_key_free(key);
        certlib_device_key_free(wrong);
        certlib_free(lic);
    }
    /* an SM2 key is no device key in this profile; text that is no key at all is refused too */
    FILE *f = fopen(fixture_path("pki/sm2/ga.key"), "rb");
    assert_non_null(f);
    uint8_t sm2[4096];
    size_t n = fread(sm2, 1, sizeof(sm2), f);
    fclose(f);
    certlib_device_key *key = (certlib_device_key *)1;
    assert_int_equal(certlib_device_key_new((certlib_slice){sm2, n}, &key), CERTLIB_E_KEY);
    assert_null(key);
    assert_int_not_equal(certlib_device_key_new((certlib_slice){(const uint8_t *)"not a key", 9}, &key),
                         CERTLIB_OK);
    assert_null(key);
    certlib_device_key_free(NULL);
    certlib_ctx_free(ctx);
}

/* The holder's own requests (the use record): signed by the licence's device, for one licence id and one
 * nonce; anything else fails. */
static void test_holder_requests(void **state)
{
    (void)state;
    static const uint8_t nonce[32] = {1, 2, 3}, other_nonce[32] = {3, 2, 1};
    const char *types[] = {"EC", "ED25519"};
    for (size_t t = 0; t < 2; t++) {
        struct device d, thief;
        make_device(&d, types[t]);
        make_device(&thief, types[t]);
        size_t len, proof_len, stolen_len;
        uint8_t *lic = bound_licence(&d, &len), *proof, *stolen;
        certlib_slice key = {(const uint8_t *)d.priv, d.priv_len};
        assert_int_equal(certlib_holder_request_sign("lic-1", nonce, sizeof(nonce), key, &proof, &proof_len),
                         CERTLIB_OK);
        assert_int_equal(
            certlib_holder_request_verify(lic, len, "lic-1", nonce, sizeof(nonce), proof, proof_len),
            CERTLIB_OK);
        /* another nonce, another licence id, a cut or altered proof */
        assert_int_equal(certlib_holder_request_verify(lic, len, "lic-1", other_nonce, sizeof(other_nonce),
                                                       proof, proof_len),
                         CERTLIB_E_DEVICE_SIGNATURE);
        assert_int_equal(
            certlib_holder_request_verify(lic, len, "lic-2", nonce, sizeof(nonce), proof, proof_len),
            CERTLIB_E_DEVICE_SIGNATURE);
        assert_int_equal(
            certlib_holder_request_verify(lic, len, "lic-1", nonce, sizeof(nonce), proof, proof_len - 1),
            CERTLIB_E_DEVICE_SIGNATURE);
        proof[proof_len - 1] ^= 1;
        assert_int_equal(
            certlib_holder_request_verify(lic, len, "lic-1", nonce, sizeof(nonce), proof, proof_len),
            CERTLIB_E_DEVICE_SIGNATURE);
        /* another device's key */
        assert_int_equal(
            certlib_holder_request_sign("lic-1", nonce, sizeof(nonce),
                                        (certlib_slice){(const uint8_t *)thief.priv, thief.priv_len}, &stolen,
                                        &stolen_len),
            CERTLIB_OK);
        assert_int_equal(
            certlib_holder_request_verify(lic, len, "lic-1", nonce, sizeof(nonce), stolen, stolen_len),
            CERTLIB_E_DEVICE_SIGNATURE);
        /* arguments out of range */
        assert_int_equal(certlib_holder_request_sign("lic-1", nonce, 0, key, &proof, &proof_len),
                         CERTLIB_E_INVALID_ARGUMENT);
        assert_int_equal(certlib_holder_request_sign("", nonce, 1, key, &proof, &proof_len),
                         CERTLIB_E_INVALID_ARGUMENT);
        certlib_free(proof);
        certlib_free(stolen);
        certlib_free(lic);
    }
    /* a licence bound to no device: no proof can be made for it */
    certlib_signer *signer = fixture_signer("p256", "ga");
    size_t len;
    uint8_t *lic = fixture_licence(signer, NULL, &len);
    static const uint8_t junk[] = {0x84, 0x40, 0xa0, 0xf6, 0x40};
    assert_int_equal(
        certlib_holder_request_verify(lic, len, "lic-1", nonce, sizeof(nonce), junk, sizeof(junk)),
        CERTLIB_E_NOT_HOLDER_BOUND);
    certlib_free(lic);
    certlib_signer_free(signer);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: present_test KEYS_EXAMPLE_DIR\n");
        return 2;
    }
    fixture_keys_dir = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_challenges),
        cmocka_unit_test(test_presentations),
        cmocka_unit_test(test_missing_signature_unbound_and_malformed),
        cmocka_unit_test(test_standard_device_response),
        cmocka_unit_test(test_oid4vp_sessions),
        cmocka_unit_test(test_a_device_key_read_once),
        cmocka_unit_test(test_holder_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
