/* QR transport of licences and presentations: "EL1:" + Base45 (RFC 9285) of zlib (RFC 1950)
 * compressed CBOR. Base45 uses exactly the QR alphanumeric alphabet, so the text packs densely in
 * a QR code's alphanumeric mode. Decompression is capped: a QR code must not inflate into megabytes.
 */
#ifndef CERTLIB_QR_H
#define CERTLIB_QR_H

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CERTLIB_QR_PREFIX "EL1:"
#define CERTLIB_QR_MAX_CBOR (16 * 1024) /* largest CBOR a QR text may inflate to */
#define CERTLIB_QR_MAX_TEXT 8192        /* more than any QR code holds */

/** Encodes CBOR (at most CERTLIB_QR_MAX_CBOR bytes) as QR text, NUL-terminated, into a new buffer freed
 *  with certlib_free. */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_qr_encode(const uint8_t *cbor, size_t len, char **text);

/**
 * Decodes QR text back to CBOR, into a new buffer freed with certlib_free. Leading and trailing
 * whitespace (a scanner's CR/LF) is ignored. Errors: CERTLIB_E_QR_PREFIX (not "EL1:"),
 * CERTLIB_E_BASE45 (a character or length Base45 forbids, or a triple over 65535),
 * CERTLIB_E_DECOMPRESS (corrupt zlib or more than CERTLIB_QR_MAX_CBOR bytes), CERTLIB_E_CBOR_LIMIT
 * (text longer than CERTLIB_QR_MAX_TEXT).
 */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_qr_decode(const char *text, size_t len, uint8_t **cbor,
                                                            size_t *cbor_len);

/** RFC 9285 Base45 alone: encode into `out` (NUL-terminated; needs len / 2 * 3 + 3 bytes). */
CERTLIB_API size_t certlib_base45_encode(const uint8_t *in, size_t len, char *out);
/** Decode; `out` needs len / 3 * 2 + 1 bytes. */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_base45_decode(const char *in, size_t len, uint8_t *out,
                                                                size_t *out_len);

#ifdef __cplusplus
}
#endif
#endif
