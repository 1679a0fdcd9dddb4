/* certlib/src/qr.c: Base45 against RFC 9285's examples, and the EL1: transport with its limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "certlib/licence.h"
#include "certlib/qr.h"

static void test_rfc9285_examples(void **state)
{
    (void)state;
    static const char *const pairs[][2] = {
        {"AB", "BB8"}, {"Hello!!", "%69 VD92EX0"}, {"base-45", "UJCLQE7W581"}, {"ietf!", "QED8WEX0"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        char enc[64];
        uint8_t dec[64];
        size_t n;
        certlib_base45_encode((const uint8_t *)pairs[i][0], strlen(pairs[i][0]), enc);
        assert_string_equal(enc, pairs[i][1]);
        assert_int_equal(certlib_base45_decode(pairs[i][1], strlen(pairs[i][1]), dec, &n), CERTLIB_OK);
        assert_int_equal(n, strlen(pairs[i][0]));
        assert_memory_equal(dec, pairs[i][0], n);
    }
    uint8_t out[16];
    size_t n;
    assert_int_equal(certlib_base45_decode("GGW", 3, out, &n), CERTLIB_E_BASE45); /* 65536 */
    assert_int_equal(certlib_base45_decode("U5", 2, out, &n), CERTLIB_OK);        /* 30 + 5 * 45 = 255 */
    assert_int_equal(out[0], 255);
    assert_int_equal(certlib_base45_decode("V5", 2, out, &n), CERTLIB_E_BASE45);  /* 256 */
    assert_int_equal(certlib_base45_decode("B", 1, out, &n), CERTLIB_E_BASE45);   /* length 3k+1 */
    assert_int_equal(certlib_base45_decode("bb8", 3, out, &n), CERTLIB_E_BASE45); /* lower case */
    assert_int_equal(certlib_base45_decode("::", 2, out, &n), CERTLIB_E_BASE45);  /* 2024 > 255 */
}

static void test_round_trip_and_errors(void **state)
{
    (void)state;
    uint8_t cbor[3000];
    for (size_t i = 0; i < sizeof(cbor); i++)
        cbor[i] = (uint8_t)(i * 7 % 251);
    char *text;
    assert_int_equal(certlib_qr_encode(cbor, sizeof(cbor), &text), CERTLIB_OK);
    assert_memory_equal(text, "EL1:", 4);
    uint8_t *back;
    size_t len;
    /* A scanner's trailing CR LF is ignored. */
    size_t tlen = strlen(text);
    char *typed = malloc(tlen + 3);
    memcpy(typed, text, tlen);
    memcpy(typed + tlen, "\r\n", 3);
    assert_int_equal(certlib_qr_decode(typed, tlen + 2, &back, &len), CERTLIB_OK);
    assert_int_equal(len, sizeof(cbor));
    assert_memory_equal(back, cbor, len);
    certlib_free(back);
    assert_int_equal(certlib_qr_decode(text + 1, tlen - 1, &back, &len), CERTLIB_E_QR_PREFIX);
    assert_int_equal(certlib_qr_decode(text, tlen - 3, &back, &len), CERTLIB_E_DECOMPRESS); /* truncated */
    typed[tlen - 5] = 'a';
    assert_int_equal(certlib_qr_decode(typed, tlen, &back, &len), CERTLIB_E_BASE45);
    assert_null(back);
    free(typed);
    certlib_free(text);
    uint8_t big[CERTLIB_QR_MAX_CBOR + 1] = {0};
    assert_int_equal(certlib_qr_encode(big, sizeof(big), &text), CERTLIB_E_CBOR_LIMIT);
}

/* 1 MiB of zeros deflates to about a kilobyte: a QR-sized text that must not inflate. */
static void test_decompression_bomb(void **state)
{
    (void)state;
    size_t size = 1024 * 1024;
    uint8_t *zeros = calloc(1, size);
    uLongf packed_len = compressBound((uLong)size);
    uint8_t *packed = malloc(packed_len);
    assert_int_equal(compress2(packed, &packed_len, zeros, (uLong)size, 9), Z_OK);
    char *text = malloc(4 + packed_len / 2 * 3 + 3);
    memcpy(text, "EL1:", 4);
    certlib_base45_encode(packed, packed_len, text + 4);
    assert_true(strlen(text) < CERTLIB_QR_MAX_TEXT);
    uint8_t *out;
    size_t len;
    assert_int_equal(certlib_qr_decode(text, strlen(text), &out, &len), CERTLIB_E_DECOMPRESS);
    assert_null(out);
    free(text);
    free(packed);
    free(zeros);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc9285_examples),
        cmocka_unit_test(test_round_trip_and_errors),
        cmocka_unit_test(test_decompression_bomb),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
