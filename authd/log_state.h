/* The last checkpoint each log signed, kept outside the store (state_dir/<log>.checkpoint). A store rolled
 * back (an old backup restored, a lost data.mdb recreated) or replaced by another's would otherwise start
 * silently: the entries past its end would be signed again, differently, a fork only an auditor with
 * saved state notices. At start-up the store's log must extend the saved checkpoint. */
#ifndef AUTHD_LOG_STATE_H
#define AUTHD_LOG_STATE_H

#include <stdbool.h>
#include <stddef.h>

#include "errors.h"

struct authd_log;

/* The state file of log `name` ("signatures", "access") in `dir`, created (0700) when missing. */
authd_err authd_log_state_path(const char *dir, const char *name, char *out, size_t cap, char *err,
                               size_t err_cap);

/* Checks the log's published tree against the checkpoint saved at `path` (none saved: nothing to check):
 * the same size and root, or a larger tree with a valid consistency proof from it. Otherwise
 * AUTHD_E_CORRUPT saying what the store lacks or how it differs, unless `allow_rollback`: then what is
 * lost is printed to standard error and the check passes. AUTHD_E_IO when the file cannot be read,
 * AUTHD_E_CORRUPT when it holds no checkpoint of this log under its key. */
authd_err authd_log_state_check(struct authd_log *log, const char *path, bool allow_rollback, char *err,
                                size_t err_cap);

#endif
