/* The text of authd's log entries (the forms are specified in certlib/logentry.h, which parses them
 * for auditors). Each function writes a NUL-terminated entry and returns its length, or 0 when it
 * does not fit in CERTLIB_LOG_ENTRY_MAX bytes. Times are written by certlib_time_format (RFC 3339 UTC,
 * "2026-11-22T16:00:00Z"). */
#ifndef AUTHD_LOG_ENTRIES_H
#define AUTHD_LOG_ENTRIES_H

#include <stdbool.h>
#include <stdint.h>

#include "certlib/logentry.h"
#include "licence_meta.h"

/* An issuance: the licence's public header and SHA-256 of its issuerAuth bytes. */
size_t authd_log_entry_issue(char out[CERTLIB_LOG_ENTRY_MAX], const char *licence_id,
                             const struct authd_licence_meta *meta, const uint8_t sig_hash[32]);
/* A status change of the licence with header `meta`, to `status`, at `time`, for `reason`. */
size_t authd_log_entry_status(char out[CERTLIB_LOG_ENTRY_MAX], const char *licence_id,
                              const struct authd_licence_meta *meta, uint8_t status, int64_t time,
                              const char *reason);
/* A counter's lookup or verification (access/v2). `holder_key` may be NULL, `matter` and `licences`
 * empty; `disclosed` is the disclosure digest of what the answer releases (certlib_mark_digest). */
size_t authd_log_entry_access(char out[CERTLIB_LOG_ENTRY_MAX], bool lookup, int64_t time, const char *client,
                              const char *matter, const uint8_t *holder_key, const char *outcome,
                              const char *licences, const char *use_cause, size_t use_cause_len,
                              const uint8_t disclosed[32]);

/* The holder an access-log entry is about (its keyed hash, as authd_log_entry_access wrote it); false
 * for an entry about no one or one that is not an access entry. Rebuilds the holder-access index. */
bool authd_log_entry_holder(const uint8_t *entry, size_t len, uint8_t holder_key[AUTHD_HOLDER_KEY_LEN]);

#endif
