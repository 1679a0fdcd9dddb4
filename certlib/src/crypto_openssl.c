/* OpenSSL 3 backend: ECDSA P-256 and SM2 signatures (COSE carries them as raw r‖s, OpenSSL wants
 * DER), SM3, and the SM2 distinguishing id that OpenSSL 3.0 leaves empty unless told. */
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <string.h>

#include "crypto.h"

/* COSE (RFC 9053 §2.1) signature r‖s to the DER ECDSA-Sig-Value OpenSSL verifies. */
static int raw_to_der(const uint8_t *sig, uint8_t *der, size_t cap)
{
    ECDSA_SIG *s = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, 32, NULL), *ss = BN_bin2bn(sig + 32, 32, NULL);
    int len = -1;
    if (s && r && ss && ECDSA_SIG_set0(s, r, ss) == 1) {
        r = ss = NULL; /* owned by s now */
        if ((size_t)i2d_ECDSA_SIG(s, NULL) <= cap) len = i2d_ECDSA_SIG(s, &der);
    }
    BN_free(r);
    BN_free(ss);
    ECDSA_SIG_free(s);
    return len;
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
    int ok = sign ? EVP_DigestSignInit(md, &pctx, hash, NULL, pkey) : EVP_DigestVerifyInit(md, &pctx, hash, NULL, pkey);
    /* GM/T 0009 default id, on signing and verifying alike (OpenSSL 3.0 would use an empty one). */
    if (ok == 1 && alg == CERTLIB_ALG_SM2_SM3)
        ok = EVP_PKEY_CTX_set1_id(pctx, CERTLIB_SM2_ID, strlen(CERTLIB_SM2_ID));
    if (ok != 1) {
        EVP_MD_CTX_free(md);
        return NULL;
    }
    return md;
}

certlib_err certlib__ossl_verify(const certlib__pubkey *key, const uint8_t *msg, size_t len, const uint8_t *sig)
{
    uint8_t der[80];
    int der_len = raw_to_der(sig, der, sizeof(der));
    if (der_len < 0) return CERTLIB_E_SIGNATURE;
    EVP_MD_CTX *md = start(key->pkey, key->alg, 0);
    if (!md) return CERTLIB_E_INTERNAL;
    int rc = EVP_DigestVerify(md, der, (size_t)der_len, msg, len);
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

certlib_err certlib__sm3(const uint8_t *data, size_t len, uint8_t out[32])
{
    unsigned int n = 0;
    return EVP_Digest(data, len, out, &n, EVP_sm3(), NULL) == 1 && n == 32 ? CERTLIB_OK : CERTLIB_E_INTERNAL;
}

certlib_err certlib__x509_set_sm2_id(X509 *cert)
{
    if (X509_get_signature_nid(cert) != NID_SM2_with_SM3) return CERTLIB_OK;
    ASN1_OCTET_STRING *id = ASN1_OCTET_STRING_new();
    if (!id || ASN1_OCTET_STRING_set(id, (const unsigned char *)CERTLIB_SM2_ID, (int)strlen(CERTLIB_SM2_ID)) != 1) {
        ASN1_OCTET_STRING_free(id);
        return CERTLIB_E_NOMEM;
    }
    X509_set0_distinguishing_id(cert, id); /* the certificate owns it now */
    return CERTLIB_OK;
}
