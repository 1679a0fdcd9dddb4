/* Log lines said at most once an interval: a store or a database that is away fails every request, and
 * a line per request would bury the few that say what happened. */
#ifndef AUTHD_LOG_LIMIT_H
#define AUTHD_LOG_LIMIT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct authd_log_limit {
    pthread_mutex_t lock;
    char key[64];         /* what was said last (its first 63 bytes) */
    int64_t said_ms;      /* when, on the monotonic clock; 0: never */
    unsigned long unsaid; /* held back since */
};

#define AUTHD_LOG_LIMIT_INIT                                                                                 \
    {                                                                                                        \
        PTHREAD_MUTEX_INITIALIZER, "", 0, 0                                                                  \
    }

/* Whether a line about `key` ("" for one kind only) is to be said now: when nothing about the same key
 * was said in the last `every_ms`. If so, *unsaid is how many lines about it were held back since the
 * last one said (to be told with this one); if not, this one is counted. Thread-safe. */
bool authd_log_limit(struct authd_log_limit *l, const char *key, int64_t every_ms, unsigned long *unsaid);

/* The line (printf's `fmt`, without its newline) on standard error when authd_log_limit says so, followed
 * by how many like it were held back since the last one said. */
void authd_log_limited(struct authd_log_limit *l, const char *key, int64_t every_ms, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
