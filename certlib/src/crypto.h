/* The one internal interface to cryptography, so the rest of the library never names a backend.
 * crypto_sodium.c implements Ed25519 and SHA-256 (libsodium: fast, no allocation on the hot path);
 * crypto_openssl.c implements P-256, SM2, SM3 and key parsing (OpenSSL 3). Internal. */
#ifndef CERTLIB_CRYPTO_H
#define CERTLIB_CRYPTO_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "certlib/signer.h"

#define CERTLIB_SIG_LEN 64    /* every supported algorithm: Ed25519, or r‖s of 32 bytes each */
#define CERTLIB_DIGEST_LEN 32 /* SHA-256 and SM3 */
#define CERTLIB_SM2_ID "1234567812345678"

typedef enum certlib__digest_alg { CERTLIB_DIGEST_SHA256 = 1, CERTLIB_DIGEST_SM3 = 2 } certlib__digest_alg;

/* A verification key. For EdDSA the raw key is used by libsodium; otherwise `pkey` (owned). */
typedef struct certlib__pubkey {
    certlib_alg alg;
    EVP_PKEY *pkey;
    uint8_t ed25519[32];
} certlib__pubkey;

/* A signing key. Ed25519 secret keys live in sodium_malloc memory. */
typedef struct certlib__privkey {
    certlib_alg alg;
    EVP_PKEY *pkey;
    uint8_t *ed25519_sk; /* 64 bytes, sodium_malloc */
} certlib__privkey;

certlib_err certlib__digest(certlib__digest_alg alg, const uint8_t *data, size_t len,
                            uint8_t out[CERTLIB_DIGEST_LEN]);

/* The algorithm a public key signs with; CERTLIB_ALG_NONE for unsupported keys. */
certlib_alg certlib__alg_of_pkey(const EVP_PKEY *pkey);

certlib_err certlib__pubkey_from_pkey(EVP_PKEY *pkey, certlib__pubkey *out); /* takes a reference */
void certlib__pubkey_clear(certlib__pubkey *key);
certlib_err certlib__verify(const certlib__pubkey *key, const uint8_t *msg, size_t len, const uint8_t *sig,
                            size_t sig_len);

certlib_err certlib__privkey_from_pem(const uint8_t *pem, size_t len, certlib__privkey *out);
void certlib__privkey_clear(certlib__privkey *key);
certlib_err certlib__sign(const certlib__privkey *key, const uint8_t *msg, size_t len,
                          uint8_t sig[CERTLIB_SIG_LEN]);

/* Backend entry points. */
certlib_err certlib__ed25519_verify(const uint8_t pk[32], const uint8_t *msg, size_t len, const uint8_t *sig);
certlib_err certlib__ed25519_sign(const uint8_t *sk, const uint8_t *msg, size_t len, uint8_t sig[64]);
certlib_err certlib__ed25519_sk_from_seed(const uint8_t seed[32], uint8_t **sk_out);
void certlib__sha256(const uint8_t *data, size_t len, uint8_t out[32]);
certlib_err certlib__ossl_verify(const certlib__pubkey *key, const uint8_t *msg, size_t len, const uint8_t *sig);
certlib_err certlib__ossl_sign(const certlib__privkey *key, const uint8_t *msg, size_t len, uint8_t sig[64]);
certlib_err certlib__sm3(const uint8_t *data, size_t len, uint8_t out[32]);

/* Sets the GM/T 0009 default distinguishing id on an SM2 certificate so OpenSSL 3.0 checks its
 * signature correctly (it would use an empty id otherwise). No-op for other certificates. */
certlib_err certlib__x509_set_sm2_id(X509 *cert);

#endif
