/* certlib/src/base64url.c: RFC 4648 §5 test vectors, and every text that is not canonical base64url
 * without padding refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <string.h>

#include "base/base64.h"
#include "certlib/encoding.h"

static void test_rfc4648_vectors(void **state)
{
    (void)state;
    /* RFC 4648 §10 with the URL-safe alphabet and no padding */
    static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const text[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    for (size_t i = 0; i < 7; i++) {
        uint8_t out[16];
        size_t n = 99;
        assert_int_equal(certlib_base64url_decode(text[i], strlen(text[i]), out, sizeof(out), &n),
                         CERTLIB_OK);
        assert_int_equal(n, strlen(plain[i]));
        assert_memory_equal(out, plain[i], n);
    }
    uint8_t out[3];
    size_t n;
    assert_int_equal(certlib_base64url_decode("-_-_", 4, out, 3, &n), CERTLIB_OK);
    assert_int_equal(out[0], 0xfb);
    assert_int_equal(out[1], 0xff);
    assert_int_equal(out[2], 0xbf);
}

static void test_refusals(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "Zg==",         /* padding */
        "Zm9v+g",       /* the standard alphabet */
        "Zm9v/g",       /* likewise */
        "Z",            /* one character is no byte */
        "Zh",           /* non-zero trailing bits: "Zg" is the one text of "f" */
        "Zm 9v",        /* whitespace */
        "Zm9v\xc3\xa9", /* bytes >= 0x80 (libsodium 1.0.18 took some for letters) */
    };
    uint8_t out[16];
    size_t n;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(certlib_base64url_decode(bad[i], strlen(bad[i]), out, sizeof(out), &n),
                         CERTLIB_E_BASE64URL);
    assert_int_equal(certlib_base64url_decode("Zm9vYmFy", 8, out, 5, &n), CERTLIB_E_BASE64URL); /* no room */
    assert_int_equal(certlib_base64url_decode(NULL, 0, out, 5, &n), CERTLIB_E_INVALID_ARGUMENT);
}

/* The encoders against libsodium's (base64url without padding, and base64 with it, as C2SP notes write
 * it) at every length mod 3 and up to 200 bytes, and the vectors of RFC 4648 §10; what is encoded
 * decodes back. */
static void test_encoders_match_libsodium(void **state)
{
    (void)state;
    assert_true(sodium_init() >= 0);
    static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const std[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (size_t i = 0; i < 7; i++) {
        char got[16];
        size_t n = certlib__base64_encode((const uint8_t *)plain[i], strlen(plain[i]), got);
        assert_int_equal(n, strlen(std[i]));
        assert_memory_equal(got, std[i], n);
        n = certlib_base64url_encode((const uint8_t *)plain[i], strlen(plain[i]), got);
        assert_int_equal(n, strcspn(std[i], "="));
        assert_memory_equal(got, std[i], n);
    }
    uint8_t in[200], back[200];
    randombytes_buf(in, sizeof(in));
    in[0] = 0xfb, in[1] = 0xff, in[2] = 0xbf; /* the two characters the alphabets differ in */
    for (size_t len = 0; len <= sizeof(in); len++) {
        char want[300], got[300];
        sodium_bin2base64(want, sizeof(want), in, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        size_t n = certlib_base64url_encode(in, len, got);
        assert_int_equal(n, CERTLIB_BASE64URL_ENCODED_LEN(len));
        assert_int_equal(n, strlen(want));
        assert_memory_equal(got, want, n);
        size_t m = 999;
        assert_int_equal(certlib_base64url_decode(got, n, back, sizeof(back), &m), CERTLIB_OK);
        assert_int_equal(m, len);
        assert_memory_equal(back, in, len);
        sodium_bin2base64(want, sizeof(want), in, len, sodium_base64_VARIANT_ORIGINAL);
        n = certlib__base64_encode(in, len, got);
        assert_int_equal(n, CERTLIB__BASE64_ENCODED_LEN(len));
        assert_int_equal(n, strlen(want));
        assert_memory_equal(got, want, n);
    }
}

/* Every length from 0 to 96 bytes of random data, as libsodium encodes it, decodes back. */
static void test_round_trips(void **state)
{
    (void)state;
    assert_true(sodium_init() >= 0);
    for (size_t len = 0; len <= 96; len++) {
        uint8_t plain[96], out[96];
        char text[sodium_base64_ENCODED_LEN(96, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
        randombytes_buf(plain, len);
        sodium_bin2base64(text, sizeof(text), plain, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        size_t n = 999;
        assert_int_equal(certlib_base64url_decode(text, strlen(text), out, sizeof(out), &n), CERTLIB_OK);
        assert_int_equal(n, len);
        assert_memory_equal(out, plain, len);
    }
}

/* Each byte outside the alphabet, at each place of a whole quantum and of both kinds of partial one,
 * is refused; and every non-zero value of the spare bits of a partial quantum. */
static void test_every_byte_everywhere(void **state)
{
    (void)state;
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    uint8_t out[16];
    size_t n;
    for (int c = 0; c < 256; c++) {
        if (c && strchr(alphabet, c)) continue;
        for (size_t at = 0; at < 7; at++) {
            char text[8] = "Zm9vYmE"; /* a whole quantum, then one of three characters */
            text[at] = (char)c;
            assert_int_equal(certlib_base64url_decode(text, 7, out, sizeof(out), &n), CERTLIB_E_BASE64URL);
            char two[7] = "Zm9vYg"; /* then one of two */
            if (at < 6) {
                two[at] = (char)c;
                assert_int_equal(certlib_base64url_decode(two, 6, out, sizeof(out), &n), CERTLIB_E_BASE64URL);
            }
        }
    }
    for (unsigned spare = 1; spare < 16; spare++) { /* "Zg" is "f"; its last 4 bits must be zero */
        char text[3] = {'Z', alphabet[('g' - 'a' + 26) | spare], 0};
        assert_int_equal(certlib_base64url_decode(text, 2, out, sizeof(out), &n), CERTLIB_E_BASE64URL);
    }
    for (unsigned spare = 1; spare < 4; spare++) { /* "Zm8" is "fo"; its last 2 bits must be zero */
        char text[4] = {'Z', 'm', alphabet[(52 + 8) | spare], 0};
        assert_int_equal(certlib_base64url_decode(text, 3, out, sizeof(out), &n), CERTLIB_E_BASE64URL);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4648_vectors),          cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_encoders_match_libsodium), cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_every_byte_everywhere),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
