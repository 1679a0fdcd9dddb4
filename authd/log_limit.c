/* Log lines said at most once an interval (log_limit.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log_limit.h"
#include "monotonic.h"

bool authd_log_limit(struct authd_log_limit *l, const char *key, int64_t every_ms, unsigned long *unsaid)
{
    int64_t now = authd_monotonic_ms();
    pthread_mutex_lock(&l->lock);
    bool same = strncmp(l->key, key, sizeof(l->key) - 1) == 0;
    bool say = !same || !l->said_ms || now - l->said_ms >= every_ms;
    if (say) {
        *unsaid = same ? l->unsaid : 0;
        snprintf(l->key, sizeof(l->key), "%s", key);
        l->said_ms = now;
        l->unsaid = 0;
    } else {
        l->unsaid++;
    }
    pthread_mutex_unlock(&l->lock);
    return say;
}

void authd_log_limited(struct authd_log_limit *l, const char *key, int64_t every_ms, const char *fmt, ...)
{
    unsigned long more;
    if (!authd_log_limit(l, key, every_ms, &more)) return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (more) fprintf(stderr, " (and %lu more like it since the last one said)", more);
    fputc('\n', stderr);
}
