/* Reader keys with OpenSSL: loaded once at start-up, read-only afterwards (EVP_PKEY signing is
 * thread-safe with a context per call). */
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certlib/encoding.h"
#include "jsonw.h"
#include "reader_key.h"

#define MAX_CHAIN 4

struct authd_reader_key {
    EVP_PKEY *key;
    char client_id[64];
    char *header; /* the request objects' JWS header, base64url: made once, the same for every request */
    size_t header_len;
};

void authd_reader_key_free(struct authd_reader_key *k)
{
    if (!k) return;
    EVP_PKEY_free(k->key);
    free(k->header);
    free(k);
}

static authd_err fail(char *err, size_t cap, const char *what, const char *path)
{
    snprintf(err, cap, "reader key: %s (%s)", what, path);
    return AUTHD_E_CONFIG;
}

/* The chain's certificates into the request objects' JWS header, {"alg":"ES256","typ":"oauth-authz-req+jwt",
 * "x5c":[chain]} (standard base64 within, RFC 7515 §4.1.6), kept base64url-encoded: each request object
 * begins with it. */
static authd_err read_chain(struct authd_reader_key *k, const char *path, X509 **leaf, char *err, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f) return fail(err, cap, "the certificate chain cannot be read", path);
    struct authd_jsonw w = {0};
    authd_jsonw_lit(&w, "{\"alg\":\"ES256\",\"typ\":\"oauth-authz-req+jwt\",\"x5c\":[");
    size_t n = 0;
    X509 *c;
    while (n < MAX_CHAIN && (c = PEM_read_X509(f, NULL, NULL, NULL))) {
        unsigned char *der = NULL;
        int len = i2d_X509(c, &der);
        if (len > 0) {
            size_t b64_cap = sodium_base64_ENCODED_LEN((size_t)len, sodium_base64_VARIANT_ORIGINAL);
            char *b64 = malloc(b64_cap);
            if (b64) {
                sodium_bin2base64(b64, b64_cap, der, (size_t)len, sodium_base64_VARIANT_ORIGINAL);
                if (n) authd_jsonw_lit(&w, ",");
                authd_jsonw_cstring(&w, b64);
                free(b64);
            }
            if (n == 0) {
                uint8_t hash[32];
                EVP_Digest(der, (size_t)len, hash, NULL, EVP_sha256(), NULL);
                char b64url[48];
                sodium_bin2base64(b64url, sizeof(b64url), hash, 32, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
                snprintf(k->client_id, sizeof(k->client_id), "x509_hash:%s", b64url);
            }
        }
        OPENSSL_free(der);
        if (n == 0)
            *leaf = c;
        else
            X509_free(c);
        n++;
    }
    fclose(f);
    authd_jsonw_lit(&w, "]}");
    size_t len;
    char *header = authd_jsonw_take(&w, &len);
    /* certlib_base64url_encode: a table, not libsodium's constant-time coder, which nothing here needs */
    if (header && (k->header = malloc(CERTLIB_BASE64URL_ENCODED_LEN(len) + 1))) {
        k->header_len = certlib_base64url_encode((const uint8_t *)header, len, k->header);
        k->header[k->header_len] = '\0';
    }
    free(header);
    if (n == 0) return fail(err, cap, "no PEM certificate in the chain file", path);
    return k->header ? AUTHD_OK : AUTHD_E_NOMEM;
}

authd_err authd_reader_key_load(const char *key_path, const char *chain_path, struct authd_reader_key **out,
                                char *err, size_t err_cap)
{
    *out = NULL;
    struct authd_reader_key *k = calloc(1, sizeof(*k));
    if (!k) return AUTHD_E_NOMEM;
    X509 *leaf = NULL;
    authd_err rc = read_chain(k, chain_path, &leaf, err, err_cap);
    FILE *f = rc ? NULL : fopen(key_path, "r");
    if (!rc && !f) rc = fail(err, err_cap, "the private key cannot be read", key_path);
    if (f) {
        k->key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
        fclose(f);
        char group[16] = "";
        if (!k->key || !EVP_PKEY_is_a(k->key, "EC") ||
            !EVP_PKEY_get_utf8_string_param(k->key, "group", group, sizeof(group), NULL) ||
            strcmp(group, "prime256v1") != 0)
            rc = fail(err, err_cap, "not a PEM P-256 private key", key_path);
        else if (X509_check_private_key(leaf, k->key) != 1)
            rc = fail(err, err_cap, "the key is not the chain's first certificate's", key_path);
    }
    X509_free(leaf);
    if (rc) {
        authd_reader_key_free(k);
        return rc;
    }
    *out = k;
    return AUTHD_OK;
}

const char *authd_reader_client_id(const struct authd_reader_key *k)
{
    return k->client_id;
}

/* ES256's signature: r || s, 32 bytes each (RFC 7518 §3.4), from OpenSSL's DER. */
static bool sign_es256(EVP_PKEY *key, const char *input, size_t len, uint8_t out[64])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char der[80];
    size_t der_len = sizeof(der);
    bool ok = md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
              EVP_DigestSign(md, der, &der_len, (const unsigned char *)input, len) == 1;
    EVP_MD_CTX_free(md);
    const unsigned char *p = der;
    ECDSA_SIG *sig = ok ? d2i_ECDSA_SIG(NULL, &p, (long)der_len) : NULL;
    ok = sig && BN_bn2binpad(ECDSA_SIG_get0_r(sig), out, 32) == 32 &&
         BN_bn2binpad(ECDSA_SIG_get0_s(sig), out + 32, 32) == 32;
    ECDSA_SIG_free(sig);
    return ok;
}

char *authd_reader_sign_jwt(const struct authd_reader_key *k, const char *payload, size_t payload_len,
                            size_t *out_len)
{
    size_t h_len = k->header_len, p_len = CERTLIB_BASE64URL_ENCODED_LEN(payload_len);
    char *jwt = malloc(h_len + 1 + p_len + 1 + CERTLIB_BASE64URL_ENCODED_LEN(64) + 1);
    uint8_t sig[64];
    if (!jwt) return NULL;
    memcpy(jwt, k->header, h_len);
    jwt[h_len] = '.';
    certlib_base64url_encode((const uint8_t *)payload, payload_len, jwt + h_len + 1);
    if (!sign_es256(k->key, jwt, h_len + 1 + p_len, sig)) {
        free(jwt);
        return NULL;
    }
    jwt[h_len + 1 + p_len] = '.';
    size_t s_len = certlib_base64url_encode(sig, sizeof(sig), jwt + h_len + 2 + p_len);
    *out_len = h_len + 2 + p_len + s_len;
    jwt[*out_len] = '\0';
    return jwt;
}
