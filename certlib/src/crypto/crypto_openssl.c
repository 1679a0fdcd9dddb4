/* OpenSSL 3 backend: SHA-256, SM3, ECDSA P-256 and SM2 signatures (COSE carries them as raw r‖s, OpenSSL
 * wants DER), SM3, and the SM2 distinguishing id that OpenSSL 3.0 leaves empty unless told. */
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA256_Init: see certlib__sha256 */
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <string.h>

#include "crypto/crypto.h"

/* One INTEGER of an ECDSA-Sig-Value: minimal big-endian, a 0x00 in front when the top bit is set. */
static size_t der_integer(const uint8_t v[32], uint8_t *out)
{
    size_t skip = 0;
    while (skip < 31 && v[skip] == 0)
        skip++;
    size_t len = 32 - skip, pad = v[skip] & 0x80 ? 1 : 0;
    out[0] = 0x02;
    out[1] = (uint8_t)(len + pad);
    out[2] = 0;
    memcpy(out + 2 + pad, v + skip, len);
    return 2 + pad + len;
}

/* COSE (RFC 9053 §2.1) signature r‖s to the DER ECDSA-Sig-Value OpenSSL verifies. Written by hand: the
 * BIGNUM route costs three allocations per verification, and the encoding is two short INTEGERs. */
static int raw_to_der(const uint8_t *sig, uint8_t der[72])
{
    size_t n = der_integer(sig, der + 2);
    n += der_integer(sig + 32, der + 2 + n);
    der[0] = 0x30;
    der[1] = (uint8_t)n; /* at most 70: a one-byte length */
    return (int)n + 2;
}

static certlib_err der_to_raw(const uint8_t *der, size_t len, uint8_t sig[64])
{
    const uint8_t *p = der;
    ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)len);
    if (!s) return CERTLIB_E_INTERNAL;
    const BIGNUM *r, *ss;
    ECDSA_SIG_get0(s, &r, &ss);
    int ok = BN_bn2binpad(r, sig, 32) == 32 && BN_bn2binpad(ss, sig + 32, 32) == 32;
    ECDSA_SIG_free(s);
    return ok ? CERTLIB_OK : CERTLIB_E_INTERNAL;
}

/* Starts a digest-sign or digest-verify operation with the right hash and, for SM2, the id. */
static EVP_MD_CTX *start(EVP_PKEY *pkey, certlib_alg alg, int sign)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md) return NULL;
    EVP_PKEY_CTX *pctx = NULL;
    const EVP_MD *hash = alg == CERTLIB_ALG_SM2_SM3 ? EVP_sm3() : EVP_sha256();
    int ok = sign ? EVP_DigestSignInit(md, &pctx, hash, NULL, pkey)
                  : EVP_DigestVerifyInit(md, &pctx, hash, NULL, pkey);
    /* GM/T 0009 default id, on signing and verifying alike (OpenSSL 3.0 would use an empty one). */
    if (ok == 1 && alg == CERTLIB_ALG_SM2_SM3)
        ok = EVP_PKEY_CTX_set1_id(pctx, CERTLIB_SM2_ID, strlen(CERTLIB_SM2_ID));
    if (ok != 1) {
        EVP_MD_CTX_free(md);
        return NULL;
    }
    return md;
}

certlib_err certlib__ossl_verify(const certlib__pubkey *key, const uint8_t *msg, size_t len,
                                 const uint8_t *sig)
{
    uint8_t der[72];
    int der_len = raw_to_der(sig, der);
    EVP_MD_CTX *md = start(key->pkey, key->alg, 0);
    if (!md) return CERTLIB_E_INTERNAL;
    int rc = EVP_DigestVerify(md, der, (size_t)der_len, msg, len);
    EVP_MD_CTX_free(md);
    return rc == 1 ? CERTLIB_OK : CERTLIB_E_SIGNATURE;
}

certlib_err certlib__ossl_verify_der(EVP_PKEY *pkey, certlib_alg alg, const uint8_t *msg, size_t len,
                                     const uint8_t *der, size_t der_len)
{
    EVP_MD_CTX *md = start(pkey, alg, 0);
    if (!md) return CERTLIB_E_INTERNAL;
    int rc = EVP_DigestVerify(md, der, der_len, msg, len);
    EVP_MD_CTX_free(md);
    return rc == 1 ? CERTLIB_OK : CERTLIB_E_SIGNATURE;
}

certlib_err certlib__ossl_sign(const certlib__privkey *key, const uint8_t *msg, size_t len, uint8_t sig[64])
{
    EVP_MD_CTX *md = start(key->pkey, key->alg, 1);
    if (!md) return CERTLIB_E_INTERNAL;
    uint8_t der[80];
    size_t der_len = sizeof(der);
    int rc = EVP_DigestSign(md, der, &der_len, msg, len);
    EVP_MD_CTX_free(md);
    if (rc != 1) return CERTLIB_E_INTERNAL;
    return der_to_raw(der, der_len, sig);
}

/* Every P-256 key is a copy of this parameters-only key with its own point. */
static EVP_PKEY *p256_template;
static pthread_once_t p256_once = PTHREAD_ONCE_INIT;

static void p256_template_make(void)
{
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0),
                           OSSL_PARAM_construct_end()};
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &p256_template, EVP_PKEY_KEY_PARAMETERS, params) != 1)
        p256_template = NULL;
    EVP_PKEY_CTX_free(ctx);
}

/* Duplicating a parameters-only key and setting the point costs 4.3 µs; EVP_PKEY_fromdata with the group
 * name and point costs 18 µs (a keymgmt fetch and a decoder each time). A holder's device key is new at
 * every presentation, so this is a quarter of a P-256 verification (measured for bench/present). */
certlib_err certlib__p256_pubkey(const uint8_t point[65], EVP_PKEY **out)
{
    *out = NULL;
    if (pthread_once(&p256_once, p256_template_make) != 0 || !p256_template) return CERTLIB_E_INTERNAL;
    if (point[0] != 0x04) return CERTLIB_E_KEY; /* uncompressed only: never the point at infinity */
    EVP_PKEY *pkey = EVP_PKEY_dup(p256_template);
    if (!pkey) return CERTLIB_E_NOMEM;
    if (EVP_PKEY_set1_encoded_public_key(pkey, point, 65) != 1) { /* not on the curve */
        EVP_PKEY_free(pkey);
        return CERTLIB_E_KEY;
    }
    *out = pkey;
    return CERTLIB_OK;
}

/* Not the one-shot SHA256(): in OpenSSL 3 it fetches the algorithm, under a lock, at every call, which
 * cost 0.8 us of a 40-byte hash's 0.9 here (tlog_merkle.c does the same). OpenSSL's, not libsodium's:
 * its SHA-NI path is about four times as fast on a lookup's licences (mark.c hashes each one). */
void certlib__sha256(const uint8_t *data, size_t len, uint8_t out[32])
{
    SHA256_CTX c;
    SHA256_Init(&c);
    SHA256_Update(&c, data, len);
    SHA256_Final(out, &c);
    OPENSSL_cleanse(&c, sizeof(c)); /* it may have hashed a secret */
}

certlib_err certlib__hashes_fetch(certlib__hashes *h)
{
    memset(h, 0, sizeof(*h));
    h->md[CERTLIB_DIGEST_SHA256] = EVP_MD_fetch(NULL, "SHA256", NULL);
    h->md[CERTLIB_DIGEST_SM3] = EVP_MD_fetch(NULL, "SM3", NULL);
    if (h->md[CERTLIB_DIGEST_SHA256] && h->md[CERTLIB_DIGEST_SM3]) return CERTLIB_OK;
    certlib__hashes_free(h);
    return CERTLIB_E_INTERNAL;
}

void certlib__hashes_free(certlib__hashes *h)
{
    for (size_t i = 0; i < sizeof(h->md) / sizeof(h->md[0]); i++)
        EVP_MD_free(h->md[i]);
    memset(h, 0, sizeof(*h));
}

certlib_err certlib__hasher_init(certlib__hasher *h, const certlib__hashes *hashes, certlib__digest_alg alg)
{
    h->md = (unsigned)alg < 3 ? hashes->md[alg] : NULL;
    if (!h->md) return CERTLIB_E_UNSUPPORTED_DIGEST;
    h->md_ctx = EVP_MD_CTX_new();
    return h->md_ctx ? CERTLIB_OK : CERTLIB_E_NOMEM;
}

certlib_err certlib__hasher_digest(certlib__hasher *h, const uint8_t *data, size_t len,
                                   uint8_t out[CERTLIB_DIGEST_LEN])
{
    unsigned int n = 0;
    if (EVP_DigestInit_ex2(h->md_ctx, h->md, NULL) != 1 || EVP_DigestUpdate(h->md_ctx, data, len) != 1 ||
        EVP_DigestFinal_ex(h->md_ctx, out, &n) != 1 || n != CERTLIB_DIGEST_LEN)
        return CERTLIB_E_INTERNAL;
    return CERTLIB_OK;
}

void certlib__hasher_free(certlib__hasher *h)
{
    EVP_MD_CTX_free(h->md_ctx);
    h->md_ctx = NULL;
}

certlib_err certlib__sm3(const uint8_t *data, size_t len, uint8_t out[32])
{
    unsigned int n = 0;
    return EVP_Digest(data, len, out, &n, EVP_sm3(), NULL) == 1 && n == 32 ? CERTLIB_OK : CERTLIB_E_INTERNAL;
}

certlib_err certlib__x509_set_sm2_id(X509 *cert)
{
    if (X509_get_signature_nid(cert) != NID_SM2_with_SM3) return CERTLIB_OK;
    ASN1_OCTET_STRING *id = ASN1_OCTET_STRING_new();
    if (!id ||
        ASN1_OCTET_STRING_set(id, (const unsigned char *)CERTLIB_SM2_ID, (int)strlen(CERTLIB_SM2_ID)) != 1) {
        ASN1_OCTET_STRING_free(id);
        return CERTLIB_E_NOMEM;
    }
    X509_set0_distinguishing_id(cert, id); /* the certificate owns it now */
    return CERTLIB_OK;
}
