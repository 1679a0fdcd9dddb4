/* Signing keys: a private key together with the certificate that vouches for it.
 *
 * A document signer (a department's 电子证照签发 key) signs licences; a status-list signer signs
 * status lists. The algorithm follows from the key: Ed25519 → EdDSA, a P-256 key → ES256, an SM2 key
 * → SM2 with SM3 and the GM/T 0009 default distinguishing id "1234567812345678".
 */
#ifndef CERTLIB_SIGNER_H
#define CERTLIB_SIGNER_H

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/** COSE algorithm identifiers (RFC 9053; SM2 under a private-use value this profile pins). */
typedef enum certlib_alg {
    CERTLIB_ALG_NONE = 0,
    CERTLIB_ALG_ES256 = -7,       /* ECDSA P-256 with SHA-256, signature r‖s (64 bytes) */
    CERTLIB_ALG_EDDSA = -8,       /* Ed25519 */
    CERTLIB_ALG_SM2_SM3 = -65600, /* SM2 with SM3 (GB/T 32918, GM/T 0009), signature r‖s (64 bytes) */
} certlib_alg;

/** "ES256", "EdDSA", "SM2-SM3", or "unknown". Static string. */
CERTLIB_API const char *certlib_alg_name(certlib_alg alg);

typedef struct certlib_signer certlib_signer;

/**
 * Makes a signer from a PEM private key (PKCS#8 or the traditional EC form, unencrypted) and its PEM
 * certificate. The key must match the certificate. Key bytes are copied into protected memory and the
 * caller may wipe its own copy at once. Free with certlib_signer_free.
 */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_signer_new(certlib_slice key_pem, certlib_slice cert_pem,
                                                             certlib_signer **out);

/** The same, reading both from files. */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_signer_load(const char *key_path, const char *cert_path,
                                                              certlib_signer **out);

/**
 * A signing function whose key lives outside certlib: a PKCS#11 token, a GM/T 0018 cipher machine. It
 * signs `msg` as the algorithm specifies (ES256: SHA-256 then ECDSA; EdDSA: pure Ed25519; SM2-SM3: the
 * GM/T 0009 Z value with the default id, SM3, then SM2) and writes the signature in COSE's form (r‖s for
 * ECDSA and SM2, 64 bytes) into `sig`. Returns CERTLIB_OK, or CERTLIB_E_SIGNER_UNAVAILABLE when the
 * device cannot sign now (removed, logged out, busy): the caller may try again later. Called from any
 * thread that signs with the signer; serialising access to the device is the function's own business.
 */
typedef certlib_err (*certlib_sign_fn)(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[64]);

/**
 * Makes a signer from a certificate and a signing function for the key it names (the key never enters
 * certlib). The algorithm follows from the certificate's key. One probe signature is made and checked
 * against the certificate: a device holding another key is refused with CERTLIB_E_KEY. `ctx` stays the
 * caller's: it must outlive the signer. Free with certlib_signer_free.
 */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_signer_new_external(certlib_slice cert_pem,
                                                                      certlib_sign_fn sign, void *ctx,
                                                                      certlib_signer **out);

/** Wipes the key and frees everything. NULL is a no-op. */
CERTLIB_API void certlib_signer_free(certlib_signer *signer);

CERTLIB_API certlib_alg certlib_signer_alg(const certlib_signer *signer);

/** The signer's unified social credit code, from the certificate subject's organizationIdentifier
 *  ("NTRCN-<USCC>", ETSI EN 319 412-1); "" when the certificate has none. Valid while `signer` is. */
CERTLIB_API const char *certlib_signer_issuer_code(const certlib_signer *signer);

/** The organisation name (subject O) in UTF-8; "" when absent. Valid while `signer` is. */
CERTLIB_API const char *certlib_signer_org_name(const certlib_signer *signer);

/** The COSE key id: the first 8 bytes of SHA-256 over the certificate's DER. */
CERTLIB_API void certlib_signer_kid(const certlib_signer *signer, uint8_t kid[8]);

#ifdef __cplusplus
}
#endif
#endif
