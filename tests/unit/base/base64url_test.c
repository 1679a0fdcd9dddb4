/* certlib/src/base64url.c: RFC 4648 §5 test vectors, and every text that is not canonical base64url
 * without padding refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4648_vectors),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
