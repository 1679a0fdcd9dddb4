/* Chains from a signer certificate to a root of the bundle, verified with OpenSSL once (when the bundle
 * loads, or when an x5chain signer is first seen) and without a time check: validity windows are
 * compared with the caller's clock at each verification, so a verified chain never goes stale. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "trust/ctx_internal.h"

bool certlib__trust_denied(const certlib__trust *t, const uint8_t fingerprint[32])
{
    for (size_t i = 0; i < t->n_denied; i++)
        if (memcmp(t->denied[i], fingerprint, 32) == 0) return true; /* public values */
    return false;
}

static bool chain_denied(const certlib__trust *t, STACK_OF(X509) * chain)
{
    for (int i = 0; t->n_denied && i < sk_X509_num(chain); i++) {
        uint8_t fp[32];
        unsigned n = 0;
        if (X509_digest(sk_X509_value(chain, i), EVP_sha256(), fp, &n) != 1 || n != 32) return true;
        if (certlib__trust_denied(t, fp)) return true;
    }
    return false;
}

certlib_err certlib__chain_verify(const certlib__trust *t, X509 *leaf, STACK_OF(X509) * untrusted,
                                  certlib__trusted *out)
{
    X509_STORE_CTX *sctx = X509_STORE_CTX_new();
    if (!sctx) return CERTLIB_E_NOMEM;
    certlib_err err = CERTLIB_E_UNTRUSTED;
    if (X509_STORE_CTX_init(sctx, t->store, leaf, untrusted) != 1) {
        err = CERTLIB_E_NOMEM;
        goto done;
    }
    X509_STORE_CTX_set_flags(sctx, X509_V_FLAG_NO_CHECK_TIME | X509_V_FLAG_X509_STRICT);
    if (X509_verify_cert(sctx) != 1) goto done;
    STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(sctx);
    int n = sk_X509_num(chain);
    if (n < 2) goto done; /* a root is never a signer */
    X509 *anchor = sk_X509_value(chain, n - 1);
    out->root = t->n_roots;
    for (size_t i = 0; i < t->n_roots; i++)
        if (X509_cmp(anchor, t->roots[i].cert.x509) == 0) out->root = i;
    if (out->root == t->n_roots) goto done;
    if (chain_denied(t, chain)) {
        err = CERTLIB_E_SIGNER_REVOKED;
        goto done;
    }
    out->chain_not_before = INT64_MIN;
    out->chain_not_after = INT64_MAX;
    for (int i = 0; i < n; i++) {
        int64_t nb, na;
        if (certlib__x509_window(sk_X509_value(chain, i), &nb, &na)) goto done;
        if (nb > out->chain_not_before) out->chain_not_before = nb;
        if (na < out->chain_not_after) out->chain_not_after = na;
    }
    /* The certificate right under the root is the one the root's CRL can name. */
    ASN1_INTEGER_free(out->serial_under_root);
    out->serial_under_root = ASN1_INTEGER_dup(X509_get0_serialNumber(sk_X509_value(chain, n - 2)));
    err = out->serial_under_root ? CERTLIB_OK : CERTLIB_E_NOMEM;
done:
    X509_STORE_CTX_free(sctx);
    return err;
}

void certlib__trusted_clear(certlib__trusted *t)
{
    certlib__certinfo_clear(&t->cert);
    ASN1_INTEGER_free(t->serial_under_root);
    certlib__scope_free(&t->scope);
    certlib__strings_free(t->issuers);
    certlib__strings_free(t->uri_prefixes);
    memset(t, 0, sizeof(*t));
}
