/* What certlib needs to know about a certificate, extracted once when it is loaded. Internal. */
#ifndef CERTLIB_CERTINFO_H
#define CERTLIB_CERTINFO_H

#include <stdbool.h>

#include "crypto/crypto.h"

#define CERTLIB_KID_LEN 8

typedef struct certlib__certinfo {
    X509 *x509;                   /* owned; SM2 distinguishing id already set */
    uint8_t kid[CERTLIB_KID_LEN]; /* first 8 bytes of SHA-256(DER): the COSE kid */
    uint8_t fingerprint[32];      /* SHA-256(DER) */
    char issuer_code[19];         /* USCC from organizationIdentifier "NTRCN-..."; "" when none */
    char org_name[256];           /* subject O, UTF-8; "" when none */
    int64_t not_before, not_after;
    bool is_ca;
    bool mdoc_ds; /* carries the ISO 18013-5 document-signer extended key usage */
    bool signs;   /* a keyUsage extension with digitalSignature (ISO 18013-5 Annex B requires both) */
    certlib__pubkey key;
} certlib__certinfo;

/* Parses one PEM or DER certificate (PEM when it starts with "-----BEGIN"). */
certlib_err certlib__certinfo_parse(const uint8_t *bytes, size_t len, certlib__certinfo *out);
/* Takes ownership of `x509` (also on failure). */
certlib_err certlib__certinfo_from_x509(X509 *x509, certlib__certinfo *out);
void certlib__certinfo_clear(certlib__certinfo *info);

/* True when the certificate's extended key usage names `oid` (dotted text). */
bool certlib__x509_has_eku(X509 *x509, const char *oid);

/* A certificate's notBefore and notAfter as Unix seconds. */
certlib_err certlib__x509_window(const X509 *x509, int64_t *not_before, int64_t *not_after);

#endif
