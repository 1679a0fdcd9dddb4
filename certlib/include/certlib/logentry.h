/* The entries of an issuing service's two transparency logs: one line of UTF-8 text each, fields separated by
 * single spaces, so an auditor can read a log with grep as well as with certctl audit.
 *
 * Signature log (public; never personal data):
 *   sig/v1 issue  <time> <licence id> <type code> <issuer USCC> <status list> <index> <sha256>
 *   sig/v1 status <time> <licence id> <type code> <issuer USCC> <status list> <index> <status> <reason>
 *     sha256  base64url (no padding) of SHA-256 over the licence's issuerAuth bytes
 *     status  valid | revoked | suspended;  reason: percent-encoded, "-" when empty
 * Access log (auditors only):
 *   access/v2 <lookup|verify> <time> <client> <matter> <holder> <outcome> <licence ids> <use cause>
 * <disclosed> holder     base64url of the keyed BLAKE2b of the holder id ("-" when none) matter, licence ids
 * (comma-separated): "-" when none; use cause percent-encoded disclosed  base64url of the disclosure digest:
 * SHA-256 over the SHA-256s of the licence bytes the answer released, concatenated in order (mark.h)
 *   access/v1 entries (written before disclosure marks) are the same without <disclosed>.
 * <time> is RFC 3339 UTC ("2026-11-22T16:00:00Z"). Percent-encoding escapes '%', spaces and control
 * characters only, so Chinese text stays readable; a field never contains a space.
 */
#ifndef CERTLIB_LOGENTRY_H
#define CERTLIB_LOGENTRY_H

#include <stdbool.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CERTLIB_LOG_ENTRY_MAX 32768 /* room for a lookup returning 256 licences */
#define CERTLIB_LOG_FIELD_MAX 1024  /* a percent-decoded text field */

typedef enum certlib_log_kind {
    CERTLIB_LOG_ISSUE = 1,
    CERTLIB_LOG_STATUS = 2,
    CERTLIB_LOG_LOOKUP = 3,
    CERTLIB_LOG_VERIFY = 4,
} certlib_log_kind;

/** A parsed entry. Slices point into the entry, except `text`, which holds the decoded reason or
 *  use cause (NUL-terminated). */
typedef struct certlib_log_entry {
    certlib_log_kind kind;
    int64_t time;
    certlib_slice licence_id, type_code, issuer, status_list; /* signature log */
    uint64_t status_idx;
    uint8_t sig_hash[32];                                    /* issue */
    certlib_slice status;                                    /* status: "valid", "revoked" or "suspended" */
    certlib_slice client, matter, holder, outcome, licences; /* access log ("-" fields are empty) */
    bool has_disclosed;                                      /* access/v2 */
    uint8_t disclosed[32];
    char text[CERTLIB_LOG_FIELD_MAX];
} certlib_log_entry;

/** Parses an entry. CERTLIB_E_LOG_ENTRY when it is not one of the forms above. */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_log_entry_parse(const uint8_t *entry, size_t len,
                                                                  certlib_log_entry *out);

/** Percent-encodes `s` for a text field ("-" when empty). Returns the length written (NUL-terminated),
 *  or 0 when it does not fit or `s` is not UTF-8. */
CERTLIB_API size_t certlib_log_field_encode(const char *s, size_t len, char *out, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
