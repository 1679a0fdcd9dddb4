/* Start-up cross-check of the licence statuses in the store against the signature log. Every status
 * change is logged in the transaction that makes it, so the last status entry the log holds for a
 * licence (valid when it has none) is the status its record must carry. A record that disagrees was
 * altered outside authd, or the store was rolled back without its log: authd refuses to start rather
 * than publish status lists built on it. */
#ifndef AUTHD_STATUS_CHECK_H
#define AUTHD_STATUS_CHECK_H

#include <stddef.h>

#include "errors.h"

struct authd_storage;
struct authd_record_keys;
struct authd_log;

/* AUTHD_OK when every status agrees; AUTHD_E_CORRUPT with the first disagreement described in err (or
 * the failure that kept the check from reading the store or the log). */
authd_err authd_status_check(struct authd_storage *storage, const struct authd_record_keys *keys,
                             struct authd_log *signature_log, char *err, size_t err_cap);

#endif
