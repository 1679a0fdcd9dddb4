/* HMAC-SM3 and SM4-CTR over OpenSSL 3's EVP interfaces (gm_crypto.h). */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <pthread.h>

#include "gm_crypto.h"

static pthread_once_t fetched = PTHREAD_ONCE_INIT;
static EVP_MAC *hmac;
static EVP_CIPHER *sm4_ctr;

static void fetch(void)
{
    hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    sm4_ctr = EVP_CIPHER_fetch(NULL, "SM4-CTR", NULL);
}

bool authd_hmac_sm3(const uint8_t *key, size_t key_len, const struct authd_bytes *parts, size_t n,
                    uint8_t *out, size_t out_len)
{
    pthread_once(&fetched, fetch);
    if (!hmac || out_len > AUTHD_SM3_LEN) return false;
    char digest[] = "SM3";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                           OSSL_PARAM_END};
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(hmac);
    bool ok = ctx && EVP_MAC_init(ctx, key, key_len, params) == 1;
    for (size_t i = 0; ok && i < n; i++)
        ok = EVP_MAC_update(ctx, parts[i].p, parts[i].len) == 1;
    uint8_t full[AUTHD_SM3_LEN];
    size_t full_len = 0;
    ok = ok && EVP_MAC_final(ctx, full, &full_len, sizeof(full)) == 1 && full_len == AUTHD_SM3_LEN;
    EVP_MAC_CTX_free(ctx);
    if (ok)
        for (size_t i = 0; i < out_len; i++)
            out[i] = full[i];
    OPENSSL_cleanse(full, sizeof(full));
    return ok;
}

bool authd_sm4_ctr(const uint8_t key[AUTHD_SM4_KEY_LEN], const uint8_t iv[AUTHD_SM4_IV_LEN],
                   const uint8_t *in, size_t len, uint8_t *out)
{
    pthread_once(&fetched, fetch);
    if (!sm4_ctr || len > (size_t)INT32_MAX) return false;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0, tail = 0;
    bool ok = ctx && EVP_EncryptInit_ex2(ctx, sm4_ctr, key, iv, NULL) == 1 &&
              EVP_EncryptUpdate(ctx, out, &n, in, (int)len) == 1 &&
              EVP_EncryptFinal_ex(ctx, out + n, &tail) == 1 && (size_t)(n + tail) == len;
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}
