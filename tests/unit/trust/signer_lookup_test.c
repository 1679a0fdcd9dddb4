/* certlib/src/signer_lookup.c: x5chain signers are remembered only once a signature by them verified,
 * the least recently used make room, a bundle may insist on listed signers, and its deny-list holds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"

#define MANY 300 /* more than the cache's 256 */

static certlib_signer *signers[MANY];
static uint8_t *licences[MANY];
static size_t lengths[MANY];

static int mint_all(void **state)
{
    (void)state;
    struct fixture_mint m = {.alg = "p256"};
    for (int i = 0; i < MANY; i++) {
        signers[i] = fixture_mint(&m, NULL);
        certlib_licence_spec spec;
        fixture_spec(&spec);
        spec.with_x5chain = true;
        licences[i] = fixture_licence(signers[i], &spec, &lengths[i]);
    }
    return 0;
}

static int free_all(void **state)
{
    (void)state;
    for (int i = 0; i < MANY; i++) {
        certlib_free(licences[i]);
        certlib_signer_free(signers[i]);
    }
    return 0;
}

static certlib_verdict verdict_of(const certlib_ctx *ctx, const uint8_t *lic, size_t len, certlib_err *reason)
{
    certlib_result *r = fixture_verify(ctx, lic, len, 0);
    certlib_verdict v = certlib_result_verdict(r);
    if (reason) *reason = certlib_result_reason(r);
    certlib_result_free(r);
    return v;
}

/* 299 licences carrying public certificates and one flipped signature byte each, then a genuine
 * licence by the last signer: it used to find the cache full of forgeries and fail (cbor_limit). */
static void test_forgeries_leave_no_trace(void **state)
{
    (void)state;
    certlib_ctx *ctx = fixture_ctx();
    for (int i = 0; i < MANY - 1; i++) {
        uint8_t *forged = malloc(lengths[i]);
        memcpy(forged, licences[i], lengths[i]);
        forged[lengths[i] - 1] ^= 1;
        certlib_err reason;
        assert_int_equal(verdict_of(ctx, forged, lengths[i], &reason), CERTLIB_VERDICT_INVALID);
        assert_int_equal(reason, CERTLIB_E_SIGNATURE);
        free(forged);
    }
    certlib_err reason;
    certlib_verdict v = verdict_of(ctx, licences[MANY - 1], lengths[MANY - 1], &reason);
    if (v != CERTLIB_VERDICT_VALID)
        fail_msg("a genuine x5chain licence after forgeries: %s", certlib_err_name(reason));
    certlib_ctx_free(ctx);
}

/* More genuine signers than the cache holds: every one verifies, the first again after eviction. */
static void test_least_recently_used_make_room(void **state)
{
    (void)state;
    certlib_ctx *ctx = fixture_ctx();
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < MANY; i++)
            assert_int_equal(verdict_of(ctx, licences[i], lengths[i], NULL), CERTLIB_VERDICT_VALID);
    certlib_ctx_free(ctx);
}

struct worker {
    certlib_ctx *ctx;
    int first, valid;
};

static void *verify_range(void *arg)
{
    struct worker *w = arg;
    for (int k = 0; k < MANY; k++) {
        int i = (w->first + k * 7) % MANY;
        certlib_verify_opts opts = {.now = FIXTURE_NOW};
        certlib_result *r;
        if (certlib_licence_verify(w->ctx, licences[i], lengths[i], &opts, &r) != CERTLIB_OK) continue;
        w->valid += certlib_result_verdict(r) == CERTLIB_VERDICT_VALID;
        certlib_result_free(r);
    }
    return NULL;
}

/* Four threads over 300 signers: evictions while other verifications hold the evicted signer (the
 * sanitizer build catches a use after free). */
static void test_eviction_under_concurrency(void **state)
{
    (void)state;
    certlib_ctx *ctx = fixture_ctx();
    pthread_t threads[4];
    struct worker workers[4];
    for (int t = 0; t < 4; t++) {
        workers[t] = (struct worker){ctx, t * 75, 0};
        assert_int_equal(pthread_create(&threads[t], NULL, verify_range, &workers[t]), 0);
    }
    for (int t = 0; t < 4; t++) {
        pthread_join(threads[t], NULL);
        assert_int_equal(workers[t].valid, MANY);
    }
    certlib_ctx_free(ctx);
}

static char *read_pem(const char *rel)
{
    char *pem = calloc(1, 8192);
    FILE *f = fopen(fixture_path(rel), "r");
    assert_non_null(f);
    assert_true(fread(pem, 1, 8191, f) > 0);
    fclose(f);
    return pem;
}

/* A bundle over the p256 root with `edit` applied to its JSON. */
static certlib_err load_edited(certlib_ctx **ctx, void (*edit)(json_t *doc, void *arg), void *arg)
{
    char *bundle = fixture_bundle("p256", "[\"*\"]", "[\"33\"]", "p256/ga", "p256/status");
    json_t *doc = json_loads(bundle, 0, NULL);
    edit(doc, arg);
    char *json = json_dumps(doc, 0);
    assert_int_equal(certlib_ctx_new(ctx), CERTLIB_OK);
    certlib_err err = certlib_ctx_load_trust(*ctx, (const uint8_t *)json, strlen(json));
    free(json);
    json_decref(doc);
    free(bundle);
    return err;
}

static void listed_only(json_t *doc, void *arg)
{
    (void)arg;
    json_object_set_new(doc, "require_listed_signers", json_true());
}

/* require_listed_signers: an x5chain signer outside the bundle is refused; a listed one still works. */
static void test_require_listed(void **state)
{
    (void)state;
    certlib_ctx *ctx;
    assert_int_equal(load_edited(&ctx, listed_only, NULL), CERTLIB_OK);
    certlib_err reason;
    assert_int_equal(verdict_of(ctx, licences[0], lengths[0], &reason), CERTLIB_VERDICT_INVALID);
    assert_int_equal(reason, CERTLIB_E_SIGNER_NOT_LISTED);
    certlib_signer *ga = fixture_signer("p256", "ga");
    certlib_licence_spec spec;
    fixture_spec(&spec);
    spec.with_x5chain = true;
    size_t len;
    uint8_t *lic = fixture_licence(ga, &spec, &len);
    assert_int_equal(verdict_of(ctx, lic, len, NULL), CERTLIB_VERDICT_VALID);
    certlib_free(lic);
    certlib_signer_free(ga);
    certlib_ctx_free(ctx);
}

static void deny(json_t *doc, void *arg)
{
    json_object_set_new(doc, "revoked_signers", json_pack("[s]", (const char *)arg));
}

static void fingerprint_hex(const char *pem, char out[65])
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    uint8_t fp[32];
    unsigned n;
    assert_int_equal(X509_digest(x, EVP_sha256(), fp, &n), 1);
    X509_free(x);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", fp[i]);
}

/* revoked_signers: a listed signer on it makes the bundle fail to load; an x5chain signer on it is
 * refused (signer_revoked); a malformed entry is named. */
static void test_deny_list(void **state)
{
    (void)state;
    char hex[65];
    char *ga = read_pem("pki/p256/ga.crt");
    fingerprint_hex(ga, hex);
    certlib_ctx *ctx;
    assert_int_equal(load_edited(&ctx, deny, hex), CERTLIB_E_TRUST_BUNDLE);
    assert_non_null(strstr(certlib_ctx_trust_error(ctx), "revoked_signers"));
    certlib_ctx_free(ctx);
    free(ga);

    char *minted = NULL;
    struct fixture_mint m = {.alg = "p256"};
    certlib_signer *signer = fixture_mint(&m, &minted);
    fingerprint_hex(minted, hex);
    assert_int_equal(load_edited(&ctx, deny, hex), CERTLIB_OK);
    certlib_licence_spec spec;
    fixture_spec(&spec);
    spec.with_x5chain = true;
    size_t len;
    uint8_t *lic = fixture_licence(signer, &spec, &len);
    certlib_err reason;
    assert_int_equal(verdict_of(ctx, lic, len, &reason), CERTLIB_VERDICT_INVALID);
    assert_int_equal(reason, CERTLIB_E_SIGNER_REVOKED);
    assert_int_equal(verdict_of(ctx, licences[0], lengths[0], NULL), CERTLIB_VERDICT_VALID); /* another */
    certlib_ctx_free(ctx);
    assert_int_equal(load_edited(&ctx, deny, "abc"), CERTLIB_E_TRUST_BUNDLE);
    assert_non_null(strstr(certlib_ctx_trust_error(ctx), "revoked_signers[0]"));
    certlib_ctx_free(ctx);
    certlib_free(lic);
    certlib_signer_free(signer);
    free(minted);
}

int main(int argc, char **argv)
{
    if (argc != 2) return 2;
    fixture_keys_dir = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forgeries_leave_no_trace),
        cmocka_unit_test(test_least_recently_used_make_room),
        cmocka_unit_test(test_eviction_under_concurrency),
        cmocka_unit_test(test_require_listed),
        cmocka_unit_test(test_deny_list),
    };
    return cmocka_run_group_tests(tests, mint_all, free_all);
}
