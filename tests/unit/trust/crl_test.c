/* certlib/src/crl.c: a root's CRL revokes the document and status signers it names, in every
 * algorithm (SM2 CRLs need the GM/T 0009 id OpenSSL 3.0 leaves out); CRLs from elsewhere, altered,
 * malformed or delta CRLs are refused; the newest CRL of a root wins. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"

static const char *const algs[] = {"sm2", "p256", "ed25519"};

static void *read_pem(const char *rel, void *(*reader)(FILE *, void *, pem_password_cb *, void *))
{
    FILE *f = fopen(fixture_path(rel), "r");
    assert_non_null(f);
    void *obj = reader(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(obj);
    return obj;
}

/* A CRL naming `issuer` (a certificate of pki/<alg>/) as its issuer, signed by `signer_alg`'s root key,
 * revoking the named demo certificates of `alg`, as PEM; `this_update` orders CRLs; `delta` marks it a
 * delta CRL. */
static char *make_crl_by(const char *alg, const char *issuer, const char *signer_alg,
                         const char *const *revoke, size_t n, int64_t this_update, bool delta)
{
    char rel[128];
    snprintf(rel, sizeof(rel), "pki/%s/%s.crt", alg, issuer);
    X509 *root = read_pem(rel, (void *(*)(FILE *, void *, pem_password_cb *, void *))PEM_read_X509);
    snprintf(rel, sizeof(rel), "pki/%s/root.key", signer_alg);
    EVP_PKEY *key = read_pem(rel, (void *(*)(FILE *, void *, pem_password_cb *, void *))PEM_read_PrivateKey);
    X509_CRL *crl = X509_CRL_new();
    X509_CRL_set_version(crl, X509_CRL_VERSION_2);
    X509_CRL_set_issuer_name(crl, X509_get_subject_name(root));
    ASN1_TIME *t = ASN1_TIME_set(NULL, (time_t)this_update);
    X509_CRL_set1_lastUpdate(crl, t);
    ASN1_TIME_set(t, (time_t)(this_update + 30 * 86400));
    X509_CRL_set1_nextUpdate(crl, t);
    for (size_t i = 0; i < n; i++) {
        snprintf(rel, sizeof(rel), "pki/%s/%s.crt", alg, revoke[i]);
        X509 *c = read_pem(rel, (void *(*)(FILE *, void *, pem_password_cb *, void *))PEM_read_X509);
        X509_REVOKED *r = X509_REVOKED_new();
        X509_REVOKED_set_serialNumber(r, X509_get_serialNumber(c));
        X509_REVOKED_set_revocationDate(r, t);
        X509_CRL_add0_revoked(crl, r);
        X509_free(c);
    }
    if (delta) {
        ASN1_INTEGER *base = ASN1_INTEGER_new();
        ASN1_INTEGER_set(base, 1);
        X509_CRL_add1_ext_i2d(crl, NID_delta_crl, base, 1, 0);
        ASN1_INTEGER_free(base);
    }
    X509_CRL_sort(crl);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    bool sm2 = EVP_PKEY_is_a(key, "SM2");
    bool ed = EVP_PKEY_is_a(key, "ED25519");
    assert_int_equal(EVP_DigestSignInit(md, &pctx, ed ? NULL : sm2 ? EVP_sm3() : EVP_sha256(), NULL, key), 1);
    if (sm2) assert_int_equal(EVP_PKEY_CTX_set1_id(pctx, "1234567812345678", 16), 1);
    assert_true(X509_CRL_sign_ctx(crl, md) > 0);
    BIO *bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509_CRL(bio, crl);
    char *data;
    long len = BIO_get_mem_data(bio, &data);
    char *pem = strndup(data, (size_t)len);
    BIO_free(bio);
    EVP_MD_CTX_free(md);
    ASN1_TIME_free(t);
    X509_CRL_free(crl);
    EVP_PKEY_free(key);
    X509_free(root);
    return pem;
}

static char *make_crl(const char *alg, const char *signer_alg, const char *const *revoke, size_t n,
                      int64_t this_update, bool delta)
{
    return make_crl_by(alg, "root", signer_alg, revoke, n, this_update, delta);
}

static certlib_err verdict_reason(const certlib_ctx *ctx, const char *alg, const char *dept)
{
    certlib_signer *signer = fixture_signer(alg, dept);
    size_t len;
    uint8_t *lic = fixture_licence(signer, NULL, &len);
    certlib_result *r = fixture_verify(ctx, lic, len, 0);
    certlib_err reason = certlib_result_reason(r);
    certlib_result_free(r);
    certlib_free(lic);
    certlib_signer_free(signer);
    return reason;
}

static void test_crl_revokes_in_every_algorithm(void **state)
{
    (void)state;
    for (size_t a = 0; a < 3; a++) {
        certlib_ctx *ctx = fixture_ctx();
        assert_int_equal(verdict_reason(ctx, algs[a], "mz"), CERTLIB_OK);
        static const char *const revoke[] = {"mz"};
        char *pem = make_crl(algs[a], algs[a], revoke, 1, FIXTURE_SIGNED, false);
        certlib_err err = certlib_ctx_add_crl(ctx, (const uint8_t *)pem, strlen(pem));
        if (err) fail_msg("%s CRL: %s", algs[a], certlib_err_name(err));
        assert_int_equal(verdict_reason(ctx, algs[a], "mz"), CERTLIB_E_SIGNER_REVOKED);
        assert_int_equal(verdict_reason(ctx, algs[a], "scjg"), CERTLIB_OK);
        /* An older CRL that does not list it changes nothing; a newer one that does not, lifts it. */
        char *older = make_crl(algs[a], algs[a], NULL, 0, FIXTURE_SIGNED - 86400, false);
        assert_int_equal(certlib_ctx_add_crl(ctx, (const uint8_t *)older, strlen(older)), CERTLIB_OK);
        assert_int_equal(verdict_reason(ctx, algs[a], "mz"), CERTLIB_E_SIGNER_REVOKED);
        char *newer = make_crl(algs[a], algs[a], NULL, 0, FIXTURE_SIGNED + 86400, false);
        assert_int_equal(certlib_ctx_add_crl(ctx, (const uint8_t *)newer, strlen(newer)), CERTLIB_OK);
        assert_int_equal(verdict_reason(ctx, algs[a], "mz"), CERTLIB_OK);
        free(pem);
        free(older);
        free(newer);
        certlib_ctx_free(ctx);
    }
}

static void test_refused_crls(void **state)
{
    (void)state;
    certlib_ctx *ctx = fixture_ctx();
    static const char *const revoke[] = {"mz"};
    /* Claims the P-256 root, signed by the Ed25519 root's key. */
    char *pem = make_crl("p256", "ed25519", revoke, 1, FIXTURE_SIGNED, false);
    assert_int_equal(certlib_ctx_add_crl(ctx, (const uint8_t *)pem, strlen(pem)), CERTLIB_E_SIGNATURE);
    free(pem);
    /* Issued in the name of a document signer, not a root. */
    pem = make_crl_by("p256", "scjg", "p256", revoke, 1, FIXTURE_SIGNED, false);
    assert_int_equal(certlib_ctx_add_crl(ctx, (const uint8_t *)pem, strlen(pem)), CERTLIB_E_UNTRUSTED);
    free(pem);
    /* Altered after signing: a byte of the base64 body. */
    pem = make_crl("sm2", "sm2", revoke, 1, FIXTURE_SIGNED, false);
    char *body = strchr(pem, '\n') + 40;
    *body = *body == 'A' ? 'B' : 'A';
    certlib_err err = certlib_ctx_add_crl(ctx, (const uint8_t *)pem, strlen(pem));
    assert_true(err == CERTLIB_E_SIGNATURE || err == CERTLIB_E_CRL);
    free(pem);
    pem = make_crl("p256", "p256", revoke, 1, FIXTURE_SIGNED, true);
    assert_int_equal(certlib_ctx_add_crl(ctx, (const uint8_t *)pem, strlen(pem)), CERTLIB_E_CRL);
    free(pem);
    assert_int_equal(certlib_ctx_add_crl(ctx, (const uint8_t *)"junk", 4), CERTLIB_E_CRL);
    static const char not_crl[] = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    assert_int_equal(certlib_ctx_add_crl(ctx, (const uint8_t *)not_crl, sizeof(not_crl) - 1), CERTLIB_E_CRL);
    assert_int_equal(verdict_reason(ctx, "p256", "mz"), CERTLIB_OK);
    certlib_ctx_free(ctx);
}

/* A revoked status signer's lists are refused; the bundle may carry CRLs itself. */
static void test_status_signer_and_bundle_crls(void **state)
{
    (void)state;
    static const char *const revoke[] = {"status"};
    char *pem = make_crl("ed25519", "ed25519", revoke, 1, FIXTURE_SIGNED, false);
    FILE *f = fopen(fixture_path("trust.json"), "r");
    char *text = calloc(1, 1 << 20);
    assert_true(fread(text, 1, (1 << 20) - 1, f) > 0);
    fclose(f);
    json_t *doc = json_loads(text, 0, NULL);
    json_object_set_new(doc, "crls", json_pack("[s]", pem));
    char *json = json_dumps(doc, 0);
    certlib_ctx *ctx = fixture_ctx_from(json);
    certlib_status_list *list;
    assert_int_equal(certlib_status_list_new(64, 2, &list), CERTLIB_OK);
    certlib_signer *status = fixture_signer("ed25519", "status");
    uint8_t *cwt;
    size_t len;
    assert_int_equal(certlib_status_list_sign(list, status, "https://127.0.0.1:8443/v1/status/1", FIXTURE_NOW,
                                              0, 0, &cwt, &len),
                     CERTLIB_OK);
    assert_int_equal(certlib_ctx_add_status_list_at(ctx, cwt, len, FIXTURE_NOW, 0), CERTLIB_E_SIGNER_REVOKED);
    /* A bundle CRL that no root issued makes the bundle fail to load. */
    json_object_set_new(doc, "crls",
                        json_pack("[s]", "-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n"));
    char *bad = json_dumps(doc, 0);
    certlib_ctx *refused;
    assert_int_equal(certlib_ctx_new(&refused), CERTLIB_OK);
    assert_int_equal(certlib_ctx_load_trust(refused, (const uint8_t *)bad, strlen(bad)),
                     CERTLIB_E_TRUST_BUNDLE);
    assert_non_null(strstr(certlib_ctx_trust_error(refused), "crls[0]"));
    certlib_ctx_free(refused);
    free(bad);
    certlib_free(cwt);
    certlib_signer_free(status);
    certlib_status_list_free(list);
    certlib_ctx_free(ctx);
    free(json);
    json_decref(doc);
    free(text);
    free(pem);
}

int main(int argc, char **argv)
{
    if (argc != 2) return 2;
    fixture_keys_dir = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crl_revokes_in_every_algorithm),
        cmocka_unit_test(test_refused_crls),
        cmocka_unit_test(test_status_signer_and_bundle_crls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
