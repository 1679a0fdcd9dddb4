/* Dispatch from algorithms to backends, and key set-up shared by both. */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <sodium.h>
#include <string.h>

#include "crypto/crypto.h"

const char *certlib_alg_name(certlib_alg alg)
{
    switch (alg) {
    case CERTLIB_ALG_ES256:
        return "ES256";
    case CERTLIB_ALG_EDDSA:
        return "EdDSA";
    case CERTLIB_ALG_SM2_SM3:
        return "SM2-SM3";
    case CERTLIB_ALG_NONE:
    default:
        return "unknown";
    }
}

certlib_err certlib__digest(certlib__digest_alg alg, const uint8_t *data, size_t len,
                            uint8_t out[CERTLIB_DIGEST_LEN])
{
    switch (alg) {
    case CERTLIB_DIGEST_SHA256:
        certlib__sha256(data, len, out);
        return CERTLIB_OK;
    case CERTLIB_DIGEST_SM3:
        return certlib__sm3(data, len, out);
    default:
        return CERTLIB_E_UNSUPPORTED_DIGEST;
    }
}

certlib_alg certlib__alg_of_pkey(const EVP_PKEY *pkey)
{
    if (EVP_PKEY_is_a(pkey, "ED25519")) return CERTLIB_ALG_EDDSA;
    if (EVP_PKEY_is_a(pkey, "SM2")) return CERTLIB_ALG_SM2_SM3;
    if (EVP_PKEY_is_a(pkey, "EC")) {
        char curve[64];
        size_t n = 0;
        if (EVP_PKEY_get_utf8_string_param(pkey, "group", curve, sizeof(curve), &n) == 1) {
            if (strcmp(curve, "prime256v1") == 0 || strcmp(curve, "P-256") == 0) return CERTLIB_ALG_ES256;
            if (strcmp(curve, "SM2") == 0) return CERTLIB_ALG_SM2_SM3;
        }
    }
    return CERTLIB_ALG_NONE;
}

certlib_err certlib__pubkey_from_pkey(EVP_PKEY *pkey, certlib__pubkey *out)
{
    memset(out, 0, sizeof(*out));
    out->alg = certlib__alg_of_pkey(pkey);
    if (out->alg == CERTLIB_ALG_NONE) return CERTLIB_E_KEY;
    if (out->alg == CERTLIB_ALG_EDDSA) {
        size_t n = sizeof(out->ed25519);
        if (EVP_PKEY_get_raw_public_key(pkey, out->ed25519, &n) != 1 || n != 32) return CERTLIB_E_KEY;
    }
    if (!EVP_PKEY_up_ref(pkey)) return CERTLIB_E_INTERNAL;
    out->pkey = pkey;
    return CERTLIB_OK;
}

void certlib__pubkey_clear(certlib__pubkey *key)
{
    EVP_PKEY_free(key->pkey);
    memset(key, 0, sizeof(*key));
}

certlib_err certlib__verify(const certlib__pubkey *key, const uint8_t *msg, size_t len, const uint8_t *sig,
                            size_t sig_len)
{
    if (sig_len != CERTLIB_SIG_LEN) return CERTLIB_E_SIGNATURE;
    switch (key->alg) {
    case CERTLIB_ALG_EDDSA:
        return certlib__ed25519_verify(key->ed25519, msg, len, sig);
    case CERTLIB_ALG_ES256:
    case CERTLIB_ALG_SM2_SM3:
        return certlib__ossl_verify(key, msg, len, sig);
    case CERTLIB_ALG_NONE:
    default:
        return CERTLIB_E_UNSUPPORTED_ALG;
    }
}

/* Keys are never encrypted here; without this callback OpenSSL would prompt on the terminal. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf, (void)size, (void)rwflag, (void)u;
    return -1;
}

/* A PEM "PRIVATE KEY" of a kind privkey_fast.c reads: CERTLIB_OK, or CERTLIB_E_UNSUPPORTED_ALG for any
 * other (OpenSSL's decoders then read it). */
static certlib_err from_pem_fast(const uint8_t *pem, size_t len, certlib__privkey *out)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    char *name = NULL, *header = NULL;
    unsigned char *der = NULL;
    long der_len = 0;
    certlib_err err = CERTLIB_E_UNSUPPORTED_ALG;
    if (bio && PEM_read_bio(bio, &name, &header, &der, &der_len) == 1 && strcmp(name, "PRIVATE KEY") == 0 &&
        header[0] == 0)
        err = certlib__privkey_from_pkcs8(der, (size_t)der_len, out);
    BIO_free(bio);
    OPENSSL_free(name);
    OPENSSL_free(header);
    if (der) OPENSSL_clear_free(der, (size_t)der_len);
    return err;
}

certlib_err certlib__privkey_from_pem(const uint8_t *pem, size_t len, certlib__privkey *out)
{
    memset(out, 0, sizeof(*out));
    if (len > INT32_MAX) return CERTLIB_E_KEY;
    certlib_err fast = from_pem_fast(pem, len, out);
    if (fast != CERTLIB_E_UNSUPPORTED_ALG) return fast;
    ERR_clear_error(); /* what the attempt left */
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (!bio) return CERTLIB_E_NOMEM;
    EVP_PKEY *pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
    BIO_free(bio);
    if (!pkey) return CERTLIB_E_KEY;
    certlib_err err = CERTLIB_OK;
    out->alg = certlib__alg_of_pkey(pkey);
    if (out->alg == CERTLIB_ALG_NONE) {
        err = CERTLIB_E_KEY;
    } else if (out->alg == CERTLIB_ALG_EDDSA) {
        /* Sign Ed25519 with libsodium (its secret key in guarded memory); OpenSSL keeps only the public
         * half, in a key made from it alone, and the object that held the private key is freed. */
        uint8_t seed[32], pub[32];
        size_t n = sizeof(seed), pub_n = sizeof(pub);
        EVP_PKEY *public_only = NULL;
        if (EVP_PKEY_get_raw_private_key(pkey, seed, &n) != 1 || n != 32 ||
            EVP_PKEY_get_raw_public_key(pkey, pub, &pub_n) != 1 || pub_n != 32 ||
            !(public_only = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, sizeof(pub))))
            err = CERTLIB_E_KEY;
        else
            err = certlib__ed25519_sk_from_seed(seed, &out->ed25519_sk);
        sodium_memzero(seed, sizeof(seed));
        EVP_PKEY_free(pkey); /* OpenSSL clears private key material on free */
        pkey = public_only;
    }
    if (err) {
        EVP_PKEY_free(pkey);
        memset(out, 0, sizeof(*out));
        return err;
    }
    out->pkey = pkey;
    return CERTLIB_OK;
}

void certlib__privkey_clear(certlib__privkey *key)
{
    EVP_PKEY_free(key->pkey); /* OpenSSL clears private key material on free */
    if (key->ed25519_sk) sodium_free(key->ed25519_sk);
    memset(key, 0, sizeof(*key));
}

certlib_err certlib__sign(const certlib__privkey *key, const uint8_t *msg, size_t len,
                          uint8_t sig[CERTLIB_SIG_LEN])
{
    if (key->external) return key->external(key->external_ctx, msg, len, sig);
    switch (key->alg) {
    case CERTLIB_ALG_EDDSA:
        return certlib__ed25519_sign(key->ed25519_sk, msg, len, sig);
    case CERTLIB_ALG_ES256:
    case CERTLIB_ALG_SM2_SM3:
        return certlib__ossl_sign(key, msg, len, sig);
    case CERTLIB_ALG_NONE:
    default:
        return CERTLIB_E_UNSUPPORTED_ALG;
    }
}
