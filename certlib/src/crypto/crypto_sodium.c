/* libsodium backend: Ed25519 signatures, and the protected memory their secret keys live in. */
#include <sodium.h>
#include <string.h>

#include "crypto/crypto.h"

certlib_err certlib__ed25519_verify(const uint8_t pk[32], const uint8_t *msg, size_t len, const uint8_t *sig)
{
    return crypto_sign_verify_detached(sig, msg, len, pk) == 0 ? CERTLIB_OK : CERTLIB_E_SIGNATURE;
}

certlib_err certlib__ed25519_sign(const uint8_t *sk, const uint8_t *msg, size_t len, uint8_t sig[64])
{
    return crypto_sign_detached(sig, NULL, msg, len, sk) == 0 ? CERTLIB_OK : CERTLIB_E_INTERNAL;
}

certlib_err certlib__ed25519_sk_from_seed(const uint8_t seed[32], uint8_t **sk_out)
{
    /* sodium_malloc aborts before sodium_init (its page size is unset): a device key may be the first
     * thing a program asks certlib for (certctl present). sodium_init is idempotent and thread-safe. */
    if (sodium_init() < 0) return CERTLIB_E_INTERNAL;
    uint8_t *sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
    if (!sk) return CERTLIB_E_NOMEM;
    uint8_t pk[crypto_sign_PUBLICKEYBYTES];
    if (crypto_sign_seed_keypair(pk, sk, seed) != 0) {
        sodium_free(sk);
        return CERTLIB_E_INTERNAL;
    }
    *sk_out = sk;
    return CERTLIB_OK;
}
