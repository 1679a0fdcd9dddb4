/* COSE_Sign1 (RFC 9052 §4.2) as this profile uses it: alg and kid in the protected header, an
 * optional x5chain (label 33, RFC 9360) in the unprotected one, an attached payload, and a 64-byte
 * signature (Ed25519, or r‖s for ES256 and SM2). Internal. */
#ifndef CERTLIB_COSE_H
#define CERTLIB_COSE_H

#include <stdbool.h>

#include "cbor/cbor_read.h"
#include "cbor/cbor_write.h"
#include "crypto/crypto.h"

#define COSE_MAX_X5CHAIN 4
#define COSE_MAX_HEADERS 16

typedef struct certlib__sign1 {
    certlib_slice protected_bytes; /* the protected header bstr's content, as received */
    certlib_slice payload;         /* empty and `detached` set when the payload is nil */
    bool detached;
    certlib_slice signature;
    certlib_alg alg;
    certlib_slice kid;  /* empty when absent */
    certlib_slice typ;  /* content of the typ (16) header when a text string; else empty */
    bool typ_protected; /* typ sits in the protected bucket (integrity-protected) */
    certlib_slice x5chain[COSE_MAX_X5CHAIN];
    size_t n_x5chain;
} certlib__sign1;

/* Reads one COSE_Sign1, untagged or with tag 18 (and, for CWTs, an outer tag 61). Fields are slices
 * into the reader's input. */
certlib_err certlib__sign1_decode(cbr *r, certlib__sign1 *out);

/* Verifies the signature over Sig_structure = ["Signature1", protected, h'', payload]. A detached
 * Sign1 never verifies here. */
certlib_err certlib__sign1_verify(const certlib__sign1 *s, const certlib__pubkey *key);
/* Verifies a detached Sign1 against the payload the verifier built itself. */
certlib_err certlib__sign1_verify_detached(const certlib__sign1 *s, const certlib__pubkey *key,
                                           const uint8_t *payload, size_t len);
/* Appends a detached COSE_Sign1 (protected {alg}, unprotected {}, payload nil) over `payload`, signed
 * with a bare key (a holder's device key). */
certlib_err certlib__sign1_encode_detached(cbw *out, const certlib__privkey *key, const uint8_t *payload,
                                           size_t len);

struct certlib_signer;
/* Appends a COSE_Sign1 over `payload` signed by `signer`: protected {alg, kid[, typ]}, unprotected
 * {x5chain} when `with_x5chain`, else {}. Tagged 18 when `tagged`. */
certlib_err certlib__sign1_encode(cbw *out, const struct certlib_signer *signer, const char *typ,
                                  bool with_x5chain, bool tagged, const uint8_t *payload, size_t len);

#endif
