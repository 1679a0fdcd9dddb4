/* XChaCha20-Poly1305 through OpenSSL (authd/xchacha.c) against libsodium's, both ways: records sealed by
 * either open with the other, so stores written before the change read the same. */
#include <setjmp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "xchacha.h"

static const size_t lengths[] = {0, 1, 15, 16, 17, 63, 64, 65, 255, 256, 257, 1000, 3000, 3671, 4096, 65536};
static const size_t ad_lengths[] = {0, 1, 57, 200};

static void test_the_same_bytes_as_libsodium(void **state)
{
    (void)state;
    uint8_t key[32], nonce[24], ad[200];
    uint8_t *plain = malloc(65536), *ours = malloc(65536 + 16), *theirs = malloc(65536 + 16),
            *back = malloc(65536);
    for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++)
        for (size_t j = 0; j < sizeof(ad_lengths) / sizeof(ad_lengths[0]); j++) {
            size_t len = lengths[i], ad_len = ad_lengths[j];
            randombytes_buf(key, sizeof(key));
            randombytes_buf(nonce, sizeof(nonce));
            randombytes_buf(ad, sizeof(ad));
            randombytes_buf(plain, len);
            assert_int_equal(authd_xchacha_seal(key, nonce, ad, ad_len, plain, len, ours), AUTHD_OK);
            unsigned long long n;
            crypto_aead_xchacha20poly1305_ietf_encrypt(theirs, &n, plain, len, ad, ad_len, NULL, nonce, key);
            assert_int_equal(n, len + 16);
            assert_memory_equal(ours, theirs, len + 16);
            /* libsodium's sealing opens here, and ours there */
            assert_int_equal(authd_xchacha_open(key, nonce, ad, ad_len, theirs, len + 16, back), AUTHD_OK);
            if (len) assert_memory_equal(back, plain, len);
            assert_int_equal(crypto_aead_xchacha20poly1305_ietf_decrypt(back, &n, NULL, ours, len + 16, ad,
                                                                        ad_len, nonce, key),
                             0);
            assert_int_equal(n, len);
        }
    free(plain), free(ours), free(theirs), free(back);
}

static void test_any_change_is_refused(void **state)
{
    (void)state;
    uint8_t key[32], nonce[24], ad[57], plain[3000], sealed[3016], back[3000];
    randombytes_buf(key, sizeof(key));
    randombytes_buf(nonce, sizeof(nonce));
    randombytes_buf(ad, sizeof(ad));
    randombytes_buf(plain, sizeof(plain));
    assert_int_equal(authd_xchacha_seal(key, nonce, ad, sizeof(ad), plain, sizeof(plain), sealed), AUTHD_OK);
    assert_int_equal(authd_xchacha_open(key, nonce, ad, sizeof(ad), sealed, sizeof(sealed), back), AUTHD_OK);
    static const size_t flips[] = {0, 1500, 2999, 3000, 3015}; /* body, then tag */
    for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
        sealed[flips[i]] ^= 1;
        assert_int_equal(authd_xchacha_open(key, nonce, ad, sizeof(ad), sealed, sizeof(sealed), back),
                         AUTHD_E_CORRUPT);
        sealed[flips[i]] ^= 1;
    }
    uint8_t *parts[] = {key, nonce + 3, nonce + 20, ad + 56}; /* the subkey's nonce, the IV's, the data */
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        *parts[i] ^= 0x80;
        assert_int_equal(authd_xchacha_open(key, nonce, ad, sizeof(ad), sealed, sizeof(sealed), back),
                         AUTHD_E_CORRUPT);
        *parts[i] ^= 0x80;
    }
    assert_int_equal(authd_xchacha_open(key, nonce, ad, sizeof(ad) - 1, sealed, sizeof(sealed), back),
                     AUTHD_E_CORRUPT);
    assert_int_equal(authd_xchacha_open(key, nonce, ad, sizeof(ad), sealed, sizeof(sealed) - 1, back),
                     AUTHD_E_CORRUPT);
    assert_int_equal(authd_xchacha_open(key, nonce, ad, sizeof(ad), sealed, 15, back), AUTHD_E_CORRUPT);
    assert_int_equal(authd_xchacha_open(key, nonce, ad, sizeof(ad), sealed, sizeof(sealed), back), AUTHD_OK);
    assert_memory_equal(back, plain, sizeof(plain));
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_same_bytes_as_libsodium),
        cmocka_unit_test(test_any_change_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
