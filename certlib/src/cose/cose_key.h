/* COSE_Key (RFC 9052 §7, RFC 9053 §7) for holder device keys: EC2 P-256 or OKP Ed25519. Internal. */
#ifndef CERTLIB_COSE_KEY_H
#define CERTLIB_COSE_KEY_H

#include "crypto/crypto.h"

typedef struct certlib__cose_key {
    certlib_alg alg;    /* CERTLIB_ALG_ES256 (EC2, crv 1) or CERTLIB_ALG_EDDSA (OKP, crv 6) */
    certlib_slice x, y; /* y empty for OKP */
} certlib__cose_key;

/* Parses and checks one COSE_Key occupying all of `bytes`; CERTLIB_E_KEY when it is not a supported
 * public key. */
certlib_err certlib__cose_key_parse(certlib_slice bytes, certlib__cose_key *out);

/* The verification key of a parsed COSE_Key (certlib__pubkey_clear it). CERTLIB_E_KEY for a point
 * that is not on the curve. */
certlib_err certlib__cose_key_pubkey(const certlib__cose_key *key, certlib__pubkey *out);

#endif
