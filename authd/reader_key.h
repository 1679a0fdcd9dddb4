/* A counter's reader key (ISO/IEC 18013-5 reader authentication, OpenID4VP's signed requests): a P-256 key
 * and its certificate chain under a relying-party root of the trust bundle. authd holds one per counter
 * that asks wallets for presentations, and signs that counter's request objects with it. */
#ifndef AUTHD_READER_KEY_H
#define AUTHD_READER_KEY_H

#include <stddef.h>

#include "errors.h"

struct authd_reader_key;

/* Loads the PEM private key at `key_path` and the PEM chain at `chain_path` (the reader's certificate
 * first, then any intermediates, not the root), checking the key is the certificate's and P-256.
 * AUTHD_E_CONFIG with a message naming the files. */
authd_err authd_reader_key_load(const char *key_path, const char *chain_path, struct authd_reader_key **out,
                                char *err, size_t err_cap);
void authd_reader_key_free(struct authd_reader_key *k);

/* "x509_hash:<base64url of SHA-256 over the reader certificate's DER>": OpenID4VP 1.0 §5.9.3. */
const char *authd_reader_client_id(const struct authd_reader_key *k);

/* A request object: the compact JWS (ES256) of `payload` (JSON text) with the header
 * {"alg":"ES256","typ":"oauth-authz-req+jwt","x5c":[chain]} (encoded once, when the key is loaded),
 * malloc'd and NUL-terminated; NULL when out of memory or OpenSSL fails. */
char *authd_reader_sign_jwt(const struct authd_reader_key *k, const char *payload, size_t payload_len,
                            size_t *out_len);

#endif
