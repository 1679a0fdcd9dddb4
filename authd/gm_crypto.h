/* The 国密 primitives a store sealed with `store.cipher: sm4` uses (record.c), with libgcrypt: HMAC-SM3
 * (GB/T 32905 with RFC 2104's HMAC) and SM4 in counter mode (GB/T 32907). Records are sealed
 * encrypt-then-MAC with these two (OpenSSL 3.0 has no SM4-GCM; libgcrypt 1.10's SM4-GCM would tie the
 * format to one library). */
#ifndef AUTHD_GM_CRYPTO_H
#define AUTHD_GM_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUTHD_SM3_LEN 32
#define AUTHD_SM4_KEY_LEN 16
#define AUTHD_SM4_IV_LEN 16

struct authd_bytes {
    const void *p;
    size_t len;
};

/* The first `out_len` (at most 32) bytes of HMAC-SM3 under `key` over the concatenation of `parts`.
 * false when OpenSSL fails (it has no SM3). */
bool authd_hmac_sm3(const uint8_t *key, size_t key_len, const struct authd_bytes *parts, size_t n,
                    uint8_t *out, size_t out_len);

/* A key bound for use (it stays the caller's: it must outlive this); any number of threads use one at once.
 * NULL when libgcrypt has no SM3 or SM4. */
struct authd_hmac_sm3;
struct authd_hmac_sm3 *authd_hmac_sm3_new(const uint8_t *key, size_t key_len);
void authd_hmac_sm3_free(struct authd_hmac_sm3 *h);
/* As authd_hmac_sm3, under the prepared key. */
bool authd_hmac_sm3_with(const struct authd_hmac_sm3 *h, const struct authd_bytes *parts, size_t n,
                         uint8_t *out, size_t out_len);

struct authd_sm4;
struct authd_sm4 *authd_sm4_new(const uint8_t key[AUTHD_SM4_KEY_LEN]);
void authd_sm4_free(struct authd_sm4 *k);
/* SM4-CTR of `len` bytes from `in` into `out` (encryption and decryption are the same). */
bool authd_sm4_ctr(const struct authd_sm4 *k, const uint8_t iv[AUTHD_SM4_IV_LEN], const uint8_t *in,
                   size_t len, uint8_t *out);

#endif
