/* XChaCha20-Poly1305 (libsodium's crypto_aead_xchacha20poly1305_ietf; draft-irtf-cfrg-xchacha), the
 * cipher of sealed records and blobs (record.c), through OpenSSL's ChaCha20-Poly1305 with a subkey
 * libsodium's HChaCha20 makes: the same bytes as libsodium, in about half its time for a record
 * (xchacha.c says why and how much). */
#ifndef AUTHD_XCHACHA_H
#define AUTHD_XCHACHA_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"

#define AUTHD_XCHACHA_KEY_LEN 32
#define AUTHD_XCHACHA_NONCE_LEN 24
#define AUTHD_XCHACHA_TAG_LEN 16

/* Encrypts `len` bytes of `in` into out[0..len) and appends the tag (out must hold len + 16 bytes),
 * authenticating `ad` too. AUTHD_E_INTERNAL when OpenSSL fails. */
authd_err authd_xchacha_seal(const uint8_t key[AUTHD_XCHACHA_KEY_LEN],
                             const uint8_t nonce[AUTHD_XCHACHA_NONCE_LEN], const uint8_t *ad, size_t ad_len,
                             const uint8_t *in, size_t len, uint8_t *out);

/* Decrypts `len` bytes of `in` (ciphertext then tag) into out[0..len - 16). AUTHD_E_CORRUPT when the
 * tag does not check (out then holds bytes to wipe, not plaintext), AUTHD_E_INTERNAL when OpenSSL
 * fails. */
authd_err authd_xchacha_open(const uint8_t key[AUTHD_XCHACHA_KEY_LEN],
                             const uint8_t nonce[AUTHD_XCHACHA_NONCE_LEN], const uint8_t *ad, size_t ad_len,
                             const uint8_t *in, size_t len, uint8_t *out);

#endif
