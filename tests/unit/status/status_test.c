/* certlib/src/status_list.c and status_store.c: the bit layout against the draft's own example,
 * tokens, and every status outcome a verifier can see; verification from many threads at once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include <jansson.h>

#include "cbor/cbor_write.h"
#include "cose/cose.h"
#include "fixtures.h"
#include "status/status_token.h"

#define URI "https://127.0.0.1:8443/v1/status/7" /* inside the demo status signers' uri_prefixes */

/* draft-ietf-oauth-status-list §4.1 example: 16 entries of 1 bit, statuses 1 0 0 1 1 1 0 1 1 1 0 0 0 1 0 1,
 * which pack LSB-first into b9 a3 and compress (zlib, best) to 78 da db b9 18 00 02 17 01 5d. */
static void test_draft_example(void **state)
{
    (void)state;
    static const unsigned statuses[16] = {1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1};
    static const uint8_t lst[] = {0x78, 0xda, 0xdb, 0xb9, 0x18, 0x00, 0x02, 0x17, 0x01, 0x5d};
    certlib_status_list *list;
    assert_int_equal(certlib_status_list_new(16, 1, &list), CERTLIB_OK);
    for (unsigned i = 0; i < 16; i++)
        assert_int_equal(certlib_status_list_set(list, i, statuses[i]), CERTLIB_OK);
    certlib_signer *signer = fixture_signer("ed25519", "status");
    uint8_t *cwt;
    size_t len;
    assert_int_equal(certlib_status_list_sign(list, signer, URI, FIXTURE_SIGNED, 0, 0, &cwt, &len),
                     CERTLIB_OK);
    certlib__status_token t;
    assert_int_equal(certlib__status_token_parse(cwt, len, &t), CERTLIB_OK);
    assert_int_equal(t.bits, 1);
    assert_int_equal(t.lst.len, sizeof(lst));
    assert_memory_equal(t.lst.ptr, lst, sizeof(lst));
    assert_int_equal(t.exp, 0);

    certlib_status_list *back;
    certlib_status_token_info info;
    assert_int_equal(certlib_status_list_decode(cwt, len, &back, &info), CERTLIB_OK);
    assert_string_equal(info.uri, URI);
    assert_int_equal(info.iat, FIXTURE_SIGNED);
    for (unsigned i = 0; i < 16; i++) {
        unsigned v;
        assert_int_equal(certlib_status_list_get(back, i, &v), CERTLIB_OK);
        assert_int_equal(v, statuses[i]);
    }
    unsigned v;
    assert_int_equal(certlib_status_list_get(back, 16, &v), CERTLIB_E_STATUS_INDEX);
    assert_int_equal(certlib_status_list_set(list, 0, 2), CERTLIB_E_INVALID_ARGUMENT); /* 2 needs 2 bits */
    certlib_status_list_free(back);
    certlib_status_list_free(list);
    certlib_free(cwt);
    certlib_signer_free(signer);
}

static void test_two_bit_layout(void **state)
{
    (void)state;
    certlib_status_list *list;
    assert_int_equal(certlib_status_list_new(8, 2, &list), CERTLIB_OK);
    assert_int_equal(certlib_status_list_size(list), 8);
    assert_int_equal(certlib_status_list_set(list, 0, 1), CERTLIB_OK);
    assert_int_equal(certlib_status_list_set(list, 3, 2), CERTLIB_OK);
    assert_int_equal(certlib_status_list_set(list, 5, 3), CERTLIB_OK);
    assert_int_equal(certlib_status_list_set(list, 3, 1), CERTLIB_OK); /* overwrite, neighbours intact */
    unsigned expect[8] = {1, 0, 0, 1, 0, 3, 0, 0}, v;
    for (unsigned i = 0; i < 8; i++) {
        assert_int_equal(certlib_status_list_get(list, i, &v), CERTLIB_OK);
        assert_int_equal(v, expect[i]);
    }
    certlib_status_list_free(list);
    assert_int_equal(certlib_status_list_new(8, 3, &list), CERTLIB_E_INVALID_ARGUMENT);
    assert_int_equal(certlib_status_list_new((size_t)CERTLIB_STATUS_LIST_MAX_BYTES * 4 + 4, 2, &list),
                     CERTLIB_E_CBOR_LIMIT);
}

static uint8_t *sign_list(certlib_signer *signer, const char *uri, int64_t iat, int64_t exp, uint64_t ttl,
                          uint64_t idx, unsigned value, size_t *len)
{
    certlib_status_list *list;
    assert_int_equal(certlib_status_list_new(1024, 2, &list), CERTLIB_OK);
    assert_int_equal(certlib_status_list_set(list, idx, value), CERTLIB_OK);
    uint8_t *cwt;
    assert_int_equal(certlib_status_list_sign(list, signer, uri, iat, exp, ttl, &cwt, len), CERTLIB_OK);
    certlib_status_list_free(list);
    return cwt;
}

static uint8_t *make_list(const char *alg, const char *uri, int64_t iat, int64_t exp, uint64_t idx,
                          unsigned value, size_t *len)
{
    certlib_signer *signer = fixture_signer(alg, "status");
    uint8_t *cwt = sign_list(signer, uri, iat, exp, 300, idx, value, len);
    certlib_signer_free(signer);
    return cwt;
}

/* Lists fetched at the fixtures' time, as a counter would have fetched them. */
static certlib_err add_at(certlib_ctx *ctx, const uint8_t *cwt, size_t len)
{
    return certlib_ctx_add_status_list_at(ctx, cwt, len, FIXTURE_NOW, 0);
}

static certlib_result *verify_with(certlib_ctx *ctx, const uint8_t *lic, size_t len, int64_t now,
                                   bool require)
{
    certlib_verify_opts opts = {.now = now, .require_status = require};
    certlib_result *r;
    assert_int_equal(certlib_licence_verify(ctx, lic, len, &opts, &r), CERTLIB_OK);
    return r;
}

static void expect_status(certlib_result *r, certlib_verdict verdict, certlib_status status,
                          certlib_check_state state, certlib_err reason)
{
    certlib_check_result c = certlib_result_check(r, CERTLIB_CHECK_STATUS);
    if (certlib_result_verdict(r) != verdict || certlib_result_status(r) != status || c.state != state ||
        c.reason != reason)
        fail_msg("expected %s/%s/%s/%s, got %s/%s/%s/%s", certlib_verdict_name(verdict),
                 certlib_status_name(status), certlib_check_state_name(state), certlib_err_name(reason),
                 certlib_verdict_name(certlib_result_verdict(r)),
                 certlib_status_name(certlib_result_status(r)), certlib_check_state_name(c.state),
                 certlib_err_name(c.reason));
    certlib_result_free(r);
}

static void test_status_outcomes(void **state)
{
    (void)state;
    certlib_signer *signer = fixture_signer("sm2", "mz");
    certlib_licence_spec spec;
    fixture_spec(&spec);
    spec.status_uri = URI;
    spec.status_idx = 42;
    size_t len, cwt_len;
    uint8_t *lic = fixture_licence(signer, &spec, &len);
    int64_t iat = FIXTURE_NOW - 60, exp = FIXTURE_NOW + 3600;

    certlib_ctx *ctx = fixture_ctx();
    /* No list at all: unknown, never "revoked". */
    expect_status(verify_with(ctx, lic, len, FIXTURE_NOW, false), CERTLIB_VERDICT_INDETERMINATE,
                  CERTLIB_STATUS_UNKNOWN, CERTLIB_CHECK_UNKNOWN, CERTLIB_E_STATUS_UNKNOWN);
    uint8_t *cwt = make_list("sm2", URI, iat, exp, 42, CERTLIB_STATUS_VALUE_VALID, &cwt_len);
    assert_int_equal(add_at(ctx, cwt, cwt_len), CERTLIB_OK);
    certlib_free(cwt);
    expect_status(verify_with(ctx, lic, len, FIXTURE_NOW, false), CERTLIB_VERDICT_VALID, CERTLIB_STATUS_VALID,
                  CERTLIB_CHECK_PASSED, CERTLIB_OK);
    /* After exp the list is stale. */
    expect_status(verify_with(ctx, lic, len, exp, false), CERTLIB_VERDICT_INDETERMINATE,
                  CERTLIB_STATUS_UNKNOWN, CERTLIB_CHECK_UNKNOWN, CERTLIB_E_STATUS_STALE);
    /* A newer list replaces it; an older one is ignored. */
    cwt = make_list("sm2", URI, iat + 1, exp, 42, CERTLIB_STATUS_VALUE_REVOKED, &cwt_len);
    assert_int_equal(add_at(ctx, cwt, cwt_len), CERTLIB_OK);
    certlib_free(cwt);
    expect_status(verify_with(ctx, lic, len, FIXTURE_NOW, false), CERTLIB_VERDICT_INVALID,
                  CERTLIB_STATUS_REVOKED, CERTLIB_CHECK_FAILED, CERTLIB_E_REVOKED);
    cwt = make_list("sm2", URI, iat - 100, exp, 42, CERTLIB_STATUS_VALUE_VALID, &cwt_len);
    assert_int_equal(add_at(ctx, cwt, cwt_len), CERTLIB_OK);
    certlib_free(cwt);
    expect_status(verify_with(ctx, lic, len, FIXTURE_NOW, false), CERTLIB_VERDICT_INVALID,
                  CERTLIB_STATUS_REVOKED, CERTLIB_CHECK_FAILED, CERTLIB_E_REVOKED);
    cwt = make_list("sm2", URI, iat + 2, exp, 42, CERTLIB_STATUS_VALUE_SUSPENDED, &cwt_len);
    assert_int_equal(add_at(ctx, cwt, cwt_len), CERTLIB_OK);
    certlib_free(cwt);
    expect_status(verify_with(ctx, lic, len, FIXTURE_NOW, false), CERTLIB_VERDICT_INVALID,
                  CERTLIB_STATUS_SUSPENDED, CERTLIB_CHECK_FAILED, CERTLIB_E_SUSPENDED);
    certlib_ctx_free(ctx);

    /* A list for the same URI signed under another root says nothing about this licence. */
    ctx = fixture_ctx();
    cwt = make_list("p256", URI, iat, exp, 42, CERTLIB_STATUS_VALUE_REVOKED, &cwt_len);
    assert_int_equal(add_at(ctx, cwt, cwt_len), CERTLIB_OK);
    certlib_free(cwt);
    expect_status(verify_with(ctx, lic, len, FIXTURE_NOW, false), CERTLIB_VERDICT_INDETERMINATE,
                  CERTLIB_STATUS_UNKNOWN, CERTLIB_CHECK_UNKNOWN, CERTLIB_E_STATUS_SIGNER);
    certlib_ctx_free(ctx);

    /* An index past the list's end. */
    certlib_free(lic);
    spec.status_idx = 5000;
    lic = fixture_licence(signer, &spec, &len);
    ctx = fixture_ctx();
    cwt = make_list("sm2", URI, iat, exp, 1, CERTLIB_STATUS_VALUE_VALID, &cwt_len);
    assert_int_equal(add_at(ctx, cwt, cwt_len), CERTLIB_OK);
    certlib_free(cwt);
    expect_status(verify_with(ctx, lic, len, FIXTURE_NOW, false), CERTLIB_VERDICT_INDETERMINATE,
                  CERTLIB_STATUS_UNKNOWN, CERTLIB_CHECK_UNKNOWN, CERTLIB_E_STATUS_INDEX);
    certlib_free(lic);

    /* A licence without a status reference, when the caller requires one. */
    spec.status_uri = NULL;
    lic = fixture_licence(signer, &spec, &len);
    expect_status(verify_with(ctx, lic, len, FIXTURE_NOW, true), CERTLIB_VERDICT_INVALID, CERTLIB_STATUS_NONE,
                  CERTLIB_CHECK_FAILED, CERTLIB_E_STATUS_UNKNOWN);
    expect_status(verify_with(ctx, lic, len, FIXTURE_NOW, false), CERTLIB_VERDICT_VALID, CERTLIB_STATUS_NONE,
                  CERTLIB_CHECK_NOT_APPLICABLE, CERTLIB_OK);
    certlib_free(lic);
    certlib_ctx_free(ctx);
    certlib_signer_free(signer);
}

static void test_refused_lists(void **state)
{
    (void)state;
    certlib_ctx *ctx = fixture_ctx();
    size_t len;
    uint8_t *cwt = make_list("ed25519", URI, FIXTURE_NOW, 0, 0, 0, &len);
    /* Signed by a document signer, not a status signer. */
    certlib_status_list *list;
    assert_int_equal(certlib_status_list_new(8, 2, &list), CERTLIB_OK);
    certlib_signer *ds = fixture_signer("ed25519", "scjg");
    uint8_t *by_ds;
    size_t by_ds_len;
    assert_int_equal(certlib_status_list_sign(list, ds, URI, FIXTURE_NOW, 0, 0, &by_ds, &by_ds_len),
                     CERTLIB_OK);
    assert_int_equal(add_at(ctx, by_ds, by_ds_len), CERTLIB_E_SIGNER_ROLE);
    /* Altered payload: the signature fails. */
    cwt[len - 70] ^= 1;
    assert_int_equal(add_at(ctx, cwt, len), CERTLIB_E_SIGNATURE);
    cwt[len - 70] ^= 1;
    assert_int_equal(add_at(ctx, cwt, len - 1), CERTLIB_E_CBOR_TRUNCATED);
    /* Not a status list token at all (a licence). */
    size_t lic_len;
    uint8_t *lic = fixture_licence(ds, NULL, &lic_len);
    assert_int_not_equal(add_at(ctx, lic, lic_len), CERTLIB_OK);
    assert_int_equal(add_at(ctx, cwt, len), CERTLIB_OK);
    certlib_free(lic);
    certlib_free(by_ds);
    certlib_free(cwt);
    certlib_signer_free(ds);
    certlib_status_list_free(list);
    certlib_ctx_free(ctx);
}

static uint8_t *status_licence(const char *alg, const char *dept, uint64_t idx, size_t *len)
{
    certlib_signer *signer = fixture_signer(alg, dept);
    certlib_licence_spec spec;
    fixture_spec(&spec);
    spec.status_uri = URI;
    spec.status_idx = idx;
    uint8_t *lic = fixture_licence(signer, &spec, len);
    certlib_signer_free(signer);
    return lic;
}

/* Lists are kept per root and URI: another root's status signer cannot replace this root's list for a
 * URI (it could, and a revoked licence's list was gone), and a list dated in the future is refused
 * instead of outranking every genuine one until then. */
static void test_lists_per_root_and_no_future(void **state)
{
    (void)state;
    size_t len, cwt_len;
    uint8_t *lic = status_licence("sm2", "mz", 42, &len);
    certlib_ctx *ctx = fixture_ctx();
    uint8_t *cwt = make_list("sm2", URI, FIXTURE_NOW - 60, FIXTURE_NOW + 3600, 42,
                             CERTLIB_STATUS_VALUE_REVOKED, &cwt_len);
    assert_int_equal(add_at(ctx, cwt, cwt_len), CERTLIB_OK);
    certlib_free(cwt);
    cwt = make_list("p256", URI, FIXTURE_NOW - 10, FIXTURE_NOW + 3600, 42, CERTLIB_STATUS_VALUE_VALID,
                    &cwt_len);
    assert_int_equal(add_at(ctx, cwt, cwt_len), CERTLIB_OK);
    certlib_free(cwt);
    expect_status(verify_with(ctx, lic, len, FIXTURE_NOW, false), CERTLIB_VERDICT_INVALID,
                  CERTLIB_STATUS_REVOKED, CERTLIB_CHECK_FAILED, CERTLIB_E_REVOKED);
    certlib_ctx_free(ctx);

    ctx = fixture_ctx();
    int64_t y2099 = 4070908800LL;
    cwt = make_list("sm2", URI, y2099, y2099 + 3600, 42, CERTLIB_STATUS_VALUE_VALID, &cwt_len);
    assert_int_equal(add_at(ctx, cwt, cwt_len), CERTLIB_E_STATUS_STALE);
    assert_int_equal(certlib_ctx_add_status_list_at(ctx, cwt, cwt_len, FIXTURE_NOW, 300),
                     CERTLIB_E_STATUS_STALE);
    certlib_free(cwt);
    cwt = make_list("sm2", URI, FIXTURE_NOW + 100, FIXTURE_NOW + 3600, 42, CERTLIB_STATUS_VALUE_VALID,
                    &cwt_len);
    assert_int_equal(add_at(ctx, cwt, cwt_len), CERTLIB_E_STATUS_STALE); /* 100 s ahead */
    assert_int_equal(certlib_ctx_add_status_list_at(ctx, cwt, cwt_len, FIXTURE_NOW, 120),
                     CERTLIB_OK); /* skew */
    certlib_free(cwt);
    cwt = make_list("sm2", URI, FIXTURE_NOW - 60, FIXTURE_NOW - 60, 42, CERTLIB_STATUS_VALUE_VALID, &cwt_len);
    assert_int_equal(add_at(ctx, cwt, cwt_len), CERTLIB_E_STATUS_LIST); /* expires as it is issued */
    certlib_free(cwt);
    cwt = make_list("sm2", URI, FIXTURE_NOW + 101, FIXTURE_NOW + 3600, 42, CERTLIB_STATUS_VALUE_REVOKED,
                    &cwt_len);
    assert_int_equal(certlib_ctx_add_status_list_at(ctx, cwt, cwt_len, FIXTURE_NOW + 101, 0), CERTLIB_OK);
    certlib_free(cwt);
    expect_status(verify_with(ctx, lic, len, FIXTURE_NOW + 200, false), CERTLIB_VERDICT_INVALID,
                  CERTLIB_STATUS_REVOKED, CERTLIB_CHECK_FAILED, CERTLIB_E_REVOKED);
    certlib_ctx_free(ctx);
    certlib_free(lic);
}

/* A bundle whose status signers are the given objects (JSON text), under the p256 root. */
static certlib_ctx *ctx_with_status_signer(const char *status_signer_json)
{
    char *bundle = fixture_bundle("p256", "[\"*\"]", "[\"33\"]", "p256/scjg,p256/mz", NULL);
    json_t *doc = json_loads(bundle, 0, NULL);
    json_array_append_new(json_object_get(doc, "status_signers"),
                          json_loads(status_signer_json, JSON_DECODE_ANY, NULL));
    char *json = json_dumps(doc, 0);
    certlib_ctx *ctx = fixture_ctx_from(json);
    free(json);
    json_decref(doc);
    free(bundle);
    return ctx;
}

static char *pem_text(const char *rel)
{
    char *pem = calloc(1, 8192);
    FILE *f = fopen(fixture_path(rel), "r");
    assert_non_null(f);
    assert_true(fread(pem, 1, 8191, f) > 0);
    fclose(f);
    return pem;
}

/* A status signer speaks only for its issuers, and signs only under its URI prefixes. */
static void test_status_signer_scope(void **state)
{
    (void)state;
    char *pem = pem_text("pki/p256/status.crt");
    json_t *obj = json_pack("{s:s, s:[s], s:[s]}", "certificate", pem, "issuers", "11330100002498113P",
                            "uri_prefixes", "https://127.0.0.1:8443/v1/status/");
    char *signer_json = json_dumps(obj, 0);
    certlib_ctx *ctx = ctx_with_status_signer(signer_json);
    size_t cwt_len, len;
    uint8_t *cwt = make_list("p256", "https://elsewhere.example/v1/status/7", FIXTURE_NOW - 60,
                             FIXTURE_NOW + 3600, 1, 0, &cwt_len);
    assert_int_equal(add_at(ctx, cwt, cwt_len), CERTLIB_E_STATUS_SIGNER_SCOPE);
    certlib_free(cwt);
    cwt = make_list("p256", URI, FIXTURE_NOW - 60, FIXTURE_NOW + 3600, 1, CERTLIB_STATUS_VALUE_REVOKED,
                    &cwt_len);
    assert_int_equal(add_at(ctx, cwt, cwt_len), CERTLIB_OK);
    certlib_free(cwt);
    uint8_t *ours = status_licence("p256", "scjg", 1, &len);
    expect_status(verify_with(ctx, ours, len, FIXTURE_NOW, false), CERTLIB_VERDICT_INVALID,
                  CERTLIB_STATUS_REVOKED, CERTLIB_CHECK_FAILED, CERTLIB_E_REVOKED);
    certlib_free(ours);
    uint8_t *theirs = status_licence("p256", "mz", 1, &len); /* 民政局: not among the signer's issuers */
    expect_status(verify_with(ctx, theirs, len, FIXTURE_NOW, false), CERTLIB_VERDICT_INDETERMINATE,
                  CERTLIB_STATUS_UNKNOWN, CERTLIB_CHECK_UNKNOWN, CERTLIB_E_STATUS_SIGNER_SCOPE);
    certlib_free(theirs);
    certlib_ctx_free(ctx);
    free(signer_json);
    json_decref(obj);
    free(pem);
}

/* A status signer's certificate must be valid when the list was issued and when it is used. */
static void test_status_signer_validity(void **state)
{
    (void)state;
    char *pem = NULL;
    struct fixture_mint m = {.alg = "p256",
                             .status = true,
                             .not_before = 1577836800 /* 2020 */,
                             .not_after = 1640995200 /* 2022 */};
    certlib_signer *old = fixture_mint(&m, &pem);
    json_t *str = json_string(pem);
    char *signer_json = json_dumps(str, JSON_ENCODE_ANY);
    certlib_ctx *ctx = ctx_with_status_signer(signer_json);
    size_t cwt_len, len;
    uint8_t *cwt = sign_list(old, URI, FIXTURE_NOW - 60, FIXTURE_NOW + 3600, 300, 1, 0, &cwt_len);
    assert_int_equal(add_at(ctx, cwt, cwt_len), CERTLIB_E_STATUS_SIGNER_VALIDITY);
    certlib_free(cwt);
    certlib_ctx_free(ctx);
    free(signer_json);
    json_decref(str);
    free(pem);
    certlib_signer_free(old);

    /* Valid when the list was added, expired by the time of the verification. */
    m.not_before = 0;
    m.not_after = FIXTURE_NOW + 1000;
    certlib_signer *ending = fixture_mint(&m, &pem);
    str = json_string(pem);
    signer_json = json_dumps(str, JSON_ENCODE_ANY);
    ctx = ctx_with_status_signer(signer_json);
    cwt = sign_list(ending, URI, FIXTURE_NOW - 60, FIXTURE_NOW + 86400, 0, 1, 0, &cwt_len);
    assert_int_equal(add_at(ctx, cwt, cwt_len), CERTLIB_OK);
    certlib_free(cwt);
    uint8_t *lic = status_licence("p256", "scjg", 1, &len);
    expect_status(verify_with(ctx, lic, len, FIXTURE_NOW, false), CERTLIB_VERDICT_VALID, CERTLIB_STATUS_VALID,
                  CERTLIB_CHECK_PASSED, CERTLIB_OK);
    expect_status(verify_with(ctx, lic, len, FIXTURE_NOW + 2000, false), CERTLIB_VERDICT_INDETERMINATE,
                  CERTLIB_STATUS_UNKNOWN, CERTLIB_CHECK_UNKNOWN, CERTLIB_E_STATUS_SIGNER_VALIDITY);
    certlib_free(lic);
    certlib_ctx_free(ctx);
    free(signer_json);
    json_decref(str);
    free(pem);
    certlib_signer_free(ending);
}

/* A list without exp goes stale a day after its iat (or at the caller's own maximum age); a list with
 * a ttl goes stale ttl seconds after it was fetched, until it is fetched again. */
static void test_list_freshness(void **state)
{
    (void)state;
    size_t len, cwt_len;
    uint8_t *lic = status_licence("ed25519", "scjg", 5, &len);
    certlib_signer *status = fixture_signer("ed25519", "status");
    certlib_ctx *ctx = fixture_ctx();
    uint8_t *cwt = sign_list(status, URI, FIXTURE_NOW, 0, 0, 5, 0, &cwt_len); /* no exp, no ttl */
    assert_int_equal(add_at(ctx, cwt, cwt_len), CERTLIB_OK);
    certlib_free(cwt);
    expect_status(verify_with(ctx, lic, len, FIXTURE_NOW + CERTLIB_STATUS_DEFAULT_MAX_AGE, false),
                  CERTLIB_VERDICT_VALID, CERTLIB_STATUS_VALID, CERTLIB_CHECK_PASSED, CERTLIB_OK);
    expect_status(verify_with(ctx, lic, len, FIXTURE_NOW + CERTLIB_STATUS_DEFAULT_MAX_AGE + 1, false),
                  CERTLIB_VERDICT_INDETERMINATE, CERTLIB_STATUS_UNKNOWN, CERTLIB_CHECK_UNKNOWN,
                  CERTLIB_E_STATUS_STALE);
    certlib_verify_opts opts = {.now = FIXTURE_NOW + 7200, .status_max_age = 3600};
    certlib_result *r;
    assert_int_equal(certlib_licence_verify(ctx, lic, len, &opts, &r), CERTLIB_OK);
    expect_status(r, CERTLIB_VERDICT_INDETERMINATE, CERTLIB_STATUS_UNKNOWN, CERTLIB_CHECK_UNKNOWN,
                  CERTLIB_E_STATUS_STALE);
    certlib_ctx_free(ctx);

    ctx = fixture_ctx();
    cwt = sign_list(status, URI, FIXTURE_NOW, FIXTURE_NOW + 86400 * 7, 300, 5, 0, &cwt_len);
    assert_int_equal(add_at(ctx, cwt, cwt_len), CERTLIB_OK);
    expect_status(verify_with(ctx, lic, len, FIXTURE_NOW + 299, false), CERTLIB_VERDICT_VALID,
                  CERTLIB_STATUS_VALID, CERTLIB_CHECK_PASSED, CERTLIB_OK);
    expect_status(verify_with(ctx, lic, len, FIXTURE_NOW + 300, false), CERTLIB_VERDICT_INDETERMINATE,
                  CERTLIB_STATUS_UNKNOWN, CERTLIB_CHECK_UNKNOWN, CERTLIB_E_STATUS_STALE);
    assert_int_equal(certlib_ctx_add_status_list_at(ctx, cwt, cwt_len, FIXTURE_NOW + 400, 0), CERTLIB_OK);
    expect_status(verify_with(ctx, lic, len, FIXTURE_NOW + 600, false), CERTLIB_VERDICT_VALID,
                  CERTLIB_STATUS_VALID, CERTLIB_CHECK_PASSED, CERTLIB_OK);
    certlib_free(cwt);
    certlib_ctx_free(ctx);
    certlib_signer_free(status);
    certlib_free(lic);
}

/* The typ header is integrity-protected or the token is not a status list. */
static void test_typ_must_be_protected(void **state)
{
    (void)state;
    certlib_signer *signer = fixture_signer("ed25519", "status");
    size_t len;
    uint8_t *cwt = sign_list(signer, URI, FIXTURE_NOW, 0, 0, 1, 0, &len);
    certlib__status_token t;
    assert_int_equal(certlib__status_token_parse(cwt, len, &t), CERTLIB_OK);
    /* Re-sign the same claims with protected {alg, kid} and typ in the unprotected bucket. */
    cbw prot = {0}, tbs = {0}, out = {0};
    certlib__cbw_map(&prot, 2);
    certlib__cbw_uint(&prot, 1);
    certlib__cbw_int(&prot, CERTLIB_ALG_EDDSA);
    certlib__cbw_uint(&prot, 4);
    uint8_t kid[8];
    certlib_signer_kid(signer, kid);
    certlib__cbw_bstr(&prot, kid, 8);
    certlib__cbw_array(&tbs, 4);
    certlib__cbw_tstr(&tbs, "Signature1");
    certlib__cbw_bstr(&tbs, prot.buf, prot.len);
    certlib__cbw_bstr(&tbs, "", 0);
    certlib__cbw_bstr(&tbs, t.sign1.payload.ptr, t.sign1.payload.len);
    certlib_slice key_pem;
    char *pem = pem_text("pki/ed25519/status.key");
    key_pem = (certlib_slice){(const uint8_t *)pem, strlen(pem)};
    certlib__privkey key;
    assert_int_equal(certlib__privkey_from_pem(key_pem.ptr, key_pem.len, &key), CERTLIB_OK);
    uint8_t sig[64];
    assert_int_equal(certlib__sign(&key, tbs.buf, tbs.len, sig), CERTLIB_OK);
    certlib__cbw_tag(&out, 18);
    certlib__cbw_array(&out, 4);
    certlib__cbw_bstr(&out, prot.buf, prot.len);
    certlib__cbw_map(&out, 1);
    certlib__cbw_uint(&out, 16);
    certlib__cbw_tstr(&out, "application/statuslist+cwt");
    certlib__cbw_bstr(&out, t.sign1.payload.ptr, t.sign1.payload.len);
    certlib__cbw_bstr(&out, sig, 64);
    certlib_ctx *ctx = fixture_ctx();
    assert_int_equal(add_at(ctx, out.buf, out.len), CERTLIB_E_STATUS_LIST);
    certlib_ctx_free(ctx);
    certlib__privkey_clear(&key);
    free(pem);
    certlib__cbw_free(&prot);
    certlib__cbw_free(&tbs);
    certlib__cbw_free(&out);
    certlib_free(cwt);
    certlib_signer_free(signer);
}

/* A validly signed token around any `lst` bytes. */
static certlib_err add_raw_list(certlib_ctx *ctx, certlib_signer *signer, const uint8_t *lst, size_t lst_len)
{
    cbw claims = {0}, token = {0};
    certlib__cbw_map(&claims, 3);
    certlib__cbw_uint(&claims, 2);
    certlib__cbw_tstr(&claims, URI);
    certlib__cbw_uint(&claims, 6);
    certlib__cbw_int(&claims, FIXTURE_NOW);
    certlib__cbw_uint(&claims, 65533);
    certlib__cbw_map(&claims, 2);
    certlib__cbw_tstr(&claims, "bits");
    certlib__cbw_uint(&claims, 2);
    certlib__cbw_tstr(&claims, "lst");
    certlib__cbw_bstr(&claims, lst, lst_len);
    assert_int_equal(certlib__sign1_encode(&token, signer, "application/statuslist+cwt", false, true,
                                           claims.buf, claims.len),
                     CERTLIB_OK);
    certlib_err err = add_at(ctx, token.buf, token.len);
    certlib__cbw_free(&claims);
    certlib__cbw_free(&token);
    return err;
}

/* Inflation is capped: a zlib bomb is a precise error, as is a corrupt stream. */
static void test_decompression_cap(void **state)
{
    (void)state;
    certlib_signer *signer = fixture_signer("ed25519", "status");
    certlib_ctx *ctx = fixture_ctx();
    for (int over = 0; over <= 1; over++) {
        size_t size = (size_t)CERTLIB_STATUS_LIST_MAX_BYTES + (size_t)over;
        uLongf packed_len = compressBound((uLong)size);
        uint8_t *zeros = calloc(1, size), *packed = malloc(packed_len);
        assert_int_equal(compress2(packed, &packed_len, zeros, (uLong)size, 9), Z_OK);
        assert_int_equal(add_raw_list(ctx, signer, packed, packed_len),
                         over ? CERTLIB_E_DECOMPRESS : CERTLIB_OK);
        if (!over) {
            packed[packed_len / 2] ^= 0x55;
            assert_int_equal(add_raw_list(ctx, signer, packed, packed_len), CERTLIB_E_DECOMPRESS);
            assert_int_equal(add_raw_list(ctx, signer, packed, 5), CERTLIB_E_DECOMPRESS); /* truncated */
        }
        free(zeros);
        free(packed);
    }
    certlib_ctx_free(ctx);
    certlib_signer_free(signer);
}

struct worker {
    certlib_ctx *ctx;
    const uint8_t *lic;
    size_t len;
    int valid;
};

static void *verify_many(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < 200; i++) {
        certlib_verify_opts opts = {.now = FIXTURE_NOW};
        certlib_result *r;
        if (certlib_licence_verify(w->ctx, w->lic, w->len, &opts, &r) != CERTLIB_OK) continue;
        if (certlib_result_check(r, CERTLIB_CHECK_SIGNATURE).state == CERTLIB_CHECK_PASSED) w->valid++;
        certlib_result_free(r);
    }
    return NULL;
}

/* One context, four verifying threads (x5chain licences exercise the shared cache) and lists being
 * added at the same time. */
static void test_concurrent_verification(void **state)
{
    (void)state;
    char *bundle = fixture_bundle("sm2,p256,ed25519", "[\"*\"]", "[\"33\"]", NULL,
                                  "sm2/status,p256/status,ed25519/status");
    certlib_ctx *ctx = fixture_ctx_from(bundle);
    struct worker workers[4];
    pthread_t threads[4];
    uint8_t *lics[4];
    const char *alg_of[4] = {"ed25519", "p256", "sm2", "ed25519"};
    for (int i = 0; i < 4; i++) {
        certlib_signer *signer = fixture_signer(alg_of[i], "ga");
        certlib_licence_spec spec;
        fixture_spec(&spec);
        spec.with_x5chain = true;
        spec.status_uri = URI;
        spec.status_idx = (uint64_t)i;
        lics[i] = fixture_licence(signer, &spec, &workers[i].len);
        certlib_signer_free(signer);
        workers[i] = (struct worker){ctx, lics[i], workers[i].len, 0};
        assert_int_equal(pthread_create(&threads[i], NULL, verify_many, &workers[i]), 0);
    }
    for (int k = 0; k < 20; k++) {
        size_t len;
        uint8_t *cwt = make_list(k % 2 ? "sm2" : "ed25519", URI, FIXTURE_NOW - 100 + k, 0, 3, 1, &len);
        assert_int_equal(add_at(ctx, cwt, len), CERTLIB_OK);
        certlib_free(cwt);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(workers[i].valid, 200);
        certlib_free(lics[i]);
    }
    certlib_ctx_free(ctx);
    free(bundle);
}

int main(int argc, char **argv)
{
    if (argc != 2) return 2;
    fixture_keys_dir = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_draft_example),
        cmocka_unit_test(test_two_bit_layout),
        cmocka_unit_test(test_status_outcomes),
        cmocka_unit_test(test_refused_lists),
        cmocka_unit_test(test_decompression_cap),
        cmocka_unit_test(test_concurrent_verification),
        cmocka_unit_test(test_lists_per_root_and_no_future),
        cmocka_unit_test(test_status_signer_scope),
        cmocka_unit_test(test_status_signer_validity),
        cmocka_unit_test(test_list_freshness),
        cmocka_unit_test(test_typ_must_be_protected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
