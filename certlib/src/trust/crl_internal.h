/* Reading certificate revocation lists of the bundle's roots. Internal. */
#ifndef CERTLIB_CRL_INTERNAL_H
#define CERTLIB_CRL_INTERNAL_H

#include "trust/ctx_internal.h"

#define CERTLIB_CRL_MAX_BYTES (8 * 1024 * 1024)

/* Parses a CRL (PEM or DER) and verifies it was signed by one of `t`'s roots: *root says which.
 * CERTLIB_E_CRL when malformed (or a delta CRL, or with a critical extension certlib does not know),
 * CERTLIB_E_UNTRUSTED when no root issued it, CERTLIB_E_SIGNATURE when its signature fails. */
certlib_err certlib__crl_read(const certlib__trust *t, const uint8_t *bytes, size_t len, X509_CRL **out,
                              size_t *root);
/* Keeps in *slot whichever of *slot and `crl` is newer (by thisUpdate), freeing the other. */
void certlib__crl_keep_newest(X509_CRL **slot, X509_CRL *crl);
/* Frees the bundle held by the context (CRLs first: they are indexed by its roots). */
void certlib__trust_free(certlib_ctx *ctx);

#endif
