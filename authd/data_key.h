/* The data key as the configuration gives it: `data_key` names a file of 64 hex digits, or, with
 * `data_key_wrapping` (a PKCS#11 URI of an AES key in a token), a file holding the key wrapped by it:
 *
 *   aes-256-gcm:<hex: 12-byte IV, the 32-byte key encrypted, 16-byte tag>
 *
 * opened in the token at start (AES-GCM, associated data "authd data key v1"), so the file alone, a
 * backup or a copied disk, opens nothing. `authd --config FILE data-key wrap PLAIN` makes such a file. */
#ifndef AUTHD_DATA_KEY_H
#define AUTHD_DATA_KEY_H

#include "config.h"
#include "record.h"

/* The record keys from the configured data key. AUTHD_E_CONFIG with a message (never the key) for a
 * missing or malformed file, a wrapped file without data_key_wrapping (or the other way round), a
 * wrapping key that does not open it. */
authd_err authd_data_key_load(const struct authd_config *c, struct authd_record_keys **out, char *err,
                              size_t err_cap);

/* `authd data-key wrap PLAIN`: prints the wrapped form of the plain data key file PLAIN under the
 * configured data_key_wrapping key. The exit status. */
int authd_data_key_wrap_command(const struct authd_config *c, const char *plain_path);

#endif
