/* Base64 with the standard alphabet and padding (RFC 4648 §4), as C2SP's signed notes and proofs write
 * it. */
#ifndef CERTLIB_BASE_BASE64_H
#define CERTLIB_BASE_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Characters that `len` bytes take, padding included. */
#define CERTLIB__BASE64_ENCODED_LEN(len) (((len) + 2) / 3 * 4)

/* Encodes `len` bytes into `out`, which has room for CERTLIB__BASE64_ENCODED_LEN(len) characters;
 * returns that number. No NUL is written. Not constant-time (base64url.c says why that is fine). */
size_t certlib__base64_encode(const uint8_t *in, size_t len, char *out);

#endif
