/* certlib/src/trust.c: loading trust bundles, and every way a bundle is refused, each with a message
 * naming the place. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"

static void test_example_bundle(void **state)
{
    (void)state;
    certlib_ctx *ctx = fixture_ctx();
    assert_int_equal(certlib_ctx_root_count(ctx), 3);
    assert_int_equal(certlib_ctx_signer_count(ctx), 18 + 3);
    assert_string_equal(certlib_ctx_trust_error(ctx), "");
    certlib_ctx_free(ctx);
}

static void expect_refused(const char *json, const char *where)
{
    certlib_ctx *ctx;
    assert_int_equal(certlib_ctx_new(&ctx), CERTLIB_OK);
    certlib_err err = certlib_ctx_load_trust(ctx, (const uint8_t *)json, strlen(json));
    if (err != CERTLIB_E_TRUST_BUNDLE || !strstr(certlib_ctx_trust_error(ctx), where))
        fail_msg("expected trust_bundle_malformed at '%s', got %s: %s", where, certlib_err_name(err),
                 certlib_ctx_trust_error(ctx));
    assert_int_equal(certlib_ctx_root_count(ctx), 0);
    certlib_ctx_free(ctx);
}

static void test_refused_bundles(void **state)
{
    (void)state;
    expect_refused("{", "line 1");
    expect_refused("[]", "JSON object");
    expect_refused("{\"version\": 2, \"roots\": []}", "version");
    expect_refused("{\"version\": 1, \"roots\": [], \"extra\": 1}", "unknown key \"extra\"");
    expect_refused("{\"version\": 1, \"roots\": []}", "roots");
    expect_refused("{\"version\": 1, \"version\": 1, \"roots\": []}", "duplicate");

    char *b = fixture_bundle("sm2", "[\"*\"]", "[\"3\"]", NULL, NULL);
    expect_refused(b, "roots[0].regions[0]");
    free(b);
    b = fixture_bundle("sm2", "[\"11100000000013338W00\"]", "[\"33\"]", NULL, NULL);
    expect_refused(b, "roots[0].licence_types[0]");
    free(b);
    b = fixture_bundle("sm2", "[]", "[\"33\"]", NULL, NULL);
    expect_refused(b, "roots[0].licence_types");
    free(b);
    /* A document signer under a root the bundle does not hold. */
    b = fixture_bundle("sm2", "[\"*\"]", "[\"33\"]", "sm2/scjg,p256/scjg", NULL);
    expect_refused(b, "signers[1]: does not chain");
    free(b);
    /* A status signer listed as a document signer: no document-signer usage. */
    b = fixture_bundle("sm2", "[\"*\"]", "[\"33\"]", "sm2/status", NULL);
    expect_refused(b, "signers[0]: lacks the ISO 18013-5");
    free(b);
    /* A document signer's certificate given as a root: not a CA. */
    b = fixture_bundle("sm2", "[\"*\"]", "[\"33\"]", NULL, NULL);
    json_t *doc = json_loads(b, 0, NULL);
    FILE *f = fopen(fixture_path("pki/sm2/scjg.crt"), "r");
    char pem[4096] = {0};
    assert_true(fread(pem, 1, sizeof(pem) - 1, f) > 0);
    fclose(f);
    json_object_set_new(json_array_get(json_object_get(doc, "roots"), 0), "certificate", json_string(pem));
    char *json = json_dumps(doc, 0);
    expect_refused(json, "roots[0].certificate: not a CA");
    free(json);
    json_decref(doc);
    free(b);
    expect_refused("{\"version\": 1, \"roots\": [{\"name\": \"x\", \"certificate\": \"junk\", "
                   "\"licence_types\": [\"*\"], "
                   "\"regions\": [\"*\"]}]}",
                   "roots[0].certificate: not a certificate");
}

/* A failed load leaves the previous bundle in place. */
static void test_failed_load_keeps_old(void **state)
{
    (void)state;
    certlib_ctx *ctx = fixture_ctx();
    assert_int_equal(certlib_ctx_load_trust(ctx, (const uint8_t *)"{}", 2), CERTLIB_E_TRUST_BUNDLE);
    assert_int_equal(certlib_ctx_root_count(ctx), 3);
    assert_int_equal(certlib_ctx_load_trust_file(ctx, "/nonexistent/trust.json"), CERTLIB_E_IO_OPEN);
    assert_int_equal(certlib_ctx_root_count(ctx), 3);
    certlib_ctx_free(ctx);
}

int main(int argc, char **argv)
{
    if (argc != 2) return 2;
    fixture_keys_dir = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example_bundle),
        cmocka_unit_test(test_refused_bundles),
        cmocka_unit_test(test_failed_load_keeps_old),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
