/* Log lines said at most once an interval (log_limit.h). */
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
