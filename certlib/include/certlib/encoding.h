/* Text encodings of binary data that certlib's formats and their transports share. */
#ifndef CERTLIB_ENCODING_H
#define CERTLIB_ENCODING_H

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Bytes that `len` characters of base64url decode to, at most (for sizing `out`). */
#define CERTLIB_BASE64URL_DECODED_MAX(len) ((len) / 4 * 3 + 2)

/**
 * Decodes base64url without padding (RFC 4648 §5), strictly: the URL-safe alphabet only (libsodium
 * 1.0.18's decoder takes some bytes >= 0x80 for letters), no padding, no whitespace, and zero trailing
 * bits, so each byte string has one text. Writes at most `cap` bytes. CERTLIB_E_BASE64URL when the text
 * is not of that form or does not fit.
 */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_base64url_decode(const char *s, size_t len, uint8_t *out,
                                                                   size_t cap, size_t *out_len);

#ifdef __cplusplus
}
#endif
#endif
