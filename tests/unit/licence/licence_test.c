/* certlib/src/licence_*.c and verify.c: issuing and verifying in all three algorithms, selective
 * disclosure, and every reason a licence is refused, each checked on the check that must report it. */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cbor/cbor_write.h"
#include "fixtures.h"
#include "forge.h"

static const char *const algs[] = {"ed25519", "p256", "sm2"};

static void assert_check(const certlib_result *r, certlib_check check, certlib_check_state state,
                         certlib_err reason)
{
    certlib_check_result got = certlib_result_check(r, check);
    if (got.state != state || got.reason != reason)
        fail_msg("%s: expected %s/%s, got %s/%s", certlib_check_name(check), certlib_check_state_name(state),
                 certlib_err_name(reason), certlib_check_state_name(got.state), certlib_err_name(got.reason));
}

/* The licence is refused, and `check` says why. */
static void expect_refused(const certlib_ctx *ctx, const uint8_t *lic, size_t len, int64_t now,
                           certlib_check check, certlib_err reason)
{
    certlib_result *r = fixture_verify(ctx, lic, len, now);
    assert_int_equal(certlib_result_verdict(r), CERTLIB_VERDICT_INVALID);
    assert_check(r, check, CERTLIB_CHECK_FAILED, reason);
    certlib_result_free(r);
}

static void test_issue_and_verify_each_algorithm(void **state)
{
    (void)state;
    certlib_ctx *ctx = fixture_ctx();
    static const certlib_alg expected[] = {CERTLIB_ALG_EDDSA, CERTLIB_ALG_ES256, CERTLIB_ALG_SM2_SM3};
    for (size_t a = 0; a < 3; a++) {
        certlib_signer *signer = fixture_signer(algs[a], "scjg");
        assert_int_equal(certlib_signer_alg(signer), expected[a]);
        size_t len;
        uint8_t *lic = fixture_licence(signer, NULL, &len);
        certlib_result *r = fixture_verify(ctx, lic, len, 0);
        if (certlib_result_verdict(r) != CERTLIB_VERDICT_VALID)
            fail_msg("%s: %s", algs[a], certlib_err_name(certlib_result_reason(r)));
        for (int c = 0; c < CERTLIB_CHECK_STATUS; c++)
            assert_check(r, (certlib_check)c, CERTLIB_CHECK_PASSED, CERTLIB_OK);
        assert_check(r, CERTLIB_CHECK_STATUS, CERTLIB_CHECK_NOT_APPLICABLE, CERTLIB_OK);
        assert_int_equal(certlib_result_alg(r), expected[a]);
        assert_int_equal(certlib_result_element_count(r), 12 + 3);
        assert_string_equal(certlib_result_licence_type(r), FIXTURE_TYPE);
        assert_string_equal(certlib_result_issuer_code(r), "11330100002498113P");
        assert_string_equal(certlib_result_issuer_name(r), "杭州市市场监督管理局");
        assert_string_equal(certlib_result_holder_id(r), FIXTURE_HOLDER_ID);
        assert_string_equal(certlib_result_holder_name(r), "杭州某某科技有限公司");
        assert_false(certlib_result_holder_bound(r));
        const certlib_element *e = certlib_result_find(r, NULL, "registered_capital");
        assert_non_null(e);
        assert_int_equal(e->type, CERTLIB_VALUE_INT);
        assert_int_equal(e->integer, 1000000);
        e = certlib_result_find(r, CERTLIB_NS_META, "issue_date");
        assert_int_equal(e->type, CERTLIB_VALUE_DATE);
        assert_string_equal(e->text, "2026-11-23");
        int64_t signed_at, from, until;
        assert_true(certlib_result_validity(r, &signed_at, &from, &until));
        assert_int_equal(signed_at, FIXTURE_SIGNED);
        /* every metadata element, in the standard's order, with its label */
        for (int m = 0; m < CERTLIB_METADATA_COUNT; m++) {
            const certlib_element *meta = certlib_result_element(r, (size_t)m);
            assert_string_equal(meta->identifier, certlib_metadata_element((certlib_metadata)m));
            assert_non_null(certlib_element_label(meta->identifier));
        }
        assert_null(certlib_metadata_element(CERTLIB_METADATA_COUNT));
        assert_null(certlib_element_label("registered_capital"));
        certlib_result_free(r);
        /* the signature hash issuance gives is the one read back from the licence */
        certlib_licence_spec spec;
        fixture_spec(&spec);
        spec.licence_type_code = fixture_type_for(signer);
        uint8_t *again, issued_hash[32], read_hash[32];
        size_t again_len;
        assert_int_equal(certlib_licence_issue_ex(signer, &spec, &again, &again_len, NULL, issued_hash),
                         CERTLIB_OK);
        assert_int_equal(certlib_licence_signature_hash(again, again_len, read_hash), CERTLIB_OK);
        assert_memory_equal(issued_hash, read_hash, 32);
        certlib_free(again);
        certlib_free(lic);
        certlib_signer_free(signer);
    }
    certlib_ctx_free(ctx);
}

/* SM2 licences digest with SM3; the others with SHA-256 (DESIGN §4). */
static void test_digest_algorithm_follows_signer(void **state)
{
    (void)state;
    for (size_t a = 0; a < 3; a++) {
        certlib_signer *signer = fixture_signer(algs[a], "mz");
        size_t len;
        uint8_t *lic = fixture_licence(signer, NULL, &len);
        const char *want = strcmp(algs[a], "sm2") == 0 ? "SM3" : "SHA-256";
        assert_non_null(memmem(lic, len, want, strlen(want)));
        certlib_free(lic);
        certlib_signer_free(signer);
    }
}

static void test_selective_disclosure(void **state)
{
    (void)state;
    certlib_ctx *ctx = fixture_ctx();
    certlib_signer *signer = fixture_signer("sm2", "scjg");
    size_t len, small_len, none_len;
    uint8_t *lic = fixture_licence(signer, NULL, &len), *small, *none;
    const char *keep[] = {"holder_name", "cn.gov.elicence." FIXTURE_TYPE ".1/business_scope",
                          "no_such_element"};
    assert_int_equal(certlib_licence_disclose(lic, len, keep, 3, &small, &small_len), CERTLIB_OK);
    assert_true(small_len < len);
    certlib_result *r = fixture_verify(ctx, small, small_len, 0);
    assert_int_equal(certlib_result_verdict(r), CERTLIB_VERDICT_VALID);
    assert_int_equal(certlib_result_element_count(r), 3); /* licence_id is always kept */
    assert_non_null(certlib_result_find(r, NULL, "licence_id"));
    assert_non_null(certlib_result_find(r, NULL, "business_scope"));
    assert_null(certlib_result_holder_id(r));
    certlib_result_free(r);

    /* Nothing asked for: licence_id alone, still valid. And disclosure of a disclosure. */
    assert_int_equal(certlib_licence_disclose(small, small_len, NULL, 0, &none, &none_len), CERTLIB_OK);
    r = fixture_verify(ctx, none, none_len, 0);
    assert_int_equal(certlib_result_verdict(r), CERTLIB_VERDICT_VALID);
    assert_int_equal(certlib_result_element_count(r), 1);
    certlib_result_free(r);

    /* issuerAuth travels byte for byte. */
    size_t tail = 200;
    assert_memory_equal(lic + len - tail, none + none_len - tail, tail);

    /* From a verification's reading: the same bytes as disclosing the licence afresh, for any verdict
     * (here valid, and refused by a context that trusts no one); nothing from an unreadable licence. */
    certlib_ctx *nobody;
    assert_int_equal(certlib_ctx_new(&nobody), CERTLIB_OK);
    for (int trusted = 0; trusted < 2; trusted++) {
        r = fixture_verify(trusted ? ctx : nobody, lic, len, 0);
        assert_int_equal(certlib_result_verdict(r),
                         trusted ? CERTLIB_VERDICT_VALID : CERTLIB_VERDICT_INVALID);
        for (size_t n_keep = 0; n_keep <= 3; n_keep++) {
            uint8_t *a, *b;
            size_t a_len, b_len;
            assert_int_equal(certlib_result_disclose(r, keep, n_keep, &a, &a_len), CERTLIB_OK);
            assert_int_equal(certlib_licence_disclose(lic, len, keep, n_keep, &b, &b_len), CERTLIB_OK);
            assert_int_equal(a_len, b_len);
            assert_memory_equal(a, b, a_len);
            certlib_free(a);
            certlib_free(b);
        }
        certlib_result_free(r);
    }
    r = fixture_verify(ctx, lic, len / 2, 0); /* truncated: its structure cannot be read */
    uint8_t *out = (uint8_t *)"untouched";
    size_t out_len = 7;
    assert_int_equal(certlib_result_disclose(r, keep, 3, &out, &out_len), CERTLIB_E_INVALID_ARGUMENT);
    assert_null(out);
    assert_int_equal(out_len, 0);
    certlib_result_free(r);
    certlib_ctx_free(nobody);
    certlib_free(lic);
    certlib_free(small);
    certlib_free(none);
    certlib_signer_free(signer);
    certlib_ctx_free(ctx);
}

/* Without the signer in the bundle, a compact licence cannot be resolved; with x5chain it can. */
static void test_kid_and_x5chain(void **state)
{
    (void)state;
    char *roots_only = fixture_bundle("sm2,p256,ed25519", "[\"*\"]", "[\"33\"]", NULL, NULL);
    certlib_ctx *ctx = fixture_ctx_from(roots_only);
    certlib_signer *signer = fixture_signer("p256", "ga");
    certlib_licence_spec spec;
    fixture_spec(&spec);
    size_t compact_len, full_len;
    uint8_t *compact = fixture_licence(signer, &spec, &compact_len);
    spec.with_x5chain = true;
    uint8_t *full = fixture_licence(signer, &spec, &full_len);
    assert_true(full_len > compact_len + 300);

    expect_refused(ctx, compact, compact_len, 0, CERTLIB_CHECK_SIGNER, CERTLIB_E_UNKNOWN_KID);
    certlib_result *r = fixture_verify(ctx, full, full_len, 0);
    assert_int_equal(certlib_result_verdict(r), CERTLIB_VERDICT_VALID);
    certlib_result_free(r);
    r = fixture_verify(ctx, full, full_len, 0); /* the second time from the context's cache */
    assert_int_equal(certlib_result_verdict(r), CERTLIB_VERDICT_VALID);
    certlib_result_free(r);
    certlib_ctx_free(ctx);

    /* An x5chain certificate under no trusted root. */
    char *sm2_only = fixture_bundle("sm2", "[\"*\"]", "[\"33\"]", NULL, NULL);
    ctx = fixture_ctx_from(sm2_only);
    expect_refused(ctx, full, full_len, 0, CERTLIB_CHECK_SIGNER, CERTLIB_E_UNTRUSTED);
    certlib_ctx_free(ctx);
    free(roots_only);
    free(sm2_only);
    certlib_free(compact);
    certlib_free(full);
    certlib_signer_free(signer);
}

static void test_truncated_and_trailing(void **state)
{
    (void)state;
    certlib_ctx *ctx = fixture_ctx();
    certlib_signer *signer = fixture_signer("ed25519", "scjg");
    size_t len;
    uint8_t *lic = fixture_licence(signer, NULL, &len);
    for (size_t cut = 0; cut < len; cut++) {
        certlib_result *r = fixture_verify(ctx, lic, cut, 0);
        assert_int_equal(certlib_result_verdict(r), CERTLIB_VERDICT_INVALID);
        assert_int_equal(certlib_result_check(r, CERTLIB_CHECK_STRUCTURE).state, CERTLIB_CHECK_FAILED);
        certlib_result_free(r);
    }
    expect_refused(ctx, lic, len - 1, 0, CERTLIB_CHECK_STRUCTURE, CERTLIB_E_CBOR_TRUNCATED);
    uint8_t *longer = malloc(len + 1);
    memcpy(longer, lic, len);
    longer[len] = 0;
    expect_refused(ctx, longer, len + 1, 0, CERTLIB_CHECK_STRUCTURE, CERTLIB_E_CBOR_TRAILING);
    free(longer);
    certlib_free(lic);
    certlib_signer_free(signer);
    certlib_ctx_free(ctx);
}

/* A licence whose first element's value nests 20 arrays deep. */
static void test_nesting_and_limits(void **state)
{
    (void)state;
    certlib_ctx *ctx = fixture_ctx();
    cbw item = {0}, w = {0};
    certlib__cbw_map(&item, 4);
    certlib__cbw_tstr(&item, "digestID");
    certlib__cbw_uint(&item, 0);
    certlib__cbw_tstr(&item, "random");
    certlib__cbw_bstr(&item, "0123456789abcdef", 16);
    certlib__cbw_tstr(&item, "elementIdentifier");
    certlib__cbw_tstr(&item, "deep");
    certlib__cbw_tstr(&item, "elementValue");
    for (int i = 0; i < 20; i++)
        certlib__cbw_array(&item, 1);
    certlib__cbw_uint(&item, 0);
    certlib__cbw_map(&w, 2);
    certlib__cbw_tstr(&w, "nameSpaces");
    certlib__cbw_map(&w, 1);
    certlib__cbw_tstr(&w, CERTLIB_NS_META);
    certlib__cbw_array(&w, 1);
    certlib__cbw_embedded(&w, &item);
    certlib__cbw_tstr(&w, "issuerAuth");
    certlib__cbw_array(&w, 0);
    expect_refused(ctx, w.buf, w.len, 0, CERTLIB_CHECK_STRUCTURE, CERTLIB_E_CBOR_DEPTH);
    certlib__cbw_free(&item);
    certlib__cbw_free(&w);

    /* Larger than the licence limit: refused before parsing. */
    size_t huge = CERTLIB_LICENCE_MAX_BYTES + 1;
    uint8_t *big = calloc(1, huge);
    expect_refused(ctx, big, huge, 0, CERTLIB_CHECK_STRUCTURE, CERTLIB_E_CBOR_LIMIT);
    free(big);

    /* More namespaces than allowed. */
    certlib_signer *signer = fixture_signer("ed25519", "scjg");
    struct forge f;
    forge_defaults(&f, signer);
    f.extra_namespaces = CERTLIB_LICENCE_MAX_NAMESPACES;
    size_t len;
    uint8_t *lic = forge_licence(&f, &len);
    expect_refused(ctx, lic, len, 0, CERTLIB_CHECK_STRUCTURE, CERTLIB_E_CBOR_LIMIT);
    free(lic);
    certlib_signer_free(signer);
    certlib_ctx_free(ctx);
}

static void test_forged_baseline_verifies(void **state)
{
    (void)state;
    certlib_ctx *ctx = fixture_ctx();
    for (size_t a = 0; a < 3; a++) {
        certlib_signer *signer = fixture_signer(algs[a], "scjg");
        struct forge f;
        forge_defaults(&f, signer);
        if (strcmp(algs[a], "sm2") == 0) f.digest_alg = "SM3";
        size_t len;
        uint8_t *lic = forge_licence(&f, &len);
        certlib_result *r = fixture_verify(ctx, lic, len, 0);
        if (certlib_result_verdict(r) != CERTLIB_VERDICT_VALID)
            fail_msg("forged %s: %s", algs[a], certlib_err_name(certlib_result_reason(r)));
        certlib_result_free(r);
        free(lic);
        certlib_signer_free(signer);
    }
    certlib_ctx_free(ctx);
}

/* Each forged defect and the check and reason that must catch it. */
static void test_forged_defects(void **state)
{
    (void)state;
    certlib_ctx *ctx = fixture_ctx();
    certlib_signer *scjg = fixture_signer("ed25519", "scjg"), *mz = fixture_signer("ed25519", "mz");
    certlib_signer *p256 = fixture_signer("p256", "scjg");
    uint8_t mz_kid[8], random_kid[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    certlib_signer_kid(mz, mz_kid);
    char other_issuer_id[CERTLIB_LICENCE_ID_MAX], other_type_id[CERTLIB_LICENCE_ID_MAX];
    assert_int_equal(certlib_licence_id_make(FIXTURE_TYPE, "11330100002498121J", "X1", 1, other_issuer_id,
                                             sizeof(other_issuer_id)),
                     CERTLIB_OK);
    assert_int_equal(certlib_licence_id_make("11100000000013338W009", "11330100002498113P", "X1", 1,
                                             other_type_id, sizeof(other_type_id)),
                     CERTLIB_OK);

    for (int defect = 0; defect < 20; defect++) {
        struct forge f;
        forge_defaults(&f, scjg);
        certlib_check check = CERTLIB_CHECK_STRUCTURE;
        certlib_err reason;
        switch (defect) {
        case 0:
            f.doc_type = "org.iso.18013.5.1.mDL";
            reason = CERTLIB_E_DOCTYPE;
            break;
        case 1:
            f.version = "2.0";
            reason = CERTLIB_E_MSO;
            break;
        case 2:
            f.digest_alg = "SHA-512";
            reason = CERTLIB_E_UNSUPPORTED_DIGEST;
            break;
        case 3:
            forge_find(&f, "holder_name")->random_len = 8;
            reason = CERTLIB_E_CBOR_TYPE;
            break;
        case 4:
            forge_find(&f, "holder_id")->digest_id = forge_find(&f, "holder_name")->digest_id;
            reason = CERTLIB_E_DUPLICATE_DIGEST_ID;
            break;
        case 5:
            forge_find(&f, "licence_id")->identifier = "licence_ident";
            reason = CERTLIB_E_ELEMENT_MISSING;
            break;
        case 6:
            forge_find(&f, "licence_id")->text =
                "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.V";
            reason = CERTLIB_E_LICENCE_ID_CHECKSUM;
            break;
        case 7:
            f.kid = mz_kid;
            check = CERTLIB_CHECK_SIGNATURE;
            reason = CERTLIB_E_SIGNATURE;
            break; /* wrong key */
        case 8:
            f.kid = random_kid;
            check = CERTLIB_CHECK_SIGNER;
            reason = CERTLIB_E_UNKNOWN_KID;
            break;
        case 9:
            f.alg = CERTLIB_ALG_ES256;
            check = CERTLIB_CHECK_SIGNATURE;
            reason = CERTLIB_E_ALG_MISMATCH;
            break;
        case 10:
            forge_find(&f, "holder_name")->not_in_mso = true;
            check = CERTLIB_CHECK_DIGESTS;
            reason = CERTLIB_E_DIGEST_MISSING;
            break;
        case 11:
            forge_find(&f, "licence_id")->text = other_issuer_id;
            check = CERTLIB_CHECK_SCOPE;
            reason = CERTLIB_E_ISSUER_MISMATCH;
            break;
        case 12:
            forge_find(&f, "licence_id")->text = other_type_id;
            check = CERTLIB_CHECK_SCOPE;
            reason = CERTLIB_E_ELEMENT_INCONSISTENT;
            break;
        case 13:
            f.signed_at = 1700000000;
            check = CERTLIB_CHECK_VALIDITY;
            reason = CERTLIB_E_SIGNED_OUTSIDE_CERT;
            break;
        case 14:
            f.valid_until = f.valid_from;
            reason = CERTLIB_E_MSO;
            break;
        case 15:
            f.signer = p256;
            f.alg = CERTLIB_ALG_EDDSA;
            f.kid = NULL;
            check = CERTLIB_CHECK_SIGNATURE;
            reason = CERTLIB_E_ALG_MISMATCH;
            break;
        case 16: /* a second licence_id naming another department's licence type */
            f.items[f.n_items++] =
                (struct forge_item){.digest_id = 30, .identifier = "licence_id", .text = other_type_id};
            reason = CERTLIB_E_DUPLICATE_ELEMENT;
            break;
        case 17: /* the same element twice in a type namespace */
            f.items[f.n_items++] = (struct forge_item){.ns = "cn.gov.elicence.11100000000013338W001.1",
                                                       .digest_id = 31,
                                                       .identifier = "a",
                                                       .text = "x"};
            f.items[f.n_items++] = (struct forge_item){.ns = "cn.gov.elicence.11100000000013338W001.1",
                                                       .digest_id = 32,
                                                       .identifier = "a",
                                                       .text = "y"};
            reason = CERTLIB_E_DUPLICATE_ELEMENT;
            break;
        case 18: /* RFC 9052 §3: no label in both header buckets (the unprotected one used to win) */
            f.x5chain_in_both = true;
            reason = CERTLIB_E_COSE_HEADER;
            break;
        case 19: /* "holder_id\0x": a second holder_id to every caller reading names as C strings */
            f.items[f.n_items++] = (struct forge_item){.digest_id = 33,
                                                       .identifier = "holder_id\0x",
                                                       .identifier_len = 11,
                                                       .text = "91330106MA2H12349J"};
            reason = CERTLIB_E_CBOR_TYPE;
            break;
        default:
            reason = CERTLIB_OK;
            break;
        }
        size_t len;
        uint8_t *lic = forge_licence(&f, &len);
        certlib_result *r = fixture_verify(ctx, lic, len, 0);
        certlib_check_result got = certlib_result_check(r, check);
        if (certlib_result_verdict(r) != CERTLIB_VERDICT_INVALID || got.state != CERTLIB_CHECK_FAILED ||
            got.reason != reason)
            fail_msg("defect %d: expected %s on %s, got %s/%s (verdict %s)", defect, certlib_err_name(reason),
                     certlib_check_name(check), certlib_check_state_name(got.state),
                     certlib_err_name(got.reason), certlib_verdict_name(certlib_result_verdict(r)));
        certlib_result_free(r);
        free(lic);
    }
    certlib_signer_free(scjg);
    certlib_signer_free(mz);
    certlib_signer_free(p256);
    certlib_ctx_free(ctx);
}

/* One byte of a disclosed value changed in place: its digest no longer matches. */
static void test_altered_element(void **state)
{
    (void)state;
    certlib_ctx *ctx = fixture_ctx();
    certlib_signer *signer = fixture_signer("p256", "scjg");
    size_t len;
    uint8_t *lic = fixture_licence(signer, NULL, &len);
    uint8_t *at = memmem(lic, len, FIXTURE_HOLDER_ID, strlen(FIXTURE_HOLDER_ID));
    assert_non_null(at);
    at[3] = at[3] == '3' ? '4' : '3';
    expect_refused(ctx, lic, len, 0, CERTLIB_CHECK_DIGESTS, CERTLIB_E_DIGEST_MISMATCH);
    /* A changed signature byte. */
    at[3] = FIXTURE_HOLDER_ID[3];
    lic[len - 1] ^= 0x01;
    expect_refused(ctx, lic, len, 0, CERTLIB_CHECK_SIGNATURE, CERTLIB_E_SIGNATURE);
    certlib_free(lic);
    certlib_signer_free(signer);
    certlib_ctx_free(ctx);
}

static void test_validity_windows(void **state)
{
    (void)state;
    certlib_ctx *ctx = fixture_ctx();
    certlib_signer *signer = fixture_signer("sm2", "ga");
    certlib_licence_spec spec;
    fixture_spec(&spec);
    spec.valid_from = FIXTURE_SIGNED + 86400 * 10;
    spec.valid_until = FIXTURE_SIGNED + 86400 * 20;
    size_t len;
    uint8_t *lic = fixture_licence(signer, &spec, &len);
    expect_refused(ctx, lic, len, FIXTURE_SIGNED + 86400, CERTLIB_CHECK_VALIDITY, CERTLIB_E_NOT_YET_VALID);
    expect_refused(ctx, lic, len, FIXTURE_SIGNED + 86400 * 20, CERTLIB_CHECK_VALIDITY, CERTLIB_E_EXPIRED);
    certlib_result *r = fixture_verify(ctx, lic, len, FIXTURE_SIGNED + 86400 * 15);
    assert_int_equal(certlib_result_verdict(r), CERTLIB_VERDICT_VALID);
    certlib_result_free(r);
    /* Clock skew tolerates a slightly fast or slow clock. */
    certlib_verify_opts opts = {.now = FIXTURE_SIGNED + 86400 * 10 - 30, .clock_skew = 60};
    assert_int_equal(certlib_licence_verify(ctx, lic, len, &opts, &r), CERTLIB_OK);
    assert_int_equal(certlib_result_verdict(r), CERTLIB_VERDICT_VALID);
    certlib_result_free(r);
    certlib_free(lic);

    /* Forty years on, the certificates have expired too: both are reported. */
    spec.valid_until = 4102444800LL; /* 2100 */
    lic = fixture_licence(signer, &spec, &len);
    r = fixture_verify(ctx, lic, len, 2524608000LL); /* 2050 */
    assert_check(r, CERTLIB_CHECK_CERTIFICATES, CERTLIB_CHECK_FAILED, CERTLIB_E_CERT_EXPIRED);
    assert_check(r, CERTLIB_CHECK_VALIDITY, CERTLIB_CHECK_PASSED, CERTLIB_OK);
    certlib_result_free(r);
    r = fixture_verify(ctx, lic, len, 1700000000); /* 2023: before the certificates */
    assert_check(r, CERTLIB_CHECK_CERTIFICATES, CERTLIB_CHECK_FAILED, CERTLIB_E_CERT_NOT_YET_VALID);
    certlib_result_free(r);
    certlib_free(lic);
    certlib_signer_free(signer);
    certlib_ctx_free(ctx);
}

static void test_scope(void **state)
{
    (void)state;
    certlib_signer *signer = fixture_signer("p256", "mz");
    size_t len;
    uint8_t *lic = fixture_licence(signer, NULL, &len);
    struct {
        const char *types, *regions;
        certlib_err reason;
    } cases[] = {
        {"[\"*\"]", "[\"33\"]", CERTLIB_OK},
        {"[\"11100000000013338W002\"]", "[\"3301\"]", CERTLIB_OK}, /* 结婚证: 民政局's */
        {"[\"*\"]", "[\"330100\"]", CERTLIB_OK},
        {"[\"*\"]", "[\"11\", \"31\"]", CERTLIB_E_SCOPE_REGION},
        {"[\"*\"]", "[\"3302\"]", CERTLIB_E_SCOPE_REGION},
        {"[\"11100000000013338W009\"]", "[\"*\"]", CERTLIB_E_SCOPE_TYPE},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *bundle = fixture_bundle("p256", cases[i].types, cases[i].regions, "p256/mz", NULL);
        certlib_ctx *ctx = fixture_ctx_from(bundle);
        certlib_result *r = fixture_verify(ctx, lic, len, 0);
        if (cases[i].reason == CERTLIB_OK)
            assert_check(r, CERTLIB_CHECK_SCOPE, CERTLIB_CHECK_PASSED, CERTLIB_OK);
        else
            assert_check(r, CERTLIB_CHECK_SCOPE, CERTLIB_CHECK_FAILED, cases[i].reason);
        certlib_result_free(r);
        certlib_ctx_free(ctx);
        free(bundle);
    }
    certlib_free(lic);
    certlib_signer_free(signer);
}

/* The demo bundle scopes each department's signer to its own licence types (under roots that allow
 * every type): 民政局's key cannot issue a 营业执照, whichever algorithm it uses, and the same
 * certificate given as x5chain is held to the same scope. */
static void test_signer_scope(void **state)
{
    (void)state;
    certlib_ctx *ctx = fixture_ctx();
    for (size_t a = 0; a < 3; a++) {
        certlib_signer *mz = fixture_signer(algs[a], "mz");
        for (int x5chain = 0; x5chain < 2; x5chain++) {
            certlib_licence_spec spec;
            fixture_spec(&spec);
            spec.with_x5chain = x5chain;
            uint8_t *lic = NULL;
            size_t len;
            assert_int_equal(certlib_licence_issue(mz, &spec, &lic, &len, NULL), CERTLIB_OK); /* 营业执照 */
            expect_refused(ctx, lic, len, 0, CERTLIB_CHECK_SCOPE, CERTLIB_E_SCOPE_TYPE);
            certlib_free(lic);
            spec.licence_type_code = "11100000000013338W003"; /* 离婚证: 民政局's */
            assert_int_equal(certlib_licence_issue(mz, &spec, &lic, &len, NULL), CERTLIB_OK);
            certlib_result *r = fixture_verify(ctx, lic, len, 0);
            assert_int_equal(certlib_result_verdict(r), CERTLIB_VERDICT_VALID);
            certlib_result_free(r);
            certlib_free(lic);
        }
        certlib_signer_free(mz);
    }
    /* A signer's own regions narrow its root's. */
    char *bundle = fixture_bundle("p256", "[\"*\"]", "[\"33\"]", NULL, NULL);
    json_t *doc = json_loads(bundle, 0, NULL);
    char pem[4096] = {0};
    FILE *f = fopen(fixture_path("pki/p256/scjg.crt"), "r");
    assert_true(fread(pem, 1, sizeof(pem) - 1, f) > 0);
    fclose(f);
    json_array_append_new(json_object_get(doc, "signers"),
                          json_pack("{s:s, s:[s]}", "certificate", pem, "regions", "3302")); /* 宁波 */
    char *json = json_dumps(doc, 0);
    certlib_ctx *narrow = fixture_ctx_from(json);
    certlib_signer *scjg = fixture_signer("p256", "scjg");
    size_t len;
    uint8_t *lic = fixture_licence(scjg, NULL, &len);
    expect_refused(narrow, lic, len, 0, CERTLIB_CHECK_SCOPE, CERTLIB_E_SCOPE_REGION);
    certlib_free(lic);
    certlib_signer_free(scjg);
    certlib_ctx_free(narrow);
    free(json);
    json_decref(doc);
    free(bundle);
    certlib_ctx_free(ctx);
}

/* Only the caller's expected holder passes, and only when the licence shows who holds it. */
static void test_expected_holder(void **state)
{
    (void)state;
    certlib_ctx *ctx = fixture_ctx();
    certlib_signer *signer = fixture_signer("ed25519", "ga");
    certlib_licence_spec spec;
    fixture_spec(&spec);
    spec.holder_id = "11010519491231002X";
    size_t len;
    uint8_t *lic = fixture_licence(signer, &spec, &len);
    struct {
        const char *expected;
        bool withhold;
        certlib_check_state state;
        certlib_err reason;
    } cases[] = {
        {NULL, false, CERTLIB_CHECK_NOT_APPLICABLE, CERTLIB_OK},
        {"11010519491231002X", false, CERTLIB_CHECK_PASSED, CERTLIB_OK},
        {"11010519491231002x", false, CERTLIB_CHECK_PASSED, CERTLIB_OK}, /* normalised */
        {"440524188001010014", false, CERTLIB_CHECK_FAILED, CERTLIB_E_HOLDER_MISMATCH},
        {"not a number", false, CERTLIB_CHECK_FAILED, CERTLIB_E_HOLDER_MISMATCH},
        /* holder_id withheld, another person's number given: failed before, passed by as "null" */
        {"440524188001010014", true, CERTLIB_CHECK_FAILED, CERTLIB_E_HOLDER_NOT_DISCLOSED},
        {"11010519491231002X", true, CERTLIB_CHECK_FAILED, CERTLIB_E_HOLDER_NOT_DISCLOSED},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const uint8_t *bytes = lic;
        size_t n = len;
        uint8_t *reduced = NULL;
        if (cases[i].withhold) {
            const char *keep[] = {"holder_name"};
            assert_int_equal(certlib_licence_disclose(lic, len, keep, 1, &reduced, &n), CERTLIB_OK);
            bytes = reduced;
        }
        certlib_verify_opts opts = {.now = FIXTURE_NOW, .expected_holder_id = cases[i].expected};
        certlib_result *r;
        assert_int_equal(certlib_licence_verify(ctx, bytes, n, &opts, &r), CERTLIB_OK);
        assert_check(r, CERTLIB_CHECK_EXPECTED_HOLDER, cases[i].state, cases[i].reason);
        assert_int_equal(certlib_result_verdict(r), cases[i].state == CERTLIB_CHECK_FAILED
                                                        ? CERTLIB_VERDICT_INVALID
                                                        : CERTLIB_VERDICT_VALID);
        certlib_result_free(r);
        certlib_free(reduced);
    }
    certlib_free(lic);
    certlib_signer_free(signer);
    certlib_ctx_free(ctx);
}

/* A document signer certificate without the digitalSignature key usage signs nothing: not through
 * x5chain (it used to verify valid), and a bundle listing it is refused. */
static void test_signer_key_usage(void **state)
{
    (void)state;
    certlib_ctx *ctx = fixture_ctx();
    char *pem = NULL;
    struct fixture_mint m = {.alg = "p256", .no_digital_signature = true};
    certlib_signer *signer = fixture_mint(&m, &pem);
    certlib_licence_spec spec;
    fixture_spec(&spec);
    spec.with_x5chain = true;
    size_t len;
    uint8_t *lic = fixture_licence(signer, &spec, &len);
    expect_refused(ctx, lic, len, 0, CERTLIB_CHECK_SIGNER, CERTLIB_E_SIGNER_ROLE);
    certlib_free(lic);
    certlib_signer_free(signer);
    char *bundle = fixture_bundle("p256", "[\"*\"]", "[\"33\"]", NULL, NULL);
    json_t *doc = json_loads(bundle, 0, NULL);
    json_array_append_new(json_object_get(doc, "signers"), json_string(pem));
    char *json = json_dumps(doc, 0);
    certlib_ctx *refused;
    assert_int_equal(certlib_ctx_new(&refused), CERTLIB_OK);
    assert_int_equal(certlib_ctx_load_trust(refused, (const uint8_t *)json, strlen(json)),
                     CERTLIB_E_TRUST_BUNDLE);
    assert_non_null(strstr(certlib_ctx_trust_error(refused), "digitalSignature"));
    certlib_ctx_free(refused);
    free(json);
    json_decref(doc);
    free(bundle);
    free(pem);
    certlib_ctx_free(ctx);
}

static void test_holder_binding(void **state)
{
    (void)state;
    certlib_ctx *ctx = fixture_ctx();
    certlib_signer *signer = fixture_signer("ed25519", "ga");
    /* A phone's P-256 device key. */
    static const char device_pem[] = "-----BEGIN PUBLIC KEY-----\n"
                                     "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEFL0r6iDZqXw/wkgclhK4JlfI8y+F\n"
                                     "3guZEjaNZulMgYIJICfCJUmKPAzBy3xnRMkVaxGm4lSOMtb9sUEyoIatIg==\n"
                                     "-----END PUBLIC KEY-----\n";
    uint8_t *key;
    size_t key_len;
    assert_int_equal(
        certlib_cose_key_from_pem((certlib_slice){(const uint8_t *)device_pem, sizeof(device_pem) - 1}, &key,
                                  &key_len),
        CERTLIB_OK);
    certlib_licence_spec spec;
    fixture_spec(&spec);
    spec.device_key = (certlib_slice){key, key_len};
    size_t len;
    uint8_t *lic = fixture_licence(signer, &spec, &len);
    /* On its own a bound licence is a copy anyone could show: the holder check demands the device's
     * signature by default, and passes it by only when the caller checks the licence, not its holder. */
    certlib_result *r = fixture_verify(ctx, lic, len, 0);
    assert_int_equal(certlib_result_verdict(r), CERTLIB_VERDICT_INVALID);
    assert_true(certlib_result_holder_bound(r));
    assert_check(r, CERTLIB_CHECK_HOLDER, CERTLIB_CHECK_FAILED, CERTLIB_E_DEVICE_SIGNATURE_MISSING);
    assert_int_equal(certlib_result_reason(r), CERTLIB_E_DEVICE_SIGNATURE_MISSING);
    certlib_result_free(r);
    certlib_verify_opts opts = {.now = FIXTURE_NOW, .holder = CERTLIB_HOLDER_REQUIRED};
    assert_int_equal(certlib_licence_verify(ctx, lic, len, &opts, &r), CERTLIB_OK);
    assert_check(r, CERTLIB_CHECK_HOLDER, CERTLIB_CHECK_FAILED, CERTLIB_E_DEVICE_SIGNATURE_MISSING);
    certlib_result_free(r);
    opts.holder = CERTLIB_HOLDER_NOT_CHECKED;
    assert_int_equal(certlib_licence_verify(ctx, lic, len, &opts, &r), CERTLIB_OK);
    assert_int_equal(certlib_result_verdict(r), CERTLIB_VERDICT_VALID);
    assert_check(r, CERTLIB_CHECK_HOLDER, CERTLIB_CHECK_NOT_APPLICABLE, CERTLIB_OK);
    certlib_result_free(r);
    certlib_free(lic);

    /* A licence that binds no one: nothing to prove, unless the caller accepts only bound licences. */
    lic = fixture_licence(signer, NULL, &len);
    r = fixture_verify(ctx, lic, len, 0);
    assert_int_equal(certlib_result_verdict(r), CERTLIB_VERDICT_VALID);
    assert_false(certlib_result_holder_bound(r));
    assert_check(r, CERTLIB_CHECK_HOLDER, CERTLIB_CHECK_NOT_APPLICABLE, CERTLIB_OK);
    certlib_result_free(r);
    opts.holder = CERTLIB_HOLDER_REQUIRED;
    assert_int_equal(certlib_licence_verify(ctx, lic, len, &opts, &r), CERTLIB_OK);
    assert_check(r, CERTLIB_CHECK_HOLDER, CERTLIB_CHECK_FAILED, CERTLIB_E_NOT_HOLDER_BOUND);
    certlib_result_free(r);
    certlib_free(lic);

    /* A key that is not one: refused at issuance. First a point off the curve (y's last bit flipped:
     * the map ends with y), then something that is not a COSE_Key at all. */
    uint8_t *out = NULL;
    size_t out_len;
    key[key_len - 1] ^= 1;
    assert_int_equal(certlib_licence_issue(signer, &spec, &out, &out_len, NULL), CERTLIB_E_KEY);
    assert_null(out);
    key[key_len - 1] ^= 1;
    key[0] = 0x80; /* an array, not a map */
    assert_int_equal(certlib_licence_issue(signer, &spec, &out, &out_len, NULL), CERTLIB_E_KEY);
    assert_null(out);
    certlib_free(key);
    static const char bad_pem[] = "-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n";
    assert_int_equal(certlib_cose_key_from_pem((certlib_slice){(const uint8_t *)bad_pem, sizeof(bad_pem) - 1},
                                               &key, &key_len),
                     CERTLIB_E_KEY);
    certlib_signer_free(signer);
    certlib_ctx_free(ctx);
}

static void test_issue_refusals(void **state)
{
    (void)state;
    certlib_signer *signer = fixture_signer("ed25519", "scjg");
    certlib_signer *status_signer = fixture_signer("ed25519", "status");
    struct {
        const char *what;
        certlib_err want;
    } cases[] = {
        {"holder_id", CERTLIB_E_IDENT_CHECKSUM},
        {"holder_name", CERTLIB_E_INVALID_ARGUMENT},
        {"type", CERTLIB_E_LICENCE_ID},
        {"serial", CERTLIB_E_LICENCE_ID},
        {"window", CERTLIB_E_INVALID_ARGUMENT},
        {"element_name", CERTLIB_E_ELEMENT_VALUE},
        {"element_date", CERTLIB_E_ELEMENT_VALUE},
        {"duplicate_element", CERTLIB_E_ELEMENT_VALUE},
        {"legacy_id", CERTLIB_E_IDENT_KIND},
    };
    certlib_element bad_name[] = {{.identifier = "Bad Name", .type = CERTLIB_VALUE_TEXT, .text = "x"}};
    certlib_element bad_date[] = {{.identifier = "d", .type = CERTLIB_VALUE_DATE, .text = "2023-02-30"}};
    certlib_element dup[] = {{.identifier = "a", .type = CERTLIB_VALUE_TEXT, .text = "x"},
                             {.identifier = "a", .type = CERTLIB_VALUE_TEXT, .text = "y"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        certlib_licence_spec spec;
        fixture_spec(&spec);
        const char *w = cases[i].what;
        if (!strcmp(w, "holder_id")) spec.holder_id = "11010519491231002Y";
        if (!strcmp(w, "holder_name")) spec.holder_name = "";
        if (!strcmp(w, "type")) spec.licence_type_code = "11100000000013338X001";
        if (!strcmp(w, "serial")) spec.serial = "lower";
        if (!strcmp(w, "window")) spec.valid_until = spec.signed_at;
        if (!strcmp(w, "element_name")) spec.elements = bad_name, spec.n_elements = 1;
        if (!strcmp(w, "element_date")) spec.elements = bad_date, spec.n_elements = 1;
        if (!strcmp(w, "duplicate_element")) spec.elements = dup, spec.n_elements = 2;
        if (!strcmp(w, "legacy_id")) spec.holder_id = "110105491231002";
        uint8_t *out = NULL;
        size_t len;
        certlib_err err = certlib_licence_issue(signer, &spec, &out, &len, NULL);
        if (err != cases[i].want)
            fail_msg("%s: expected %s, got %s", w, certlib_err_name(cases[i].want), certlib_err_name(err));
        assert_null(out);
    }
    /* A key and a certificate that do not match. */
    certlib_signer *mixed = NULL;
    assert_int_equal(certlib_signer_load(fixture_path("pki/ed25519/mz.key"), "/nonexistent.crt", &mixed),
                     CERTLIB_E_IO_OPEN);
    char key_path[1024];
    snprintf(key_path, sizeof(key_path), "%s", fixture_path("pki/ed25519/mz.key"));
    assert_int_equal(certlib_signer_load(key_path, fixture_path("pki/ed25519/scjg.crt"), &mixed),
                     CERTLIB_E_KEY);
    snprintf(key_path, sizeof(key_path), "%s", fixture_path("pki/sm2/mz.key"));
    assert_int_equal(certlib_signer_load(key_path, fixture_path("pki/ed25519/mz.crt"), &mixed),
                     CERTLIB_E_KEY);
    assert_null(mixed);
    certlib_signer_free(signer);
    certlib_signer_free(status_signer);
}

/* certlib_licence_read: the structure and elements of a licence, never a verdict that could pass for
 * a verification. */
static void test_read_without_trust(void **state)
{
    (void)state;
    certlib_signer *signer = fixture_signer("p256", "scjg");
    size_t len;
    uint8_t *lic = fixture_licence(signer, NULL, &len);
    certlib_result *r;
    assert_int_equal(certlib_licence_read(lic, len, &r), CERTLIB_OK);
    assert_int_equal(certlib_result_verdict(r), CERTLIB_VERDICT_INVALID);
    assert_int_equal(certlib_result_reason(r), CERTLIB_E_NOT_VERIFIED);
    assert_check(r, CERTLIB_CHECK_STRUCTURE, CERTLIB_CHECK_PASSED, CERTLIB_OK);
    assert_check(r, CERTLIB_CHECK_SIGNATURE, CERTLIB_CHECK_NOT_RUN, CERTLIB_OK);
    assert_string_equal(certlib_result_holder_id(r), FIXTURE_HOLDER_ID);
    assert_int_equal(certlib_result_element_count(r), 15);
    const char *keep[] = {"holder_name"};
    uint8_t *from_read, *disclosed;
    size_t from_read_len, disclosed_len;
    assert_int_equal(certlib_result_disclose(r, keep, 1, &from_read, &from_read_len), CERTLIB_OK);
    assert_int_equal(certlib_licence_disclose(lic, len, keep, 1, &disclosed, &disclosed_len), CERTLIB_OK);
    assert_int_equal(from_read_len, disclosed_len);
    assert_memory_equal(from_read, disclosed, disclosed_len);
    certlib_free(from_read);
    certlib_free(disclosed);
    certlib_result_free(r);
    assert_int_equal(certlib_licence_read(lic, len - 3, &r), CERTLIB_OK);
    assert_int_equal(certlib_result_reason(r), CERTLIB_E_CBOR_TRUNCATED);
    certlib_result_free(r);
    assert_int_equal(certlib_licence_verify(NULL, lic, len, NULL, &r), CERTLIB_E_INVALID_ARGUMENT);
    certlib_free(lic);
    certlib_signer_free(signer);
}

/* A type's namespace and its type code, both ways; any other namespace is not a type's. */
static void test_namespace_type(void **state)
{
    (void)state;
    char ns[64], code[22];
    assert_int_equal(certlib_type_namespace("11100000000013338W004", ns, sizeof(ns)), CERTLIB_OK);
    assert_int_equal(certlib_namespace_type(ns, code), CERTLIB_OK);
    assert_string_equal(code, "11100000000013338W004");
    static const char *const others[] = {CERTLIB_NS_META, "cn.gov.elicence.11100000000013338W004.2",
                                         "cn.gov.elicence.1110000000001333W004.1", "org.iso.18013.5.1", ""};
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
        assert_int_equal(certlib_namespace_type(others[i], code), CERTLIB_E_LICENCE_ID);
}

/* A labeller as a service's policies would be: knows the one type element the test adds. */
static const char *label_of(void *arg, const char *type_code, const char *identifier)
{
    (void)arg;
    assert_int_equal(strlen(type_code), 21);
    return !strcmp(identifier, "remarks") ? "备注" : !strcmp(identifier, "count") ? "数量" : NULL;
}

/* certlib_result_to_json: the verdict, every check and element, for a result that fits the first
 * buffer and for one (a 6 KB element full of characters to escape) that does not. */
static void test_result_json(void **state)
{
    (void)state;
    certlib_ctx *ctx = fixture_ctx();
    certlib_signer *signer = fixture_signer("ed25519", "scjg");
    static const char unit[] = "杭\"\\\t"; /* a character, a quote, a backslash, a tab: 6 bytes */
    char *big = malloc(1000 * 6 + 1);
    for (size_t i = 0; i < 1000; i++)
        memcpy(big + i * 6, unit, 6);
    big[6000] = '\0';
    certlib_element elements[] = {{.identifier = "remarks", .type = CERTLIB_VALUE_TEXT, .text = big},
                                  {.identifier = "count", .type = CERTLIB_VALUE_INT, .integer = -42}};
    for (int size = 0; size < 2; size++) {
        certlib_licence_spec spec;
        fixture_spec(&spec);
        if (size) spec.elements = elements, spec.n_elements = 2;
        size_t len, json_len;
        uint8_t *lic = fixture_licence(signer, &spec, &len);
        certlib_result *r = fixture_verify(ctx, lic, len, 0);
        char *json = certlib_result_to_json(r, &json_len);
        assert_non_null(json);
        assert_int_equal(strlen(json), json_len);
        assert_true(size ? json_len > 4096 : json_len < 4096);
        json_error_t error;
        json_t *doc = json_loads(json, 0, &error);
        if (!doc) fail_msg("not JSON: %s", error.text);
        assert_string_equal(json_string_value(json_object_get(doc, "verdict")), "valid");
        assert_true(json_is_null(json_object_get(doc, "reason")));
        assert_int_equal(json_object_size(json_object_get(doc, "checks")), CERTLIB_CHECK_COUNT);
        assert_string_equal(json_string_value(json_object_get(
                                json_object_get(json_object_get(doc, "checks"), "signature"), "state")),
                            "passed");
        /* the checks alone: the same members, rendered the same way */
        size_t checks_len;
        char *checks = certlib_result_checks_to_json(r, &checks_len);
        json_t *only = checks ? json_loads(checks, 0, &error) : NULL;
        assert_non_null(only);
        assert_int_equal(json_object_size(only), 3);
        assert_true(json_equal(json_object_get(only, "checks"), json_object_get(doc, "checks")));
        assert_true(json_equal(json_object_get(only, "verdict"), json_object_get(doc, "verdict")));
        assert_int_equal(memcmp(checks, json, checks_len - 1), 0); /* a prefix of the whole rendering */
        json_decref(only);
        certlib_free(checks);
        json_t *els = json_object_get(doc, "elements");
        assert_int_equal(json_array_size(els), certlib_result_element_count(r));
        int seen = 0;
        for (size_t i = 0; size && i < json_array_size(els); i++) {
            json_t *e = json_array_get(els, i);
            const char *id = json_string_value(json_object_get(e, "identifier"));
            if (!strcmp(id, "remarks")) {
                assert_string_equal(json_string_value(json_object_get(e, "value")), big);
                seen++;
            }
            if (!strcmp(id, "count")) {
                assert_int_equal(json_integer_value(json_object_get(e, "value")), -42);
                seen++;
            }
        }
        assert_int_equal(seen, size ? 2 : 0);
        json_decref(doc);
        free(json);
        /* with labels for the type's elements: each gets the caller's, the metadata keep certlib's */
        json = certlib_result_to_json_labelled(r, label_of, NULL, &json_len);
        assert_non_null(json);
        doc = json_loads(json, 0, &error);
        if (!doc) fail_msg("not JSON: %s", error.text);
        els = json_object_get(doc, "elements");
        for (size_t i = 0; i < json_array_size(els); i++) {
            json_t *e = json_array_get(els, i);
            const char *id = json_string_value(json_object_get(e, "identifier"));
            const char *label = json_string_value(json_object_get(e, "label"));
            if (!strcmp(id, "remarks")) assert_string_equal(label, "备注");
            if (!strcmp(id, "count")) assert_string_equal(label, "数量");
            if (!strcmp(id, "holder_name")) assert_string_equal(label, certlib_element_label("holder_name"));
        }
        json_decref(doc);
        free(json);
        certlib_result_free(r);
        certlib_free(lic);
    }
    free(big);
    certlib_signer_free(signer);
    certlib_ctx_free(ctx);
}

static void test_signer_role(void **state)
{
    (void)state;
    certlib_ctx *ctx = fixture_ctx();
    certlib_signer *status_signer = fixture_signer("p256", "status");
    size_t len;
    uint8_t *lic = fixture_licence(status_signer, NULL, &len);
    expect_refused(ctx, lic, len, 0, CERTLIB_CHECK_SIGNER, CERTLIB_E_SIGNER_ROLE);
    certlib_free(lic);
    certlib_signer_free(status_signer);
    certlib_ctx_free(ctx);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: licence_test KEYS_EXAMPLE_DIR\n");
        return 2;
    }
    fixture_keys_dir = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_issue_and_verify_each_algorithm),
        cmocka_unit_test(test_digest_algorithm_follows_signer),
        cmocka_unit_test(test_selective_disclosure),
        cmocka_unit_test(test_kid_and_x5chain),
        cmocka_unit_test(test_truncated_and_trailing),
        cmocka_unit_test(test_nesting_and_limits),
        cmocka_unit_test(test_forged_baseline_verifies),
        cmocka_unit_test(test_forged_defects),
        cmocka_unit_test(test_altered_element),
        cmocka_unit_test(test_validity_windows),
        cmocka_unit_test(test_scope),
        cmocka_unit_test(test_holder_binding),
        cmocka_unit_test(test_signer_scope),
        cmocka_unit_test(test_expected_holder),
        cmocka_unit_test(test_signer_key_usage),
        cmocka_unit_test(test_issue_refusals),
        cmocka_unit_test(test_result_json),
        cmocka_unit_test(test_namespace_type),
        cmocka_unit_test(test_read_without_trust),
        cmocka_unit_test(test_signer_role),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
