/* certlib/src/trust/trust_list.c: signed trust lists loaded into a context, and every way one is
 * refused (another key, altered, expired, from the future, rolled back, malformed) with the context
 * left as it was. */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"

#define ISSUED FIXTURE_NOW
#define EXPIRES (FIXTURE_NOW + 86400)

/* A payload around the committed bundle; `extra` is spliced in before the closing brace. */
static char *payload(uint64_t sequence, int64_t issued, int64_t expires, const char *extra)
{
    uint8_t *bundle;
    size_t len;
    FILE *f = fopen(fixture_path("trust.json"), "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    len = (size_t)ftell(f);
    rewind(f);
    bundle = malloc(len + 1);
    assert_int_equal(fread(bundle, 1, len, f), len);
    fclose(f);
    bundle[len] = '\0';
    size_t cap = len + 1024;
    char *p = malloc(cap);
    snprintf(p, cap,
             "{\"trust_list\":1,\"issuer\":\"authd.zhejiang.example\",\"sequence\":%llu,\"issued\":%lld,"
             "\"expires\":%lld,\"bundle\":%s%s}",
             (unsigned long long)sequence, (long long)issued, (long long)expires, (char *)bundle, extra);
    free(bundle);
    return p;
}

static uint8_t *sign(const char *json, size_t *len)
{
    certlib_signer *s = fixture_signer("ed25519", "mz");
    uint8_t *out = NULL;
    char why[256];
    certlib_err err =
        certlib_trust_list_sign(s, (const uint8_t *)json, strlen(json), &out, len, why, sizeof(why));
    if (err) fail_msg("sign: %s: %s", certlib_err_name(err), why);
    certlib_signer_free(s);
    return out;
}

static uint8_t *pin_of(const char *alg, const char *name, size_t *len)
{
    char rel[64];
    snprintf(rel, sizeof(rel), "pki/%s/%s.crt", alg, name);
    FILE *f = fopen(fixture_path(rel), "rb");
    assert_non_null(f);
    uint8_t *buf = malloc(16384);
    *len = fread(buf, 1, 16384, f);
    fclose(f);
    return buf;
}

static void test_loads_and_verifies(void **state)
{
    (void)state;
    char *p =
        payload(7, ISSUED, EXPIRES,
                ",\"logs\":{\"signatures\":\"a+b+c\"},\"matters\":[{\"code\":\"ZJ-HYDJ-001\",\"shared_code\":"
                "\"CSJ-HYDJ\",\"licence_types\":[\"11100000000013338W004\"]}]");
    size_t len, pin_len;
    uint8_t *list = sign(p, &len), *pin = pin_of("ed25519", "mz", &pin_len);
    certlib_ctx *ctx;
    assert_int_equal(certlib_ctx_new(&ctx), CERTLIB_OK);
    certlib_trust_list_info info;
    assert_int_equal(certlib_ctx_load_trust_list(ctx, list, len, pin, pin_len, FIXTURE_NOW, 7, &info),
                     CERTLIB_OK);
    assert_int_equal(info.sequence, 7);
    assert_int_equal(info.issued, ISSUED);
    assert_int_equal(info.expires, EXPIRES);
    assert_string_equal(info.issuer, "authd.zhejiang.example");
    assert_int_equal(info.payload_len, strlen(p));
    assert_memory_equal(info.payload, p, info.payload_len);
    assert_int_equal(certlib_ctx_root_count(ctx), 3);
    assert_int_equal(certlib_ctx_signer_count(ctx), 21);

    /* A licence of the publisher's verifies under the list's trust exactly as under its bundle. */
    certlib_signer *s = fixture_signer("sm2", "scjg");
    size_t lic_len;
    uint8_t *lic = fixture_licence(s, NULL, &lic_len);
    certlib_result *res = fixture_verify(ctx, lic, lic_len, FIXTURE_NOW);
    assert_int_equal(certlib_result_verdict(res), CERTLIB_VERDICT_VALID);
    certlib_result_free(res);
    free(lic);
    certlib_signer_free(s);
    certlib_ctx_free(ctx);
    free(list);
    free(pin);
    free(p);
}

/* Refused with `want`, the context keeping what it held (nothing). */
static void expect_refused(const uint8_t *list, size_t len, const char *pin_alg, const char *pin_name,
                           int64_t now, uint64_t min_sequence, certlib_err want)
{
    size_t pin_len;
    uint8_t *pin = pin_of(pin_alg, pin_name, &pin_len);
    certlib_ctx *ctx;
    assert_int_equal(certlib_ctx_new(&ctx), CERTLIB_OK);
    certlib_trust_list_info info;
    certlib_err err = certlib_ctx_load_trust_list(ctx, list, len, pin, pin_len, now, min_sequence, &info);
    if (err != want)
        fail_msg("expected %s, got %s (%s)", certlib_err_name(want), certlib_err_name(err),
                 certlib_ctx_trust_error(ctx));
    assert_true(certlib_ctx_trust_error(ctx)[0] != '\0');
    assert_int_equal(certlib_ctx_root_count(ctx), 0);
    certlib_ctx_free(ctx);
    free(pin);
}

static void test_refused(void **state)
{
    (void)state;
    char *p = payload(7, ISSUED, EXPIRES, "");
    size_t len;
    uint8_t *list = sign(p, &len);
    expect_refused(list, len, "ed25519", "wjw", FIXTURE_NOW, 0, CERTLIB_E_UNKNOWN_KID); /* another key */
    expect_refused(list, len, "ed25519", "mz", FIXTURE_NOW, 8, CERTLIB_E_TRUST_LIST_ROLLBACK);
    expect_refused(list, len, "ed25519", "mz", EXPIRES, 0, CERTLIB_E_TRUST_LIST_EXPIRED);
    expect_refused(list, len, "ed25519", "mz", ISSUED - 301, 0, CERTLIB_E_TRUST_LIST_EXPIRED);
    /* A byte of the payload altered: the signature fails before the JSON is read. */
    uint8_t *at = memmem(list, len, "zhejiang", 8);
    assert_non_null(at);
    at[0] = 'Z';
    expect_refused(list, len, "ed25519", "mz", FIXTURE_NOW, 0, CERTLIB_E_SIGNATURE);
    expect_refused(list, len - 1, "ed25519", "mz", FIXTURE_NOW, 0, CERTLIB_E_TRUST_LIST);
    free(list);

    /* Another signed object (a status list) is not a trust list, whatever key signed it. */
    certlib_signer *st = fixture_signer("ed25519", "status");
    certlib_status_list *sl;
    assert_int_equal(certlib_status_list_new(16, 2, &sl), CERTLIB_OK);
    uint8_t *cwt;
    size_t cwt_len;
    assert_int_equal(certlib_status_list_sign(sl, st, "http://127.0.0.1:1/v1/status/1", FIXTURE_NOW, 0, 60,
                                              &cwt, &cwt_len),
                     CERTLIB_OK);
    expect_refused(cwt, cwt_len, "ed25519", "status", FIXTURE_NOW, 0, CERTLIB_E_TRUST_LIST);
    free(cwt);
    certlib_status_list_free(sl);
    certlib_signer_free(st);
    free(p);
}

static void expect_unsigned(const char *json, const char *where)
{
    certlib_signer *s = fixture_signer("ed25519", "mz");
    uint8_t *out = NULL;
    size_t len;
    char why[256] = "";
    certlib_err err =
        certlib_trust_list_sign(s, (const uint8_t *)json, strlen(json), &out, &len, why, sizeof(why));
    if (err != CERTLIB_E_TRUST_LIST || !strstr(why, where))
        fail_msg("expected trust_list_malformed at '%s', got %s: %s", where, certlib_err_name(err), why);
    assert_null(out);
    certlib_signer_free(s);
}

static void test_malformed_payloads(void **state)
{
    (void)state;
    expect_unsigned("[]", "JSON object");
    expect_unsigned("{\"trust_list\":2}", "trust_list: 1 is required");
    /* the committed bundle in a payload changed in one place, and where the refusal points */
    static const struct {
        uint64_t sequence;
        int64_t expires;
        const char *extra, *where;
    } cases[] = {
        {0, EXPIRES, "", "sequence"},
        {1, ISSUED, "", "expires"},
        {1, EXPIRES, ",\"extra\":1", "extra: unknown key"},
        {1, EXPIRES, ",\"logs\":{\"other\":\"x\"}", "logs.other"},
        {1, EXPIRES, ",\"matters\":[{\"code\":\"A\",\"licence_types\":[\"short\"]}]",
         "matters[0].licence_types[0]"},
        {1, EXPIRES,
         ",\"matters\":[{\"code\":\"A\",\"shared_code\":\"\",\"licence_types\":[\"11100000000013338W004\"]}]",
         "matters[0].shared_code"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *p = payload(cases[i].sequence, ISSUED, cases[i].expires, cases[i].extra);
        expect_unsigned(p, cases[i].where);
        free(p);
    }
    expect_unsigned("{\"trust_list\":1,\"issuer\":\"x\",\"sequence\":1,\"issued\":1,\"expires\":2,"
                    "\"bundle\":{\"version\":1,\"roots\":[]}}",
                    "bundle: roots");
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s KEYS_EXAMPLE_DIR\n", argv[0]);
        return 2;
    }
    fixture_keys_dir = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loads_and_verifies),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_malformed_payloads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
