/* Ed25519 keys from PEM files (ed25519_key.h). */
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "ed25519_key.h"

authd_err authd_ed25519_key_load(const char *path, const char *what, uint8_t **sk, uint8_t pk[32], char *err,
                                 size_t err_cap)
{
    *sk = NULL;
    FILE *f = fopen(path, "r");
    if (!f) return snprintf(err, err_cap, "%s %s: %s", what, path, strerror(errno)), AUTHD_E_CONFIG;
    EVP_PKEY *pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    uint8_t seed[32];
    size_t seed_len = sizeof(seed);
    authd_err rc = AUTHD_E_CONFIG;
    if (!pkey || EVP_PKEY_get_base_id(pkey) != EVP_PKEY_ED25519 ||
        EVP_PKEY_get_raw_private_key(pkey, seed, &seed_len) != 1 || seed_len != 32)
        snprintf(err, err_cap, "%s %s: not a PEM Ed25519 private key", what, path);
    else if (!(*sk = sodium_malloc(crypto_sign_SECRETKEYBYTES)))
        snprintf(err, err_cap, "%s: out of protected memory", what), rc = AUTHD_E_NOMEM;
    else if (crypto_sign_seed_keypair(pk, *sk, seed) != 0)
        snprintf(err, err_cap, "%s %s: unusable", what, path);
    else
        rc = AUTHD_OK;
    sodium_memzero(seed, sizeof(seed));
    EVP_PKEY_free(pkey);
    if (rc && *sk) {
        sodium_free(*sk);
        *sk = NULL;
    }
    if (!rc) sodium_mprotect_readonly(*sk);
    return rc;
}
