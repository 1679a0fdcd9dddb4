/* Certificate revocation lists (RFC 5280 §5) issued by the bundle's roots, the way ISO/IEC 18013-5
 * Annex B has an IACA revoke its document signers. A verifier that fetched a root's CRL hands it to the
 * context (or the bundle carries it); from then on every licence or status list signed by a certificate
 * the CRL names fails with CERTLIB_E_SIGNER_REVOKED. The newest CRL of each root is kept. A CRL past its
 * nextUpdate still revokes what it lists: revocation is never undone by time. Certificates issued by an
 * intermediate are judged by the root's CRL on the intermediate only. */
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "trust/crl_internal.h"

/* One DER SEQUENCE header at p: its header and content lengths. */
static bool der_sequence(const uint8_t *p, size_t n, size_t *header, size_t *content)
{
    if (n < 2 || p[0] != 0x30) return false;
    size_t len = p[1], h = 2;
    if (len & 0x80) {
        size_t k = len & 0x7f;
        if (k == 0 || k > 4 || n < 2 + k) return false;
        len = 0;
        for (size_t i = 0; i < k; i++)
            len = len << 8 | p[2 + i];
        h += k;
    }
    if (len > n - h) return false;
    *header = h;
    *content = len;
    return true;
}

/* The tbsCertList bytes as received: the signature covers them, not a re-encoding. */
static bool tbs_bytes(const uint8_t *der, size_t len, const uint8_t **tbs, size_t *tbs_len)
{
    size_t h1, c1, h2, c2;
    if (!der_sequence(der, len, &h1, &c1) || h1 + c1 != len) return false;
    if (!der_sequence(der + h1, c1, &h2, &c2)) return false;
    *tbs = der + h1;
    *tbs_len = h2 + c2;
    return true;
}

/* X509_CRL_verify leaves the SM2 distinguishing id empty in OpenSSL 3.0 (and has no way to set it for
 * a CRL), so SM2 CRLs are verified here over the received tbsCertList with the GM/T 0009 id. */
static certlib_err verify_signature(X509_CRL *crl, const uint8_t *der, size_t len,
                                    const certlib__certinfo *root)
{
    if (X509_CRL_get_signature_nid(crl) != NID_SM2_with_SM3)
        return X509_CRL_verify(crl, root->key.pkey) == 1 ? CERTLIB_OK : CERTLIB_E_SIGNATURE;
    if (root->key.alg != CERTLIB_ALG_SM2_SM3) return CERTLIB_E_SIGNATURE;
    const uint8_t *tbs;
    size_t tbs_len;
    const ASN1_BIT_STRING *sig;
    const X509_ALGOR *alg;
    X509_CRL_get0_signature(crl, &sig, &alg);
    if (!tbs_bytes(der, len, &tbs, &tbs_len)) return CERTLIB_E_CRL;
    return certlib__ossl_verify_der(root->key.pkey, CERTLIB_ALG_SM2_SM3, tbs, tbs_len,
                                    ASN1_STRING_get0_data(sig), (size_t)ASN1_STRING_length(sig));
}

/* PEM to DER, or DER as it is. *owned is set when a buffer was allocated. */
static certlib_err to_der(const uint8_t *bytes, size_t len, const uint8_t **der, size_t *der_len,
                          uint8_t **owned)
{
    *owned = NULL;
    if (len < 10 || memcmp(bytes, "-----BEGIN", 10) != 0) {
        *der = bytes;
        *der_len = len;
        return CERTLIB_OK;
    }
    BIO *bio = BIO_new_mem_buf(bytes, (int)len);
    if (!bio) return CERTLIB_E_NOMEM;
    char *name = NULL, *header = NULL;
    unsigned char *data = NULL;
    long n = 0;
    int ok = PEM_read_bio(bio, &name, &header, &data, &n) == 1 && strcmp(name, PEM_STRING_X509_CRL) == 0;
    BIO_free(bio);
    OPENSSL_free(name);
    OPENSSL_free(header);
    if (!ok || n <= 0) {
        OPENSSL_free(data);
        return CERTLIB_E_CRL;
    }
    *der = *owned = data;
    *der_len = (size_t)n;
    return CERTLIB_OK;
}

certlib_err certlib__crl_read(const certlib__trust *t, const uint8_t *bytes, size_t len, X509_CRL **out,
                              size_t *root)
{
    *out = NULL;
    if (!bytes || len == 0 || len > CERTLIB_CRL_MAX_BYTES) return CERTLIB_E_CRL;
    const uint8_t *der;
    size_t der_len;
    uint8_t *owned;
    certlib_err err = to_der(bytes, len, &der, &der_len, &owned);
    if (err) return err;
    const unsigned char *p = der;
    X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)der_len);
    err = CERTLIB_E_CRL;
    if (!crl || p != der + der_len) goto done;
    /* Delta CRLs and unknown critical extensions change what absence from the list means. */
    if (X509_CRL_get_ext_by_NID(crl, NID_delta_crl, -1) >= 0 || X509_CRL_get_ext_by_critical(crl, 1, -1) >= 0)
        goto done;
    err = CERTLIB_E_UNTRUSTED;
    for (size_t i = 0; i < t->n_roots; i++) {
        if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(t->roots[i].cert.x509)) != 0)
            continue;
        err = verify_signature(crl, der, der_len, &t->roots[i].cert);
        if (err == CERTLIB_OK) {
            *root = i;
            *out = crl;
            crl = NULL;
            break;
        }
    }
done:
    X509_CRL_free(crl);
    OPENSSL_free(owned);
    return err;
}

void certlib__crl_keep_newest(X509_CRL **slot, X509_CRL *crl)
{
    if (*slot && ASN1_TIME_compare(X509_CRL_get0_lastUpdate(*slot), X509_CRL_get0_lastUpdate(crl)) > 0) {
        X509_CRL_free(crl); /* older than the one held */
        return;
    }
    X509_CRL_free(*slot);
    *slot = crl;
}

certlib_err certlib_ctx_add_crl(certlib_ctx *ctx, const uint8_t *crl_bytes, size_t len)
{
    if (!ctx || !crl_bytes) return CERTLIB_E_INVALID_ARGUMENT;
    X509_CRL *crl;
    size_t root;
    certlib_err err = certlib__crl_read(&ctx->trust, crl_bytes, len, &crl, &root);
    if (err) return err;
    pthread_rwlock_wrlock(&ctx->crl_lock);
    certlib__crl_keep_newest(&ctx->crls[root], crl);
    pthread_rwlock_unlock(&ctx->crl_lock);
    return CERTLIB_OK;
}

certlib_err certlib__ctx_revoked(const certlib_ctx *cctx, const certlib__trusted *t)
{
    certlib_ctx *ctx = (certlib_ctx *)cctx; /* the lock is the only thing touched */
    if (certlib__trust_denied(&ctx->trust, t->cert.fingerprint)) return CERTLIB_E_SIGNER_REVOKED;
    if (!ctx->crls || !t->serial_under_root) return CERTLIB_OK;
    certlib_err err = CERTLIB_OK;
    pthread_rwlock_rdlock(&ctx->crl_lock);
    X509_CRL *crl = ctx->crls[t->root];
    X509_REVOKED *entry = NULL;
    /* 1: listed; 2: listed as removeFromCRL (a delta CRL's undo, which a full CRL never carries) */
    if (crl && X509_CRL_get0_by_serial(crl, &entry, (ASN1_INTEGER *)t->serial_under_root) == 1)
        err = CERTLIB_E_SIGNER_REVOKED;
    pthread_rwlock_unlock(&ctx->crl_lock);
    return err;
}

void certlib__ctx_clear_crls(certlib_ctx *ctx, size_t n_roots)
{
    for (size_t i = 0; ctx->crls && i < n_roots; i++)
        X509_CRL_free(ctx->crls[i]);
    free(ctx->crls);
    ctx->crls = NULL;
}
