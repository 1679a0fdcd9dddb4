/* Private keys from PKCS#8 DER without OpenSSL 3.0's decoder framework, for the two kinds a holder's
 * device uses: P-256 (id-ecPublicKey, prime256v1, with its public key in the ECPrivateKey) and Ed25519.
 * Measured reason: PEM_read_bio_PrivateKey took 809 µs per P-256 key (the decoder framework tries every
 * decoder it has), this path 31 µs; a wallet loads its device key at every presentation (certlib_present,
 * certlib_holder_request_sign). Anything else (SM2, legacy "EC PRIVATE KEY", encrypted keys, a P-256 key
 * without its public half) is left to OpenSSL: CERTLIB_E_UNSUPPORTED_ALG sends the caller there. The outer
 * PKCS#8 structure is parsed by OpenSSL's ASN.1 templates (d2i_PKCS8_PRIV_KEY_INFO); only the inner
 * ECPrivateKey (RFC 5915) and the Ed25519 CurvePrivateKey (RFC 8410) are read here. */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/crypto.h>
#include <openssl/params.h>
#include <openssl/x509.h>
#include <sodium.h>
#include <string.h>

#include "crypto/crypto.h"

/* One DER TLV of tag `tag` at *p (definite length, at most two length bytes): its value, and *p past it. */
static bool tlv(const uint8_t **p, const uint8_t *end, uint8_t tag, const uint8_t **val, size_t *len)
{
    if (end - *p < 2 || (*p)[0] != tag) return false;
    const uint8_t *v = *p + 2;
    size_t l = (*p)[1];
    if (l & 0x80) {
        size_t nb = l & 0x7f;
        if (nb == 0 || nb > 2 || (size_t)(end - v) < nb) return false;
        l = 0;
        for (size_t i = 0; i < nb; i++)
            l = l << 8 | v[i];
        v += nb;
    }
    if ((size_t)(end - v) < l) return false;
    *val = v;
    *len = l;
    *p = v + l;
    return true;
}

/* ECPrivateKey ::= SEQUENCE { version 1, privateKey OCTET STRING (32), [0] parameters OPTIONAL,
 * [1] publicKey BIT STRING OPTIONAL }: the scalar and the uncompressed point, or false. */
static bool ec_private_key(const uint8_t *der, size_t len, const uint8_t **priv, const uint8_t **pub)
{
    const uint8_t *p = der, *end = der + len, *seq, *v;
    size_t seq_len, n;
    if (!tlv(&p, end, 0x30, &seq, &seq_len)) return false;
    p = seq;
    end = seq + seq_len;
    if (!tlv(&p, end, 0x02, &v, &n) || n != 1 || v[0] != 1) return false;
    if (!tlv(&p, end, 0x04, priv, &n) || n != 32) return false;
    if (p < end && p[0] == 0xa0 && !tlv(&p, end, 0xa0, &v, &n)) return false;
    if (!tlv(&p, end, 0xa1, &v, &n)) return false; /* no public key: OpenSSL's path computes it */
    const uint8_t *bits;
    if (!tlv(&v, v + n, 0x03, &bits, &n) || n != 66 || bits[0] != 0 || bits[1] != 0x04) return false;
    *pub = bits + 1;
    return true;
}

/* OpenSSL 3.0 has no OSSL_PARAM_clear_free: the values (the scalar among them) are wiped, then freed. */
static void params_clear_free(OSSL_PARAM *params)
{
    for (OSSL_PARAM *q = params; q && q->key; q++)
        if (q->data) OPENSSL_cleanse(q->data, q->data_size);
    OSSL_PARAM_free(params);
}

static certlib_err p256(const uint8_t *priv, const uint8_t *pub, certlib__privkey *out)
{
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    BIGNUM *d = BN_secure_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    EVP_PKEY *pkey = NULL;
    certlib_err err = CERTLIB_E_NOMEM;
    if (bld && d && ctx && BN_bin2bn(priv, 32, d) &&
        OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) &&
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, 65) &&
        (params = OSSL_PARAM_BLD_to_param(bld)))
        err = EVP_PKEY_fromdata_init(ctx) == 1 && EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params) == 1
                  ? CERTLIB_OK
                  : CERTLIB_E_KEY;
    params_clear_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_clear_free(d);
    EVP_PKEY_CTX_free(ctx);
    if (!err) {
        out->alg = CERTLIB_ALG_ES256;
        out->pkey = pkey;
    }
    return err;
}

/* Ed25519: CurvePrivateKey ::= OCTET STRING (the 32-byte seed), signed with libsodium as the PEM path does;
 * OpenSSL keeps the public half only. */
static certlib_err ed25519(const uint8_t *der, size_t len, certlib__privkey *out)
{
    const uint8_t *p = der, *seed;
    size_t n;
    if (!tlv(&p, der + len, 0x04, &seed, &n) || n != 32 || p != der + len) return CERTLIB_E_KEY;
    certlib_err err = certlib__ed25519_sk_from_seed(seed, &out->ed25519_sk);
    if (err) return err;
    out->pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, out->ed25519_sk + 32, 32);
    if (!out->pkey) {
        sodium_free(out->ed25519_sk);
        out->ed25519_sk = NULL;
        return CERTLIB_E_NOMEM;
    }
    out->alg = CERTLIB_ALG_EDDSA;
    return CERTLIB_OK;
}

certlib_err certlib__privkey_from_pkcs8(const uint8_t *der, size_t len, certlib__privkey *out)
{
    memset(out, 0, sizeof(*out));
    if (len > INT32_MAX) return CERTLIB_E_UNSUPPORTED_ALG;
    const unsigned char *p = der;
    PKCS8_PRIV_KEY_INFO *p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)len);
    const ASN1_OBJECT *obj, *curve;
    const unsigned char *inner;
    int inner_len, ptype;
    const void *pval;
    const X509_ALGOR *alg;
    certlib_err err = CERTLIB_E_UNSUPPORTED_ALG;
    if (p8 && p == der + len && PKCS8_pkey_get0(&obj, &inner, &inner_len, &alg, p8) == 1) {
        int nid = OBJ_obj2nid(obj);
        const uint8_t *priv, *pub;
        X509_ALGOR_get0(NULL, &ptype, &pval, alg);
        curve = ptype == V_ASN1_OBJECT ? pval : NULL;
        if (nid == NID_ED25519)
            err = ed25519(inner, (size_t)inner_len, out);
        else if (nid == NID_X9_62_id_ecPublicKey && curve && OBJ_obj2nid(curve) == NID_X9_62_prime256v1 &&
                 ec_private_key(inner, (size_t)inner_len, &priv, &pub))
            err = p256(priv, pub, out);
    }
    PKCS8_PRIV_KEY_INFO_free(p8); /* clears the key octets as it frees them */
    return err;
}
