/* authd record.h: sealed licence records. Round trips, every kind of tampering, another data key,
 * status changes (revocation final), the holder key, and the upgrade of a schema 2 record. */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authd_support.h"
#include "certlib/status.h"
#include "record.h"

static const char ID[] = "330100-11330100002498113P-20261129-0000001234-X";
static const uint8_t LICENCE[] = "a licence's CBOR would be here";

static struct authd_licence_meta meta_of(uint8_t status)
{
    struct authd_licence_meta m = {
        .status = status, .list_no = 7, .status_idx = 123456, .issued_at = 1795000000};
    snprintf(m.type_code, sizeof(m.type_code), "%s", "113301000024981130001");
    snprintf(m.issuer_code, sizeof(m.issuer_code), "%s", "11330100002498113P");
    return m;
}

static enum authd_cipher xchacha = AUTHD_CIPHER_XCHACHA20, sm4 = AUTHD_CIPHER_SM4;

/* The demo data key's record keys in the suite a test runs with (its prestate; XChaCha20 by default). */
static struct authd_record_keys *suite_keys(void **state)
{
    struct authd_record_keys *k = demo_record_keys();
    authd_record_keys_use(k, *state ? *(enum authd_cipher *)*state : AUTHD_CIPHER_XCHACHA20);
    return k;
}

static uint8_t *sealed(const struct authd_record_keys *k, const struct authd_licence_meta *m, size_t *len)
{
    *len = authd_record_sealed_len(k, sizeof(LICENCE));
    uint8_t *r = malloc(*len);
    assert_int_equal(authd_record_seal(k, ID, strlen(ID), m, LICENCE, sizeof(LICENCE), r), AUTHD_OK);
    return r;
}

static void assert_meta_equal(const struct authd_licence_meta *a, const struct authd_licence_meta *b)
{
    assert_int_equal(a->status, b->status);
    assert_int_equal(a->list_no, b->list_no);
    assert_int_equal(a->status_idx, b->status_idx);
    assert_int_equal(a->issued_at, b->issued_at);
    assert_string_equal(a->type_code, b->type_code);
    assert_string_equal(a->issuer_code, b->issuer_code);
}

static void test_round_trip(void **state)
{
    struct authd_record_keys *k = suite_keys(state);
    struct authd_licence_meta m = meta_of(CERTLIB_STATUS_VALUE_VALID), got;
    size_t len;
    uint8_t *r = sealed(k, &m, &len);
    assert_int_equal(authd_record_meta(k, ID, strlen(ID), r, len, &got), AUTHD_OK);
    assert_meta_equal(&got, &m);
    uint8_t *licence;
    size_t licence_len;
    assert_int_equal(authd_record_open(k, ID, strlen(ID), r, len, &got, &licence, &licence_len), AUTHD_OK);
    assert_int_equal(licence_len, sizeof(LICENCE));
    assert_memory_equal(licence, LICENCE, licence_len);
    free(licence);
    /* the licence is not in the record in clear */
    assert_null(memmem(r, len, "licence", 7));
    free(r);
    authd_record_keys_free(k);
}

static void test_tampering(void **state)
{
    struct authd_record_keys *k = suite_keys(state);
    struct authd_licence_meta m = meta_of(CERTLIB_STATUS_VALUE_REVOKED), got;
    size_t len;
    uint8_t *r = sealed(k, &m, &len);
    uint8_t *licence = NULL;
    size_t licence_len;
    /* every byte of the header and its MAC is covered by the MAC */
    for (size_t i = 0; i < 73; i++) {
        r[i] ^= 1;
        assert_int_equal(authd_record_meta(k, ID, strlen(ID), r, len, &got), AUTHD_E_CORRUPT);
        r[i] ^= 1;
    }
    /* the nonce and the ciphertext by the AEAD */
    for (size_t i = 73; i < len; i += 7) {
        r[i] ^= 0x80;
        assert_int_equal(authd_record_meta(k, ID, strlen(ID), r, len, &got), AUTHD_OK);
        assert_int_equal(authd_record_open(k, ID, strlen(ID), r, len, &got, &licence, &licence_len),
                         AUTHD_E_CORRUPT);
        r[i] ^= 0x80;
    }
    /* moved to another id */
    char other[sizeof(ID)];
    memcpy(other, ID, sizeof(ID));
    other[sizeof(ID) - 2] = 'Y';
    assert_int_equal(authd_record_meta(k, other, strlen(other), r, len, &got), AUTHD_E_CORRUPT);
    /* truncated, and not a record at all */
    assert_int_equal(authd_record_meta(k, ID, strlen(ID), r, 80, &got), AUTHD_E_CORRUPT);
    assert_int_equal(authd_record_meta(k, ID, 0, r, len, &got), AUTHD_E_CORRUPT);
    free(r);
    authd_record_keys_free(k);
}

static void test_another_data_key(void **state)
{
    (void)state;
    char *dir = scratch_dir(), path[4200], err[512];
    snprintf(path, sizeof(path), "%s/other.key", dir);
    FILE *f = fopen(path, "w");
    fputs("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n", f);
    fclose(f);
    struct authd_record_keys *mine = demo_record_keys(), *theirs;
    assert_int_equal(authd_record_keys_load(path, &theirs, err, sizeof(err)), AUTHD_OK);
    struct authd_licence_meta m = meta_of(CERTLIB_STATUS_VALUE_VALID), got;
    size_t len;
    uint8_t *r = sealed(mine, &m, &len);
    assert_int_equal(authd_record_meta(theirs, ID, strlen(ID), r, len, &got), AUTHD_E_CORRUPT);
    /* the holder index is keyed too: another data key, other index keys */
    uint8_t a[AUTHD_HOLDER_KEY_LEN], b[AUTHD_HOLDER_KEY_LEN], c[AUTHD_HOLDER_KEY_LEN];
    authd_record_holder_key(mine, "11010519491231002X", 18, a);
    authd_record_holder_key(theirs, "11010519491231002X", 18, b);
    authd_record_holder_key(mine, "110105194912310021", 18, c);
    assert_memory_not_equal(a, b, AUTHD_HOLDER_KEY_LEN);
    assert_memory_not_equal(a, c, AUTHD_HOLDER_KEY_LEN);
    authd_record_holder_key(mine, "11010519491231002X", 18, b);
    assert_memory_equal(a, b, AUTHD_HOLDER_KEY_LEN);
    free(r);
    authd_record_keys_free(mine);
    authd_record_keys_free(theirs);
    scratch_remove(dir);
}

static void test_bad_key_files(void **state)
{
    (void)state;
    char *dir = scratch_dir(), path[4200], err[512] = "";
    struct authd_record_keys *k = (void *)1;
    snprintf(path, sizeof(path), "%s/missing.key", dir);
    assert_int_equal(authd_record_keys_load(path, &k, err, sizeof(err)), AUTHD_E_CONFIG);
    assert_null(k);
    assert_non_null(strstr(err, "missing.key"));
    snprintf(path, sizeof(path), "%s/short.key", dir);
    FILE *f = fopen(path, "w");
    fputs("0011223344556677\n", f);
    fclose(f);
    assert_int_equal(authd_record_keys_load(path, &k, err, sizeof(err)), AUTHD_E_CONFIG);
    assert_non_null(strstr(err, "64 hexadecimal digits"));
    assert_null(strstr(err, "0011223344556677")); /* a key never reaches a message */
    scratch_remove(dir);
}

static void test_status_changes(void **state)
{
    struct authd_record_keys *k = suite_keys(state);
    struct authd_licence_meta m = meta_of(CERTLIB_STATUS_VALUE_VALID), before, got;
    size_t len;
    uint8_t *r = sealed(k, &m, &len), *next = malloc(len), *again = malloc(len);
    assert_int_equal(
        authd_record_set_status(k, ID, strlen(ID), r, len, CERTLIB_STATUS_VALUE_SUSPENDED, next, &before),
        AUTHD_OK);
    assert_int_equal(before.status, CERTLIB_STATUS_VALUE_VALID);
    uint8_t *licence;
    size_t licence_len;
    assert_int_equal(authd_record_open(k, ID, strlen(ID), next, len, &got, &licence, &licence_len), AUTHD_OK);
    assert_int_equal(got.status, CERTLIB_STATUS_VALUE_SUSPENDED);
    free(licence);
    /* revoked is final */
    assert_int_equal(
        authd_record_set_status(k, ID, strlen(ID), next, len, CERTLIB_STATUS_VALUE_REVOKED, again, &before),
        AUTHD_OK);
    assert_int_equal(
        authd_record_set_status(k, ID, strlen(ID), again, len, CERTLIB_STATUS_VALUE_VALID, next, &before),
        AUTHD_E_CONFLICT);
    assert_int_equal(before.status, CERTLIB_STATUS_VALUE_REVOKED);
    /* a tampered record is not re-MACed into a valid one */
    again[1] = CERTLIB_STATUS_VALUE_VALID;
    assert_int_equal(
        authd_record_set_status(k, ID, strlen(ID), again, len, CERTLIB_STATUS_VALUE_SUSPENDED, next, &before),
        AUTHD_E_CORRUPT);
    free(r);
    free(next);
    free(again);
    authd_record_keys_free(k);
}

static void test_upgrade_v2(void **state)
{
    (void)state;
    char key_file[4096];
    snprintf(key_file, sizeof(key_file), "%s/keys-example/data.key", test_repo);
    struct authd_record_keys *k = demo_record_keys();
    struct authd_licence_meta m = meta_of(CERTLIB_STATUS_VALUE_SUSPENDED), got;
    size_t old_len, len, licence_len;
    uint8_t *old = seal_v2_record(key_file, ID, &m, 4242, LICENCE, sizeof(LICENCE), &old_len), *r, *licence;
    uint64_t index = 0;
    assert_int_equal(authd_record_upgrade_v2(k, ID, strlen(ID), old, old_len, &r, &len, &index), AUTHD_OK);
    assert_int_equal(index, 4242);
    assert_int_equal(len, authd_record_sealed_len(k, sizeof(LICENCE)));
    assert_int_equal(authd_record_open(k, ID, strlen(ID), r, len, &got, &licence, &licence_len), AUTHD_OK);
    assert_meta_equal(&got, &m);
    assert_memory_equal(licence, LICENCE, licence_len);
    free(licence);
    free(r);
    /* a schema 3 record, a v2 record of another id, a tampered one: refused */
    size_t v3_len;
    uint8_t *v3 = sealed(k, &m, &v3_len);
    assert_int_equal(authd_record_upgrade_v2(k, ID, strlen(ID), v3, v3_len, &r, &len, &index),
                     AUTHD_E_CORRUPT);
    assert_int_equal(authd_record_upgrade_v2(k, "another", 7, old, old_len, &r, &len, &index),
                     AUTHD_E_CORRUPT);
    old[60] ^= 1; /* inside the log index: authenticated in schema 2 */
    assert_int_equal(authd_record_upgrade_v2(k, ID, strlen(ID), old, old_len, &r, &len, &index),
                     AUTHD_E_CORRUPT);
    free(v3);
    free(old);
    authd_record_keys_free(k);
}

/* The two suites are two formats: a record of one never opens under the other, and the holder index keys
 * differ; the 国密 suite's holder key is HMAC-SM3 under a key derived with HMAC-SM3 (checked against an
 * independent computation in test_authd_store_cipher.py). */
static void test_suites_apart(void **state)
{
    (void)state;
    struct authd_record_keys *x = demo_record_keys(), *g = demo_record_keys();
    authd_record_keys_use(g, AUTHD_CIPHER_SM4);
    assert_int_equal(authd_record_keys_cipher(g), AUTHD_CIPHER_SM4);
    struct authd_licence_meta m = meta_of(CERTLIB_STATUS_VALUE_VALID), got;
    size_t xl, gl;
    uint8_t *xr = sealed(x, &m, &xl), *gr = sealed(g, &m, &gl);
    assert_int_equal(xr[0], 3);
    assert_int_equal(gr[0], 4);
    assert_int_equal(gl, xl - 8); /* a 16-byte IV where XChaCha20 has a 24-byte nonce */
    assert_int_equal(authd_record_meta(g, ID, strlen(ID), xr, xl, &got), AUTHD_E_CORRUPT);
    assert_int_equal(authd_record_meta(x, ID, strlen(ID), gr, gl, &got), AUTHD_E_CORRUPT);
    uint8_t a[AUTHD_HOLDER_KEY_LEN], b[AUTHD_HOLDER_KEY_LEN];
    authd_record_holder_key(x, "11010519491231002X", 18, a);
    authd_record_holder_key(g, "11010519491231002X", 18, b);
    assert_memory_not_equal(a, b, AUTHD_HOLDER_KEY_LEN);
    assert_string_equal(authd_cipher_name(AUTHD_CIPHER_SM4), "sm4");
    assert_int_equal(authd_cipher_of("sm4"), AUTHD_CIPHER_SM4);
    assert_int_equal(authd_cipher_of("xchacha20-poly1305"), AUTHD_CIPHER_XCHACHA20);
    assert_int_equal(authd_cipher_of("aes"), -1);
    free(xr);
    free(gr);
    authd_record_keys_free(x);
    authd_record_keys_free(g);
}

int main(int argc, char **argv)
{
    if (argc > 1) test_repo = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_tampering),
        cmocka_unit_test_prestate(test_round_trip, &sm4),
        cmocka_unit_test_prestate(test_tampering, &sm4),
        cmocka_unit_test_prestate(test_status_changes, &sm4),
        cmocka_unit_test_prestate(test_round_trip, &xchacha),
        cmocka_unit_test(test_suites_apart),
        cmocka_unit_test(test_another_data_key),
        cmocka_unit_test(test_bad_key_files),
        cmocka_unit_test(test_status_changes),
        cmocka_unit_test(test_upgrade_v2),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
