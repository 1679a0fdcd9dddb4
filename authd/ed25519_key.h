/* Ed25519 signing keys from PEM files (the logs' keys, the witness's), held in libsodium's guarded
 * memory, read-only, and freed with sodium_free. */
#ifndef AUTHD_ED25519_KEY_H
#define AUTHD_ED25519_KEY_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"

/* Reads the PEM PKCS#8 Ed25519 private key at `path` into *sk (libsodium's 64-byte form, sodium_malloc'd,
 * read-only) and its public key into pk. `what` names the key in messages ("log key"). AUTHD_E_CONFIG
 * with a message for a missing or unusable file; AUTHD_E_NOMEM. */
authd_err authd_ed25519_key_load(const char *path, const char *what, uint8_t **sk, uint8_t pk[32], char *err,
                                 size_t err_cap);

#endif
