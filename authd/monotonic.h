/* Waiting on a condition with a deadline that wall-clock jumps do not move: the writer, the status-list
 * signer and the follower of a shared store each wake on their own schedule. */
#ifndef AUTHD_MONOTONIC_H
#define AUTHD_MONOTONIC_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

/* A CLOCK_MONOTONIC time in nanoseconds. */
static inline int64_t authd_timespec_ns(struct timespec ts)
{
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Nanoseconds on CLOCK_MONOTONIC: for timing a stage. */
static inline int64_t authd_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return authd_timespec_ns(ts);
}

/* Milliseconds on CLOCK_MONOTONIC: for intervals, never for dates. */
static inline int64_t authd_monotonic_ms(void)
{
    return authd_monotonic_ns() / 1000000;
}

/* A condition whose timed waits count on CLOCK_MONOTONIC. */
static inline void authd_cond_init_monotonic(pthread_cond_t *cond)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(cond, &attr);
    pthread_condattr_destroy(&attr);
}

/* `ns` nanoseconds after `from` (CLOCK_MONOTONIC time). */
static inline struct timespec authd_after_ns(struct timespec from, long long ns)
{
    long long total = (long long)from.tv_nsec + ns;
    from.tv_sec += (time_t)(total / 1000000000LL);
    from.tv_nsec = (long)(total % 1000000000LL);
    return from;
}

/* `ns` nanoseconds from now. */
static inline struct timespec authd_deadline_ns(long long ns)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return authd_after_ns(now, ns);
}

#endif
