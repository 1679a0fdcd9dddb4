/* Text encodings of binary data that certlib's formats and their transports share. */
#ifndef CERTLIB_ENCODING_H
#define CERTLIB_ENCODING_H

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Characters that `len` bytes take in base64url without padding. */
#define CERTLIB_BASE64URL_ENCODED_LEN(len) (((len) / 3) * 4 + ((len) % 3 ? (len) % 3 + 1 : 0))

/**
 * Encodes `len` bytes as base64url without padding (RFC 4648 §5) into `out`, which has room for
 * CERTLIB_BASE64URL_ENCODED_LEN(len) characters; returns that number. No NUL is written. Not
 * constant-time: for what is no secret from whoever reads the text (hashes, signatures, a licence sent
 * to its reader); libsodium's sodium_bin2base64 is the coder for secrets.
 */
CERTLIB_API size_t certlib_base64url_encode(const uint8_t *in, size_t len, char *out);

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

/** Characters of an RFC 3339 UTC time as certlib writes it ("YYYY-MM-DDTHH:MM:SSZ"), with its NUL. */
#define CERTLIB_TIME_TEXT_LEN 21

/**
 * Writes Unix seconds `t` as "YYYY-MM-DDTHH:MM:SSZ" (RFC 3339 in UTC, as licences' tdate elements and
 * log entries carry times; years 0 to 9999, always four digits) and a NUL into `out`. A time before
 * 0000-01-01T00:00:00Z or after 9999-12-31T23:59:59Z, which RFC 3339 cannot write, is written as that
 * end. For years 1000 to 9999 the text gmtime_r and strftime write, without their lock on the process's
 * time zone: a counter's answer carries several.
 */
CERTLIB_API void certlib_time_format(int64_t t, char out[CERTLIB_TIME_TEXT_LEN]);

#ifdef __cplusplus
}
#endif
#endif
