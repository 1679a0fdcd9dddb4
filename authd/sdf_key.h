/* SM2 signing keys in a cipher machine (密码机), through the GM/T 0018 SDF library its vendor ships, named
 * wherever authd takes a signer's key file:
 *
 *   sdf:/usr/lib/vendor/libsdf.so?key=1&pin-source=file:/etc/authd/sdf.pin
 *
 * The library is loaded by path (dlopen); `key` is the index of the internal SM2 signing key; the key's
 * access password comes from the file `pin-source` names (its first line) and is held in locked memory,
 * never logged. authd computes e = SM3(Z ‖ M) itself (Z with the GM/T 0009 default id and the key's public
 * key, which the device exports) and the device signs e (SDF_InternalSign_ECC): the private key never
 * leaves it. One session per key, used under a lock; after a failure the next signature opens the device,
 * a session and the access right again, so signing resumes when the machine is back. */
#ifndef AUTHD_SDF_KEY_H
#define AUTHD_SDF_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "certlib/signer.h"
#include "errors.h"

#define AUTHD_SDF_PREFIX "sdf:"

struct authd_sdf_key;

/* True when a key reference names an SDF key. */
bool authd_is_sdf_ref(const char *ref);

/* Loads the library, opens the device and a session, gets the access right to the key and reads its
 * public key. AUTHD_E_CONFIG with a message (never the password) for a reference that does not parse, a
 * library without the SDF functions, no such key, a wrong password; AUTHD_E_UNAVAILABLE when the device
 * does not open. */
authd_err authd_sdf_key_open(const char *ref, struct authd_sdf_key **out, char *err, size_t err_cap);
/* certlib's signing function (certlib_signer_new_external) for such a key: SM2 with SM3, r‖s. */
certlib_err authd_sdf_sign(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[64]);
void authd_sdf_key_close(struct authd_sdf_key *key);

#endif
