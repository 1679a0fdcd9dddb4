/* Signing keys in a PKCS#11 token (an HSM, a cipher machine with a PKCS#11 library, SoftHSM2 in tests),
 * named by an RFC 7512 URI wherever authd takes a key file:
 *
 *   pkcs11:token=authd-demo;object=scjg-ds?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/etc/authd/pin
 *
 * The URI is parsed by p11-kit, which also loads the module. The token is the first whose description
 * matches the URI's token attributes; the key is the one private key matching its object attributes
 * (label, id). The PIN comes from `pin-value`, or from the file `pin-source` names ("file:" or a path);
 * it is held in locked memory for logging in again, never logged. The private key never leaves the
 * token: authd hands it what to sign (P-256: the SHA-256 digest, CKM_ECDSA; Ed25519: the message,
 * CKM_EDDSA) and gets r‖s back.
 *
 * One session per key, used under a lock (a PKCS#11 session runs one operation at a time). When the
 * token goes away (removed, session closed, logged out), a signature fails with
 * CERTLIB_E_SIGNER_UNAVAILABLE and the next one opens a session and logs in again, so signing resumes
 * by itself once the token is back. */
#ifndef AUTHD_PKCS11_KEY_H
#define AUTHD_PKCS11_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "certlib/signer.h"
#include "errors.h"

#define AUTHD_PKCS11_PREFIX "pkcs11:"

struct authd_p11_key;

/* True when a key reference is a PKCS#11 URI rather than a file. */
bool authd_is_pkcs11_uri(const char *ref);

/* The library for URIs without a module-path (the configuration's pkcs11_module); NULL: none. Set once
 * at start, before any key is opened. */
void authd_p11_default_module(const char *path);

/* Opens the key `uri` names and logs in. AUTHD_E_CONFIG with a message (never the PIN) for a URI that
 * does not parse, a module that does not load, no such token or key, a wrong PIN; AUTHD_E_UNAVAILABLE
 * when the token is not present. */
authd_err authd_p11_key_open(const char *uri, struct authd_p11_key **out, char *err, size_t err_cap);
/* The Ed25519 public key of an Ed25519 key (from the token's public key object of the same label or
 * id): what a log's verifier key is made of. AUTHD_E_CONFIG with a message when there is none. */
authd_err authd_p11_key_ed25519_public(struct authd_p11_key *key, uint8_t pk[32], char *err, size_t err_cap);
/* The same for an AES secret key (the data key's wrapping, data_key.h). */
authd_err authd_p11_wrapping_key_open(const char *uri, struct authd_p11_key **out, char *err, size_t err_cap);
/* AES-256-GCM in the token with such a key (12-byte IV, 16-byte tag after the ciphertext): encrypts or
 * decrypts `len` bytes into `out` (*out_len: its room, then what was written). AUTHD_E_CONFIG with a message
 * when the token refuses (a wrapped key that does not open under this key). */
authd_err authd_p11_aes_gcm(struct authd_p11_key *key, bool encrypt, const uint8_t iv[12], const uint8_t *aad,
                            size_t aad_len, const uint8_t *in, size_t len, uint8_t *out, size_t *out_len,
                            char *err, size_t err_cap);

/* certlib's signing function (certlib_signer_new_external) for such a key; `ctx` is the key. */
certlib_err authd_p11_sign(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[64]);
/* Logs out, closes the session and finalizes the module when it was the last key using it. NULL:
 * no-op. */
void authd_p11_key_close(struct authd_p11_key *key);

#endif
