/* The one internal interface to cryptography, so the rest of the library never names a backend.
 * crypto_sodium.c implements Ed25519 (libsodium); crypto_openssl.c implements SHA-256, SM3, P-256, SM2
 * and key parsing (OpenSSL 3). Internal. */
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
    uint8_t *ed25519_sk;      /* 64 bytes, sodium_malloc */
    certlib_sign_fn external; /* a key outside certlib (certlib_signer_new_external): neither of the above */
    void *external_ctx;
} certlib__privkey;

certlib_err certlib__digest(certlib__digest_alg alg, const uint8_t *data, size_t len,
                            uint8_t out[CERTLIB_DIGEST_LEN]);

/* Many digests in a row (every disclosed item of a licence): one OpenSSL context reused with a hash
 * fetched once per certlib_ctx. 0.18 µs per 120-byte item against 0.51 µs for the one-shot SHA256()
 * and 0.97 µs for libsodium's (measured for bench/verify on this machine). */
typedef struct certlib__hasher {
    EVP_MD_CTX *md_ctx;
    const EVP_MD *md;
} certlib__hasher;

/* The fetched hashes a context keeps, indexed by certlib__digest_alg. */
typedef struct certlib__hashes {
    EVP_MD *md[3];
} certlib__hashes;

certlib_err certlib__hashes_fetch(certlib__hashes *h);
void certlib__hashes_free(certlib__hashes *h);
certlib_err certlib__hasher_init(certlib__hasher *h, const certlib__hashes *hashes, certlib__digest_alg alg);
certlib_err certlib__hasher_digest(certlib__hasher *h, const uint8_t *data, size_t len,
                                   uint8_t out[CERTLIB_DIGEST_LEN]);
void certlib__hasher_free(certlib__hasher *h);

/* The algorithm a public key signs with; CERTLIB_ALG_NONE for unsupported keys. */
certlib_alg certlib__alg_of_pkey(const EVP_PKEY *pkey);

/* A P-256 key from its uncompressed point (0x04 ‖ x ‖ y); CERTLIB_E_KEY when it is not on the curve. */
certlib_err certlib__p256_pubkey(const uint8_t point[65], EVP_PKEY **out);
certlib_err certlib__pubkey_from_pkey(EVP_PKEY *pkey, certlib__pubkey *out); /* takes a reference */
void certlib__pubkey_clear(certlib__pubkey *key);
certlib_err certlib__verify(const certlib__pubkey *key, const uint8_t *msg, size_t len, const uint8_t *sig,
                            size_t sig_len);

/* A P-256 or Ed25519 key from PKCS#8 DER without OpenSSL's decoders (privkey_fast.c);
 * CERTLIB_E_UNSUPPORTED_ALG for any other kind, which OpenSSL's path reads. */
certlib_err certlib__privkey_from_pkcs8(const uint8_t *der, size_t len, certlib__privkey *out);
certlib_err certlib__privkey_from_pem(const uint8_t *pem, size_t len, certlib__privkey *out);
void certlib__privkey_clear(certlib__privkey *key);
certlib_err certlib__sign(const certlib__privkey *key, const uint8_t *msg, size_t len,
                          uint8_t sig[CERTLIB_SIG_LEN]);

/* Backend entry points. */
certlib_err certlib__ed25519_verify(const uint8_t pk[32], const uint8_t *msg, size_t len, const uint8_t *sig);
certlib_err certlib__ed25519_sign(const uint8_t *sk, const uint8_t *msg, size_t len, uint8_t sig[64]);
certlib_err certlib__ed25519_sk_from_seed(const uint8_t seed[32], uint8_t **sk_out);
void certlib__sha256(const uint8_t *data, size_t len, uint8_t out[32]);
certlib_err certlib__ossl_verify(const certlib__pubkey *key, const uint8_t *msg, size_t len,
                                 const uint8_t *sig);
/* A DER-encoded ECDSA or SM2 signature (X.509 objects carry them so) with the profile's hash and SM2 id. */
certlib_err certlib__ossl_verify_der(EVP_PKEY *pkey, certlib_alg alg, const uint8_t *msg, size_t len,
                                     const uint8_t *der, size_t der_len);
certlib_err certlib__ossl_sign(const certlib__privkey *key, const uint8_t *msg, size_t len, uint8_t sig[64]);
certlib_err certlib__sm3(const uint8_t *data, size_t len, uint8_t out[32]);

/* Sets the GM/T 0009 default distinguishing id on an SM2 certificate so OpenSSL 3.0 checks its
 * signature correctly (it would use an empty id otherwise). No-op for other certificates. */
certlib_err certlib__x509_set_sm2_id(X509 *cert);

#endif
