/* The access log: one JSON line per request. It names the route a request matched rather than its
 * path, because paths carry identity numbers and the log must not. */
#ifndef AUTHD_ACCESSLOG_H
#define AUTHD_ACCESSLOG_H

#include "http.h"

struct authd_accesslog;

/* Opens `path` for appending, or standard error for "-" or NULL. Returns -1 with a message on error. */
int authd_accesslog_open(struct authd_accesslog **out, const char *path, char *err, size_t err_cap);

/* Logs every request that pathconf serves. */
void authd_accesslog_register(struct authd_accesslog *log, h2o_pathconf_t *pathconf);

void authd_accesslog_close(struct authd_accesslog *log);
/* Opens the file again by its name (logrotate moved it away) and writes there from now on; the old file
 * gets no line after the switch and loses none before it. 0, or -1 with a message (the old file stays in
 * use). Any thread; standard error is left as it is. */
int authd_accesslog_reopen(struct authd_accesslog *log, char *err, size_t err_cap);

/* Every logged request also counts in these metrics. */
struct authd_metrics;
void authd_accesslog_set_metrics(struct authd_accesslog *log, struct authd_metrics *metrics);

/* Writes into `out` (NUL-terminated) a printable, personal-data-free rendering of a path that matched
 * no route: segments longer than 8 bytes become "{redacted}", unsafe bytes become '?'. */
void authd_accesslog_redact_path(h2o_iovec_t path, char *out, size_t cap);

#endif
