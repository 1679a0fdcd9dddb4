/* Helpers the transparency-log files share. Internal. */
#ifndef CERTLIB_TLOG_INTERNAL_H
#define CERTLIB_TLOG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "certlib/common.h"
#include "certlib/tlog.h"

/* How many hashes the audit path of leaf `index` in a tree of `size` leaves has. */
size_t certlib__tlog_inclusion_len(uint64_t index, uint64_t size);

/* Standard, padded base64 (RFC 4648 §4), strict: no whitespace, canonical padding and trailing bits.
 * Returns 0 and the decoded length, or -1 (malformed, or longer than cap). */
int certlib__b64_decode(const char *s, size_t len, uint8_t *out, size_t cap, size_t *out_len);
/* Writes base64 of data, NUL-terminated; returns its length, or 0 when cap is too small. */
size_t certlib__b64_encode(const uint8_t *data, size_t len, char *out, size_t cap);

/* A decimal uint64 without sign or leading zeros (a lone "0" is fine). Returns 0 or -1. */
int certlib__parse_u64(const char *s, size_t len, uint64_t *out);

/* A signed note's key id: SHA-256(name || 0x0A || alg || key)[0..4], big-endian (alg 0x01 for note
 * signatures, 0x04 for tlog-cosignature/v1). */
uint32_t certlib__note_key_id(const char *name, size_t len, uint8_t alg, const uint8_t key[32]);
/* A verifier key "<name>+<8 hex key id>+<base64(alg || 32-byte key)>" of signature type `alg`. */
certlib_err certlib__verifier_parse(const char *text, size_t len, uint8_t alg, certlib_note_verifier *out);
/* A key name: non-empty UTF-8 without spaces, control characters or '+'. */
int certlib__note_name_valid(const char *name, size_t len);

/* A log entry's identifier field: non-empty, printable ASCII without spaces or '%' (1 or 0). */
int certlib__log_plain(const uint8_t *s, size_t len);

/* A verifier for `name` and a raw Ed25519 key of signature type `alg` (CERTLIB_E_KEY for a bad name). */
certlib_err certlib__verifier_from_key(const char *name, const uint8_t key[32], uint8_t alg,
                                       certlib_note_verifier *out);
/* A verifier key's text, "<name>+<8 hex key id>+<base64(alg || key)>" (NUL-terminated). */
certlib_err certlib__verifier_format(const certlib_note_verifier *v, uint8_t alg, char *out, size_t cap);

/* Decodes a log entry's percent-encoded text field into out (NUL-terminated UTF-8); "-" is the empty
 * text. Returns 0 or -1. */
int certlib__log_field_decode(certlib_slice f, char *out, size_t cap);

/* A hash as marks write it (mark.h): base64url of its 32 bytes, without padding, 43 characters. */
#define CERTLIB__MARK_HASH 43
void certlib__mark_hash_text(const uint8_t h[32], char out[CERTLIB__MARK_HASH + 1]);
bool certlib__mark_hash_parse(const char *s, size_t len, uint8_t out[32]);

/* A mark's text (mark.h), already proven signed: parsed into *out, spelled the one way it formats,
 * its origin the log's. */
struct certlib_mark;
certlib_err certlib__mark_text_open(const char *text, size_t len, const certlib_note_verifier *log,
                                    struct certlib_mark *out);
/* Whether a mark is batched (mark.h): its text is followed by a "batch" line, not by signatures. */
bool certlib__mark_is_batched(const char *mark, size_t len);
/* Opens a batched mark, as certlib_mark_open. */
certlib_err certlib__mark_open_batched(const char *mark, size_t len, const certlib_note_verifier *log,
                                       struct certlib_mark *out);

#endif
